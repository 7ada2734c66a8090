"""firewalld-flowtable-sw-only-no-counter: firewalld's flowtable neither counts nor offloads."""

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
)
from offtui.model import Snapshot
from offtui.rules._misc_helpers import flowtable_text, ruleset_path

#: Processes that read per-connection byte counters from conntrack.
ACCOUNTING_TOOLS = ("nlbwmon", "conntrackd", "ulogd", "netdata", "collectd", "vnstatd")

RULE = RuleInfo(
    id="firewalld-flowtable-sw-only-no-counter",
    severity=Severity.INFO,
    title="firewalld's flowtable is software-only and keeps no counters",
    needs=("firewalld",),
    doc=RuleDoc(
        what=(
            "firewalld with `NftablesFlowtable` set: its `flowtable inet firewalld fastpath` "
            "has neither a `counter` line nor `flags offload`."
        ),
        why=(
            "firewalld emits only `hook ingress priority filter + 10; devices = {...}`. "
            "Without `counter`, conntrack's per-connection byte and packet counters stop "
            "growing once a flow is offloaded (accounting tools freeze), and without "
            "`flags offload` no NIC flow engine is used even on capable hardware."
        ),
        fix=(
            "# firewalld has no knob for either. To keep the counters, switch firewalld's\n"
            "# flowtable off and offload from a table of your own, after firewalld's forward\n"
            "# chain (priority filter + 10) so that what firewalld drops is never offloaded:\n"
            "sed -i 's/^NftablesFlowtable=.*/NftablesFlowtable=off/' "
            "/etc/firewalld/firewalld.conf && firewall-cmd --reload\n"
            "nft add table inet offload\n"
            "nft add flowtable inet offload ft '{ hook ingress priority filter + 10; "
            "devices = { <devs> }; counter; }'\n"
            "nft add chain inet offload forward '{ type filter hook forward priority filter + 20; "
            "policy accept; }'\n"
            "nft add rule inet offload forward ct state established,related meta l4proto "
            "'{ tcp, udp }' flow add @ft\n"
            "# add 'flags offload;' to the flowtable only on a NIC with a flow engine"
        ),
        example=(
            "flowtable inet firewalld fastpath { hook ingress priority filter + 10; "
            "devices = { veth-a, veth-b } }"
        ),
        limits=(
            "The JSON ruleset of nftables 1.0/1.1 prints neither `counter` nor the flags; with "
            "only the JSON the rule relies on firewalld's source (which never emits them). "
            "Confirmed from firewalld's source, not from a user report."
        ),
        fix_interrupts=(
            "Yes: firewall-cmd --reload rebuilds firewalld's ruleset and drops its flowtable; "
            "flows return to the slow path until the new flowtable takes them."
        ),
        references=(
            "firewalld src/firewall/core/nftables.py (flowtable and rule construction)",
            "firewalld doc/xml/firewalld.conf.xml (NftablesFlowtable: software fastpath, "
            "default off)",
            "firewalld.org/2023/05/nftables-flowtable",
        ),
    ),
)


def check(snap: Snapshot) -> RuleResult:
    fwd = snap.settings.firewalld
    assert fwd is not None
    if not fwd.flowtable_devices:
        return passed(RULE, "NftablesFlowtable is off")
    evidence = [
        Evidence("etc/firewalld/firewalld.conf", f"NftablesFlowtable={fwd.nftables_flowtable}")
    ]
    ft = None
    if snap.ruleset is not None:
        ft = next((f for f in snap.ruleset.flowtables if f.table == "firewalld"), None)
        if ft is None:
            return passed(
                RULE,
                "firewalld's flowtable is not loaded (see firewalld-flowtable-iface-missing)",
            )
        if ft.counter or ft.hw_offload:
            return passed(RULE, "firewalld's flowtable counts or offloads")
        evidence.append(Evidence(ruleset_path(snap), flowtable_text(ft)))
        if ft.counter is None:
            evidence.append(
                Evidence(
                    ruleset_path(snap),
                    "the JSON ruleset does not show counter/flags; firewalld never emits them",
                )
            )
    tools = sorted(p for p in snap.processes or () if p in ACCOUNTING_TOOLS)
    if tools:
        evidence.append(Evidence("commands/ps", "running: " + ", ".join(tools)))
    msg = (
        "firewalld's flowtable"
        + (f" {ft.name}" if ft is not None else "")
        + " is software-only and has no counter: per-connection byte counters stop growing "
        "once a flow is offloaded, and no hardware offload is used."
    )
    if tools:
        msg += f" {', '.join(tools)} reads those counters and will undercount."
    return found(
        RULE,
        finding(
            RULE,
            msg,
            evidence,
            impact=float(len(fwd.flowtable_devices)),
            subject=f"firewalld/{ft.name if ft else 'fastpath'}",
        ),
    )
