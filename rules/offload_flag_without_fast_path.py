"""offload-flag-without-fast-path: bridged flows tagged [OFFLOAD] that still take the slow path."""

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
from offtui.model import OffloadState, Snapshot
from offtui.rules._hw_helpers import (
    br_netfilter,
    bridge_ports,
    bridged_flows,
    ct_source,
    flow_text,
    forward_counters,
    rule_line,
    ruleset_path,
)
from offtui.rules._hw_helpers import (
    bridges as all_bridges,
)

#: A forward-hook counter at or above this share of the flows' packets means the packets
#: still cross the forward hook. A working fast path lets only the first packets of each
#: flow through (the lab's routed-sfo run: 10 packets for 4 flows of ~6800 packets).
SLOW_SHARE = 0.5

RULE = RuleInfo(
    id="offload-flag-without-fast-path",
    severity=Severity.WARNING,
    title="Bridged flows show [OFFLOAD] but still take the slow path",
    needs=("conntrack",),
    needs_any=(("sysctl",), ("modules",)),
    doc=RuleDoc(
        what=(
            "`br_netfilter` is loaded with `net.bridge.bridge-nf-call-iptables=1`, and conntrack "
            "flows between two hosts behind one bridge (the host cannot route them: both ends "
            "route to the bridge, or no route reaches them) carry `[OFFLOAD]`. Forward-chain "
            "counters that keep counting those flows' packets confirm it."
        ),
        why=(
            "With br_netfilter the inet forward hook sees bridged frames, so `flow add` creates "
            "a flowtable entry and conntrack prints `[OFFLOAD]`. The entry is keyed on the "
            "bridge device, but the flowtable's ingress hook sits on the ports (or the bridge "
            "never receives the frames at its own ingress): no packet ever matches it, and every "
            "packet keeps crossing the forward chain. The flag overstates what is offloaded; "
            "trust forward-chain counters, not the flag."
        ),
        fix=(
            "# confirm: a counter in the forward chain keeps rising while the flows run\n"
            "nft list chain inet fw4 forward\n"
            "# if nothing needs to filter bridged frames, stop handing them to netfilter:\n"
            "sysctl -w net.bridge.bridge-nf-call-iptables=0\n"
            "echo 'net.bridge.bridge-nf-call-iptables=0' > /etc/sysctl.d/90-bridge-nf.conf\n"
            "# to really offload this traffic: route between two subnets instead of bridging,\n"
            "# or on OpenWrt install bridger (L2 flow offload):\n"
            "opkg install bridger   # apk add bridger on 25.x\n"
            "/etc/init.d/bridger enable && /etc/init.d/bridger start"
        ),
        example=(
            "bridge-nf-call-iptables=1; tcp src=10.0.3.1 dst=10.0.3.2 dport=5003 packets=2842 "
            "[OFFLOAD] between two ports of br0; forward counter `ct direction original counter "
            "packets 6697`"
        ),
        limits=(
            "Shown in the offtui lab on a Debian 6.1 kernel (veth ports of a software bridge): "
            "every packet took the slow path in one run, the reply direction in another. Other "
            "kernels and bridges with hardware ports were not measured. Without a counter in the "
            "forward chain the rule relies on the bridged placement of the flows alone. Flows "
            "are placed with the routing table, so `ip -j route show` must be in the capture."
        ),
        fix_interrupts=(
            "No: the sysctl changes only what netfilter sees; bridging goes on. Installing "
            "bridger does not interrupt traffic."
        ),
        references=(
            "offtui lab: tests/lab_captures/bridged-br-netfilter (lab/scenarios/"
            "bridged-br-netfilter.sh), phases B3/B4 of lab/bridged.log",
            "Documentation/networking/nf_flowtable.rst (the flowtable hooks ingress of the "
            "listed devices)",
            "net/netfilter/nft_flow_offload.c",
        ),
    ),
)


def check(snap: Snapshot) -> RuleResult:
    on, bnf_ev = br_netfilter(snap)
    if on is None:
        return skipped(
            RULE,
            "needs `/proc/sys/net/bridge/bridge-nf-call-iptables` (or `/proc/modules` "
            "to see that br_netfilter is absent)",
        )
    if not on:
        return passed(RULE, "br_netfilter does not pass bridged frames to netfilter")
    flows = bridged_flows(snap)
    if flows is None:
        return skipped(RULE, "needs `ip -j route show` (to tell bridged flows from routed ones)")
    tagged = [b for b in flows if b.flow.offload != OffloadState.NONE]
    if not tagged:
        return passed(RULE, f"{len(flows)} bridged flow(s), none tagged [OFFLOAD]")
    ct = ct_source(snap)
    pk_orig = sum(b.flow.orig.packets or 0 for b in tagged)
    pk_reply = sum(b.flow.reply.packets or 0 for b in tagged)
    evidence = list(bnf_ev)
    bridges = sorted({b.bridge for b in tagged if b.bridge})
    for br in bridges:
        evidence.append(
            Evidence(
                "commands/ip_-j_-d_link_show", f"{br}: ports {', '.join(bridge_ports(snap, br))}"
            )
        )
    for b in tagged[:5]:
        evidence.append(Evidence(ct, f"{flow_text(b.flow)} ({b.why})", b.flow.line_no or None))
    if len(tagged) > 5:
        evidence.append(
            Evidence(ct, f"... {len(tagged) - 5} more bridged flow(s) tagged [OFFLOAD]")
        )

    counters = forward_counters(snap)
    slow = []
    for c in counters:
        ref = {"original": pk_orig, "reply": pk_reply}.get(c.direction or "", pk_orig + pk_reply)
        if ref and c.packets >= SLOW_SHARE * ref:
            slow.append((c, ref))
    for c, ref in slow:
        evidence.append(
            Evidence(
                ruleset_path(snap),
                f"chain {c.chain}: {c.text} (flows' {c.direction or 'total'} packets: {ref})",
                rule_line(snap, c.line_no),
            )
        )
    cands: list[str] = []
    if not bridges:
        # no route names the bridge; the bridges whose ports a flowtable hooks are the candidates
        ft_devs = {d for ft in snap.flowtables for d in ft.devices}
        cands = [br for br in all_bridges(snap) if ft_devs & {br, *bridge_ports(snap, br)}]
        for br in cands:
            evidence.append(
                Evidence(
                    "commands/ip_-j_-d_link_show",
                    f"{br}: ports {', '.join(bridge_ports(snap, br))} (in a flowtable)",
                )
            )
        where = (
            f"{' or '.join(cands)} (the host has no route to these hosts)"
            if cands
            else "a bridge (the host has no route to these hosts)"
        )
    else:
        where = ", ".join(bridges)
    msg = (
        f"{len(tagged)} flow(s) between hosts behind {where} carry [OFFLOAD] "
        f"({pk_orig} original / {pk_reply} reply packets), but bridged frames never hit the "
        "flowtable's ingress hook: "
    )
    if slow:
        c, ref = max(slow, key=lambda s: s[0].packets)
        msg += (
            f"the forward chain counted {c.packets} packets against {ref} in the flows, so "
            "they are all on the slow path."
        )
    elif counters:
        msg += (
            "the forward-chain counters are low here, so part of the traffic may take a fast "
            "path; compare two captures to be sure."
        )
    else:
        msg += (
            "the packets still take the slow path. No forward-chain counter exists to measure "
            "it; add one (`counter` in the forward chain) to see it rise."
        )
    return found(
        RULE,
        finding(
            RULE,
            msg,
            evidence,
            subject=",".join(bridges or cands) or "bridged",
            impact=float(pk_orig + pk_reply),
        ),
    )
