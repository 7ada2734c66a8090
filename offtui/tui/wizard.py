"""The offload wizard as a guided screen: status -> mode -> preview -> apply -> confirm -> verify.

Every step that talks to the target runs in a worker thread (each blocks on the target or an
SSH round trip). Nothing changes before the user has seen the preview and pressed ``a``; after
applying, the target's own rollback job restores the prior state unless ``k`` is pressed in
time, so a change that cuts the user off undoes itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

#: Steps of the guided flow, in order.
STEPS = ("status", "preview", "applying", "confirm", "verifying", "done")


def executor_for_source(source: object) -> Callable[[], object] | None:
    """How to reach the target the app is showing, or None for a read-only capture."""
    if not getattr(source, "live", False):
        return None
    remote = getattr(source, "remote", None)
    if remote is None:
        from offtui.wizard.executor import LocalExecutor

        return LocalExecutor
    target = getattr(remote, "target", None)

    def ssh() -> object:
        import copy

        import offtui.cli
        from offtui.sources.ssh import SshOptions
        from offtui.wizard.executor import ssh_executor

        opts = copy.deepcopy(offtui.cli.SSH_OPTIONS or SshOptions())
        opts.batch = True
        return ssh_executor(opts.argv(target, "", keepalive=True)[:-1], str(target))

    return ssh


class WizardScreen(ModalScreen):
    """Guided enable/disable of flow offloading on the target shown by the app."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "choose('sw')", "Enable (software)"),
        Binding("h", "choose('hw')", "Enable (hardware)"),
        Binding("d", "choose('off')", "Disable"),
        Binding("a", "apply", "Apply"),
        Binding("k", "keep", "Keep"),
        Binding("escape", "leave", "Close"),
    ]

    def __init__(self, make_executor: Callable[[], object], confirm_timeout: int = 60) -> None:
        super().__init__()
        self.make_executor = make_executor
        self.confirm_timeout = confirm_timeout
        self.step = "status"
        self.ex: object | None = None
        self.status = None
        self.plan = None
        self.session = None
        self.busy = False
        self.steps_log: list[str] = []
        self._deadline: float | None = None
        self._timer = None

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="modal"):
            yield Static(Text("Offload wizard", "bold underline"), id="wizard-title")
            yield Static("", id="wizard-body")
            yield Static("", id="wizard-hint")
        yield Footer()

    def on_mount(self) -> None:
        self._show("Reading the target (nothing is changed)...", "")
        self._work(self._read_status)

    def _show(self, body: str | Text, hint: str) -> None:
        self.query_one("#wizard-body", Static).update(body)
        self.query_one("#wizard-hint", Static).update(Text(hint, "bold"))

    def _work(self, fn: Callable[[], None]) -> None:
        self.busy = True

        def run() -> None:
            try:
                fn()
            except Exception as exc:  # a failing step is shown, never a traceback
                self.app.call_from_thread(self._fail, f"{type(exc).__name__}: {exc}")
            finally:
                self.busy = False

        self.run_worker(run, thread=True, group="wizard", exit_on_error=False)

    def _fail(self, msg: str) -> None:
        self.steps_log.append(msg)
        self._show(Text(msg, "red"), "esc: close")

    # ------------------------------------------------------------------ steps

    def _read_status(self) -> None:
        from offtui.wizard.devices import choose_devices
        from offtui.wizard.status import read_status

        self.ex = self.make_executor()
        st = read_status(self.ex)
        self.status = st
        snap = st.snapshot
        lines = [
            f"target:   {st.target}",
            f"backend:  {st.backend.value}",
            f"offload:  {st.mode.value}",
        ]
        if snap.flowtable_support is False:
            lines.append(f"kernel:   cannot offload ({snap.flowtable_support_reason})")
        for ft in snap.flowtables:
            flags = " flags offload" if ft.hw_offload else ""
            lines.append(f"flowtable {ft.table}/{ft.name}: {', '.join(ft.devices)}{flags}")
        devices, _ = choose_devices(snap)
        lines.append("devices offtui would put in the flowtable:")
        lines += [f"  {'+' if d.included else '-'} {d.name:<14} {d.reason}" for d in devices]
        body = "\n".join(lines)
        hint = "e: enable software offload   h: enable hardware   d: disable   esc: close"
        self.app.call_from_thread(self._show, body, hint)

    def action_choose(self, mode: str) -> None:
        if self.step != "status" or self.busy or self.status is None:
            return
        from offtui.wizard.plan import Action, Intent, PlanError, make_plan, preview_text

        intent = Intent(Action.DISABLE if mode == "off" else Action.ENABLE, hw=mode == "hw")
        try:
            self.plan = make_plan(self.status, intent)
        except PlanError as exc:
            self._show(
                Text(f"Cannot plan this: {exc}", "red"), "e/h/d: another choice   esc: close"
            )
            return
        self.step = "preview"
        if self.plan.noop:
            self._show(preview_text(self.plan), "nothing to do   esc: close")
            self.step = "done"
            return
        self._show(
            preview_text(self.plan),
            f"a: apply (rolls back by itself unless you keep it within {self.confirm_timeout} s)"
            "   esc: back",
        )

    def action_apply(self) -> None:
        if self.step != "preview" or self.busy or self.plan is None:
            return
        self.step = "applying"
        self._show("Saving the prior state on the target, arming the rollback, applying...", "")
        self._work(self._apply)

    def _apply(self) -> None:
        from offtui.wizard.apply import apply_plan, check_alive, new_session

        self.session = new_session(self.confirm_timeout)
        out = apply_plan(self.ex, self.plan, self.session)
        self.steps_log += out.log
        if not out.ok:
            state = "rolled back" if out.rolled_back else "ROLLBACK DID NOT COMPLETE"
            msg = f"Apply failed: {out.error} ({state})\n" + "\n".join(out.log)
            self.step = "done"
            self.app.call_from_thread(self._show, Text(msg, "red"), "esc: close")
            return
        alive, state = check_alive(self.ex, self.session)
        self.step = "confirm"
        self._deadline = (self.session.armed_at or time.monotonic()) + self.session.timeout_s
        note = "the target answers a new connection" if alive else f"WARNING: {state}"
        self.app.call_from_thread(self._start_countdown, note)

    def _start_countdown(self, note: str) -> None:
        self._countdown_note = note
        self._tick()
        self._timer = self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        if self.step != "confirm" or self._deadline is None:
            return
        left = int(self._deadline - time.monotonic())
        body = (
            "Applied.\n"
            + "\n".join(f"  {ln}" for ln in self.steps_log)
            + f"\n\n{self._countdown_note}."
        )
        if left <= 0:
            if self._timer is not None:
                self._timer.stop()
            self.step = "verifying"
            self._show(body + "\nNo confirmation: the target is restoring the prior state...", "")
            self._work(self._wait_rollback)
            return
        self._show(body, f"k: keep this change ({left} s left, then it is rolled back)")

    def _wait_rollback(self) -> None:
        from offtui.wizard.apply import wait_rollback

        ok = wait_rollback(self.ex, self.session, 60)
        self.step = "done"
        msg = (
            "Rolled back: the prior state is restored."
            if ok
            else "The rollback did not report back in time: check the target."
        )
        self.app.call_from_thread(self._show, Text(msg, "yellow" if ok else "red"), "esc: close")

    def action_keep(self) -> None:
        if self.step != "confirm" or self.busy:
            return
        if self._timer is not None:
            self._timer.stop()
        self.step = "verifying"
        self._show("Keeping the change (cancelling the rollback), then verifying...", "")
        self._work(self._keep)

    def _keep(self) -> None:
        from offtui.wizard.apply import confirm
        from offtui.wizard.verify import verify

        ok, msg = confirm(self.ex, self.session)
        if not ok:
            self.step = "done"
            self.app.call_from_thread(self._show, Text(f"Not kept: {msg}", "red"), "esc: close")
            return
        rep = verify(self.ex, self.plan, cpu_before=self.status.cpu)
        self.step = "done"
        self.app.call_from_thread(self._show, "Kept.\n\n" + rep.text(), "esc: close")

    def action_leave(self) -> None:
        if self.step == "preview":
            self.step = "status"
            self.plan = None
            self._show("Back to the status...", "")
            self._work(self._read_status)
            return
        if self.step in ("applying", "confirm", "verifying"):
            self.notify("a change is in progress: keep it (k) or let it roll back first", timeout=4)
            return
        self.dismiss()
