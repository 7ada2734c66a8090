"""The offtui terminal UI: a live dashboard of this host, or a read-only view of a capture.

Collection runs in a thread worker that is re-armed with a timer only after it finished
(the dolphie pattern), so a slow router never stacks refreshes and the UI thread never
waits for a file or a command.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from functools import partial
from pathlib import Path
from typing import ClassVar, Protocol

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from offtui.sources.live import Frame
from offtui.tui.screens import (
    DashboardScreen,
    FindingsScreen,
    FlowsScreen,
    FlowtablesScreen,
    HelpScreen,
    PpeScreen,
    SourcesScreen,
    ViewScreen,
)
from offtui.tui.state import FrameView, derive, index_is_stale, record
from offtui.tui.view import History


class Source(Protocol):
    live: bool

    def collect(self, full: bool = False) -> Frame: ...

    def close(self) -> None: ...


#: Screens that list single flows: a big conntrack table is indexed only for them.
FLOW_SCREENS = ("flows", "flowtables")

SCREENS_BY_KEY = (
    ("1", "dashboard", "Dashboard"),
    ("2", "flows", "Flows"),
    ("3", "ppe", "PPE"),
    ("4", "flowtables", "Flowtables"),
    ("5", "findings", "Findings"),
    ("6", "sources", "Sources"),
)


class OfftuiApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "offtui"
    MODES: ClassVar[dict[str, str | Callable[[], Screen]]] = {
        "dashboard": DashboardScreen,
        "flows": FlowsScreen,
        "ppe": PpeScreen,
        "flowtables": FlowtablesScreen,
        "findings": FindingsScreen,
        "sources": SourcesScreen,
        "help": HelpScreen,
    }
    DEFAULT_MODE = "dashboard"
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (120, "-wide")]
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-short"), (40, "-tall")]
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(k, f"mode('{m}')", label, key_display=k) for k, m, label in SCREENS_BY_KEY),
        Binding("question_mark,f1", "mode('help')", "Help", key_display="?"),
        Binding("space", "pause", "Pause"),
        Binding("r", "refresh", "Refresh"),
        Binding("b", "bundle", "Bundle"),
        Binding("w", "wizard", "Wizard"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        source: Source,
        *,
        interval: float = 1.0,
        clock: Callable[[], float] = time.time,
        first: Future | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        #: The first frame, already being collected while Textual started (see tui/run.py).
        self._first = first
        self.interval = max(0.1, interval)
        self.clock = clock
        self.view: FrameView | None = None
        self.history = History()
        self.paused = False
        self._timer: Timer | None = None
        self._busy = False
        self._want_full = False
        #: unix time at which the first frame was drawn (for the benchmark and tests)
        self.first_frame_at: float | None = None

    # ------------------------------------------------------------------ collection

    def on_mount(self) -> None:
        if not self.source.live:
            self.sub_title = "read-only"
        self._collect()

    def _collect(self, full: bool = False) -> None:
        self._timer = None
        if self._busy:
            self._want_full = self._want_full or full
            return
        self._busy = True
        self.run_worker(
            partial(self._work, full),
            thread=True,
            group="collect",
            exit_on_error=False,
            description="collect",
        )

    def _needs_flows(self) -> bool:
        return self.current_mode in FLOW_SCREENS

    def _work(self, full: bool) -> FrameView:
        if self._first is not None:
            first, self._first = self._first, None
            frame = first.result()
        else:
            frame = self.source.collect(full)
        return derive(frame, self.view, self.history, need_flows=self._needs_flows())

    def _index_work(self, view: FrameView) -> FrameView:
        return derive(view.frame, None, self.history, need_flows=True)

    def _ensure_index(self) -> None:
        """A screen that lists single flows opened on a big table: read its flows now."""
        if self.view is not None and self._needs_flows() and index_is_stale(self.view):
            self.run_worker(
                partial(self._index_work, self.view),
                thread=True,
                group="index",
                exclusive=True,
                exit_on_error=False,
            )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "index" and event.state == WorkerState.SUCCESS:
            view = event.worker.result
            if self.view is None or view.frame.seq >= self.view.frame.seq:
                view.now, view.paused = self.clock(), self.paused
                self.view = view
                self._draw()
            return
        if event.worker.group != "collect":
            return
        if event.state == WorkerState.SUCCESS:
            self._busy = False
            self._apply(event.worker.result)
        elif event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self._busy = False
            err = event.worker.error
            self.notify(f"collection failed: {err}", severity="error", timeout=5)
        else:
            return
        self._rearm()

    def _rearm(self) -> None:
        if self._want_full:
            self._want_full = False
            self._collect(full=True)
            return
        if self.source.live and not self.paused and self._timer is None:
            self._timer = self.set_timer(self.interval, self._collect)

    def _apply(self, view: FrameView) -> None:
        view.now = self.clock()
        view.paused = self.paused
        record(view)
        self.view = view
        self._draw()
        if self.first_frame_at is None:
            self.call_after_refresh(self._first_drawn)

    def _first_drawn(self) -> None:
        self.first_frame_at = time.time()

    def _draw(self) -> None:
        screen = self.screen
        if isinstance(screen, ViewScreen) and self.view is not None:
            screen.show_view(self.view)

    # ------------------------------------------------------------------ actions

    def action_mode(self, mode: str) -> None:
        if self.current_mode != mode:
            self.switch_mode(mode)
        self._ensure_index()

    def action_pause(self) -> None:
        if not self.source.live:
            self.notify("a capture is read-only: nothing to pause", timeout=3)
            return
        self.paused = not self.paused
        if self.paused:
            if self._timer is not None:
                self._timer.stop()
                self._timer = None
        elif not self._busy:
            self._collect()
        if self.view is not None:
            self.view.paused = self.paused
            self.view.now = self.clock()
            self._draw()

    def action_refresh(self) -> None:
        if not self.source.live:
            self.notify("a capture is read-only: it does not change", timeout=3)
            return
        if self._timer is not None:
            self._timer.stop()
        self._collect(full=True)

    def action_wizard(self) -> None:
        """The guided enable/disable screen (only for a live target: a capture is read-only)."""
        from offtui.tui.wizard import WizardScreen, executor_for_source

        make = executor_for_source(self.source)
        if make is None:
            self.notify("a capture is read-only: the wizard works on a live target", timeout=4)
            return
        self.push_screen(WizardScreen(make))

    def action_bundle(self) -> None:
        """Write a redacted support bundle of what is on screen (in a worker thread)."""
        if getattr(self, "_bundling", False):
            self.notify("a bundle is already being written", timeout=3)
            return
        self._bundling = True
        self.notify("writing a redacted bundle...", timeout=3)
        self.run_worker(self._write_bundle, thread=True, group="bundle", exit_on_error=False)

    def _write_bundle(self) -> None:
        import tempfile

        from offtui.bundle.export import BundleError, make_bundle

        host = "host"
        if self.view is not None:
            host = self.view.frame.snapshot.host or host
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(self.clock()))
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in host)[:40] or "host"
        out = Path.cwd() / f"offtui-bundle-{safe}-{stamp}.tar.gz"
        try:
            cap = getattr(self.source, "cap", None)
            if cap is not None:
                res = make_bundle(cap, out)
            else:
                from offtui.sources.local import collect_local

                with tempfile.TemporaryDirectory(prefix="offtui-bundle-") as tmp:
                    collect_local(tmp)
                    res = make_bundle(Path(tmp), out)
            msg = f"bundle written: {res.path} ({res.size_bytes // 1024} KiB, redacted)"
            self.call_from_thread(self.notify, msg, timeout=15)
        except (BundleError, OSError) as exc:
            self.call_from_thread(
                self.notify, f"bundle failed: {exc}", severity="error", timeout=15
            )
        finally:
            self._bundling = False

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for key, mode, label in (*SCREENS_BY_KEY, ("?", "help", "Help")):
            yield SystemCommand(
                f"screen: {label}",
                f"show the {label} screen (key {key})",
                partial(self.action_mode, mode),
            )
        if self.source.live:
            yield SystemCommand(
                "offload: enable / disable (wizard)",
                "status, preview, apply with automatic rollback, verify (w)",
                self.action_wizard,
            )
        yield SystemCommand(
            "bundle: write a redacted support bundle",
            "a .tar.gz to send to support, in the current folder (b)",
            self.action_bundle,
        )
        if self.source.live:
            yield SystemCommand(
                "live: pause / resume", "stop or restart refreshing (space)", self.action_pause
            )
            yield SystemCommand(
                "live: refresh everything now", "read every source again (r)", self.action_refresh
            )

    def on_unmount(self) -> None:
        self.source.close()


def run_app(args: argparse.Namespace) -> int:
    """``offtui [TARGET]``: see :func:`offtui.tui.run.run_app` (which starts collecting first)."""
    from offtui.tui.run import run_app as run

    return run(args)
