"""The screens: Dashboard, Flows, PPE, Flowtables, Findings, Sources, Help, and two modals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from offtui.engine import Finding, rule_by_id
from offtui.model import Flow, PpeEntry
from offtui.tui.state import FrameView
from offtui.tui.table import VirtualTable
from offtui.tui.view import (
    SORTS,
    endpoint,
    flow_bytes,
    flow_packets,
    human,
    source_rows,
    when,
)
from offtui.tui.widgets import (
    SEVERITY_STYLE,
    SEVERITY_TAG,
    ConntrackPanel,
    CpuPanel,
    FlowtablesPanel,
    HeaderBar,
    PpePanel,
    finding_line,
)

if TYPE_CHECKING:
    from offtui.tui.app import OfftuiApp


class ViewScreen(Screen):
    """A screen that draws the current frame; it redraws on a new frame and when shown."""

    def __init__(self) -> None:
        super().__init__()
        self._shown: tuple[int, float] | None = None

    @property
    def oapp(self) -> OfftuiApp:
        return self.app  # type: ignore[return-value]

    def on_screen_resume(self) -> None:
        if self.oapp.view is not None:
            self.show_view(self.oapp.view)

    def show_view(self, view: FrameView) -> None:
        key = (view.frame.seq, round(view.now))
        if key == self._shown and not view.paused:
            return
        self._shown = key
        for h in self.query(HeaderBar):
            h.refresh_view(view)
        self.draw(view)

    def draw(self, view: FrameView) -> None:  # pragma: no cover - overridden
        pass


# ------------------------------------------------------------------------ dashboard


class DashboardScreen(ViewScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_finding", "Open finding", show=False)
    ]

    def compose(self) -> ComposeResult:
        yield HeaderBar()
        with Grid(id="dash"):
            yield CpuPanel(id="cpu")
            yield ConntrackPanel(id="conntrack")
            yield PpePanel(id="ppe")
            yield FlowtablesPanel(id="flowtables")
            with Vertical(id="findings-box") as box:
                box.border_title = "Findings (Enter opens)"
                yield OptionList(id="findings")
        yield Footer()

    def draw(self, view: FrameView) -> None:
        for panel in self.query("#dash > Panel"):
            panel.refresh_view(view)  # type: ignore[attr-defined]
        ol = self.query_one("#findings", OptionList)
        findings = view.frame.report.findings
        sig = (view.frame.rules_pending, *((f.id, f.subject, f.message) for f in findings))
        if getattr(ol, "_sig", None) != sig:
            ol._sig = sig  # type: ignore[attr-defined]
            ol.clear_options()
            if findings:
                ol.add_options(Option(finding_line(f), id=str(i)) for i, f in enumerate(findings))
                ol.highlighted = 0
            elif view.frame.rules_pending:
                ol.add_option(Option(Text("checking the rules…", "dim"), disabled=True))
            else:
                rep = view.frame.report
                ol.add_option(
                    Option(
                        Text(
                            f"No findings: {len(rep.passed)} rules passed, "
                            f"{len(rep.skipped)} skipped (5: Findings)",
                            "green",
                        ),
                        disabled=True,
                    )
                )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._open(event.option.id)

    def action_open_finding(self) -> None:
        ol = self.query_one("#findings", OptionList)
        if ol.highlighted is not None:
            self._open(ol.get_option_at_index(ol.highlighted).id)

    def _open(self, option_id: str | None) -> None:
        view = self.oapp.view
        if option_id is None or view is None:
            return
        findings = view.frame.report.findings
        i = int(option_id)
        if i < len(findings):
            self.app.push_screen(FindingScreen(findings[i]))


# ------------------------------------------------------------------------ flows


def _flow_style(flow: Flow, col: int, text: str) -> str | None:
    if col == 4:
        return {"HW": "virtual-table--hw", "SW": "virtual-table--sw"}.get(text)
    return None


class FlowsScreen(ViewScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter"),
        Binding("s", "sort", "Sort"),
        Binding("S", "reverse", "Reverse", show=False),
        Binding("escape", "clear", "Clear filter", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sort = 0
        self.reverse = False
        self.query_text = ""
        self._index = None

    def compose(self) -> ComposeResult:
        yield HeaderBar()
        yield Input(
            placeholder="filter: words that must all appear (e.g. tcp hw eth1)", id="filter"
        )
        yield Static("", id="flows-status")
        table = VirtualTable(
            [
                ("proto", 5, 4, 0),
                ("source", 21, 13, 0),
                ("destination", 21, 13, 0),
                ("state", 11, 7, 3),
                ("off", 3, 3, 0),
                ("bytes", 7, 6, 1),
                ("pkts", 6, 5, 4),
                ("in", 8, 5, 2),
                ("out", 8, 5, 2),
            ],
            right=(5, 6),
            id="flows",
        )
        table.style_fn = _flow_style
        table.empty_text = "no flows"
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.query_one("#flows", VirtualTable).focus()

    def draw(self, view: FrameView) -> None:
        if view.index is not self._index:
            self._index = view.index
            self._apply(keep_cursor=True)
        else:
            self._status()

    def _apply(self, keep_cursor: bool = False) -> None:
        if self._index is None:
            return
        table = self.query_one("#flows", VirtualTable)
        table.row_fn = self._index.row
        table.set_items(self._index.apply(self.query_text, self.sort, self.reverse), keep_cursor)
        self._status()

    def _status(self) -> None:
        if self._index is None:
            return
        idx = self._index
        label, _, desc = SORTS[self.sort]
        arrow = "↓" if desc != self.reverse else "↑"
        ct = idx.snap.conntrack
        t = Text(no_wrap=True, overflow="ellipsis")
        if ct is None:
            t.append("conntrack not collected", "yellow")
        elif idx.lazy:
            t.append(f"reading {ct.total} flows…", "bold")
        else:
            t.append(f"{len(idx.view)} of {len(idx.flows)} flows", "bold")
            if idx.snap.conntrack is not self.oapp.view.frame.snapshot.conntrack:
                t.append(" (read earlier; r: now)", "yellow")
            t.append(f" · sort {label} {arrow} (s)")
            if self.query_text:
                t.append(f" · filter '{self.query_text}'", "bold cyan")
            t.append(f" · from {ct.source}; in/out by route lookup · Enter explains", "dim")
        self.query_one("#flows-status", Static).update(t)

    def action_filter(self) -> None:
        inp = self.query_one("#filter", Input)
        inp.display = True
        inp.focus()

    def action_clear(self) -> None:
        inp = self.query_one("#filter", Input)
        inp.value = ""
        inp.display = False
        self.query_text = ""
        self._apply()
        self.query_one("#flows", VirtualTable).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_text = event.value.strip()
        self._apply()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            event.input.display = False
        self.query_one("#flows", VirtualTable).focus()

    def action_sort(self) -> None:
        self.sort = (self.sort + 1) % len(SORTS)
        self._apply()

    def action_reverse(self) -> None:
        self.reverse = not self.reverse
        self._apply()

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        view = self.oapp.view
        if view is not None and isinstance(event.item, Flow):
            self.app.push_screen(FlowScreen(view, event.item))


# ------------------------------------------------------------------------ PPE


def _ppe_style(item: Any, col: int, text: str) -> str | None:
    if col == 2:
        return {"BND": "virtual-table--hw", "UNB": "virtual-table--bad"}.get(text)
    return None


class PpeScreen(ViewScreen):
    def compose(self) -> ComposeResult:
        yield HeaderBar()
        yield Static("", id="ppe-status")
        table = VirtualTable(
            [
                ("ppe", 7, 4, 0),
                ("index", 5, 5, 0),
                ("state", 5, 3, 0),
                ("type", 7, 7, 0),
                ("orig", 44, 21, 0),
                ("new", 44, 0, 2),
                ("vlan", 7, 5, 3),
                ("pkts", 6, 5, 1),
                ("bytes", 7, 6, 1),
            ],
            right=(7, 8),
            id="ppe-table",
        )
        table.style_fn = _ppe_style
        table.empty_text = "no PPE entries (no PPE debugfs file in this snapshot)"
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#ppe-table", VirtualTable).focus()

    def draw(self, view: FrameView) -> None:
        snap = view.frame.snapshot
        items = [(p.name, e) for p in snap.ppe for e in p.entries]
        table = self.query_one("#ppe-table", VirtualTable)
        table.row_fn = _ppe_row
        if getattr(table, "_ppe", None) is not snap.ppe:
            table._ppe = snap.ppe  # type: ignore[attr-defined]
            table.set_items(items)
        parts = [
            f"{p.name}: {p.bound} BND, {p.unbound} UNB, {p.other} other"
            + (f" of {p.capacity}" if p.capacity else "")
            + (" (bind file: bound only)" if p.bind_only else "")
            for p in snap.ppe
        ]
        self.query_one("#ppe-status", Static).update(
            Text(" · ".join(parts) or "no PPE tables", no_wrap=True, overflow="ellipsis")
        )


def _ppe_row(item: tuple[str, PpeEntry]) -> tuple[str, ...]:
    name, e = item
    return (
        name,
        f"{e.index:05x}",
        e.state,
        e.type,
        e.orig,
        e.new or "",
        f"{e.vlan[0]},{e.vlan[1]}" if e.vlan else "",
        human(e.packets),
        human(e.bytes),
    )


# ------------------------------------------------------------------------ flowtables


class FlowtablesScreen(ViewScreen):
    def compose(self) -> ComposeResult:
        yield HeaderBar()
        with VerticalScroll(id="ft-scroll"):
            yield Static("", id="ft-body")
        yield Footer()

    def draw(self, view: FrameView) -> None:
        snap = view.frame.snapshot
        t = Text()
        t.append("Flowtables\n", "bold underline")
        if snap.ruleset is None:
            t.append("  ruleset not collected (needs nft list ruleset)\n", "dim")
        elif not snap.flowtables:
            t.append("  none in the ruleset\n", "yellow")
        for ft in snap.flowtables:
            t.append(f"  {ft.family} {ft.table} {ft.name}", "bold")
            prio = ft.priority_text or ft.priority
            flags = {True: "flags offload (hardware)", False: "no offload flag (software)"}.get(
                ft.hw_offload, "flags unknown"
            )
            counter = {True: "counter", False: "no counter"}.get(ft.counter, "counter unknown")
            t.append(f"\n    hook {ft.hook} priority {prio}; {flags}; {counter}")
            t.append("\n    devices: " + (", ".join(ft.devices) or "(none)") + "\n")
        if snap.ruleset is not None:
            adds = [(c, r) for c in snap.ruleset.chains for r in c.rules if r.flow_add]
            t.append("\nRules that add flows\n", "bold underline")
            if not adds:
                t.append("  none: no 'flow add' / 'flow offload' statement\n", "yellow")
            for c, r in adds:
                t.append(f"  {c.family} {c.table} {c.name}", "bold")
                t.append(f" (hook {c.hook or 'none: a regular chain'}) -> @{r.flow_add}\n")
                t.append(f"    {r.text}\n", "dim")
        t.append("\nDevices carrying flows\n", "bold underline")
        carrying = _carrying(view)
        if not carrying:
            t.append("  none known (needs conntrack and routes)\n", "dim")
        missing = dict(view.uncovered)
        for dev, n in carrying:
            t.append(f"  {dev:<16} {n:>6} flow(s)  ")
            if dev in missing:
                t.append("in no flowtable", "bold yellow")
            elif snap.flowtables:
                t.append("covered", "green")
            t.append("\n")
        links = snap.links or {}
        if links:
            t.append("\nTopology\n", "bold underline")
            for link in sorted(links.values(), key=lambda lk: lk.name):
                desc = link.kind or link.link_type or ""
                rel = []
                if link.master:
                    rel.append(f"port of {link.master}")
                if link.link:
                    rel.append(f"on {link.link}")
                if link.vlan_id is not None:
                    rel.append(f"vlan {link.vlan_id}")
                t.append(
                    f"  {link.name:<16} {desc:<9} {link.operstate or '':<8} {', '.join(rel)}\n"
                )
        self.query_one("#ft-body", Static).update(t)


def _carrying(view: FrameView) -> list[tuple[str, int]]:
    from offtui.tui.view import carrying_devices

    cache = getattr(view.index, "_carrying", None)
    if cache is None:
        cache = sorted(carrying_devices(view.index).items(), key=lambda x: (-x[1], x[0]))
        view.index._carrying = cache  # type: ignore[attr-defined]
    return cache


# ------------------------------------------------------------------------ findings


def finding_text(f: Finding) -> Text:
    """Evidence, mechanism and fix of one finding."""
    t = Text()
    t.append(SEVERITY_TAG[f.severity].strip(), SEVERITY_STYLE[f.severity])
    t.append(f"  {f.title}\n", "bold")
    t.append(f"{f.id}" + (f" · {f.subject}" if f.subject else "") + "\n\n", "dim")
    t.append(f.message + "\n")
    t.append("\nEvidence\n", "bold underline")
    if not f.evidence:
        t.append("  (none recorded)\n", "dim")
    for e in f.evidence:
        where = e.source + (f":{e.line_no}" if e.line_no else "")
        t.append(f"  {where}\n", "cyan")
        t.append(f"    {e.text}\n")
    rule = rule_by_id(f.id)
    if rule is not None:
        t.append("\nWhy it matters\n", "bold underline")
        t.append(rule.info.doc.why.strip() + "\n")
    t.append("\nFix", "bold underline")
    if f.interrupts_traffic:
        t.append("  (interrupts traffic)", "bold yellow")
    t.append("\n")
    for line in f.fix.splitlines():
        t.append(f"  {line}\n", "green")
    return t


class FindingScreen(ModalScreen):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,enter", "dismiss", "Close")]

    def __init__(self, finding: Finding) -> None:
        super().__init__()
        self.finding = finding

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="modal"):
            yield Static(finding_text(self.finding))
        yield Footer()


class FindingsScreen(ViewScreen):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "open", "Open", show=False)]

    def compose(self) -> ComposeResult:
        yield HeaderBar()
        yield OptionList(id="all-findings")
        with VerticalScroll(id="finding-detail"):
            yield Static("", id="finding-body")
        yield Footer()

    def draw(self, view: FrameView) -> None:
        ol = self.query_one("#all-findings", OptionList)
        rep = view.frame.report
        sig = (view.frame.rules_pending, *((f.id, f.subject, f.message) for f in rep.findings))
        if getattr(ol, "_sig", None) == sig:
            return
        ol._sig = sig  # type: ignore[attr-defined]
        ol.clear_options()
        ol.add_options(Option(finding_line(f), id=str(i)) for i, f in enumerate(rep.findings))
        if rep.findings:
            ol.highlighted = 0
            self._detail(0)
        elif view.frame.rules_pending:
            self.query_one("#finding-body", Static).update(Text("checking the rules…", "dim"))
        else:
            t = Text("No findings.\n", "bold green")
            t.append(f"\nPassed ({len(rep.passed)}): " + ", ".join(r.rule.id for r in rep.passed))
            t.append(f"\n\nSkipped ({len(rep.skipped)}):\n")
            for r in rep.skipped:
                t.append(f"  {r.rule.id}: ", "bold")
                t.append(f"{r.reason}\n", "dim")
            self.query_one("#finding-body", Static).update(t)

    def _detail(self, i: int) -> None:
        view = self.oapp.view
        if view is None or i >= len(view.frame.report.findings):
            return
        self.query_one("#finding-body", Static).update(finding_text(view.frame.report.findings[i]))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None:
            self._detail(int(event.option.id))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        view = self.oapp.view
        if view is not None and event.option.id is not None:
            self.app.push_screen(FindingScreen(view.frame.report.findings[int(event.option.id)]))

    def action_open(self) -> None:
        ol = self.query_one("#all-findings", OptionList)
        if ol.highlighted is not None:
            ol.action_select()


# ------------------------------------------------------------------------ flow detail


def explanation(view: FrameView, flow: Flow) -> Text:
    """The per-flow explanation when this offtui has one, else a plain statement."""
    t = Text()
    try:
        from offtui.explain import explain_flow  # type: ignore[import-not-found]
    except ImportError:
        t.append("explanation not available in this version", "dim")
        return t
    try:
        ex = explain_flow(view.frame.snapshot, flow)
    except Exception as exc:  # an explanation bug must not close the app
        t.append(f"explanation failed: {type(exc).__name__}: {exc}", "red")
        return t
    t.append(f"{ex.state}: ", "bold")
    t.append(ex.summary + "\n")
    for r in ex.reasons:
        t.append(f"  - {r}\n")
    if ex.evidence:
        t.append("Evidence\n", "bold")
        for e in ex.evidence:
            where = e.source + (f":{e.line_no}" if e.line_no else "")
            t.append(f"  {where}: ", "cyan")
            t.append(f"{e.text}\n")
    return t


def flow_facts(view: FrameView, flow: Flow) -> Text:
    t = Text()
    t.append(f"{flow.proto} flow", "bold")
    off = {"none": "not offloaded", "offload": "[OFFLOAD] software", "hw_offload": "[HW_OFFLOAD]"}
    t.append(f"  {off[flow.offload.value]}\n", "bold green" if flow.offload.value != "none" else "")
    in_dev, out_dev = view.index.devices.path(flow)
    ct = view.index.snap.conntrack
    for label, tup in (("original", flow.orig), ("reply", flow.reply)):
        t.append(f"  {label:<9}", "bold")
        t.append(f"{endpoint(tup.src, tup.sport)} -> {endpoint(tup.dst, tup.dport)}")
        if tup.packets is not None:
            t.append(f"  {tup.packets} pkts {tup.bytes} bytes", "dim")
        t.append("\n")
    facts = [
        ("state", flow.state or "-"),
        ("timeout", "-" if flow.timeout is None else f"{flow.timeout}s"),
        (
            "flags",
            " ".join(
                x for x, on in (("ASSURED", flow.assured), ("UNREPLIED", flow.unreplied)) if on
            )
            or "-",
        ),
        ("mark", "-" if flow.mark is None else str(flow.mark)),
        ("zone", "-" if flow.zone is None else str(flow.zone)),
        ("in / out", f"{in_dev or '?'} / {out_dev or '?'} (route lookup)"),
        ("total", f"{human(flow_packets(flow))} pkts, {human(flow_bytes(flow))} bytes"),
        ("line", f"{ct.source if ct else ''}:{flow.line_no}"),
    ]
    for k, v in facts:
        t.append(f"  {k:<9}", "bold")
        t.append(f"{v}\n")
    return t


class FlowScreen(ModalScreen):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,enter", "dismiss", "Close")]

    def __init__(self, view: FrameView, flow: Flow) -> None:
        super().__init__()
        self.view = view
        self.flow = flow

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="modal"):
            yield Static(flow_facts(self.view, self.flow))
            yield Static(Text("Why this flow is (not) offloaded", "bold underline"))
            yield Static(explanation(self.view, self.flow), id="explanation")
        yield Footer()


# ------------------------------------------------------------------------ sources, help


class SourcesScreen(ViewScreen):
    def compose(self) -> ComposeResult:
        yield HeaderBar()
        with VerticalScroll():
            yield Static("", id="sources-body")
        yield Footer()

    def draw(self, view: FrameView) -> None:
        frame = view.frame
        t = Text()
        origin = frame.origin or "?"
        t.append(f"Collected from {origin}", "bold")
        if frame.live:
            t.append(f" · last collection took {frame.collect_s * 1000:.0f} ms\n", "dim")
        else:
            t.append(f" · capture of {when(frame.snapshot.time)}\n", "dim")
        style = {
            "ok": "green",
            "empty": "dim",
            "not collected": "dim",
            "missing": "yellow",
            "failed": "bold red",
            "permission denied": "bold red",
            "timed out": "bold red",
        }
        for r in source_rows(frame.snapshot, frame.last_ok):
            t.append(f"{r.state:<17}", style.get(r.state, ""))
            t.append(f" {r.name}")
            if r.stale_since is not None:
                t.append(f"  stale since {when(r.stale_since)}", "bold yellow")
            if r.detail:
                t.append(f"\n{'':<18} {r.detail}", "dim")
            t.append("\n")
        self.query_one("#sources-body", Static).update(t)


HELP = """\
[b]offtui[/b]: is flow offloading on, is it working, and if not, why?

[b]Screens[/b]
  [b]1[/b] Dashboard   CPU per core, conntrack, PPE, flowtables, findings
  [b]2[/b] Flows       every conntrack flow: [b]/[/b] filter, [b]s[/b] sort, [b]S[/b] reverse,
              [b]Enter[/b] explains the flow
  [b]3[/b] PPE         MediaTek PPE hardware flow table entries
  [b]4[/b] Flowtables  flowtables, rules that add flows, devices carrying flows, topology
  [b]5[/b] Findings    what is wrong: evidence, mechanism and fix
  [b]6[/b] Sources     what was collected, what failed and why
  [b]?[/b] Help        this page

[b]Keys[/b]
  [b]space[/b] pause/resume live refresh    [b]r[/b] read everything again now
  [b]ctrl+p[/b] command palette            [b]q[/b] quit          [b]Esc[/b] close a window
  [b]w[/b] offload wizard (live target): status, preview, apply with automatic rollback, verify
  [b]b[/b] write a redacted support bundle (.tar.gz in the current folder)
  arrows, PageUp/PageDown, Home/End move in lists and tables; no mouse needed.

[b]Live data[/b]
  CPU and the conntrack count are read every interval (--interval, default 1 s); the
  conntrack table and PPE every 5 s (less often for very large tables); the ruleset, links
  and logs every 30 s or on [b]r[/b]. A source that fails keeps its last data, marked stale.
  A capture (offtui CAPTURE, offtui --demo NAME) is read once and shown read-only.

[b]Flows[/b]
  off: SW = [OFFLOAD] (software flowtable), HW = [HW_OFFLOAD] (in hardware), - = not offloaded.
  in/out: the devices the routing table sends each end of the flow to.
"""


class HelpScreen(ViewScreen):
    def compose(self) -> ComposeResult:
        yield HeaderBar()
        with VerticalScroll():
            yield Static(HELP, id="help-body")
        yield Footer()
