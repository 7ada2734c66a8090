"""The remote live view: one SSH session kept open, one sample per interval.

The router runs ``collect.sh -L`` (sent over the connection like the one-shot collector). It
answers one request line per sample on stdin, so offtui paces it and nothing piles up on a
slow link: a request is sent only when the previous answer has arrived. Every answer carries
the cheap sources (``/proc/stat``, ``/proc/softirqs``, the conntrack count and limit, the PPE
bound count); the heavy groups come at their own cadence or on demand:

* ``flows`` - the conntrack table and PPE tables (gzipped on the router when it has gzip):
  every ``flows_every_s``, and at least one second per 1,000 flows;
* ``config`` - identity, sysctls, ruleset, topology, settings: every ``config_every_s``;
  sources whose bytes did not change are answered ``unchanged`` (a checksum on the router);
* ``logs`` - ``ps``, ``dmesg``, ``logread``: every ``logs_every_s``, also ``unchanged``-aware;
* any of them at once with :meth:`RemoteLive.request_heavy` (the user opened that screen).

A dropped connection (or a collector killed mid-sample) turns ``state`` into
``"disconnected, retrying"``; the last data stays in the capture directory (stale) and the
session is opened again with a growing pause (1, 2, 4 ... ``retry_max_s`` s).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import queue
import re
import selectors
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from offtui.collector.livestream import LiveStreamParser
from offtui.collector.stream import CollectedSource, CollectedStream, manifest, write_capture
from offtui.sources.ssh import (
    SshError,
    SshOptions,
    SshTarget,
    classify,
    remote_command,
    script_input,
)

GROUPS = ("flows", "config", "logs")
CONNECTING = "connecting"
LIVE = "live"
RETRYING = "disconnected, retrying"
FAILED = "failed"
CLOSED = "closed"


@dataclass(slots=True)
class RemoteSample:
    """One answer of the remote collector, merged into the live capture directory.

    ``dir`` is a capture directory (read it with ``Capture.open``) holding the latest bytes of
    every source: this sample's cheap ones, the heavy ones from when they were last sent, and
    ``samples/0`` = the previous sample's CPU counters (so a snapshot built from it shows the
    load over the last interval). It is rewritten by the next :meth:`RemoteLive.next_sample`.
    """

    seq: int
    time: float | None  # the router's clock (unix time) when the sample was taken
    received: float  # this machine's time.time() when it arrived
    dir: Path
    stream: CollectedStream  # this answer's records only
    groups: frozenset[str]  # heavy groups in this answer ("flows", "config", "logs")
    wire_bytes: int  # bytes of this answer on the SSH channel
    session: int  # 1 for the first connection, +1 after every reconnect
    ppe_bound: dict[str, int] = field(default_factory=dict)  # "ppe0" -> bound entries

    def _num(self, name: str) -> int | None:
        s = self.stream.source(name)
        if s is None or s.status != "ok":
            return None
        try:
            return int(s.content.split()[0])
        except (ValueError, IndexError):
            return None

    @property
    def conntrack_count(self) -> int | None:
        return self._num("proc/sys/net/netfilter/nf_conntrack_count")

    @property
    def conntrack_max(self) -> int | None:
        return self._num("proc/sys/net/netfilter/nf_conntrack_max")


_PPE_COUNT = re.compile(r"commands/wc_-l_-sys-kernel-debug-(\w+)-bind")


class RemoteLive:
    """A live remote session. Call :meth:`start`, then :meth:`next_sample` once per refresh.

    ``state`` is one of ``connecting``, ``live``, ``disconnected, retrying``, ``failed``,
    ``closed``; ``error`` is the last failure's one-line message. Thread-safety: the session
    runs in its own thread; call the public methods from one thread (the UI's worker).
    """

    def __init__(
        self,
        target: SshTarget | str,
        ssh_options: SshOptions | None = None,
        *,
        interval: float = 1.0,
        flows_every_s: float = 10.0,
        config_every_s: float = 30.0,
        logs_every_s: float = 60.0,
        compress: bool = True,
        workdir: str | os.PathLike[str] | None = None,
        retry_max_s: float = 30.0,
        answer_timeout_s: float = 120.0,
    ) -> None:
        if isinstance(target, str):
            try:
                target = SshTarget.parse(target)
            except ValueError as exc:
                raise SshError("usage", str(exc)) from exc
        self.target = target
        opts = ssh_options or SshOptions.from_env()
        if not ssh_options:
            opts.batch = True  # a password prompt cannot share the screen with the TUI
        self.options = opts
        self.interval = interval
        self.every = {"flows": flows_every_s, "config": config_every_s, "logs": logs_every_s}
        self.compress = compress
        self.retry_max_s = retry_max_s
        self.answer_timeout_s = answer_timeout_s
        self._tmp = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="offtui-remote-")
            workdir = self._tmp.name
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.state = CONNECTING
        self.error: str | None = None
        self.sessions = 0
        self.meta: dict[str, str] = {}
        self.bytes_received = 0
        self.last_sample: RemoteSample | None = None
        self._q: queue.Queue = queue.Queue()
        self._closed = threading.Event()
        self._ready = threading.Event()
        self._first_error: SshError | None = None
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = os.pipe()
        self._proc: subprocess.Popen | None = None
        self._thread: threading.Thread | None = None
        self._sources: dict[str, CollectedSource] = {}
        self._digests: dict[str, bytes] = {}
        self._cpu_prev: tuple[float | None, dict[str, bytes]] | None = None
        self._ref: tuple[int, float] | None = None  # (epoch, uptime reading) of this session
        self._conntrack_count = 0

    # ------------------------------------------------------------------ public API

    def start(self, timeout: float = 60.0) -> None:
        """Connect and wait for the first full sample; raises :class:`SshError` on failure."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="offtui-ssh", daemon=True)
            self._thread.start()
        if not self._ready.wait(timeout):
            self.close()
            raise SshError("timeout", f"{self.target}: no first sample within {timeout:.0f} s")
        if self._first_error is not None:
            self.close()
            self.state = FAILED
            raise self._first_error

    def next_sample(self, timeout: float | None = None) -> RemoteSample | None:
        """The next answer merged into :attr:`dir`, or None if none came within ``timeout``.

        When several answers are waiting (a slow caller), all are merged and the latest is
        returned. None with ``state != "live"`` means: show the last data as stale.
        """
        try:
            item = self._q.get(timeout=timeout)
        except queue.Empty:
            return None
        items = [item]
        while True:
            try:
                items.append(self._q.get_nowait())
            except queue.Empty:
                break
        sample = None
        for it in items:
            sample = self._apply(*it)
        self.last_sample = sample
        return sample

    def request_heavy(self, *groups: str) -> None:
        """Ask for heavy groups (default: all) with the next sample, which is sent at once."""
        wanted = set(groups or GROUPS) & set(GROUPS)
        with self._lock:
            self._pending |= wanted
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"h")

    @property
    def stale(self) -> bool:
        return self.state != LIVE

    @property
    def ssh_pid(self) -> int | None:
        """The local ssh client's pid (tests kill it to drop the connection)."""
        p = self._proc
        return p.pid if p is not None and p.poll() is None else None

    def close(self) -> None:
        """End the session (the remote collector exits with it) and remove the directory."""
        self._closed.set()
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"q")
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        self._stop_proc()
        self.state = CLOSED
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._wake_r = self._wake_w = -1
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # ------------------------------------------------------------------ session thread

    def _run(self) -> None:
        pause = 1.0
        while not self._closed.is_set():
            self.sessions += 1
            got_any, err = self._session()
            if self._closed.is_set():
                break
            if not self._ready.is_set():
                self._first_error = err or SshError("ssh", f"{self.target}: session ended")
                self.error = str(self._first_error)
                self.state = FAILED
                self._ready.set()
                return
            self.state = RETRYING
            self.error = str(err) if err else f"{self.target}: connection closed"
            if got_any:
                pause = 1.0
            if self._closed.wait(pause):
                break
            pause = min(pause * 2, self.retry_max_s)

    def _stop_proc(self) -> None:
        p = self._proc
        if p is None:
            return
        if p.poll() is None:
            with contextlib.suppress(OSError, ValueError):
                p.stdin.write(b"quit\n")  # type: ignore[union-attr]
                p.stdin.close()  # type: ignore[union-attr]
            try:
                p.wait(timeout=2)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
        for f in (p.stdin, p.stdout, p.stderr):
            with contextlib.suppress(OSError, ValueError):
                if f is not None:
                    f.close()

    def _due(self, now: float, last: dict[str, float]) -> set[str]:
        due = set()
        for g in GROUPS:
            every = self.every[g]
            if g == "flows":
                every = max(every, self._conntrack_count / 1000)
            if g not in last or now - last[g] >= every:
                due.add(g)
        return due

    def _session(self) -> tuple[bool, SshError | None]:
        """One connection: returns (an answer arrived, the error that ended it)."""
        args = ["-L", "-z"] if self.compress else ["-L"]
        argv = self.options.argv(self.target, remote_command(args), keepalive=True)
        self._ref = None
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # Ctrl-C in the TUI must not kill ssh behind its back
            )
        except FileNotFoundError:
            return False, SshError("usage", f"{self.options.program}: ssh client not installed")
        self._proc = proc
        assert proc.stdin and proc.stdout and proc.stderr
        stderr = bytearray()
        parser = LiveStreamParser()
        got_any = False
        sel = selectors.DefaultSelector()
        try:
            try:
                proc.stdin.write(script_input())
                proc.stdin.flush()
            except OSError:
                pass
            sel.register(proc.stdout, selectors.EVENT_READ, "out")
            sel.register(proc.stderr, selectors.EVENT_READ, "err")
            sel.register(self._wake_r, selectors.EVENT_READ, "wake")
            seq = 0
            asked: float | None = None  # when the outstanding request was sent
            asked_groups: frozenset[str] = frozenset()
            next_tick = time.monotonic()
            last: dict[str, float] = {}
            received = 0
            open_fds = 2
            while open_fds and not self._closed.is_set():
                now = time.monotonic()
                if parser.hello is not None and asked is None and now >= next_tick:
                    with self._lock:
                        groups = self._due(now, last) | self._pending
                        self._pending = set()
                    words = sorted(groups)
                    if seq == 0:
                        words.append("epoch")
                    seq += 1
                    try:
                        proc.stdin.write(f"tick {seq} {' '.join(words)}\n".encode())
                        proc.stdin.flush()
                    except OSError:
                        break
                    for g in groups:
                        last[g] = now
                    asked, asked_groups = now, frozenset(groups)
                    next_tick = now + self.interval
                if asked is not None and now - asked > self.answer_timeout_s:
                    err = SshError(
                        "timeout", f"{self.target}: no answer for {self.answer_timeout_s:.0f} s"
                    )
                    return got_any, err
                wait = 1.0 if asked is not None else max(0.0, next_tick - now)
                for key, _ in sel.select(timeout=min(wait, 1.0)):
                    if key.data == "wake":
                        with contextlib.suppress(OSError):
                            os.read(self._wake_r, 64)
                        if self._pending:
                            next_tick = time.monotonic()
                        continue
                    data = os.read(key.fd, 1 << 18)
                    if not data:
                        sel.unregister(key.fileobj)
                        open_fds -= 1
                        continue
                    if key.data == "err":
                        stderr += data
                        del stderr[:-8000]
                        continue
                    received += len(data)
                    self.bytes_received += len(data)
                    for stream in parser.feed(data):
                        got_any = True
                        self._q.put((stream, received, asked_groups, self.sessions))
                        received = 0
                        asked = None
                        if parser.answers == 1 and parser.hello is not None:
                            self.meta = dict(parser.hello.meta)  # this session's collector
                        self.state = LIVE
                        self.error = None
                        self._ready.set()
                    if parser.error:
                        return got_any, SshError("not-a-stream", f"{self.target}: {parser.error}")
        finally:
            sel.close()
            self._stop_proc()
        rc = proc.returncode
        text = stderr.decode("utf-8", "replace")
        if parser.hello is None and not got_any:
            return got_any, classify(rc, text, self.target)
        lost = classify(rc, text, self.target)
        why = str(lost).split(": ", 1)[1] if lost.kind != "ssh" or text.strip() else ""
        msg = f"{self.target}: connection lost" + (f" ({why})" if why else "")
        if asked is not None:
            msg = f"{self.target}: collector stopped mid-sample" + (f" ({why})" if why else "")
        return got_any, SshError("killed" if asked is not None else lost.kind, msg)

    # ------------------------------------------------------------------ merging

    def _apply(
        self, stream: CollectedStream, wire: int, groups: frozenset[str], session: int
    ) -> RemoteSample:
        main = next((s for s in stream.samples if s.name == "main"), None)
        if main is not None and main.epoch is not None and main.at is not None:
            self._ref = (main.epoch, main.at)
        t = None
        if main is not None and main.at is not None and self._ref is not None:
            t = round(self._ref[0] + (main.at - self._ref[1]), 2)
        changed: list[CollectedSource] = []
        for src in stream.sources:
            if src.status in ("ok", "empty"):
                digest = hashlib.blake2b(src.content, digest_size=16).digest()
                if self._digests.get(src.name) != digest:
                    changed.append(src)
                    self._digests[src.name] = digest
            else:
                self._digests.pop(src.name, None)
                with contextlib.suppress(OSError):
                    (self.dir / src.name).unlink()
            self._sources[src.name] = dataclasses.replace(src, content=b"")
        # the previous sample's CPU counters become samples/0 (load over the last interval)
        cpu = {
            n: s.content
            for n in ("proc/stat", "proc/softirqs")
            if (s := stream.source(n)) is not None and s.status == "ok"
        }
        prev_cpu = self._cpu_prev
        if prev_cpu is not None:
            for n, data in prev_cpu[1].items():
                changed.append(
                    CollectedSource(name=f"samples/0/{n}", kind="file", status="ok", content=data)
                )
        self._cpu_prev = (t, cpu)
        write_capture(CollectedStream(sources=changed), self.dir)
        whole = CollectedStream(meta=dict(self.meta), sources=list(self._sources.values()))
        extra = {
            "remote": {
                "target": str(self.target),
                "session": session,
                "seq": stream_seq(stream),
                "groups": sorted(groups),
                "wire_bytes": wire,
                "state": self.state,
            }
        }
        man = manifest(whole, extra, time=t)
        man["samples"] = (
            [{"path": "samples/0", "time": prev_cpu[0]}] if prev_cpu is not None else []
        )
        man["extra"]["collector_problems"] = list(stream.problems)
        man["extra"]["collector_complete"] = stream.complete
        tmp = self.dir / "manifest.json.tmp"
        tmp.write_text(json.dumps(man, indent=1) + "\n", encoding="utf-8")
        tmp.replace(self.dir / "manifest.json")
        sample = RemoteSample(
            seq=stream_seq(stream),
            time=t,
            received=time.time(),
            dir=self.dir,
            stream=stream,
            groups=groups,
            wire_bytes=wire,
            session=session,
        )
        for s in stream.sources:
            m = _PPE_COUNT.fullmatch(s.name)
            if m and s.status == "ok":
                with contextlib.suppress(ValueError, IndexError):
                    sample.ppe_bound[m.group(1)] = int(s.content.split()[0])
        if sample.conntrack_count is not None:
            self._conntrack_count = sample.conntrack_count
        return sample


def stream_seq(stream: CollectedStream) -> int:
    """The request number an answer carries (its sample record's ``seq=``), or 0."""
    main = next((s for s in stream.samples if s.name == "main"), None)
    return (main.seq or 0) if main is not None else 0
