"""ppe-low-rate-flows-stay-unbound: most flows are UNB in the PPE because they are slow."""

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
from offtui.parsers.ppe import decode_ib1
from offtui.rules._hw_helpers import ct_source, hw_offload, offload_counts, ppe_fill

RULE = RuleInfo(
    id="ppe-low-rate-flows-stay-unbound",
    severity=Severity.INFO,
    title="Low-rate flows stay unbound in the PPE (by design)",
    needs=("ppe",),
    doc=RuleDoc(
        what=(
            "Hardware offload is on, the PPE `entries` file holds unbound (UNB) entries and the "
            "table is far from full; conntrack shows more `[OFFLOAD]` (software) than "
            "`[HW_OFFLOAD]` flows. The evidence quotes UNB lines with the packet count the PPE "
            "keeps for an unbound entry (`ib1` bits 23:8)."
        ),
        why=(
            "The PPE binds a flow only after it reaches about 30 packets per second (commit "
            "c4f033d9e03e); unbound entries are re-checked at most every 100 ms per hash. Idle "
            "or low-rate flows (DNS, chat, keep-alives) stay in the software flowtable. This is "
            "by design: the bulk of the bytes is in the fast flows, which bind."
        ),
        fix=(
            "# nothing to fix: judge hardware coverage by share of bytes or throughput, not by\n"
            "# flow count. Bound entries: cat /sys/kernel/debug/ppe0/bind"
        ),
        example=(
            "ppe0: 0 bound of 8192; 3 unbound (UNB): 00464 UNB IPv4 5T "
            "orig=192.168.54.4:50853->157.148.61.140:443 ib1=1000086a (8 packets while unbound)"
        ),
        limits=(
            "UNB entries alone cannot tell a slow flow from one the driver never offers to the "
            "PPE (a bridged flow: see bridged-traffic-not-offloaded; a flow outside the "
            "flowtable). With only the `bind` file the unbound entries are not visible. Packet "
            "rates are not measured from one capture."
        ),
        fix_interrupts="No: nothing to change.",
        references=(
            'commit c4f033d9e03e "net: ethernet: mtk_eth_soc: rework hardware flow table '
            'management" (at least 30 packets per second)',
            "nbd168/bridger#13 (nothing in /bind, lots of UNB in /entries)",
            "drivers/net/ethernet/mediatek/mtk_ppe.h (MTK_FOE_IB1_UNBIND_PACKETS)",
        ),
    ),
)


def check(snap: Snapshot) -> RuleResult:
    tables = [t for t in snap.ppe if not t.bind_only]
    if not tables:
        return skipped(
            RULE,
            "needs `/sys/kernel/debug/ppe0/entries` (the `bind` file lists bound entries only)",
        )
    fills = {f.name: f for f in ppe_fill(snap)}
    if any(f.fill is not None and f.fill >= 0.9 for f in fills.values()):
        return passed(RULE, "a PPE table is nearly full: see hw-capacity-surplus")
    unb = [(t, e) for t in tables for e in t.entries if e.state == "UNB"]
    if not unb:
        return passed(RULE, "no unbound PPE entries")
    hw = hw_offload(snap)
    if hw.on is None:
        return skipped(RULE, hw.why_unknown)
    if not hw.on:
        return passed(RULE, "hardware offload is off: nothing binds PPE entries at all")
    sw, hw_flows = offload_counts(snap)
    if snap.conntrack is not None and hw_flows >= sw and sw:
        return passed(RULE, f"{hw_flows} flows in hardware vs {sw} in software")
    ev = hw.evidence[:2] + [Evidence(t.path, fills[t.name].text()) for t in tables]
    for t, e in unb[:3]:
        pk = decode_ib1(e.ib1, False)["unbind_packets"] if e.ib1 is not None else None
        ev.append(
            Evidence(
                t.path,
                f"{e.index:05x} UNB {e.type} orig={e.orig}"
                + (f" ib1={e.ib1:08x} ({pk} packets while unbound)" if pk is not None else ""),
                e.line_no,
            )
        )
    if snap.conntrack is not None:
        ev.append(Evidence(ct_source(snap), f"{sw} flow(s) [OFFLOAD] vs {hw_flows} [HW_OFFLOAD]"))
    bound = sum(t.bound for t in tables)
    msg = (
        f"{len(unb)} PPE entr{'y is' if len(unb) == 1 else 'ies are'} unbound (UNB) against "
        f"{bound} bound, with room left in the table: the PPE binds a flow only once it "
        "reaches about 30 packets/s, so slow flows stay in the software fast path. This is "
        "by design."
    )
    return found(RULE, finding(RULE, msg, ev, subject="ppe", impact=float(len(unb))))
