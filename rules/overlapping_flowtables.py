"""overlapping-flowtables: two flowtables hook the same device."""

from __future__ import annotations

from itertools import combinations

from offtui.engine import Evidence, RuleDoc, RuleInfo, RuleResult, Severity, finding, found, passed
from offtui.model import Flowtable, Snapshot
from offtui.rules._misc_helpers import ruleset_path

RULE = RuleInfo(
    id="overlapping-flowtables",
    severity=Severity.WARNING,
    title="Two flowtables hook the same device",
    needs=("ruleset",),
    doc=RuleDoc(
        what="Two or more flowtables (in any tables) list the same device at the ingress hook.",
        why=(
            "Each flowtable registers its own ingress hook on the device. The one with the lower "
            "priority looks up every packet first and takes the flows it holds, so the other "
            "flowtable's `flow add` rules and counters never see them. Two hardware flowtables "
            "(`flags offload`) on one device make two claims on one hardware table."
        ),
        fix=(
            "Keep one flowtable per device: remove the second one, e.g.\n"
            "nft delete flowtable <family> <table> <name>\n"
            "and drop the `flow add @<name>` rules that refer to it (or the include that adds it)."
        ),
        example=(
            "flowtable inet fw4 ft (priority filter) and flowtable inet zapret ft "
            "(priority filter - 1) both on lan1, wan"
        ),
        limits="Does not know which tool created the second flowtable; it names both.",
        fix_interrupts="Yes: deleting a flowtable returns its flows to the slow path.",
        references=("zapret2 issue 188", "Documentation/networking/nf_flowtable.rst"),
    ),
)


def _fix(snap: Snapshot, a: Flowtable, b: Flowtable, unseen: Flowtable) -> str:
    """Commands that remove one of the two: the one outside the firewall's own table (fw4,
    firewalld) if there is one, else the one that sees no flows."""
    own = {"fw4": "fw4", "firewalld": "firewalld"}.get(snap.backend.value)
    drop = unseen
    if own is not None and (a.table == own) != (b.table == own):
        drop = b if a.table == own else a
    assert snap.ruleset is not None
    lines = [
        f"nft delete rule {r.family} {r.table} {r.chain} handle "
        + (str(r.handle) if r.handle is not None else "<handle (nft -a list ruleset)>")
        for c in snap.ruleset.chains
        if c.family == drop.family and c.table == drop.table
        for r in c.rules
        if r.flow_add == drop.name
    ]
    lines.append(f"nft delete flowtable {drop.family} {drop.table} {drop.name}")
    return (
        f"# keep one flowtable per device: remove {drop.table} {drop.name} and the rules that "
        "add flows to it\n" + "\n".join(lines) + "\n# and drop them from the file or include "
        "that creates them"
    )


def check(snap: Snapshot) -> RuleResult:
    assert snap.ruleset is not None
    # Flowtable blocks read outside any table (a paste of fragments, not a listing) are not
    # one ruleset: comparing them would report the same flowtable pasted twice.
    fts = [ft for ft in snap.ruleset.flowtables if ft.table]
    out = []
    for a, b in combinations(fts, 2):
        shared = sorted(set(a.devices) & set(b.devices))
        if not shared:
            continue
        first, second = sorted((a, b), key=lambda f: f.priority if f.priority is not None else 0)
        both_hw = bool(a.hw_offload and b.hw_offload)
        msg = (
            f"Flowtables {a.family} {a.table} {a.name} and {b.family} {b.table} {b.name} both "
            f"hook {', '.join(shared)}; "
        )
        if a.priority is not None and a.priority == b.priority:
            msg += (
                f"both at priority {a.priority_text or a.priority}: which one sees a flow first "
                "depends on registration order."
            )
        else:
            msg += (
                f"{first.table} {first.name} (priority {first.priority_text or first.priority}) "
                f"sees the flows first; {second.table} {second.name}'s flow add rules and "
                "counters miss them."
            )
        if both_hw:
            msg += " Both carry flags offload: two claims on one hardware table."
        out.append(
            finding(
                RULE,
                msg,
                [
                    Evidence(
                        ruleset_path(snap),
                        f"flowtable {ft.family} {ft.table} {ft.name}: hook {ft.hook} priority "
                        f"{ft.priority_text or ft.priority} devices = {{ {', '.join(ft.devices)} }}"
                        + (" flags offload" if ft.hw_offload else ""),
                    )
                    for ft in (a, b)
                ],
                _fix(snap, a, b, second),
                subject=f"{a.table}/{a.name}+{b.table}/{b.name}",
                impact=len(shared),
            )
        )
    return found(RULE, *out) if out else passed(RULE)
