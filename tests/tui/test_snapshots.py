"""Snapshot tests of the real app on replayed real captures (fixed size, frozen clock).

Regenerate after a deliberate UI change: ``pytest tests/tui --snapshot-update``. The pictures
also change when rules or the per-flow explanation change what they say.
"""

from __future__ import annotations

from tests.tui.conftest import make_app, wait_for_frame


def _keys(*keys: str):
    async def run_before(pilot) -> None:
        await wait_for_frame(pilot)
        for k in keys:
            await pilot.press(k)
            await pilot.pause()

    return run_before


def test_dashboard_routed_sfo_80x24(snap_compare) -> None:
    assert snap_compare(make_app("routed-sfo"), terminal_size=(80, 24), run_before=_keys())


def test_dashboard_hw_offload_200x60(snap_compare) -> None:
    assert snap_compare(make_app("mtk-hw-offload"), terminal_size=(200, 60), run_before=_keys())


def test_dashboard_wed_120x36(snap_compare) -> None:
    app = make_app("mt7981-wed-unbound")
    assert snap_compare(app, terminal_size=(120, 36), run_before=_keys())


def test_flows_many_80x24(snap_compare) -> None:
    assert snap_compare(make_app("many-flows"), terminal_size=(80, 24), run_before=_keys("2"))


def test_finding_detail_80x24(snap_compare) -> None:
    app = make_app("flow-add-input")
    assert snap_compare(app, terminal_size=(80, 24), run_before=_keys("enter"))


def test_ppe_80x24(snap_compare) -> None:
    app = make_app("mt7981-wed-unbound")
    assert snap_compare(app, terminal_size=(80, 24), run_before=_keys("3"))
