"""offload-enabled-but-no-flowtable: fw4 is told to offload, the ruleset has no flowtable."""

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
    id="offload-enabled-but-no-flowtable",
    severity=Severity.ERROR,
    title="Offloading is enabled in UCI but the kernel has no flowtable",
    needs=("fw4", "ruleset"),
    doc=RuleDoc(
        what=(
            "`firewall.@defaults[0].flow_offloading` is `1` but the live ruleset holds no "
            "flowtable at all."
        ),
        why=(
            "fw4 renders `flowtable ft` only when it can; when `kmod-nft-offload` is missing, "
            "the ruleset failed to load, or a fork patched fw4 to return no offload devices, "
            "the checkbox stays on and nothing is offloaded. Every forwarded packet then takes "
            "the slow path."
        ),
        fix=(
            "opkg update && opkg install kmod-nft-offload   # apk add kmod-nft-offload on 25.x\n"
            "/etc/init.d/firewall restart\n"
            "fw4 check   # shows an nft load error if there is one"
        ),
        example="etc/config/firewall: option flow_offloading '1'; nft list ruleset: no flowtable",
        limits=(
            "Cannot tell which sub-cause applies (missing module, load error, patched fw4) "
            "unless `/proc/modules` and `logread` are in the capture."
        ),
        fix_interrupts=(
            "Yes: restarting the firewall drops offloaded flows back to the slow path for a moment."
        ),
        references=(
            "openwrt/openwrt package/network/config/firewall4/Makefile (DEPENDS +kmod-nft-offload)",
            "immortalwrt/immortalwrt#1353",
            "openNDS/openNDS#649",
            "openwrt/openwrt#9920",
        ),
    ),
)


def check(snap: Snapshot) -> RuleResult:
    fw4 = snap.settings.fw4
    assert fw4 is not None and snap.ruleset is not None
    if fw4.flow_offloading is None:
        return skipped(RULE, "needs `flow_offloading` in /etc/config/firewall (not set there)")
    if not fw4.flow_offloading:
        return passed(RULE, "flow_offloading is off")
    if snap.ruleset.flowtables:
        return passed(RULE)
    if snap.ruleset.truncated:
        return skipped(RULE, "the ruleset paste is truncated; a flowtable may be in the lost part")
    evidence = [
        Evidence("etc/config/firewall", "option flow_offloading '1'"),
        Evidence(
            ruleset_path(snap),
            f"{len(snap.ruleset.tables)} table(s), no flowtable: "
            + ", ".join(f"{t.family} {t.name}" for t in snap.ruleset.tables),
        ),
    ]
    if snap.modules is not None:
        have = [m for m in ("nf_flow_table", "nft_flow_offload") if m in snap.modules]
        evidence.append(
            Evidence(
                "proc/modules",
                "loaded: " + (", ".join(have) if have else "no nf_flow_table, no nft_flow_offload"),
            )
        )
    causes = []
    if snap.flowtable_support is False:
        evidence.append(Evidence("kernel", snap.flowtable_support_reason))
        causes.append("the kernel has no flowtable support")
    elif snap.modules is not None and not (
        {"nf_flow_table", "nft_flow_offload"} & set(snap.modules)
    ):
        causes.append("the flowtable modules are not loaded (kmod-nft-offload missing?)")
    nft_errors = [
        e for e in snap.log_events or [] if e.kind in ("nft-error", "hw-offload-fallback")
    ]
    for ev in nft_errors:
        evidence.append(Evidence(f"commands/{ev.source}", ev.text, ev.line_no))
    if any(e.kind == "nft-error" for e in nft_errors):
        causes.append("nft refused the ruleset (see the log lines)")
    distrib = snap.system.openwrt_release.get("DISTRIB_ID", "")
    if distrib and distrib.lower() != "openwrt":
        evidence.append(Evidence("etc/openwrt_release", f"DISTRIB_ID='{distrib}'"))
        causes.append(
            f"{distrib} builds may patch fw4 to disable offloading "
            "(002-forbid-using-flow-offload.patch, immortalwrt/immortalwrt#1353)"
        )
    msg = (
        "UCI enables flow offloading, but the running ruleset has no flowtable: nothing is "
        "offloaded."
    )
    if causes:
        msg += " Likely cause: " + "; ".join(causes) + "."
    return found(RULE, finding(RULE, msg, evidence, impact=1.0, subject="fw4"))
