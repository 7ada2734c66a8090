"""mtu-mss-slowpath on OpenWrt's real default configs and the lab's routed capture."""

from __future__ import annotations

from pathlib import Path

from tests.capture_files import read_capture_file
from tests.rules._net import evidence_text, fires, lab, lab_variant, passes, placed

ID = "mtu-mss-slowpath"
DEFAULTS = "config defaults\n\toption syn_flood\t1\n"


def _firewall(mtu_fix: bool) -> str:
    # firewall4's default /etc/config/firewall with one edit: `option flow_offloading '1'`
    # added to `config defaults`; and, when mtu_fix is False, a second edit: the wan zone's
    # `option mtu_fix\t\t1` line removed.
    body = read_capture_file("openwrt-default-firewall.txt").body
    out = body.replace(DEFAULTS, DEFAULTS + "\toption flow_offloading\t'1'\n", 1)
    if not mtu_fix:
        out = out.replace("\toption mtu_fix\t\t1\n", "", 1)
    assert out.count("mtu_fix") == (1 if mtu_fix else 0)
    return out


def _snap(tmp_path: Path, mtu_fix: bool):
    # netifd's real example /etc/config/network: interface wan is proto pppoe (-> pppoe-wan,
    # MTU 1492 by netifd's default, no `mtu` option).
    return placed(
        tmp_path,
        {"etc/config/network": ("openwrt-default-network-netifd.txt", None)},
        raw={"etc/config/firewall": _firewall(mtu_fix)},
    )


def test_fires_on_pppoe_wan_zone_without_mtu_fix(tmp_path: Path) -> None:
    res = fires(_snap(tmp_path, mtu_fix=False), ID)
    (f,) = res.findings
    assert f.subject == "zone wan"
    assert "Zone wan has no mtu_fix while pppoe-wan (MTU 1492) is below 1500" in f.message
    ev = evidence_text(res)
    assert "etc/config/firewall: zone wan: mtu_fix not set" in ev
    assert "etc/config/network: pppoe-wan: MTU 1492 (netifd default for proto pppoe)" in ev
    assert f.fix.startswith("uci set firewall.@zone[1].mtu_fix='1'")


def test_passes_with_the_default_mtu_fix(tmp_path: Path) -> None:
    passes(_snap(tmp_path, mtu_fix=True), ID)


def test_fires_on_small_mtu_flowtable_device_without_clamp(tmp_path: Path) -> None:
    # routed-sfo (plain nftables, no fw4 config) with one edit: veth-b's MTU in
    # `ip -j -d link show` 1500 -> 1420, as a WireGuard-sized uplink.
    snap = lab_variant(
        tmp_path,
        "routed-sfo",
        edits={
            "commands/ip_-j_-d_link_show": lambda t: t.replace(
                '"ifname":"veth-b","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500',
                '"ifname":"veth-b","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1420',
                1,
            )
        },
    )
    res = fires(snap, ID)
    (f,) = res.findings
    assert f.subject == "veth-b"
    assert "veth-b has MTU 1420" in f.message
    assert "commands/ip_-j_-d_link_show: veth-b: mtu 1420" in evidence_text(res)


def test_passes_on_unmodified_lab_capture() -> None:
    passes(lab("routed-sfo"), ID)
