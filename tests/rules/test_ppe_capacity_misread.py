"""ppe-capacity-misread on real PPE dumps: states the table size used, and why."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Outcome, Severity
from tests.rules._hw import Place, build, evidence_text, fired, outcome

RULE = "ppe-capacity-misread"


def test_fires_with_the_size_from_the_entry_index(tmp_path: Path) -> None:
    # openwrt/openwrt#17915: two samples of a bind file with entries 0252a and 03c98
    # (grep -cE '^[0-9a-f]{5} BND' -> 4 lines, 2 distinct indexes) and the conntrack line
    # of the same flow ([HW_OFFLOAD] in the first sample only)
    snap = build(
        tmp_path,
        Place("ppe-openwrt17915-1.txt", "sys/kernel/debug/ppe0/bind", keep=r"^[0-9a-f]{5} "),
        Place("ppe-openwrt17915-1.txt", "proc/net/nf_conntrack", keep=r"^ipv[46] "),
    )
    (f,) = fired(RULE, snap)
    assert f.severity == Severity.INFO and f.subject == "ppe"
    assert "2 bound flow entries in 1 PPE table(s) of 16384 entries each" in f.message
    assert "index 0x3c98 > 8191" in f.message  # the figure used, and why
    assert '"64 connections"' in f.message
    ev = evidence_text(f)
    assert "1 flow(s) [HW_OFFLOAD], 0 [OFFLOAD] (software) of 2 entries" in ev


def test_fires_without_a_known_size(tmp_path: Path) -> None:
    # OpenWrt wiki WED example: one BND entry, kernel not in the capture
    snap = build(tmp_path, Place("ppe-openwrtwiki-wed-1.txt", "sys/kernel/debug/ppe0/bind"))
    (f,) = fired(RULE, snap)
    assert "1 bound flow entry" in f.message and "kernel version not known" in f.message


def test_nothing_bound_passes(tmp_path: Path) -> None:
    # openwrt/openwrt#19206: 3 UNB entries, nothing bound, no conntrack
    snap = build(tmp_path, Place("ppe-openwrt19206-1.txt", "sys/kernel/debug/ppe0/entries"))
    state, reason = outcome(RULE, snap)
    assert state == Outcome.PASS and "nothing is bound" in reason


def test_skipped_without_ppe(tmp_path: Path) -> None:
    snap = build(tmp_path, lab="routed-sfo")
    state, reason = outcome(RULE, snap)
    assert state == Outcome.SKIPPED and "ppe0/entries" in reason
