"""ppe-capacity-misread: the hardware limit is the PPE table, not "64 connections"."""

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
from offtui.rules._hw_helpers import ct_source, offload_counts, ppe_fill

RULE = RuleInfo(
    id="ppe-capacity-misread",
    severity=Severity.INFO,
    title='The hardware flow limit is the PPE table, not "64 connections"',
    needs=("ppe",),
    doc=RuleDoc(
        what=(
            "A MediaTek/Airoha PPE table is in the capture: states how many entries are bound "
            "against the table size per PPE (and which figure was used, and why), next to the "
            "`[OFFLOAD]` and `[HW_OFFLOAD]` counts of conntrack."
        ),
        why=(
            "The OpenWrt wiki's \"can handle very limited number of connections at once, e.g. "
            '64" is folklore: the mainline table holds 8192 entries per PPE (16384 since 6.11; '
            "the silicon supports 16K/32K), with 1 PPE on MT7621/MT7622, 2 on MT7981/MT7986 and "
            "3 on MT7988. The table is a 2- or 4-way hash, so colliding flows lose and the most "
            "active one wins. Flows that do not fit or lose a collision keep running in the "
            "software flowtable: they still benefit from offloading."
        ),
        fix=(
            "# nothing to fix: judge hardware coverage by bytes, not by flow count.\n"
            "cat /sys/kernel/debug/ppe0/bind | wc -l   # bound entries\n"
            "grep -c HW_OFFLOAD /proc/net/nf_conntrack"
        ),
        example=(
            "ppe0: 1 bound of 8192 (0 %); capacity 8192 entries: kernel 6.6 "
            "(MTK_PPE_ENTRIES_SHIFT 3)"
        ),
        limits=(
            "The table size comes from entry indexes above 8191 when present, else from the "
            "kernel version (8192 before 6.11, 16384 since); a vendor kernel with its own size "
            "and low indexes is read as the mainline size. Airoha sizes are not known."
        ),
        fix_interrupts="No: nothing to change.",
        references=(
            "drivers/net/ethernet/mediatek/mtk_ppe.h (MTK_PPE_ENTRIES)",
            "netdev PPE-size patches (16K v3, 32K RFC)",
            "commit c4f033d9e03e (collision behaviour)",
            'OpenWrt wiki docs/guide-user/perf_and_log/flow_offloading ("e.g. 64 ... returning '
            'surplus connections to software offload pool")',
        ),
    ),
)


def check(snap: Snapshot) -> RuleResult:
    fills = ppe_fill(snap)
    sw, hw_flows = offload_counts(snap)
    if not any(f.bound for f in fills) and not (sw or hw_flows):
        return passed(
            RULE,
            "nothing is bound in the PPE and no flow is offloaded: there is no capacity to "
            "misread (see ppe-low-rate-flows-stay-unbound)",
        )
    ev = [Evidence(f.path, f.text()) for f in fills]
    if snap.conntrack is not None:
        ev.append(
            Evidence(
                ct_source(snap),
                f"{hw_flows} flow(s) [HW_OFFLOAD], {sw} [OFFLOAD] (software) of "
                f"{snap.conntrack.total} entries",
            )
        )
    sizes = sorted({f.capacity for f in fills if f.capacity})
    bound = sum(f.bound for f in fills)
    if sizes:
        cap = " / ".join(str(s) for s in sizes)
        msg = (
            f"The hardware holds {bound} bound flow entr{'y' if bound == 1 else 'ies'} in "
            f"{len(fills)} PPE table(s) of {cap} entries each ({fills[0].capacity_reason}), not "
            '"64 connections".'
        )
    else:
        msg = (
            f"The hardware holds {bound} bound flow entr{'y' if bound == 1 else 'ies'}; the "
            f"table size is not known here ({fills[0].capacity_reason.removeprefix('unknown: ')})"
            ', but it is thousands of entries per PPE (8192 or 16384 in mainline), not "64 '
            'connections".'
        )
    msg += (
        " Flows that are not bound (too slow, a lost hash collision, a full table) stay in "
        "the software fast path."
    )
    if any(f.fill is not None and f.fill >= 0.9 for f in fills):
        msg += " A table is nearly full: see hw-capacity-surplus."
    return found(RULE, finding(RULE, msg, ev, subject="ppe", impact=float(bound)))
