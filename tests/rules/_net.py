"""Shared helpers for the tests of the device / routing / ruleset-semantics rules.

Snapshots are built in-process from real captures: the lab captures in
``tests/lab_captures/<scenario>/`` (already in the capture layout), or files of
``tests/captures/`` placed at their layout paths (a regex keeps the lines of a file that
belong to one path, as in ``tests/test_diagnose_captures.py``). A variant copies a real
capture and applies one stated edit.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

from offtui.capture import Capture
from offtui.engine import Outcome, RuleResult, rule_by_id, run_rule
from offtui.model import Snapshot
from offtui.snapshot import build_snapshot
from tests.capture_files import read_capture_file

LAB = Path(__file__).resolve().parents[1] / "lab_captures"


def snapshot_of(path: Path) -> Snapshot:
    cap = Capture.open(path)
    try:
        return build_snapshot(cap)
    finally:
        cap.close()


def lab(scenario: str) -> Snapshot:
    """A lab capture as the collector wrote it."""
    return snapshot_of(LAB / scenario)


def lab_variant(
    tmp_path: Path,
    scenario: str,
    edits: dict[str, Callable[[str], str]] | None = None,
    drop: tuple[str, ...] = (),
    add: dict[str, str] | None = None,
) -> Snapshot:
    """A copy of a lab capture with files edited (each edit stated by the caller)."""
    dest = tmp_path / scenario
    shutil.copytree(LAB / scenario, dest)
    for name, fn in (edits or {}).items():
        p = dest / name
        before = p.read_text()
        after = fn(before)
        assert after != before, f"edit of {name} changed nothing"
        p.write_text(after)
    for name in drop:
        (dest / name).unlink()
    for name, text in (add or {}).items():
        p = dest / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return snapshot_of(dest)


def placed(
    tmp_path: Path,
    place: dict[str, tuple[str, str | None]],
    raw: dict[str, str] | None = None,
) -> Snapshot:
    """A capture built from real files: {capture path: (capture file, line regex or None)}."""
    root = tmp_path / "cap"
    for path, (file, keep) in place.items():
        lines = read_capture_file(file).body.splitlines(keepends=True)
        if keep is not None:
            rx = re.compile(keep)
            lines = [ln for ln in lines if rx.match(ln.rstrip("\n"))]
        assert lines, f"{file}: nothing selected for {path}"
        out = root / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("".join(lines))
    for path, text in (raw or {}).items():
        out = root / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
    return snapshot_of(root)


def body_lines(file: str, first: int, last: int) -> str:
    """Body lines ``first``..``last`` (1-based, inclusive) of a real capture file."""
    lines = read_capture_file(file).body.splitlines(keepends=True)
    return "".join(lines[first - 1 : last])


def run(snap: Snapshot, rule_id: str) -> RuleResult:
    rule = rule_by_id(rule_id)
    assert rule is not None, rule_id
    return run_rule(rule, snap)


def fires(snap: Snapshot, rule_id: str) -> RuleResult:
    res = run(snap, rule_id)
    assert res.outcome == Outcome.FINDING, (res.outcome, res.reason)
    assert res.findings
    return res


def passes(snap: Snapshot, rule_id: str) -> RuleResult:
    res = run(snap, rule_id)
    assert res.outcome == Outcome.PASS, (res.outcome, res.reason, res.findings)
    return res


def evidence_text(res: RuleResult) -> str:
    return "\n".join(f"{e.source}: {e.text}" for f in res.findings for e in f.evidence)
