"""pppoe-vlan-device-selection on a real fw4 flowtable of openwrt#10224 and the VLAN lab."""

from __future__ import annotations

from pathlib import Path

from tests.rules._net import body_lines, evidence_text, fires, lab, lab_variant, passes, placed

ID = "pppoe-vlan-device-selection"
NFT = "nft-openwrt10224-1.txt"


def _snap(tmp_path: Path, first: int, last: int):
    # Body lines 1-5 of the capture are block (1), stock 22.03 fw4's `flowtable ft` with
    # eth0..eth2 and the radios; lines 13-17 are block (3), the user's `myft` with br-lan and
    # the pppoe devices. /etc/config/network is netifd's real example config: wan is proto
    # pppoe over br-lan2, a bridge of eth0.3 and eth0.5 (VLANs on eth0). Two real files
    # combined; neither is edited.
    return placed(
        tmp_path,
        {"etc/config/network": ("openwrt-default-network-netifd.txt", None)},
        raw={"commands/nft_list_ruleset": body_lines(NFT, first, last)},
    )


def test_fires_when_software_flowtable_lists_the_pppoe_lower_device(tmp_path: Path) -> None:
    res = fires(_snap(tmp_path, 1, 5), ID)
    (f,) = res.findings
    assert f.subject == "/ft/pppoe-wan"
    assert "lists eth0 (under pppoe-wan) instead of pppoe-wan" in f.message
    ev = evidence_text(res)
    assert "devices = { eth0, eth1, eth2, phy0-ap0, phy1-ap0 }" in ev
    assert "pppoe-wan: PPPoE over br-lan2 -> eth0.3 -> eth0.5 -> eth0" in ev


def test_passes_when_the_flowtable_lists_upper_devices(tmp_path: Path) -> None:
    passes(_snap(tmp_path, 13, 17), ID)


def test_vlan_lower_device_is_fine_on_6_1() -> None:
    # Lab: flowtable { veth-a, veth-b }, WAN routed through veth-b.7; 6.1 offloads it.
    res = passes(lab("vlan-pppoe-devices--lower"), ID)
    assert "veth-b under VLAN veth-b.7" in res.reason


def test_vlan_lower_device_fires_before_5_13(tmp_path: Path) -> None:
    # The same lab capture with one edit: the kernel release in `uname -a` reads 5.10.0-28
    # instead of 6.1.0-56 (VLAN discovery in the flowtable came with 5.13).
    snap = lab_variant(
        tmp_path,
        "vlan-pppoe-devices--lower",
        edits={"commands/uname_-a": lambda t: t.replace("6.1.0-56-cloud-amd64", "5.10.0-28")},
    )
    res = fires(snap, ID)
    (f,) = res.findings
    assert "lists veth-b but not the VLAN veth-b.7" in f.message
    assert "commands/ip_-j_-d_link_show: veth-b.7: vlan id 7 on veth-b" in evidence_text(res)
