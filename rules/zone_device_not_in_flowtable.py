"""zone-device-not-in-flowtable: a device that carries forwarded flows is in no flowtable."""

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
    skipped,
)
from offtui.model import Snapshot
from offtui.rules._net_helpers import (
    active_flowtables,
    conntrack_source,
    covered,
    flow_bytes,
    flow_text,
    human_bytes,
    is_offloaded,
    routed_flows,
    rule_evidence_source,
    ruleset_source,
    slow_path_counters,
)

RULE = RuleInfo(
    id="zone-device-not-in-flowtable",
    severity=Severity.WARNING,
    title="A device that carries forwarded flows is not in the flowtable",
    needs=("ruleset",),
    needs_any=(("conntrack", "routes"), ("fw4",)),
    doc=RuleDoc(
        what=(
            "A device that forwarded flows enter or leave through (from the routes and the "
            "conntrack table) is listed in no flowtable, directly or through a device under or "
            "over it; or an fw4 zone attaches a device with `option device`/`list device`, which "
            "fw4 never puts in its flowtable. Any flowtable counts, not only fw4's."
        ),
        why=(
            "A flowtable hooks only the ingress of the devices it lists. fw4 builds that list "
            "from `zone.related_physdevs`, which only zone `network` entries fill; devices "
            "attached by `device` (wg0, tun0, docker bridges) only go into the filter matches. "
            "When one side of a routed flow is missing, nft still offloads the flow and both "
            "directions' conntrack entries show `[OFFLOAD]`, but only packets arriving on a "
            "listed device take the fast path: the other direction keeps going through the "
            "forward chain (offtui lab, scenario device-missing: original-direction slow-path "
            "counter flat, reply-direction counter rising). The flag overstates what is "
            "offloaded."
        ),
        fix=(
            "fw4: wrap the device in a netifd interface and attach it by network:\n"
            "uci set network.wgdev=interface\n"
            "uci set network.wgdev.proto='none'\n"
            "uci set network.wgdev.device='wg0'\n"
            "uci add_list firewall.@zone[N].network='wgdev'\n"
            "uci commit && /etc/init.d/network reload && /etc/init.d/firewall restart\n"
            "custom nftables: add the device to the flowtable, e.g.\n"
            "nft add flowtable inet filter ft '{ devices = { veth-b } ; }'"
        ),
        example=(
            "flowtable inet fw4 ft devices = { veth-a }; 4 flows leave through veth-b, all "
            "[OFFLOAD]; forward-chain counter for the reply direction: 1703 packets"
        ),
        limits=(
            "Devices come from the main routing table: policy routing (other tables) and "
            "flows whose addresses no route covers are not placed. A capture has no per-device "
            "packet counts of the fast path, so the direction that stays slow is inferred from "
            "the device it arrives on; only a forward-hook `ct direction ... counter` rule (as "
            "in the offtui lab) proves it."
        ),
        fix_interrupts=(
            "Yes: restarting the firewall recreates the flowtable and returns flows to the "
            "slow path for a moment; adding a device with `nft add flowtable` does not."
        ),
        references=(
            "firewall4 fw4.uc (b6e5157): related_physdevs built only from zone.network",
            "Documentation/networking/nf_flowtable.rst",
            "offtui lab: scenario device-missing (tests/lab_captures/device-missing)",
        ),
    ),
)


def _fw4_zone_devices(snap: Snapshot, ft_devices: set[str]) -> list[tuple[str, str]]:
    """(zone, device) of fw4 zones that attach a device by `device` and not in a flowtable."""
    fw4 = snap.settings.fw4
    if fw4 is None:
        return []
    out = []
    for z in fw4.zones:
        for dev in z.devices:
            if dev in ft_devices or "*" in dev or dev.startswith("!"):
                continue
            if snap.links is not None and dev not in snap.links:
                continue  # not present on this host now: nothing to offload
            out.append((z.name, dev))
    return out


def _zone_index(snap: Snapshot, zone: str) -> str:
    """The ``@zone[N]`` index of a zone in /etc/config/firewall (as `uci` counts them)."""
    cfg = snap.settings.uci.get("firewall")
    for sec in cfg.of_type("zone") if cfg else []:
        if sec.get("name") == zone:
            return str(sec.index)
    return f"<index of {zone}>"


def check(snap: Snapshot) -> RuleResult:
    fts = active_flowtables(snap) or snap.flowtables
    if not fts:
        return passed(RULE, "no flowtable: nothing is offloaded, so no device is missing")
    ft_devices = {d for ft in fts for d in ft.devices}
    ft_ev = [
        Evidence(
            ruleset_source(snap),
            f"flowtable {ft.family} {ft.table} {ft.name}: devices = {{ {', '.join(ft.devices)} }}",
        )
        for ft in fts
    ]
    zone_devs = _fw4_zone_devices(snap, ft_devices)
    have_flows = snap.conntrack is not None and snap.routes is not None
    if not have_flows and not zone_devs:
        return skipped(
            RULE,
            "needs `/proc/net/nf_conntrack` or `conntrack -L` and `ip -j route show` "
            "(the fw4 zones attach no device by `device`)",
        )

    # device -> (flows with the device on the original-arrival side, ... on the reply side)
    missing: dict[str, dict[str, list]] = {}
    for rf in routed_flows(snap) if have_flows else []:
        if rf.in_dev is None or rf.out_dev is None or rf.in_dev == rf.out_dev:
            continue
        if rf.flow.proto not in ("tcp", "udp"):
            continue
        for side, dev in (("original", rf.in_dev), ("reply", rf.out_dev)):
            if not covered(snap, dev, fts):
                missing.setdefault(dev, {"original": [], "reply": []})[side].append(rf.flow)
    for _zone, dev in zone_devs:
        missing.setdefault(dev, {"original": [], "reply": []})

    counters = slow_path_counters(snap)
    out = []
    for dev, sides in sorted(missing.items()):
        flows = sides["original"] + sides["reply"]
        zones = [z for z, d in zone_devs if d == dev]
        if not flows and not zones:
            continue
        offl = [f for f in flows if is_offloaded(f)]
        slow_dirs = [d for d in ("original", "reply") if sides[d]]
        ev = list(ft_ev)
        for z in zones:
            ev.append(
                Evidence(
                    "etc/config/firewall",
                    f"zone {z}: option device '{dev}' (fw4 puts only zone networks into ft)",
                )
            )
        for f in sorted(flows, key=flow_bytes, reverse=True)[:3]:
            ev.append(Evidence(conntrack_source(snap), flow_text(f), f.line_no or None))
        for d in ("original", "reply"):
            c = counters.get(d)
            if c is not None and flows:
                path, line = rule_evidence_source(snap, c.rule)
                state = "slow path expected" if d in slow_dirs else "arrives on a listed device"
                ev.append(
                    Evidence(
                        path,
                        f"forward-chain counter, {d} direction ({state}): {c.packets} packets "
                        f"{c.bytes} bytes: {c.rule.text}",
                        line,
                    )
                )
        if flows:
            dir_text = " and ".join(
                f"the {d} direction (packets arriving on {dev})" for d in slow_dirs
            )
            msg = (
                f"{dev} carries {len(flows)} forwarded flow(s) but is in no flowtable: "
                f"{dir_text} stays on the slow path"
            )
            if offl:
                msg += (
                    f", although {len(offl)} of these flows show [OFFLOAD] "
                    "(the flag is set for both directions)"
                )
            slow = [counters[d] for d in slow_dirs if d in counters]
            if slow:
                msg += "; the forward-chain counter for that direction holds " + ", ".join(
                    f"{c.packets} packets" for c in slow
                )
            msg += "."
        else:
            msg = (
                f"fw4 zone {', '.join(zones)} attaches {dev} by `device`; fw4 never puts such "
                "a device into its flowtable, so flows through it are not offloaded."
            )
        total = sum(flow_bytes(f) for f in flows)
        if total:
            msg += f" ({human_bytes(total)} in these flows.)"
        fix = RULE.doc.fix
        if zones:
            fix = (
                f"uci set network.{dev.replace('-', '_')}dev=interface\n"
                f"uci set network.{dev.replace('-', '_')}dev.proto='none'\n"
                f"uci set network.{dev.replace('-', '_')}dev.device='{dev}'\n"
                f"uci add_list firewall.@zone[{_zone_index(snap, zones[0])}].network="
                f"'{dev.replace('-', '_')}dev'\n"
                "uci commit && /etc/init.d/network reload && /etc/init.d/firewall restart"
            )
        elif fts:
            ft = fts[0]
            fix = (
                f"nft add flowtable {ft.family} {ft.table} {ft.name} "
                f"'{{ devices = {{ {dev} }} ; }}'\n"
                "# and add it where the flowtable is defined (fw4: attach the device to a zone "
                "by network; firewalld: NftablesFlowtable in firewalld.conf)"
            )
        out.append(
            finding(
                RULE,
                msg,
                ev,
                fix,
                subject=dev,
                impact=float(total or len(flows) or 1),
            )
        )
    if not out:
        return passed(RULE, "every device that carries forwarded flows is in a flowtable")
    return found(RULE, *out)
