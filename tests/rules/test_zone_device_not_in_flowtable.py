"""zone-device-not-in-flowtable on the lab's device-missing capture and its controls (all real)."""

from __future__ import annotations

from tests.rules._net import evidence_text, fires, lab, passes, run

ID = "zone-device-not-in-flowtable"


def test_fires_on_lab_device_missing_and_names_the_slow_direction() -> None:
    # Lab scenario device-missing: flowtable { veth-a }, flows routed veth-a -> veth-b.
    # Counted by hand: `grep -c OFFLOAD proc/net/nf_conntrack` = 4 (all 4 lines); the JSON
    # listing's counters (`grep -o '"counter": *{[^}]*}' commands/nft_-j_list_ruleset`) are
    # 6 packets (original) and 1664 packets (reply).
    res = fires(lab("device-missing"), ID)
    (f,) = res.findings
    assert f.subject == "veth-b"
    assert "4 forwarded flow(s)" in f.message
    assert "the reply direction (packets arriving on veth-b) stays on the slow path" in f.message
    assert "4 of these flows show [OFFLOAD]" in f.message
    assert "1664 packets" in f.message
    ev = evidence_text(res)
    assert "flowtable inet fw4 ft: devices = { veth-a }" in ev
    assert "reply direction (slow path expected): 1664 packets 162768 bytes" in ev
    assert "original direction (arrives on a listed device): 6 packets 2280 bytes" in ev
    assert "proc/net/nf_conntrack: tcp src=10.0.1.2 dst=10.0.2.2 sport=39734 dport=5001" in ev
    assert "nft add flowtable inet fw4 ft '{ devices = { veth-b } ; }'" in f.fix


def test_passes_when_both_devices_are_listed() -> None:
    # routed-sfo: flowtable { veth-a, veth-b }, the same traffic; slow path flat (6/4).
    passes(lab("routed-sfo"), ID)


def test_passes_on_vlan_lower_and_upper_flowtables() -> None:
    # The WAN is veth-b.7 on veth-b: a flowtable on the lower device covers it (topology's
    # lower/upper walk), as the lab measured on 6.1 (flat counters in both variants).
    passes(lab("vlan-pppoe-devices--lower"), ID)
    passes(lab("vlan-pppoe-devices--upper"), ID)


def test_passes_without_a_flowtable_rather_than_blaming_a_device() -> None:
    res = passes(lab("routed-none"), ID)
    assert "no flowtable" in res.reason


def test_skipped_without_routes(tmp_path) -> None:
    from tests.rules._net import lab_variant

    # device-missing without `ip -j route show` (file removed): devices cannot be placed.
    snap = lab_variant(tmp_path, "device-missing", drop=("commands/ip_-j_route_show",))
    res = run(snap, ID)
    assert res.outcome == "skipped"
    assert "ip -j route show" in res.reason


def test_fw4_zone_attaching_the_device_by_device_is_named(tmp_path) -> None:
    from tests.capture_files import read_capture_file
    from tests.rules._net import lab_variant

    # device-missing plus firewall4's default /etc/config/firewall with one edit: the wan
    # zone attaches veth-b by `list device 'veth-b'` (the trap: fw4 never puts such a device
    # into its flowtable).
    fw = read_capture_file("openwrt-default-firewall.txt").body.replace(
        "\tlist   network\t\t'wan6'\n",
        "\tlist   network\t\t'wan6'\n\tlist   device\t\t'veth-b'\n",
        1,
    )
    assert "list   device" in fw
    snap = lab_variant(tmp_path, "device-missing", add={"etc/config/firewall": fw})
    res = fires(snap, ID)
    (f,) = res.findings
    assert f.subject == "veth-b"
    # wan is the second `config zone` of the file (@zone[1])
    ev = evidence_text(res)
    assert "etc/config/firewall: zone wan: option device 'veth-b'" in ev
    assert "uci set network.veth_bdev.device='veth-b'" in f.fix
    assert "uci add_list firewall.@zone[1].network='veth_bdev'" in f.fix
