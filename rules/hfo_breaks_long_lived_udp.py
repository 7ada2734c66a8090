"""hfo-breaks-long-lived-udp: hardware-offloaded UDP loses its conntrack state while it flows."""

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
from offtui.model import Flow, OffloadMode, OffloadState, PpeEntry, Snapshot
from offtui.rules._net_helpers import conntrack_source, flow_text

#: Well-known ports of long-lived UDP tunnels (WireGuard, OpenVPN, IKE/NAT-T, L2TP, Tailscale).
VPN_PORTS = (51820, 1194, 500, 4500, 1701, 41641)

RULE = RuleInfo(
    id="hfo-breaks-long-lived-udp",
    severity=Severity.WARNING,
    title="Hardware offload can drop the state of long-lived UDP flows",
    needs=("conntrack",),
    needs_any=(("ruleset",), ("ppe",), ("fw4",)),
    doc=RuleDoc(
        what=(
            "Hardware offload is on and either a UDP flow is back in conntrack with a timeout "
            "(no `[HW_OFFLOAD]`) while the PPE still holds bound (BND) entries for it, or UDP "
            "tunnel flows (WireGuard 51820, OpenVPN 1194, IKE 500/4500, Tailscale 41641) are "
            "in hardware."
        ),
        why=(
            "A hardware-offloaded UDP flow can age out of conntrack and the flowtable while its "
            "packets keep flowing in the PPE, whose counters the kernel does not see. Replies "
            "then reach a router with no NAT state, which answers `ICMP port unreachable`: "
            "long-lived UDP (a WireGuard peer behind the router) stops after a while "
            "(openwrt#17915 shows `[HW_OFFLOAD]`, then the entry back with timeout 149, while "
            "both PPE entries stay BND)."
        ),
        fix=(
            "Use software offload:\n"
            "uci set firewall.@defaults[0].flow_offloading_hw='0'\n"
            "uci commit firewall && /etc/init.d/firewall restart\n"
            "Optionally raise the flowtable's UDP timeout:\n"
            "sysctl -w net.netfilter.nf_flowtable_udp_timeout=120\n"
            "echo 'net.netfilter.nf_flowtable_udp_timeout=120' > /etc/sysctl.d/12-flowtable.conf"
        ),
        example=(
            "udp src=192.168.81.11 dst=x.x.x.x sport=38720 dport=3578 timeout 149 (no "
            "[HW_OFFLOAD]); ppe0: 03c98 BND IPv4 5T orig=192.168.81.11:38720->x.x.x.x:3578"
        ),
        limits=(
            "Partially confirmed: the issue is open with maintainer triage and the mechanism "
            "is inferred from its conntrack event log. A capture is one moment, so it shows "
            "the mismatch only if taken while it happens; otherwise the rule only warns about "
            "tunnel flows in hardware. PPE entries are matched on IPv4 addresses and ports."
        ),
        fix_interrupts="Yes: the firewall restart returns all flows to the slow path briefly.",
        references=("openwrt/openwrt#17915",),
    ),
)


def _ppe_key(e: PpeEntry) -> str:
    return e.orig.replace(" ", "")


def _keys(f: Flow) -> tuple[str, str]:
    o, r = f.orig, f.reply
    return (f"{o.src}:{o.sport}->{o.dst}:{o.dport}", f"{r.src}:{r.sport}->{r.dst}:{r.dport}")


def check(snap: Snapshot) -> RuleResult:
    ct = snap.conntrack
    assert ct is not None
    hw = snap.offload_mode == OffloadMode.HARDWARE
    if not hw:
        if snap.offload_mode == OffloadMode.UNKNOWN:
            return skipped(RULE, "needs `nft list ruleset` (text) to tell hardware offload")
        return passed(RULE, f"offload mode is {snap.offload_mode.value}, not hardware")
    src = conntrack_source(snap)
    bound: dict[str, tuple[str, PpeEntry]] = {}
    for t in snap.ppe:
        for e in t.entries:
            if e.state == "BND":
                bound[_ppe_key(e)] = (t.path, e)
    out = []
    seen: set[tuple[str, str]] = set()
    udp = [f for f in ct.flows() if f.proto == "udp"]
    for f in udp:
        if f.offload != OffloadState.NONE:
            continue
        hits = [bound[k] for k in _keys(f) if k in bound]
        if not hits or _keys(f) in seen:
            continue
        seen.add(_keys(f))
        ev = [Evidence(src, flow_text(f) + f" timeout={f.timeout}", f.line_no or None)]
        ev += [
            Evidence(path, f"{e.index:05x} {e.state} {e.type} orig={e.orig}", e.line_no or None)
            for path, e in hits
        ]
        was_hw = [g for g in udp if g.offload == OffloadState.HARDWARE and _keys(g) == _keys(f)]
        for g in was_hw[:1]:
            ev.insert(0, Evidence(src, flow_text(g), g.line_no or None))
        out.append(
            finding(
                RULE,
                f"UDP flow {f.orig.src}:{f.orig.sport} -> {f.orig.dst}:{f.orig.dport} is back in "
                f"conntrack with a timeout ({f.timeout} s, no [HW_OFFLOAD]) while the PPE still "
                f"forwards it ({len(hits)} BND entr{'y' if len(hits) == 1 else 'ies'}): when "
                "the entry expires, replies meet no NAT state and the session stops.",
                ev,
                subject=f"{f.orig.src}:{f.orig.sport}",
                impact=2.0,
            )
        )
    tunnels = [
        f
        for f in udp
        if f.offload == OffloadState.HARDWARE
        and (f.orig.dport in VPN_PORTS or f.orig.sport in VPN_PORTS)
        and _keys(f) not in seen
    ]
    if tunnels:
        out.append(
            finding(
                RULE,
                f"{len(tunnels)} UDP tunnel flow(s) (ports "
                f"{', '.join(sorted({str(f.orig.dport) for f in tunnels}))}) are in hardware; "
                "with hardware offload such long-lived UDP flows have been seen to lose their "
                "conntrack state and stop.",
                [Evidence(src, flow_text(f), f.line_no or None) for f in tunnels[:4]],
                severity=Severity.INFO,
                subject="udp-tunnels",
                impact=float(len(tunnels)),
            )
        )
    if not out:
        return passed(RULE, f"{len(udp)} UDP flow(s); none out of step with the PPE")
    return found(RULE, *out)
