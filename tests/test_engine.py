"""The rule engine's contract: every rule loads, is documented, is pure, never passes blind."""

from __future__ import annotations

import ast
from pathlib import Path

from offtui.engine import NEEDS, Outcome, load_rules, run_rules
from offtui.model import (
    Backend,
    ConntrackLimits,
    OffloadMode,
    Settings,
    Snapshot,
    SystemInfo,
)

RULES_DIR = Path(__file__).resolve().parents[1] / "rules"
FORBIDDEN_IMPORTS = {
    "os",
    "subprocess",
    "socket",
    "pathlib",
    "shutil",
    "urllib",
    "requests",
    "textual",
}


def empty_snapshot() -> Snapshot:
    """A snapshot of a capture that holds nothing at all."""
    return Snapshot(
        time=None,
        host=None,
        system=SystemInfo(),
        backend=Backend.UNKNOWN,
        offload_mode=OffloadMode.UNKNOWN,
        settings=Settings(),
        ruleset=None,
        conntrack=None,
        conntrack_limits=ConntrackLimits(),
        ppe=[],
        links=None,
        cpu=None,
        softirqs=None,
        interrupts=None,
        modules=None,
        qdiscs=None,
        log_events=None,
        sources=[],
    )


def test_every_rule_is_documented() -> None:
    rules = load_rules()
    assert rules
    for r in rules:
        d = r.info.doc
        assert r.info.id and r.info.title
        for part in ("what", "why", "fix", "example", "fix_interrupts"):
            assert getattr(d, part).strip(), f"{r.info.id}: doc.{part} is empty"
        assert d.references, f"{r.info.id}: no references"
        assert set(r.info.needs) <= set(NEEDS)
        for group in r.info.needs_any:
            assert set(group) <= set(NEEDS)
        assert r.module.rsplit(".", 1)[1] == r.info.id.replace("-", "_"), "one file per rule id"


def test_rules_do_no_io() -> None:
    for path in RULES_DIR.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                names = {(node.module or "").split(".")[0]}
            else:
                names = set()
            assert not names & FORBIDDEN_IMPORTS, f"{path.name} imports {names & FORBIDDEN_IMPORTS}"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("open", "exec", "eval"), (
                    f"{path.name} calls {node.func.id}"
                )


def test_no_rule_passes_on_an_empty_capture() -> None:
    """Nothing collected: every rule is skipped with the missing source named."""
    report = run_rules(empty_snapshot())
    for res in report.results:
        assert res.outcome == Outcome.SKIPPED, f"{res.rule.id} gave {res.outcome} with no data"
        assert res.reason.startswith("needs "), res.reason
