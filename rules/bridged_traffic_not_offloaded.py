"""bridged-traffic-not-offloaded: traffic between two ports of one bridge is never offloaded."""

from __future__ import annotations

import re

from offtui.engine import (
    Evidence,
    Finding,
    RuleDoc,
    RuleInfo,
    RuleResult,
    Severity,
    finding,
    found,
    passed,
    skipped,
)
from offtui.model import OffloadState, Snapshot
from offtui.rules._hw_helpers import (
    br_netfilter,
    bridge_ports,
    bridged_flows,
    bridges,
    ct_source,
    flow_text,
    forward_counters,
    ft_text,
    hw_offload,
    ps_path,
    ruleset_path,
)
from offtui.topology import flow_path

LINKS = "commands/ip_-j_-d_link_show"

#: Default netifd / driver names of Wi-Fi interfaces (``phy0-ap0``, ``wlan0``, ``wl1.2``...).
_WIFI_NAME = re.compile(
    r"^(phy\d+-(ap|sta|mesh)\d+|wlan\d+(-\d+)?|wl\d+(\.\d+)?|ath\d+|ra[ix]?\d+)$"
)

RULE = RuleInfo(
    id="bridged-traffic-not-offloaded",
    severity=Severity.WARNING,
    title="Bridged traffic is never offloaded",
    needs=("links", "ruleset"),
    doc=RuleDoc(
        what=(
            "A flowtable hooks a bridge or its ports, and the traffic between those ports is "
            "bridged: the host routes nothing between them (no IPv4 route, or every route on "
            "the bridge: a dumb AP or a pure bridge), or conntrack (with br_netfilter) holds "
            "flows between two hosts behind the bridge. With hardware offload, a bridge that "
            "mixes Wi-Fi and wired ports without `bridger` running is reported as info."
        ),
        why=(
            "The `flow offload` action runs only in the IP forward hook "
            "(`nft_flow_offload_validate` allows only NF_INET_FORWARD). Frames switched inside "
            "a bridge never reach that hook, so neither the software flowtable nor the PPE/WED "
            "sees them: a dumb AP forwards every Wi-Fi frame on the CPU even with hardware "
            "offload and WED on. Ports of one hardware switch (DSA) are switched by the switch "
            "itself; Wi-Fi, veth and other NIC ports are bridged by the CPU."
        ),
        fix=(
            "# OpenWrt: offload bridged traffic with bridger (a BPF/tc L2 flow tracker)\n"
            "opkg install bridger   # apk add bridger on 25.x\n"
            "/etc/init.d/bridger enable && /etc/init.d/bridger start\n"
            "# or route between two subnets, so the traffic is forwarded (and offloadable)"
        ),
        example=(
            "flowtable inet fw4 ft: devices = { veth-a, veth-b }; both ports of br0; no IPv4 "
            "route: the forward chain counted 0 packets while traffic ran"
        ),
        limits=(
            "One capture cannot measure per-port bridged traffic: the rule fires where the "
            "routing table leaves no other path (the host cannot route between the ports), or "
            "where br_netfilter shows bridged flows. On a router that also routes through the "
            "bridge it reports only the hardware-offload Wi-Fi case, as info. Native nft bridge "
            "offload (openwrt/openwrt PR #22533, #24038) is not merged and is not recognised."
        ),
        fix_interrupts=(
            "No: installing and starting bridger does not interrupt traffic. Re-addressing "
            "the network into two subnets does."
        ),
        references=(
            "openwrt/openwrt#18589 (maintainer: bridger offloads non-routed traffic)",
            "openwrt/openwrt PR #22533 (bridged traffic cannot be offloaded by nft_flow_offload)",
            "OpenWrt wiki docs/guide-user/network/wifi/wed (dumb AP needs bridger)",
            "net/netfilter/nft_flow_offload.c nft_flow_offload_validate",
            "offtui lab: tests/lab_captures/bridged (lab/scenarios/bridged.sh)",
        ),
    ),
)


def _wifi_names(snap: Snapshot) -> set[str]:
    names = {i["ifname"] for r in snap.settings.wireless for i in r.ifaces if i.get("ifname")}
    return names | {n for n in snap.links or {} if _WIFI_NAME.match(n)}


def _software_bridged(snap: Snapshot, ports: list[str]) -> bool:
    """At least two ports, not all of one hardware switch (DSA ports are switched in silicon)."""
    links = snap.links or {}
    if len(ports) < 2:
        return False
    return any(links[p].kind != "dsa" for p in ports if p in links)


def _traffic_evidence(snap: Snapshot) -> list[Evidence]:
    """Forward counters and NET_RX work that show what the CPU did while traffic ran."""
    ev = []
    for c in forward_counters(snap):
        ev.append(Evidence(ruleset_path(snap), f"chain {c.chain}: {c.text}"))
    if snap.cpu is not None and snap.cpu.interval_s and snap.cpu.cores:
        rx = sum(c.net_rx or 0 for c in snap.cpu.cores)
        top = max(snap.cpu.cores, key=lambda c: c.busy_pct)
        ev.append(
            Evidence(
                "proc/softirqs",
                f"NET_RX {rx} softirqs in {snap.cpu.interval_s:.1f} s; busiest core "
                f"{top.cpu} {top.busy_pct:.0f} % busy ({top.softirq_pct:.0f} % softirq)",
            )
        )
    return ev


def check(snap: Snapshot) -> RuleResult:
    fts = snap.flowtables
    if not fts:
        return passed(RULE, "no flowtable: nothing is offloaded, bridged or routed")
    if snap.processes is not None and "bridger" in snap.processes:
        return passed(RULE, "bridger is running: it offloads bridged flows")
    ft_devs = {d for ft in fts for d in ft.devices}
    candidates = []
    for br in bridges(snap):
        ports = bridge_ports(snap, br)
        if ({br, *ports} & ft_devs) and _software_bridged(snap, ports):
            candidates.append((br, ports))
    if not candidates:
        return passed(RULE, "no flowtable hooks a bridge whose ports the CPU bridges")

    bnf_on, bnf_ev = br_netfilter(snap)
    bflows = bridged_flows(snap) if bnf_on else None
    out: list[Finding] = []
    undecided = []
    notes: list[str] = []
    for br, ports in candidates:
        ev = [Evidence(LINKS, f"{br}: bridge, ports {', '.join(ports)}")]
        ev += [
            Evidence(ruleset_path(snap), ft_text(ft))
            for ft in fts
            if {br, *ports} & set(ft.devices)
        ]
        # 1. br_netfilter on: conntrack shows the bridged flows themselves
        if bnf_on and bflows:
            mine = [b for b in bflows if b.bridge in (br, None)]
            slow = [b for b in mine if b.flow.offload == OffloadState.NONE]
            if mine and not slow:
                # all tagged [OFFLOAD]: offload-flag-without-fast-path reports them
                notes.append(
                    f"bridged flows behind {br} are reported by offload-flag-without-fast-path"
                )
                continue
            if slow:
                src = ct_source(snap)
                ev += bnf_ev
                ev += [Evidence(src, flow_text(b.flow), b.flow.line_no or None) for b in slow[:5]]
                out.append(
                    finding(
                        RULE,
                        f"{len(slow)} flow(s) between hosts behind {br} are bridged "
                        "(br_netfilter shows them to conntrack) and none is offloaded.",
                        ev,
                        subject=br,
                        impact=float(sum((b.flow.orig.packets or 0) for b in slow) or len(slow)),
                    )
                )
                continue
        # 2. the host routes nothing between the bridge and anything else: all is bridged
        if snap.routes is not None:
            # main-table routes that can carry forwarded traffic (not lo, not link-local)
            routed = sorted(
                {
                    r.dev
                    for r in snap.routes
                    if r.dev
                    and r.dev != "lo"
                    and r.table in (None, "main")
                    and not r.dst.lower().startswith("fe80")
                }
            )
            if set(routed) <= {br}:
                fwd = 0
                if snap.conntrack is not None:
                    fwd = sum(
                        1
                        for f in snap.conntrack.flows()
                        if f.proto in ("tcp", "udp") and not flow_path(snap, f).local
                    )
                route_txt = (
                    "its routing table is empty" if not routed else f"every route goes via {br}"
                )
                ev.append(Evidence("commands/ip_-j_route_show", route_txt))
                if snap.conntrack is not None:
                    ev.append(
                        Evidence(
                            ct_source(snap),
                            f"{fwd} TCP/UDP flow(s) in conntrack of {snap.conntrack.total} entries",
                        )
                    )
                ev += _traffic_evidence(snap)
                out.append(
                    finding(
                        RULE,
                        f"The flowtable hooks {', '.join(sorted({br, *ports} & ft_devs))}, but "
                        f"this host routes nothing between {br} and another device "
                        f"({route_txt}): traffic between {', '.join(ports)} is bridged and "
                        "never reaches the forward hook, so none of it is offloaded.",
                        ev,
                        subject=br,
                        impact=float(len(ports)),
                    )
                )
                continue
        # 3. a routed bridge: with hardware offload, Wi-Fi <-> LAN inside it stays on the CPU
        hw = hw_offload(snap)
        wifi = sorted(set(ports) & _wifi_names(snap))
        wired = sorted(set(ports) - set(wifi))
        if hw.on and wifi and wired and snap.processes is not None:
            ev += hw.evidence[:2]
            ev.append(Evidence(ps_path(snap), "no bridger process running"))
            out.append(
                finding(
                    RULE,
                    f"{br} bridges Wi-Fi ({', '.join(wifi)}) and wired ports "
                    f"({', '.join(wired)}) without bridger: traffic between them is bridged on "
                    "the CPU; neither the PPE nor WED offloads it, only routed flows.",
                    ev,
                    severity=Severity.INFO,
                    subject=br,
                    impact=float(len(wifi)),
                )
            )
        elif snap.routes is None:
            undecided.append(br)
    if out:
        return found(RULE, *out)
    if notes:
        return passed(RULE, "; ".join(notes))
    if undecided:
        return skipped(
            RULE,
            "needs `ip -j route show` (to tell whether "
            + ", ".join(undecided)
            + " only bridges, or also routes)",
        )
    return passed(RULE, "the bridges the flowtable hooks are also routed; bridged share unknown")
