"""non-offloadable-flow-kinds: much of the forwarded traffic is of a kind no flowtable takes."""

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
    is_forwardable_address,
    kernel_version,
)
from offtui.topology import flow_path

MIN_SHARE = 0.10
MIN_BYTES = 1 << 20

RULE = RuleInfo(
    id="non-offloadable-flow-kinds",
    severity=Severity.INFO,
    title="Much of the forwarded traffic is of a kind that is never offloaded",
    needs=("conntrack",),
    doc=RuleDoc(
        what=(
            "Forwarded flows that no flowtable can take carry at least 10 % of the conntrack "
            "bytes (and at least 1 MiB): ICMP, ESP (protocol 50), SCTP, GRE with NAT or on "
            "kernels before 5.18, other protocols, and flows with a conntrack helper "
            "(`helper=` in `conntrack -L`: FTP, SIP, PPTP, H.323)."
        ),
        why=(
            "`nft_flow_offload_eval()` only takes TCP (established, no FIN/RST), UDP, and GRE "
            "version 0 without NAT (Linux 5.18+, commit 4e8d9584d154 `netfilter: flowtable: "
            "Support GRE`). It skips flows with a conntrack helper, "
            "sequence adjustment (`IPS_SEQ_ADJUST`) or `IPS_NAT_CLASH`, IPv4 options, and "
            "packets with an IPsec sec_path. Those flows never get `[OFFLOAD]`, whatever the "
            "flowtable holds."
        ),
        fix=(
            "Explain it. If helpers are loaded but unneeded, remove them:\n"
            "opkg remove kmod-nf-nathelper-extra\n"
            "or per fw4 zone: uci set firewall.@zone[N].auto_helper='0'; uci commit firewall; "
            "/etc/init.d/firewall restart"
        ),
        example="icmp src=10.0.1.2 dst=10.0.2.2 bytes=336 (of 3.5 MiB forwarded)",
        limits=(
            "Needs conntrack byte counters. `/proc/net/nf_conntrack` does not print a flow's "
            "helper (only `conntrack -L` does), and neither shows sequence adjustment, NAT "
            "clash or IP options, so those flows are not counted."
        ),
        fix_interrupts="No (removing a helper module takes effect for new connections).",
        references=(
            "net/netfilter/nft_flow_offload.c (nft_flow_offload_eval, nft_flow_offload_skip)",
            "Florian Westphal, [PATCH nf 3/5] nft_flow_offload: don't offload when sequence "
            "numbers need adjustment (2019)",
            "RHEL documentation: flowtables work only with TCP and UDP",
        ),
    ),
)


def _why_not(flow: Flow, gre_ok: bool) -> str | None:
    helper = next((e for e in flow.extra if e.startswith("helper=")), None)
    if helper:
        return f"conntrack helper ({helper})"
    if flow.proto in ("tcp", "udp"):
        return None
    if flow.proto == "gre" or flow.protonum == 47:
        natted = flow.orig.src != flow.reply.dst or flow.orig.dst != flow.reply.src
        if gre_ok and not natted:
            return None
        return "GRE with NAT" if natted else "GRE (offloaded only since Linux 5.18)"
    names = {1: "ICMP", 58: "ICMPv6", 50: "ESP", 51: "AH", 132: "SCTP", 33: "DCCP"}
    return names.get(flow.protonum, f"protocol {flow.proto} ({flow.protonum})")


def check(snap: Snapshot) -> RuleResult:
    ct = snap.conntrack
    assert ct is not None
    if not ct.flows():
        return passed(RULE, "the conntrack table is empty")
    if not has_byte_counters(snap):
        return skipped(
            RULE,
            "needs conntrack byte counters (`net.netfilter.nf_conntrack_acct=1`) to weigh the "
            "flow kinds",
        )
    kv = kernel_version(snap)
    gre_ok = kv is not None and kv >= (5, 18)
    total = 0
    bad: dict[str, list[Flow]] = {}
    for f in ct.flows():
        if not (is_forwardable_address(f.orig.src) and is_forwardable_address(f.orig.dst)):
            continue
        if snap.addresses is not None and flow_path(snap, f).local:
            continue
        total += flow_bytes(f)
        why = _why_not(f, gre_ok)
        if why:
            bad.setdefault(why, []).append(f)
    bad_bytes = sum(flow_bytes(f) for fl in bad.values() for f in fl)
    share = bad_bytes / total if total else 0.0
    if share < MIN_SHARE or bad_bytes < MIN_BYTES:
        return passed(
            RULE,
            f"non-offloadable kinds carry {share:.0%} of forwarded bytes "
            f"({human_bytes(bad_bytes)})",
        )
    src = conntrack_source(snap)
    ev = []
    for why, fl in sorted(bad.items(), key=lambda kv_: -sum(map(flow_bytes, kv_[1]))):
        for f in sorted(fl, key=flow_bytes, reverse=True)[:2]:
            ev.append(Evidence(src, f"{flow_text(f)}: {why}", f.line_no or None))
    parts = ", ".join(
        f"{why}: {len(fl)} flow(s), {human_bytes(sum(map(flow_bytes, fl)))}"
        for why, fl in sorted(bad.items())
    )
    msg = (
        f"{share:.0%} of the forwarded bytes ({human_bytes(bad_bytes)}) are in flows no "
        f"flowtable takes ({parts}); the CPU forwards them on the slow path."
    )
    if snap.addresses is None:
        msg += " (Without `ip -j addr show`, flows to the router itself are counted too.)"
    return found(RULE, finding(RULE, msg, ev, subject="conntrack", impact=float(bad_bytes)))
