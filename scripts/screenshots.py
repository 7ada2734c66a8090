"""Regenerate ``screenshots/*.svg`` from the real app on the shipped demo captures.

    .venv/bin/python scripts/screenshots.py            # every scene
    .venv/bin/python scripts/screenshots.py flows-80x24   # one scene

Each scene opens a capture (or this host, live), presses keys, and saves an SVG. The clock
of replayed captures is the capture's own, so the pictures only change when the UI does.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from offtui.demo import demo_path
from offtui.sources.live import LiveSource, ReplaySource
from offtui.tui.app import OfftuiApp

OUT = Path(__file__).resolve().parents[1] / "screenshots"

#: name -> (demo, or None for this host live; terminal size; keys to press)
SCENES: dict[str, tuple[str | None, tuple[int, int], list[str]]] = {
    "dashboard-80x24": ("routed-sfo", (80, 24), []),
    "dashboard-hw-200x60": ("mtk-hw-offload", (200, 60), []),
    "dashboard-wed-120x36": ("mt7981-wed-unbound", (120, 36), []),
    "findings-80x24": ("flow-add-input", (80, 24), ["5"]),
    "finding-detail-80x24": ("flow-add-input", (80, 24), ["enter"]),
    "flows-80x24": ("many-flows", (80, 24), ["2"]),
    "flows-filter-120x36": ("many-flows", (120, 36), ["2", "slash", *"1736", "enter"]),
    "flow-explain-80x24": ("routed-sfo", (80, 24), ["2", "enter"]),
    "ppe-80x24": ("mt7981-wed-unbound", (80, 24), ["3"]),
    "flowtables-80x24": ("routed-sfo", (80, 24), ["4"]),
    "sources-80x24": ("mtk-hw-offload", (80, 24), ["6"]),
    "help-80x24": ("routed-sfo", (80, 24), ["question_mark"]),
    "this-host-live-80x24": (None, (80, 24), []),
}


async def shoot(name: str, demo: str | None, size: tuple[int, int], keys: list[str]) -> Path:
    source = LiveSource() if demo is None else ReplaySource(str(demo_path(demo)), f"demo {demo}")
    app = OfftuiApp(source)
    async with app.run_test(size=size) as pilot:
        deadline = time.monotonic() + 20
        while app.view is None and time.monotonic() < deadline:
            await pilot.pause(0.05)
        await pilot.pause(0.3)
        for key in keys:
            await pilot.press(key)
            await pilot.pause(0.3)
        await pilot.pause(0.3)
        return Path(app.save_screenshot(filename=f"{name}.svg", path=str(OUT)))


def main(argv: list[str]) -> int:
    OUT.mkdir(exist_ok=True)
    names = argv or list(SCENES)
    for name in names:
        demo, size, keys = SCENES[name]
        print(asyncio.run(shoot(name, demo, size, keys)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
