"""wed-with-wds-4addr: WED together with WDS (4-address mode) stalls downloads."""

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
from offtui.parsers.uci import uci_bool
from offtui.rules._hw_helpers import WIRELESS, radios, wed_state

RULE = RuleInfo(
    id="wed-with-wds-4addr",
    severity=Severity.WARNING,
    title="WED with WDS (4-address mode) stalls downloads",
    needs=("wireless",),
    doc=RuleDoc(
        what=(
            "WED is on (`wed_enable=Y` or an `attaching wed device` line) and an enabled "
            "wifi-iface sets `option wds '1'` (4-address mode, AP or station)."
        ),
        why=(
            "A WED/WDS bug in mt76: with both on, ping and ssh work but bulk downloads through "
            "the WDS link crawl. A fix was posted in 2024-2025 and tested on MT7981 (AX3000T)."
        ),
        fix=(
            "# either switch WED off (remove wed_enable=Y) and reboot:\n"
            "sed -i '/wed_enable=Y/d' /etc/modules.conf /etc/modules.d/mt7915e\n"
            "reboot\n"
            "# or move to a build with the mt76 WDS fix"
        ),
        example="wed_enable=Y; wireless: config wifi-iface 'wds_link': mode 'ap', wds '1'",
        limits=(
            "Which builds carry the mt76 fix is not known to offtui; the rule fires on the "
            "combination. `iw dev <if> info` (4addr: on) is not collected: only the UCI "
            "`wds` option is read."
        ),
        fix_interrupts="Yes: switching WED off needs a reboot.",
        references=(
            'openwrt/openwrt#14680 ("mt76: WED does not work with WDS"; fix tested on AX3000T)',
            "openwrt/mt76#794",
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
        return passed(RULE, "WED is off")
    cfg = snap.settings.uci.get("wireless")
    lines = (
        {s.name or f"@wifi-iface[{s.index}]": s.line_no for s in cfg.of_type("wifi-iface")}
        if cfg
        else {}
    )
    out = []
    for r in radios(snap):
        if r.disabled:
            continue
        for i in r.ifaces:
            if not uci_bool(i.get("wds"), False):
                continue
            sec = i.get("section", "?")
            out.append(
                finding(
                    RULE,
                    f"WED is on and wifi-iface {sec} on {r.name} ({r.band or 'band unknown'}) "
                    "uses WDS (4-address mode): downloads over this link stall with WED.",
                    [
                        *(wed.evidence + wed.attached)[:2],
                        Evidence(
                            WIRELESS,
                            f"config wifi-iface '{sec}': device '{r.name}', mode "
                            f"'{i.get('mode', 'ap')}', wds '{i.get('wds')}'",
                            lines.get(sec),
                        ),
                    ],
                    subject=sec,
                    impact=1.0,
                )
            )
    return found(RULE, *out) if out else passed(RULE, "no wifi-iface uses WDS")
