"""``offtui diagnose`` as text (for people, 80 columns) and markdown (to paste in a forum)."""

from __future__ import annotations

import datetime as dt
import textwrap

from offtui.engine import Report
from offtui.model import Snapshot, SourceState

WIDTH = 80


def _when(t: float | None) -> str:
    if t is None:
        return "time unknown"
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _pct(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "-"


def summary_lines(snap: Snapshot) -> list[tuple[str, str]]:
    """(label, value) pairs shared by the text and markdown views."""
    rows: list[tuple[str, str]] = []
    sysinfo = ", ".join(
        x
        for x in (
            snap.system.os_name,
            f"kernel {snap.system.kernel}" if snap.system.kernel else None,
        )
        if x
    )
    rows.append(("Host", f"{snap.host or 'unknown host'}" + (f" ({sysinfo})" if sysinfo else "")))
    support = {True: "yes", False: "NO", None: "unknown"}[snap.flowtable_support]
    rows.append(
        (
            "Offload",
            f"{snap.offload_mode.value} (backend {snap.backend.value}); flowtable support: "
            f"{support} - {snap.flowtable_support_reason}",
        )
    )
    ct = snap.conntrack
    lim = snap.conntrack_limits
    if ct is None:
        rows.append(("Conntrack", "not collected"))
    else:
        none = ct.total - ct.offload - ct.hw_offload
        fill = ""
        if lim.max:
            count = lim.count if lim.count is not None else ct.total
            fill = f"; table {count}/{lim.max} ({_pct(count, lim.max)})"
        rows.append(
            (
                "Conntrack",
                f"{ct.total} flows: {ct.offload} [OFFLOAD] ({_pct(ct.offload, ct.total)}), "
                f"{ct.hw_offload} [HW_OFFLOAD] ({_pct(ct.hw_offload, ct.total)}), "
                f"{none} not offloaded{fill}",
            )
        )
    if snap.ruleset is None:
        rows.append(("Flowtables", "not collected (needs nft list ruleset)"))
    elif not snap.flowtables:
        rows.append(
            (
                "Flowtables",
                "none in the ruleset" + (" (paste truncated)" if snap.ruleset.truncated else ""),
            )
        )
    for ft in snap.flowtables:
        flags = {True: "flags offload", False: "no offload flag", None: "flags unknown"}[
            ft.hw_offload
        ]
        counter = {True: "counter", False: "no counter", None: "counter unknown"}[ft.counter]
        rows.append(
            (
                "Flowtable",
                f"{ft.family} {ft.table} {ft.name}: hook {ft.hook} priority "
                f"{ft.priority_text or ft.priority}; {flags}; {counter}; devices "
                f"{', '.join(ft.devices) or '(none)'}",
            )
        )
    for t in snap.ppe:
        cap = f" of {t.capacity} ({t.capacity_reason})" if t.capacity else ""
        rows.append(
            (
                "PPE",
                f"{t.name}: {t.bound} bound, {t.unbound} unbound, {t.other} other{cap}"
                + (" [bind file only]" if t.bind_only else ""),
            )
        )
    if snap.cpu is not None and snap.cpu.cores:
        span = (
            "since boot"
            if snap.cpu.since_boot
            else (
                f"over {snap.cpu.interval_s:.1f} s"
                if snap.cpu.interval_s
                else "over the sample interval"
            )
        )
        cores = ", ".join(
            f"{c.cpu} {c.busy_pct:.0f}% (softirq {c.softirq_pct:.0f}%)" for c in snap.cpu.cores
        )
        rows.append(("CPU", f"{cores} {span}"))
    return rows


def _wrap(label: str, value: str, indent: int = 12) -> list[str]:
    return textwrap.wrap(
        value,
        WIDTH,
        initial_indent=f"{label:<{indent}}",
        subsequent_indent=" " * indent,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [label]


def source_problems(snap: Snapshot) -> list[str]:
    """One line per source worth a look: failures, refusals, unreadable lines.

    Optional sources that are simply absent (no UCI on a Debian box, no PPE on x86) are not
    problems; debugfs not being mounted is said once for all PPE files.
    """
    from offtui.sources.catalog import BY_NAME

    out = []
    debugfs_said = False
    for s in snap.sources:
        if (
            s.state in (SourceState.OK, SourceState.NOT_COLLECTED, SourceState.EMPTY)
            and not s.unparsed_count
        ):
            continue
        spec = BY_NAME.get(s.name)
        if s.state == SourceState.MISSING and s.name.startswith("sys/kernel/debug/"):
            if "not mounted" in s.detail and not debugfs_said:
                out.append(f"PPE tables (debugfs): debugfs is not mounted; hint: {s.hint}")
                debugfs_said = True
            continue
        if s.state == SourceState.MISSING and (
            (spec is not None and spec.optional) or (not s.detail and not s.hint)
        ):
            continue
        line = f"{s.name}: {s.state.value}"
        if s.exit_code not in (None, 0):
            line += f" (exit {s.exit_code})"
        if s.detail:
            line += f" - {s.detail}"
        elif s.stderr:
            line += f" - {s.stderr.splitlines()[-1][:120]}"
        if s.hint:
            line += f"; hint: {s.hint}"
        out.append(line)
    return out


def render_text(snap: Snapshot, report: Report, capture_line: str | None = None) -> str:
    out = [f"offtui diagnose - {_when(snap.time)}"]
    if capture_line:
        out += _wrap("Capture", capture_line)
    for label, value in summary_lines(snap):
        out += _wrap(label, value)
    findings = report.findings
    out.append("")
    out.append(f"Findings ({len(findings)})" if findings else "Findings: none")
    for f in findings:
        out.append("")
        out += _wrap(f"  {f.severity.value.upper()}", f"[{f.id}] {f.title}", 10)
        out += _wrap("", f.message, 10)
        for e in f.evidence:
            where = f"{e.source}" + (f":{e.line_no}" if e.line_no else "")
            out += _wrap("", f"evidence: {where}: {e.text}", 10)
        out.append(" " * 10 + "fix:" + (" (interrupts traffic)" if f.interrupts_traffic else ""))
        out += [" " * 12 + line for line in f.fix.splitlines()]
    skipped = report.skipped
    if skipped:
        out.append("")
        out.append(f"Skipped rules ({len(skipped)}):")
        for r in skipped:
            out += _wrap("", f"{r.rule.id}: {r.reason}", 2)
    problems = source_problems(snap)
    ok = sum(1 for s in snap.sources if s.state == SourceState.OK)
    out.append("")
    out.append(f"Sources: {ok} read, {len(problems)} with problems" + (":" if problems else ""))
    for p in problems:
        out += _wrap("", p, 2)
    return "\n".join(out) + "\n"


def render_markdown(snap: Snapshot, report: Report, capture_line: str | None = None) -> str:
    out = [f"### offtui diagnose ({_when(snap.time)})", ""]
    out.append("| | |")
    out.append("|---|---|")
    if capture_line:
        out.append(f"| **Capture** | {capture_line.replace('|', '/')} |")
    for label, value in summary_lines(snap):
        out.append(f"| **{label}** | {value.replace('|', '/')} |")
    out.append("")
    findings = report.findings
    out.append(f"#### Findings ({len(findings)})" if findings else "#### Findings: none")
    for f in findings:
        out.append("")
        out.append(f"- **{f.severity.value.upper()}** `{f.id}`: {f.title}  ")
        out.append(f"  {f.message}")
        if f.evidence:
            out.append("  <details><summary>evidence</summary>\n")
            out.append("  ```")
            for e in f.evidence:
                where = f"{e.source}" + (f":{e.line_no}" if e.line_no else "")
                out.append(f"  {where}: {e.text}")
            out.append("  ```")
            out.append("  </details>")
        out.append("")
        out.append("  Fix" + (" (interrupts traffic)" if f.interrupts_traffic else "") + ":")
        out.append("  ```sh")
        out += [f"  {line}" for line in f.fix.splitlines()]
        out.append("  ```")
    if report.skipped:
        out.append("")
        out.append(f"#### Skipped rules ({len(report.skipped)})")
        out += [f"- `{r.rule.id}`: {r.reason}" for r in report.skipped]
    problems = source_problems(snap)
    if problems:
        out.append("")
        out.append("#### Sources with problems")
        out += [f"- {p}" for p in problems]
    return "\n".join(out) + "\n"
