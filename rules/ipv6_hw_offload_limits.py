"""ipv6-hw-offload-limits: the MediaTek PPE routes IPv6 but does no NAT66."""

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
from offtui.model import OffloadState, Snapshot
from offtui.parsers.uci import uci_bool
from offtui.rules._hw_helpers import FIREWALL, ct_source, hw_offload, ruleset_path

RULE = RuleInfo(
    id="ipv6-hw-offload-limits",
    severity=Severity.INFO,
    title="IPv6 NAT (NAT66) is not offloaded in hardware",
    needs_any=(("fw4",), ("ruleset",), ("conntrack",)),
    doc=RuleDoc(
        what=(
            "Hardware offload is on and IPv6 is masqueraded (fw4 zone `option masq6 '1'`, or an "
            "IPv6 `masquerade` rule in the ruleset); or conntrack shows IPv4 flows in hardware "
            "while every offloaded IPv6 flow is `[OFFLOAD]` only."
        ),
        why=(
            "The MediaTek PPE supports IPv6 routing (3T/5T entries) but not IPv6 NAT (nbd168: "
            '"The hardware does not support IPv6 NAT, only routing"), so NAT66 flows stay in '
            "the software fast path. Older builds also had IPv6 offload bugs: a panic in "
            "`nf_flow_offload_ipv6_hook` on ramips 5.15.60-era kernels (#10572) and stale "
            "dst entries for native IPv6 software offload (PR #4849)."
        ),
        fix=(
            "# avoid NAT66 when hardware offload matters: use the delegated prefix instead\n"
            "uci set firewall.@zone[1].masq6='0'   # the wan zone\n"
            "uci commit firewall && /etc/init.d/firewall restart\n"
            "# and upgrade builds from the affected era (22.03 with 5.15.60-era kernels)"
        ),
        example="etc/config/firewall: zone 'wan' option masq6 '1'; flowtable ... flags offload",
        limits=(
            "The version-specific IPv6 bugs are not matched here (see "
            "known-regressions-by-version); the NAT66 limit is the MediaTek PPE's, other flow "
            "engines were not checked."
        ),
        fix_interrupts="Yes: the firewall restart briefly returns all flows to the slow path.",
        references=(
            "openwrt/openwrt PR #4918 (nbd168: no IPv6 NAT in the PPE, only routing)",
            "openwrt/openwrt#10572",
            "openwrt/openwrt PR #4849",
            "openwrt/openwrt PR #1916",
        ),
    ),
)


def _masq6(snap: Snapshot) -> list[Evidence]:
    ev = []
    fw = snap.settings.uci.get("firewall")
    if fw is not None:
        for z in fw.of_type("zone"):
            if uci_bool(z.get("masq6"), False) and uci_bool(z.get("enabled"), True):
                ev.append(
                    Evidence(FIREWALL, f"zone '{z.get('name')}': option masq6 '1'", z.line_no)
                )
    if snap.ruleset is not None:
        for c in snap.ruleset.chains:
            for r in c.rules:
                v6 = c.family == "ip6" or "nfproto ipv6" in r.text
                if v6 and "masquerade" in r.text:
                    ev.append(Evidence(ruleset_path(snap), f"chain {c.name}: {r.text}"))
    return ev


def check(snap: Snapshot) -> RuleResult:
    hw = hw_offload(snap)
    if hw.on is None:
        return skipped(RULE, hw.why_unknown)
    if not hw.on:
        return passed(RULE, "hardware offload is off")
    out = []
    masq = _masq6(snap)
    if masq:
        out.append(
            finding(
                RULE,
                "IPv6 is masqueraded (NAT66) while hardware offload is on: the PPE cannot NAT "
                "IPv6, so these flows stay in the software fast path.",
                hw.evidence[:2] + masq,
                subject="nat66",
                impact=1.0,
            )
        )
    if snap.conntrack is not None:
        flows = snap.conntrack.flows()
        v4_hw = sum(1 for f in flows if f.l3 == "ipv4" and f.offload == OffloadState.HARDWARE)
        v6 = [f for f in flows if f.l3 == "ipv6" and f.offload != OffloadState.NONE]
        v6_hw = sum(1 for f in v6 if f.offload == OffloadState.HARDWARE)
        if v4_hw and v6 and not v6_hw and not masq:
            out.append(
                finding(
                    RULE,
                    f"{v4_hw} IPv4 flow(s) are offloaded in hardware but none of the {len(v6)} "
                    "offloaded IPv6 flows: IPv6 stays in the software fast path.",
                    [
                        *hw.evidence[:2],
                        Evidence(
                            ct_source(snap),
                            f"ipv4 [HW_OFFLOAD] {v4_hw}; ipv6 [OFFLOAD] {len(v6)}, [HW_OFFLOAD] 0",
                        ),
                    ],
                    subject="ipv6-flows",
                    impact=float(len(v6)),
                )
            )
    if out:
        return found(RULE, *out)
    if "firewall" not in snap.settings.uci and snap.ruleset is None:
        return skipped(
            RULE, "needs `/etc/config/firewall` or `nft list ruleset` (to see IPv6 masquerading)"
        )
    return passed(RULE, "no NAT66; IPv6 flows not held back")
