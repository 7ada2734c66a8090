"""hw-offload-unavailable-fallback: hardware offload selected, fw4 fell back to software."""

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
from offtui.rules._misc_helpers import ruleset_path

RULE = RuleInfo(
    id="hw-offload-unavailable-fallback",
    severity=Severity.WARNING,
    title="Hardware offload is selected but fw4 fell back to software",
    needs=("fw4",),
    needs_any=(("ruleset",), ("logs",)),
    doc=RuleDoc(
        what=(
            "`flow_offloading_hw='1'` in UCI while the live fw4 flowtable has no "
            "`flags offload`, or the log says `Hardware flow offloading unavailable, falling "
            "back to software offloading`."
        ),
        why=(
            "fw4 tests `flags offload` with `nft -c` on the devices it resolved and, when the "
            "kernel refuses, silently renders a software flowtable. LuCI still shows hardware "
            "offload as on, so users believe the PPE is doing the work while the CPU is."
        ),
        fix=(
            "uci set firewall.@defaults[0].flow_offloading_hw='0'\n"
            "uci commit firewall\n"
            "/etc/init.d/firewall restart"
        ),
        example=(
            "logread: fw4: Hardware flow offloading unavailable, falling back to software "
            "offloading"
        ),
        limits=(
            "The flowtable's flags come only from the text ruleset (`nft list ruleset`); the JSON "
            "of nftables 1.0/1.1 does not print them. With only the JSON, the rule relies on the "
            "log line. On 22.03.0-rc2/-rc3 fw4 did not fall back but failed to load at all "
            "(openwrt/openwrt#9935): that shows as offload-enabled-but-no-flowtable and "
            "known-regressions-by-version."
        ),
        fix_interrupts="Yes: the firewall restart briefly returns all flows to the slow path.",
        references=(
            "firewall4 fw4.uc resolve_hw_offload_devices() (b6e5157)",
            "openwrt/openwrt#9935",
            "openwrt/openwrt#9920",
            "openwrt/packages#17693",
        ),
    ),
)


def check(snap: Snapshot) -> RuleResult:
    fw4 = snap.settings.fw4
    assert fw4 is not None
    if not fw4.flow_offloading_hw:
        return passed(RULE, "flow_offloading_hw is not set")
    evidence = [Evidence("etc/config/firewall", "option flow_offloading_hw '1'")]
    fell_back = False
    for ev in snap.log_events or []:
        if ev.kind == "hw-offload-fallback":
            evidence.append(Evidence(f"commands/{ev.source}", ev.text, ev.line_no))
            fell_back = True
    if snap.ruleset is not None:
        fts = [ft for ft in snap.ruleset.flowtables if ft.table == "fw4"] or snap.ruleset.flowtables
        if fts and all(ft.hw_offload is None for ft in fts) and not fell_back:
            return skipped(
                RULE,
                "needs `nft list ruleset` (text): the JSON ruleset does not show flowtable flags",
            )
        soft = [ft for ft in fts if ft.hw_offload is False]
        if fts and len(soft) == len(fts):
            fell_back = True
            for ft in soft:
                evidence.append(
                    Evidence(
                        ruleset_path(snap),
                        f"flowtable {ft.family} {ft.table} {ft.name}: no 'flags offload' "
                        f"(devices {', '.join(ft.devices)})",
                    )
                )
        elif any(ft.hw_offload for ft in fts):
            return passed(RULE, "the flowtable has flags offload")
    if not fell_back:
        return passed(RULE)
    ct = snap.conntrack
    if ct is not None:
        evidence.append(
            Evidence(
                "proc/net/nf_conntrack" if ct.source == "proc" else "commands/conntrack_-L",
                f"{ct.offload} [OFFLOAD], {ct.hw_offload} [HW_OFFLOAD] of {ct.total} entries",
            )
        )
    return found(
        RULE,
        finding(
            RULE,
            "Hardware flow offloading is switched on in UCI, but the running flowtable is "
            "software-only: the CPU forwards every flow.",
            evidence,
            impact=1.0,
        ),
    )
