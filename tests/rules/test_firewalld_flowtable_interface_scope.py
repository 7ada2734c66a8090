"""firewalld-flowtable-interface-scope on the lab's firewalld capture and a variant."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Outcome, Severity
from tests.rules._misc import edit, evidence_text, grep_n, lab_copy, remove, run

ID = "firewalld-flowtable-interface-scope"


def _only_veth_a(tmp_path: Path) -> Path:
    # the lab firewalld capture with veth-b left out of the flowtable: NftablesFlowtable and
    # the flowtable's devices line in `nft list ruleset` both edited to veth-a only; the JSON
    # ruleset (not edited) is dropped so that the text is the only ruleset.
    cap = lab_copy(tmp_path, "firewalld")
    edit(
        cap,
        "etc/firewalld/firewalld.conf",
        "NftablesFlowtable=veth-a veth-b",
        "NftablesFlowtable=veth-a",
    )
    edit(cap, "commands/nft_list_ruleset", "devices = { veth-a, veth-b }", "devices = { veth-a }")
    remove(cap, "commands/nft_-j_list_ruleset")
    return cap


def test_firewalld_flowtable_interface_scope_fires_when_a_forwarding_device_is_left_out(
    tmp_path: Path,
) -> None:
    cap = _only_veth_a(tmp_path)
    # forwarded flows 10.0.1.2 -> 10.0.2.2 (grep -c 'dst=10.0.2.2' proc/net/nf_conntrack: 4
    # when written); the route 10.0.2.0/24 dev veth-b puts their replies on veth-b.
    n = len(grep_n(cap, "proc/net/nf_conntrack", "dst=10.0.2.2 "))
    assert n > 0
    res = run(ID, cap)
    assert res.outcome == Outcome.FINDING
    (f,) = res.findings
    assert f.severity == Severity.WARNING
    ev = evidence_text(res)
    assert f"veth-b: carries {n} forwarded conntrack flow(s), not in the flowtable" in ev
    assert "devices = { veth-a }" in ev
    assert "NftablesFlowtable=veth-a veth-b" in f.fix


def test_firewalld_flowtable_interface_scope_passes_on_lab_firewalld(tmp_path: Path) -> None:
    res = run(ID, lab_copy(tmp_path, "firewalld"))
    assert res.outcome == Outcome.PASS
    assert "veth-a, veth-b" in res.reason


def test_firewalld_flowtable_interface_scope_skips_without_firewalld(tmp_path: Path) -> None:
    assert run(ID, lab_copy(tmp_path, "routed-sfo")).outcome == Outcome.SKIPPED
