"""flow-add-outside-forward: a `flow add` statement that the forward hook never runs."""

from __future__ import annotations

from offtui.engine import Evidence, RuleDoc, RuleInfo, RuleResult, Severity, finding, found, passed
from offtui.model import Snapshot
from offtui.parsers.nft_common import chains_reachable_from_hook
from offtui.rules._misc_helpers import rule_path

#: The flow offload expression exists for these families only (nft_flow_offload.c).
FAMILIES = ("inet", "ip", "ip6")

RULE = RuleInfo(
    id="flow-add-outside-forward",
    severity=Severity.ERROR,
    title="`flow add` sits outside the forward hook",
    needs=("ruleset",),
    doc=RuleDoc(
        what=(
            "A `flow add @ft` / `flow offload @ft` statement in a chain whose hook is not "
            "`forward` (input, output, prerouting...), or in a regular chain that no "
            "forward-hook chain jumps to."
        ),
        why=(
            "The kernel's flow offload expression only offloads in the forward hook "
            "(`nft_flow_offload.c`); elsewhere the rule matches and does nothing, or nft refuses "
            "it. Traffic to and from the router itself is never offloaded at all."
        ),
        fix=(
            "Move the rule into the forward chain, first, e.g.:\n"
            "nft insert rule inet filter forward meta l4proto { tcp, udp } flow add @ft\n"
            "nft delete rule inet filter input handle <handle>"
        ),
        example="chain input { type filter hook input priority filter; ... flow add @f }",
        limits=(
            "Reachability follows jump, goto and verdict maps from the forward hook of the "
            "inet/ip/ip6 families (a bridge-family forward chain does not count); rules added "
            "later by scripts are not seen."
        ),
        fix_interrupts="No: adding a rule does not drop flows.",
        references=(
            "nixos-bpir3-example issue 7 (flow add @f in chain input)",
            "net/netfilter/nft_flow_offload.c",
        ),
    ),
)


def check(snap: Snapshot) -> RuleResult:
    rs = snap.ruleset
    assert rs is not None
    forward = chains_reachable_from_hook(rs, "forward", families=FAMILIES)
    out = []
    for chain in rs.chains:
        key = (chain.family, chain.table, chain.name)
        for rule in chain.rules:
            if rule.flow_add is None or key in forward:
                continue
            if chain.hook and chain.family not in FAMILIES:
                where = f"family {chain.family}, hook {chain.hook}"
            elif chain.hook:
                where = f"hook {chain.hook}"
            else:
                where = "a regular chain that no forward-hook chain jumps to"
            fwd = next(
                (
                    c.name
                    for c in rs.chains
                    if c.family == chain.family
                    and c.table == chain.table
                    and c.hook == "forward"
                    and c.type is not None
                ),
                "<forward chain>",
            )
            handle = rule.handle if rule.handle is not None else "<handle (nft -a list ruleset)>"
            fix = (
                f"nft insert rule {chain.family} {chain.table} {fwd} "
                f"meta l4proto {{ tcp, udp }} flow add @{rule.flow_add}\n"
                f"nft delete rule {chain.family} {chain.table} {chain.name} handle {handle}"
            )
            out.append(
                finding(
                    RULE,
                    f"`flow add @{rule.flow_add}` in chain {chain.family} {chain.table} "
                    f"{chain.name} ({where}) never offloads anything.",
                    [
                        Evidence(
                            rule_path(snap),
                            f"chain {chain.name} ({where}): {rule.text}",
                            rule.line_no,
                        )
                    ],
                    fix,
                    subject=f"{chain.table}/{chain.name}/{rule.handle}",
                    impact=1.0,
                )
            )
    return found(RULE, *out) if out else passed(RULE)
