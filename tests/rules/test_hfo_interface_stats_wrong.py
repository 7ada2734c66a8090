"""hfo-interface-stats-wrong on real bound PPE entries."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Outcome, Severity
from tests.rules._hw import Place, build, evidence_text, fired, outcome

RULE = "hfo-interface-stats-wrong"


def test_fires_on_bound_entries_and_hw_flows(tmp_path: Path) -> None:
    # openwrt/openwrt#17915: entries 0252a and 03c98 bound (two samples each), the flow
    # [HW_OFFLOAD] in the first conntrack sample
    snap = build(
        tmp_path,
        Place("ppe-openwrt17915-1.txt", "sys/kernel/debug/ppe0/bind", keep=r"^[0-9a-f]{5} "),
        Place("ppe-openwrt17915-1.txt", "proc/net/nf_conntrack", keep=r"^ipv[46] "),
    )
    (f,) = fired(RULE, snap)
    assert f.severity == Severity.INFO
    ev = evidence_text(f)
    assert "2 bound (BND) entries, e.g. 0252a BND IPv4 5T" in ev
    assert "packets=0 bytes=0" in ev
    assert "1 flow(s) tagged [HW_OFFLOAD]" in ev
    assert "undercount" in f.message and "ethtool -S" in f.fix


def test_fires_and_says_no_accounting(tmp_path: Path) -> None:
    # OpenWrt wiki WED example: the line has no packets=/bytes= fields
    snap = build(tmp_path, Place("ppe-openwrtwiki-wed-1.txt", "sys/kernel/debug/ppe0/bind"))
    (f,) = fired(RULE, snap)
    assert "no packets=/bytes=" in f.message


def test_nothing_bound_passes(tmp_path: Path) -> None:
    # openwrt/openwrt#19206: UNB entries only
    snap = build(tmp_path, Place("ppe-openwrt19206-1.txt", "sys/kernel/debug/ppe0/entries"))
    assert outcome(RULE, snap)[0] == Outcome.PASS
