"""Bundles: export, findings of the redacted bundle == findings of the original, CLI."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from offtui.bundle import BundleError, make_bundle
from offtui.capture import Capture
from offtui.engine import run_rules
from offtui.render.facts import document
from offtui.snapshot import build_snapshot
from tests.cli_helpers import offtui
from tests.test_diagnose_captures import CASES, Case, _build

KEY = b"k" * 32


def _doc(target: Path) -> dict:
    cap = Capture.open(target)
    try:
        snap = build_snapshot(cap)
        return document(snap, run_rules(snap))
    finally:
        cap.close()


def _diagnosis(doc: dict) -> dict:
    """What must not change with redaction: findings, rule outcomes, counts, parse results."""
    f = doc["facts"]
    return {
        "findings": sorted((x["id"], x["severity"]) for x in doc["findings"]),
        "skipped": sorted(x["id"] for x in doc["skipped"]),
        "passed": sorted(doc["passed"]),
        "backend": f["backend"],
        "offload_mode": f["offload_mode"],
        "conntrack": f["conntrack"],
        "ppe": [{k: v for k, v in p.items() if k != "capacity_reason"} for p in f["ppe"]],
        "flowtables": f["flowtables"],
        "ruleset": f["ruleset"] and {k: f["ruleset"][k] for k in ("tables", "truncated")},
        "flow_add_rules": f["ruleset"] and len(f["ruleset"]["flow_add_rules"]),
        "log_events": f["log_events"] and sorted(e["kind"] for e in f["log_events"]),
        "sources": sorted((s["name"], s["status"], s["unparsed_lines"]) for s in doc["sources"]),
    }


@pytest.mark.parametrize("case", CASES, ids=[c.file for c in CASES])
def test_redacted_bundle_gives_the_same_diagnosis(tmp_path: Path, case: Case) -> None:
    cap = _build(tmp_path, case)
    out = tmp_path / "b.tar.gz"
    res = make_bundle(cap, out, redact=True)
    assert res.redacted
    original = _diagnosis(_doc(cap))
    redacted = _diagnosis(_doc(out))
    assert redacted == original
    # the findings stored in the bundle are the ones a reader computes again
    with tarfile.open(out) as tar:
        stored = json.load(tar.extractfile("b/findings.json"))  # type: ignore[arg-type]
    assert _diagnosis(stored) == redacted


def test_bundle_layout_and_manifest(tmp_path: Path) -> None:
    cap = _build(tmp_path, CASES[0])  # conntrack-ubicloud1009-1: public addresses, a prompt
    out = tmp_path / "support.tar.gz"
    res = make_bundle(cap, out, keep_map=tmp_path / "map.json", key=KEY)
    with tarfile.open(out) as tar:
        names = sorted(m.name for m in tar.getmembers() if m.isfile())
        assert all(m.uname == "" and m.gname == "" and m.uid == 0 for m in tar.getmembers())
        manifest = json.load(tar.extractfile("support/manifest.json"))  # type: ignore[arg-type]
    assert names == [
        "support/commands/conntrack_-L",
        "support/findings.json",
        "support/manifest.json",
        "support/report.md",
    ]
    assert manifest["redacted"] is True
    assert manifest["format_version"] == 1
    assert manifest["redaction"]["addresses"] > 0
    assert res.map_path is not None and res.map_path.stat().st_mode & 0o077 == 0
    kept = json.loads(res.map_path.read_text())
    assert kept["addresses"] and "vhd1jpcnf5ej7kj0wz7h9y7mta" in kept["values"]["host"]
    # the map never goes into the bundle: none of its redacted->original pairs is there
    raw = out.read_bytes()
    assert b"vhd1jpcnf5ej7kj0wz7h9y7mta" not in raw


def test_no_redact_is_stated(tmp_path: Path) -> None:
    cap = _build(tmp_path, CASES[0])
    out = tmp_path / "plain.tar.gz"
    res = make_bundle(cap, out, redact=False)
    assert not res.redacted
    c = Capture.open(out)
    try:
        assert c.redacted is False
        assert "not redacted" in c.describe()
        assert "vhd1jpcnf5ej7kj0wz7h9y7mta" in (c.read_text("commands/conntrack_-L") or "")
    finally:
        c.close()
    with pytest.raises(BundleError):
        make_bundle(cap, tmp_path / "x.tar.gz", redact=False, keep_map=tmp_path / "m.json")


def test_bundling_a_redacted_bundle_stays_redacted(tmp_path: Path) -> None:
    cap = _build(tmp_path, CASES[0])
    first = tmp_path / "one.tar.gz"
    make_bundle(cap, first)
    second = tmp_path / "two.tar.gz"
    res = make_bundle(first, second, redact=False)
    assert res.redacted  # it was redacted before, so the manifest keeps saying so
    c = Capture.open(second)
    try:
        assert c.redacted and "redacted bundle" in c.describe()
    finally:
        c.close()


def test_cli_bundle_then_diagnose(tmp_path: Path) -> None:
    cap = _build(tmp_path, CASES[2])  # lab-serve-proc-net-nf_conntrack
    out = tmp_path / "cli.tar.gz"
    p = offtui("bundle", str(cap), "-o", str(out))
    assert p.returncode == 0, p.stderr
    assert "redacted" in p.stdout and out.is_file()
    d = offtui("diagnose", str(out), "--format", "json", "--fail-on", "never")
    assert d.returncode == 0, d.stderr
    assert json.loads(d.stdout)["facts"]["conntrack"]["total"] == 12


def test_cli_bundle_unreachable_remote_is_one_line(tmp_path: Path) -> None:
    """An ssh target that cannot be reached: exit 2, one line, no file left behind."""
    # 127.0.0.1 port 1: nothing listens there (loopback only, never a real host)
    p = offtui(
        "bundle",
        "ssh://root@127.0.0.1:1",
        "-o",
        str(tmp_path / "x.tar.gz"),
        "--ssh-option",
        "BatchMode=yes",
        "--ssh-option",
        "ConnectTimeout=5",
    )
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1 and "127.0.0.1" in p.stderr
    assert not (tmp_path / "x.tar.gz").exists()


def test_bundle_of_this_host(tmp_path: Path) -> None:
    """This host, collected once; the redacted bundle diagnoses like the plain one."""
    from offtui.sources.local import collect_local

    cap = collect_local(tmp_path / "cap")
    plain = make_bundle(cap, tmp_path / "plain.tar.gz", redact=False)
    red = make_bundle(cap, tmp_path / "red.tar.gz")
    assert red.redacted and not plain.redacted
    a, b = _diagnosis(_doc(tmp_path / "plain.tar.gz")), _diagnosis(_doc(tmp_path / "red.tar.gz"))
    # the host's CPU sample times are kept, so even the load figures match
    assert a == b
