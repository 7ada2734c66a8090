"""flow-add-rule-placement: `flow add` behind an accept, or with matches that exclude flows."""

from __future__ import annotations

from dataclasses import dataclass, field

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
from offtui.model import Chain, Rule, Snapshot
from offtui.rules._misc_helpers import accepts_established, narrowing_matches, rule_path

#: Families whose forward hook can offload (nft_flow_offload is an inet/ip/ip6 expression).
FAMILIES = ("inet", "ip", "ip6")
MAX_DEPTH = 16

RULE = RuleInfo(
    id="flow-add-rule-placement",
    severity=Severity.INFO,
    title="`flow add` is placed where most traffic never reaches it",
    needs=("ruleset",),
    doc=RuleDoc(
        what=(
            "In a forward-hook chain (or a chain it jumps to), the `flow add` / `flow offload` "
            "statement comes after a rule that accepts established traffic (`ct state "
            "established,related accept`, a `ct state vmap` with `established : accept`, a bare "
            "`accept`, or a jump to a chain that does so), or it carries matches (ports, "
            "addresses, interfaces, `ct state new`) that leave most flows out."
        ),
        why=(
            "Only packets that reach the `flow add` statement create flowtable entries, and an "
            "accept ends the base chain for the packets it matches. fw4 puts the statement first "
            "in `forward`, firewalld puts it before its established accept; hand-written rulesets "
            "often put it last, after the accept that already took every established packet, so "
            "nothing (or only what the matches select) is ever offloaded."
        ),
        fix=(
            "Move the statement to the top of the forward chain, e.g.\n"
            "nft insert rule <family> <table> <forward chain> meta l4proto { tcp, udp } flow add "
            "@<ft>\n"
            "nft delete rule <family> <table> <chain> handle <handle of the old rule>\n"
            "# or, keeping the established accept: ct state established,related flow add @<ft>"
        ),
        example=(
            "chain forward { ct state established,related accept; "
            "meta l4proto { tcp, udp } flow add @ft }"
        ),
        limits=(
            "Partially confirmed: follows the rule semantics; no user report was found. Only "
            "accepts before the statement in the same base chain (or in chains it jumps to) are "
            "considered: an accept in another base chain on the forward hook does not stop this "
            "one. The statement in a chain the forward hook never reaches is "
            "flow-add-outside-forward's finding. Matches are judged by their text: a set of "
            "ports may still cover the traffic that matters."
        ),
        fix_interrupts="No: inserting and deleting a rule does not drop flows.",
        references=(
            "Documentation/networking/nf_flowtable.rst (example: flow add in the forward chain)",
            "firewall4 ruleset.uc (flow offload first in forward)",
            "firewalld src/firewall/core/nftables.py (flow add before the established accept)",
            "openwrt/firewall4 PR #20",
            "firewalld/firewalld#1556",
        ),
    ),
)


@dataclass
class _Site:
    chain: Chain
    rule: Rule
    blockers: list[tuple[Chain, Rule]]
    via: list[tuple[Chain, Rule]] = field(default_factory=list)  # jump rules leading here


def _walk(
    chain: Chain,
    index: dict[tuple[str, str, str], Chain],
    blockers: list[tuple[Chain, Rule]],
    via: list[tuple[Chain, Rule]],
    seen: set[tuple[str, str, str]],
    sites: list[_Site],
) -> list[tuple[Chain, Rule]]:
    """Walk ``chain`` in order; return the established-accepting rules found in it (deep)."""
    found_here: list[tuple[Chain, Rule]] = []
    for rule in chain.rules:
        if rule.flow_add is not None:
            sites.append(_Site(chain, rule, list(blockers), list(via)))
        if accepts_established(rule):
            blockers.append((chain, rule))
            found_here.append((chain, rule))
        targets = list(rule.targets) or ([rule.target] if rule.target else [])
        for t in targets:
            key = (chain.family, chain.table, t)
            sub = index.get(key)
            if sub is None or key in seen or len(via) >= MAX_DEPTH:
                continue
            inner = _walk(sub, index, list(blockers), [*via, (chain, rule)], seen | {key}, sites)
            blockers.extend(inner)
            found_here.extend(inner)
    return found_here


def _sites(snap: Snapshot) -> list[_Site]:
    rs = snap.ruleset
    assert rs is not None
    index = {(c.family, c.table, c.name): c for c in rs.chains}
    sites: list[_Site] = []
    for c in rs.chains:
        if c.hook == "forward" and c.type is not None and c.family in FAMILIES:
            key = (c.family, c.table, c.name)
            _walk(c, index, [], [], {key}, sites)
    return sites


def _where(chain: Chain) -> str:
    return f"{chain.family} {chain.table} {chain.name}"


def check(snap: Snapshot) -> RuleResult:
    src = rule_path(snap)
    out = []
    reported: set[tuple[str, str, str, int | None, str]] = set()
    offloaded = None
    if snap.conntrack is not None:
        offloaded = snap.conntrack.offload + snap.conntrack.hw_offload
    for site in _sites(snap):
        key = (
            site.chain.family,
            site.chain.table,
            site.chain.name,
            site.rule.handle,
            site.rule.text,
        )
        if key in reported:
            continue
        reported.add(key)
        flow_ev = Evidence(src, f"chain {_where(site.chain)}: {site.rule.text}", site.rule.line_no)
        subject = f"{site.chain.table}/{site.chain.name}/{site.rule.handle or site.rule.text}"
        if site.blockers:
            bchain, brule = site.blockers[0]
            evidence = [
                Evidence(src, f"chain {_where(bchain)}: {brule.text}", brule.line_no),
                flow_ev,
            ]
            msg = (
                f"`flow add @{site.rule.flow_add}` in chain {_where(site.chain)} comes after "
                f"`{brule.text}` (chain {bchain.name}), which accepts established traffic first: "
                "those packets never reach the statement, so their flows are not offloaded."
            )
            severity = None
            if offloaded == 0:
                severity = Severity.WARNING
                evidence.append(
                    Evidence(
                        "proc/net/nf_conntrack"
                        if snap.conntrack and snap.conntrack.source == "proc"
                        else "commands/conntrack_-L",
                        f"{snap.conntrack.total if snap.conntrack else 0} entries, "
                        "0 [OFFLOAD], 0 [HW_OFFLOAD]",
                    )
                )
                msg += " Conntrack shows no offloaded flow at all."
            base = site.via[0][0] if site.via else site.chain
            handle = site.rule.handle if site.rule.handle is not None else "<handle (nft -a)>"
            fix = (
                f"nft insert rule {base.family} {base.table} {base.name} meta l4proto "
                f"{{ tcp, udp }} flow add @{site.rule.flow_add}\n"
                f"nft delete rule {site.chain.family} {site.chain.table} {site.chain.name} "
                f"handle {handle}"
            )
            out.append(
                finding(
                    RULE,
                    msg,
                    evidence,
                    fix,
                    severity=severity,
                    impact=2.0 if offloaded == 0 else 1.0,
                    subject=subject,
                )
            )
            continue
        narrow = narrowing_matches(site.rule)
        for jchain, jrule in site.via:
            narrow += [f"{m} (on the jump in {jchain.name})" for m in narrowing_matches(jrule)]
        if narrow:
            out.append(
                finding(
                    RULE,
                    f"`flow add @{site.rule.flow_add}` in chain {_where(site.chain)} only offloads "
                    f"flows matching {'; '.join(narrow)}: every other TCP/UDP flow stays on the "
                    "slow path.",
                    [flow_ev],
                    fix=(
                        "If the matches are not meant to limit offloading, drop them:\n"
                        f"nft insert rule {site.chain.family} {site.chain.table} "
                        f"{site.chain.name} meta l4proto {{ tcp, udp }} flow add "
                        f"@{site.rule.flow_add}\n"
                        f"nft delete rule {site.chain.family} {site.chain.table} "
                        f"{site.chain.name} handle <handle>"
                    ),
                    impact=0.5,
                    subject=subject,
                )
            )
    return found(RULE, *out) if out else passed(RULE)
