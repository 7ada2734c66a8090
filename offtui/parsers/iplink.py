"""Network devices from ``ip -j -d link show`` (JSON) and ``ip [-d] link show`` (text).

Shapes follow iproute2's ``print_linkinfo()`` (ip/ipaddress.c) and the per-kind printers
(ip/iplink_vlan.c, ip/iplink_dsa.c, ...). Text form, one block per device::

    7: eth0.7@eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master br-lan ...
        link/ether 00:11:22:33:44:55 brd ff:ff:ff:ff:ff:ff [link-netnsid 0] promiscuity 1 ...
        vlan protocol 802.1Q id 7 <REORDER_HDR> addrgenmode ...      (-d: the kind line)
        bridge_slave state forwarding priority 32 ...                (-d: the port line)

* ``name@lower``: the ``IFLA_LINK`` device: a VLAN's or macvlan's lower device, a DSA
  port's conduit, a veth's *peer*. When that device is in another namespace iproute2
  prints ``@ifN`` (JSON: ``link_index`` N with ``link_netnsid``); ``link`` is then
  ``"ifN"`` from both parsers. ``@NONE`` (JSON ``"link": null``) means no lower device.
* The kind line is only printed with ``-d``; without it ``kind`` stays None.
* DSA user ports print ``dsa conduit <dev>`` (iproute2 >= 6.7) or ``dsa master <dev>``
  (older); JSON ``info_data.conduit`` / ``info_data.master``.
* A PPPoE session is a ``ppp`` device (kind ``ppp``, ``link/ppp``, no address, no
  ``@lower``): the kernel does not expose the Ethernet device under it.
* Statistics (``-s``), ``altname``/``alias``, ``inet`` lines (``ip addr``) are read past.
"""

from __future__ import annotations

import itertools
import re

from offtui.model import Link
from offtui.parsers.common import Parsed, is_shell_prompt
from offtui.parsers.tc import _json_documents, _line

__all__ = ["parse_ip_link_json", "parse_ip_link_text"]

_HEADER_RE = re.compile(r"^(?P<index>\d+):\s+(?P<names>\S+?):\s+<(?P<flags>[^>]*)>(?P<rest>.*)$")
_KIND_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
#: Indented lines that are not a kind line.
_NOT_KIND = frozenset(
    {
        "altname",
        "alias",
        "vf",
        "prop",
        "inet",
        "inet6",
        "valid_lft",
        "link",
        "addrgenmode",
        "numtxqueues",
        "cache",
        "parentbus",
        "parentdev",
        "portname",
        "portid",
        "switchid",
    }
)
_ADDR_STOP = frozenset(
    {"brd", "peer", "promiscuity", "link-netnsid", "link-netns", "permaddr", "allmulti"}
)


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdecimal():
        return int(value)
    return None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _link_from_json(item: dict) -> Link | None:
    name = _str(item.get("ifname"))
    if not name:
        return None
    linkinfo = item.get("linkinfo") if isinstance(item.get("linkinfo"), dict) else {}
    kind = _str(linkinfo.get("info_kind"))
    data = linkinfo.get("info_data") if isinstance(linkinfo.get("info_data"), dict) else {}
    if "link" in item:
        lower = _str(item.get("link"))
    elif _int(item.get("link_index")) is not None:
        lower = f"if{_int(item.get('link_index'))}"
    else:
        lower = None
    if kind == "dsa" and lower is None:
        lower = _str(data.get("conduit")) or _str(data.get("master"))
    flags = item.get("flags")
    return Link(
        name=name,
        index=_int(item.get("ifindex")),
        kind=kind,
        slave_kind=_str(linkinfo.get("info_slave_kind")),
        master=_str(item.get("master")),
        link=lower,
        vlan_id=_int(data.get("id")) if kind == "vlan" else None,
        mtu=_int(item.get("mtu")),
        operstate=_str(item.get("operstate")),
        address=_str(item.get("address")),
        flags=tuple(f for f in flags if isinstance(f, str)) if isinstance(flags, list) else (),
        link_type=_str(item.get("link_type")),
    )


def parse_ip_link_json(text: str) -> Parsed[dict[str, Link]]:
    """Parse ``ip -j [-d] link show`` (also ``ip -j addr show``): ``{ifname: Link}``."""
    links: dict[str, Link] = {}
    result: Parsed[dict[str, Link]] = Parsed(links)
    docs, errors = _json_documents(text)
    for line_no, doc in docs:
        items = doc if isinstance(doc, list) else [doc]
        for n, item in enumerate(items):
            link = _link_from_json(item) if isinstance(item, dict) else None
            if link is None:
                result.skip(line_no, _line(text, line_no), f"item {n}: no ifname")
                continue
            links[link.name] = link
    for line_no, reason in errors:
        result.skip(line_no, _line(text, line_no), reason)
    return result


def _header(m: re.Match[str]) -> Link:
    names = m.group("names")
    name, sep, lower = names.rpartition("@")
    if not sep:
        name, lower = names, ""
    tokens = m.group("rest").split()
    values: dict[str, str] = {}
    for key, value in itertools.pairwise(tokens):
        if key in ("mtu", "master", "state", "qdisc") and key not in values:
            values[key] = value
    flags = tuple(f for f in m.group("flags").split(",") if f)
    return Link(
        name=name,
        index=int(m.group("index")),
        master=values.get("master"),
        link=None if lower in ("", "NONE") else lower,
        mtu=_int(values.get("mtu")),
        operstate=values.get("state"),
        flags=flags,
    )


def _link_line(link: Link, tokens: list[str]) -> None:
    link.link_type = tokens[0][len("link/") :] or None
    if len(tokens) > 1 and tokens[1] not in _ADDR_STOP:
        link.address = tokens[1]


def _kind_line(link: Link, tokens: list[str]) -> None:
    link.kind = tokens[0]
    pairs = dict(itertools.pairwise(tokens[1:]))
    if link.kind == "vlan":
        link.vlan_id = _int(pairs.get("id"))
    elif link.kind == "dsa" and link.link is None:
        link.link = pairs.get("conduit") or pairs.get("master")


def parse_ip_link_text(text: str) -> Parsed[dict[str, Link]]:
    """Parse ``ip [-d] [-s] link show`` (or ``ip addr``) text: ``{ifname: Link}``.

    Lines outside a device block that are not headers (prompts, other output) are
    recorded as unparsed; indented lines inside a block that are not the link, kind or
    port line are read past.
    """
    links: dict[str, Link] = {}
    result: Parsed[dict[str, Link]] = Parsed(links)
    current: Link | None = None
    seen_link_line = False
    for line_no, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        if raw[0] not in " \t":
            m = _HEADER_RE.match(raw)
            if m is None:
                reason = "shell prompt" if is_shell_prompt(raw) else "not an ip link line"
                result.skip(line_no, raw, reason)
                current = None
                continue
            current = _header(m)
            links[current.name] = current
            seen_link_line = False
            continue
        if current is None:
            result.skip(line_no, raw, "indented line outside a device block")
            continue
        tokens = raw.split()
        head = tokens[0]
        if head.startswith("link/"):
            _link_line(current, tokens)
            seen_link_line = True
        elif not seen_link_line:
            continue
        elif head.endswith("_slave") and len(head) > len("_slave"):
            current.slave_kind = head[: -len("_slave")]
        elif current.kind is None and head not in _NOT_KIND and _KIND_RE.match(head):
            _kind_line(current, tokens)
    return result
