"""pbr-fwmark-offload-wrong-mac: fwmark policy routing plus NAT plus offload."""

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
from offtui.rules._net_helpers import active_flowtables, rule_evidence_source, ruleset_source

NAT_WORDS = ("masquerade", "snat", "dnat")

RULE = RuleInfo(
    id="pbr-fwmark-offload-wrong-mac",
    severity=Severity.WARNING,
    title="Policy routing by fwmark with NAT and offload can send replies to the wrong MAC",
    needs=("ruleset", "ip_rules"),
    doc=RuleDoc(
        what=(
            "A flowtable is in use, `ip rule` selects routing tables by `fwmark` (pbr, "
            "vpn-policy-routing, mwan3, custom marks), and the ruleset does NAT "
            "(masquerade/snat/dnat)."
        ),
        why=(
            "The flowtable resolves the route and the neighbour once, when the flow is "
            "offloaded, using the packet's mark at that moment (`nft_flow_route` sets "
            "`flowi4_mark = skb->mark`). Marks set later, or differently per direction, leave "
            "a cached layer-2 next hop that does not match the policy: intermittent DNS/UDP "
            "failures, captures with the right destination IP but the wrong MAC."
        ),
        fix=(
            "Switch offloading off on routers that use fwmark policy routing:\n"
            "uci set firewall.@defaults[0].flow_offloading='0'\n"
            "uci commit firewall && /etc/init.d/firewall restart\n"
            "or set the marks in prerouting (before forward) for both directions and flush "
            "conntrack after a policy change: conntrack -F"
        ),
        example="ip rule: 29998: from all fwmark 0x20000/0xff0000 lookup pbr_wan; masquerade",
        limits=(
            "Partially confirmed: observed on OpenWrt 24.10.x by one report whose mechanism is "
            "a hypothesis. The rule cannot see whether the policy's next hop is a LAN host "
            "(only the main routing table is collected), so it warns on the combination."
        ),
        fix_interrupts="Yes: the firewall restart returns all flows to the slow path briefly.",
        references=(
            "bomberrie.com/writing/openwrt-flowoffload-pbr-mac-misroute (OpenWrt 24.10.x)",
            "net/netfilter/nft_flow_offload.c (nft_flow_route: flowi4_mark = skb->mark)",
        ),
    ),
)


def check(snap: Snapshot) -> RuleResult:
    rs = snap.ruleset
    assert rs is not None and snap.ip_rules is not None
    fts = active_flowtables(snap)
    if not fts:
        return passed(RULE, "no flowtable is filled by a forward-hook `flow add` rule")
    marks = [r for r in snap.ip_rules if r.fwmark and r.table not in ("main", "local", "default")]
    if not marks:
        return passed(RULE, "no fwmark policy routing rule")
    nat = [r for c in rs.chains for r in c.rules if any(w in r.text.split() for w in NAT_WORDS)]
    fw4 = snap.settings.fw4
    masq_zones = [z.name for z in fw4.zones if z.masq] if fw4 is not None else []
    if not nat and not masq_zones:
        return passed(RULE, "fwmark policy routing without NAT")
    ev = [
        Evidence(
            ruleset_source(snap),
            f"flowtable {ft.family} {ft.table} {ft.name}: devices = {{ {', '.join(ft.devices)} }}",
        )
        for ft in fts
    ]
    ev += [
        Evidence(
            "commands/ip_-j_rule_show",
            f"{r.priority}: from {r.src or 'all'} fwmark {r.fwmark} lookup {r.table}",
        )
        for r in marks[:4]
    ]
    for r in nat[:2]:
        path, line = rule_evidence_source(snap, r)
        ev.append(Evidence(path, f"chain {r.family} {r.table} {r.chain}: {r.text}", line))
    if not nat:
        ev.append(Evidence("etc/config/firewall", f"masq on zone {', '.join(masq_zones)}"))
    msg = (
        f"{len(marks)} policy routing rule(s) select tables by fwmark "
        f"({', '.join(sorted({str(r.table) for r in marks}))}) while flowtable "
        f"{', '.join(ft.name for ft in fts)} offloads NATed flows: the next hop is cached "
        "once per flow with the mark of that moment, so replies can go to the wrong MAC."
    )
    return found(RULE, finding(RULE, msg, ev, subject="pbr", impact=float(len(marks))))
