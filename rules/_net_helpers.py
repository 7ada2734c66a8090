"""Cross-source helpers for the device, routing and ruleset-semantics rules.

Pure functions over a :class:`~offtui.model.Snapshot` (no I/O). Modules whose name starts with
``_`` are not loaded as rules, so other rules may import these too.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass

from offtui.model import Chain, Flow, Flowtable, OffloadState, Rule, Snapshot, SourceState
from offtui.parsers.nft_common import chains_reachable_from_hook
from offtui.parsers.uci import NetInterface, network_devices

# Re-exported for the rules of this group (the one definition is in _evidence).
from offtui.rules._evidence import conntrack_path as conntrack_source  # noqa: F401
from offtui.rules._evidence import flowtable_source as ruleset_source  # noqa: F401
from offtui.rules._evidence import kernel_version as _kernel_version
from offtui.rules._evidence import rule_evidence_source as rule_evidence_source
from offtui.rules._hw_helpers import forward_counters
from offtui.topology import flow_path, flowtables_covering

#: nft's families whose forward hook can run ``flow add`` (bridge and netdev cannot).
INET_FAMILIES = frozenset({"inet", "ip", "ip6"})

#: Wi-Fi netdev names OpenWrt and vendor drivers create (mac80211 ``phyN-apM``, older
#: ``wlanN``/``wlanN-M``, MediaTek ``ra``/``rai``/``rax``, Atheros ``athN``).
WIFI_NAME_RE = re.compile(r"^(phy\d+-(ap|sta|mesh)\d+|wlan\d+(-\d+)?|rai?\d+|rax\d+|ath\d+)$")


def source_missing(snap: Snapshot, name: str) -> bool:
    """True when the collector looked for ``name`` and the host does not have it."""
    st = snap.source(name)
    return st is not None and st.state == SourceState.MISSING


def is_offloaded(flow: Flow) -> bool:
    return flow.offload in (OffloadState.SOFTWARE, OffloadState.HARDWARE)


def flow_bytes(flow: Flow) -> int:
    """Bytes of both directions (0 when conntrack accounting is off)."""
    return (flow.orig.bytes or 0) + (flow.reply.bytes or 0)


def has_byte_counters(snap: Snapshot) -> bool:
    """True when the conntrack listing carries ``bytes=`` (nf_conntrack_acct on)."""
    flows = snap.conntrack.flows() if snap.conntrack else []
    return any(f.orig.bytes is not None for f in flows)


def flow_text(flow: Flow) -> str:
    """A short one-line form of a flow for messages and evidence."""
    tag = {OffloadState.SOFTWARE: " [OFFLOAD]", OffloadState.HARDWARE: " [HW_OFFLOAD]"}.get(
        flow.offload, ""
    )
    o = flow.orig
    ports = f" sport={o.sport} dport={o.dport}" if o.sport is not None else ""
    acct = f" bytes={flow_bytes(flow)}" if o.bytes is not None else ""
    return f"{flow.proto} src={o.src} dst={o.dst}{ports}{acct}{tag}"


def flow_add_rules(snap: Snapshot) -> list[tuple[Chain, Rule]]:
    """``flow add``/``flow offload`` rules the forward hook can reach (they do offload)."""
    rs = snap.ruleset
    if rs is None:
        return []
    reach = chains_reachable_from_hook(rs, "forward", families=INET_FAMILIES)
    return [
        (c, r)
        for c in rs.chains
        if (c.family, c.table, c.name) in reach
        for r in c.rules
        if r.flow_add
    ]


def active_flowtables(snap: Snapshot) -> list[Flowtable]:
    """Flowtables that a reachable ``flow add`` rule fills (all of them if none is named)."""
    used = {(c.family, c.table, r.flow_add) for c, r in flow_add_rules(snap)}
    return [ft for ft in snap.flowtables if (ft.family, ft.table, ft.name) in used]


@functools.lru_cache(maxsize=65536)
def is_forwardable_address(text: str) -> bool:
    """False for multicast, broadcast, unspecified and link-local addresses."""
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return True  # masked in a paste: assume an ordinary host
    if ip.is_multicast or ip.is_unspecified or ip.is_link_local or ip.is_loopback:
        return False
    return not (ip.version == 4 and str(ip) == "255.255.255.255")


@dataclass(slots=True, frozen=True)
class RoutedFlow:
    flow: Flow
    in_dev: str | None
    out_dev: str | None


#: routed_flows of the last snapshot (several rules ask for it in one run), keyed by the
#: conntrack table's id with the table kept so the id cannot be reused while cached.
_ROUTED: dict[int, tuple[object, object, list[RoutedFlow]]] = {}


def routed_flows(snap: Snapshot) -> list[RoutedFlow]:
    """Forwarded flows (not to or from the router) with their devices from the routes."""
    key = id(snap.conntrack)
    hit = _ROUTED.get(key)
    if hit is not None and hit[0] is snap.conntrack and hit[1] is snap.routes:
        return hit[2]
    out = []
    for flow in snap.conntrack.flows() if snap.conntrack else []:
        if not (is_forwardable_address(flow.orig.src) and is_forwardable_address(flow.orig.dst)):
            continue
        path = flow_path(snap, flow)
        if path.local:
            continue
        out.append(RoutedFlow(flow, path.in_dev, path.out_dev))
    if len(_ROUTED) >= 1:
        _ROUTED.pop(next(iter(_ROUTED)))
    _ROUTED[key] = (snap.conntrack, snap.routes, out)
    return out


def covered(snap: Snapshot, dev: str | None, fts: list[Flowtable]) -> bool:
    """Is ``dev`` (or a device under/over it) listed in one of ``fts``?"""
    names = {(ft.family, ft.table, ft.name) for ft in fts}
    return any((ft.family, ft.table, ft.name) in names for ft in flowtables_covering(snap, dev))


@dataclass(slots=True, frozen=True)
class SlowPathCounter:
    """A forward-hook rule counting one conntrack direction: proof of the slow path."""

    direction: str  # "original" / "reply"
    packets: int
    bytes: int
    rule: Rule


def slow_path_counters(snap: Snapshot) -> dict[str, SlowPathCounter]:
    """Counters of ``ct direction original|reply counter`` rules in forward-hook chains.

    Offloaded packets skip every forward chain, so such a counter only grows with packets that
    took the slow path; the offtui lab keeps one per direction (``table inet labcount``).
    The first accounting (not dropping) rule per direction, from the one walker of the
    forward chains' counters.
    """
    out: dict[str, SlowPathCounter] = {}
    for c in forward_counters(snap):
        r = c.rule
        if c.direction is None or c.direction in out or r.verdict in ("drop", "reject"):
            continue
        out[c.direction] = SlowPathCounter(c.direction, c.packets, r.counter_bytes or 0, r)
    return out


def netifd_interfaces(snap: Snapshot) -> dict[str, NetInterface]:
    """netifd interfaces from ``/etc/config/network`` (empty when not collected)."""
    cfg = snap.settings.uci.get("network")
    return network_devices(cfg)["interfaces"] if cfg is not None else {}


def zone_l3_devices(snap: Snapshot, networks: list[str]) -> list[str]:
    """The devices fw4 sees for a zone's ``network`` entries (``pppoe-wan``, ``wg0``...)."""
    ifaces = netifd_interfaces(snap)
    out = []
    for n in networks:
        iface = ifaces.get(n)
        dev = iface.l3_device if iface is not None else None
        if dev and not dev.startswith("@") and dev not in out:
            out.append(dev)
    return out


def kernel_version(snap: Snapshot) -> tuple[int, int] | None:
    """(major, minor) of the snapshot's kernel."""
    v = _kernel_version(snap.system.kernel)
    return (v[0], v[1]) if v else None


def human_bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"
