"""hw-capacity-surplus: more flows want the hardware than the PPE table holds."""

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
from offtui.rules._hw_helpers import ct_source, offload_counts, ppe_fill

#: Bound entries at or above this share of the table: the table is (nearly) full.
NEAR_FULL = 0.9
#: Share of full hash buckets that means collisions turn flows away (see ``why``).
HOT_BUCKETS = 0.05

RULE = RuleInfo(
    id="hw-capacity-surplus",
    severity=Severity.WARNING,
    title="More flows than the hardware flow table holds: the surplus runs on the CPU",
    needs=("ppe",),
    doc=RuleDoc(
        what=(
            "Bound (BND) entries of a PPE at 90 % or more of its table size, or at least 5 % of "
            "its hash buckets full (every way bound), while conntrack shows flows in the "
            "software fast path (`[OFFLOAD]`). The table size per PPE is taken from the "
            "capture: an entry index above 8191 proves a larger table; otherwise the kernel "
            "version decides (8192 entries, `MTK_PPE_ENTRIES_SHIFT 3`, before 6.11; 16384 "
            "since). The finding says which figure it used and why."
        ),
        why=(
            "The PPE holds a fixed number of FOE entries, in 2-way (MT7621/MT7622/MT7623) or "
            "4-way (MT7981/MT7986/MT7988) hash buckets. When the table or a bucket is full, new "
            "flows cannot bind; on a collision the hardware keeps the most active flow. The "
            "others stay in the software flowtable: they are still offloaded, but by the CPU, "
            "so CPU load grows with the surplus. This differs from "
            "ppe-low-rate-flows-stay-unbound, where flows are too slow to be bound."
        ),
        fix=(
            "# nothing to configure in the PPE: the driver fixes its size. Options:\n"
            "# - keep software offload on, so the surplus still takes the fast path:\n"
            "uci set firewall.@defaults[0].flow_offloading='1'; uci commit firewall\n"
            "# - a kernel >= 6.11 uses 16384 entries per PPE instead of 8192\n"
            "# - find what opens so many flows (p2p, scans): conntrack -L | sort | uniq -c"
        ),
        example=(
            "ppe0: 7600 bound of 8192 (93 %); capacity 8192 entries: kernel 6.6 "
            "(MTK_PPE_ENTRIES_SHIFT 3); 2210 flows [OFFLOAD] vs 3650 [HW_OFFLOAD]"
        ),
        limits=(
            "The catalog gives 8192 entries per PPE and the netdev patch raising it to 16384 "
            "landed in 6.11; whether a vendor or OpenWrt kernel carries its own size is known "
            "only from entry indexes above 8191. Bucket ways are taken from the SoC or, failing "
            "that, from the ib1 layout of the lines; Airoha table sizes are not known."
        ),
        fix_interrupts="No: nothing is restarted; a kernel upgrade needs a reboot.",
        references=(
            'OpenWrt wiki docs/guide-user/perf_and_log/flow_offloading ("returning surplus '
            'connections to the software offload pool")',
            "drivers/net/ethernet/mediatek/mtk_ppe.h MTK_PPE_ENTRIES",
            "mtk_ppe.c mtk_ppe_hash_entry (hash_offset ways)",
            'netdev: "net: ethernet: mtk_ppe: Change PPE entries number to 16K" (v3, 2024)',
            "commit c4f033d9e03e (collision: the most active flow wins)",
        ),
    ),
)


def check(snap: Snapshot) -> RuleResult:
    fills = ppe_fill(snap)
    sw, hw_flows = offload_counts(snap)
    out = []
    unknown = []
    for f in fills:
        near = f.fill is not None and f.fill >= NEAR_FULL
        hot = bool(f.buckets) and f.full_buckets >= HOT_BUCKETS * (f.buckets or 0)
        if f.capacity is None and not hot:
            unknown.append(f"{f.name}: {f.capacity_reason}")
            continue
        if not near and not (hot and sw):
            continue
        ev = [Evidence(f.path, f.text())]
        if snap.conntrack is not None:
            ev.append(
                Evidence(
                    ct_source(snap),
                    f"{sw} flow(s) [OFFLOAD] (software) vs {hw_flows} [HW_OFFLOAD] of "
                    f"{snap.conntrack.total} entries",
                )
            )
        if snap.cpu is not None and snap.cpu.cores:
            top = max(snap.cpu.cores, key=lambda c: c.softirq_pct)
            ev.append(
                Evidence(
                    "proc/stat",
                    f"busiest softirq core {top.cpu}: {top.softirq_pct:.0f} % softirq, "
                    f"{top.busy_pct:.0f} % busy" + (" (since boot)" if snap.cpu.since_boot else ""),
                )
            )
        why = (
            f"its table is {f.fill:.0%} full ({f.bound} of {f.capacity}; {f.capacity_reason})"
            if near
            else f"{f.full_buckets} of its {f.ways}-way hash buckets are full"
        )
        msg = f"{f.name} cannot take more flows: {why}."
        if sw:
            msg += f" {sw} flow(s) stay in the software fast path: that surplus runs on the CPU."
        out.append(finding(RULE, msg, ev, subject=f.name, impact=float(sw or f.bound)))
    if out:
        return found(RULE, *out)
    if unknown and len(unknown) == len(fills):
        if any("kernel version" in u for u in unknown):
            return skipped(
                RULE,
                "needs `uname -a` or `/proc/version`: the kernel version sets the PPE table "
                "size (8192 entries before 6.11, 16384 since)",
            )
        return skipped(RULE, "needs the PPE table size: " + "; ".join(unknown))
    return passed(RULE, "; ".join(f.text() for f in fills) if fills else "no PPE entries")
