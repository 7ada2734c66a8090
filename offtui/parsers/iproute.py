"""``ip -j addr show``, ``ip -j route show`` and ``ip -j rule show`` (iproute2's JSON)."""

from __future__ import annotations

import json

from offtui.model import Address, IpRule, Route
from offtui.parsers.common import Parsed


def _load_list(text: str, out: Parsed) -> list:
    """The JSON array iproute2 prints (several arrays when outputs were concatenated)."""
    items: list = []
    dec = json.JSONDecoder()
    pos = 0
    n = len(text)
    while pos < n:
        while pos < n and text[pos] in " \t\r\n":
            pos += 1
        if pos >= n:
            break
        try:
            obj, end = dec.raw_decode(text, pos)
        except ValueError as exc:
            line_no = text.count("\n", 0, pos) + 1
            line = text[pos:].split("\n", 1)[0]
            out.skip(line_no, line, f"not iproute2 JSON ({exc})")
            nxt = text.find("\n", pos)
            if nxt < 0:
                break
            pos = nxt + 1
            continue
        if isinstance(obj, list):
            items.extend(obj)
        else:
            out.skip(text.count("\n", 0, pos) + 1, str(obj)[:200], "expected a JSON array")
        pos = end
    return items


def parse_ip_addr_json(text: str) -> Parsed[list[Address]]:
    out: Parsed[list[Address]] = Parsed([])
    for i, item in enumerate(_load_list(text, out)):
        if not isinstance(item, dict) or not isinstance(item.get("ifname"), str):
            out.skip(i + 1, str(item)[:200], "link without ifname")
            continue
        for a in item.get("addr_info") or []:
            if not isinstance(a, dict):
                continue
            local, plen = a.get("local"), a.get("prefixlen")
            if not isinstance(local, str) or not isinstance(plen, int):
                continue
            out.value.append(
                Address(
                    dev=item["ifname"],
                    family=str(a.get("family") or ("inet6" if ":" in local else "inet")),
                    local=local,
                    prefixlen=plen,
                    scope=a.get("scope") if isinstance(a.get("scope"), str) else None,
                )
            )
    return out


def parse_ip_route_json(text: str, family: str = "inet") -> Parsed[list[Route]]:
    out: Parsed[list[Route]] = Parsed([])
    for i, item in enumerate(_load_list(text, out)):
        if not isinstance(item, dict) or not isinstance(item.get("dst"), str):
            out.skip(i + 1, str(item)[:200], "route without dst")
            continue
        dst = item["dst"]
        fam = "inet6" if ":" in dst else family
        out.value.append(
            Route(
                dst=dst,
                dev=item.get("dev") if isinstance(item.get("dev"), str) else None,
                gateway=item.get("gateway") if isinstance(item.get("gateway"), str) else None,
                table=str(item["table"]) if item.get("table") is not None else None,
                family=fam,
                protocol=item.get("protocol") if isinstance(item.get("protocol"), str) else None,
                type=item.get("type") if isinstance(item.get("type"), str) else None,
            )
        )
    return out


def parse_ip_rule_json(text: str, family: str = "inet") -> Parsed[list[IpRule]]:
    out: Parsed[list[IpRule]] = Parsed([])
    for i, item in enumerate(_load_list(text, out)):
        if not isinstance(item, dict):
            out.skip(i + 1, str(item)[:200], "rule is not an object")
            continue
        prio = item.get("priority")
        mark = item.get("fwmark")
        if mark is not None and item.get("fwmask") is not None:
            mark = f"{mark}/{item['fwmask']}"
        out.value.append(
            IpRule(
                priority=prio if isinstance(prio, int) else None,
                table=str(item["table"]) if item.get("table") is not None else None,
                fwmark=str(mark) if mark is not None else None,
                src=item.get("src") if item.get("src") not in (None, "all") else None,
                dst=item.get("dst") if item.get("dst") not in (None, "all") else None,
                iif=item.get("iif") if isinstance(item.get("iif"), str) else None,
                oif=item.get("oif") if isinstance(item.get("oif"), str) else None,
                family=family,
            )
        )
    return out
