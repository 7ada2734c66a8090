"""conntrack-counters-frozen: a flowtable without `counter` freezes per-connection bytes."""

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
from offtui.rules._net_helpers import active_flowtables, conntrack_source, is_offloaded

#: Processes and UCI packages that read conntrack byte counters.
CONSUMER_PROCS = ("nlbwmon", "collectd", "bandwidthd", "wrtbwmon", "netdata", "vnstatd")
CONSUMER_UCI = ("nlbwmon", "luci_statistics", "wrtbwmon", "bandwidthd")

RULE = RuleInfo(
    id="conntrack-counters-frozen",
    severity=Severity.WARNING,
    title="Per-connection byte counters stop growing for offloaded flows",
    needs=("ruleset",),
    doc=RuleDoc(
        what=(
            "A flowtable in use whose text listing has no `counter` line (custom nft tables, "
            "fw4 before 04a06bd of 2023-03-23). A warning when nlbwmon, luci-statistics or "
            "another conntrack-accounting tool is configured or running, information "
            "otherwise. firewalld's "
            "flowtable, which never has a counter, is left to "
            "`firewalld-flowtable-sw-only-no-counter` unless such a tool is present."
        ),
        why=(
            "Offloaded packets skip conntrack, and the flowtable copies its packet and byte "
            "counts back to the conntrack entry only when it has `counter` (Linux >= 5.7). "
            "Without it an offloaded flow's `bytes=` stops at the value it had when it was "
            "offloaded; nlbwmon's maintainer: \"nlbwmon pulls its data from conntrack "
            "accounting, if those counters are inaccurate, there's nothing we can do\"."
        ),
        fix=(
            "fw4: upgrade (23.05+ emits `counter;`), or once: "
            "nft add flowtable inet fw4 ft '{ counter; }'\n"
            "custom tables: add `counter` to the flowtable body (about 3 % CPU on a BT HH5A)."
        ),
        example="flowtable ip main ft { hook ingress priority filter; devices = { eth0, ... } }",
        limits=(
            "The flowtable's counter flag is only in the text listing (`nft list ruleset`); "
            "with only the JSON the rule is skipped. One capture cannot show counters standing "
            "still; it shows the missing flag and who reads the counters."
        ),
        fix_interrupts=(
            "No for `nft add flowtable ... counter`; an fw4 upgrade restarts the firewall."
        ),
        references=(
            "openwrt/openwrt#10399",
            "firewall4 commit 04a06bd (enable flowtable counters)",
            "jow-/nlbwmon#49",
            "Documentation/networking/nf_flowtable.rst (Counters)",
        ),
    ),
)


def check(snap: Snapshot) -> RuleResult:
    fts = active_flowtables(snap)
    if not fts:
        return passed(RULE, "no flowtable is filled by a forward-hook `flow add` rule")
    if all(ft.counter is None for ft in fts):
        return skipped(
            RULE,
            "needs `nft list ruleset` (text): the JSON listing never says whether a flowtable "
            "counts",
        )
    consumers = [p for p in CONSUMER_PROCS if snap.processes and p in snap.processes]
    consumers += [f"/etc/config/{u}" for u in CONSUMER_UCI if u in snap.settings.uci]
    out = []
    for ft in fts:
        if ft.counter is not False:
            continue
        if ft.family == "inet" and ft.table == "firewalld" and not consumers:
            continue
        ev = [
            Evidence(
                "commands/nft_list_ruleset",
                f"flowtable {ft.family} {ft.table} {ft.name}: hook {ft.hook} priority "
                f"{ft.priority_text or ft.priority} devices = {{ {', '.join(ft.devices)} }}, "
                "no `counter`",
            )
        ]
        offl = 0
        if snap.conntrack is not None:
            offl = sum(1 for f in snap.conntrack.flows() if is_offloaded(f))
            if offl:
                ev.append(
                    Evidence(
                        conntrack_source(snap),
                        f"{offl} offloaded flow(s) whose bytes= no longer grow",
                    )
                )
        for c in consumers:
            ev.append(
                Evidence(
                    c if c.startswith("/") else "commands/ps",
                    f"{c} reads conntrack counters",
                )
            )
        msg = (
            f"Flowtable {ft.family} {ft.table} {ft.name} has no `counter`: offloaded flows "
            "keep the byte and packet counts they had when offloaded"
        )
        msg += (
            f", so {', '.join(c.rsplit('/', 1)[-1] for c in consumers)} undercount(s) them."
            if consumers
            else " (LuCI's connection list and any per-host accounting undercount them)."
        )
        out.append(
            finding(
                RULE,
                msg,
                ev,
                f"nft add flowtable {ft.family} {ft.table} {ft.name} '{{ counter; }}'\n"
                + RULE.doc.fix,
                severity=None if consumers else Severity.INFO,
                subject=f"{ft.table}/{ft.name}",
                impact=float(offl or 1),
            )
        )
    if not out:
        return passed(RULE, "every flowtable in use counts (or is firewalld's, see its own rule)")
    return found(RULE, *out)
