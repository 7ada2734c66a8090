"""ipsec-xfrm-not-offloaded: IPsec is in use, and decrypted IPsec traffic takes the slow path."""

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
from offtui.rules._net_helpers import conntrack_source, flow_bytes, flow_text, human_bytes

#: IKE daemons (strongSwan charon, libreswan pluto, OpenIKED iked, racoon).
IKE_DAEMONS = ("charon", "charon-systemd", "starter", "pluto", "iked", "racoon")
#: Kernel modules that only IPsec uses.
IPSEC_MODULES = ("esp4", "esp6", "xfrm4_tunnel", "xfrm6_tunnel", "ah4", "ah6", "af_key")
IKE_PORTS = (500, 4500)

RULE = RuleInfo(
    id="ipsec-xfrm-not-offloaded",
    severity=Severity.INFO,
    title="IPsec traffic is not offloaded after decryption",
    needs_any=(("conntrack",), ("processes",), ("links",)),
    doc=RuleDoc(
        what=(
            "IPsec is in use on a host with a flowtable: ESP (protocol 50) or IKE/NAT-T "
            "(UDP 500/4500) flows in conntrack, an `xfrm`/`vti` device, or an IKE daemon "
            "(strongSwan `charon`, libreswan `pluto`) running."
        ),
        why=(
            "Packets that went through xfrm decapsulation carry a sec_path, and "
            "`nft_flow_offload_skip()` refuses to offload them (`if (skb_sec_path(skb)) return "
            "true;`). The encrypted ESP packets are not TCP/UDP. The flowtable has an "
            "`XMIT_XFRM` path for the encrypting direction only, so the decrypting direction "
            "always pays the full cost and offloading gains little on an IPsec gateway."
        ),
        fix=(
            "Explain it. Use NIC IPsec packet offload where the hardware supports it "
            "(`ip xfrm state add ... offload packet dev <dev> dir in|out`), or WireGuard."
        ),
        example="unknown 50 src=198.51.100.2 dst=203.0.113.1 (ESP) with flowtable inet fw4 ft",
        limits=(
            "`ip xfrm state` is not collected, so IPsec that neither conntrack, the device "
            "list nor the process list shows is not seen. Confirmed from the kernel source "
            "only; no user report measured it."
        ),
        fix_interrupts="No: this is an explanation.",
        references=(
            "net/netfilter/nft_flow_offload.c (nft_flow_offload_skip: skb_sec_path)",
            "net/netfilter/nf_flow_table_ip.c (FLOW_OFFLOAD_XMIT_XFRM)",
        ),
    ),
)


def check(snap: Snapshot) -> RuleResult:
    ev: list[Evidence] = []
    weight = 0
    if snap.conntrack is not None:
        src = conntrack_source(snap)
        esp = [f for f in snap.conntrack.flows() if f.protonum in (50, 51)]
        ike = [
            f
            for f in snap.conntrack.flows()
            if f.proto == "udp" and (f.orig.dport in IKE_PORTS or f.orig.sport in IKE_PORTS)
        ]
        for f in sorted(esp + ike, key=flow_bytes, reverse=True)[:4]:
            ev.append(Evidence(src, flow_text(f), f.line_no or None))
        weight += sum(flow_bytes(f) for f in esp + ike)
    for name, lk in sorted((snap.links or {}).items()):
        if lk.kind in ("xfrm", "vti", "vti6", "ip_vti"):
            ev.append(Evidence("commands/ip_-j_-d_link_show", f"{name}: {lk.kind} device"))
    for p in IKE_DAEMONS:
        if snap.processes and p in snap.processes:
            ev.append(Evidence("commands/ps", f"{p} is running (IKE daemon)"))
    if not ev:
        return passed(RULE, "no IPsec flow, device or IKE daemon in the capture")
    if not snap.flowtables:
        return passed(RULE, "IPsec is in use but no flowtable: nothing is offloaded anyway")
    if snap.modules is not None:
        mods = [m for m in IPSEC_MODULES if m in snap.modules]
        if mods:
            ev.append(Evidence("proc/modules", "loaded: " + ", ".join(mods)))
    msg = (
        "IPsec is in use"
        + (f" ({human_bytes(weight)} of ESP/IKE in conntrack)" if weight else "")
        + ": decrypted packets carry a sec_path and are never offloaded, and ESP itself is "
        "not TCP/UDP; the flowtable cannot speed up this gateway's IPsec traffic."
    )
    return found(RULE, finding(RULE, msg, ev, subject="ipsec", impact=float(weight or 1)))
