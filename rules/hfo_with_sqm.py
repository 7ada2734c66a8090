"""hfo-with-sqm: hardware flow offloading bypasses SQM/cake shaping."""

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
from offtui.rules._hw_helpers import ct_source, hw_offload, sqm_sites
from offtui.topology import flowtables_covering

RULE = RuleInfo(
    id="hfo-with-sqm",
    severity=Severity.ERROR,
    title="Hardware offload bypasses SQM shaping",
    needs_any=(("sqm_config",), ("qdiscs",)),
    doc=RuleDoc(
        what=(
            "Hardware flow offloading is on (a flowtable with `flags offload`, or "
            "`flow_offloading_hw='1'` when the ruleset does not show flags) and SQM shapes a "
            "device: an enabled `config queue` in `/etc/config/sqm`, or a `cake` (or `htb` with "
            "`fq_codel`/`cake` leaves) qdisc on a device or its `ifb4<dev>`."
        ),
        why=(
            "Flows bound in the PPE are forwarded by the switch/NPU and never reach a Linux "
            "qdisc, so cake/fq_codel see only the first packets of each flow and the flows that "
            'did not bind. Shaping stops working and bufferbloat comes back. nbd168: "The '
            "software is able to manage latency well through proper qdisc management like "
            'fq_codel. That necessarily gets thrown out when you enable HW flow offloading."'
        ),
        fix=(
            "# keep software offload (SQM works with it) and drop hardware offload:\n"
            "uci set firewall.@defaults[0].flow_offloading='1'\n"
            "uci set firewall.@defaults[0].flow_offloading_hw='0'\n"
            "uci commit firewall && /etc/init.d/firewall restart\n"
            "# or, if line rate matters more than latency, switch SQM off:\n"
            "uci set sqm.@queue[0].enabled='0'; uci commit sqm; /etc/init.d/sqm restart"
        ),
        example=(
            "flowtable inet fw4 ft: devices = { lan1, ..., wan } flags offload; sqm: config "
            "queue: enabled '1', interface 'wan', qdisc 'cake'"
        ),
        limits=(
            "The live ruleset is needed to see `flags offload` (the JSON of nftables 1.0/1.1 "
            "omits it); with only UCI the rule trusts `flow_offloading_hw`, which fw4 may have "
            "fallen back from (see hw-offload-unavailable-fallback). A shaper on a device that "
            "no hardware flowtable covers is not affected and not reported."
        ),
        fix_interrupts=(
            "Yes: the firewall restart returns all flows to the slow path for a moment; "
            "restarting SQM briefly removes shaping."
        ),
        references=(
            'OpenWrt wiki SQM page ("SQM is incompatible with hardware flow offloading")',
            "openwrt/openwrt#19449 (nbd168 comment)",
            'openwrt/luci PR #1826 ("qos and sqm is only not supported with hw flow offload")',
            "OpenWrt wiki docs/guide-user/perf_and_log/flow_offloading",
        ),
    ),
)


def check(snap: Snapshot) -> RuleResult:
    hw = hw_offload(snap)
    if hw.on is None:
        return skipped(RULE, hw.why_unknown)
    if not hw.on:
        return passed(RULE, "hardware offload is off (software offload keeps SQM working)")
    sites = sqm_sites(snap)
    if not sites:
        return passed(RULE, "no SQM queue enabled and no shaping qdisc")
    out = []
    spared = []
    bound = sum(t.bound for t in snap.ppe)
    hw_flows = snap.conntrack.hw_offload if snap.conntrack is not None else 0
    for site in sites:
        if snap.links is not None and hw.flowtables and all(ft.devices for ft in hw.flowtables):
            covering = [ft for ft in flowtables_covering(snap, site.dev) if ft in hw.flowtables]
            if not covering and site.dev in snap.links:
                spared.append(site.dev)
                continue
        ev = hw.evidence[:3] + site.evidence
        if bound:
            ev.append(Evidence(snap.ppe[0].path, f"{bound} PPE entries bound (BND): not shaped"))
        if hw_flows:
            ev.append(Evidence(ct_source(snap), f"{hw_flows} flow(s) tagged [HW_OFFLOAD]"))
        out.append(
            finding(
                RULE,
                f"SQM shapes {site.dev}, but hardware flow offloading is on: flows bound in "
                "hardware bypass the qdisc, so shaping (and latency control) only applies to "
                "the first packets of each flow.",
                ev,
                subject=site.dev,
                impact=float(bound + hw_flows) or 1.0,
            )
        )
    if out:
        return found(RULE, *out)
    return passed(RULE, f"no hardware flowtable covers {', '.join(spared)}")
