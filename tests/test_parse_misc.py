"""os-release / openwrt_release, sysctl, PPE capacity and SoC guess."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offtui.parsers.release import parse_os_release
from offtui.parsers.sysctl import parse_sysctl_files, parse_sysctl_output, sysctl_key
from offtui.ppe_capacity import guess_soc, ppe_capacity
from tests.capture_files import read_capture_file

# --------------------------------------------------------------------------- release files


def test_host_os_release() -> None:
    # tail -n +5 host-etc-os-release.txt | grep -c '='  -> 9
    r = parse_os_release(read_capture_file("host-etc-os-release.txt").body)
    assert r.unparsed_count == 0
    assert len(r.value) == 9
    assert r.value["PRETTY_NAME"] == "Debian GNU/Linux 12 (bookworm)"
    assert r.value["VERSION_CODENAME"] == "bookworm"  # unquoted value


# openwrt/openwrt package/base-files/files/etc/openwrt_release (the template), with its %
# placeholders filled from ppe-openwrt19206-1.txt's header (SNAPSHOT r30153-583f81ef0e,
# mediatek/filogic); DISTRIB_TAINTS left empty.
OPENWRT_RELEASE = """DISTRIB_ID='OpenWrt'
DISTRIB_RELEASE='SNAPSHOT'
DISTRIB_REVISION='r30153-583f81ef0e'
DISTRIB_CODENAME='snapshot'
DISTRIB_TARGET='mediatek/filogic'
DISTRIB_DESCRIPTION='OpenWrt SNAPSHOT r30153-583f81ef0e'
DISTRIB_TAINTS=''
"""


def test_openwrt_release() -> None:
    r = parse_os_release(OPENWRT_RELEASE)
    assert r.unparsed_count == 0
    assert r.value["DISTRIB_TARGET"] == "mediatek/filogic"
    assert r.value["DISTRIB_TAINTS"] == ""
    assert len(r.value) == 7


def test_release_quoting_and_bad_lines() -> None:
    text = (
        "# comment\n"
        'A="x \\"y\\" \\$z"\n'  # os-release(5): \" \$ are escapes in double quotes
        "B='it''s'\n"  # two adjacent single-quoted words: not a single value
        'C="open\n'
        "root@OpenWrt:~# cat /etc/openwrt_release\n"
    )
    r = parse_os_release(text)
    assert r.value == {"A": 'x "y" $z'}
    assert [(u.line_no, u.reason) for u in r.unparsed] == [
        (3, "unbalanced quotes"),
        (4, "unbalanced quotes"),
        (5, "shell prompt"),
    ]


_key = st.from_regex(r"[A-Z_][A-Z0-9_]{0,12}", fullmatch=True)
_val = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=20)


@given(st.dictionaries(_key, _val, max_size=6), st.sampled_from(["'", '"']))
def test_release_round_trip(values: dict[str, str], quote: str) -> None:
    lines = []
    for k, v in values.items():
        if quote == "'":
            if "'" in v:
                continue
            lines.append(f"{k}='{v}'")
        else:
            escaped = v.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
            lines.append(f'{k}="{escaped.replace("`", chr(92) + "`")}"')
    r = parse_os_release("\n".join(lines))
    assert r.unparsed_count == 0
    expected = {k: v for k, v in values.items() if not (quote == "'" and "'" in v)}
    assert r.value == expected


@settings(max_examples=300)
@given(st.text())
def test_release_fuzz(text: str) -> None:
    r = parse_os_release(text)
    assert r.unparsed_count <= sum(1 for line in text.splitlines() if line.strip())
    assert all(k.isidentifier() for k in r.value)


# --------------------------------------------------------------------------- sysctl


def test_sysctl_output_fixture() -> None:
    # tail -n +5 host-sysctl-net-netfilter.txt | grep -c ' = '  -> 54 (every body line)
    r = parse_sysctl_output(read_capture_file("host-sysctl-net-netfilter.txt").body)
    assert r.unparsed_count == 0
    assert len(r.value) == 54
    assert r.value["net.netfilter.nf_conntrack_max"] == "262144"
    assert r.value["net.netfilter.nf_conntrack_acct"] == "0"


def test_sysctl_output_errors_and_empty_values() -> None:
    text = (
        "kernel.domainname = (none)\n"
        "net.ipv4.tcp_rmem = 4096\t131072\t6291456\n"
        "fs.empty = \n"
        "sysctl: cannot stat /proc/sys/net/netfilter/nf_flowtable_tcp_timeout: No such file\n"
        "garbage\n"
    )
    r = parse_sysctl_output(text)
    assert r.value["net.ipv4.tcp_rmem"] == "4096\t131072\t6291456"
    assert r.value["fs.empty"] == ""
    assert [u.reason for u in r.unparsed] == ["sysctl error message", "not a 'key = value' line"]


def test_sysctl_files() -> None:
    files = {
        "proc/sys/net/netfilter/nf_conntrack_max": "262144\n",
        "/proc/sys/net/netfilter/nf_flowtable_udp_timeout": "30\n",
        "proc/sys/net/ipv4/conf/eth0.7/forwarding": "1\n",
        "proc/net/nf_conntrack": "ignored",
    }
    assert parse_sysctl_files(files) == {
        "net.netfilter.nf_conntrack_max": "262144",
        "net.netfilter.nf_flowtable_udp_timeout": "30",
        "net.ipv4.conf.eth0/7.forwarding": "1",
    }
    assert sysctl_key("proc/sys/") is None


@settings(max_examples=300)
@given(st.text())
def test_sysctl_fuzz(text: str) -> None:
    r = parse_sysctl_output(text)
    nonblank = sum(1 for line in text.splitlines() if line.strip())
    assert len(r.value) + r.unparsed_count <= nonblank
    assert all("=" not in k and " " not in k for k in r.value)


@given(
    st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9_]{0,8}(\.[a-z0-9_]{1,8}){1,3}", fullmatch=True),
        st.from_regex(r"[0-9a-z]{0,6}", fullmatch=True),
        max_size=8,
    )
)
def test_sysctl_output_and_files_agree(values: dict[str, str]) -> None:
    out = "".join(f"{k} = {v}\n" for k, v in values.items())
    files = {"proc/sys/" + k.replace(".", "/"): v + "\n" for k, v in values.items()}
    assert parse_sysctl_output(out).value == values == parse_sysctl_files(files)


# --------------------------------------------------------------------------- PPE capacity


@pytest.mark.parametrize(
    ("kernel", "soc", "n", "max_index", "size", "reason_part"),
    [
        ("6.1.0-56-cloud-amd64", "mt7986", 2, None, 8192, "kernel 6.1 (MTK_PPE_ENTRIES_SHIFT 3)"),
        ("6.6.73", "mt7981", 1, 0x0070C, 8192, "MTK_PPE_ENTRIES_SHIFT 3"),
        ("6.10.14", "mt7621", 1, None, 8192, "kernel 6.10"),
        ("6.11.0", "mt7988", 3, None, 16384, "since 6.11"),
        ("6.18.31", None, 1, None, 16384, "kernel 6.18"),
        # index evidence beats the version (a vendor kernel with its own table size)
        ("6.6.73", "mt7986", 1, 0x2F3C, 16384, "index 0x2f3c > 8191 seen in this table"),
        (None, None, 1, 0x5000, 32768, "index 0x5000 > 16383"),
    ],
)
def test_ppe_capacity(kernel, soc, n, max_index, size, reason_part) -> None:
    got, reason = ppe_capacity(kernel, soc, n, max_index)
    assert got == size
    assert reason_part in reason


def test_ppe_capacity_unknown() -> None:
    assert ppe_capacity(None, "mt7986", 1, 0x1FFF) == (None, "unknown: kernel version not known")
    got, reason = ppe_capacity("6.12.0", "an7581", 1, None)
    assert got is None and "Airoha" in reason
    assert ppe_capacity("6.12.0", "an7581", 1, 0x9000)[0] == 65536


def test_ppe_capacity_of_real_tables() -> None:
    from offtui.parsers.ppe import parse_ppe

    # ppe-openwrt17915-1.txt (kernel not stated): index 03c98 = 15512 > 8191, so that table
    # has 16384 entries whatever the kernel: the evidence alone decides.
    entries = parse_ppe(read_capture_file("ppe-openwrt17915-1.txt").body).value
    top = max(e.index for e in entries)
    assert top == 0x03C98 == 15512
    assert ppe_capacity(None, None, 1, top) == (
        16384,
        "16384 entries: index 0x3c98 > 8191 seen in this table",
    )
    # ppe-openwrt19206-1.txt: largest index 0070c; no evidence beyond 8191 -> the version
    # decides (unknown without it).
    entries = parse_ppe(read_capture_file("ppe-openwrt19206-1.txt").body).value
    top = max(e.index for e in entries)
    assert top == 0x0070C
    assert ppe_capacity(None, "mt7981", 1, top)[0] is None
    assert ppe_capacity("6.6.93", "mt7981", 1, top)[0] == 8192


@given(st.integers(0, 2**20), st.sampled_from([None, "5.15.0", "6.6.1", "6.11.2", "7.0"]))
def test_ppe_capacity_holds_the_index(index: int, kernel: str | None) -> None:
    size, _ = ppe_capacity(kernel, None, 1, index)
    if size is not None:
        assert size > index and size & (size - 1) == 0 and size >= 1024


# --------------------------------------------------------------------------- SoC guess


def test_guess_soc_from_real_logs() -> None:
    nixos = read_capture_file("dmesg-nixosrouter27-1.txt").body  # mt7986-wmac, mt7986_wo_0.bin
    assert guess_soc({"commands/dmesg": nixos}) == "mt7986"
    # BE450 logs name only Wi-Fi chips (mt7996e, mt7992) and the mt7530 switch: no SoC.
    be450 = read_capture_file("dmesg-openwrt23244-1.txt").body
    assert guess_soc({"commands/dmesg": be450}) is None


def test_guess_soc_tiers() -> None:
    texts = {
        # the log mentions another SoC; the device tree is more direct
        "commands/dmesg": "[    1.0] mt7981-wmac 18000000.wifi: HW/SW Version",
        "proc/device-tree/compatible": "bananapi,bpi-r3\x00mediatek,mt7986a\x00",
    }
    assert guess_soc(texts) == "mt7986"
    assert guess_soc({"etc/openwrt_release": "DISTRIB_TARGET='ramips/mt7621'\n"}) == "mt7621"
    assert guess_soc({"etc/openwrt_release": OPENWRT_RELEASE}) is None  # filogic: a family
    assert (
        guess_soc({"proc/cpuinfo": "system type\t\t: MediaTek MT7621 ver:1, eco:3\n"}) == "mt7621"
    )
    assert guess_soc({"x": "mt7986 mt7981"}) is None  # a tie is not guessed


@settings(max_examples=200)
@given(st.dictionaries(st.text(max_size=10), st.text(max_size=60), max_size=4))
def test_guess_soc_fuzz(texts: dict[str, str]) -> None:
    from offtui.ppe_capacity import SOCS

    got = guess_soc(texts)
    assert got is None or got in SOCS
