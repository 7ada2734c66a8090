"""Step 6: after confirming, check that the change does what was intended.

The flowtable exists with the intended devices and flags (or is gone); new flows reach
``[OFFLOAD]``/``[HW_OFFLOAD]`` within a few seconds; softirq load before vs after.
"""

from __future__ import annotations

import difflib
import time
from dataclasses import dataclass, field

from offtui.model import Flowtable
from offtui.parsers.conntrack import parse_conntrack
from offtui.parsers.nft_json import parse_nft_json
from offtui.wizard.executor import Executor, run_sh
from offtui.wizard.plan import Action, Plan
from offtui.wizard.status import CpuSample, cpu_sample

__all__ = ["VerifyReport", "check_flowtable", "softirq_pct", "verify"]


@dataclass(slots=True)
class VerifyReport:
    ok: bool
    flowtable: Flowtable | None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    offloaded: int = 0
    hw_offloaded: int = 0
    flows: int = 0
    waited_s: float = 0.0
    softirq_before_pct: float | None = None
    softirq_after_pct: float | None = None
    ruleset_diff: str = ""

    def text(self) -> str:
        out = [f"Verify: {'OK' if self.ok else 'PROBLEMS'}"]
        ft = self.flowtable
        if ft is not None:
            flags = " flags offload" if ft.hw_offload else ""
            out.append(
                f"  flowtable {ft.family} {ft.table} {ft.name}: devices "
                f"{{ {', '.join(ft.devices)} }}{flags}"
            )
        out.append(
            f"  flows: {self.flows}, [OFFLOAD] {self.offloaded}, [HW_OFFLOAD] "
            f"{self.hw_offloaded} (after {self.waited_s:.0f} s)"
        )
        if self.softirq_before_pct is not None or self.softirq_after_pct is not None:
            b = "?" if self.softirq_before_pct is None else f"{self.softirq_before_pct:.1f} %"
            a = "?" if self.softirq_after_pct is None else f"{self.softirq_after_pct:.1f} %"
            out.append(f"  softirq CPU time: before {b}, after {a}")
        out += [f"  problem: {p}" for p in self.problems]
        out += [f"  note: {n}" for n in self.notes]
        return "\n".join(out) + "\n"


def softirq_pct(samples: list[CpuSample]) -> float | None:
    """Share of CPU time spent in softirq between the first and last sample."""
    if len(samples) < 2:
        return None
    a, b = samples[0], samples[-1]
    total = b.total - a.total
    return None if total <= 0 else 100.0 * (b.softirq - a.softirq) / total


def check_flowtable(plan: Plan, found: Flowtable | None) -> list[str]:
    """Problems comparing the live flowtable with the plan's (pure)."""
    want = plan.expected_flowtable
    if plan.intent.action == Action.DISABLE:
        return [] if found is None else [f"flowtable {found.name} is still there"]
    if want is None:
        return []
    if found is None:
        return ["no flowtable in " + " ".join(plan.expected_table or ())]
    problems = []
    missing = [d for d in want.devices if d not in found.devices]
    if missing and plan.intent.backend != "fw4" and plan.backend.value != "fw4":
        problems.append(f"devices missing from the flowtable: {', '.join(missing)}")
    if want.hw_offload and not found.hw_offload:
        problems.append("no `flags offload`: hardware offload is not on")
    return problems


def _live_flowtable(ex: Executor, plan: Plan) -> tuple[Flowtable | None, str]:
    r = ex.run(["nft", "-j", "list", "ruleset"])
    text = ex.run(["nft", "list", "ruleset"])
    rs = parse_nft_json(r.out).value if r.ok else None
    found = None
    if rs is not None and plan.expected_table is not None:
        t = rs.table(*plan.expected_table)
        if t is not None and t.flowtables:
            found = t.flowtables[0]
    # the JSON of nftables 1.0/1.1 omits flags; the text says "flags offload"
    if found is not None and text.ok and found.hw_offload is not True:
        found.hw_offload = f"flowtable {found.name} {{" in text.out and "flags offload" in text.out
    return found, text.out if text.ok else ""


def verify(
    ex: Executor,
    plan: Plan,
    *,
    cpu_before: list[CpuSample] | None = None,
    wait_s: float = 10.0,
    interval_s: float = 1.0,
) -> VerifyReport:
    """Check the live target against the plan (polls conntrack for up to ``wait_s``)."""
    found, text = _live_flowtable(ex, plan)
    rep = VerifyReport(ok=True, flowtable=found)
    rep.problems += check_flowtable(plan, found)
    if plan.ruleset_before is not None:
        rep.ruleset_diff = "".join(
            difflib.unified_diff(
                plan.ruleset_before.splitlines(keepends=True),
                text.splitlines(keepends=True),
                "nft list ruleset (before)",
                "nft list ruleset (now)",
            )
        )
    if plan.intent.hw and found is not None and not found.hw_offload:
        log = run_sh(ex, "logread 2>/dev/null | tail -n 200; dmesg 2>/dev/null | tail -n 50")
        if "falling back to software offloading" in log.out:
            rep.notes.append(
                "fw4: 'Hardware flow offloading unavailable, falling back to software "
                "offloading': software offload is on instead"
            )
    start = time.monotonic()
    samples: list[CpuSample] = []
    s = cpu_sample(ex)
    if s is not None:
        samples.append(s)
    want_flows = plan.intent.action == Action.ENABLE
    while True:
        r = run_sh(ex, "cat /proc/net/nf_conntrack 2>/dev/null || conntrack -L 2>/dev/null")
        ct = parse_conntrack(r.stdout).value
        rep.flows, rep.offloaded, rep.hw_offloaded = ct.total, ct.offload, ct.hw_offload
        rep.waited_s = time.monotonic() - start
        done = (rep.offloaded + rep.hw_offloaded > 0) if want_flows else True
        if done or rep.waited_s >= wait_s:
            break
        time.sleep(interval_s)
    if want_flows and rep.offloaded + rep.hw_offloaded == 0:
        rep.notes.append(f"no flow reached [OFFLOAD] within {wait_s:.0f} s (is traffic flowing?)")
    if not want_flows and rep.offloaded + rep.hw_offloaded:
        rep.notes.append(
            "flows offloaded before the change keep their flag until they end or time out"
        )
    time.sleep(max(0.0, 1.0 - (time.monotonic() - start)))
    s = cpu_sample(ex)
    if s is not None:
        samples.append(s)
    rep.softirq_before_pct = softirq_pct(cpu_before or [])
    rep.softirq_after_pct = softirq_pct(samples)
    rep.ok = not rep.problems
    return rep
