"""What the TUI shows, as plain data: no widget code here, so it is testable without a terminal.

Widgets turn these values into text; the same facts the text report prints come from
:mod:`offtui.render.text` and :mod:`offtui.topology`, so the dashboard never disagrees with
``offtui diagnose``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from offtui.model import Flow, OffloadState, Snapshot, SourceState

SPARK = " ▁▂▃▄▅▆▇█"
STALE_STATES = (
    SourceState.FAILED,
    SourceState.PERMISSION,
    SourceState.TIMEOUT,
    SourceState.MISSING,
)


def when(t: float | None) -> str:
    if t is None:
        return "time unknown"
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def age(seconds: float) -> str:
    """A short age: ``0.4s``, ``12s``, ``3m``, ``5h``, ``2d``."""
    s = max(0.0, seconds)
    if s < 10:
        return f"{s:.1f}s"
    if s < 120:
        return f"{s:.0f}s"
    if s < 7200:
        return f"{s / 60:.0f}m"
    if s < 172800:
        return f"{s / 3600:.0f}h"
    return f"{s / 86400:.0f}d"


def human(n: int | None) -> str:
    """1234 -> 1.2k; None -> '-'."""
    if n is None:
        return "-"
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= div:
            return f"{n / div:.1f}{unit}"
    return str(n)


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def sparkline(values: Iterable[float], width: int, top: float = 100.0) -> str:
    """The last ``width`` values as block characters scaled to ``top`` (right aligned)."""
    vals = list(values)[-width:] if width > 0 else []
    out = []
    for v in vals:
        frac = 0.0 if top <= 0 else max(0.0, min(1.0, v / top))
        out.append(SPARK[round(frac * (len(SPARK) - 1))])
    return " " * (width - len(out)) + "".join(out)


def bar(frac: float, width: int) -> str:
    """A gauge of ``width`` cells: ``█`` for the filled share, ``░`` for the rest."""
    frac = max(0.0, min(1.0, frac))
    full = round(frac * width)
    return "█" * full + "░" * (width - full)


class History:
    """Recent values per key (CPU busy %, offloaded flows...), for sparklines and trends."""

    def __init__(self, size: int = 120) -> None:
        self.size = size
        self._d: dict[str, deque[float]] = {}

    def add(self, key: str, value: float) -> None:
        self._d.setdefault(key, deque(maxlen=self.size)).append(value)

    def get(self, key: str) -> list[float]:
        return list(self._d.get(key, ()))

    def trend(self, key: str) -> float | None:
        """Last value minus the first kept one (None with fewer than two values)."""
        v = self._d.get(key)
        return v[-1] - v[0] if v and len(v) > 1 else None


# ------------------------------------------------------------------------------ header


@dataclass(slots=True, frozen=True)
class HeaderInfo:
    host: str
    kernel: str
    backend: str
    mode: str
    support: str  # "", or a plain sentence when the kernel cannot offload at all
    data: str  # "live, 0.4s old" / "capture of 2026-... (replay, read-only)"


def header_info(
    snap: Snapshot,
    live: bool,
    now: float,
    paused: bool = False,
    redacted: bool = False,
    note: str = "",
) -> HeaderInfo:
    support = ""
    if snap.flowtable_support is False:
        support = "no flowtable support in this kernel: " + snap.flowtable_support_reason
    if live:
        data = "live" if not paused else "PAUSED"
        if note:
            data = f"STALE ({note})"
        if snap.time is not None:
            data += f", data {age(now - snap.time)} old"
    else:
        data = f"capture of {when(snap.time)}, read-only"
        if redacted:
            data += ", redacted"
    return HeaderInfo(
        host=snap.host or snap.system.hostname or "unknown host",
        kernel=snap.system.kernel or "kernel ?",
        backend=snap.backend.value,
        mode=snap.offload_mode.value,
        support=support,
        data=data,
    )


# ------------------------------------------------------------------------------ conntrack


@dataclass(slots=True, frozen=True)
class ConntrackInfo:
    total: int
    offload: int
    hw_offload: int
    none: int
    count: int | None  # nf_conntrack_count (the kernel's live count)
    max: int | None
    source: str

    @property
    def fill(self) -> float | None:
        n = self.count if self.count is not None else self.total
        return n / self.max if self.max else None


def conntrack_info(snap: Snapshot) -> ConntrackInfo | None:
    ct = snap.conntrack
    if ct is None:
        return None
    lim = snap.conntrack_limits
    return ConntrackInfo(
        total=ct.total,
        offload=ct.offload,
        hw_offload=ct.hw_offload,
        none=ct.total - ct.offload - ct.hw_offload,
        count=lim.count,
        max=lim.max,
        source=ct.source,
    )


# ------------------------------------------------------------------------------ flows


OFFLOAD_LABEL = {OffloadState.NONE: "-", OffloadState.SOFTWARE: "SW", OffloadState.HARDWARE: "HW"}
OFFLOAD_WORDS = {
    OffloadState.NONE: "none not-offloaded",
    OffloadState.SOFTWARE: "sw offload [offload]",
    OffloadState.HARDWARE: "hw hw_offload [hw_offload]",
}


def endpoint(addr: str, port: int | None) -> str:
    if port is None:
        return addr
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


def flow_bytes(f: Flow) -> int | None:
    if f.orig.bytes is None and f.reply.bytes is None:
        return None
    return (f.orig.bytes or 0) + (f.reply.bytes or 0)


def flow_packets(f: Flow) -> int | None:
    if f.orig.packets is None and f.reply.packets is None:
        return None
    return (f.orig.packets or 0) + (f.reply.packets or 0)


FLOW_COLUMNS: tuple[tuple[str, int], ...] = (
    ("proto", 5),
    ("source", 21),
    ("destination", 21),
    ("state", 11),
    ("off", 3),
    ("bytes", 7),
    ("pkts", 6),
    ("in", 8),
    ("out", 8),
)

#: Sort orders the Flows screen cycles through: (label, key, descending first).
SORTS: tuple[tuple[str, Callable[[Flow], object], bool], ...] = (
    ("bytes", lambda f: flow_bytes(f) or 0, True),
    ("packets", lambda f: flow_packets(f) or 0, True),
    ("offload", lambda f: ("none", "offload", "hw_offload").index(f.offload.value), True),
    ("proto", lambda f: (f.proto, f.orig.src, f.orig.sport or 0), False),
    ("source", lambda f: (f.orig.src, f.orig.sport or 0), False),
    ("destination", lambda f: (f.orig.dst, f.orig.dport or 0), False),
    ("state", lambda f: f.state or "", False),
    ("table order", lambda f: f.line_no, False),
)


class DeviceResolver:
    """Ingress/egress device of flows by route lookup, cached per address.

    ``offtui.topology.route_device`` parses every route per call; a table of 10,000 flows
    has far fewer distinct addresses, so each address is looked up once per snapshot.
    """

    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        self._cache: dict[str, str | None] = {}
        self._local: set[str] | None = None
        try:
            from offtui import topology
        except ImportError:  # an older core without routes: devices stay unknown
            topology = None
        self._topology = topology

    def device(self, address: str) -> str | None:
        if address not in self._cache:
            dev = None
            if self._topology is not None and getattr(self.snap, "routes", None):
                dev = self._topology.route_device(self.snap, address)
            self._cache[address] = dev
        return self._cache[address]

    def is_local(self, flow: Flow) -> bool:
        if self._local is None:
            addrs = getattr(self.snap, "addresses", None) or []
            self._local = {a.local for a in addrs}
        return (
            flow.orig.dst in self._local
            or flow.orig.src in self._local
            or (flow.reply.src in self._local)
        )

    def path(self, flow: Flow) -> tuple[str | None, str | None]:
        return self.device(flow.orig.src), self.device(flow.reply.src)


def flow_row(flow: Flow, devs: tuple[str | None, str | None]) -> tuple[str, ...]:
    """The cells of one Flows row, in :data:`FLOW_COLUMNS` order."""
    return (
        flow.proto,
        endpoint(flow.orig.src, flow.orig.sport),
        endpoint(flow.orig.dst, flow.orig.dport),
        flow.state or ("UNREPLIED" if flow.unreplied else ""),
        OFFLOAD_LABEL[flow.offload],
        human(flow_bytes(flow)),
        human(flow_packets(flow)),
        devs[0] or "?",
        devs[1] or "?",
    )


class FlowIndex:
    """The flows of one snapshot, with their devices, filtered and sorted for display.

    Rows are formatted only when asked for (the visible ones); the filter text of a flow is
    built once and kept.
    """

    def __init__(
        self, snap: Snapshot, devices: DeviceResolver | None = None, lazy: bool = False
    ) -> None:
        self.snap = snap
        #: True for a placeholder whose flows were not read yet (a big table on a screen
        #: that does not show single flows).
        self.lazy = lazy
        self.built_at = time.monotonic()
        self.flows: list[Flow] = snap.conntrack.flows() if snap.conntrack and not lazy else []
        self.devices = devices or DeviceResolver(snap)
        self._search: dict[int, str] = {}
        self.view: list[Flow] = list(self.flows)

    def row(self, flow: Flow) -> tuple[str, ...]:
        return flow_row(flow, self.devices.path(flow))

    def _text(self, i: int, flow: Flow) -> str:
        s = self._search.get(i)
        if s is None:
            s = " ".join((*self.row(flow), OFFLOAD_WORDS[flow.offload], flow.reply.src)).lower()
            self._search[i] = s
        return s

    def apply(self, query: str = "", sort: int = 0, reverse: bool = False) -> list[Flow]:
        """Flows matching every word of ``query`` (substring, any column), sorted."""
        terms = query.lower().split()
        if terms:
            view = [
                f for i, f in enumerate(self.flows) if all(t in self._text(i, f) for t in terms)
            ]
        else:
            view = list(self.flows)
        _, key, desc = SORTS[sort % len(SORTS)]
        view.sort(key=key, reverse=desc != reverse)
        self.view = view
        return view


def carrying_devices(index: FlowIndex) -> dict[str, int]:
    """{device: forwarded flows entering or leaving through it} (route lookup)."""
    out: dict[str, int] = {}
    for f in index.flows:
        if index.devices.is_local(f):
            continue
        for dev in set(index.devices.path(f)):
            if dev:
                out[dev] = out.get(dev, 0) + 1
    return out


def uncovered_devices(snap: Snapshot, carrying: dict[str, int]) -> list[tuple[str, int]]:
    """Devices that carry flows but are in no flowtable (directly or via upper/lower devices)."""
    if not snap.flowtables:
        return []
    try:
        from offtui.topology import flowtables_covering
    except ImportError:

        def flowtables_covering(s: Snapshot, dev: str | None) -> list:
            return [ft for ft in s.flowtables if dev in ft.devices]

    return sorted(
        ((dev, n) for dev, n in carrying.items() if not flowtables_covering(snap, dev)),
        key=lambda x: (-x[1], x[0]),
    )


# ------------------------------------------------------------------------------ sources


@dataclass(slots=True, frozen=True)
class SourceRow:
    name: str
    state: str
    detail: str
    stale_since: float | None  # live: last good read of a source that now fails


def source_rows(snap: Snapshot, last_ok: dict[str, float] | None = None) -> list[SourceRow]:
    """Every source with its state: problems first, then read, then not collected."""
    last_ok = last_ok or {}
    order = {
        SourceState.FAILED: 0,
        SourceState.PERMISSION: 0,
        SourceState.TIMEOUT: 0,
        SourceState.MISSING: 1,
        SourceState.EMPTY: 2,
        SourceState.OK: 3,
        SourceState.NOT_COLLECTED: 4,
    }
    rows = []
    for s in sorted(snap.sources, key=lambda s: (order.get(s.state, 5), s.name)):
        detail = s.detail or (s.stderr.splitlines()[-1] if s.stderr else "")
        if s.exit_code not in (None, 0):
            detail = f"exit {s.exit_code}" + (f": {detail}" if detail else "")
        if s.hint and s.state != SourceState.OK:
            detail += ("; " if detail else "") + f"hint: {s.hint}"
        stale = last_ok.get(s.name) if s.state in STALE_STATES else None
        rows.append(SourceRow(s.name, s.state.value, detail, stale))
    return rows
