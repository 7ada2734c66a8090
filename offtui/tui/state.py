"""The frame the screens draw from, with what is derived from it once per frame.

Deriving the flows view (10,000 flows, a route lookup per address) happens in the
collection worker, and only when the conntrack table changed; widgets read the result.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from offtui.sources.live import Frame
from offtui.tui.view import (
    STALE_STATES,
    FlowIndex,
    History,
    carrying_devices,
    uncovered_devices,
)


@dataclass(slots=True)
class FrameView:
    frame: Frame
    index: FlowIndex
    uncovered: list[tuple[str, int]]
    history: History
    now: float = field(default_factory=time.time)
    paused: bool = False

    def stale_names(self) -> list[str]:
        """Live sources that read fine before and fail now (their last data is shown)."""
        if not self.frame.live:
            return []
        return [
            s.name
            for s in self.frame.snapshot.sources
            if s.state in STALE_STATES and s.name in self.frame.last_ok
        ]


#: Tables up to this size are indexed on every change; bigger ones when a screen needs them.
SMALL_TABLE = 2000
#: How often the Flows screen re-reads a big table (``r`` does it at once).
FLOWS_EVERY_S = 20.0
#: How often the dashboard's "in no flowtable" check is redone on a big table.
UNCOVERED_EVERY_S = 60.0


def derive(
    frame: Frame, prev: FrameView | None, history: History, need_flows: bool = False
) -> FrameView:
    """A view of ``frame``, reusing the previous flows index when conntrack did not change.

    Building the index materialises every flow (about 0.2 s for 10,000 on a small CPU);
    for a big table it is done only when the Flows or Flowtables screen needs it, or once a
    minute for the dashboard's uncovered-devices line when there is a flowtable at all.
    """
    snap = frame.snapshot
    same = prev is not None and prev.index.snap.conntrack is snap.conntrack
    total = snap.conntrack.total if snap.conntrack is not None else 0
    if prev is not None and not same and total > SMALL_TABLE and not frame.forced:
        old = time.monotonic() - prev.index.built_at
        if need_flows:
            if not prev.index.lazy and old < FLOWS_EVERY_S:
                same = True  # a big table on the Flows screen: re-read every FLOWS_EVERY_S
        elif not snap.flowtables or old < UNCOVERED_EVERY_S:
            same = True  # keep the older index: nobody looks at single flows now
    routes = getattr(snap, "routes", None)
    same_routes = prev is not None and prev.index.snap.routes == routes
    if prev is not None and same and same_routes:
        index, uncovered = prev.index, prev.uncovered
    elif prev is None and not need_flows and total > SMALL_TABLE and not snap.flowtables:
        index, uncovered = FlowIndex(snap, lazy=True), []
    else:
        devices = None
        if prev is not None and same_routes:
            devices = prev.index.devices  # same routes: the address lookups still hold
            devices.snap = snap
        index = FlowIndex(snap, devices)
        uncovered = uncovered_devices(snap, carrying_devices(index))
    return FrameView(frame=frame, index=index, uncovered=uncovered, history=history)


def index_is_stale(view: FrameView) -> bool:
    return view.index.lazy or view.index.snap.conntrack is not view.frame.snapshot.conntrack


def record(view: FrameView) -> None:
    """Add the frame's numbers to the history (on the UI thread, once per frame)."""
    snap = view.frame.snapshot
    h = view.history
    if snap.cpu is not None:
        for c in snap.cpu.cores:
            h.add(f"cpu:{c.cpu}", c.busy_pct)
    ct = snap.conntrack
    if ct is not None and view.frame.full:
        h.add("ct:total", ct.total)
        h.add("ct:offload", ct.offload)
        h.add("ct:hw", ct.hw_offload)
        h.add("ct:none", ct.total - ct.offload - ct.hw_offload)
