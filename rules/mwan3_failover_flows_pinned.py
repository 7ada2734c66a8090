"""mwan3-failover-flows-pinned: offloaded flows stay on a dead uplink after mwan3 fails over."""

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
from offtui.rules._net_helpers import active_flowtables, ruleset_source, source_missing

RULE = RuleInfo(
    id="mwan3-failover-flows-pinned",
    severity=Severity.WARNING,
    title="mwan3 failover leaves offloaded flows on the dead uplink",
    needs=("ruleset",),
    doc=RuleDoc(
        what=(
            "mwan3 has two or more enabled interfaces, a flowtable is in use, and no mwan3 "
            "interface has `list flush_conntrack`."
        ),
        why=(
            "conntrack keeps a flow's NAT and route after mwan3 switches uplinks. An offloaded "
            'flow keeps "shovelling packets" along the cached path to the dead uplink until '
            "the application gives up: long-lived TCP hangs for minutes after a failover."
        ),
        fix=(
            "Flush the flows of the failed uplink when it goes down, in /etc/mwan3.user:\n"
            '[ "$ACTION" = "disconnected" ] && conntrack -D -m <mark>/0x3f00\n'
            "or, coarser (flushes every flow):\n"
            "uci add_list mwan3.<iface>.flush_conntrack='disconnected'\n"
            "uci commit mwan3 && /etc/init.d/mwan3 restart"
        ),
        example="mwan3 interfaces wan, wanb enabled; no flush_conntrack; flowtable inet fw4 ft",
        limits=(
            "/etc/mwan3.user is not collected, so a flush done there is not seen; the rule "
            "then warns although the setup is handled."
        ),
        fix_interrupts="No: changing mwan3's hooks does not touch running flows.",
        references=(
            "sindro.me/posts/2026-05-01-mwan3-failover-conntrack (OpenWrt 25.12)",
            "openwrt/packages#5943",
        ),
    ),
)


def check(snap: Snapshot) -> RuleResult:
    cfg = snap.settings.uci.get("mwan3")
    if cfg is None:
        if source_missing(snap, "etc/config/mwan3"):
            return passed(RULE, "mwan3 is not installed (/etc/config/mwan3 absent)")
        if snap.processes is not None and "mwan3track" not in snap.processes:
            return passed(RULE, "mwan3 is not running (no mwan3track process)")
        return skipped(RULE, "needs `/etc/config/mwan3` (or `ps` to show mwan3 is not running)")
    fts = active_flowtables(snap)
    if not fts:
        return passed(RULE, "no flowtable is filled by a forward-hook `flow add` rule")
    enabled = [s for s in cfg.of_type("interface") if uci_bool(s.get("enabled"), False) and s.name]
    if len(enabled) < 2:
        return passed(RULE, f"{len(enabled)} enabled mwan3 interface(s): no failover")
    flushing = [s.name for s in enabled if s.values("flush_conntrack")]
    if flushing:
        return passed(RULE, f"flush_conntrack set on {', '.join(str(n) for n in flushing)}")
    ev = [
        Evidence(
            "etc/config/mwan3",
            f"config interface '{s.name}': enabled, no flush_conntrack",
            s.line_no or None,
        )
        for s in enabled
    ]
    ev += [
        Evidence(
            ruleset_source(snap),
            f"flowtable {ft.family} {ft.table} {ft.name}: devices = {{ {', '.join(ft.devices)} }}",
        )
        for ft in fts
    ]
    names = ", ".join(str(s.name) for s in enabled)
    return found(
        RULE,
        finding(
            RULE,
            f"mwan3 fails over between {names} but flushes no conntrack entries: offloaded "
            "flows keep their cached path to the uplink that went down.",
            ev,
            "\n".join(
                f"uci add_list mwan3.{s.name}.flush_conntrack='disconnected'" for s in enabled
            )
            + "\nuci commit mwan3 && /etc/init.d/mwan3 restart\n"
            "# or, finer: conntrack -D -m <mark>/0x3f00 in /etc/mwan3.user on disconnected",
            subject="mwan3",
            impact=float(len(enabled)),
        ),
    )
