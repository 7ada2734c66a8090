"""softirq-single-core: one CPU does (nearly) all NET_RX work."""

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

#: One CPU's share of NET_RX softirqs above which the load is "on one core" (catalog #32).
SHARE = 0.70
#: The busiest core must be this loaded for the skew to matter: an idle router handling every
#: interrupt on CPU0 is not a problem, and a 2-core host at 70/30 with both cores equally busy
#: is not bound by one of them.
MIN_BUSY_PCT = 50.0
MIN_SOFTIRQ_PCT = 10.0
#: ...and spend this many times the other cores' mean softirq time.
SOFTIRQ_RATIO = 2.0

OPENWRT_FIX = (
    "uci set network.globals.packet_steering='2'   # 'Enabled (all CPUs)'\n"
    "uci commit network && /etc/init.d/network restart\n"
    "# or spread the interrupts themselves:\n"
    "opkg install irqbalance && uci set irqbalance.irqbalance.enabled='1' && "
    "uci commit irqbalance && /etc/init.d/irqbalance start"
)

RULE = RuleInfo(
    id="softirq-single-core",
    severity=Severity.WARNING,
    title="Receive processing (NET_RX softirq) runs on one core",
    needs=("softirqs",),
    doc=RuleDoc(
        what=(
            "On a multi-core host, one CPU handles more than 70 % of the NET_RX softirqs "
            "(between the capture's two samples, or since boot with one) while that core is "
            "the bottleneck: at least 50 % busy, at least 10 % in softirq and twice the other "
            "cores' softirq share; with `network.globals.packet_steering` and irqbalance as "
            "evidence."
        ),
        why=(
            "On multi-core routers (mt7621, ipq40xx, mvebu) a single RX queue or interrupt "
            "lands on CPU0. The slow path, and the software flowtable fast path with it, then "
            "saturate one core while the others idle: users see `ksoftirqd/0` busy and "
            "conclude that offloading does not help."
        ),
        fix=OPENWRT_FIX,
        example=(
            "lab many-flows: NET_RX in 8.1 s: CPU0 11236 (73.9 %), CPU1 3959 (26.1 %); cpu0 "
            "85 % busy, 14 % in softirq (other core 4 %)"
        ),
        limits=(
            "With a single sample the shares are since boot and include boot-time activity. "
            "`rps_cpus` of each queue is not collected, so RPS set by hand is not seen. "
            "`packet_steering='1'` (the default 'Enabled') steers from one CPU to another; "
            "only '2' spreads by flow hash."
        ),
        fix_interrupts=(
            "Yes: restarting the network (packet steering) drops links for a few seconds; "
            "starting irqbalance or writing rps_cpus does not."
        ),
        references=(
            "openwrt/openwrt#10354 (ksoftirqd/0 at one core, mt7621 HFO)",
            "openwrt/openwrt#14365 (packet steering always via CPU0)",
            "openwrt/openwrt PR #19369 (mt7621 220 -> 350 Mb/s with 'all CPUs')",
            "openwrt/openwrt#15207",
            "nbd168/bridger#13",
        ),
    ),
)


def _net_rx(snap: Snapshot) -> tuple[dict[str, int], str]:
    """{cpu: NET_RX count} and a description of the period it covers."""
    if snap.cpu is not None and any(c.net_rx is not None for c in snap.cpu.cores):
        if snap.cpu.since_boot:
            period = "since boot"
        elif snap.cpu.interval_s:
            period = f"in {snap.cpu.interval_s:.1f} s"
        else:
            period = "between the two samples"
        return {c.cpu: c.net_rx for c in snap.cpu.cores if c.net_rx is not None}, period
    soft = snap.softirqs
    assert soft is not None
    counts = soft.counts.get("NET_RX", ())
    return {cpu.lower(): n for cpu, n in zip(soft.cpus, counts, strict=False)}, "since boot"


def _steering(snap: Snapshot) -> tuple[str | None, Evidence | None]:
    net = snap.settings.uci.get("network")
    if net is None:
        return None, None
    for sec in net.of_type("globals"):
        v = sec.get("packet_steering")
        if v is not None:
            return v, Evidence(
                "etc/config/network", f"config globals: option packet_steering '{v}'", sec.line_no
            )
    return "unset", Evidence("etc/config/network", "no packet_steering in config globals")


def check(snap: Snapshot) -> RuleResult:
    counts, period = _net_rx(snap)
    if not counts:
        return skipped(RULE, "needs the NET_RX row of `/proc/softirqs`")
    if len(counts) < 2:
        return passed(RULE, "one CPU: nothing to spread")
    total = sum(counts.values())
    if total == 0:
        return passed(RULE, f"no NET_RX softirqs {period}")
    hot, n = max(counts.items(), key=lambda kv: kv[1])
    share = n / total
    if share <= SHARE:
        return passed(RULE, f"busiest CPU {hot} has {share:.0%} of NET_RX {period}")
    load = next((c for c in snap.cpu.cores if c.cpu == hot), None) if snap.cpu else None
    if load is None:
        return skipped(
            RULE,
            f"needs `/proc/stat`: {hot} has {share:.0%} of NET_RX {period}, but whether that "
            "core is loaded is unknown",
        )
    others = [c.softirq_pct for c in snap.cpu.cores if c.cpu != hot] if snap.cpu else []
    others_mean = sum(others) / len(others) if others else 0.0
    if (
        load.busy_pct < MIN_BUSY_PCT
        or load.softirq_pct < MIN_SOFTIRQ_PCT
        or load.softirq_pct < SOFTIRQ_RATIO * others_mean
    ):
        return passed(
            RULE,
            f"{hot} has {share:.0%} of NET_RX {period} but is not the bottleneck (busy "
            f"{load.busy_pct:.0f} %, softirq {load.softirq_pct:.0f} % vs {others_mean:.0f} % on "
            "the others)",
        )
    evidence = [
        Evidence(
            "proc/softirqs",
            f"NET_RX {period}: "
            + ", ".join(f"{c.upper()} {v} ({v / total:.1%})" for c, v in counts.items()),
        )
    ]
    evidence.append(
        Evidence(
            "proc/stat",
            f"{hot} {period}: busy {load.busy_pct:.0f} %, softirq {load.softirq_pct:.0f} % "
            f"(other cores: softirq {others_mean:.0f} % on average)",
        )
    )
    steering, ev = _steering(snap)
    if ev is not None:
        evidence.append(ev)
    irqbalance = None
    if snap.processes is not None:
        irqbalance = "irqbalance" in snap.processes
        evidence.append(
            Evidence("commands/ps", "irqbalance running" if irqbalance else "no irqbalance process")
        )
    msg = f"{hot.upper()} handled {share:.0%} of the {len(counts)} CPUs' NET_RX softirqs {period}"
    msg += f" and was {load.busy_pct:.0f} % busy ({load.softirq_pct:.0f} % in softirq)"
    msg += ": receive processing (slow path and software fast path) is bound to one core."
    if steering == "2":
        msg += " packet_steering is '2' and the load is still on one core."
    elif steering is not None:
        msg += f" packet_steering is {steering!r}: set it to '2' to spread by flow hash."
    is_openwrt = bool(snap.system.openwrt_release) or "network" in snap.settings.uci
    if is_openwrt:
        fix = OPENWRT_FIX
    else:
        mask = format((1 << len(counts)) - 1, "x")
        devs = sorted({d for ft in snap.flowtables for d in ft.devices}) or ["<dev>"]
        fix = (
            "# spread receive processing over all CPUs (RPS), per receiving device:\n"
            + "".join(f"echo {mask} > /sys/class/net/{d}/queues/rx-0/rps_cpus\n" for d in devs)
            + "# and/or run irqbalance so the NIC interrupts move off one CPU:\n"
            "systemctl enable --now irqbalance"
        )
    return found(
        RULE,
        finding(
            RULE,
            msg,
            evidence,
            fix=fix,
            interrupts_traffic=is_openwrt,
            impact=share * load.busy_pct / 100.0,
            subject=hot,
        ),
    )
