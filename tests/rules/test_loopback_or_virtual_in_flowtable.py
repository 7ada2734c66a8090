"""loopback-or-virtual-in-flowtable on real rulesets and a variant listing `lo`."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Outcome, Severity
from tests.rules._misc import (
    capture_body,
    edit,
    evidence_text,
    grep_n,
    lab_copy,
    place,
    remove,
    run,
)

ID = "loopback-or-virtual-in-flowtable"


def test_loopback_or_virtual_in_flowtable_fires_on_lo(tmp_path: Path) -> None:
    # device-missing (real: flowtable ft on veth-a only, while veth-b forwards) with one edit:
    # `lo` added to the flowtable's devices, as in nixos-bpir3-example issue 7; JSON dropped.
    cap = lab_copy(tmp_path, "device-missing")
    edit(cap, "commands/nft_list_ruleset", "devices = { veth-a }", "devices = { lo, veth-a }")
    remove(cap, "commands/nft_-j_list_ruleset")
    res = run(ID, cap)
    assert res.outcome == Outcome.FINDING
    (f,) = res.findings
    assert f.severity == Severity.INFO
    ev = evidence_text(res)
    assert "devices = { lo, veth-a }" in ev
    assert "lo: loopback (link_type loopback" in ev
    # the forwarded flows' other side, veth-b, is in no flowtable; by the routes every flow
    # to 10.0.2.2 uses it (grep -c 'dst=10.0.2.2 ' proc/net/nf_conntrack: 4 when written)
    n = len(grep_n(cap, "proc/net/nf_conntrack", "dst=10.0.2.2 "))
    assert f"veth-b ({n} flows)" in f.message


def test_loopback_or_virtual_in_flowtable_fires_on_name_without_links(tmp_path: Path) -> None:
    # nft-openwrt19206-1.txt (real) with `lo` prepended to its devices; no `ip link` in the
    # capture, so the name alone decides
    cap = tmp_path / "cap"
    text = capture_body("nft-openwrt19206-1.txt")
    place(
        cap, "commands/nft_list_ruleset", text.replace("devices = { eth0,", "devices = { lo, eth0,")
    )
    res = run(ID, cap)
    assert res.outcome == Outcome.FINDING
    assert "lo (loopback)" in res.findings[0].message


def test_loopback_or_virtual_in_flowtable_passes_on_real_rulesets(tmp_path: Path) -> None:
    assert run(ID, lab_copy(tmp_path, "routed-sfo")).outcome == Outcome.PASS
    cap = tmp_path / "cap"
    place(cap, "commands/nft_list_ruleset", capture_body("nft-openwrt19206-1.txt"))
    assert run(ID, cap).outcome == Outcome.PASS
