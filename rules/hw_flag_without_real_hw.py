"""hw-flag-without-real-hw: `flags offload` accepted on NICs with no flow engine."""

from __future__ import annotations

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
    skipped,
)
from offtui.model import Snapshot, SourceState
from offtui.rules._hw_helpers import ct_source, ft_text, ruleset_path, soc_evidence

#: SoC families / OpenWrt targets whose flow engine offtui knows how to see (PPE debugfs).
FLOW_ENGINE_TARGETS = ("mediatek/", "ramips/mt7621", "airoha/", "qualcommbe/", "ipq")
#: DSA switch ports and OpenWrt Wi-Fi interfaces: names of embedded routers.
_EMBEDDED = re.compile(r"^(lan\d+|wan\d*|phy\d+-(ap|sta)\d+)$")

RULE = RuleInfo(
    id="hw-flag-without-real-hw",
    severity=Severity.WARNING,
    title="`flags offload` is set, but no flow engine does the work",
    needs=("ruleset",),
    doc=RuleDoc(
        what=(
            "A flowtable with `flags offload` lists physical ports (eth0, ...), the host shows "
            "no flow engine (no PPE debugfs, not a MediaTek/Airoha/Qualcomm target) and "
            "conntrack holds no `[HW_OFFLOAD]` flow, typically an x86 box or VM running "
            "OpenWrt/ImmortalWrt or VyOS."
        ),
        why=(
            "Some NIC drivers implement `ndo_setup_tc` for other tc offloads, so the kernel "
            "accepts `flags offload` (and fw4's `nft -c` test passes, building the hardware-style "
            "device list of physical ports). Nothing is offloaded in hardware, but flows are "
            "cached against the physical ports with direct xmit: when a MAC changes (a container "
            "is recreated, a VM migrates) long-lived flows keep sending to the old MAC. Kernel "
            'doc: entries "might get stale if either the destination MAC address or the egress '
            'netdevice ... changes ... a problem if ... Hardware offload is enabled".'
        ),
        fix=(
            "uci set firewall.@defaults[0].flow_offloading_hw='0'   # SFO lists br-lan again\n"
            "uci commit firewall && /etc/init.d/firewall restart\n"
            "conntrack -F\n"
            "# other systems: remove 'flags offload;' from the flowtable definition"
        ),
        example=(
            "flowtable inet vyos_offload VYOS_FLOWTABLE_hardware: devices = { eth0, eth1 } "
            "flags offload; no PPE; 0 [HW_OFFLOAD]"
        ),
        limits=(
            "A NIC with a real flow engine that offtui cannot see (e.g. mlx5 TC offload) would "
            "show [HW_OFFLOAD] flows; without conntrack in the capture the rule relies on the "
            "missing PPE and the target alone and says so."
        ),
        fix_interrupts=(
            "Yes: the firewall restart and `conntrack -F` drop every flow back to the slow path "
            "and reset connections' state."
        ),
        references=(
            "blog.hljin.net/2025/11/flowtable-mac-issue (ImmortalWrt 24.10.4, i350-T4, stale "
            "MAC, fixed by switching to SFO)",
            'Documentation/networking/nf_flowtable.rst "Limitations"',
        ),
    ),
)


def _physical(snap: Snapshot, dev: str) -> bool:
    lk = (snap.links or {}).get(dev)
    if lk is not None:
        return lk.kind in (None, "dsa") and lk.link_type in (None, "ether") and dev != "lo"
    return not dev.startswith(("br-", "br", "lo", "wg", "tun", "pppoe-", "veth", "docker"))


def check(snap: Snapshot) -> RuleResult:
    hw = [ft for ft in snap.flowtables if ft.hw_offload]
    if not hw:
        return passed(RULE, "no flowtable with flags offload")
    ct = snap.conntrack
    if ct is not None and ct.hw_offload:
        return passed(RULE, f"{ct.hw_offload} flow(s) [HW_OFFLOAD]: the hardware works")
    if snap.ppe:
        return passed(RULE, "a PPE table exists: the flow engine is real")
    target = snap.system.openwrt_release.get("DISTRIB_TARGET", "")
    soc = snap.system.soc
    if soc or target.startswith(FLOW_ENGINE_TARGETS):
        return skipped(
            RULE,
            "needs PPE debugfs (`/sys/kernel/debug/ppe0/entries`): "
            f"{soc or target} has a flow engine",
        )
    phys = sorted({d for ft in hw for d in ft.devices if _physical(snap, d)})
    if not phys:
        return passed(RULE, "the hardware flowtable lists no physical port")
    embedded = sorted(d for ft in hw for d in ft.devices if _EMBEDDED.match(d))
    if embedded and not target:
        # DSA switch ports and OpenWrt Wi-Fi names: an embedded router, likely with a PPE
        return skipped(
            RULE,
            "needs `/etc/openwrt_release` (target) or PPE debugfs: "
            f"{', '.join(embedded[:3])} look like an embedded router's ports",
        )
    ev = [Evidence(ruleset_path(snap), ft_text(ft)) for ft in hw]
    st = snap.source("sys/kernel/debug/ppe0/entries")
    looked = st is not None and st.state in (SourceState.MISSING, SourceState.EMPTY)
    ev.append(
        Evidence(
            "sys/kernel/debug/ppe0/entries",
            "absent (the collector looked)" if looked else "no PPE debugfs in the capture",
        )
    )
    ev += soc_evidence(snap)
    if ct is not None:
        ev.append(
            Evidence(
                ct_source(snap),
                f"0 [HW_OFFLOAD], {ct.offload} [OFFLOAD] of {ct.total} entries",
            )
        )
        if not ct.offload:
            return passed(RULE, "no offloaded flow in conntrack to judge the hardware by")
        tail = f"{ct.offload} flow(s) are offloaded in software only and none in hardware"
    else:
        tail = "conntrack was not collected, so [HW_OFFLOAD] could not be checked"
    msg = (
        f"flags offload is set on {', '.join(phys)} but no flow engine is visible ({tail}): "
        "flows are cached against the physical ports and go stale when a MAC changes."
    )
    return found(
        RULE,
        finding(RULE, msg, ev, subject=",".join(ft.name for ft in hw), impact=float(len(phys))),
    )
