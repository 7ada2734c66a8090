"""nft-qos-marks-limits-bypassed: per-packet nft statements stop acting on offloaded flows."""

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
from offtui.model import Rule, Snapshot
from offtui.parsers.nft_common import chains_reachable_from_hook
from offtui.rules._net_helpers import (
    INET_FAMILIES,
    active_flowtables,
    flow_add_rules,
    rule_evidence_source,
)

#: Hooks whose chains offloaded packets skip: they leave from the ingress hook.
BYPASSED_HOOKS = ("prerouting", "forward", "postrouting")
#: Tools that do their classification in nft and are known to suffer from it.
KNOWN_CONSUMERS = ("qosmate", "dscpclassify", "nft-qos")

RULE = RuleInfo(
    id="nft-qos-marks-limits-bypassed",
    severity=Severity.WARNING,
    title="DSCP marks, rate limits, quotas and logging stop applying to offloaded flows",
    needs=("ruleset",),
    doc=RuleDoc(
        what=(
            "A flowtable is in use, and chains on the prerouting, forward or postrouting hook "
            "(or chains they jump to) hold per-packet statements: `ip dscp set`, "
            "`ip6 dscp set`, `meta priority set`, `meta mark set`, `limit rate`, `quota`, "
            "`ct count`, `log`, meters or set updates. Also names qosmate, dscpclassify or "
            "nft-qos when their config is present."
        ),
        why=(
            'Once a flow is offloaded, its packets leave from the ingress hook: "you do not see '
            'these packets from any of the Netfilter hooks coming after ingress" '
            "(nf_flowtable.rst). DSCP rewriting, policing, quotas and logging then act only on "
            "the few packets before the flow was offloaded, for the rest of the flow's life "
            '(Calico: offload "silently breaks DSCP marking, per-endpoint connection limits '
            'and packet rate limits").'
        ),
        fix=(
            "Move DSCP classification into tc (act_ctinfo restores DSCP from the conntrack "
            "mark on egress; qosmate does this when software offload is on), or exclude the "
            "affected hosts from offload with a custom `flow add` rule, or switch offload off:\n"
            "uci set firewall.@defaults[0].flow_offloading='0'\n"
            "uci commit firewall\n"
            "/etc/init.d/firewall restart"
        ),
        example=(
            "chain mangle_forward (hook forward): ip dscp set cs1; flowtable inet fw4 ft in use"
        ),
        limits=(
            "Rules that only match a connection's first packets (`ct state new`, TCP SYN, e.g. "
            "fw4's MSS clamping) and `ct mark set` (the mark stays on the conntrack entry) are "
            "not reported. The rule does not check whether a statement's matches and the "
            "`flow add` rule's matches select the same flows; named counters that feed "
            "statistics are not recognised."
        ),
        fix_interrupts=(
            "Yes for switching offload off (firewall restart); moving marks into tc does not "
            "interrupt traffic."
        ),
        references=(
            "projectcalico/calico PR #13495",
            "hudra0/qosmate PR #86 and issue #91",
            "Documentation/networking/nf_flowtable.rst (Overview)",
        ),
    ),
)


def _first_packets_only(rule: Rule) -> bool:
    """True when a rule matches only packets that come before a flow can be offloaded."""
    for m in rule.matches:
        words = m.replace(",", " ").split()
        if words[:2] == ["ct", "state"] and not {"established", "related"} & set(words[2:]):
            return True
        if words[:2] == ["tcp", "flags"] and "syn" in words[2:]:
            return True
    return False


def _bypassed(stmt: str) -> bool:
    words = stmt.split()
    if words[:3] in (["ct", "mark", "set"], ["ct", "label", "set"]):
        return False
    # ct helper / ct zone act when the conntrack entry is created
    return words[:2] not in (["ct", "helper"], ["ct", "zone"])


def check(snap: Snapshot) -> RuleResult:
    rs = snap.ruleset
    assert rs is not None
    fts = active_flowtables(snap)
    if not fts:
        return passed(RULE, "no flowtable is filled by a forward-hook `flow add` rule")
    offload_rules = flow_add_rules(snap)
    hits: list[tuple[str, Rule, list[str]]] = []
    for hook in BYPASSED_HOOKS:
        reach = chains_reachable_from_hook(rs, hook, families=INET_FAMILIES)
        for chain in rs.chains:
            if (chain.family, chain.table, chain.name) not in reach:
                continue
            for rule in chain.rules:
                if rule.flow_add or _first_packets_only(rule):
                    continue
                stmts = [s for s in rule.statements if _bypassed(s)]
                if stmts and all(r is not rule for _, r, _ in hits):
                    hits.append((f"{chain.table} {chain.name} ({hook})", rule, stmts))
    consumers = [c for c in KNOWN_CONSUMERS if c in snap.settings.uci]
    if not hits and not consumers:
        return passed(RULE, "no per-packet mark, limit, quota or log statement on bypassed hooks")
    ev = [
        Evidence(
            *rule_evidence_source(snap, r)[:1],
            f"chain {c.family} {c.table} {c.name}: {r.text}",
            rule_evidence_source(snap, r)[1],
        )
        for c, r in offload_rules[:1]
    ]
    for where, rule, _stmts in hits[:8]:
        path, line = rule_evidence_source(snap, rule)
        ev.append(Evidence(path, f"chain {where}: {rule.text}", line))
    for c in consumers:
        ev.append(Evidence(f"etc/config/{c}", f"{c} is configured (classifies in nft)"))
    kinds = sorted({" ".join(s.split()[:3]) for _, _, st in hits for s in st})
    msg = (
        f"Flowtable {', '.join(ft.name for ft in fts)} offloads flows, and {len(hits)} rule(s) "
        "on hooks that offloaded packets skip hold per-packet statements"
        + (f" ({'; '.join(kinds[:6])})" if kinds else "")
        + ": they act only on each flow's first packets."
    )
    if consumers:
        msg += f" {', '.join(consumers)} is configured and classifies with nft rules."
    return found(
        RULE,
        finding(RULE, msg, ev, subject="ruleset", impact=float(len(hits) + len(consumers))),
    )
