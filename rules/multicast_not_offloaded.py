"""multicast-not-offloaded: multicast/IPTV forwarding next to flow offloading."""

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
from offtui.rules._misc_helpers import (
    MULTICAST_PROXY_CONFIGS,
    MULTICAST_PROXY_PROCESSES,
    conntrack_path,
    flowtable_text,
    hw_offload_selected,
    multicast_flows,
    ruleset_path,
)

RULE = RuleInfo(
    id="multicast-not-offloaded",
    severity=Severity.INFO,
    title="Multicast (IPTV) is forwarded next to flow offloading and does not benefit from it",
    needs=("ruleset",),
    doc=RuleDoc(
        what=(
            "A flowtable is active and the host forwards multicast: a multicast proxy "
            "(igmpproxy, omcproxy, mcproxy, smcroute, pimd, udpxy) runs or is configured in "
            "`/etc/config`, or conntrack holds flows to a multicast group (224.0.0.0/4, ff00::/8)."
        ),
        why=(
            "Flowtables key on unicast 5-tuples and multicast forwarding goes through the "
            "multicast routing code (`ipmr`), so IPTV streams keep loading the CPU whatever the "
            "offload setting. openwrt/openwrt#18214 reports IPTV stutter on a GL-MT6000 with "
            "24.10's hardware acceleration that 23.05 did not have."
        ),
        fix=(
            "# check whether hardware offload is the cause: test with software offload only\n"
            "uci set firewall.@defaults[0].flow_offloading_hw='0'\n"
            "uci commit firewall && /etc/init.d/firewall restart\n"
            "# the reporter of openwrt/openwrt#18214 worked around it by forcing the WAN port to "
            "100 Mb/s (a workaround, not a fix)"
        ),
        example=(
            "etc/config/igmpproxy: config phyint (network wan, direction upstream); "
            "flowtable inet fw4 ft { ...; flags offload }"
        ),
        limits=(
            "Partially confirmed: whether the kernel ever puts multicast in a flowtable is not "
            "stated in its documentation, and the stutter report (openwrt/openwrt#18214) did "
            "not establish the mechanism. The rule reports the combination; it cannot prove "
            "that offloading causes a given stutter. A multicast proxy config counts only when "
            "no process list was collected (with `ps`, only a running proxy counts); IGMP/MLD "
            "to link-local groups (224.0.0.0/24, ff02::/16) is never counted."
        ),
        fix_interrupts=(
            "Yes: restarting the firewall returns offloaded flows to the slow path for a moment."
        ),
        references=("openwrt/openwrt#18214", "Documentation/networking/nf_flowtable.rst"),
    ),
)


def _enabled_proxy_configs(snap: Snapshot) -> list[Evidence]:
    """Multicast proxy configs in /etc/config with at least one section not disabled."""
    out = []
    for pkg in MULTICAST_PROXY_CONFIGS:
        cfg = snap.settings.uci.get(pkg)
        if cfg is None or not cfg.sections:
            continue
        enabled = [
            s
            for s in cfg.sections
            if uci_bool(s.get("disabled"), False) is not True
            and uci_bool(s.get("enabled"), True) is not False
        ]
        if not enabled:
            continue
        desc = "; ".join(
            f"config {s.type}"
            + (f" '{s.name}'" if s.name else "")
            + "".join(f" {k}={v}" for k, v in list(s.options.items())[:3])
            for s in enabled[:3]
        )
        out.append(Evidence(f"etc/config/{pkg}", desc, enabled[0].line_no or None))
    return out


def check(snap: Snapshot) -> RuleResult:
    assert snap.ruleset is not None
    fts = snap.flowtables
    if not fts:
        return passed(RULE, "no flowtable: nothing is offloaded, multicast or not")
    evidence: list[Evidence] = []
    procs = sorted(p for p in snap.processes or () if p in MULTICAST_PROXY_PROCESSES)
    if procs:
        evidence.append(Evidence("commands/ps", "running: " + ", ".join(procs)))
    # An installed package's config is there whether or not its service runs: with a process
    # list, only a running proxy counts.
    if snap.processes is None:
        evidence += _enabled_proxy_configs(snap)
    mflows = multicast_flows(snap)
    for f in mflows[:5]:
        evidence.append(
            Evidence(
                conntrack_path(snap),
                f"{f.proto} src={f.orig.src} dst={f.orig.dst} dport={f.orig.dport} "
                f"({f.offload.value})",
                f.line_no or None,
            )
        )
    if not evidence:
        if snap.processes is None and snap.conntrack is None and not snap.settings.uci:
            return skipped(
                RULE, "needs `ps`, `/proc/net/nf_conntrack` or `/etc/config` (multicast proxy)"
            )
        return passed(RULE, "no multicast proxy running or configured, no multicast flows")
    hw = hw_offload_selected(snap)
    evidence += [Evidence(ruleset_path(snap), flowtable_text(ft)) for ft in fts[:2]]
    what = []
    if procs:
        what.append(f"{', '.join(procs)} running")
    if any(e.source.startswith("etc/config/") for e in evidence):
        what.append("a multicast proxy configured")
    if mflows:
        what.append(f"{len(mflows)} conntrack flow(s) to multicast groups")
    msg = (
        f"This host forwards multicast ({'; '.join(what)}) while "
        f"{'hardware' if hw else 'software'} flow offloading is on: multicast streams are not "
        "offloaded and keep loading the CPU."
    )
    if hw:
        msg += (
            " With hardware offload, IPTV stutter has been reported (openwrt/openwrt#18214); "
            "if streams stutter, test with flow_offloading_hw='0'."
        )
    return found(
        RULE,
        finding(RULE, msg, evidence, impact=float(len(mflows) or 1), subject="multicast"),
    )
