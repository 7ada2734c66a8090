"""Unpack the POSIX-sh collector's stream (``collect.sh``) into a capture directory.

The protocol is described in ``docs/collector-protocol.md``. In short: a first line
``offtui-collect/1 boundary=TOKEN``, then records whose marker lines start with
``--TOKEN `` and are always preceded by a newline that belongs to the marker (so a source's
bytes are kept exactly, with or without a final newline).

:func:`parse_stream` is pure and never raises: garbage or a stream cut short (collector
killed, SSH dropped) gives a :class:`CollectedStream` whose ``problems`` say what was lost,
with everything that arrived complete kept. :func:`write_capture` is the only function here
that touches the filesystem, and it never writes outside its destination.
"""

from __future__ import annotations

import json
import os
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offtui import __version__

FORMAT = "offtui-capture"
FORMAT_VERSION = 1
STREAM_VERSION = 1

_HEADER = re.compile(rb"offtui-collect/(\d+) boundary=([A-Za-z0-9._-]{8,128})\r?$")
#: Stream status words -> manifest status words (``timeout-suspect`` is decided below).
_STATUS = {
    "ok": "ok",
    "empty": "empty",
    "missing": "missing",
    "permission-denied": "permission denied",
    "failed": "failed",
    # live mode only: the bytes are those sent last time for this name (the reader fills
    # them in; see offtui/collector/livestream.py)
    "unchanged": "unchanged",
}
#: A gzipped source never inflates beyond this (a conntrack table of a million flows is
#: about 150 MB).
MAX_INFLATED = 512 * 1024 * 1024
_NAME_PART = re.compile(r"[A-Za-z0-9._,:@+=%~-]+")
MAX_NAME = 1024


@dataclass(slots=True)
class CollectedSource:
    """One source the collector tried: a file or a command, and what came of it."""

    name: str  # capture path, e.g. "proc/net/nf_conntrack", "commands/nft_-j_list_ruleset"
    kind: str  # "file" or "command"
    argv: list[str] | None = None  # commands only
    path: str | None = None  # files only: the absolute path read
    status: str = "failed"  # manifest word: ok, empty, missing, permission denied, ...
    exit_code: int | None = None
    stderr: str = ""
    duration_s: float | None = None
    detail: str = ""
    content: bytes = b""
    complete: bool = False  # the end record arrived


@dataclass(slots=True)
class Sample:
    """A CPU sample point: ``name`` is "0" (earlier) or "main" (the later one)."""

    name: str
    clock: str  # "uptime" (centiseconds) or "epoch" (whole seconds)
    at: float | None  # clock reading when the sample was taken
    epoch: int | None  # `date +%s` right after it
    seq: int | None = None  # live mode: the request this sample answers


@dataclass(slots=True)
class CollectedStream:
    version: int | None = None
    boundary: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    sources: list[CollectedSource] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    complete: bool = False  # the final ``done`` record arrived
    problems: list[str] = field(default_factory=list)

    @property
    def error(self) -> str | None:
        """One readable message when something was lost, else None."""
        if not self.problems:
            return None
        return "collector stream: " + "; ".join(self.problems)

    def source(self, name: str) -> CollectedSource | None:
        for s in self.sources:
            if s.name == name:
                return s
        return None

    def sample_time(self, name: str) -> float | None:
        """Unix time of a sample; relative times come from the finer clock of sample 0."""
        by_name = {s.name: s for s in self.samples}
        s = by_name.get(name)
        if s is None:
            return None
        ref = by_name.get("0")
        if (
            ref is not None
            and ref.epoch is not None
            and ref.at is not None
            and s.at is not None
            and s.clock == ref.clock
        ):
            return round(ref.epoch + (s.at - ref.at), 2)
        return float(s.epoch) if s.epoch is not None else None


def safe_name(name: str) -> str | None:
    """The capture path if it is a safe relative path inside a capture, else None.

    Rejects absolute paths, ``..``/``.``/empty components, NUL and other control
    characters, backslashes, over-long names and ``manifest.json`` itself.
    """
    if not name or len(name) > MAX_NAME or name.startswith("/"):
        return None
    parts = name.split("/")
    for p in parts:
        if p in ("", ".", "..") or len(p) > 255 or not _NAME_PART.fullmatch(p):
            return None
    if name == "manifest.json":
        return None
    return name


def _float(v: str | None) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except ValueError:
        return None
    return f if f == f and abs(f) != float("inf") else None


def _int(v: str | None) -> int | None:
    if v is None or not re.fullmatch(r"-?\d{1,19}", v):
        return None
    return int(v)


def _kv(words: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for i, w in enumerate(words):
        k, sep, v = w.partition("=")
        if not sep:
            continue
        if k == "detail":  # the last field; its value may hold spaces
            out[k] = " ".join([v, *words[i + 1 :]])
            break
        out[k] = v
    return out


def _text(b: bytes) -> str:
    return b.decode("utf-8", errors="replace")


def _finish(src: CollectedSource, fields: dict[str, str]) -> None:
    """Apply an ``end`` record's fields to a source."""
    word = fields.get("status", "")
    src.exit_code = _int(fields.get("exit"))
    t0, t1 = _float(fields.get("start")), _float(fields.get("end"))
    if t0 is not None and t1 is not None and t1 >= t0:
        src.duration_s = round(t1 - t0, 3)
    src.detail = fields.get("detail", "")
    if word == "timeout-suspect":
        limit = _float(fields.get("limit"))
        # coreutils' timeout exits 124; busybox's leaves the killed program's 143/137, which a
        # program can also return by itself: then only the measured duration decides.
        long_enough = (
            limit is not None and src.duration_s is not None and src.duration_s >= limit - 1
        )
        if src.exit_code == 124 or long_enough:
            src.status = "timed out"
            src.detail = src.detail or f"killed after the {fields.get('limit')} s limit"
        else:
            src.status = "failed"
    elif word in _STATUS:
        src.status = _STATUS[word]
    else:
        src.status = "failed"
        src.detail = src.detail or f"unknown status word {word[:40]!r}"
    enc = fields.get("enc")
    if enc is not None:
        _decode(src, enc)
    src.complete = True


def _decode(src: CollectedSource, enc: str) -> None:
    """Undo the collector's ``-z`` (``enc=gzip``); a damaged body makes the source failed."""
    if enc != "gzip":
        src.status, src.content = "failed", b""
        src.detail = f"unknown encoding {enc[:40]!r}"
        return
    d = zlib.decompressobj(wbits=31)
    try:
        out = d.decompress(src.content, MAX_INFLATED)
        if d.unconsumed_tail:
            raise ValueError(f"inflates beyond {MAX_INFLATED} bytes")
        if not d.eof:
            raise ValueError("gzip data cut short")
    except (zlib.error, ValueError) as exc:
        src.status, src.content = "failed", b""
        src.detail = f"could not decompress ({exc})"
        return
    src.content = out


def parse_stream(data: bytes) -> CollectedStream:
    """Parse a collector stream. Never raises; see ``problems`` for what was lost."""
    out = CollectedStream()
    if not isinstance(data, bytes | bytearray):
        out.problems.append("not an offtui collector stream (no bytes)")
        return out
    data = bytes(data)
    nl = data.find(b"\n")
    first = data if nl < 0 else data[:nl]
    m = _HEADER.match(first)
    if m is None:
        shown = _text(first[:60]).encode("unicode_escape").decode("ascii")
        out.problems.append(f"not an offtui collector stream (first line: {shown!r})")
        return out
    out.version = int(m.group(1)[:6])
    out.boundary = m.group(2).decode("ascii")
    if out.version != STREAM_VERSION:
        out.problems.append(f"stream version {out.version}, expected {STREAM_VERSION}")
    if nl < 0:
        out.problems.append("stream ended after its first line: nothing was collected")
        return out

    marker = b"\n--" + m.group(2) + b" "
    chunks = data[nl:].split(marker)
    if chunks[0] != b"":
        out.problems.append(f"{len(chunks[0]) - 1} stray bytes after the first line ignored")
    chunks = chunks[1:]
    cur: CollectedSource | None = None
    have_stderr = False
    names: set[str] = set()
    bad_names = 0
    begins = 0

    def close_partial(src: CollectedSource, stderr_seen: bool) -> None:
        if stderr_seen:
            src.status = "failed"
            src.detail = "stream ended before this source's status arrived"
            src.content = b""
            out.problems.append(f"{src.name}: stream ended before its status (content dropped)")
        else:
            out.problems.append(
                f"{src.name}: stream cut while it was being read "
                f"({len(src.content)} bytes received, dropped)"
            )
            src.status = "failed"
            src.detail = "stream cut while this source was being read"
            src.content = b""
        out.sources.append(src)

    for chunk in chunks:
        line, sep, body = chunk.partition(b"\n")
        words = _text(line).rstrip("\r").split(" ")
        kind = words[0]
        if kind in ("begin", "meta", "sample", "done") and cur is not None:
            # a new record while one is still open: the previous one lost its end marker
            close_partial(cur, have_stderr)
            cur = None
        if kind == "begin":
            begins += 1
            if len(words) < 3 or words[1] not in ("file", "command"):
                out.problems.append(f"malformed begin record {_text(line[:80])!r} ignored")
                continue
            raw_name = words[2]
            name = safe_name(raw_name)
            src = CollectedSource(name=name or raw_name, kind=words[1])
            if words[1] == "command":
                src.argv = [w for w in words[3:] if w]
            else:
                src.path = words[3] if len(words) > 3 and words[3] else "/" + raw_name
            src.content = body if sep else b""
            if name is None:
                bad_names += 1
                src.name = raw_name[:200]
                src.detail = "unsafe capture path rejected"
            cur, have_stderr = src, False
        elif kind == "stderr":
            if cur is None:
                out.problems.append("stderr record outside a source ignored")
                continue
            cur.stderr = _text(body)[:20000]
            have_stderr = True
        elif kind == "end":
            if cur is None:
                out.problems.append("end record outside a source ignored")
                continue
            if not have_stderr:
                out.problems.append(f"{cur.name}: end record without stderr record")
            _finish(cur, _kv(words[1:]))
            if cur.detail == "unsafe capture path rejected" or safe_name(cur.name) is None:
                cur.status, cur.content = "failed", b""
                cur.detail = "unsafe capture path rejected"
            elif cur.name in names:
                out.problems.append(f"{cur.name}: duplicate record ignored")
                cur = None
                continue
            names.add(cur.name)
            out.sources.append(cur)
            cur = None
        elif kind == "meta":
            if len(words) >= 2 and words[1]:
                out.meta[words[1][:64]] = " ".join(words[2:])[:1000]
        elif kind == "sample":
            if len(words) < 2:
                continue
            f = _kv(words[2:])
            out.samples.append(
                Sample(
                    name=words[1][:16],
                    clock=f.get("clock", ""),
                    at=_float(f.get("at")),
                    epoch=_int(f.get("epoch")),
                    seq=_int(f.get("seq")),
                )
            )
        elif kind == "done":
            # complete only when the whole line arrived and the record count matches
            n = _kv(words[1:]).get("records")
            if sep and n is not None and _int(n) == begins:
                out.complete = True
            else:
                out.problems.append(f"end-of-stream record damaged ({_text(line[:60])!r})")
        else:
            out.problems.append(f"unknown record {kind[:40]!r} ignored")

    if cur is not None:
        close_partial(cur, have_stderr)
    if bad_names:
        out.problems.append(f"{bad_names} record(s) with an unsafe capture path rejected")
    if not out.complete:
        out.problems.append("stream incomplete: the collector stopped before its end")
        sample_names = {s.name for s in out.samples}
        if "main" not in sample_names or out.source("proc/softirqs") is None:
            out.problems.append(
                "the later CPU sample (proc/stat, proc/softirqs) was lost: "
                "CPU load can only be shown since boot"
            )
    return out


def manifest(
    stream: CollectedStream, extra: dict[str, Any] | None = None, *, time: float | None = None
) -> dict[str, Any]:
    """The ``manifest.json`` content for a stream (pure); ``time`` overrides the sample's."""
    samples = [
        {"path": f"samples/{s.name}", "time": stream.sample_time(s.name)}
        for s in stream.samples
        if s.name != "main"
    ]
    sources = []
    for s in stream.sources:
        entry: dict[str, Any] = {"name": s.name, "kind": s.kind}
        if s.kind == "command":
            entry["argv"] = list(s.argv or [])
        entry.update(
            status=s.status,
            exit_code=s.exit_code,
            stderr=s.stderr,
            duration_s=s.duration_s,
            detail=s.detail,
        )
        sources.append(entry)
    ex: dict[str, Any] = {"collector_meta": dict(stream.meta)}
    if stream.problems:
        ex["collector_problems"] = list(stream.problems)
    ex["collector_complete"] = stream.complete
    if extra:
        ex.update(extra)
    host = stream.meta.get("hostname") or None
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "host": host,
        "time": time or stream.sample_time("main") or stream.sample_time("0"),
        "offtui_version": __version__,
        "collector": stream.meta.get("collector", "sh"),
        "redacted": False,
        "samples": samples,
        "sources": sources,
        "extra": ex,
    }


def _no_symlink_below(root: Path, rel: str) -> bool:
    p = root
    for part in rel.split("/"):
        p = p / part
        if p.is_symlink():
            return False
    return True


def write_capture(
    stream: CollectedStream,
    dest: Path,
    *,
    extra: dict[str, Any] | None = None,
    time: float | None = None,
) -> None:
    """Write the capture layout and ``manifest.json`` under ``dest`` (created if needed).

    Only sources with status ok/empty are written as files; every source is in the manifest.
    Nothing is ever written outside ``dest``: names are checked again here, symlinks below
    ``dest`` are refused and files are opened with ``O_NOFOLLOW``. A file that cannot be
    written is recorded in the manifest's ``extra.write_problems`` instead of raising.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    write_problems: list[str] = []
    for s in stream.sources:
        if s.status not in ("ok", "empty"):
            continue
        rel = safe_name(s.name)
        if rel is None:
            write_problems.append(f"{s.name[:200]!r}: unsafe path, not written")
            continue
        target = root / rel
        try:
            if not target.resolve().is_relative_to(root) or not _no_symlink_below(root, rel):
                write_problems.append(f"{rel}: would leave the capture directory, not written")
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if not _no_symlink_below(root, rel):
                write_problems.append(f"{rel}: symlink below the capture directory")
                continue
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
            with os.fdopen(fd, "wb") as fh:
                fh.write(s.content)
        except OSError as exc:
            write_problems.append(f"{rel}: {exc.strerror or exc}")
    man = manifest(stream, extra, time=time)
    if write_problems:
        man["extra"]["write_problems"] = write_problems
    mpath = root / "manifest.json"
    if mpath.is_symlink():
        mpath.unlink()
    mpath.write_text(json.dumps(man, indent=2, sort_keys=False) + "\n", encoding="utf-8")
