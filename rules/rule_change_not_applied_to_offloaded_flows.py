"""rule-change-not-applied-to-offloaded-flows: offloaded flows that a current rule would drop."""

from __future__ import annotations

import ipaddress
import re

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
from offtui.model import Chain, Flow, Rule, Ruleset, Snapshot
from offtui.parsers.nft_common import unquote
from offtui.rules._net_helpers import (
    INET_FAMILIES,
    conntrack_source,
    flow_bytes,
    flow_text,
    is_offloaded,
    rule_evidence_source,
)
from offtui.topology import flow_path

RULE = RuleInfo(
    id="rule-change-not-applied-to-offloaded-flows",
    severity=Severity.WARNING,
    title="Offloaded flows keep running past a rule that now drops them",
    needs=("ruleset", "conntrack"),
    doc=RuleDoc(
        what=(
            "A `drop`/`reject` rule in a forward-hook chain matches a flow that conntrack still "
            "shows as `[OFFLOAD]`/`[HW_OFFLOAD]`: the rule was added after the flow was "
            "offloaded, and the flow keeps bypassing it."
        ),
        why=(
            "Offloaded packets skip the forward chain, so a new drop or reroute rule only sees "
            "new connections. Stock fw4 deletes and recreates its flowtable on every reload, "
            "which sends cached flows back through the ruleset; vendor firmware, custom nft "
            "tables and firewalld may not."
        ),
        fix=(
            "Flush the affected flows so they are re-evaluated:\n"
            "conntrack -D -s <ip>            # or conntrack -F for all\n"
            "fw4: /etc/init.d/firewall restart (recreates the flowtable); firewalld: "
            "firewall-cmd --reload and conntrack -D -s <ip>"
        ),
        example=(
            "rule `ip saddr 10.0.1.2 drop` in chain inet fw4 forward; conntrack: tcp "
            "src=10.0.1.2 dst=10.0.2.2 dport=5001 [OFFLOAD]"
        ),
        limits=(
            "Partially confirmed: stock fw4's reload behaviour comes from its source, the "
            "symptom from one report. Only rules whose every match is an address, port, "
            "protocol, interface name or ct state are evaluated; sets by name, marks and "
            "other matches make a rule undecidable and it is left out. The change time of "
            "the configuration is not in the capture."
        ),
        fix_interrupts="Yes: flushing conntrack entries restarts the affected connections' state.",
        references=(
            "arch-anes/self-hosted-services PR #836",
            "firewall4 ruleset.uc (delete flowtable inet fw4 ft on render)",
            "Siflower 1806_SDK#47",
        ),
    ),
)


def _values(text: str) -> list[str]:
    text = text.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    return [unquote(v) for v in text.replace(",", " ").split()]


def _addr_in(addr: str, values: list[str]) -> bool | None:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return None
    for v in values:
        try:
            if ip in ipaddress.ip_network(v, strict=False):
                return True
        except ValueError:
            return None
    return False


def _split(m: str) -> tuple[str, str] | None:
    """("ip saddr", "10.0.1.2") from a match; ``meta`` before iifname/oifname is dropped."""
    words = m.split()
    if words[:1] == ["meta"] and len(words) > 1 and words[1] in ("iifname", "oifname"):
        words = words[1:]
    if len(words) >= 2 and words[0] in ("iifname", "oifname"):
        return words[0], " ".join(words[1:])
    if len(words) >= 3:
        return " ".join(words[:2]), " ".join(words[2:])
    return None


def _match(m: str, f: Flow, in_dev: str | None, out_dev: str | None) -> bool | None:
    """Does match ``m`` hold for the flow's original direction? None: cannot tell."""
    parts = _split(m)
    if parts is None:
        return None
    sel, rest = parts
    neg = rest.startswith("!= ")
    if neg:
        rest = rest[3:]
    vals = _values(rest)
    res: bool | None
    if sel in ("ip saddr", "ip6 saddr"):
        res = _addr_in(f.orig.src, vals)
    elif sel in ("ip daddr", "ip6 daddr"):
        # before DNAT (orig.dst) or after it (reply.src): a forward rule sees the latter
        res = _addr_in(f.reply.src, vals)
    elif sel.split()[0] in ("tcp", "udp", "th") and sel.split()[1] in ("dport", "sport"):
        proto, which = sel.split()
        if proto != "th" and proto != f.proto:
            res = False
        else:
            port = f.reply.sport if which == "dport" else f.orig.sport
            res = str(port) in vals
    elif sel in ("meta l4proto", "ip protocol", "ip6 nexthdr"):
        res = f.proto in vals
    elif sel == "iifname":
        res = None if in_dev is None else in_dev in vals
    elif sel == "oifname":
        res = None if out_dev is None else out_dev in vals
    elif sel == "ct state":
        res = "established" in vals
    else:
        return None
    if res is None:
        return None
    return not res if neg else res


_VMAP_RE = re.compile(r"\bestablished\s*:\s*(accept|drop|reject|jump|goto)\b")


def _eval_chain(
    rs: Ruleset, chain: Chain, f: Flow, devs: tuple[str | None, str | None], depth: int = 0
) -> tuple[str, Rule | None]:
    """Walk a chain as an established packet of ``f`` would.

    Returns ("drop", rule) when a drop/reject rule takes it, ("accept", None), ("return",
    None) at the end of a regular chain, or ("unknown", None) when a match or verdict cannot be
    decided from the capture (the caller then reports nothing).
    """
    if depth > 16:
        return "unknown", None
    for rule in chain.rules:
        if rule.verdict is None:
            continue  # counters, flow add, marks: evaluation goes on
        results = [_match(m, f, *devs) for m in rule.matches]
        if any(r is False for r in results):
            continue
        if any(r is None for r in results):
            return "unknown", None
        if rule.verdict in ("drop", "reject"):
            return "drop", rule
        if rule.verdict == "accept":
            return "accept", None
        if rule.verdict == "return":
            return "return", None
        if rule.verdict == "vmap":
            m = _VMAP_RE.search(rule.text) if "ct state vmap" in rule.text else None
            if m is None:
                return "unknown", None
            if m.group(1) == "accept":
                return "accept", None
            return ("drop", rule) if m.group(1) in ("drop", "reject") else ("unknown", None)
        if rule.verdict in ("jump", "goto") and rule.target:
            target = next(
                (
                    c
                    for c in rs.chains
                    if (c.family, c.table, c.name) == (chain.family, chain.table, rule.target)
                ),
                None,
            )
            if target is None:
                return "unknown", None
            res, hit = _eval_chain(rs, target, f, devs, depth + 1)
            if res != "return" or rule.verdict == "goto":
                return (res, hit) if res != "return" else ("return", None)
            continue
        return "unknown", None
    return "return", None


def _dropped_by(rs: Ruleset, f: Flow, devs: tuple[str | None, str | None]) -> Rule | None:
    """The rule (or base chain policy) that would now drop an established packet of ``f``."""
    bases = sorted(
        (c for c in rs.chains if c.hook == "forward" and c.type and c.family in INET_FAMILIES),
        key=lambda c: c.priority if c.priority is not None else 0,
    )
    for chain in bases:
        res, hit = _eval_chain(rs, chain, f, devs)
        if res == "unknown":
            return None
        if res == "drop":
            return hit
        if res == "return" and chain.policy == "drop":
            return Rule(chain.family, chain.table, chain.name, None, "policy drop", verdict="drop")
    return None


def check(snap: Snapshot) -> RuleResult:
    rs, ct = snap.ruleset, snap.conntrack
    assert rs is not None and ct is not None
    offl = [f for f in ct.flows() if is_offloaded(f)]
    if not offl:
        return passed(RULE, "no offloaded flow in conntrack")
    by_rule: dict[tuple[str, str, str, str], tuple[Rule, list[Flow]]] = {}
    for f in offl:
        path = flow_path(snap, f) if snap.routes is not None else None
        devs = (path.in_dev, path.out_dev) if path else (None, None)
        rule = _dropped_by(rs, f, devs)
        if rule is not None:
            key = (rule.family, rule.table, rule.chain, rule.text)
            by_rule.setdefault(key, (rule, []))[1].append(f)
    out = []
    src = conntrack_source(snap)
    for rule, hit in by_rule.values():
        rpath, line = rule_evidence_source(snap, rule)
        ev = [Evidence(rpath, f"chain {rule.family} {rule.table} {rule.chain}: {rule.text}", line)]
        ev += [Evidence(src, flow_text(f), f.line_no or None) for f in hit[:5]]
        hosts = sorted({f.orig.src for f in hit})
        verdict = "reject" if rule.verdict == "reject" else "drop"
        out.append(
            finding(
                RULE,
                f"`{rule.text}` in chain {rule.table} {rule.chain} would {verdict} "
                f"{len(hit)} flow(s) that are still offloaded: they were offloaded before the "
                "rule existed and bypass it until they end or are flushed.",
                ev,
                "\n".join(f"conntrack -D -s {h}" for h in hosts[:5]) + "\n" + RULE.doc.fix,
                subject=f"{rule.table}/{rule.chain}/{rule.handle}",
                impact=float(sum(flow_bytes(f) for f in hit) or len(hit)),
            )
        )
    if not out:
        return passed(RULE, f"the forward chains still accept the {len(offl)} offloaded flow(s)")
    return found(RULE, *out)
