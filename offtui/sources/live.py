"""Live collection for the dashboard: cheap sources every tick, heavy ones less often.

The TUI asks for a :class:`Frame` once per interval, from a worker thread. Reading
``/proc/stat`` and ``/proc/softirqs`` costs microseconds, so they are read every tick and the
previous snapshot is reused around them. The conntrack table and PPE tables (thousands of
lines on a busy router) are read every ``conntrack_every_s``; the ruleset, links, qdiscs and
logs (each a process to start) every ``slow_every_s``, or when the user asks for a refresh.
Rules run with the configuration, and at most every ``rules_every_s`` in between (some
rules read every flow). Tick files stay in memory; they are written to the capture
directory only for a full build.
Whatever is read is written into one capture directory, so a live frame is built by the same
snapshot builder as a replayed capture; a source whose bytes did not change is not parsed
again (its parsed value is reused).

A source that stops answering keeps its last good file: the snapshot then shows the old data
with the new error, and :attr:`Frame.last_ok` says since when it is stale.
"""

from __future__ import annotations

import dataclasses
import glob
import json
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from offtui import __version__
from offtui.capture import FORMAT_NAME, FORMAT_VERSION, Capture
from offtui.cpuload import cpu_load
from offtui.engine import Report, run_rules
from offtui.model import ConntrackLimits, ProcStat, Snapshot, Softirqs
from offtui.parsers.common import Parsed
from offtui.parsers.procfs import parse_proc_stat, parse_softirqs
from offtui.snapshot import _Builder
from offtui.sources import local
from offtui.sources.catalog import BY_NAME, SOURCES, SourceSpec

T = TypeVar("T")

#: Read on every tick (a few hundred bytes each).
TICK_FILES = (
    "proc/stat",
    "proc/softirqs",
    "proc/sys/net/netfilter/nf_conntrack_count",
    "proc/sys/net/netfilter/nf_conntrack_max",
)
#: Flow state: the conntrack table and the PPE tables.
FLOW_PREFIXES = ("proc/net/nf_conntrack", "commands/conntrack_", "sys/kernel/debug/")

OK_STATES = ("ok", "empty")
#: Commands left out of the first frame (it must be on screen within a second).
DEFERRED = ("commands/ps_-e_-o_pid,comm", "commands/firewall-cmd_--state")


@dataclass(slots=True)
class Frame:
    """One refresh of the dashboard: the snapshot, its findings, and collection facts."""

    snapshot: Snapshot
    report: Report
    live: bool
    time: float  # unix time the frame was collected (for a replay: when the TUI read it)
    seq: int
    #: True when the flow state or the configuration was read again for this frame.
    full: bool = True
    #: Capture path -> unix time it was last read without error (live only).
    last_ok: dict[str, float] = field(default_factory=dict)
    collect_s: float = 0.0
    origin: str = ""  # "this host", or the capture directory / archive / demo name
    #: The rules have not run yet (the first live frame): say "checking", not "no findings".
    rules_pending: bool = False
    #: The user asked for this frame (``r``): everything is read and shown again.
    forced: bool = False
    #: A replayed capture that was redacted (a support bundle): say so in the header.
    redacted: bool = False
    #: Something the header must say about the data (a remote "disconnected, retrying").
    note: str = ""

    @property
    def capture_time(self) -> float | None:
        return self.snapshot.time


class _CachingBuilder(_Builder):
    """The snapshot builder, with parsed values reused when a source's text is unchanged."""

    def __init__(self, cap: Capture, cache: dict, reparsed: set[str]) -> None:
        super().__init__(cap)
        self._cache = cache
        self._texts: dict[str, str | None] = {}
        self.reparsed = reparsed

    def text(self, name: str) -> str | None:
        if name not in self._texts:
            self._texts[name] = super().text(name)
        return self._texts[name]

    def parse(self, name: str, fn: Callable[[str], Parsed[T]]) -> T | None:
        text = self.text(name)
        if text is None:
            return None
        key = (name, getattr(fn, "__qualname__", repr(fn)))
        digest = (len(text), hash(text))
        hit = self._cache.get(key)
        st = self.status(name)
        if hit is not None and hit[0] == digest:
            _, value, unparsed, note = hit
            st.unparsed_count += unparsed
            if note:
                st.detail = f"{st.detail}; {note}" if st.detail else note
            return value
        before_count, before_detail = st.unparsed_count, st.detail
        value = super().parse(name, fn)
        note = st.detail[len(before_detail) :].lstrip("; ") if st.detail != before_detail else ""
        self._cache[key] = (digest, value, st.unparsed_count - before_count, note)
        self.reparsed.add(name)
        return value


def _group(name: str) -> str:
    if name in TICK_FILES:
        return "tick"
    if name.startswith(FLOW_PREFIXES) or name == "netlink/conntrack_-L":
        return "flows"
    return "slow"


class ReplaySource:
    """A capture (directory, ``.tar.gz`` or demo) read once; every frame is the same."""

    live = False

    def __init__(self, target: str, origin: str | None = None) -> None:
        self.cap = Capture.open(target)
        self.origin = origin or self.cap.origin
        self._frame: Frame | None = None

    def collect(self, full: bool = False) -> Frame:
        if self._frame is None:
            from offtui.snapshot import build_snapshot

            t0 = time.monotonic()
            snap = build_snapshot(self.cap)
            self._frame = Frame(
                snapshot=snap,
                report=run_rules(snap),
                live=False,
                time=time.time(),
                seq=1,
                collect_s=time.monotonic() - t0,
                origin=self.origin,
                redacted=self.cap.redacted,
            )
        return self._frame

    def close(self) -> None:
        self.cap.close()


class LiveSource:
    """This host, read again at each :meth:`collect` (call it from one thread at a time)."""

    live = True

    def __init__(
        self,
        *,
        root: str = "/",
        conntrack_every_s: float = 5.0,
        slow_every_s: float = 30.0,
        rules_every_s: float = 30.0,
        workdir: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.host = local.LocalHost(root)
        self.conntrack_every_s = conntrack_every_s
        self.slow_every_s = slow_every_s
        self.rules_every_s = rules_every_s
        self._rules_at: float | None = None
        self._tick: dict[str, bytes] = {}
        self._clock = clock
        self._tmp = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="offtui-live-")
            workdir = self._tmp.name
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._status: dict[str, dict] = {}
        self.last_ok: dict[str, float] = {}
        self._cache: dict = {}
        self._flows_at: float | None = None
        #: A big table is read less often: every ``conntrack_every_s`` or one second per
        #: 1,000 entries, whichever is longer (10 s for 10,000 flows).
        self._flows_every = conntrack_every_s
        self._slow_at: float | None = None
        self._stat: tuple[float, ProcStat | None, Softirqs | None] | None = None
        self._frame: Frame | None = None
        self._seq = 0
        self._deferred = False
        #: Sources parsed again by the last full build (for tests and the benchmark).
        self.reparsed: set[str] = set()

    # ------------------------------------------------------------------ collection

    def _record(self, st: dict, now: float) -> None:
        self._status[st["name"]] = st
        if st.get("status") in OK_STATES:
            self.last_ok[st["name"]] = now

    def _read(self, spec: SourceSpec | None, name: str, now: float) -> None:
        if spec is not None and spec.kind == "command":
            st = local._run(self.host, spec, self.dir)
        else:
            st = local._read_file(self.host, name, self.dir, spec)
            if spec is not None and spec.optional and st["status"] == "missing":
                st["optional"] = True
        self._record(st, now)

    def _collect_groups(self, groups: set[str], now: float, first: bool = False) -> None:
        seen: set[str] = set()
        for spec in SOURCES:
            if spec.name.startswith("netlink/") or spec.replay_only or spec.name in TICK_FILES:
                continue
            if _group(spec.name) not in groups:
                continue
            if spec.name == "commands/conntrack_-L" and self._proc_conntrack_ok():
                continue  # the same table again, through a process: only without procfs
            if first and spec.kind == "command" and (spec.heavy or spec.name in DEFERRED):
                self._deferred = True  # logs and process lists come with the next frame
                continue
            seen.add(spec.name)
            self._read(spec, spec.name, now)
        for pattern in local.FILE_GLOBS:
            for p in sorted(glob.glob(str(self.host.root / pattern))):
                name = Path(p).relative_to(self.host.root).as_posix()
                if name in seen or name in TICK_FILES or _group(name) not in groups:
                    continue
                seen.add(name)
                self._read(BY_NAME.get(name), name, now)
        if (
            "flows" in groups
            and self._status.get("proc/net/nf_conntrack", {}).get("status") != "ok"
        ):
            self._record(local._netlink_conntrack(self.host, self.dir), now)
        if (
            "slow" in groups
            and self._status.get("commands/ip_-j_-d_link_show", {}).get("status") not in OK_STATES
        ):
            self._record(local._netlink_links(self.dir), now)

    def _proc_conntrack_ok(self) -> bool:
        st = self._status.get("proc/net/nf_conntrack")
        if st is None:
            st = local._read_file(self.host, "proc/net/nf_conntrack", self.dir, None)
            self._record(st, self._clock())
        return st.get("status") == "ok"

    def _read_tick(self, name: str, now: float) -> None:
        """A tick file into memory (written to the capture only when a full build needs it)."""
        try:
            data = self.host.path(name).read_bytes()
        except OSError:
            self._tick.pop(name, None)
            self._record(local._read_file(self.host, name, self.dir, BY_NAME.get(name)), now)
            return
        self._tick[name] = data
        if self._status.get(name, {}).get("status") != "ok":
            self._record({"name": name, "kind": "file", "status": "ok"}, now)
        else:
            self.last_ok[name] = now

    def _write_ticks(self) -> None:
        for name, data in self._tick.items():
            out = self.dir / name
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)

    def _read_cpu(self) -> tuple[ProcStat | None, Softirqs | None]:
        stat = self._tick.get("proc/stat")
        soft = self._tick.get("proc/softirqs")
        s = parse_proc_stat(stat.decode("utf-8", "replace")).value if stat else None
        q = parse_softirqs(soft.decode("utf-8", "replace")).value if soft else None
        return s, q

    def _write_manifest(self, now: float) -> None:
        manifest = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "host": socket.gethostname(),
            "time": now,
            "offtui_version": __version__,
            "collector": "live",
            "redacted": False,
            "sources": list(self._status.values()),
        }
        (self.dir / "manifest.json").write_text(json.dumps(manifest))

    def _limits(self, base: ConntrackLimits) -> ConntrackLimits:
        def num(name: str) -> int | None:
            try:
                return int(self._tick[name].strip())
            except (KeyError, ValueError):
                return None

        return dataclasses.replace(
            base,
            count=num("proc/sys/net/netfilter/nf_conntrack_count"),
            max=num("proc/sys/net/netfilter/nf_conntrack_max"),
        )

    def collect(self, full: bool = False) -> Frame:
        """Read what is due, and return a new frame (never raises for a failing source)."""
        t0 = time.monotonic()
        now = self._clock()
        first = self._frame is None
        groups = {"tick"}
        if first or full or self._flows_at is None or t0 - self._flows_at >= self._flows_every:
            groups.add("flows")
            self._flows_at = t0
        slow_due = self._slow_at is None or t0 - self._slow_at >= self.slow_every_s
        if first or full or slow_due or self._deferred:
            self._deferred = False
            groups.add("slow")
            self._slow_at = t0
        if first:
            # A first CPU sample now, so the first frame's load spans the collection.
            for name in ("proc/stat", "proc/softirqs"):
                self._read_tick(name, now)
            s, q = self._read_cpu()
            self._stat = (t0, s, q)
        if len(groups) > 1:
            self._collect_groups(groups, now, first=first)
        for name in TICK_FILES:
            self._read_tick(name, now)
        t1 = time.monotonic()
        stat, soft = self._read_cpu()
        cpu = None
        if stat is not None:
            prev_t, prev_stat, prev_soft = self._stat or (t1, None, None)
            interval = t1 - prev_t if prev_stat is not None else None
            cpu = cpu_load(stat, prev_stat, soft, prev_soft, interval or None)
        self._stat = (t1, stat, soft)

        if len(groups) > 1 or self._frame is None:
            self._write_ticks()
            self._write_manifest(now)
            self.reparsed = set()
            builder = _CachingBuilder(Capture.open(self.dir), self._cache, self.reparsed)
            snap = builder.build()
            snap.time = now
            snap.cpu = cpu
            snap.softirqs = soft
            rules_due = self._rules_at is None or t0 - self._rules_at >= self.rules_every_s
            if self._frame is None:
                # The first frame must be on screen within a second: rules (some read every
                # flow) run with the next one, which comes one interval later.
                report = Report([])
                self._deferred = True
            elif "slow" in groups or rules_due:
                # Rules read the whole snapshot (some every flow): with the configuration,
                # or at most every rules_every_s when only the flow state changed.
                report = run_rules(snap)
                self._rules_at = t0
            else:
                report = self._frame.report
            total = snap.conntrack.total if snap.conntrack is not None else 0
            self._flows_every = max(self.conntrack_every_s, total / 1000)
        else:
            prev = self._frame
            snap = dataclasses.replace(
                prev.snapshot,
                time=now,
                cpu=cpu,
                softirqs=soft,
                conntrack_limits=self._limits(prev.snapshot.conntrack_limits),
            )
            report = prev.report
        self._seq += 1
        self._frame = Frame(
            snapshot=snap,
            report=report,
            live=True,
            time=now,
            seq=self._seq,
            full=len(groups) > 1,
            last_ok=dict(self.last_ok),
            collect_s=time.monotonic() - t0,
            origin="this host",
            rules_pending=self._rules_at is None,
            forced=full,
        )
        return self._frame

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


class RemoteSource:
    """A router over SSH: one session kept open, one sample per interval (``RemoteLive``).

    Cheap ticks carry CPU, softirqs and conntrack counts; the whole conntrack table, the
    ruleset and the logs come at a slower cadence, or at once when the user asks (``r``).
    When the connection drops, frames keep the last data and say "disconnected, retrying".
    """

    live = True

    def __init__(self, remote: object, origin: str, rules_every_s: float = 30.0) -> None:
        self.remote = remote
        self.origin = origin
        self.rules_every_s = rules_every_s
        self.interval = getattr(remote, "interval", 1.0)
        self._frame: Frame | None = None
        self._seq = 0
        self._cache: dict = {}
        self._rules_at: float | None = None
        self.reparsed: set[str] = set()

    def start(self) -> None:
        """Connect (raises ``SshError`` with one line when the router cannot be reached)."""
        self.remote.start()  # type: ignore[attr-defined]

    def collect(self, full: bool = False) -> Frame:

        t0 = time.monotonic()
        if full:
            self.remote.request_heavy()  # type: ignore[attr-defined]
        wait = max(2.0 * float(self.interval or 1.0), 2.0)
        sample = self.remote.next_sample(timeout=wait)  # type: ignore[attr-defined]
        state = getattr(self.remote, "state", "live")
        if sample is None:
            if self._frame is None:
                err = getattr(self.remote, "error", None) or "no data from the router"
                raise RuntimeError(err)
            self._seq += 1
            note = "" if state == "live" else f"{state}: {getattr(self.remote, 'error', '') or ''}"
            self._frame = dataclasses.replace(
                self._frame, seq=self._seq, full=False, forced=False, note=note.rstrip(": ")
            )
            return self._frame
        now = sample.time or sample.received
        self.reparsed = set()
        snap = _CachingBuilder(Capture.open(sample.dir), self._cache, self.reparsed).build()
        snap.time = now
        rules_due = self._rules_at is None or t0 - self._rules_at >= self.rules_every_s
        if sample.groups or rules_due or self._frame is None:
            report = run_rules(snap)
            self._rules_at = t0
        else:
            report = self._frame.report
        self._seq += 1
        self._frame = Frame(
            snapshot=snap,
            report=report,
            live=True,
            time=now,
            seq=self._seq,
            full=bool(sample.groups),
            last_ok={},
            collect_s=time.monotonic() - t0,
            origin=self.origin,
            forced=full,
            note="" if state == "live" else state,
        )
        return self._frame

    def close(self) -> None:
        self.remote.close()  # type: ignore[attr-defined]
