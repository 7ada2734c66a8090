"""overlapping-flowtables: two flowtables hook the same device."""

from __future__ import annotations

from itertools import combinations

from offtui.engine import Evidence, RuleDoc, RuleInfo, RuleResult, Severity, finding, found, passed
from offtui.model import Snapshot

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


def check(snap: Snapshot) -> RuleResult:
    assert snap.ruleset is not None
    fts = snap.ruleset.flowtables
    out = []
    for a, b in combinations(fts, 2):
        shared = sorted(set(a.devices) & set(b.devices))
        if not shared:
            continue
        first, _ = sorted((a, b), key=lambda f: f.priority if f.priority is not None else 0)
        both_hw = bool(a.hw_offload and b.hw_offload)
        msg = (
            f"Flowtables {a.family} {a.table} {a.name} and {b.family} {b.table} {b.name} both "
            f"hook {', '.join(shared)}; {first.table} {first.name} (priority "
            f"{first.priority_text or first.priority}) sees the flows first."
        )
        if both_hw:
            msg += " Both carry flags offload: two claims on one hardware table."
        out.append(
            finding(
                RULE,
                msg,
                [
                    Evidence(
                        "commands/nft_list_ruleset",
                        f"flowtable {ft.family} {ft.table} {ft.name}: hook {ft.hook} priority "
                        f"{ft.priority_text or ft.priority} devices = {{ {', '.join(ft.devices)} }}"
                        + (" flags offload" if ft.hw_offload else ""),
                    )
                    for ft in (a, b)
                ],
                subject=f"{a.table}/{a.name}+{b.table}/{b.name}",
                impact=len(shared),
            )
        )
    return found(RULE, *out) if out else passed(RULE)
