"""wed-not-enabled on real WED boot logs: attach failures, a missing attach, wed_enable=N."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Outcome
from tests.rules._hw import Place, build, evidence_text, fired, outcome

RULE = "wed-not-enabled"


def _hfo_on(body: str) -> str:
    # variant of firewall4's default /etc/config/firewall: hardware offload switched on
    return body.replace(
        "config defaults\n",
        "config defaults\n\toption flow_offloading\t1\n\toption flow_offloading_hw\t1\n",
        1,
    )


HFO = Place("openwrt-default-firewall.txt", "etc/config/firewall", edit=_hfo_on)


def test_fires_when_the_wo_firmware_is_missing(tmp_path: Path) -> None:
    # ghostbuster91/nixos-router#27 (BPI-R3, MT7986): the WO firmware is missing, so the
    # attach fails; body lines 3 and 4
    snap = build(tmp_path, Place("dmesg-nixosrouter27-1.txt", "commands/dmesg"))
    assert snap.system.soc == "mt7986"
    (f,) = fired(RULE, snap)
    assert "Direct firmware load for mediatek/mt7986_wo_0.bin failed with error -2" in f.message
    ev = evidence_text(f)
    assert "failed to attach wed device" in ev
    assert {e.line_no for e in f.evidence if e.source == "commands/dmesg"} >= {3, 4}


def test_fires_when_the_radio_probe_fails_after_the_attach(tmp_path: Path) -> None:
    # immortalwrt#2362: attach succeeds, then `probe with driver mt7996e failed with error -22`
    snap = build(
        tmp_path,
        Place("dmesg-immortalwrt2362-1.txt", "commands/dmesg", keep=r"^\["),
        Place(
            "dmesg-immortalwrt2362-1.txt",
            "sys/module/mt7996e/parameters/wed_enable",
            keep=r"^ Y$",
        ),
    )
    (f,) = fired(RULE, snap)
    assert "probe with driver mt7996e failed with error -22" in f.message
    assert "wed_enable=Y" in evidence_text(f)


def test_fires_when_enabled_but_never_attached(tmp_path: Path) -> None:
    # openwrt/mt76#815 (RT-AX59U, MT7986): the reporter's wed_enable reads Y (stated in the
    # issue; written here as the parameter file), and the boot log has no attach line at all
    snap = build(
        tmp_path,
        Place("dmesg-mt76-815-1.txt", "commands/dmesg"),
        extra={"sys/module/mt7915e/parameters/wed_enable": "Y\n"},
    )
    (f,) = fired(RULE, snap)
    assert "no `attaching wed device` line" in f.message
    assert "wed_enable=Y" in evidence_text(f)


def test_passes_once_wed_attached(tmp_path: Path) -> None:
    # variant: immortalwrt#2362's boot log up to the WO firmware lines (body lines 1-18),
    # before the later probe error
    dmesg = Place(
        "dmesg-immortalwrt2362-1.txt",
        "commands/dmesg",
        keep=r"^\[ +12\.",
    )
    state, reason = outcome(RULE, build(tmp_path, dmesg))
    assert state == Outcome.PASS and "attaching wed device 0 version 3" in reason


def test_fires_with_wed_off_and_hfo_on(tmp_path: Path) -> None:
    # openwrt/openwrt#23244 (BE450, MT7988 + MT7992, 6.18.31): its dmesg excerpt lost the
    # attach line. Variants: wed_enable for mt7996e reads N; fw4 hardware offload on.
    dmesg = Place("dmesg-openwrt23244-1.txt", "commands/dmesg")
    snap = build(tmp_path, dmesg, HFO, extra={"sys/module/mt7996e/parameters/wed_enable": "N\n"})
    (f,) = fired(RULE, snap)
    assert "wed_enable=N" in f.message
    ev = evidence_text(f)
    assert "wed_enable=N" in ev and "flow_offloading_hw '1'" in ev
    assert "loaded: mt7996e" in ev  # its parameter file exists only while it is loaded


def test_wed_off_without_hfo_passes(tmp_path: Path) -> None:
    dmesg = Place("dmesg-openwrt23244-1.txt", "commands/dmesg")
    fw = Place("openwrt-default-firewall.txt", "etc/config/firewall")
    snap = build(tmp_path, dmesg, fw, extra={"sys/module/mt7996e/parameters/wed_enable": "N\n"})
    state, reason = outcome(RULE, snap)
    assert state == Outcome.PASS and "hardware offload" in reason


def test_x86_host_passes(tmp_path: Path) -> None:
    # lab `routed-sfo`: uname -a ends in x86_64, modules loaded include no mt76 driver
    state, reason = outcome(RULE, build(tmp_path, lab="routed-sfo"))
    assert state == Outcome.PASS and "x86_64" in reason
