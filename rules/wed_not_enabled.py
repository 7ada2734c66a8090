"""wed-not-enabled: a WED-capable SoC where WED is switched off or failed to attach."""

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
from offtui.model import Snapshot
from offtui.rules._hw_helpers import (
    WED_SOCS,
    WED_TARGETS,
    hw_offload,
    soc_evidence,
    wed_state,
    x86_host,
)

RULE = RuleInfo(
    id="wed-not-enabled",
    severity=Severity.INFO,
    title="WED is not active on a WED-capable router",
    needs_any=(("modules",), ("logs",), ("kernel",)),
    doc=RuleDoc(
        what=(
            "A WED-capable SoC (MT7622, MT7981, MT7986, MT7988) or a loaded mt7915e/mt7996e "
            "driver, hardware offload on, and WED not working: `wed_enable=N`; or "
            "`wed_enable=Y` but mt76 logged `failed to attach wed device`, a missing WO "
            "firmware or a failed probe of the radio driver; or `wed_enable=Y` and no "
            "`attaching wed device` line in the log."
        ),
        why=(
            "`wed_enable` defaults to off, so Wi-Fi <-> WAN flows stay in software even with "
            'hardware flow offloading on: users believe "hardware offload" covers Wi-Fi. When '
            "WED is switched on but cannot attach (the WO firmware `mt7986_wo_0.bin` missing, a "
            "probe error), mt76 silently keeps forwarding Wi-Fi on the CPU."
        ),
        fix=(
            "# 24.10 and later:\n"
            "# (mt7996e instead of mt7915e for MT7992/MT7996 radios)\n"
            "echo 'options mt7915e wed_enable=Y' >> /etc/modules.conf\n"
            "reboot\n"
            "# 22.03 / 23.05: append 'mt7915e wed_enable=Y' to /etc/modules.d/mt7915e (not kept\n"
            "# by sysupgrade: re-apply after upgrades). Check:\n"
            "cat /sys/module/mt7915e/parameters/wed_enable\n"
            "# attach failed: install the WO firmware (e.g. mediatek/mt7986_wo_0.bin, package\n"
            "# mt7986-wo-firmware) and reboot"
        ),
        example=(
            "journal: mt7915e 0000:01:00.0: Direct firmware load for mediatek/mt7986_wo_0.bin "
            "failed with error -2; failed to attach wed device"
        ),
        limits=(
            '"No attach line" relies on the kernel log still holding the boot messages; on a '
            "long-running router the ring buffer may have dropped them. The SoC is read from the "
            "release file, dmesg or uname; a board the capture does not name is judged by its "
            "loaded mt76 driver only."
        ),
        fix_interrupts="Yes: enabling WED needs a reboot.",
        references=(
            "OpenWrt wiki docs/guide-user/network/wifi/wed",
            "openwrt/mt76#815 (wed_enable=Y but no WO firmware message)",
            "openwrt/mt76#1057 (example dmesg lines)",
            "ghostbuster91/nixos-router#27 (WO firmware missing: attach fails)",
        ),
    ),
)


def check(snap: Snapshot) -> RuleResult:
    wed = wed_state(snap)
    soc = snap.system.soc
    target = snap.system.openwrt_release.get("DISTRIB_TARGET", "")
    capable = soc in WED_SOCS or target in WED_TARGETS or bool(wed.modules) or bool(wed.attached)
    if not capable:
        if x86_host(snap):
            return passed(RULE, f"{x86_host(snap)} host: no MediaTek SoC, no WED")
        if soc or target:
            return passed(RULE, f"no WED on {soc or target}")
        if wed.enabled is None and not wed.failed:
            return skipped(
                RULE,
                "needs the SoC (`/etc/openwrt_release`, dmesg) or `/proc/modules` with mt7915e",
            )
    ev = soc_evidence(snap) + wed.evidence
    if wed.modules:
        ev.append(Evidence("proc/modules", "loaded: " + ", ".join(wed.modules)))
    if wed.failed:
        return found(
            RULE,
            finding(
                RULE,
                "WED is switched on but failed: "
                + wed.failed[0].text.strip()
                + ". Wi-Fi traffic is forwarded by the CPU (if the radio works at all).",
                ev + wed.failed,
                subject="wed",
                impact=1.0,
            ),
        )
    if wed.attached:
        return passed(RULE, "WED attached: " + wed.attached[0].text.strip())
    if wed.enabled and wed.logs_known:
        return found(
            RULE,
            finding(
                RULE,
                "wed_enable is set, but the kernel log has no `attaching wed device` line: WED "
                "never started (or the log no longer holds the boot messages).",
                [*ev, Evidence("commands/dmesg", "no 'attaching wed device' line")],
                subject="wed",
                impact=1.0,
            ),
        )
    if wed.enabled is None:
        return skipped(RULE, "needs `/sys/module/mt7915e/parameters/wed_enable` (or mt7996e)")
    if wed.enabled:
        return passed(RULE, "wed_enable is set (no kernel log to confirm the attach)")
    hw = hw_offload(snap)
    if hw.on is None:
        return skipped(RULE, hw.why_unknown)
    if not hw.on:
        return passed(RULE, "WED only works with hardware offload, which is off")
    return found(
        RULE,
        finding(
            RULE,
            "Hardware flow offloading is on, but WED is switched off (wed_enable=N): Wi-Fi "
            "flows are not offloaded, only wired ones.",
            ev + hw.evidence[:2],
            subject="wed",
            impact=1.0,
        ),
    )
