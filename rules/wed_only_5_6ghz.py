"""wed-only-5-6ghz: WED never offloads 2.4 GHz, and only one radio on some tri-band units."""

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
from offtui.model import Snapshot
from offtui.rules._hw_helpers import WIRELESS, radios, wed_state

_ATTACH = re.compile(r"attaching wed device (\d+)")

RULE = RuleInfo(
    id="wed-only-5-6ghz",
    severity=Severity.INFO,
    title="WED does not offload 2.4 GHz (and only one radio on some tri-band units)",
    needs=("wireless",),
    doc=RuleDoc(
        what=(
            "WED is on (`wed_enable=Y`, or mt76 logged `attaching wed device`) and an enabled "
            "2.4 GHz radio (`band '2g'`, an 11b/g `hwmode`, or channel 1-14) serves an access "
            "point; or fewer WED devices attached than 5/6 GHz radios serve APs."
        ),
        why=(
            "WED is tied to the 5 GHz and 6 GHz radio paths: 2.4 GHz client traffic always "
            "goes through the CPU, whatever hardware offload does for the wired side (software "
            "offload still helps its routed flows). On tri-band units WED attaches to one radio "
            "only (openwrt/mt76#1057: `attaching wed device 0 version 2` only on the MT7915 "
            "PCIe radio), so the other 5 GHz radio is CPU-bound as well."
        ),
        fix=(
            "# no configuration fix: steer heavy clients to 5/6 GHz, e.g. separate SSIDs or\n"
            "# band steering (usteer / dawn), and keep software offload on for routed flows:\n"
            "uci set firewall.@defaults[0].flow_offloading='1'; uci commit firewall\n"
            "/etc/init.d/firewall restart"
        ),
        example=(
            "dmesg: mt7996e 0000:01:00.0: attaching wed device 0 version 3; "
            "wireless: config wifi-device 'radio0' band '2g', AP 'OpenWrt'"
        ),
        limits=(
            "The capture cannot tell which radio carries the load: the finding says 2.4 GHz "
            "clients are CPU-bound, not that they are the busy ones. WED's own state per radio "
            "is known only from the attach lines still in the kernel log."
        ),
        fix_interrupts=(
            "No for steering clients; the firewall restart (only if offload was off) briefly "
            "returns flows to the slow path."
        ),
        references=(
            'OpenWrt wiki docs/guide-user/network/wifi/wed ("only supported on 5 GHz and 6 GHz '
            'radios"; older revision "only on the 5 GHz radio")',
            "openwrt/mt76#1057 (WED on one radio only of a tri-band TL-XTR8488)",
        ),
    ),
)


def check(snap: Snapshot) -> RuleResult:
    wed = wed_state(snap)
    if wed.enabled is None:
        return skipped(
            RULE,
            "needs `/sys/module/mt7915e/parameters/wed_enable` (or mt7996e) or `dmesg`",
        )
    if not wed.enabled:
        return passed(RULE, "WED is off (see wed-not-enabled)")
    wed_ev = (wed.evidence + wed.attached)[:3]
    out = []
    rs = radios(snap)
    for r in rs:
        if r.band != "2g" or r.disabled or not r.aps:
            continue
        ssids = ", ".join(f"'{a.get('ssid', a.get('section', '?'))}'" for a in r.aps)
        out.append(
            finding(
                RULE,
                f"WED is on, but radio {r.name} is 2.4 GHz ({r.band_from}) and serves AP "
                f"{ssids}: WED never offloads 2.4 GHz, so its clients' traffic is forwarded "
                "by the CPU.",
                [
                    *wed_ev,
                    Evidence(
                        WIRELESS,
                        f"config wifi-device '{r.name}': {r.band_from}; AP {ssids}",
                        r.line_no,
                    ),
                ],
                subject=r.name,
                impact=float(len(r.aps)),
            )
        )
    high = [r for r in rs if r.band in ("5g", "6g") and not r.disabled and r.aps]
    attached = {m.group(1) for e in wed.attached if (m := _ATTACH.search(e.text))}
    if wed.attached and len(high) > len(attached):
        out.append(
            finding(
                RULE,
                f"{len(high)} radios serve 5/6 GHz APs ({', '.join(r.name for r in high)}) but "
                f"WED attached {len(attached)} device(s): the other radio's traffic stays on "
                "the CPU.",
                [
                    *wed.attached,
                    *(
                        Evidence(
                            WIRELESS, f"config wifi-device '{r.name}': {r.band_from}", r.line_no
                        )
                        for r in high
                    ),
                ],
                subject="wed-radios",
                impact=float(len(high) - len(attached)),
            )
        )
    if out:
        return found(RULE, *out)
    return passed(RULE, "no enabled 2.4 GHz AP; every 5/6 GHz radio has WED")
