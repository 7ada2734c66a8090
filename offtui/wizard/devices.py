"""Which devices go into the flowtable, and why (from the target's topology).

A flowtable hooks the ingress of its devices. Since Linux 5.13 (``nf_flowtable.rst``) the
kernel follows the forward path through bridges, VLANs and PPPoE, so the devices that
matter are the ones packets *arrive* on: a bridge's ports, a VLAN's lower device. Pure
functions over a :class:`~offtui.model.Snapshot`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from offtui.model import Link, Snapshot

__all__ = ["DeviceChoice", "choose_devices"]

#: Devices that never carry forwarded traffic into a flowtable (loopback-or-virtual rule).
NEVER = ("dummy", "ifb", "nlmon")
#: Layer-3 tunnels: no Ethernet header, the flowtable's neighbour path does not apply.
TUNNELS = ("wireguard", "tun", "ipip", "gre", "sit", "vti", "ip6tnl", "ip6gre", "vti6")


@dataclass(slots=True, frozen=True)
class DeviceChoice:
    name: str
    reason: str
    included: bool = True


def _kernel_ge(release: str | None, major: int, minor: int) -> bool | None:
    m = re.match(r"(\d+)\.(\d+)", release or "")
    return None if not m else (int(m[1]), int(m[2])) >= (major, minor)


def _routed(snap: Snapshot) -> list[str]:
    out: list[str] = []
    for r in snap.routes or []:
        usable = r.dev and r.dev != "lo" and r.table in (None, "main")
        if usable and r.type in (None, "unicast") and r.dev not in out:
            out.append(r.dev)
    if not out:
        for a in snap.addresses or []:
            if a.dev != "lo" and a.dev not in out:
                out.append(a.dev)
    return out


def _resolve(snap: Snapshot, name: str, why: str, out: list[DeviceChoice], depth: int = 0) -> None:
    links = snap.links or {}
    link: Link | None = links.get(name)
    new_kernel = _kernel_ge(snap.system.kernel, 5, 13) is not False
    if depth > 4 or link is None:
        out.append(DeviceChoice(name, why))
        return
    if link.kind == "loopback" or link.link_type == "loopback" or name == "lo":
        out.append(DeviceChoice(name, "loopback: never forwards traffic", included=False))
        return
    if link.kind in NEVER:
        out.append(DeviceChoice(name, f"{link.kind} device: never forwards", included=False))
        return
    if link.kind in TUNNELS:
        out.append(
            DeviceChoice(name, f"{link.kind} tunnel: no Ethernet path to offload", included=False)
        )
        return
    if link.kind == "bridge" and new_kernel:
        ports = [lk.name for lk in links.values() if lk.master == name]
        if ports:
            for p in ports:
                _resolve(snap, p, f"port of bridge {name} ({why})", out, depth + 1)
            return
    if link.kind in ("vlan", "macvlan") and link.link and new_kernel:
        tag = f"VLAN {link.vlan_id} " if link.vlan_id is not None else ""
        _resolve(
            snap,
            link.link,
            f"lower device of {tag}{name}: its ingress hook parses the tag ({why})",
            out,
            depth + 1,
        )
        return
    if link.kind == "dsa" or link.slave_kind == "dsa":
        out.append(DeviceChoice(name, f"DSA user port ({why}); hardware offload uses its conduit"))
        return
    if link.link_type == "ppp" or link.kind == "ppp":
        out.append(DeviceChoice(name, f"PPPoE/PPP device, hooked as itself as fw4 does ({why})"))
        return
    out.append(DeviceChoice(name, why))


def choose_devices(
    snap: Snapshot, requested: list[str] | None = None
) -> tuple[list[DeviceChoice], list[str]]:
    """The flowtable's devices with a reason each, and errors (unknown requested devices).

    Without ``requested``: every device the main routing table uses (the forwarding
    interfaces), resolved to the devices packets arrive on.
    """
    links = snap.links
    errors: list[str] = []
    raw: list[DeviceChoice] = []
    if requested:
        for name in requested:
            if links is not None and name not in links:
                errors.append(f"{name}: no such device on the target")
                continue
            raw.append(DeviceChoice(name, "chosen by you"))
            lk = (links or {}).get(name)
            if lk is not None and lk.kind == "bridge":
                raw[-1] = DeviceChoice(
                    name, "chosen by you; a bridge: listing its ports is what the kernel hooks"
                )
    else:
        for dev in _routed(snap):
            _resolve(snap, dev, f"routes use {dev}", raw)
    seen: set[str] = set()
    out: list[DeviceChoice] = []
    for c in raw:
        if c.name in seen:
            continue
        seen.add(c.name)
        out.append(c)
    return out, errors
