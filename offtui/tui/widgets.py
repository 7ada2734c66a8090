"""Dashboard panels. Each one turns a frame into text and repaints only when it changed."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from offtui.engine import Finding, Severity
from offtui.tui.state import FrameView
from offtui.tui.view import (
    bar,
    conntrack_info,
    header_info,
    human,
    pct,
    sparkline,
)

SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
SEVERITY_TAG = {Severity.ERROR: "ERR ", Severity.WARNING: "WARN", Severity.INFO: "INFO"}
MODE_STYLE = {"hardware": "bold green", "software": "green", "off": "yellow", "unknown": "dim"}


class Panel(Static):
    """A bordered panel; :meth:`show` repaints only when the text differs."""

    DEFAULT_CSS = """
    Panel { border: round $primary 60%; padding: 0 1; height: auto; }
    """
    TITLE = ""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes)
        self.border_title = self.TITLE
        self._last: tuple[str, tuple] | None = None

    def show(self, text: Text) -> None:
        key = (text.plain, tuple((s.start, s.end, str(s.style)) for s in text.spans))
        if key != self._last:
            self._last = key
            self.update(text)

    def inner_width(self) -> int:
        return max(20, self.content_region.width or (self.size.width - 4))

    def render_view(self, view: FrameView) -> Text:  # pragma: no cover - overridden
        raise NotImplementedError

    def refresh_view(self, view: FrameView) -> None:
        self.show(self.render_view(view))


class HeaderBar(Static):
    """Host, kernel, backend, offload mode and data age on one line (two when it matters)."""

    DEFAULT_CSS = """
    HeaderBar { height: auto; background: $panel; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__("")
        self._last = ""

    def refresh_view(self, view: FrameView) -> None:
        f = view.frame
        h = header_info(f.snapshot, f.live, view.now, view.paused, f.redacted, f.note)
        width = max(40, self.size.width - 2)
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(h.host, style="bold")
        t.append(f" · {h.kernel} · {h.backend} · offload ")
        t.append(h.mode.upper(), style=MODE_STYLE.get(h.mode, ""))
        data_style = "dim" if view.frame.live and not view.paused else "bold"
        if len(t.plain) + 3 + len(h.data) <= width:
            t.append(" " * (width - len(t.plain) - len(h.data)))
            t.append(h.data, style=data_style)
        else:
            t.append("\n")
            t.append(h.data, style=data_style)
        if h.support:
            t.append("\n")
            t.append(h.support, style="bold yellow")
        stale = view.stale_names()
        if stale:
            t.append("\n")
            t.append(f"stale: {', '.join(stale[:3])}" + (" …" if len(stale) > 3 else ""), "yellow")
            t.append(" (6: Sources)", "dim")
        if t.plain != self._last:
            self._last = t.plain
            self.update(t)

    def on_resize(self) -> None:
        self._last = ""


class CpuPanel(Panel):
    TITLE = "CPU per core"

    def render_view(self, view: FrameView) -> Text:
        cpu = view.frame.snapshot.cpu
        t = Text(no_wrap=True, overflow="ellipsis")
        if cpu is None or not cpu.cores:
            t.append("not collected (needs /proc/stat)", "dim")
            return t
        rx_total = sum(c.net_rx or 0 for c in cpu.cores)
        hot = None
        if rx_total > 0 and len(cpu.cores) > 1:
            top = max(cpu.cores, key=lambda c: c.net_rx or 0)
            if (top.net_rx or 0) / rx_total >= 0.8:
                hot = top.cpu
        width = self.inner_width()
        name_w = max(len(c.cpu) for c in cpu.cores)
        gauge_w = 8 if width < 60 else 14
        spark_w = max(0, width - (name_w + 1 + gauge_w + 24))
        for i, c in enumerate(cpu.cores):
            if i:
                t.append("\n")
            t.append(f"{c.cpu:<{name_w}} ")
            style = "red" if c.busy_pct >= 90 else "yellow" if c.busy_pct >= 60 else "green"
            t.append(bar(c.busy_pct / 100, gauge_w), style)
            t.append(f"{c.busy_pct:4.0f}% si{c.softirq_pct:3.0f}% ")
            share = f"{100 * (c.net_rx or 0) / rx_total:3.0f}%" if rx_total else "   -"
            t.append(f"rx{share}", "bold yellow" if c.cpu == hot else "")
            if spark_w >= 4:
                t.append(" " + sparkline(view.history.get(f"cpu:{c.cpu}"), spark_w - 1), "cyan")
        span = (
            "since boot"
            if cpu.since_boot
            else (f"over {cpu.interval_s:.1f}s" if cpu.interval_s else "")
        )
        t.append(f"\nbusy · softirq · share of NET_RX, {span}", "dim")
        if hot:
            t.append(f"\n{hot} takes most NET_RX: receive work is not spread", "bold yellow")
        return t


class ConntrackPanel(Panel):
    TITLE = "Conntrack"

    def render_view(self, view: FrameView) -> Text:
        info = conntrack_info(view.frame.snapshot)
        t = Text(no_wrap=True, overflow="ellipsis")
        if info is None:
            t.append("not collected (needs /proc/net/nf_conntrack or conntrack -L)", "dim")
            return t
        width = self.inner_width()
        spark_w = max(0, width - 30)
        rows = (
            ("total", info.total, None, ""),
            ("[OFFLOAD]", info.offload, info.total, "green"),
            ("[HW_OFFLOAD]", info.hw_offload, info.total, "bold green"),
            ("not offloaded", info.none, info.total, "yellow" if info.none else ""),
        )
        for i, (label, n, whole, style) in enumerate(rows):
            if i:
                t.append("\n")
            t.append(f"{label:<14}")
            t.append(f"{n:>7}", style)
            t.append(f" {pct(n, whole):>4}" if whole is not None else "     ")
            key = {"total": "ct:total", "[OFFLOAD]": "ct:offload", "[HW_OFFLOAD]": "ct:hw"}.get(
                label, "ct:none"
            )
            hist = view.history.get(key)
            if spark_w >= 4 and len(hist) > 1:
                top = max(max(hist), 1)
                t.append(" " + sparkline(hist, spark_w - 1, top=top), "cyan")
        t.append("\n")
        if info.max:
            n = info.count if info.count is not None else info.total
            fill = n / info.max
            style = "red" if fill >= 0.9 else "yellow" if fill >= 0.75 else "green"
            t.append("table ")
            t.append(bar(fill, 10), style)
            t.append(f" {human(n)}/{human(info.max)} {pct(n, info.max)}")
        else:
            t.append("table size unknown (nf_conntrack_max not read)", "dim")
        return t


class PpePanel(Panel):
    TITLE = "PPE (hardware flow table)"

    def render_view(self, view: FrameView) -> Text:
        snap = view.frame.snapshot
        t = Text(no_wrap=True, overflow="ellipsis")
        if not snap.ppe:
            reason = "no PPE tables: not a MediaTek/Airoha router"
            for s in snap.sources:
                if s.name.startswith("sys/kernel/debug/") and "not mounted" in s.detail:
                    reason = "debugfs not mounted: mount -t debugfs none /sys/kernel/debug"
                    break
            t.append(reason, "dim")
            return t
        width = self.inner_width()
        gauge_w = 10 if width < 60 else 20
        for i, p in enumerate(snap.ppe):
            if i:
                t.append("\n")
            t.append(f"{p.name:<7}")
            if p.capacity:
                t.append(bar(len(p.entries) / p.capacity, gauge_w), "cyan")
                t.append(f" {len(p.entries)}/{p.capacity}")
            else:
                t.append(f"{len(p.entries)} entries (capacity unknown)")
            t.append("\n  ")
            t.append(f"BND {p.bound}", "bold green" if p.bound else "")
            t.append(f"  UNB {p.unbound}", "yellow" if p.unbound and not p.bound else "")
            t.append(f"  other {p.other}")
            if p.bind_only:
                t.append("  (bind file: bound only)", "dim")
            types = ", ".join(f"{ty} {sum(c.values())}" for ty, c in sorted(p.by_type.items()))
            if types:
                t.append(f"\n  {types}", "dim")
        return t


class FlowtablesPanel(Panel):
    TITLE = "Flowtables"

    def render_view(self, view: FrameView) -> Text:
        snap = view.frame.snapshot
        t = Text(no_wrap=False, overflow="fold")
        if snap.ruleset is None:
            t.append("ruleset not collected (needs nft list ruleset)", "dim")
            return t
        if not snap.flowtables:
            t.append("no flowtable in the ruleset: nothing can be offloaded", "yellow")
            return t
        for i, ft in enumerate(snap.flowtables):
            if i:
                t.append("\n")
            t.append(f"{ft.family} {ft.table} {ft.name}", "bold")
            if ft.hw_offload:
                t.append(" [offload]", "bold green")
            elif ft.hw_offload is False:
                t.append(" [software]", "green")
            if ft.counter:
                t.append(" [counter]")
            prio = ft.priority_text or ("" if ft.priority is None else str(ft.priority))
            t.append(f"\n  hook {ft.hook or '?'} prio {prio}", "dim")
            t.append("\n  devices: " + (", ".join(ft.devices) or "(none)"))
        for dev, n in view.uncovered:
            t.append("\n")
            t.append(f"! {dev} carries {n} flow(s) but is in no flowtable", "bold yellow")
        return t


def finding_line(f: Finding) -> Text:
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append(SEVERITY_TAG[f.severity], SEVERITY_STYLE[f.severity])
    t.append(f" {f.title}")
    if f.subject:
        t.append(f" ({f.subject})", "dim")
    return t
