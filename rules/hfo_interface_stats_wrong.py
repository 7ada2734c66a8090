"""hfo-interface-stats-wrong: with hardware offload, CPU-side counters and graphs undercount."""

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
from offtui.rules._hw_helpers import ct_source, soc_evidence

#: SoCs whose PPE has no flow accounting (MIB): ``has_accounting`` absent in their soc data.
NO_MIB = ("mt7621", "mt7623")

RULE = RuleInfo(
    id="hfo-interface-stats-wrong",
    severity=Severity.INFO,
    title="Hardware-offloaded traffic is missing from interface counters and graphs",
    needs_any=(("ppe",), ("conntrack",)),
    doc=RuleDoc(
        what=(
            "Flows are bound in hardware: BND entries in the PPE or `[HW_OFFLOAD]` flows in "
            "conntrack. On MT7621/MT7623 (no PPE flow accounting) or PPE lines without "
            "`packets=`/`bytes=` it adds that per-flow counters stay frozen too."
        ),
        why=(
            "Packets forwarded by the PPE bypass the CPU, so the netdev counters that "
            "`ip -s link`, `/proc/net/dev` and LuCI's realtime graphs read miss them. Per-flow "
            "byte counts (conntrack, nlbwmon) need the PPE MIB, which MT7621/MT7623 lack."
        ),
        fix=(
            "# read the switch/MAC counters instead:\n"
            "ethtool -S <port>\n"
            "# or, when per-host accounting matters more than CPU, use software offload:\n"
            "uci set firewall.@defaults[0].flow_offloading_hw='0'; uci commit firewall\n"
            "/etc/init.d/firewall restart"
        ),
        example=("ppe0: 0252a BND IPv4 5T ... packets=0 bytes=0; conntrack: udp ... [HW_OFFLOAD]"),
        limits=(
            "The capture does not show which graphs the user reads; the finding states what "
            "undercounts. PPE lines from kernels with accounting print `packets=0 bytes=0` when "
            "the MIB is unavailable, which cannot be told apart from an idle entry."
        ),
        fix_interrupts="No for ethtool; the firewall restart briefly returns flows to the CPU.",
        references=(
            'openwrt/openwrt#11957 ("packets no longer pass through CPU ... use ethtool -S")',
            "openwrt/openwrt#17942 (HFO bypasses kernel counters)",
            "net: ethernet: mtk_eth_soc: multiple-PPE patch (has_accounting absent on mt7621)",
        ),
    ),
)


def check(snap: Snapshot) -> RuleResult:
    # a paste may hold two samples of one table: each hash index once
    seen: dict[tuple[str, int], tuple] = {}
    for t in snap.ppe:
        for e in t.entries:
            if e.state == "BND":
                seen.setdefault((t.name, e.index), (t, e))
    bound = list(seen.values())
    hw_flows = snap.conntrack.hw_offload if snap.conntrack is not None else 0
    if not bound and not hw_flows:
        return passed(RULE, "no flow is bound in hardware")
    ev = []
    if bound:
        t, e = bound[0]
        ev.append(
            Evidence(
                t.path,
                f"{len(bound)} bound (BND) entries, e.g. {e.index:05x} BND {e.type} orig={e.orig}"
                + (f" packets={e.packets} bytes={e.bytes}" if e.packets is not None else ""),
                e.line_no,
            )
        )
    if hw_flows:
        ev.append(Evidence(ct_source(snap), f"{hw_flows} flow(s) tagged [HW_OFFLOAD]"))
    msg = (
        "Flows are forwarded in hardware: their packets never reach the CPU, so "
        "`ip -s link`, /proc/net/dev and LuCI graphs undercount them."
    )
    soc = snap.system.soc
    no_acct = bound and all(e.packets is None for _, e in bound)
    if soc in NO_MIB:
        ev += soc_evidence(snap)
        msg += f" {soc.upper()} has no PPE flow accounting: per-flow byte counts stay frozen too."
    elif no_acct:
        msg += (
            " The PPE lines carry no packets=/bytes= (no flow accounting in this kernel): "
            "per-flow byte counts of bound flows stay frozen too."
        )
    return found(
        RULE, finding(RULE, msg, ev, subject="hw-stats", impact=float(len(bound) + hw_flows))
    )
