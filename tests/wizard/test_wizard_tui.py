"""The guided wizard screen driven with Pilot against a real network namespace.

This host's kernel has no flowtables, so the change applied here is the one it can make for
real: disabling (deleting offtui's own `table inet offtui`). Keep -> the table is gone;
no answer -> the target's rollback job restores it byte for byte.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
import uuid

import pytest
from textual.widgets import Static

from offtui.tui.wizard import WizardScreen
from offtui.wizard.executor import LocalExecutor
from tests.tui.conftest import make_app, wait_for_frame

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces"),
    pytest.mark.skipif(not shutil.which("nft"), reason="needs nft (apt-get install nftables)"),
]

OFFTUI_TABLE = (
    "table inet offtui {\n"
    "  chain forward { type filter hook forward priority filter + 10; policy accept; }\n"
    "}\n"
)


@pytest.fixture
def ns():
    name = f"offtui-wz-{uuid.uuid4().hex[:6]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        ex = ["ip", "netns", "exec", name]
        subprocess.run([*ex, "ip", "link", "set", "lo", "up"], check=True)
        subprocess.run([*ex, "nft", "-f", "-"], input=OFFTUI_TABLE, text=True, check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def _ruleset(ns: str) -> str:
    return subprocess.run(
        ["ip", "netns", "exec", ns, "nft", "-s", "list", "ruleset"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


async def _until(pilot, screen: WizardScreen, text: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while True:
        body = " ".join(str(w.render()) for w in screen.query(Static))
        if text in body:
            return body
        assert time.monotonic() < deadline, f"never showed {text!r}; last: {body[-400:]}"
        await pilot.pause(0.1)


def _drive(ns: str, keep: bool, confirm_timeout: int) -> None:
    async def run() -> None:
        app = make_app("routed-sfo")
        async with app.run_test(size=(100, 40)) as pilot:
            await wait_for_frame(pilot)
            screen = WizardScreen(lambda: LocalExecutor(ns), confirm_timeout=confirm_timeout)
            app.push_screen(screen)
            await _until(pilot, screen, "backend:  nftables")
            await pilot.press("a")  # nothing planned yet: ignored, nothing changes
            await pilot.press("d")
            await _until(pilot, screen, "delete table inet offtui")
            await pilot.press("a")
            await _until(pilot, screen, "k: keep this change")
            if keep:
                await pilot.press("k")
                await _until(pilot, screen, "Kept.")
            else:
                await _until(pilot, screen, "Rolled back", timeout=confirm_timeout + 60)
            await pilot.press("escape")
            await pilot.pause()

    asyncio.run(run())


def test_wizard_disable_and_keep(ns: str) -> None:
    assert "table inet offtui" in _ruleset(ns)
    _drive(ns, keep=True, confirm_timeout=60)
    assert "table inet offtui" not in _ruleset(ns)


def test_wizard_no_confirmation_rolls_back(ns: str) -> None:
    before = _ruleset(ns)
    _drive(ns, keep=False, confirm_timeout=3)
    assert _ruleset(ns) == before
