"""The facts of a snapshot as plain data: the core of the JSON output (``docs/json-schema.md``).

Text and markdown views read the same dictionary, so every format says the same thing.
"""

from __future__ import annotations

from offtui import __version__
from offtui.engine import Finding, Report
from offtui.model import Snapshot, SourceState

SCHEMA_VERSION = 1


def facts(snap: Snapshot) -> dict:
    ct = snap.conntrack
    lim = snap.conntrack_limits
    fw4 = snap.settings.fw4
    fwd = snap.settings.firewalld
    return {
        "host": snap.host,
        "time": snap.time,
        "kernel": snap.system.kernel,
        "os": snap.system.os_name,
        "soc": snap.system.soc,
        "backend": snap.backend.value,
        "offload_mode": snap.offload_mode.value,
        "flowtable_support": {
            "supported": snap.flowtable_support,
            "reason": snap.flowtable_support_reason,
        },
        "conntrack": None
        if ct is None
        else {
            "source": ct.source,
            "total": ct.total,
            "offload": ct.offload,
            "hw_offload": ct.hw_offload,
            "not_offloaded": ct.total - ct.offload - ct.hw_offload,
            "assured": ct.assured,
            "unreplied": ct.unreplied,
            "by_proto": dict(sorted(ct.by_proto.items())),
            "count": lim.count,
            "max": lim.max,
        },
        "conntrack_limits": {
            "count": lim.count,
            "max": lim.max,
            "acct": lim.acct,
            "flowtable_tcp_timeout": lim.flowtable_tcp_timeout,
            "flowtable_udp_timeout": lim.flowtable_udp_timeout,
        },
        "ppe": [
            {
                "name": t.name,
                "path": t.path,
                "entries": len(t.entries),
                "bound": t.bound,
                "unbound": t.unbound,
                "other": t.other,
                "bind_only": t.bind_only,
                "by_type": t.by_type,
                "capacity": t.capacity,
                "capacity_reason": t.capacity_reason,
            }
            for t in snap.ppe
        ],
        "flowtables": [
            {
                "family": ft.family,
                "table": ft.table,
                "name": ft.name,
                "hook": ft.hook,
                "priority": ft.priority,
                "priority_text": ft.priority_text,
                "devices": list(ft.devices),
                "hw_offload": ft.hw_offload,
                "counter": ft.counter,
            }
            for ft in snap.flowtables
        ],
        "ruleset": None
        if snap.ruleset is None
        else {
            "source": snap.ruleset.source,
            "tables": [f"{t.family} {t.name}" for t in snap.ruleset.tables],
            "truncated": snap.ruleset.truncated,
            "flow_add_rules": [
                {
                    "family": c.family,
                    "table": c.table,
                    "chain": c.name,
                    "hook": c.hook,
                    "flowtable": r.flow_add,
                    "rule": r.text,
                }
                for c in snap.ruleset.chains
                for r in c.rules
                if r.flow_add
            ],
        },
        "settings": {
            "fw4": None
            if fw4 is None
            else {
                "flow_offloading": fw4.flow_offloading,
                "flow_offloading_hw": fw4.flow_offloading_hw,
                "zones": [
                    {"name": z.name, "networks": z.networks, "devices": z.devices}
                    for z in fw4.zones
                ],
            },
            "firewalld": None
            if fwd is None
            else {
                "nftables_flowtable": fwd.nftables_flowtable,
                "flowtable_devices": fwd.flowtable_devices,
                "firewall_backend": fwd.firewall_backend,
            },
            "sqm": [
                {"name": q.name, "interface": q.interface, "enabled": q.enabled, "qdisc": q.qdisc}
                for q in snap.settings.sqm
            ],
            "wireless": [
                {"name": r.name, "band": r.band, "disabled": r.disabled}
                for r in snap.settings.wireless
            ],
        },
        "cpu": None
        if snap.cpu is None
        else {
            "since_boot": snap.cpu.since_boot,
            "interval_s": snap.cpu.interval_s,
            "cores": [
                {
                    "cpu": c.cpu,
                    "busy_pct": round(c.busy_pct, 1),
                    "softirq_pct": round(c.softirq_pct, 1),
                    "net_rx": c.net_rx,
                }
                for c in snap.cpu.cores
            ],
        },
        "links": None
        if snap.links is None
        else [
            {
                "name": link.name,
                "kind": link.kind,
                "master": link.master,
                "link": link.link,
                "vlan_id": link.vlan_id,
                "operstate": link.operstate,
            }
            for link in snap.links.values()
        ],
        "modules": None
        if snap.modules is None
        else sorted(
            m for m in snap.modules if m.startswith(("nf_flow", "nft_flow", "mt79", "br_netfilter"))
        ),
        "log_events": None
        if snap.log_events is None
        else [
            {"kind": e.kind, "source": e.source, "line": e.line_no, "text": e.text}
            for e in snap.log_events
        ],
    }


def sources(snap: Snapshot) -> list[dict]:
    return [
        {
            "name": s.name,
            "status": s.state.value,
            "detail": s.detail,
            "hint": s.hint,
            "exit_code": s.exit_code,
            "stderr": s.stderr,
            "duration_s": s.duration_s,
            "unparsed_lines": s.unparsed_count,
        }
        for s in snap.sources
    ]


def finding_dict(f: Finding) -> dict:
    return {
        "id": f.id,
        "severity": f.severity.value,
        "title": f.title,
        "message": f.message,
        "subject": f.subject,
        "evidence": [{"source": e.source, "text": e.text, "line": e.line_no} for e in f.evidence],
        "fix": f.fix,
        "interrupts_traffic": f.interrupts_traffic,
    }


def document(snap: Snapshot, report: Report, capture: dict | None = None) -> dict:
    """The whole ``diagnose --format json`` document."""
    return {
        "schema": "offtui-diagnose",
        "schema_version": SCHEMA_VERSION,
        "offtui_version": __version__,
        "capture": capture,
        "facts": facts(snap),
        "findings": [finding_dict(f) for f in report.findings],
        "skipped": [{"id": r.rule.id, "reason": r.reason} for r in report.skipped],
        "passed": [r.rule.id for r in report.passed],
        "sources": sources(snap),
    }


def collected(snap: Snapshot) -> tuple[int, int]:
    """(sources read, sources that failed or were refused) for a one-line summary."""
    ok = sum(1 for s in snap.sources if s.state == SourceState.OK)
    bad = sum(
        1
        for s in snap.sources
        if s.state in (SourceState.FAILED, SourceState.PERMISSION, SourceState.TIMEOUT)
    )
    return ok, bad
