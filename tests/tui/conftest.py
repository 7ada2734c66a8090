"""Shared helpers for the TUI tests: replayed demo captures, a frozen clock, frame waits."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from offtui.demo import demo_path
from offtui.sources.live import ReplaySource
from offtui.tui.app import OfftuiApp

#: 2026-01-01 00:00:00 UTC: every app under test reads this clock, so nothing drifts.
FROZEN = 1767225600.0
LAB = Path(__file__).resolve().parents[1] / "lab_captures"


def make_app(demo: str) -> OfftuiApp:
    return OfftuiApp(
        ReplaySource(str(demo_path(demo)), origin=f"demo {demo}"), clock=lambda: FROZEN
    )


async def wait_for_frame(pilot, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while pilot.app.view is None:
        if time.monotonic() > deadline:
            raise AssertionError("no frame within the timeout")
        await pilot.pause(0.02)
    await pilot.pause()


@pytest.fixture
def frozen() -> float:
    return FROZEN
