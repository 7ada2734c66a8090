"""Every id of the pitfall catalog is a rule, documented, and has a firing test.

The catalog's ids, severities and confirmation status are copied into ``catalog_ids.txt``
(its header names the source) so that this test does not read the catalog itself.

Conventions checked for each id ``<id>`` (``<mod>`` = id with ``-`` replaced by ``_``):
- ``rules/<mod>.py`` defines the rule (the engine loads it; ids are unique);
- its documentation has every fixed part, and its default severity is the catalog's;
- for an entry the catalog marks *partially confirmed*, ``limits`` says what is not confirmed;
- ``tests/rules/test_<mod>.py`` defines a firing test, named ``test_<mod>_fires*`` or (the
  file being per rule) ``test_fires*`` / ``test_*_fires_*``, and at least one test whose name
  does not say ``fires`` (where the rule passes or is skipped).
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

from offtui.engine import load_rules, rule_by_id

HERE = Path(__file__).resolve().parent
RULES_DIR = HERE.parents[1] / "rules"
CATALOG = HERE / "catalog_ids.txt"
DOC_PARTS = ("what", "why", "fix", "example", "limits", "fix_interrupts")
FIRES = re.compile(r"(?:^test_|_)fires(?:_|$)")


def read_catalog() -> list[tuple[int, str, str, str]]:
    """(number, id, severity, status) for each catalog entry."""
    out = []
    for line in CATALOG.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        num, rule_id, severity, status = line.split()
        out.append((int(num), rule_id, severity, status))
    return out


ENTRIES = read_catalog()
IDS = [e[1] for e in ENTRIES]


def mod_name(rule_id: str) -> str:
    return rule_id.replace("-", "_")


@cache
def declared_tests(rule_id: str) -> tuple[str, ...]:
    """Names of the top-level test functions of ``tests/rules/test_<mod>.py`` (none if absent)."""
    path = HERE / f"test_{mod_name(rule_id)}.py"
    if not path.is_file():
        return ()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return tuple(
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    )


def test_catalog_copy_is_complete() -> None:
    # 38 entries in the summary table + 5 in the addendum; numbered 1..43 without gaps
    assert [e[0] for e in ENTRIES] == list(range(1, 44))
    assert len(set(IDS)) == 43
    assert {e[2] for e in ENTRIES} <= {"error", "warning", "info"}
    assert {e[3] for e in ENTRIES} <= {"confirmed", "partial", "-"}


@pytest.mark.parametrize(("num", "rule_id", "severity", "status"), ENTRIES, ids=IDS)
def test_catalog_entry_has_rule_docs_and_tests(
    num: int, rule_id: str, severity: str, status: str
) -> None:
    problems = []
    mod = mod_name(rule_id)
    if not (RULES_DIR / f"{mod}.py").is_file():
        problems.append(f"no rule file rules/{mod}.py")
    rule = rule_by_id(rule_id)
    if rule is None:
        problems.append("no rule with this id is loaded")
    else:
        doc = rule.info.doc
        empty = [p for p in DOC_PARTS if not getattr(doc, p).strip()]
        if empty:
            problems.append(f"empty doc parts: {', '.join(empty)}")
        if not doc.references:
            problems.append("no references")
        if rule.info.severity.value != severity:
            problems.append(f"severity {rule.info.severity.value}, catalog says {severity}")
        if status == "partial" and "confirm" not in doc.limits.lower():
            problems.append("partially confirmed in the catalog, but limits do not say so")
    tests = declared_tests(rule_id)
    if not tests:
        problems.append(f"no tests/rules/test_{mod}.py with test functions")
    else:
        if not any(FIRES.search(t) for t in tests):
            problems.append(f"no firing test (test_{mod}_fires* or test_fires*)")
        if not any(not FIRES.search(t) for t in tests):
            problems.append("no test where the rule does not fire")
    assert not problems, f"#{num} {rule_id}: " + "; ".join(problems)


def test_every_rule_is_in_the_catalog() -> None:
    extra = sorted(r.info.id for r in load_rules() if r.info.id not in IDS)
    assert not extra, f"rules that are not catalog ids: {extra}"
