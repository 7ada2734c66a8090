"""Pure parts of the TUI: column fitting, gauges, the flows index, sources rows."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from offtui.capture import Capture
from offtui.demo import demo_path
from offtui.model import SourceState, SourceStatus
from offtui.snapshot import build_snapshot
from offtui.tui.table import fit_columns
from offtui.tui.view import (
    SORTS,
    FlowIndex,
    age,
    bar,
    carrying_devices,
    human,
    source_rows,
    sparkline,
    uncovered_devices,
)

COLUMNS = [
    ("proto", 5, 4, 0),
    ("source", 21, 13, 0),
    ("destination", 21, 13, 0),
    ("state", 11, 7, 3),
    ("off", 3, 3, 0),
    ("bytes", 7, 6, 1),
    ("pkts", 6, 5, 4),
    ("in", 8, 5, 2),
    ("out", 8, 5, 2),
]


def _used(widths: list[int | None]) -> int:
    shown = [w for w in widths if w is not None]
    return sum(shown) + len(shown) - 1


def test_fit_columns_shrinks_then_drops_by_order() -> None:
    w78 = fit_columns(COLUMNS, 78)
    assert None not in w78 and _used(w78) == 78  # every column fits once shrunk
    # 60 cells: the minimum widths need 69, so pkts (drop order 4) then state (3) go
    w60 = fit_columns(COLUMNS, 60)
    assert w60[6] is None and w60[3] is None
    assert w60[7] is not None and w60[4] == 3
    assert _used(w60) <= 60
    assert _used(fit_columns(COLUMNS, 200)) == 200


@given(st.integers(min_value=40, max_value=400))
def test_fit_columns_never_overflows(width: int) -> None:
    w = fit_columns(COLUMNS, width)
    assert _used(w) <= width
    for i, c in enumerate(COLUMNS):
        if c[3] == 0:
            assert w[i] is not None and w[i] >= c[2]


@given(st.lists(st.floats(min_value=0, max_value=100), max_size=50), st.integers(0, 30))
def test_sparkline_width(values: list[float], width: int) -> None:
    s = sparkline(values, width)
    assert len(s) == width


def test_gauges_and_numbers() -> None:
    assert bar(0.5, 10) == "█████░░░░░"
    assert bar(2.0, 4) == "████"
    assert sparkline([0, 100], 2) == " █"
    assert human(7511832) == "7.5M" and human(None) == "-" and human(999) == "999"
    assert age(0.42) == "0.4s" and age(90) == "90s" and age(600) == "10m"


def _snap(name: str):
    return build_snapshot(Capture.open(demo_path(name)))


def test_flow_index_routed_sfo() -> None:
    # demo routed-sfo/proc/net/nf_conntrack: 4 lines, `grep -c " udp "` = 2; routes
    # 10.0.1.0/24 dev veth-a, 10.0.2.0/24 dev veth-b (commands/ip_-j_route_show).
    idx = FlowIndex(_snap("routed-sfo"))
    assert len(idx.flows) == 4
    assert len(idx.apply("udp")) == 2
    assert len(idx.apply("udp 5004")) == 1  # grep " udp " | grep -c "dport=5004 " = 1
    assert len(idx.apply("hw")) == 0  # nothing in hardware
    assert len(idx.apply("sw")) == 4
    assert {idx.devices.path(f) for f in idx.flows} == {("veth-a", "veth-b")}
    assert carrying_devices(idx) == {"veth-a": 4, "veth-b": 4}
    assert uncovered_devices(idx.snap, carrying_devices(idx)) == []  # both in flowtable ft


def test_flow_index_sorts() -> None:
    idx = FlowIndex(_snap("routed-sfo"))
    # offtui/demo/captures/routed-sfo, bytes= sums per line (awk, sort -rn):
    # sport 55900 -> 4391348, sport 43068 -> 4321392, then the two UDP flows (76044 each)
    by_bytes = idx.apply(sort=0)
    assert [f.orig.sport for f in by_bytes[:2]] == [55900, 43068]
    by_order = idx.apply(sort=[s[0] for s in SORTS].index("table order"))
    assert [f.line_no for f in by_order] == [1, 2, 3, 4]


def test_uncovered_device_is_reported() -> None:
    # flowtable ft of routed-sfo lists veth-a, veth-b; drop veth-b from it (a variant of the
    # real capture) and the flows leaving through veth-b are in no flowtable.
    snap = _snap("routed-sfo")
    snap.flowtables[0].devices.remove("veth-b")
    idx = FlowIndex(snap)
    assert uncovered_devices(snap, carrying_devices(idx)) == [("veth-b", 4)]


def test_source_rows_put_problems_first_and_mark_stale() -> None:
    snap = _snap("routed-sfo")
    snap.sources.append(
        SourceStatus(
            "commands/nft_-j_list_ruleset2", SourceState.FAILED, detail="boom", exit_code=1
        )
    )
    rows = source_rows(snap, {"commands/nft_-j_list_ruleset2": 10.0})
    mine = next(r for r in rows if r.name == "commands/nft_-j_list_ruleset2")
    assert mine.state == "failed" and mine.stale_since == 10.0
    assert mine.detail.startswith("exit 1")
    states = [r.state for r in rows]
    assert states.index("failed") < states.index("ok")
    assert rows[-1].state in ("not collected", "ok")
