"""wed-unsupported-soc-or-direction: MT7621 has no WED; MT7986 has it both ways."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Outcome
from tests.rules._hw import Place, build, evidence_text, fired, outcome

RULE = "wed-unsupported-soc-or-direction"


def test_fires_on_mt7621(tmp_path: Path) -> None:
    # openwrt/openwrt PR 3952: Xiaomi Mi Router 3G (MT7621), OpenWrt ramips, PPE entries of
    # its HW NAT. The capture header names the target; variant: that target written as the
    # one line of /etc/openwrt_release it comes from (DISTRIB_TARGET='ramips/mt7621').
    snap = build(
        tmp_path,
        Place("ppe-openwrtpr3952-1.txt", "sys/kernel/debug/mtk_ppe/entries"),
        extra={"etc/openwrt_release": "DISTRIB_TARGET='ramips/mt7621'\n"},
    )
    (f,) = fired(RULE, snap)
    assert f.subject == "mt7621"
    assert "MT7621 has no WED" in f.message
    assert "DISTRIB_TARGET='ramips/mt7621'" in evidence_text(f)


def test_mt7986_passes(tmp_path: Path) -> None:
    # ghostbuster91/nixos-router#27: BPI-R3, the log names mt7986
    snap = build(tmp_path, Place("dmesg-nixosrouter27-1.txt", "commands/dmesg"))
    state, reason = outcome(RULE, snap)
    assert state == Outcome.PASS and "mt7986" in reason


def test_skipped_when_the_soc_is_not_named(tmp_path: Path) -> None:
    # openwrt/mt76#815: `mt798x-wmac` names no single SoC
    snap = build(tmp_path, Place("dmesg-mt76-815-1.txt", "commands/dmesg"))
    state, reason = outcome(RULE, snap)
    assert state == Outcome.SKIPPED and "SoC" in reason


def test_x86_host_passes(tmp_path: Path) -> None:
    # lab `routed-sfo`: uname -a ends in x86_64
    state, reason = outcome(RULE, build(tmp_path, lab="routed-sfo"))
    assert state == Outcome.PASS and "x86_64" in reason
