"""A seeded-secrets capture: every planted secret and every real address is gone from the bundle.

The capture mixes real captures (tests/captures, copies of ../shared/captures) with planted
secrets. Each planted file is a copy of a real one with the edit named in a comment. The test
then greps every byte of the unpacked bundle for each secret in its common spellings.
"""

from __future__ import annotations

import ipaddress
import json
import re
import tarfile
from pathlib import Path

from offtui.bundle import make_bundle
from tests.capture_files import read_capture_file

REAL = {
    # capture path -> real capture file (whole body)
    "commands/conntrack_-L": "conntrack-ubicloud1009-1.txt",  # public v4+v6, prompt host
    "proc/net/nf_conntrack": "lab-serve-proc-net-nf_conntrack.txt",
    "sys/kernel/debug/mtk_ppe/entries": "ppe-openwrtpr3952-1.txt",  # IPv6 full form, MACs
    "sys/kernel/debug/ppe0/bind": "ppe-openwrt17915-1.txt",  # MACs in eth=
    "commands/nft_list_ruleset": "nft-vyos2062-1.txt",
    "commands/nft_-j_list_ruleset": "lab-serve-nft-json-ruleset.json.txt",
    "commands/dmesg": "dmesg-nixosrouter27-1.txt",  # journal lines with the host name
    "commands/logread": "dmesg-openwrt23244-1.txt",  # prompt + kernel banner user@host
}

WG_PRIVATE = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
WG_PUBLIC = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
WG_PSK = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="
PPPOE_USER = "jdoe@isp-example"
PPPOE_PASSWORD = "Pppoe-S3cret!"
WIFI_KEY = "correct horse battery staple"
SSID = "Kitchen-Net-5G"
HOSTNAME = "jdoe-gw"
DHCP_HOST = "jdoes-laptop"
ENDPOINT = "vpn.jdoe-home.example"
WAN_V4 = "81.2.69.160"
WAN_V6 = "2a02:1210:5c4d:7f00:da58:d7ff:fe01:203"  # EUI-64 of WAN_MAC
LAN_V4 = "192.168.77.1"
LAN_CLIENT = "192.168.77.23"
WG_ADDR = "10.77.5.2"
WAN_MAC = "D8:58:D7:01:02:03"
CLIENT_MAC = "a4:83:e7:11:22:33"

# Copy of netifd's example /etc/config/network (openwrt-default-network-netifd.txt), cut to
# its lan and wan sections, with these edits: wan username/password planted, lan addresses
# planted, a wan ipaddr and macaddr added, and a WireGuard interface in the shape of the
# OpenWrt wiki's "WireGuard server" page (proto wireguard, private_key, list addresses, a
# wireguard_wg0 peer with public_key, preshared_key, endpoint_host, list allowed_ips).
NETWORK = f"""config interface lan
	option ifname	'br-lan'
	option proto	static
	option ipaddr	{LAN_V4}
	option netmask	255.255.255.0

config interface wan
	option proto	pppoe
	option ifname	br-lan2
	option username	'{PPPOE_USER}'
	option password '{PPPOE_PASSWORD}'
	option macaddr	'{WAN_MAC}'
	option ipaddr	'{WAN_V4}'

config interface 'wg0'
	option proto 'wireguard'
	option private_key '{WG_PRIVATE}'
	list addresses '{WG_ADDR}/24'

config wireguard_wg0
	option public_key '{WG_PUBLIC}'
	option preshared_key '{WG_PSK}'
	option endpoint_host '{ENDPOINT}'
	list allowed_ips '10.77.5.3/32'
"""

# Copy of netifd's example /etc/config/wireless (openwrt-default-wireless-netifd.txt), edits:
# ssid and key planted, the station MAC set to CLIENT_MAC.
WIRELESS = f"""config wifi-device  radio0
	option type     mac80211
	option band     2g

config wifi-iface vif0
	option device   radio0
	option network  lan
	option mode     ap
	option ssid     '{SSID}'
	option encryption psk2
	option key	'{WIFI_KEY}'

config wifi-station
	option iface	vif0
	option mac	{CLIENT_MAC}
"""

# OpenWrt's /etc/config/dhcp static lease section (config host: name, mac, ip), planted.
DHCP = f"""config host
	option name '{DHCP_HOST}'
	option mac '{CLIENT_MAC}'
	option ip '{LAN_CLIENT}'
"""

# `ip -j addr show` as iproute2 6.1 prints it on the development host (keys and order copied
# from its output), one interface, with the planted WAN addresses and MAC.
IP_ADDR = json.dumps(
    [
        {
            "ifindex": 2,
            "ifname": "wan",
            "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
            "mtu": 1500,
            "qdisc": "fq_codel",
            "operstate": "UP",
            "group": "default",
            "txqlen": 1000,
            "link_type": "ether",
            "address": WAN_MAC.lower(),
            "broadcast": "ff:ff:ff:ff:ff:ff",
            "addr_info": [
                {
                    "family": "inet",
                    "local": WAN_V4,
                    "prefixlen": 22,
                    "broadcast": "81.2.71.255",
                    "scope": "global",
                    "label": "wan",
                    "valid_life_time": 4294967295,
                    "preferred_life_time": 4294967295,
                },
                {
                    "family": "inet6",
                    "local": WAN_V6,
                    "prefixlen": 64,
                    "scope": "global",
                    "valid_life_time": 86400,
                    "preferred_life_time": 14400,
                },
                {
                    "family": "inet6",
                    "local": "fe80::da58:d7ff:fe01:203",
                    "prefixlen": 64,
                    "scope": "link",
                    "valid_life_time": 4294967295,
                    "preferred_life_time": 4294967295,
                },
            ],
        }
    ]
)

# `uname -a` of the development host ("Linux vm 6.18.44-fc-v769 #1 SMP PREEMPT_DYNAMIC @0
# x86_64 GNU/Linux") with the host name planted.
UNAME = f"Linux {HOSTNAME} 6.18.44-fc-v769 #1 SMP PREEMPT_DYNAMIC @0 x86_64 GNU/Linux\n"

PLANTED = {
    "etc/config/network": NETWORK,
    "etc/config/wireless": WIRELESS,
    "etc/config/dhcp": DHCP,
    "commands/ip_-j_addr_show": IP_ADDR,
    "commands/uname_-a": UNAME,
    "proc/sys/kernel/hostname": HOSTNAME + "\n",
}

#: Ranges that name no one and stay (RFC 5737 documentation, RFC 2544 benchmarking).
NOT_SECRET_V4 = [
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "198.18.0.0/15")
]

V4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]*\d)")
V6_FULL = re.compile(r"(?<![\w:])(?:[0-9a-fA-F]{4}:){7}[0-9a-fA-F]{4}")
V6_TOKEN = re.compile(r"(?<=[=\s\"'])[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}(?=[\s\"',/])")
MAC = re.compile(r"(?<![\w:])[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}(?![\w:])")


def _build(root: Path) -> dict[str, str]:
    files = {path: read_capture_file(name).body for path, name in REAL.items()}
    files.update(PLANTED)
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return files


def _secret_addresses(text: str) -> set[str]:
    """Every address in the capture that names someone (found here with plain regexes)."""
    out: set[str] = set()
    for tok in V4.findall(text):
        try:
            a = ipaddress.IPv4Address(tok)
        except ValueError:
            continue
        inv = ~int(a) & 0xFFFFFFFF
        if a.is_loopback or a.is_multicast or a.is_unspecified or int(a) >> 24 == 0:
            continue
        if (inv & (inv + 1)) == 0 or any(a in n for n in NOT_SECRET_V4):  # netmasks
            continue
        out.add(str(a))
    for tok in V6_FULL.findall(text) + V6_TOKEN.findall(text):
        try:
            a6 = ipaddress.IPv6Address(tok)
        except ValueError:
            continue
        if a6.is_loopback or a6.is_unspecified or a6.is_multicast or a6.ipv4_mapped is not None:
            continue
        if (int(a6) & ((1 << 64) - 1)) < 0x10000:
            # a small interface id (::1) is kept; its /64 is what names the network
            out.add(
                str(ipaddress.IPv6Network(f"{a6}/64", strict=False).network_address).rstrip(":")
            )
            continue
        out.add(str(a6))
    return out


def _spellings_ip(s: str) -> set[str]:
    if ":" not in s:
        return {s}
    if s.endswith(":") or s.count(":") < 2:  # a /64 prefix text such as "2a02:1210:5c4d:7f00"
        return {s, s.upper()}
    a = ipaddress.IPv6Address(s)
    forms = {a.compressed, a.exploded}
    return forms | {f.upper() for f in forms}


def _spellings_mac(m: str) -> set[str]:
    h = m.replace(":", "").replace("-", "").lower()
    pairs = [h[i : i + 2] for i in range(0, 12, 2)]
    forms = {":".join(pairs), "-".join(pairs), h}
    return forms | {f.upper() for f in forms}


def _grep(blob: str, needle: str) -> bool:
    return (
        re.search(rf"(?<![0-9A-Za-z.]){re.escape(needle)}(?![0-9A-Za-z])", blob, re.IGNORECASE)
        is not None
    )


def test_no_secret_survives_in_any_byte(tmp_path: Path) -> None:
    src = tmp_path / "cap"
    files = _build(src)
    everything = "\n".join(files.values())
    addresses = _secret_addresses(everything)
    macs = {
        m
        for m in MAC.findall(everything)
        if m.lower() not in ("00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff")
    }
    values = {
        WG_PRIVATE,
        WG_PUBLIC,
        WG_PSK,
        PPPOE_USER,
        PPPOE_PASSWORD,
        WIFI_KEY,
        SSID,
        HOSTNAME,
        DHCP_HOST,
        ENDPOINT,
        "surfer",  # journal host name in dmesg-nixosrouter27-1
        "kyoto-home-7dr7230",  # prompt host in dmesg-openwrt23244-1
        "kyoto44",  # kernel builder user in the same banner
        "vhd1jpcnf5ej7kj0wz7h9y7mta",  # prompt host in conntrack-ubicloud1009-1
        "MI-R3G",  # prompt host in ppe-openwrtpr3952-1
    }
    # counted by hand in the inputs above: the planted ones plus the real captures' public ones
    assert {WAN_V4, LAN_V4, LAN_CLIENT, WG_ADDR, WAN_V6, "176.98.95.135"} <= addresses
    assert "2a01:d0:e6c6:0:add1:1e4:badd:a07" in addresses  # the PPE's full-form IPv6
    assert len(macs) >= 6

    out = tmp_path / "bundle.tar.gz"
    res = make_bundle(src, out, keep_map=tmp_path / "map.json")
    assert res.redacted
    unpacked = tmp_path / "unpacked"
    with tarfile.open(out) as tar:
        tar.extractall(unpacked, filter="data")
    blob = "\n".join(
        p.read_bytes().decode("utf-8", "replace")
        for p in sorted(unpacked.rglob("*"))
        if p.is_file()
    )
    assert "findings" in blob  # the grep covers findings.json and report.md too

    leaked = []
    for a in sorted(addresses):
        leaked += [f for f in _spellings_ip(a) if _grep(blob, f)]
    for m in sorted(macs):
        leaked += [f for f in _spellings_mac(m) if _grep(blob, f)]
    for v in sorted(values):
        leaked += [f for f in {v, v.lower(), v.upper()} if f in blob or _grep(blob, f)]
    assert leaked == []

    # what diagnosis needs is still there: the OUI of each MAC, the class of each address
    for m in macs:
        assert m.lower()[:8] in blob.lower(), m
    kept = json.loads((tmp_path / "map.json").read_text())
    assert kept["addresses"][WAN_V4].startswith(("244.", "245.", "246.", "247."))
    assert kept["addresses"][LAN_V4].startswith("192.168.")
    assert kept["addresses"][LAN_V4].endswith(".1")
    assert kept["addresses"][WG_ADDR].startswith("10.")
    assert kept["addresses"][WAN_V6].startswith("3fff:")
    assert kept["values"]["secret"][PPPOE_PASSWORD].startswith("secret-")
    # the map itself is not in the bundle
    assert not any(p.name == "map.json" for p in unpacked.rglob("*"))
