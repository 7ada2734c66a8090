"""ppe-low-rate-flows-stay-unbound on real `entries` dumps full of UNB lines."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Outcome, Severity
from tests.rules._hw import Place, build, evidence_text, fired, outcome

RULE = "ppe-low-rate-flows-stay-unbound"


def _hfo_on(body: str) -> str:
    # variant of firewall4's default /etc/config/firewall: hardware offload switched on
    return body.replace(
        "config defaults\n",
        "config defaults\n\toption flow_offloading\t1\n\toption flow_offloading_hw\t1\n",
        1,
    )


def test_fires_on_unbound_entries_with_hfo(tmp_path: Path) -> None:
    # openwrt/openwrt PR 3952 (MT7621, HW NAT): 5 UNB entries
    #   grep -v '^# ' ppe-openwrtpr3952-1.txt | grep -c ' UNB ' -> 5
    snap = build(
        tmp_path,
        Place("ppe-openwrtpr3952-1.txt", "sys/kernel/debug/mtk_ppe/entries"),
        Place("openwrt-default-firewall.txt", "etc/config/firewall", edit=_hfo_on),
    )
    (f,) = fired(RULE, snap)
    assert f.severity == Severity.INFO
    assert f.message.startswith("5 PPE entries are unbound (UNB) against 0 bound")
    ev = evidence_text(f)
    assert "flow_offloading_hw '1'" in ev
    # three UNB lines quoted with the packet count ib1 keeps while unbound (bits 23:8)
    unb = [e for e in f.evidence if " UNB " in e.text]
    assert len(unb) == 3 and all("packets while unbound" in e.text for e in unb)
    # body line 1 is the poster's `cat` prompt; the first UNB lines are 2, 3, 4
    assert [e.line_no for e in unb] == [2, 3, 4]


def test_same_system_with_a_software_flowtable_passes(tmp_path: Path) -> None:
    # openwrt/openwrt#19206 (GL-MT3000): 3 UNB entries and, from the same report, the
    # ruleset: flowtable ft without `flags offload`. Nothing binds without hardware offload.
    snap = build(
        tmp_path,
        Place("ppe-openwrt19206-1.txt", "sys/kernel/debug/ppe0/entries"),
        Place("nft-openwrt19206-1.txt", "commands/nft_list_ruleset"),
    )
    state, reason = outcome(RULE, snap)
    assert state == Outcome.PASS and "hardware offload is off" in reason


def test_bind_file_only_is_skipped(tmp_path: Path) -> None:
    snap = build(tmp_path, Place("ppe-openwrtwiki-wed-1.txt", "sys/kernel/debug/ppe0/bind"))
    state, reason = outcome(RULE, snap)
    assert state == Outcome.SKIPPED and "ppe0/entries" in reason
