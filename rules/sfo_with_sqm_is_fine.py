"""sfo-with-sqm-is-fine: software offload and SQM coexist (no false alarm), with one caveat."""

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
from offtui.rules._hw_helpers import hw_offload, sqm_sites
from offtui.topology import lower_devices

RULE = RuleInfo(
    id="sfo-with-sqm-is-fine",
    severity=Severity.INFO,
    title="Software offload and SQM work together",
    needs_any=(("sqm_config",), ("qdiscs",)),
    doc=RuleDoc(
        what=(
            "A software flowtable (no `flags offload`) and active SQM: says that this is fine. "
            "Warns only when SQM sits on an upper device (bridge, VLAN, PPPoE) that the "
            "flowtable does not list while it lists a device under it."
        ),
        why=(
            "The software fast path still transmits through the egress device's qdisc "
            "(`neigh_xmit`/`dev_queue_xmit`), and SQM's ingress shaping runs in tc ingress, "
            "before the netfilter ingress hook where the flowtable sits. So SFO does not "
            "bypass SQM, and turning SFO off would only cost CPU. Caveat: when the flowtable "
            "lists the lower device (e.g. `wan` but not `pppoe-wan`, or the ports instead of "
            "`br-lan`), the fast path transmits on that lower device directly and a qdisc on "
            "the upper device is not traversed."
        ),
        fix=(
            "# nothing to do for SFO + SQM.\n"
            "# caveat only: put SQM on the device the flowtable transmits on, e.g.\n"
            "uci set sqm.@queue[0].interface='<device listed in the flowtable>'\n"
            "uci commit sqm && /etc/init.d/sqm restart\n"
            "# or upgrade fw4 (since e009588, 2024-03, software mode lists upper devices)"
        ),
        example="flowtable ip main ft: devices = { eth0, phy0-ap0, phy1-ap0 }; sqm: cake on eth0",
        limits=(
            "The caveat is partially confirmed: it rests on the flowtable's direct xmit to the "
            "listed device (nf_flowtable.rst, openwrt/openwrt#17942), not on a measurement. A "
            "PPPoE device's lower device is read from `ip -d link` only for VLAN/bridge "
            "stacking; `pppoe-<iface>` is matched to the UCI interface's `device`."
        ),
        fix_interrupts="No (nothing to fix); moving SQM restarts it, a moment without shaping.",
        references=(
            'OpenWrt wiki SQM page ("SQM works with software flow offloading enabled")',
            "openwrt/openwrt#17942 (soft offload bypasses bridges)",
            "Documentation/networking/nf_flowtable.rst (Layer 2 encapsulation; neigh_xmit)",
        ),
    ),
)


def _lowers(snap: Snapshot, dev: str) -> list[str]:
    """Devices under ``dev``: ip link stacking, and for ``pppoe-<iface>`` the UCI device."""
    out = [d for d in lower_devices(snap, dev) if d != dev]
    net = snap.settings.uci.get("network")
    if dev.startswith("pppoe-") and net is not None:
        for s in net.of_type("interface"):
            if s.name == dev[len("pppoe-") :] and s.get("device"):
                out += [d for d in lower_devices(snap, s.get("device") or "") if d not in out]
    return out


def check(snap: Snapshot) -> RuleResult:
    hw = hw_offload(snap)
    if hw.on is None:
        return skipped(RULE, hw.why_unknown)
    if hw.on:
        return passed(RULE, "hardware offload is on: see hfo-with-sqm")
    soft = hw.software
    fw4 = snap.settings.fw4
    if not soft and not (fw4 is not None and fw4.flow_offloading and snap.ruleset is None):
        return passed(RULE, "no software flowtable: offloading is off")
    sites = sqm_sites(snap)
    if not sites:
        return passed(RULE, "no SQM queue enabled and no shaping qdisc")
    out = []
    for site in sites:
        ev = hw.evidence[:3] + site.evidence
        listed = {d for ft in soft for d in ft.devices}
        lowers = [d for d in _lowers(snap, site.dev) if d in listed]
        if soft and site.dev not in listed and lowers:
            out.append(
                finding(
                    RULE,
                    f"SQM shapes {site.dev}, but the software flowtable lists "
                    f"{', '.join(lowers)} (under {site.dev}) and not {site.dev}: offloaded "
                    f"flows are sent on {', '.join(lowers)} directly and skip the qdisc on "
                    f"{site.dev}.",
                    [
                        *ev,
                        Evidence(
                            "commands/ip_-j_-d_link_show", f"{site.dev} sits on {', '.join(lowers)}"
                        ),
                    ],
                    severity=Severity.WARNING,
                    subject=site.dev,
                    impact=1.0,
                )
            )
            continue
        out.append(
            finding(
                RULE,
                f"Software flow offloading and SQM on {site.dev} work together: the fast path "
                "still goes through the qdisc. Keep both; do not turn offloading off for SQM.",
                ev,
                fix="Nothing to do.",
                subject=site.dev,
                interrupts_traffic=False,
            )
        )
    return found(RULE, *out)
