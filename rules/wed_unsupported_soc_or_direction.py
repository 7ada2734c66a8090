"""wed-unsupported-soc-or-direction: no WED at all (MT7621) or only eth->WLAN (MT7622)."""

from __future__ import annotations

from offtui.engine import (
    RuleDoc,
    RuleInfo,
    RuleResult,
    Severity,
    finding,
    found,
    passed,
    skipped,
)
from offtui.model import Snapshot
from offtui.rules._hw_helpers import radios, soc_evidence, x86_host

#: MediaTek SoCs with a frame engine (PPE) but no WED at all.
NO_WED = ("mt7620", "mt7621", "mt7628")

RULE = RuleInfo(
    id="wed-unsupported-soc-or-direction",
    severity=Severity.INFO,
    title="This SoC has no WED, or WED only for one direction",
    needs_any=(("system_release",), ("logs",), ("kernel",)),
    doc=RuleDoc(
        what=(
            "The SoC (from the OpenWrt target, the device tree, dmesg or uname) is MT7621 (or "
            "MT7620/MT7628): no WED at all; or MT7622: WED v1 offloads only ethernet -> WLAN."
        ),
        why=(
            "MT7621 lacks WED (`CONFIG_NET_MEDIATEK_SOC_WED` is not set and the maintainer says "
            "there will be none), so Wi-Fi traffic is always forwarded by the CPU even with "
            "hardware offload. MT7622's WED v1 has no RX path: downloads to Wi-Fi clients can "
            "be offloaded, uploads from them cannot. WED RX (WO firmware) came with MT7986."
        ),
        fix=(
            "# no configuration fix. Keep software offload and spread the load over the cores:\n"
            "uci set firewall.@defaults[0].flow_offloading='1'; uci commit firewall\n"
            "uci set network.globals.packet_steering='1'; uci commit network\n"
            "/etc/init.d/firewall restart; /etc/init.d/network restart"
        ),
        example="DISTRIB_TARGET='ramips/mt7621' (Xiaomi Mi Router 3G): no WED",
        limits=(
            "The SoC must be named somewhere in the capture (release file, device tree, "
            "dmesg, uname); MT7620/MT7628 are treated like MT7621 (no WED driver exists for "
            "them). Which direction carries the load is not measured."
        ),
        fix_interrupts="Yes: restarting the network and firewall interrupts traffic briefly.",
        references=(
            "openwrt/mt76#868 (maintainer: no WED for mt7621)",
            'openwrt/openwrt#9945 ("WLAN->Ethernet offload is not supported by MT7622")',
            'kernel DT binding mediatek,mt7622-wed.yaml ("hardware flow offloading from '
            'ethernet to WLAN")',
            "kernel DT binding mediatek,mt7986-wo-ccif.yaml (WO used for RX)",
        ),
    ),
)


def check(snap: Snapshot) -> RuleResult:
    soc = snap.system.soc
    if soc is None and x86_host(snap):
        return passed(RULE, f"{x86_host(snap)} host: no MediaTek SoC")
    if soc is None:
        return skipped(
            RULE, "needs the SoC name (`/etc/openwrt_release` DISTRIB_TARGET, dmesg or uname)"
        )
    if soc not in NO_WED and soc != "mt7622":
        return passed(RULE, f"{soc}: WED available in both directions or not a MediaTek SoC")
    rs = radios(snap)
    if snap.settings.uci.get("wireless") is not None and not any(
        not r.disabled and r.ifaces for r in rs
    ):
        return passed(RULE, "no Wi-Fi radio is enabled")
    ev = soc_evidence(snap)
    if soc == "mt7622":
        msg = (
            "MT7622's WED offloads only ethernet -> Wi-Fi: traffic from Wi-Fi clients "
            "(uploads) is always forwarded by the CPU."
        )
    else:
        msg = (
            f"{soc.upper()} has no WED: all Wi-Fi traffic is forwarded by the CPU, even with "
            "hardware flow offloading on."
        )
    return found(RULE, finding(RULE, msg, ev, subject=soc, impact=1.0))
