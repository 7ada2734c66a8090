"""Netlink readers (pyroute2) whose output lands in the capture in a documented shape.

Links are written as the JSON of ``ip -j -d link show`` and conntrack entries as the text of
``conntrack -L``, so a replayed capture gives the same facts through the same parsers.
"""

from __future__ import annotations

TCP_STATES = {
    0: "NONE",
    1: "SYN_SENT",
    2: "SYN_RECV",
    3: "ESTABLISHED",
    4: "FIN_WAIT",
    5: "CLOSE_WAIT",
    6: "LAST_ACK",
    7: "TIME_WAIT",
    8: "CLOSE",
    9: "SYN_SENT2",
}
PROTO_NAMES = {
    1: "icmp",
    6: "tcp",
    17: "udp",
    33: "dccp",
    47: "gre",
    58: "icmpv6",
    132: "sctp",
    136: "udplite",
}

IPS_ASSURED = 1 << 2
IPS_SEEN_REPLY = 1 << 1
IPS_OFFLOAD = 1 << 14
#: pyroute2 has no name for it; uapi nf_conntrack_common.h: IPS_HW_OFFLOAD_BIT = 15.
IPS_HW_OFFLOAD = 1 << 15

IFF_NAMES = (
    (0x1, "UP"),
    (0x2, "BROADCAST"),
    (0x8, "LOOPBACK"),
    (0x10, "POINTOPOINT"),
    (0x80, "NOARP"),
    (0x100, "PROMISC"),
    (0x1000, "MULTICAST"),
    (0x10000, "LOWER_UP"),
)
ARPHRD = {1: "ether", 512: "ppp", 772: "loopback", 65534: "none", 776: "sit", 778: "gre"}


def dump_links() -> list[dict]:
    """All links of this network namespace, shaped like ``ip -j -d link show``."""
    from pyroute2 import IPRoute

    with IPRoute() as ipr:
        raw = list(ipr.get_links())
    names = {m["index"]: m.get_attr("IFLA_IFNAME") for m in raw}
    out = []
    for m in raw:
        flags = m["flags"]
        d: dict = {
            "ifindex": m["index"],
            "ifname": m.get_attr("IFLA_IFNAME"),
            "flags": [n for bit, n in IFF_NAMES if flags & bit],
            "mtu": m.get_attr("IFLA_MTU"),
            "operstate": m.get_attr("IFLA_OPERSTATE"),
            "link_type": ARPHRD.get(m["ifi_type"], str(m["ifi_type"])),
        }
        addr = m.get_attr("IFLA_ADDRESS")
        if addr:
            d["address"] = addr
        master = m.get_attr("IFLA_MASTER")
        if master:
            d["master"] = names.get(master, str(master))
        lower = m.get_attr("IFLA_LINK")
        if lower and lower != m["index"]:
            if lower in names:
                d["link"] = names[lower]
            else:
                d["link_index"] = lower
        if m.get_attr("IFLA_LINK_NETNSID") is not None:
            d["link_netnsid"] = m.get_attr("IFLA_LINK_NETNSID")
        info = m.get_attr("IFLA_LINKINFO")
        if info:
            li: dict = {}
            kind = info.get_attr("IFLA_INFO_KIND")
            if kind:
                li["info_kind"] = kind
            skind = info.get_attr("IFLA_INFO_SLAVE_KIND")
            if skind:
                li["info_slave_kind"] = skind
            data = info.get_attr("IFLA_INFO_DATA")
            if kind == "vlan" and data is not None:
                vid = data.get_attr("IFLA_VLAN_ID")
                if vid is not None:
                    li["info_data"] = {"protocol": "802.1Q", "id": vid}
            if li:
                d["linkinfo"] = li
        out.append(d)
    return out


def _tuple_text(t) -> tuple[str, int | None, str]:
    ip = t.get_attr("CTA_TUPLE_IP")
    src = dst = "?"
    if ip is not None:
        src = ip.get_attr("CTA_IP_V4_SRC") or ip.get_attr("CTA_IP_V6_SRC") or "?"
        dst = ip.get_attr("CTA_IP_V4_DST") or ip.get_attr("CTA_IP_V6_DST") or "?"
    parts = [f"src={src}", f"dst={dst}"]
    proto = t.get_attr("CTA_TUPLE_PROTO")
    num = None
    if proto is not None:
        num = proto.get_attr("CTA_PROTO_NUM")
        sp, dp = proto.get_attr("CTA_PROTO_SRC_PORT"), proto.get_attr("CTA_PROTO_DST_PORT")
        if sp is not None and dp is not None:
            parts += [f"sport={sp}", f"dport={dp}"]
        for key, name in (
            ("CTA_PROTO_ICMP_TYPE", "type"),
            ("CTA_PROTO_ICMP_CODE", "code"),
            ("CTA_PROTO_ICMP_ID", "id"),
            ("CTA_PROTO_ICMPV6_TYPE", "type"),
            ("CTA_PROTO_ICMPV6_CODE", "code"),
            ("CTA_PROTO_ICMPV6_ID", "id"),
        ):
            v = proto.get_attr(key)
            if v is not None:
                parts.append(f"{name}={v}")
    return " ".join(parts), num, src


def _counters(msg, attr: str) -> str:
    c = msg.get_attr(attr)
    if c is None:
        return ""
    return f" packets={c.get_attr('CTA_COUNTERS_PACKETS')} bytes={c.get_attr('CTA_COUNTERS_BYTES')}"


def conntrack_line(msg) -> str:
    """One conntrack netlink message as ``conntrack -L`` prints it."""
    orig, num, _ = _tuple_text(msg.get_attr("CTA_TUPLE_ORIG"))
    reply, _, _ = _tuple_text(msg.get_attr("CTA_TUPLE_REPLY"))
    num = num or 0
    name = PROTO_NAMES.get(num, "unknown")
    status = msg.get_attr("CTA_STATUS") or 0
    head = f"{name:<8} {num} "
    timeout = msg.get_attr("CTA_TIMEOUT")
    if timeout is not None and not status & IPS_OFFLOAD:
        head += f"{timeout} "
    if num == 6 and not status & IPS_OFFLOAD:
        pinfo = msg.get_attr("CTA_PROTOINFO")
        tcp = pinfo.get_attr("CTA_PROTOINFO_TCP") if pinfo is not None else None
        st = tcp.get_attr("CTA_PROTOINFO_TCP_STATE") if tcp is not None else None
        if st is not None:
            head += f"{TCP_STATES.get(st, 'NONE')} "
    line = head + orig + _counters(msg, "CTA_COUNTERS_ORIG") + " "
    if not status & IPS_SEEN_REPLY:
        line += "[UNREPLIED] "
    line += reply + _counters(msg, "CTA_COUNTERS_REPLY") + " "
    if status & IPS_HW_OFFLOAD:
        line += "[HW_OFFLOAD] "
    elif status & IPS_OFFLOAD:
        line += "[OFFLOAD] "
    elif status & IPS_ASSURED:
        line += "[ASSURED] "
    mark = msg.get_attr("CTA_MARK")
    line += f"mark={mark or 0} "
    zone = msg.get_attr("CTA_ZONE")
    if zone:
        line += f"zone={zone} "
    line += f"use={msg.get_attr('CTA_USE') or 0}"
    return line


def dump_conntrack() -> str:
    """The conntrack table of this network namespace as ``conntrack -L`` text."""
    from pyroute2 import Conntrack

    lines = []
    with Conntrack() as ct:
        # dump() asks for AF_UNSPEC: both families in one walk.
        for msg in ct.dump():
            lines.append(conntrack_line(msg))
    return "".join(line + "\n" for line in lines)
