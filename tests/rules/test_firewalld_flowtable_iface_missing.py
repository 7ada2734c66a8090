"""firewalld-flowtable-iface-missing on the lab's firewalld captures (bad device and good)."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Outcome, Severity
from tests.rules._misc import edit, evidence_text, lab_copy, run

ID = "firewalld-flowtable-iface-missing"


def test_firewalld_flowtable_iface_missing_fires_as_error_on_empty_table(tmp_path: Path) -> None:
    # firewalld--bad-device: NftablesFlowtable=veth-a veth-b nosuch0; after the failed reload
    # `nft list ruleset` holds `table inet firewalld {` + `}` and nothing in between.
    cap = lab_copy(tmp_path, "firewalld--bad-device")
    assert "table inet firewalld {\n}" in (cap / "commands/nft_list_ruleset").read_text()
    res = run(ID, cap)
    assert res.outcome == Outcome.FINDING
    (f,) = res.findings
    assert f.severity == Severity.ERROR
    ev = evidence_text(res)
    assert "NftablesFlowtable=veth-a veth-b nosuch0" in ev
    assert "no such device: nosuch0" in ev
    assert "table inet firewalld { } (empty)" in ev
    assert "not filtering at all" in f.message
    assert "NftablesFlowtable=veth-a veth-b/'" in f.fix


def test_firewalld_flowtable_iface_missing_fires_as_warning_before_reload(tmp_path: Path) -> None:
    # the good lab firewalld with one edit: nosuch0 appended to NftablesFlowtable (the
    # running ruleset still has its flowtable: the next reload is what fails)
    cap = lab_copy(tmp_path, "firewalld")
    edit(
        cap,
        "etc/firewalld/firewalld.conf",
        "NftablesFlowtable=veth-a veth-b",
        "NftablesFlowtable=veth-a veth-b nosuch0",
    )
    res = run(ID, cap)
    (f,) = res.findings
    assert f.severity == Severity.WARNING
    assert "no such device: nosuch0" in evidence_text(res)
    assert "next start or reload" in f.message


def test_firewalld_flowtable_iface_missing_passes_on_lab_firewalld(tmp_path: Path) -> None:
    assert run(ID, lab_copy(tmp_path, "firewalld")).outcome == Outcome.PASS
