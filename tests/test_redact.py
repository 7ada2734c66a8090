"""Redaction tables: classes and subnets kept, consistent across files, never an original."""

from __future__ import annotations

import ipaddress
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from offtui.bundle import Redactor, address_class
from offtui.parsers.ppe import parse_ppe
from offtui.parsers.uci import parse_uci
from tests.capture_files import all_capture_names, read_capture_file

KEY = b"t" * 32


def _redact(files: dict[str, str], key: bytes = KEY) -> tuple[Redactor, dict[str, str]]:
    r = Redactor(key)
    for n, t in files.items():
        r.scan(n, t)
    r.finish()
    return r, {n: r.redact(n, t) for n, t in files.items()}


# ----------------------------------------------------------------------------- classes


REAL_ADDRESSES = [
    # from the real captures (conntrack-ubicloud1009-1, ppe-openwrtpr3952-1, ppe-openwrt17915-1,
    # lab-serve-proc-net-nf_conntrack) and the classes a router holds
    "172.16.217.175",
    "77.172.168.59",
    "192.168.1.166",
    "42.1.0.208",
    "192.168.81.11",
    "10.0.1.2",
    "100.72.13.9",
    "169.254.10.20",
    "127.0.0.1",
    "0.0.0.0",
    "224.0.0.251",
    "255.255.255.255",
    "255.255.255.0",
    "2a01:d0:e6c6:0:add1:1e4:badd:a07",
    "fe80::da58:d7ff:fe01:203",
    "fd12:3456:789a:1::1",
    "ff02::1",
    "::1",
    "::",
    "::ffff:192.168.1.5",
    "64:ff9b::8.8.8.8",
    "2001:db8::1",
]


def test_every_class_is_kept() -> None:
    r, _ = _redact({"commands/x": " ".join(REAL_ADDRESSES)})
    for a in REAL_ADDRESSES:
        orig = ipaddress.ip_address(a)
        new = r.ips.map(orig)
        assert new.version == orig.version, a
        assert address_class(new) == address_class(orig), (a, str(new))
    # what stays as it is names no one
    for a in (
        "127.0.0.1",
        "0.0.0.0",
        "224.0.0.251",
        "255.255.255.0",
        "ff02::1",
        "::1",
        "2001:db8::1",
    ):
        assert r.ips.map(ipaddress.ip_address(a)) == ipaddress.ip_address(a)
    # the public pools are not CGNAT (the sos clean mistake) and not a real network
    for a in ("77.172.168.59", "42.1.0.208"):
        new = r.ips.map(ipaddress.ip_address(a))
        assert new in ipaddress.ip_network("244.0.0.0/6")
        assert new not in ipaddress.ip_network("100.64.0.0/10")
    assert r.ips.map(
        ipaddress.ip_address("2a01:d0:e6c6:0:add1:1e4:badd:a07")
    ) in ipaddress.ip_network("3fff::/20")


v4_private = st.builds(
    lambda a, b, c: (
        ipaddress.IPv4Address(f"192.168.{a}.{b}")
        if c
        else ipaddress.IPv4Address(f"10.{a}.{a ^ b}.{b}")
    ),
    st.integers(0, 255),
    st.integers(1, 254),
    st.booleans(),
)
v4_public = st.builds(
    lambda a, b, c, d: ipaddress.IPv4Address(f"{a}.{b}.{c}.{d}"),
    st.sampled_from([8, 31, 77, 81, 157, 176, 185, 213]),
    st.integers(0, 255),
    st.integers(0, 3),
    st.integers(1, 254),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(v4_private, v4_public), min_size=1, max_size=40, unique=True),
    st.binary(min_size=32, max_size=32),
)
def test_injective_subnet_keeping_never_an_original(addrs: list, key: bytes) -> None:
    r, _ = _redact({"proc/net/nf_conntrack": "\n".join(f"src={a}" for a in addrs)}, key)
    images = [r.ips.map(a) for a in addrs]
    assert len(set(images)) == len(images)  # injective
    assert not set(images) & set(addrs)  # no redacted address equals a real one
    for a, b, ia, ib in zip(addrs, addrs[1:], images, images[1:], strict=False):
        same = ipaddress.ip_network(f"{a}/24", strict=False) == ipaddress.ip_network(
            f"{b}/24", strict=False
        )
        same_i = ipaddress.ip_network(f"{ia}/24", strict=False) == ipaddress.ip_network(
            f"{ib}/24", strict=False
        )
        assert same == same_i
        assert int(a) & 0xFF == int(ia) & 0xFF  # the host part stays: .1 is still .1
        assert address_class(a) == address_class(ia)


def test_named_prefix_keeps_its_members() -> None:
    # `ip -j addr` names 81.2.68.0/22 through local+prefixlen; its gateway is another /24
    files = {
        # `ip -j addr show` and `ip -j route show`, cut to the keys used here
        "commands/ip_-j_addr_show": '[{"ifname":"wan","addr_info":[{"family":"inet",'
        '"local":"81.2.69.160","prefixlen":22}]}]',
        "commands/ip_-j_route_show": '[{"dst":"default","gateway":"81.2.68.1","dev":"wan"}]',
    }
    r, _ = _redact(files)
    net = ipaddress.ip_network(f"{r.ips.map(ipaddress.ip_address('81.2.69.160'))}/22", strict=False)
    assert r.ips.map(ipaddress.ip_address("81.2.68.1")) in net


def test_consistent_across_formats() -> None:
    """One address, one MAC: the same tokens in conntrack, PPE, nft set, UCI and ip JSON."""
    ct = read_capture_file("lab-serve-proc-net-nf_conntrack.txt").body.splitlines()[3]
    assert ct.startswith("ipv4     2 udp      17 src=10.0.1.2 dst=10.0.2.2 ")
    ppe = read_capture_file("ppe-openwrt19206-1.txt").body.splitlines()[0]
    fw = read_capture_file("lab-fw-nft-list-ruleset.txt").body.splitlines()
    nft = next(ln for ln in fw if ln.startswith("\t\tip6 daddr { ::/96, "))
    files = {
        # the real UDP line of lab-serve with its two addresses replaced by the PPE's ones
        "proc/net/nf_conntrack": ct.replace("10.0.1.2", "192.168.54.4").replace(
            "10.0.2.2", "157.148.61.140"
        )
        + "\n",
        "sys/kernel/debug/ppe0/entries": ppe + "\n",  # orig=192.168.54.4:50853->157.148.61.140
        # firewalld's anonymous-set rule, as its IPv4 twin with two of the addresses above
        "commands/nft_list_ruleset": "\t\tip daddr { 157.148.61.140, 192.168.54.0/24 }"
        + nft.split("}", 1)[1]
        + "\n",
        # an OpenWrt static lease (config host: ip, mac)
        "etc/config/dhcp": "config host\n\toption ip '192.168.54.4'\n"
        "\toption mac 'D8:58:D7:01:02:03'\n",
        # `ip -j -d link show`, cut to the two keys used here
        "commands/ip_-j_-d_link_show": '[{"ifname":"eth0","address":"d8:58:d7:01:02:03"}]',
    }
    r, out = _redact(files)
    lan = str(r.ips.map(ipaddress.ip_address("192.168.54.4")))
    pub = str(r.ips.map(ipaddress.ip_address("157.148.61.140")))
    assert f"src={lan} dst={pub} sport=39398" in out["proc/net/nf_conntrack"]
    assert f"orig={lan}:50853->{pub}:443" in out["sys/kernel/debug/ppe0/entries"]
    assert f"{{ {pub}, {lan.rsplit('.', 1)[0]}.0/24 }}" in out["commands/nft_list_ruleset"]
    assert f"option ip '{lan}'" in out["etc/config/dhcp"]
    mac = re.search(r"option mac '(\S+)'", out["etc/config/dhcp"]).group(1)  # type: ignore[union-attr]
    assert mac.isupper() and mac.startswith("D8:58:D7:") and mac != "D8:58:D7:01:02:03"
    assert f'"address":"{mac.lower()}"' in out["commands/ip_-j_-d_link_show"]


def test_ppe_ipv6_full_form_stays_parseable() -> None:
    """The 6RD entry of ppe-openwrtpr3952-1 (full-form IPv6) and every other entry still parse."""
    body = read_capture_file("ppe-openwrtpr3952-1.txt").body
    _, out = _redact({"sys/kernel/debug/mtk_ppe/entries": body})
    before, after = parse_ppe(body), parse_ppe(out["sys/kernel/debug/mtk_ppe/entries"])
    # 5 entries: grep -cE '^[0-9a-f]{5} ' ppe-openwrtpr3952-1.txt
    assert len(before.value) == len(after.value) == 5
    assert before.unparsed_count == after.unparsed_count
    six = next(e for e in after.value if e.type == "6RD")
    src = six.orig.split("->")[0]
    assert re.fullmatch(r"(?:[0-9a-f]{4}:){7}[0-9a-f]{4}", src) and src.startswith("3fff:")


def test_uci_stays_uci() -> None:
    body = read_capture_file("openwrt-default-network-netifd.txt").body
    _, out = _redact({"etc/config/network": body})
    a, b = parse_uci(body, "network"), parse_uci(out["etc/config/network"], "network")
    assert a.unparsed_count == b.unparsed_count
    assert [(s.type, s.name, sorted(s.options)) for s in a.value.sections] == [
        (s.type, s.name, sorted(s.options)) for s in b.value.sections
    ]
    wan = next(s for s in b.value.sections if s.name == "wan")
    # "foo"/"bar" are too short to chase everywhere: replaced where they are, nowhere else
    assert wan.options["username"] == "user-1" and wan.options["password"] == "secret-1"
    lo = next(s for s in b.value.sections if s.name == "loopback")
    assert lo.options["ipaddr"] == "127.0.0.1" and lo.options["netmask"] == "255.0.0.0"


def test_defaults_are_not_secrets() -> None:
    files = {
        "commands/uname_-a": "Linux OpenWrt 6.6.73 #0 SMP Mon Jan 20 2025 aarch64 GNU/Linux\n",
        "etc/openwrt_release": "DISTRIB_ID='OpenWrt'\n",
    }
    _, out = _redact(files)
    assert out == files


def test_mac_spellings_and_kept_macs() -> None:
    # eth= MAC of ppe-openwrtpr3952-1, spelled the ways logs and configs spell MACs
    text = "a 34:CE:00:66:CD:0E b 34-ce-00-66-cd-0e c 34ce0066cd0e d ff:ff:ff:ff:ff:ff "
    text += "e 01:00:5e:00:00:fb\n"
    r, out = _redact({"commands/logread": text})
    new = r.macs.map(0x34CE0066CD0E)
    assert new >> 24 == 0x34CE00 and new != 0x34CE0066CD0E
    h = f"{new:012x}"
    pairs = [h[i : i + 2] for i in range(0, 12, 2)]
    want = f"a {':'.join(pairs).upper()} b {'-'.join(pairs)} c {h} d ff:ff:ff:ff:ff:ff "
    assert out["commands/logread"] == want + "e 01:00:5e:00:00:fb\n"


# ----------------------------------------------------------------------------- fuzz


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_any_text_never_raises(text: str) -> None:
    for name in (
        "etc/config/network",
        "commands/dmesg",
        "commands/nft_-j_list_ruleset",
        "commands/uname_-a",
    ):
        r, out = _redact({name: text})
        assert isinstance(out[name], str)
        assert r.leaks(name, out[name].encode("utf-8", "surrogatepass")) == []


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.characters(
            blacklist_characters="0123456789abcdefABCDEF:.-@", blacklist_categories=("Cs",)
        ),
        max_size=200,
    )
)
def test_text_without_addresses_is_unchanged(text: str) -> None:
    _, out = _redact({"proc/net/nf_conntrack": text})
    assert out["proc/net/nf_conntrack"] == text


_REAL_LINES = [
    ln
    for n in all_capture_names()
    for ln in read_capture_file(n).body.splitlines()
    if re.search(r"\d+\.\d+\.\d+\.\d+|:[0-9a-f]{1,4}:|[0-9a-f]{2}:[0-9a-f]{2}:", ln)
][:400]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(_REAL_LINES), st.integers(0, 300), st.text(max_size=5))
def test_mutated_real_lines_never_raise_and_never_leak(line: str, at: int, junk: str) -> None:
    mutated = line[:at] + junk + line[at:]
    r, out = _redact({"commands/dmesg": mutated})
    assert r.leaks("commands/dmesg", out["commands/dmesg"].encode("utf-8", "surrogatepass")) == []


@settings(max_examples=100, deadline=None)
@given(st.lists(st.ip_addresses(), min_size=1, max_size=20, unique=True))
def test_round_trip_of_generated_addresses(addrs: list) -> None:
    """Every generated address, written as a tool would, maps to one address of its class."""
    text = "\n".join(f"src={a} dst={a.exploded if a.version == 6 else a}" for a in addrs)
    r, out = _redact({"proc/net/nf_conntrack": text})
    lines = out["proc/net/nf_conntrack"].splitlines()
    assert len(lines) == len(addrs)
    for a, ln in zip(addrs, lines, strict=True):
        m = re.fullmatch(r"src=(\S+) dst=(\S+)", ln)
        assert m, ln
        x, y = ipaddress.ip_address(m.group(1)), ipaddress.ip_address(m.group(2))
        assert x == y == r.ips.map(a)
        assert address_class(x) == address_class(a)
