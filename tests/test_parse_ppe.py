"""PPE debugfs parser: real captures, the kernel's format strings, ib1/ib2 decoding, fuzz."""

from __future__ import annotations

import ipaddress
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offtui.parsers.ppe import (
    PPE_STATES,
    TYPES_WITH_NEW,
    TYPES_WITH_PORTS,
    decode_ib1,
    decode_ib2,
    guess_ppe_v2,
    parse_addr_info,
    parse_ppe,
)
from tests.capture_files import read_capture_file

# Counts below were taken with, per file:
#   grep -v '^# ' F | grep -oE '^[0-9a-f]{5} (UNB|BND|FIN) +(IPv4 5T|...|6RD|UNKNOWN)' \
#     | sed -E 's/^[0-9a-f]{5} //; s/ +/ /' | sort | uniq -c
# and non-entry, non-blank body lines with
#   grep -v '^# ' F | grep -vcE '^[0-9a-f]{5} (UNB|BND|FIN)|^$'
EXPECTED = {
    "ppe-openwrt17915-1.txt": ({("BND", "IPv4 5T"): 4}, 4),
    "ppe-openwrt19206-1.txt": ({("UNB", "IPv4 5T"): 3}, 0),
    "ppe-openwrtpr22533-1.txt": ({("UNB", "IPv4 5T"): 3}, 1),
    "ppe-openwrtpr3952-1.txt": ({("UNB", "IPv4 5T"): 4, ("UNB", "6RD"): 1}, 1),
    "ppe-openwrtwiki-wed-1.txt": ({("BND", "IPv4 5T"): 1}, 0),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts_per_state_and_type(name: str) -> None:
    by_state_type, unparsed = EXPECTED[name]
    r = parse_ppe(read_capture_file(name).body)
    assert Counter((e.state, e.type) for e in r.value) == by_state_type
    assert r.unparsed_count == unparsed


def test_17915_interleaved_timestamps_and_conntrack_are_unparsed() -> None:
    cap = read_capture_file("ppe-openwrt17915-1.txt")
    r = parse_ppe(cap.body)
    # Body lines (cat -n of the body): 1 "17:14:30", 2 conntrack, 3-4 PPE, 5 blank (ignored),
    # 6 "17:14:31", 7 conntrack, 8-9 PPE.
    assert [u.line_no for u in r.unparsed] == [1, 2, 6, 7]
    assert r.unparsed[0].text == "17:14:30"
    assert r.unparsed[1].text.startswith("ipv4     2 udp")
    first = r.value[0]
    assert first.line_no == 3
    assert first.index == 0x0252A
    assert first.orig == "x.x.x.x:3578->y.y.y.y:38720"
    assert first.new == "x.x.x.x:3578->192.168.81.11:38720"
    assert (first.eth_src, first.eth_dst) == ("34:60:f9:8d:f8:68", "aa:aa:aa:aa:aa:aa")
    assert first.etype == "0400"
    assert first.vlan == (0, 0)
    assert (first.ib1, first.ib2) == (0x614108EF, 0x007FF035)
    assert (first.packets, first.bytes, first.data) == (0, 0, None)
    assert first.extra == ()
    # Two samples of the same two entries: every printed line is returned.
    assert [e.index for e in r.value] == [0x0252A, 0x03C98, 0x0252A, 0x03C98]
    assert r.value[2].ib1 == 0x614108F1


def test_3952_old_tail_and_6rd_line() -> None:
    r = parse_ppe(read_capture_file("ppe-openwrtpr3952-1.txt").body)
    assert r.unparsed[0].reason == "shell prompt"
    assert all(e.packets is None and e.bytes is None for e in r.value)
    six = [e for e in r.value if e.type == "6RD"]
    assert len(six) == 1
    e = six[0]
    assert e.index == 0x00368
    assert e.new is None  # IPv6 types print no new=
    assert e.orig == (
        "2a02:0c7f:5c60:9000:e598:44f6:b9f0:5898->2a01:00d0:e6c6:0000:add1:01e4:badd:0a07"
    )
    (src, sport), (dst, dport) = parse_addr_info(e.orig, e.type)
    assert (sport, dport) == (None, None)
    assert ipaddress.ip_address(src) == ipaddress.ip_address(
        "2a02:c7f:5c60:9000:e598:44f6:b9f0:5898"
    )
    assert dst.endswith(":0a07")
    garbage = r.value[0]
    assert garbage.etype == "62b0" and garbage.vlan == (24455, 0)


def test_wiki_wed_entry_masked_and_decoded() -> None:
    (e,) = parse_ppe(read_capture_file("ppe-openwrtwiki-wed-1.txt").body).value
    assert e.orig == "xxx:11068->10.1.10.241:33328"
    assert e.eth_src == "xx:xx:xx:xx:xx:xx"
    assert e.vlan == (0, 129)
    # The printed type (IPv4 5T) only decodes from ib1 with the v1 mask: a v1 SoC.
    assert decode_ib1(e.ib1, v2=False)["packet_type_name"] == "IPv4 5T"
    assert decode_ib1(e.ib1, v2=True)["packet_type_name"] != "IPv4 5T"
    assert guess_ppe_v2([e]) is False
    ib1 = decode_ib1(e.ib1, v2=False)
    assert ib1["state"] == "BND" and ib1["udp"] is False
    ib2 = decode_ib2(e.ib2, v2=False)
    # 0x007e0060: WDMA_WINFO (bit 17) with PORT_MG's low bits clear -> Wi-Fi (WED) target;
    # PSE port 3 is the port mtk_ppe_offload.c uses for WDMA on v1.
    assert ib2["wdma"] is True and ib2["dest_port"] == 3


def test_ib_decoding_of_wired_entries() -> None:
    r = parse_ppe(read_capture_file("ppe-openwrt17915-1.txt").body)
    e = r.value[0]
    ib1 = decode_ib1(e.ib1, v2=False)
    assert (ib1["state"], ib1["packet_type_name"], ib1["udp"]) == ("BND", "IPv4 5T", True)
    # 0x614108ef: bits 18:16 = 1 -> one VLAN layer (mtk_foe_entry_set_dsa() adds one for the
    # DSA tag; etype=0400 carries the DSA port), bit 19 clear -> no PPPoE.
    assert ib1["pppoe"] is False and ib1["vlan_layers"] == 1
    assert ib1["unbind_packets"] is None
    # 0x007ff035: PORT_MG = 0x3f as mtk_foe_entry_prepare() sets it -> not WDMA.
    assert decode_ib2(e.ib2, v2=False)["wdma"] is False
    assert guess_ppe_v2(r.value) is False
    unb = parse_ppe(read_capture_file("ppe-openwrt19206-1.txt").body).value
    d = decode_ib1(unb[0].ib1, v2=True)  # 0x1000086a
    assert d["state"] == "UNB" and d["pppoe"] is None and d["unbind_packets"] == 0x08
    # Type bits are 0 in both layouts for these entries: the layout cannot be told.
    assert guess_ppe_v2(unb) is None


def test_v2_wdma_bit() -> None:
    assert decode_ib2(1 << 19, v2=True)["wdma"] is True
    assert decode_ib2(1 << 17, v2=True)["wdma"] is False
    assert decode_ib2(0x9 << 9, v2=True)["dest_port"] == 9


# --- variants of real lines (each edit stated) ---------------------------------------------

# ppe-openwrt19206-1.txt body line 1, unchanged.
REAL_NEW_TAIL = (
    "00464 UNB IPv4 5T orig=192.168.54.4:50853->157.148.61.140:443 new=0.0.0.0:0->0.0.0.0:0 "
    "eth=00:00:00:00:00:00->00:00:00:00:00:00 etype=0000 vlan=0,0 ib1=1000086a ib2=00000000 "
    "packets=0 bytes=0"
)


def test_airoha_data_field() -> None:
    # Edit: " data=00000000" inserted after etype=, as airoha_ppe_debugfs.c prints it.
    line = REAL_NEW_TAIL.replace("etype=0000 ", "etype=0000 data=00000000 ")
    (e,) = parse_ppe(line).value
    assert e.data == 0 and e.packets == 0


def test_airoha_type_without_orig() -> None:
    # Edit: type replaced by "    L2B" and orig=/new= removed: airoha_ppe_debugfs.c prints no
    # address info for a type it has no case for.
    line = REAL_NEW_TAIL.replace(
        "IPv4 5T orig=192.168.54.4:50853->157.148.61.140:443 new=0.0.0.0:0->0.0.0.0:0 ",
        "    L2B ",
    ).replace("etype=0000 ", "etype=0000 data=00000000 ")
    (e,) = parse_ppe(line).value
    assert (e.type, e.orig, e.new) == ("L2B", "", None)


def test_unknown_type_prints_null_addresses() -> None:
    # Edit: type "UNKNOWN" and orig=(null)->(null) without new=: mtk_print_addr() of the NULL
    # pointers the driver leaves for a type it has no case for (%pI4h prints "(null)").
    line = REAL_NEW_TAIL.replace(
        "IPv4 5T orig=192.168.54.4:50853->157.148.61.140:443 new=0.0.0.0:0->0.0.0.0:0",
        "UNKNOWN orig=(null)->(null)",
    )
    (e,) = parse_ppe(line).value
    assert e.type == "UNKNOWN" and e.orig == "(null)->(null)"


def test_unknown_trailing_field_kept() -> None:
    # Edit: a field this parser does not know appended.
    (e,) = parse_ppe(REAL_NEW_TAIL + " future=7").value
    assert e.extra == ("future=7",)


def test_truncated_line_is_unparsed() -> None:
    # Edit: the real line cut after "etype=0000" (as a paste cut mid-line would be).
    cut = REAL_NEW_TAIL[: REAL_NEW_TAIL.index(" vlan=")]
    r = parse_ppe(cut)
    assert r.value == []
    assert r.unparsed_count == 1
    assert "vlan=" in r.unparsed[0].reason and "ib1=" in r.unparsed[0].reason


# --- property: lines generated from the kernel's format string parse back ------------------

_ipv4 = st.ip_addresses(v=4).map(str)
_ipv6_full = st.ip_addresses(v=6).map(lambda a: a.exploded)
_port = st.integers(0, 65535)
_mac = st.binary(min_size=6, max_size=6).map(lambda b: ":".join(f"{x:02x}" for x in b))
_u32 = st.integers(0, 2**32 - 1)
_u16 = st.integers(0, 65535)
_u64 = st.integers(0, 2**64 - 1)


def _addr_info(draw, ptype: str) -> str:
    if ptype == "UNKNOWN":
        return "(null)->(null)"
    addr = _ipv6_full if ptype in ("IPv6 3T", "IPv6 5T", "6RD") else _ipv4
    ends = []
    for _ in range(2):
        a = draw(addr)
        ends.append(f"{a}:{draw(_port)}" if ptype in TYPES_WITH_PORTS else a)
    return "->".join(ends)


@st.composite
def ppe_lines(draw):
    ptype = draw(st.sampled_from(["IPv4 5T", "IPv4 3T", "DS-LITE", "IPv6 3T", "IPv6 5T", "6RD"]))
    ptype = draw(st.sampled_from([ptype, "UNKNOWN"]))
    state = draw(st.sampled_from(PPE_STATES))
    index = draw(st.integers(0, 0x7FFF))
    tail = draw(st.sampled_from(["old", "acct", "airoha"]))
    f = {
        "index": index,
        "state": state,
        "type": ptype,
        "orig": _addr_info(draw, ptype),
        "new": _addr_info(draw, ptype) if ptype in TYPES_WITH_NEW else None,
        "eth": (draw(_mac), draw(_mac)),
        "etype": draw(_u16),
        "vlan": (draw(_u16), draw(_u16)),
        "ib1": draw(_u32),
        "ib2": draw(_u32),
        "data": draw(_u32) if tail == "airoha" else None,
        "acct": (draw(_u64), draw(_u64)) if tail != "old" else None,
    }
    # "%05x %s %7s" then orig/new then the tail, as mtk_ppe_debugfs.c / airoha_ppe_debugfs.c;
    # printf-style on purpose, to read like the kernel's seq_printf() format strings.
    line = "%05x %s %7s" % (index, state, ptype)  # noqa: UP031
    line += " orig=" + f["orig"]
    if f["new"] is not None:
        line += " new=" + f["new"]
    line += " eth=%s->%s etype=%04x" % (*f["eth"], f["etype"])  # noqa: UP031
    if f["data"] is not None:
        line += " data=%08x" % f["data"]  # noqa: UP031
    line += " vlan=%d,%d ib1=%08x ib2=%08x" % (*f["vlan"], f["ib1"], f["ib2"])  # noqa: UP031
    if f["acct"] is not None:
        line += " packets=%d bytes=%d" % f["acct"]  # noqa: UP031
    return line, f


@given(ppe_lines())
def test_generated_lines_round_trip(case) -> None:
    line, f = case
    r = parse_ppe(line)
    assert r.unparsed_count == 0, r.unparsed
    (e,) = r.value
    assert (e.index, e.state, e.type) == (f["index"], f["state"], f["type"])
    assert (e.orig, e.new) == (f["orig"], f["new"])
    assert (e.eth_src, e.eth_dst) == f["eth"]
    assert e.etype == "%04x" % f["etype"]  # noqa: UP031
    assert e.vlan == f["vlan"]
    assert (e.ib1, e.ib2, e.data) == (f["ib1"], f["ib2"], f["data"])
    assert (e.packets, e.bytes) == (f["acct"] if f["acct"] else (None, None))
    assert e.extra == ()
    if e.type != "UNKNOWN":
        parsed = parse_addr_info(e.orig, e.type)
        assert parsed is not None
        assert "->".join(f"{a}:{p}" if p is not None else a for a, p in parsed) == e.orig


@given(_u32, st.booleans())
def test_decode_ib1_state_matches_bits(ib1: int, v2: bool) -> None:
    d = decode_ib1(ib1, v2)
    assert d["state_num"] == (ib1 >> 28) & 3
    assert d["udp"] == bool(ib1 & (1 << 30))
    assert 0 <= d["packet_type"] < (32 if v2 else 8)
    assert (d["pppoe"] is None) == (d["state"] not in ("BND", "FIN"))


# --- fuzz -----------------------------------------------------------------------------------

REAL_LINES = [
    line
    for name in sorted(EXPECTED)
    for line in read_capture_file(name).body.splitlines()
    if line.strip()
]


def _check_invariants(text: str) -> None:
    r = parse_ppe(text)
    nonblank = sum(1 for line in text.splitlines() if line.strip())
    assert len(r.value) + r.unparsed_count == nonblank
    assert len(r.unparsed) == min(r.unparsed_count, 200)
    for e in r.value:
        assert e.index >= 0 and e.state in PPE_STATES


@settings(max_examples=300)
@given(st.text())
def test_fuzz_arbitrary_text(text: str) -> None:
    _check_invariants(text)


@settings(max_examples=300)
@given(st.sampled_from(REAL_LINES), st.data())
def test_fuzz_mutated_real_lines(line: str, data) -> None:
    pos = data.draw(st.integers(0, len(line)))
    cut = data.draw(st.integers(0, 5))
    insert = data.draw(st.text(max_size=4))
    _check_invariants(line[:pos] + insert + line[pos + cut :])
