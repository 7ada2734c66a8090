"""Helpers for the hardware / Wi-Fi / PPE / SQM rule tests: real captures in a capture dir.

A capture directory is built from real files (``tests/captures/*.txt``, header stripped,
placed at the path their content came from, like ``tests/test_diagnose_captures.py``) and
lab captures (``tests/lab_captures/<scenario>``, copied whole). A variant passes ``edit``:
a function over the body whose change the calling test states in a comment.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from offtui.capture import Capture
from offtui.engine import Finding, Outcome, RuleResult, rule_by_id, run_rule
from offtui.model import Snapshot
from offtui.snapshot import build_snapshot
from tests.capture_files import read_capture_file

LAB = Path(__file__).parent.parent / "lab_captures"


@dataclass
class Place:
    """One real capture file (or the lines of it that ``keep`` selects) at ``path``."""

    file: str
    path: str
    keep: str | None = None
    edit: Callable[[str], str] | None = None


def build(
    tmp_path: Path,
    *places: Place,
    lab: str | None = None,
    extra: dict[str, str | None] | None = None,
) -> Snapshot:
    """Capture dir from a lab capture and/or real files; ``extra`` writes (or, with None,
    removes) single files: each test states why in a comment."""
    cap = tmp_path / "cap"
    if lab is not None:
        shutil.copytree(LAB / lab, cap)
    cap.mkdir(exist_ok=True)
    for path, text in (extra or {}).items():
        out = cap / path
        if text is None:
            assert out.exists(), path
            out.unlink()
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
    for p in places:
        body = read_capture_file(p.file).body
        if p.keep is not None:
            rx = re.compile(p.keep)
            body = "".join(ln for ln in body.splitlines(keepends=True) if rx.match(ln.rstrip("\n")))
        if p.edit is not None:
            edited = p.edit(body)
            assert edited != body, f"{p.file}: the stated edit changed nothing"
            body = edited
        assert body.strip(), f"{p.file}: nothing selected for {p.path}"
        out = cap / p.path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(body)
    return build_snapshot(Capture.open(cap))


def check(rule_id: str, snap: Snapshot) -> RuleResult:
    rule = rule_by_id(rule_id)
    assert rule is not None, rule_id
    return run_rule(rule, snap)


def fired(rule_id: str, snap: Snapshot) -> list[Finding]:
    res = check(rule_id, snap)
    assert res.outcome == Outcome.FINDING, f"{rule_id}: {res.outcome} ({res.reason})"
    assert res.findings
    for f in res.findings:
        assert f.id == rule_id and f.fix.strip() and f.evidence and f.subject
    return res.findings


def evidence_text(f: Finding) -> str:
    return "\n".join(f"{e.source}: {e.text}" for e in f.evidence)


def outcome(rule_id: str, snap: Snapshot) -> tuple[Outcome, str]:
    res = check(rule_id, snap)
    return res.outcome, res.reason
