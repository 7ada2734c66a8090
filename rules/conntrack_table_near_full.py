"""conntrack-table-near-full: offloaded flows still use conntrack entries."""

from __future__ import annotations

from offtui.engine import Evidence, RuleDoc, RuleInfo, RuleResult, Severity, finding, found, passed
from offtui.model import Snapshot

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
    if count is None and snap.conntrack is not None:
        count = snap.conntrack.total
    if lim.max and count is not None:
        fill = count / lim.max
        if fill >= THRESHOLD:
            evidence.append(
                Evidence(
                    "proc/sys/net/netfilter/nf_conntrack_count",
                    f"nf_conntrack_count={count} nf_conntrack_max={lim.max} ({fill:.1%})",
                )
            )
    for ev in snap.log_events or []:
        if ev.kind == "conntrack-full":
            evidence.append(Evidence(f"commands/{ev.source}", ev.text, ev.line_no))
    if not evidence:
        return passed(RULE, f"table {fill:.0%} full" if fill is not None else "")
    msg = (
        f"The conntrack table holds {count} of {lim.max} entries ({fill:.0%}); new connections "
        "are dropped when it is full."
        if fill is not None and fill >= THRESHOLD
        else "The kernel logged that the conntrack table was full and dropped packets."
    )
    return found(RULE, finding(RULE, msg, evidence, impact=fill or 1.0))
