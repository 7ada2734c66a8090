"""wifi-roaming-stale-flows on netifd's real wireless example and real rulesets."""

from __future__ import annotations

from pathlib import Path

from tests.capture_files import read_capture_file
from tests.rules._net import evidence_text, fires, lab, passes, placed

ID = "wifi-roaming-stale-flows"
WIRELESS = "openwrt-default-wireless-netifd.txt"


def _two_radios() -> str:
    # netifd's example /etc/config/wireless (radio0, 2g, iface vif0 with SSID OpenWrt) with one
    # edit: its radio0 and vif0 sections copied once more as radio1 (band 5g, channel 36) and
    # vif1 on radio1, same SSID: a dual-band AP where clients roam between bands.
    body = read_capture_file(WIRELESS).body
    blocks = body.split("\n\n")
    radio = next(b for b in blocks if b.startswith("config wifi-device  radio0"))
    iface = next(b for b in blocks if b.startswith("config wifi-iface vif0"))
    radio1 = (
        radio.replace("radio0", "radio1")
        .replace("band     2g", "band     5g")
        .replace("channel  11", "channel  36")
    )
    iface1 = iface.replace("vif0", "vif1").replace("radio0", "radio1")
    assert radio1 != radio and iface1 != iface
    return body.rstrip("\n") + "\n\n" + radio1 + "\n\n" + iface1 + "\n"


def test_fires_when_flowtable_lists_radios_directly(tmp_path: Path) -> None:
    # openwrt#19206's hand-written flowtable: devices = { eth0, phy0-ap0, phy1-ap0 }.
    snap = placed(
        tmp_path,
        {"commands/nft_list_ruleset": ("nft-openwrt19206-1.txt", None)},
        raw={"etc/config/wireless": _two_radios()},
    )
    res = fires(snap, ID)
    (f,) = res.findings
    assert "SSID 'OpenWrt' is served by 2 radios" in f.message
    assert "lists the Wi-Fi devices phy0-ap0, phy1-ap0 directly" in f.message
    ev = evidence_text(res)
    assert "etc/config/wireless: SSID 'OpenWrt' on radio0, radio1" in ev
    assert "flowtable ip main ft: devices = { eth0, phy0-ap0, phy1-ap0 }" in ev


def test_passes_with_one_radio(tmp_path: Path) -> None:
    snap = placed(
        tmp_path,
        {
            "commands/nft_list_ruleset": ("nft-openwrt19206-1.txt", None),
            "etc/config/wireless": (WIRELESS, None),
        },
    )
    res = passes(snap, ID)
    assert "no SSID is served by two radios" in res.reason


def test_passes_when_flowtable_lists_no_wifi_device(tmp_path: Path) -> None:
    snap = placed(
        tmp_path,
        {"commands/nft_list_ruleset": ("lab-serve-nft-list-ruleset.txt", None)},
        raw={"etc/config/wireless": _two_radios()},
    )
    passes(snap, ID)


def test_passes_on_a_host_without_wireless_config() -> None:
    # routed-sfo's manifest records /etc/config/wireless as missing (a Debian router).
    res = passes(lab("routed-sfo"), ID)
    assert "no /etc/config/wireless" in res.reason
