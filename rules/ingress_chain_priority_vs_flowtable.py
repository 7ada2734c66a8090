"""ingress-chain-priority-vs-flowtable: an ingress chain runs before the flowtable."""

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
from offtui.rules._misc_helpers import flowtable_text, ruleset_path

RULE = RuleInfo(
    id="ingress-chain-priority-vs-flowtable",
    severity=Severity.INFO,
    title="An ingress chain on a flowtable device runs before the flowtable",
    needs=("ruleset",),
    doc=RuleDoc(
        what=(
            "A base chain on the `ingress` hook (family `netdev`, or `inet` since Linux 5.10) "
            "on a device that a flowtable also hooks, with a priority at or below the "
            "flowtable's (fw4: `filter` = 0; firewalld: `filter + 10`)."
        ),
        why=(
            "The kernel documentation asks for a flowtable priority smaller than the nftables "
            "ingress chain's, so that the flowtable runs first. Otherwise the chain's work "
            "(drops, marks, counters) runs before the fast path for every packet, or changes "
            "what the fast path sees."
        ),
        fix=(
            "Give the ingress chain a higher priority number than the flowtable, e.g. 10 when "
            "the flowtable is at 0. A base chain's priority cannot be changed in place: edit it "
            "in the ruleset file and load the file again in one transaction:\n"
            '#   type filter hook ingress device "<dev>" priority 10; policy accept;\n'
            "nft -c -f /etc/nftables.conf && nft -f /etc/nftables.conf"
        ),
        example=(
            'chain ingress { type filter hook ingress device "veth-a" priority filter; } and '
            "flowtable inet fw4 ft { hook ingress priority filter; devices = { veth-a, veth-b } }"
        ),
        limits=(
            "Confirmed from the kernel documentation only. Chains with a device list set by a "
            "variable or in a JSON ruleset without device names cannot be compared. Equal "
            "priorities are reported because the order between them is not documented. "
            "tc ingress filters (also before the flowtable) are not nftables chains and are "
            "not checked here."
        ),
        fix_interrupts=(
            "No, as long as the file does not delete the flowtable's table: `nft -f` applies "
            "it as one atomic transaction and offloaded flows stay."
        ),
        references=(
            "Documentation/networking/nf_flowtable.rst (flowtable priority smaller than the "
            "ingress chain's)",
        ),
    ),
)


def check(snap: Snapshot) -> RuleResult:
    rs = snap.ruleset
    assert rs is not None
    fts = rs.flowtables
    if not fts:
        return passed(RULE, "no flowtable")
    ingress = [c for c in rs.chains if c.hook == "ingress" and c.type is not None]
    if not ingress:
        return passed(RULE, "no ingress-hook chain")
    src = ruleset_path(snap)
    out = []
    for chain in ingress:
        for ft in fts:
            shared = sorted(set(chain.devices) & set(ft.devices))
            if not shared or chain.priority is None or ft.priority is None:
                continue
            if chain.priority > ft.priority:
                continue
            cprio = chain.priority_text or str(chain.priority)
            fprio = ft.priority_text or str(ft.priority)
            rel = (
                "the same priority as" if chain.priority == ft.priority else "a lower priority than"
            )
            out.append(
                finding(
                    RULE,
                    f"Ingress chain {chain.family} {chain.table} {chain.name} on "
                    f"{', '.join(shared)} has {rel} flowtable {ft.table} {ft.name} "
                    f"({cprio} vs {fprio}): it runs before the fast path for every packet.",
                    [
                        Evidence(
                            src,
                            f"chain {chain.family} {chain.table} {chain.name} {{ type "
                            f"{chain.type} hook ingress devices {{ {', '.join(chain.devices)} }} "
                            f"priority {cprio}; {len(chain.rules)} rule(s) }}",
                        ),
                        Evidence(src, flowtable_text(ft)),
                    ],
                    fix=(
                        f"# in the file that defines table {chain.family} {chain.table}, chain "
                        f"{chain.name}:\n#   type {chain.type} hook ingress ... priority "
                        f"{ft.priority + 10}; policy accept;\n"
                        "nft -c -f /etc/nftables.conf && nft -f /etc/nftables.conf"
                    ),
                    impact=float(len(shared)) * (1 + len(chain.rules)),
                    subject=f"{chain.table}/{chain.name}+{ft.table}/{ft.name}",
                )
            )
    return found(RULE, *out) if out else passed(RULE)
