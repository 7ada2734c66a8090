"""local-traffic-not-offloaded: much of the traffic ends at the router, where nothing offloads."""

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
from offtui.model import Flow, Snapshot
from offtui.rules._net_helpers import (
    conntrack_source,
    flow_bytes,
    flow_text,
    has_byte_counters,
    human_bytes,
)
from offtui.topology import flow_path

#: Share of conntrack bytes (and a floor) above which router-terminated traffic is "the load".
MIN_SHARE = 0.25
MIN_BYTES = 1 << 20
#: Devices of local transparent proxies (OpenClash/mihomo utun, sing-box tun, clash-tun).
PROXY_TUN_PREFIXES = ("utun", "tun", "clash", "sing", "mihomo", "Meta")

RULE = RuleInfo(
    id="local-traffic-not-offloaded",
    severity=Severity.INFO,
    title="Much of the traffic ends at the router itself and cannot be offloaded",
    needs=("conntrack", "addresses"),
    doc=RuleDoc(
        what=(
            "At least a quarter of the bytes in the conntrack table (and at least 1 MiB) belong "
            "to flows with one of the router's own addresses as an end: a VPN endpoint, a "
            "proxy or TUN (OpenClash/mihomo `utun`, sing-box `tun`), samba, an iperf3 server "
            "on the router."
        ),
        why=(
            "`flow offload` is only valid in the forward hook (`nft_flow_offload.c` validates "
            "the chain's hooks against NF_INET_FORWARD). Input and output traffic, and traffic "
            "that a local proxy re-originates, never enters a flowtable, so the CPU carries "
            "all of it however offloading is configured."
        ),
        fix=(
            'Nothing to switch on: explain it. For proxies, route "direct" destinations '
            "around the TUN (e.g. OpenClash china_ip_route) so those flows are forwarded and "
            "offloadable; run throughput tests through the router, not to it. Check the "
            "listening services with `ss -tunp`."
        ),
        example="tcp src=10.0.1.2 dst=10.0.2.2 dport=5001 bytes=4703512 (10.0.2.2 is the router)",
        limits=(
            "Needs conntrack byte counters (nf_conntrack_acct=1); the counters are cumulative "
            "since each flow began, so a past transfer weighs as much as a current one. "
            "Traffic a proxy re-originates appears as a local flow plus a forwarded-looking one."
        ),
        fix_interrupts="No: this is an explanation.",
        references=(
            "OpenWrt wiki flow_offloading (forwarded connections only)",
            "net/netfilter/nft_flow_offload.c (nft_chain_validate_hooks NF_INET_FORWARD)",
            "offtui lab: scenario flow-add-input (the kernel refuses flow add in input)",
        ),
    ),
)


def check(snap: Snapshot) -> RuleResult:
    ct = snap.conntrack
    assert ct is not None
    flows = ct.flows()
    if not flows:
        return passed(RULE, "the conntrack table is empty")
    if not has_byte_counters(snap):
        return skipped(
            RULE,
            "needs conntrack byte counters (`net.netfilter.nf_conntrack_acct=1`): without "
            "them the share of router-terminated traffic cannot be measured",
        )
    local: list[tuple[Flow, str]] = []
    total = 0
    for f in flows:
        b = flow_bytes(f)
        total += b
        p = flow_path(snap, f)
        if p.local:
            local.append((f, p.local))
    local_bytes = sum(flow_bytes(f) for f, _ in local)
    share = local_bytes / total if total else 0.0
    if share < MIN_SHARE or local_bytes < MIN_BYTES:
        return passed(
            RULE,
            f"router-terminated flows carry {share:.0%} of conntrack bytes "
            f"({human_bytes(local_bytes)})",
        )
    src = conntrack_source(snap)
    top = sorted(local, key=lambda x: flow_bytes(x[0]), reverse=True)[:5]
    ev = [
        Evidence(src, f"{flow_text(f)} ({'to' if d == 'to' else 'from'} the router)", f.line_no)
        for f, d in top
    ]
    mine = sorted({a.local for a in snap.addresses or [] if a.scope != "host"})
    ev.append(Evidence("commands/ip_-j_addr_show", "router addresses: " + ", ".join(mine[:8])))
    tuns = [n for n in (snap.links or {}) if n.startswith(PROXY_TUN_PREFIXES)]
    if tuns:
        ev.append(Evidence("commands/ip_-j_-d_link_show", "TUN devices: " + ", ".join(tuns)))
    ports = sorted(
        {
            (f.orig.dport if d == "to" else f.orig.sport)
            for f, d in local
            if f.orig.dport is not None
        }
    )[:6]
    msg = (
        f"{len(local)} flow(s) with the router itself as an end carry "
        f"{human_bytes(local_bytes)}, {share:.0%} of the bytes in conntrack"
        + (f" (router ports {', '.join(str(p) for p in ports)})" if ports else "")
        + ": flowtables only take forwarded traffic, so the CPU carries all of it."
    )
    if tuns:
        msg += f" A local TUN ({', '.join(tuns)}) suggests a proxy re-originating traffic."
    return found(RULE, finding(RULE, msg, ev, subject="router", impact=float(local_bytes)))
