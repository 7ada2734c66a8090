"""mtu-mss-slowpath: a small-MTU uplink without MSS clamping pushes flows to the slow path."""

from __future__ import annotations

from offtui.engine import (
    Evidence,
    RuleDoc,
    RuleInfo,
    RuleResult,
    Severity,
    finding,
    found,
    passed,
)
from offtui.model import Snapshot
from offtui.parsers.nft_common import chains_reachable_from_hook
from offtui.rules._net_helpers import (
    INET_FAMILIES,
    active_flowtables,
    covered,
    netifd_interfaces,
    ruleset_source,
)

#: Default MTU netifd gives a tunnel proto when the interface sets none.
PROTO_MTU = {"pppoe": 1492, "wireguard": 1420, "l2tp": 1450, "gre": 1476}

RULE = RuleInfo(
    id="mtu-mss-slowpath",
    severity=Severity.WARNING,
    title="A small-MTU uplink without MSS clamping knocks flows back to the slow path",
    needs_any=(("fw4",), ("ruleset", "links")),
    doc=RuleDoc(
        what=(
            "A device with an MTU below 1500 (`pppoe-wan` 1492, `wg0` 1420, other tunnels) "
            "carries offloaded traffic, and TCP MSS is not clamped for it: the fw4 zone has no "
            "`mtu_fix`, or (without fw4) no `tcp option maxseg size set` rule on the forward or "
            "postrouting hook."
        ),
        why=(
            '`nf_flow_exceeds_mtu()` hands over-MTU packets to the classic path "to report '
            'packet-too-big ICMP errors". Without MSS clamping bulk TCP keeps sending '
            "full-size segments, so packets of offloaded flows keep re-entering the slow path; "
            "the MediaTek PPE has its own EXCEED_MTU CPU reason. fw4 before 698a533 (June 2023) "
            "clamped in mangle_forward, not mangle_postrouting."
        ),
        fix=(
            "uci set firewall.@zone[<wan zone index>].mtu_fix='1'\n"
            "uci commit firewall && /etc/init.d/firewall restart\n"
            "custom nftables: nft add rule inet filter forward oifname <dev> tcp flags syn "
            "tcp option maxseg size set rt mtu\n"
            "and upgrade firewall4 to at least 698a533."
        ),
        example="zone wan: network wan (proto pppoe -> pppoe-wan, MTU 1492), mtu_fix unset",
        limits=(
            "Without `ip -d link`, the MTU of a PPPoE/WireGuard interface is netifd's default "
            "for the proto unless the interface sets `mtu`. The firewall4 version (before or "
            "after 698a533) is not in the capture. Path-MTU problems beyond the router are not "
            "seen."
        ),
        fix_interrupts="Yes: the firewall restart returns all flows to the slow path briefly.",
        references=(
            "Documentation/networking/nf_flowtable.rst (packets exceeding the MTU)",
            "immortalwrt/immortalwrt#1353",
            "firewall4 commit 698a533 (Fixes openwrt/openwrt#12112)",
        ),
    ),
)


def _iface_mtu(snap: Snapshot, iface: str) -> int | None:
    cfg = snap.settings.uci.get("network")
    for s in cfg.of_type("interface") if cfg else []:
        if s.name == iface and s.get("mtu"):
            try:
                return int(s.get("mtu") or "")
            except ValueError:
                return None
    return None


def _fw4_findings(snap: Snapshot) -> list:
    fw4 = snap.settings.fw4
    assert fw4 is not None
    offloading = bool(snap.flowtables) or bool(fw4.flow_offloading)
    if not offloading:
        return []
    ifaces = netifd_interfaces(snap)
    out = []
    for z in fw4.zones:
        if z.mtu_fix:
            continue
        small: list[tuple[str, int, str]] = []
        for net in z.networks:
            iface = ifaces.get(net)
            if iface is None or iface.disabled:
                continue
            dev = iface.l3_device
            mtu = None
            how = ""
            if dev and snap.links and dev in snap.links and snap.links[dev].mtu:
                mtu, how = snap.links[dev].mtu, "ip link"
            elif _iface_mtu(snap, net):
                mtu, how = _iface_mtu(snap, net), f"network.{net}.mtu"
            elif iface.proto in PROTO_MTU:
                mtu, how = PROTO_MTU[iface.proto], f"netifd default for proto {iface.proto}"
            if dev and mtu and mtu < 1500:
                small.append((dev, mtu, how))
        for dev in z.devices:
            lk = (snap.links or {}).get(dev)
            if lk is not None and lk.mtu and lk.mtu < 1500:
                small.append((dev, lk.mtu, "ip link"))
        if not small:
            continue
        ev = [Evidence("etc/config/firewall", f"zone {z.name}: mtu_fix not set")]
        ev += [
            Evidence(
                "commands/ip_-j_-d_link_show" if how == "ip link" else "etc/config/network",
                f"{dev}: MTU {mtu} ({how})",
            )
            for dev, mtu, how in small
        ]
        idx = next((i for i, zz in enumerate(fw4.zones) if zz is z), 0)
        out.append(
            finding(
                RULE,
                f"Zone {z.name} has no mtu_fix while "
                + ", ".join(f"{d} (MTU {m})" for d, m, _ in small)
                + " is below 1500: full-size TCP segments of offloaded flows exceed it and fall "
                "back to the slow path.",
                ev,
                f"uci set firewall.@zone[{idx}].mtu_fix='1'\n"
                "uci commit firewall && /etc/init.d/firewall restart",
                subject=f"zone {z.name}",
                impact=float(len(small)),
            )
        )
    return out


def _nft_findings(snap: Snapshot) -> list:
    rs = snap.ruleset
    if rs is None or snap.links is None:
        return []
    fts = active_flowtables(snap)
    if not fts:
        return []
    clamps = []
    for hook in ("forward", "postrouting"):
        reach = chains_reachable_from_hook(rs, hook, families=INET_FAMILIES)
        clamps += [
            r
            for c in rs.chains
            if (c.family, c.table, c.name) in reach
            for r in c.rules
            if any("maxseg size set" in s for s in r.statements)
        ]
    if clamps:
        return []
    small = [
        lk
        for lk in snap.links.values()
        if lk.mtu and lk.mtu < 1500 and lk.link_type != "loopback" and covered(snap, lk.name, fts)
    ]
    out = []
    for lk in small:
        ft = next(f for f in fts if covered(snap, lk.name, [f]))
        ev = [
            Evidence("commands/ip_-j_-d_link_show", f"{lk.name}: mtu {lk.mtu}"),
            Evidence(
                ruleset_source(snap),
                f"flowtable {ft.family} {ft.table} {ft.name}: devices = "
                f"{{ {', '.join(ft.devices)} }}; no `tcp option maxseg size set` rule on the "
                "forward or postrouting hook",
            ),
        ]
        out.append(
            finding(
                RULE,
                f"{lk.name} has MTU {lk.mtu} and flowtable {ft.name} offloads through it, but "
                "no rule clamps TCP MSS: full-size segments exceed the MTU and take the slow "
                "path.",
                ev,
                f"nft add rule {ft.family} {ft.table} forward oifname {lk.name} tcp flags syn "
                "tcp option maxseg size set rt mtu",
                subject=lk.name,
                impact=1.0,
            )
        )
    return out


def check(snap: Snapshot) -> RuleResult:
    out = _fw4_findings(snap) if snap.settings.fw4 is not None else _nft_findings(snap)
    if out:
        return found(RULE, *out)
    if snap.settings.fw4 is not None:
        return passed(RULE, "every fw4 zone with a small-MTU device clamps MSS (or none is small)")
    return passed(RULE, "no small-MTU device in a flowtable without MSS clamping")
