"""conntrack-table-near-full: offloaded flows still use conntrack entries."""

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
from offtui.rules._misc_helpers import conntrack_path

THRESHOLD = 0.90

RULE = RuleInfo(
    id="conntrack-table-near-full",
    severity=Severity.WARNING,
    title="The conntrack table is (nearly) full",
    needs_any=(("conntrack_limits",), ("logs",)),
    doc=RuleDoc(
        what=(
            "`nf_conntrack_count` above 90 % of `nf_conntrack_max`, or the kernel logged "
            "`nf_conntrack: table full, dropping packet`."
        ),
        why=(
            "Every offloaded flow is still a conntrack entry (`[OFFLOAD]` in the listing), and "
            "while offloaded its timeout is parked at about a day. When the table is full, new "
            "connections are dropped whether or not offloading works."
        ),
        fix=(
            "sysctl -w net.netfilter.nf_conntrack_max=<higher>\n"
            "echo 'net.netfilter.nf_conntrack_max=<higher>' > /etc/sysctl.d/11-conntrack.conf\n"
            "# and look for what opens so many connections (p2p, scans)"
        ),
        example="nf_conntrack_count 980, nf_conntrack_max 1024 (95.7 %)",
        limits=(
            "Partially confirmed: the link between offloading and a full table is inferred from "
            "the kernel's offload timeout, not from a report that measured it."
        ),
        fix_interrupts="No: raising nf_conntrack_max takes effect at once without dropping flows.",
        references=(
            "Documentation/networking/nf_flowtable.rst ([OFFLOAD] in the conntrack listing)",
            "include/net/netfilter/nf_conntrack.h nf_ct_offload_timeout",
            "NixOS/nixpkgs#12987",
            "canonical/hotsos#101",
        ),
    ),
)


def check(snap: Snapshot) -> RuleResult:
    lim = snap.conntrack_limits
    evidence = []
    fill = None
    count = lim.count
    count_src = "proc/sys/net/netfilter/nf_conntrack_count"
    if count is None and snap.conntrack is not None:
        count = snap.conntrack.total
        count_src = conntrack_path(snap)
    if lim.max and count is not None:
        fill = count / lim.max
        if fill >= THRESHOLD:
            evidence.append(
                Evidence(
                    count_src,
                    f"nf_conntrack_count={count} nf_conntrack_max={lim.max} ({fill:.1%})",
                )
            )
    for ev in snap.log_events or []:
        if ev.kind == "conntrack-full":
            evidence.append(Evidence(f"commands/{ev.source}", ev.text, ev.line_no))
    if not evidence:
        if fill is None and snap.log_events is None:
            return skipped(RULE, "needs `/proc/sys/net/netfilter/nf_conntrack_count` or `dmesg`")
        return passed(RULE, f"table {fill:.0%} full" if fill is not None else "no table-full log")
    msg = (
        f"The conntrack table holds {count} of {lim.max} entries ({fill:.0%}); new connections "
        "are dropped when it is full."
        if fill is not None and fill >= THRESHOLD
        else "The kernel logged that the conntrack table was full and dropped packets."
    )
    ct = snap.conntrack
    if ct is not None and ct.offload + ct.hw_offload:
        off = ct.offload + ct.hw_offload
        msg += (
            f" {off} of the {ct.total} listed entries are offloaded: they still hold their "
            "conntrack slot."
        )
        evidence.append(
            Evidence(conntrack_path(snap), f"{ct.offload} [OFFLOAD], {ct.hw_offload} [HW_OFFLOAD]")
        )
    return found(RULE, finding(RULE, msg, evidence, impact=fill or 1.0, subject="conntrack"))
