"""The TUI on a router over SSH: live data, a dropped connection shown stale, then resumed."""

from __future__ import annotations

import asyncio
import os
import signal
import time

from textual.widgets import Static

from offtui.sources.live import RemoteSource
from offtui.sources.ssh import RemoteLive
from offtui.tui.app import OfftuiApp
from tests.remote.conftest import SshServer


def _header(app: OfftuiApp) -> str:
    return " ".join(str(w.render()) for w in app.screen.query(Static))


def test_tui_over_ssh_goes_stale_and_resumes(netns_sshd: SshServer) -> None:
    live = RemoteLive(netns_sshd.target, netns_sshd.options, interval=0.3, retry_max_s=2)
    source = RemoteSource(live, origin=str(netns_sshd.target))
    source.start()

    async def run() -> None:
        app = OfftuiApp(source, interval=0.3)
        async with app.run_test(size=(100, 30)) as pilot:
            deadline = time.monotonic() + 30
            while app.view is None:
                assert time.monotonic() < deadline, "no first frame"
                await pilot.pause(0.05)
            assert app.view.frame.live and app.view.frame.note == ""
            assert "live" in _header(app)
            pid = live.ssh_pid
            assert pid is not None
            os.kill(pid, signal.SIGKILL)  # the connection drops
            saw_stale = False
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                await pilot.pause(0.1)
                note = app.view.frame.note
                if "disconnected" in note:
                    saw_stale = True
                    assert "STALE" in _header(app)
                elif saw_stale and note == "" and live.state == "live":
                    break
            assert saw_stale, "the dropped connection was never shown"
            assert app.view.frame.note == "", "the session did not resume"

    try:
        asyncio.run(run())
    finally:
        source.close()
