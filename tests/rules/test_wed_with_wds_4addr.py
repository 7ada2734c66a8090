"""wed-with-wds-4addr: WED on (immortalwrt#2362) and a WDS wifi-iface."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Outcome, Severity
from tests.rules._hw import Place, build, evidence_text, fired, outcome

RULE = "wed-with-wds-4addr"

DMESG = Place("dmesg-immortalwrt2362-1.txt", "commands/dmesg", keep=r"^\[")


def _wds(body: str) -> str:
    # variant of netifd's example wireless config: `option wds 1` added to wifi-iface vif0
    return body.replace("\toption mode     ap\n", "\toption mode     ap\n\toption wds      1\n")


def test_fires_for_wds_iface(tmp_path: Path) -> None:
    wl = Place("openwrt-default-wireless-netifd.txt", "etc/config/wireless", edit=_wds)
    (f,) = fired(RULE, build(tmp_path, DMESG, wl))
    assert f.severity == Severity.WARNING and f.subject == "vif0"
    ev = evidence_text(f)
    assert "attaching wed device 0 version 3" in ev
    assert "config wifi-iface 'vif0': device 'radio0', mode 'ap', wds '1'" in ev
    # `config wifi-iface vif0` is body line 9 of the wireless file (grep -n)
    assert any(e.source == "etc/config/wireless" and e.line_no == 9 for e in f.evidence)


def test_no_wds_passes(tmp_path: Path) -> None:
    wl = Place("openwrt-default-wireless-netifd.txt", "etc/config/wireless")
    state, reason = outcome(RULE, build(tmp_path, DMESG, wl))
    assert state == Outcome.PASS and "WDS" in reason


def test_wed_off_passes(tmp_path: Path) -> None:
    wl = Place("openwrt-default-wireless-netifd.txt", "etc/config/wireless", edit=_wds)
    snap = build(tmp_path, wl, extra={"sys/module/mt7915e/parameters/wed_enable": "N\n"})
    assert outcome(RULE, snap)[0] == Outcome.PASS
