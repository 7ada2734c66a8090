"""wed-only-5-6ghz: WED on (real dmesg and wed_enable of immortalwrt#2362) + a 2.4 GHz AP."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Outcome, Severity
from tests.rules._hw import Place, build, evidence_text, fired, outcome

RULE = "wed-only-5-6ghz"

#: immortalwrt#2362 (BE450, MT7988 + MT7992): dmesg with `attaching wed device 0 version 3`
#: on body line 16, and the reporter's `cat /sys/module/mt7996e/parameters/wed_enable` -> " Y".
DMESG = Place("dmesg-immortalwrt2362-1.txt", "commands/dmesg", keep=r"^\[")
WED_Y = Place(
    "dmesg-immortalwrt2362-1.txt", "sys/module/mt7996e/parameters/wed_enable", keep=r"^ Y$"
)
#: netifd's example /etc/config/wireless: radio0 `band 2g`, channel 11, AP `OpenWrt`.
WIRELESS = Place("openwrt-default-wireless-netifd.txt", "etc/config/wireless")


def test_fires_for_a_2g_ap_with_wed_on(tmp_path: Path) -> None:
    (f,) = fired(RULE, build(tmp_path, DMESG, WED_Y, WIRELESS))
    assert f.severity == Severity.INFO and f.subject == "radio0"
    assert "radio radio0 is 2.4 GHz (band '2g')" in f.message and "'OpenWrt'" in f.message
    ev = evidence_text(f)
    assert "wed_enable=Y" in ev
    assert "attaching wed device 0 version 3" in ev
    # the dmesg keep filter drops no line before the attach line: it stays body line 16
    assert any(e.source == "commands/dmesg" and e.line_no == 16 for e in f.evidence)
    # `config wifi-device  radio0` is the first body line of the wireless file
    assert any(e.source == "etc/config/wireless" and e.line_no == 1 for e in f.evidence)


def test_5g_radio_passes(tmp_path: Path) -> None:
    # variant: the same wireless example with `option band 2g` -> `option band 5g`, and the
    # channel line removed (11 is a 2.4 GHz channel)
    five = Place(
        "openwrt-default-wireless-netifd.txt",
        "etc/config/wireless",
        edit=lambda b: b.replace("option band     2g", "option band     5g").replace(
            "\toption channel  11\n", ""
        ),
    )
    assert outcome(RULE, build(tmp_path, DMESG, WED_Y, five))[0] == Outcome.PASS


def test_wed_off_passes(tmp_path: Path) -> None:
    # variant: wed_enable reads N (the parameter's default), no kernel log
    snap = build(tmp_path, WIRELESS, extra={"sys/module/mt7915e/parameters/wed_enable": "N\n"})
    state, reason = outcome(RULE, snap)
    assert state == Outcome.PASS and "WED is off" in reason


def test_skipped_without_wed_state(tmp_path: Path) -> None:
    state, reason = outcome(RULE, build(tmp_path, WIRELESS))
    assert state == Outcome.SKIPPED and "wed_enable" in reason
