"""Why is this flow (not) offloaded? One function that the CLI and the TUI share.

The kernel's conditions come from ``net/netfilter/nft_flow_offload.c``
(``nft_flow_offload_eval``): only TCP, UDP and (newer kernels) GRE version 0 without NAT;
TCP must be established and the packet carry no FIN/RST; no conntrack helper, no sequence
adjustment; the conntrack entry confirmed; and the statement is valid only in the forward
hook. Around those, the facts of the capture decide: the flowtable's devices, the rule that
holds ``flow add`` and what stands before it, the router's own addresses, bridges, and for
hardware offload the PPE table.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from offtui.engine import Evidence
from offtui.model import Chain, Flow, OffloadState, Rule, Snapshot
from offtui.topology import FlowPath, flow_path, flowtables_covering

OFFLOADABLE = {"tcp", "udp", "gre"}


@dataclass(slots=True)
class FlowExplanation:
    state: str  # "software" | "hardware" | "none"
    summary: str
    reasons: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    in_dev: str | None = None
    out_dev: str | None = None
    #: True when the facts decide; False when a needed source was missing.
    certain: bool = True

    def as_dict(self) -> dict:
        return {
            "state": self.state,
            "summary": self.summary,
            "reasons": self.reasons,
            "evidence": [
                {"source": e.source, "text": e.text, "line": e.line_no} for e in self.evidence
            ],
            "in_dev": self.in_dev,
            "out_dev": self.out_dev,
            "certain": self.certain,
        }


def describe_flow(flow: Flow) -> str:
    o = flow.orig
    ports = f":{o.sport}" if o.sport is not None else ""
    dports = f":{o.dport}" if o.dport is not None else ""
    return f"{flow.proto} {o.src}{ports} -> {o.dst}{dports}"


# ---------------------------------------------------------------------- rule matches


def _set_items(text: str) -> list[str]:
    text = text.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    return [t.strip().strip('"') for t in text.split(",") if t.strip()]


def _in_prefixes(addr: str, items: list[str]) -> bool | None:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return None
    for it in items:
        try:
            if "-" in it and "/" not in it:
                lo, hi = (ipaddress.ip_address(x.strip()) for x in it.split("-", 1))
                if lo.version == ip.version and lo <= ip <= hi:
                    return True
                continue
            net = ipaddress.ip_network(it, strict=False)
        except ValueError:
            return None
        if net.version == ip.version and ip in net:
            return True
    return False


_MATCH = re.compile(
    r"^(?P<key>meta l4proto|ip protocol|meta nfproto|ct state|ct status|ct direction|"
    r"(?:tcp|udp|th) (?:dport|sport)|ip6? (?:saddr|daddr)|iifname|oifname|iif|oif)"
    r"\s+(?P<neg>!=\s+)?(?P<val>.+)$"
)


def _packet_matches(match: str, flow: Flow, path: FlowPath, direction: str) -> bool | None:
    """Does a packet of ``flow`` going in ``direction`` satisfy ``match``? None: can't tell."""
    m = _MATCH.match(match.strip())
    if not m:
        return None
    key, neg, val = m.group("key"), bool(m.group("neg")), m.group("val")
    items = _set_items(val)
    t = flow.orig if direction == "original" else flow.reply
    res: bool | None
    if key in ("meta l4proto", "ip protocol"):
        res = flow.proto in items or str(flow.protonum) in items
    elif key == "meta nfproto":
        fam = flow.l3 or ("ipv6" if ":" in flow.orig.src else "ipv4")
        res = fam in items
    elif key == "ct state":
        # a packet of an established flow that offloading could take: "established"
        res = "established" in items
    elif key == "ct direction":
        res = direction in items
    elif key == "ct status":
        return None
    elif key.endswith(("dport", "sport")):
        proto = key.split()[0]
        if proto != "th" and proto != flow.proto:
            res = False
        else:
            port = t.dport if key.endswith("dport") else t.sport
            if port is None:
                return None
            vals: set[int] = set()
            for it in items:
                if "-" in it:
                    a, _, b = it.partition("-")
                    if a.strip().isdecimal() and b.strip().isdecimal():
                        if int(a) <= port <= int(b):
                            vals.add(port)
                        continue
                if not it.isdecimal():
                    return None  # a named service or a set reference
                vals.add(int(it))
            res = port in vals
    elif key.startswith(("ip saddr", "ip daddr", "ip6 saddr", "ip6 daddr")):
        if val.strip().startswith("@"):
            return None  # named set: contents not evaluated here
        addr = t.src if "saddr" in key else t.dst
        res = _in_prefixes(addr, items)
        if res is None:
            return None
    else:  # iifname / oifname / iif / oif
        dev = path.in_dev if (key.startswith("i")) == (direction == "original") else path.out_dev
        if dev is None:
            return None
        pats = [re.escape(i).replace(r"\*", ".*") for i in items]
        res = any(re.fullmatch(p, dev) for p in pats)
    return (not res) if neg else res


def _rule_matches(rule: Rule, flow: Flow, path: FlowPath, direction: str) -> bool | None:
    unknown = False
    for m in rule.matches:
        r = _packet_matches(m, flow, path, direction)
        if r is False:
            return False
        if r is None:
            unknown = True
    return None if unknown else True


# ---------------------------------------------------------------------- the explanation


def explain_flow(snap: Snapshot, flow: Flow) -> FlowExplanation:
    """State whether ``flow`` is offloaded in software, hardware or not at all, and why."""
    path = flow_path(snap, flow)
    ex = FlowExplanation(state="none", summary="", in_dev=path.in_dev, out_dev=path.out_dev)
    src = "proc/net/nf_conntrack" if flow.l3 else "commands/conntrack_-L"
    ex.evidence.append(
        Evidence(src, f"{describe_flow(flow)} ({flow.offload.value})", flow.line_no or None)
    )

    if flow.offload == OffloadState.HARDWARE:
        ex.state = "hardware"
        ex.summary = "Offloaded in hardware: [HW_OFFLOAD]."
        _ppe_evidence(snap, flow, ex)
        _fast_path_caveats(snap, flow, path, ex)
        return ex
    if flow.offload == OffloadState.SOFTWARE:
        ex.state = "software"
        ex.summary = "Offloaded in software: [OFFLOAD] (the flowtable's fast path)."
        if any(ft.hw_offload for ft in snap.flowtables):
            _why_not_hardware(snap, flow, ex)
        _fast_path_caveats(snap, flow, path, ex)
        return ex

    # not offloaded: the kernel's own conditions first
    if flow.proto not in OFFLOADABLE:
        ex.summary = f"Not offloaded: {flow.proto} is never offloaded."
        ex.reasons.append(
            "only TCP and UDP flows are offloaded (and GRE version 0 without NAT on newer "
            "kernels): nft_flow_offload.c"
        )
        return ex
    if flow.proto == "gre" and any(k in ("srckey", "dstkey") for k, _ in flow.orig.extra):
        ex.reasons.append("GRE version 1 (PPTP, keyed) is not offloaded")
    if flow.unreplied:
        ex.reasons.append("[UNREPLIED]: no reply seen yet, so the flow is not established")
    if flow.proto == "tcp" and flow.state and flow.state != "ESTABLISHED":
        ex.reasons.append(
            f"TCP state {flow.state}: only established TCP connections are offloaded "
            "(FIN/RST end the fast path)"
        )
    if any(e.startswith("helper=") for e in flow.extra):
        ex.reasons.append("the flow has a conntrack helper (FTP/SIP/PPTP...): never offloaded")
    if path.local:
        ex.reasons.append(
            f"traffic {path.local} the router itself: only forwarded flows pass the forward "
            "hook where `flow add` works"
        )
    if path.in_dev and path.in_dev == path.out_dev:
        lk = (snap.links or {}).get(path.in_dev)
        if lk is not None and lk.kind == "bridge":
            ex.reasons.append(
                f"both ends are behind bridge {path.in_dev}: bridged traffic never reaches the "
                "forward hook (nothing is offloaded between ports of one bridge)"
            )
    if ex.reasons:
        ex.summary = "Not offloaded: " + ex.reasons[0].split(":")[0] + "."
        return ex

    if snap.ruleset is None:
        ex.certain = False
        ex.summary = "Not offloaded; the ruleset was not collected, so the reason is unknown."
        ex.reasons.append("needs `nft list ruleset` to say more")
        return ex
    if not snap.flowtables:
        ex.summary = "Not offloaded: the ruleset has no flowtable."
        ex.reasons.append("no flowtable exists, so nothing is offloaded")
        return ex

    _device_reasons(snap, path, ex)
    _rule_reasons(snap, flow, path, ex)
    if not ex.reasons:
        ex.certain = False
        missing = [
            cmd
            for cmd, have in (
                ("`ip -j addr show`", snap.addresses is not None),
                ("`ip -j route show`", snap.routes is not None),
            )
            if not have
        ]
        ex.summary = (
            "Not offloaded, and the captured facts do not show why (a rule may not have been "
            "hit yet: flows are added when a packet passes the `flow add` rule)."
        )
        if missing:
            ex.reasons.append(
                "to check local traffic and the flow's devices, offtui needs "
                + " and ".join(missing)
            )
    else:
        ex.summary = "Not offloaded: " + ex.reasons[0] + "."
    return ex


def _device_reasons(snap: Snapshot, path: FlowPath, ex: FlowExplanation) -> None:
    if snap.routes is None:
        ex.certain = False
        return
    for label, dev in (("ingress", path.in_dev), ("egress", path.out_dev)):
        if dev is None:
            continue
        if not flowtables_covering(snap, dev):
            ex.reasons.append(f"{label} device {dev} is in no flowtable")
            ex.evidence.append(
                Evidence(
                    "commands/nft_list_ruleset",
                    "flowtable devices: "
                    + "; ".join(
                        f"{ft.table}/{ft.name}: {', '.join(ft.devices)}" for ft in snap.flowtables
                    ),
                )
            )


def _rule_reasons(snap: Snapshot, flow: Flow, path: FlowPath, ex: FlowExplanation) -> None:
    from offtui.parsers.nft_common import chains_reachable_from_hook

    rs = snap.ruleset
    assert rs is not None
    forward = chains_reachable_from_hook(rs, "forward")
    adds = [(c, r) for c in rs.chains for r in c.rules if r.flow_add]
    reachable = [(c, r) for c, r in adds if (c.family, c.table, c.name) in forward]
    if not adds:
        ex.reasons.append("no rule holds `flow add`/`flow offload`: the flowtable is never filled")
        return
    if not reachable:
        c, r = adds[0]
        hooks = [
            h
            for h in ("prerouting", "input", "output", "postrouting", "ingress")
            if (c.family, c.table, c.name) in chains_reachable_from_hook(rs, h)
        ]
        where = f"hook {c.hook}" if c.hook else "a regular chain"
        if not c.hook:
            where += f" reached from the {', '.join(hooks)} hook" if hooks else " no hook reaches"
        ex.reasons.append(
            f"the `flow add` rule is in chain {c.name} ({where}); only the forward hook offloads"
        )
        ex.evidence.append(_rule_evidence(snap, c, r))
        return
    verdicts = []
    for c, r in reachable:
        dirs = [_rule_matches(r, flow, path, d) for d in ("original", "reply")]
        if all(d is False for d in dirs):
            verdicts.append(
                f"the `flow add` rule's matches exclude this flow ({' '.join(r.matches)})"
            )
            ex.evidence.append(
                Evidence("commands/nft_list_ruleset", f"chain {c.name}: {r.text}", r.line_no)
            )
            continue
        before = _ended_before(c, r, flow, path)
        if before is not None:
            verdicts.append(
                f"an earlier rule in chain {c.name} ends evaluation before `flow add` "
                f"({before.text})"
            )
            ex.evidence.append(
                Evidence(
                    "commands/nft_list_ruleset", f"chain {c.name}: {before.text}", before.line_no
                )
            )
            continue
        return  # this rule can offload the flow: no rule-level reason
    ex.reasons.extend(verdicts)


def _rule_evidence(snap: Snapshot, chain: Chain, rule: Rule) -> Evidence:
    """Evidence for a rule: the text ruleset's line number only when the rule came from it."""
    rs = snap.ruleset
    from_text = rs is not None and rs.source == "text"
    return Evidence(
        "commands/nft_list_ruleset" if from_text else "commands/nft_-j_list_ruleset",
        f"chain {chain.family} {chain.table} {chain.name}: {rule.text}",
        rule.line_no if from_text else None,
    )


def _ended_before(chain: Chain, target: Rule, flow: Flow, path: FlowPath) -> Rule | None:
    """A rule before ``target`` in ``chain`` whose accept/drop every packet of the flow meets."""
    for r in chain.rules:
        if r is target:
            return None
        if r.verdict not in ("accept", "drop", "reject"):
            continue
        if all(_rule_matches(r, flow, path, d) is True for d in ("original", "reply")):
            return r
    return None


def _ppe_evidence(snap: Snapshot, flow: Flow, ex: FlowExplanation) -> None:
    key = f"{flow.orig.src}:{flow.orig.sport}->{flow.orig.dst}:{flow.orig.dport}"
    for t in snap.ppe:
        for e in t.entries:
            if e.orig == key:
                ex.evidence.append(
                    Evidence(t.path, f"{e.index:05x} {e.state} {e.type} orig={e.orig}", e.line_no)
                )


def _why_not_hardware(snap: Snapshot, flow: Flow, ex: FlowExplanation) -> None:
    """A hardware flowtable exists but this flow stayed in software."""
    key = f"{flow.orig.src}:{flow.orig.sport}->{flow.orig.dst}:{flow.orig.dport}"
    if not snap.ppe:
        ex.reasons.append(
            "the flowtable has flags offload but no PPE table was collected, so the hardware "
            "side cannot be checked (needs /sys/kernel/debug/ppe0/entries)"
        )
        ex.certain = False
        return
    entries = [e for t in snap.ppe for e in t.entries if e.orig == key]
    if any(e.state == "UNB" for e in entries):
        ex.reasons.append(
            "its PPE entry is UNB (unbound): the hardware binds only flows of about 30 "
            "packets/s or more, and keeps the busier flow on a hash collision"
        )
    elif not entries:
        full = [t for t in snap.ppe if t.capacity and t.bound >= 0.9 * t.capacity]
        if full:
            ex.reasons.append(
                f"no PPE entry for it and {full[0].name} is nearly full ({full[0].bound} of "
                f"{full[0].capacity} bound): surplus flows stay in software"
            )
        else:
            ex.reasons.append(
                "no PPE entry for it: the hardware never saw it (a device without PPE/WED on its "
                "path, e.g. a 2.4 GHz radio, or the entry aged out)"
            )
    _ppe_evidence(snap, flow, ex)


def _fast_path_caveats(snap: Snapshot, flow: Flow, path: FlowPath, ex: FlowExplanation) -> None:
    """Cases where the flag overstates what is offloaded."""
    for label, dev in (("ingress", path.in_dev), ("egress", path.out_dev)):
        if (
            dev
            and snap.ruleset is not None
            and snap.flowtables
            and not flowtables_covering(snap, dev)
        ):
            direction = "original" if label == "ingress" else "reply"
            ex.reasons.append(
                f"{label} device {dev} is in no flowtable: packets arriving on it (the "
                f"{direction} direction) still take the slow path although the flag is set"
            )
    br = snap.settings.sysctl.get("net.bridge.bridge-nf-call-iptables")
    if br != "1":
        return
    bridges = [lk.name for lk in (snap.links or {}).values() if lk.kind == "bridge"]
    if path.in_dev and path.in_dev == path.out_dev:
        ex.reasons.append(
            f"br_netfilter is on and both ends sit behind {path.in_dev}: the [OFFLOAD] flag is "
            "set but bridged packets keep taking the slow path"
        )
    elif path.in_dev is None and path.out_dev is None and bridges and snap.routes is not None:
        ex.certain = False
        ex.reasons.append(
            "the router has no route to either end while br_netfilter is on and bridge "
            f"{', '.join(bridges)} exists: this flow is most likely bridged, and then the "
            "[OFFLOAD] flag is set without a fast path (compare the forward-chain counters)"
        )


def find_flows(snap: Snapshot, spec: dict[str, str]) -> list[Flow]:
    """Flows matching a ``--match`` spec (see ``offtui.parsers.conntrack.match_flow``)."""
    from offtui.parsers.conntrack import match_flow

    if snap.conntrack is None:
        return []
    return [f for f in snap.conntrack.flows() if match_flow(f, spec)]
