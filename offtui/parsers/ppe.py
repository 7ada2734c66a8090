"""MediaTek / Airoha PPE debugfs tables: ``/sys/kernel/debug/ppe<N>/{entries,bind}``.

One line per FOE entry whose state is not INVALID. Sources of the line shape:

- ``drivers/net/ethernet/mediatek/mtk_ppe_debugfs.c`` (torvalds/linux @002c6ca7, the form
  without accounting; LorenzoBianconi/net-next @05f9b46e, the form with accounting)::

      "%05x %s %7s", i, state_str, type_str
      " orig=" addr_info            (every type)
      " new=" addr_info             (IPv4 5T, DS-LITE, IPv4 3T only)
      " eth=%pM->%pM etype=%04x vlan=%d,%d ib1=%08x ib2=%08x"
      " packets=%llu bytes=%llu"    (kernels with flow accounting)

  ``addr_info`` is ``mtk_print_addr_info()``: ``%pI4h`` (IPv4) or ``%pI6`` (IPv6: eight
  zero-padded groups, never compressed), then ``:%d`` when the type has ports, ``->``, the
  same for the destination. DS-LITE prints the *inner IPv4* tuple with ports (the driver
  reads ``entry->ipv4.orig``), not the IPv6 tunnel. ``IPv4 3T`` has no ports, ``6RD`` and
  ``IPv6 3T`` print IPv6 without ports, ``IPv6 5T`` appends the port after the eighth group.
  An ``UNKNOWN`` type (e.g. the L2 bridge type 2) leaves the address pointers NULL, and
  ``%pI4h`` of NULL prints ``(null)``: ``orig=(null)->(null)``.
- ``drivers/net/ethernet/airoha/airoha_ppe_debugfs.c`` (torvalds/linux @81dd582d): the same
  prefix (type ``L2B`` for the bridge type), ``orig=`` printed only for known types, then
  ``" eth=%pM->%pM etype=%04x data=%08x vlan=%d,%d ib1=%08x ib2=%08x packets=%llu bytes=%llu"``.

Posters mask addresses (``x.x.x.x``, ``xxx``, ``xx:xx:xx:xx:xx:xx``), so addresses and MACs
are kept as printed and only their structure (``a->b``) is checked.
"""

from __future__ import annotations

import re

from offtui.model import PpeEntry
from offtui.parsers.common import Parsed, is_shell_prompt

#: Type names exactly as the drivers print them (before ``%7s`` padding).
PPE_TYPES = ("IPv4 5T", "IPv4 3T", "DS-LITE", "IPv6 3T", "IPv6 5T", "6RD", "UNKNOWN", "L2B")
PPE_STATES = ("UNB", "BND", "FIN", "INV", "UNK")

#: Types whose addr info carries ports, and types that print ``new=``.
TYPES_WITH_PORTS = frozenset({"IPv4 5T", "DS-LITE", "IPv6 5T"})
TYPES_WITH_NEW = frozenset({"IPv4 5T", "DS-LITE", "IPv4 3T"})
IPV6_TYPES = frozenset({"IPv6 3T", "IPv6 5T", "6RD"})

_HEAD = re.compile(
    r"^(?P<idx>[0-9a-f]{5,}) (?P<state>UNB|BND|FIN|INV|UNK) +"
    r"(?P<type>IPv4 5T|IPv4 3T|DS-LITE|IPv6 3T|IPv6 5T|6RD|UNKNOWN|L2B)(?P<rest>(?: .*)?)$"
)
_HEX8 = re.compile(r"^[0-9a-f]{1,8}$")
_VLAN = re.compile(r"^(\d+),(\d+)$")
_ADDR_INFO = re.compile(r"^(?P<src>[^\s>]+?)->(?P<dst>[^\s>]+)$")

#: Fields every driver prints after the address info; a line without them was cut.
_REQUIRED_TAIL = ("eth", "etype", "vlan", "ib1", "ib2")

# ib1 / ib2 bit fields, from mtk_ppe.h (torvalds/linux @03c60192 and net-next @05f9b46e).
_IB1_STATE = (29, 28)
_IB1_UDP = 30
_IB1_STATIC = 31
_IB1_PACKET_TYPE = (27, 25)
_IB1_PACKET_TYPE_V2 = (27, 23)
_IB1_BIND_TIMESTAMP = (14, 0)
_IB1_BIND_TIMESTAMP_V2 = (7, 0)
_IB1_BIND_PPPOE = 19
_IB1_BIND_PPPOE_V2 = 17
_IB1_BIND_VLAN_LAYER = (18, 16)
_IB1_BIND_VLAN_LAYER_V2 = (16, 14)
_IB1_UNBIND_TIMESTAMP = (7, 0)
_IB1_UNBIND_PACKETS = (23, 8)
_IB1_UNBIND_PREBIND = 24

_IB2_QID = (3, 0)
_IB2_QID_V2 = (6, 0)
_IB2_PSE_QOS = 4
_IB2_PSE_QOS_V2 = 8
_IB2_DEST_PORT = (7, 5)
_IB2_DEST_PORT_V2 = (12, 9)
_IB2_MULTICAST = 8
_IB2_MULTICAST_V2 = 13
_IB2_WDMA_DEVIDX = 16
_IB2_WDMA_WINFO = 17
_IB2_WDMA_WINFO_V2 = 19
_IB2_PORT_MG_LOW = (15, 12)  # MTK_FOE_IB2_PORT_MG is GENMASK(17, 12)

#: ``mtk_foe_pkt_type_str()`` by packet-type number; BRIDGE (2) and 6 have no name.
_PKT_TYPE_NAMES = {0: "IPv4 5T", 1: "IPv4 3T", 3: "DS-LITE", 4: "IPv6 3T", 5: "IPv6 5T", 7: "6RD"}
_STATE_NAMES = {0: "INV", 1: "UNB", 2: "BND", 3: "FIN"}


def _field(value: int, bits: tuple[int, int]) -> int:
    hi, lo = bits
    return (value >> lo) & ((1 << (hi - lo + 1)) - 1)


def _bit(value: int, bit: int) -> bool:
    return bool((value >> bit) & 1)


def decode_ib1(ib1: int, v2: bool) -> dict:
    """Decode an entry's ``ib1`` word (``MTK_FOE_IB1_*`` masks of ``mtk_ppe.h``).

    ``v2`` selects the NETSYS v2/v3 layout (MT7981, MT7986, MT7988); v1 is MT7621/MT7622/
    MT7623. Bind-only fields (``pppoe``, ``vlan_layers``, ``bind_timestamp``) are ``None``
    unless the state is BND or FIN; unbind-only fields are ``None`` otherwise.
    """
    state = _field(ib1, _IB1_STATE)
    ptype = _field(ib1, _IB1_PACKET_TYPE_V2 if v2 else _IB1_PACKET_TYPE)
    bound = state in (2, 3)
    return {
        "state": _STATE_NAMES.get(state, "UNK"),
        "state_num": state,
        "packet_type": ptype,
        "packet_type_name": _PKT_TYPE_NAMES.get(ptype, "UNKNOWN"),
        "udp": _bit(ib1, _IB1_UDP),
        "static": _bit(ib1, _IB1_STATIC),
        "pppoe": _bit(ib1, _IB1_BIND_PPPOE_V2 if v2 else _IB1_BIND_PPPOE) if bound else None,
        "vlan_layers": (
            _field(ib1, _IB1_BIND_VLAN_LAYER_V2 if v2 else _IB1_BIND_VLAN_LAYER) if bound else None
        ),
        "bind_timestamp": (
            _field(ib1, _IB1_BIND_TIMESTAMP_V2 if v2 else _IB1_BIND_TIMESTAMP) if bound else None
        ),
        "unbind_packets": _field(ib1, _IB1_UNBIND_PACKETS) if state == 1 else None,
        "unbind_timestamp": _field(ib1, _IB1_UNBIND_TIMESTAMP) if state == 1 else None,
        "prebind": _bit(ib1, _IB1_UNBIND_PREBIND) if state == 1 else None,
    }


def decode_ib2(ib2: int, v2: bool) -> dict:
    """Decode an entry's ``ib2`` word (``MTK_FOE_IB2_*`` masks of ``mtk_ppe.h``).

    ``wdma`` is set when ``mtk_foe_entry_set_wdma()`` (mtk_ppe.c) marked the entry for a
    Wi-Fi (WED) device: that is how a bound entry "targets WED".
    ``dest_port`` is the PSE port (v1: 3 bits; v2: 4 bits, WDMA0/1 = 8/9).
    """
    if v2:
        wdma = _bit(ib2, _IB2_WDMA_WINFO_V2)
    else:
        # v1: WDMA_WINFO (bit 17) is also the top bit of PORT_MG (17:12), which
        # mtk_foe_entry_prepare() fills with 0x3f on every entry; set_wdma() clears PORT_MG
        # before setting WINFO (and DEVIDX, bit 16). So WDMA = bit 17 set, bits 15:12 clear.
        wdma = _bit(ib2, _IB2_WDMA_WINFO) and _field(ib2, _IB2_PORT_MG_LOW) == 0
    out = {
        "dest_port": _field(ib2, _IB2_DEST_PORT_V2 if v2 else _IB2_DEST_PORT),
        "wdma": wdma,
        "multicast": _bit(ib2, _IB2_MULTICAST_V2 if v2 else _IB2_MULTICAST),
        "qid": _field(ib2, _IB2_QID_V2 if v2 else _IB2_QID),
        "pse_qos": _bit(ib2, _IB2_PSE_QOS_V2 if v2 else _IB2_PSE_QOS),
    }
    if not v2:
        out["wdma_devidx"] = int(_bit(ib2, _IB2_WDMA_DEVIDX)) if wdma else None
    return out


def guess_ppe_v2(entries: list[PpeEntry]) -> bool | None:
    """Tell the NETSYS layout from the lines themselves.

    The driver derives the printed type from ``ib1`` with the layout's own mask, so only one
    layout decodes every printed (MediaTek) type back from ``ib1``. Returns ``None`` when
    both or neither fit (e.g. only IPv4 5T entries whose type bits are 0 in both layouts).
    """
    fits = {False: True, True: True}
    seen = False
    for e in entries:
        if e.ib1 is None or e.type in ("UNKNOWN", "L2B"):
            continue
        seen = True
        for v2 in (False, True):
            if decode_ib1(e.ib1, v2)["packet_type_name"] != e.type:
                fits[v2] = False
    if not seen or fits[False] == fits[True]:
        return None
    return fits[True]


def parse_addr_info(text: str, pkt_type: str) -> tuple[tuple[str, int | None], ...] | None:
    """Split an ``orig=``/``new=`` value into ``((src, sport), (dst, dport))``.

    Ports are split off only for types that print them (IPv6 5T: after the eighth group).
    Returns ``None`` when the value does not have the ``a->b`` shape.
    """
    m = _ADDR_INFO.match(text)
    if not m:
        return None
    out: list[tuple[str, int | None]] = []
    for part in (m["src"], m["dst"]):
        if pkt_type in TYPES_WITH_PORTS:
            addr, sep, port = part.rpartition(":")
            if not sep or not port.isdecimal() or not addr:
                return None
            out.append((addr, int(port)))
        else:
            out.append((part, None))
    return tuple(out)


def _parse_line(line: str, line_no: int) -> PpeEntry | str:
    """One PPE line -> entry, or a reason string why it is not one."""
    m = _HEAD.match(line)
    if not m:
        return "not a PPE entry line"
    ptype = m["type"]
    fields: dict[str, str] = {}
    extra: list[str] = []
    for tok in m["rest"].split():
        key, sep, value = tok.partition("=")
        if sep and key in ("orig", "new", "eth", "etype", "data", "vlan", "ib1", "ib2"):
            if key in fields:
                return f"field {key}= repeated"
            fields[key] = value
        elif sep and key in ("packets", "bytes") and value.isdecimal() and key not in fields:
            fields[key] = value
        else:
            extra.append(tok)
    missing = [k for k in _REQUIRED_TAIL if k not in fields]
    if missing:
        return "truncated PPE entry (no " + ", ".join(k + "=" for k in missing) + ")"
    for key in ("orig", "new"):
        if key in fields and not _ADDR_INFO.match(fields[key]):
            return f"bad {key}= address info"
    src, sep, dst = fields["eth"].partition("->")
    if not sep or not src or not dst:
        return "bad eth= value"
    vlan = _VLAN.match(fields["vlan"])
    if not vlan:
        return "bad vlan= value"
    for key in ("ib1", "ib2", "data"):
        if key in fields and not _HEX8.match(fields[key]):
            return f"bad {key}= value"
    if not fields["etype"]:
        return "bad etype= value"
    return PpeEntry(
        index=int(m["idx"], 16),
        state=m["state"],
        type=ptype,
        orig=fields.get("orig", ""),
        new=fields.get("new"),
        eth_src=src,
        eth_dst=dst,
        etype=fields["etype"],
        vlan=(int(vlan[1]), int(vlan[2])),
        ib1=int(fields["ib1"], 16),
        ib2=int(fields["ib2"], 16),
        packets=int(fields["packets"]) if "packets" in fields else None,
        bytes=int(fields["bytes"]) if "bytes" in fields else None,
        data=int(fields["data"], 16) if "data" in fields else None,
        extra=tuple(extra),
        line_no=line_no,
    )


def parse_ppe(text: str) -> Parsed[list[PpeEntry]]:
    """Parse a PPE ``entries`` or ``bind`` file (or a paste of one).

    Blank lines are ignored. Prompts, timestamps, conntrack lines interleaved by posters and
    cut lines are skipped with a reason. ``orig`` is ``""`` for Airoha lines of a type the
    driver prints no address for. The same index may appear twice when a paste holds two
    samples: every line is returned as printed.
    """
    result: Parsed[list[PpeEntry]] = Parsed([])
    for line_no, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not line.strip():
            continue
        if is_shell_prompt(line):
            result.skip(line_no, raw, "shell prompt")
            continue
        parsed = _parse_line(line, line_no)
        if isinstance(parsed, str):
            result.skip(line_no, raw, parsed)
        else:
            result.value.append(parsed)
    return result
