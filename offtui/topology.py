"""Joining facts across sources: which device a flow uses, and what a flowtable covers.

Pure functions over a :class:`~offtui.model.Snapshot`; rules and the per-flow explanation
share them so that both say the same thing.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from offtui.model import Flow, Flowtable, Link, Route, Snapshot

IPAddr = ipaddress.IPv4Address | ipaddress.IPv6Address


def _addr(text: str | None) -> IPAddr | None:
    if not text:
        return None
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None  # masked ("x.x.x.x") or redacted beyond recognition


#: Compiled routing tables and address lookups of the last few snapshots. Rules and the
#: flow explanation ask for the devices of every flow (10,000s of lookups per snapshot), so
#: each routes list is compiled once and each address looked up once. Keyed by the list's
#: id, with the list itself kept so an id can never be reused while cached.
_ROUTES: dict[int, tuple[list[Route], list[tuple[object, str]], dict[str, str | None]]] = {}
_LOCAL: dict[int, tuple[object, frozenset[str]]] = {}
_KEEP = 2


def _compiled(routes: list[Route]) -> tuple[list[tuple[object, str]], dict[str, str | None]]:
    hit = _ROUTES.get(id(routes))
    if hit is not None and hit[0] is routes:
        return hit[1], hit[2]
    table: list[tuple[object, str]] = []
    for r in routes:
        if r.table not in (None, "main") or r.dev is None or r.type not in (None, "unicast"):
            continue
        try:
            if r.dst == "default":
                default = "::/0" if r.family == "inet6" else "0.0.0.0/0"
                table.append((ipaddress.ip_network(default), r.dev))
            else:
                table.append((ipaddress.ip_network(r.dst, strict=False), r.dev))
        except ValueError:
            continue
    # longest prefix first (the first network holding an address is its route)
    table.sort(key=lambda nd: -nd[0].prefixlen)  # type: ignore[attr-defined]
    if len(_ROUTES) >= _KEEP:
        _ROUTES.pop(next(iter(_ROUTES)))
    _ROUTES[id(routes)] = (routes, table, {})
    return table, _ROUTES[id(routes)][2]


def route_device(snap: Snapshot, address: str | None) -> str | None:
    """The device the main table routes ``address`` to (longest prefix match), or None."""
    if not address or not snap.routes:
        return None
    table, seen = _compiled(snap.routes)
    if address in seen:
        return seen[address]
    ip = _addr(address)
    dev = None
    if ip is not None:
        for net, d in table:
            if net.version == ip.version and ip in net:  # type: ignore[attr-defined]
                dev = d
                break
    seen[address] = dev
    return dev


def local_addresses(snap: Snapshot) -> frozenset[str]:
    """Addresses configured on this host (``ip -j addr show``)."""
    addrs = snap.addresses or []
    hit = _LOCAL.get(id(addrs))
    if hit is not None and hit[0] is addrs:
        return hit[1]
    out = frozenset(a.local for a in addrs)
    if len(_LOCAL) >= _KEEP:
        _LOCAL.pop(next(iter(_LOCAL)))
    _LOCAL[id(addrs)] = (addrs, out)
    return out


@dataclass(slots=True, frozen=True)
class FlowPath:
    """Where a forwarded flow enters and leaves, as far as the capture tells."""

    in_dev: str | None  # device the original direction arrives on
    out_dev: str | None  # device the original direction leaves on
    local: str | None  # "to" / "from" when the router itself is an end of the flow


def flow_path(snap: Snapshot, flow: Flow) -> FlowPath:
    """Ingress and egress device of a flow from the routing table (None when unknown).

    The original direction arrives from ``orig.src`` and, after any DNAT, is delivered to
    ``reply.src``; routes toward those two addresses name the devices.
    """
    mine = local_addresses(snap)
    local = None
    if flow.orig.dst in mine or flow.reply.src in mine:
        local = "to"
    elif flow.orig.src in mine:
        local = "from"
    return FlowPath(
        in_dev=route_device(snap, flow.orig.src),
        out_dev=route_device(snap, flow.reply.src),
        local=local,
    )


def lower_devices(snap: Snapshot, dev: str) -> list[str]:
    """Devices under ``dev``: a bridge's ports, a VLAN's parent (recursively), itself first."""
    links = snap.links or {}
    out = [dev]
    seen = {dev}
    queue = [dev]
    while queue:
        cur = queue.pop(0)
        for link in links.values():
            if link.name in seen:
                continue
            if link.master == cur and links.get(cur) is not None and links[cur].kind == "bridge":
                out.append(link.name)
                seen.add(link.name)
                queue.append(link.name)
        lk = links.get(cur)
        if lk is not None and lk.link and lk.link not in seen and lk.kind in ("vlan", "macvlan"):
            out.append(lk.link)
            seen.add(lk.link)
            queue.append(lk.link)
    return out


def upper_devices(snap: Snapshot, dev: str) -> list[str]:
    """Devices stacked on ``dev``: its bridge, VLANs on it (recursively), itself first."""
    links = snap.links or {}
    out = [dev]
    queue = [dev]
    while queue:
        cur = queue.pop(0)
        lk = links.get(cur)
        ups: list[str] = []
        if lk is not None and lk.master:
            ups.append(lk.master)
        ups += [
            link.name
            for link in links.values()
            if link.link == cur and link.kind in ("vlan", "macvlan")
        ]
        for u in ups:
            if u not in out:
                out.append(u)
                queue.append(u)
    return out


def flowtables_covering(snap: Snapshot, dev: str | None) -> list[Flowtable]:
    """Flowtables that hook ``dev`` directly or through a device under or over it.

    Since Linux 5.13 a flowtable on bridge ports or on the lower device of a VLAN/PPPoE also
    finds flows routed through the upper device (``nf_flowtable.rst``).
    """
    if dev is None:
        return []
    related = set(lower_devices(snap, dev)) | set(upper_devices(snap, dev))
    return [ft for ft in snap.flowtables if related & set(ft.devices)]


def bridge_of(snap: Snapshot, dev: str) -> Link | None:
    links = snap.links or {}
    lk = links.get(dev)
    if lk is not None and lk.master and links.get(lk.master) and links[lk.master].kind == "bridge":
        return links[lk.master]
    return None


def carrying_devices(snap: Snapshot) -> dict[str, int]:
    """{device: number of flows that enter or leave through it}, from routes (forwarded flows)."""
    out: dict[str, int] = {}
    if snap.conntrack is None or not snap.routes:
        return out
    for flow in snap.conntrack.flows():
        path = flow_path(snap, flow)
        if path.local:
            continue
        for dev in {path.in_dev, path.out_dev}:
            if dev:
                out[dev] = out.get(dev, 0) + 1
    return out
