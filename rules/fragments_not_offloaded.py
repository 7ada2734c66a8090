"""fragments-not-offloaded: forwarded UDP arrives fragmented, and fragments are never offloaded."""

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
    conntrack_source,
    flow_bytes,
    flow_text,
    has_byte_counters,
    human_bytes,
    routed_flows,
)

#: Minimum packets in a direction before its average size means anything.
MIN_PACKETS = 10
ETH_MTU = 1500

RULE = RuleInfo(
    id="fragments-not-offloaded",
    severity=Severity.INFO,
    title="Fragmented traffic is never offloaded",
    needs=("conntrack",),
    doc=RuleDoc(
        what=(
            "Forwarded UDP flows whose average packet, as conntrack counted it, is larger than "
            "the MTU of the device it arrived on (1500 when unknown): conntrack counts the "
            "reassembled datagram, so such a flow arrives in IP fragments (oversized VPN "
            "packets, DNS with large answers)."
        ),
        why=(
            "The flowtable looks flows up by their ports, which only the first fragment "
            "carries, so fragments always follow the classic forwarding path (nf_flowtable.rst: "
            '"Fragmented traffic is passed up to follow the classic IP forwarding path"). The '
            "MediaTek PPE punts IPv4 fragments to the CPU too (MTK_PPE_CPU_REASON_IPV4_FRAG)."
        ),
        fix=(
            "Lower the tunnel's or the sender's MTU so packets are not fragmented, e.g. for "
            "WireGuard: uci set network.wg0.mtu='1420'; uci commit network; "
            "/etc/init.d/network reload; and clamp TCP MSS as for mtu-mss-slowpath."
        ),
        example="udp src=10.0.1.2 dst=10.0.2.2 dport=5002: 36 packets, 2778 bytes per packet",
        limits=(
            "Inferred from conntrack's per-flow counters (needs nf_conntrack_acct=1): UDP GRO "
            "on the receiving device can also make packets look larger than the MTU. "
            "`/proc/net/snmp` (Ip: ReasmReqds, FragCreates) would confirm it but is not "
            "collected. TCP is not checked (GRO makes its packets look large)."
        ),
        fix_interrupts="Yes: changing an interface's MTU restarts it.",
        references=(
            "Documentation/networking/nf_flowtable.rst (fragmented traffic)",
            "drivers/net/ethernet/mediatek/mtk_ppe.h (MTK_PPE_CPU_REASON_IPV4_FRAG)",
        ),
    ),
)


def check(snap: Snapshot) -> RuleResult:
    ct = snap.conntrack
    assert ct is not None
    if not ct.flows():
        return passed(RULE, "the conntrack table is empty")
    if not has_byte_counters(snap):
        return skipped(
            RULE,
            "needs conntrack byte counters (`net.netfilter.nf_conntrack_acct=1`) or "
            "`/proc/net/snmp` to see fragmented traffic",
        )
    links = snap.links or {}
    hits = []
    for rf in routed_flows(snap):
        f = rf.flow
        if f.proto != "udp":
            continue
        for t, dev in ((f.orig, rf.in_dev), (f.reply, rf.out_dev)):
            if not t.packets or t.packets < MIN_PACKETS or t.bytes is None:
                continue
            mtu = links[dev].mtu if dev in links and links[dev].mtu else ETH_MTU
            avg = t.bytes / t.packets
            if avg > mtu:
                hits.append((f, dev, mtu, avg, t.packets))
                break
    if not hits:
        return passed(RULE, "no forwarded UDP flow averages more than its device's MTU")
    src = conntrack_source(snap)
    ev = [
        Evidence(
            src,
            f"{flow_text(f)}: {pk} packets, {avg:.0f} bytes per packet > MTU {mtu}"
            + (f" of {dev}" if dev else ""),
            f.line_no or None,
        )
        for f, dev, mtu, avg, pk in sorted(hits, key=lambda h: -flow_bytes(h[0]))[:5]
    ]
    total = sum(flow_bytes(h[0]) for h in hits)
    msg = (
        f"{len(hits)} forwarded UDP flow(s) ({human_bytes(total)}) average more bytes per "
        "packet than the MTU they arrive on: they arrive fragmented, and fragments always take "
        "the slow path."
    )
    return found(RULE, finding(RULE, msg, ev, subject="udp-fragments", impact=float(total)))
