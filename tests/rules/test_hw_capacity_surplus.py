"""hw-capacity-surplus: bound PPE entries against the table size the capture implies."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Outcome, Severity
from tests.rules._hw import Place, build, evidence_text, fired, outcome

RULE = "hw-capacity-surplus"

#: openwrt/openwrt#17915: a real bound entry (body line 4 of the capture).
BND_LINE = Place("ppe-openwrt17915-1.txt", "sys/kernel/debug/ppe0/bind", keep=r"^03c98 ")


def _many(n: int) -> Place:
    """Variant: the real 03c98 BND line repeated n times with its hash index replaced by
    0..n-1 (only the 5-hex-digit index changes), as a bind file of n bound entries."""

    def edit(body: str) -> str:
        line = body.splitlines()[0]
        return "".join(f"{i:05x}{line[5:]}\n" for i in range(n))

    return Place(BND_LINE.file, BND_LINE.path, keep=BND_LINE.keep, edit=edit)


def test_fires_when_the_8192_table_is_nearly_full(tmp_path: Path) -> None:
    # lab `many-flows`: 10004 flows, all [OFFLOAD] (grep -c OFFLOAD proc/net/nf_conntrack),
    # kernel 6.1.0 (commands/uname_-a). Stitched with 7500 bound entries (variant above):
    # on 6.1 MTK_PPE_ENTRIES is 8192, so 7500 is 92 % of the table.
    snap = build(tmp_path, _many(7500), lab="many-flows")
    (f,) = fired(RULE, snap)
    assert f.severity == Severity.WARNING and f.subject == "ppe0"
    assert "92% full (7500 of 8192" in f.message
    assert "kernel 6.1 (MTK_PPE_ENTRIES_SHIFT 3)" in f.message  # which figure, and why
    assert "10004 flow(s) stay in the software fast path" in f.message
    ev = evidence_text(f)
    assert "ppe0: 7500 bound of 8192 (92%)" in ev
    assert "10004 flow(s) [OFFLOAD] (software) vs 0 [HW_OFFLOAD]" in ev
    assert f.impact == 10004


def test_same_entries_fit_a_16384_table(tmp_path: Path) -> None:
    # variant: the same 7500 entries with the kernel banner of openwrt/openwrt#23244
    # (`Linux version 6.18.31 ...`, a dmesg line) as /proc/version: since 6.11 the table
    # holds 16384 entries, so 7500 is 46 %: no surplus
    banner = Place("dmesg-openwrt23244-1.txt", "proc/version", keep=r"^\[ +0\.000000\] Linux")
    state, reason = outcome(RULE, build(tmp_path, _many(7500), banner))
    assert state == Outcome.PASS
    assert "7500 bound of 16384 (46%)" in reason and "since 6.11" in reason


def test_real_table_with_two_entries_passes(tmp_path: Path) -> None:
    # #17915 as captured: 2 entries (two samples of each), index 0x3c98 > 8191 proves a
    # 16384-entry table
    snap = build(
        tmp_path, Place("ppe-openwrt17915-1.txt", "sys/kernel/debug/ppe0/bind", r"^[0-9a-f]{5} ")
    )
    state, reason = outcome(RULE, snap)
    assert state == Outcome.PASS and "2 bound of 16384" in reason


def test_skipped_without_a_table_size(tmp_path: Path) -> None:
    # the OpenWrt wiki's WED example: one bound entry, no kernel version, low index
    snap = build(tmp_path, Place("ppe-openwrtwiki-wed-1.txt", "sys/kernel/debug/ppe0/bind"))
    state, reason = outcome(RULE, snap)
    assert state == Outcome.SKIPPED and "kernel version" in reason
