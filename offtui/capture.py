"""Read-only access to a capture (a directory, or a ``.tar.gz`` of one).

The layout is documented in ``docs/capture-format.md``. A capture put together by hand
(a few files, no manifest) is valid: what is absent is reported as "not collected".
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from offtui.model import SourceState, SourceStatus

FORMAT_NAME = "offtui-capture"
FORMAT_VERSION = 1

#: Limits for unpacking an archive (a bundle from someone else is untrusted).
MAX_ARCHIVE_FILES = 20_000
MAX_ARCHIVE_BYTES = 512 * 1024 * 1024


class CaptureError(Exception):
    """A capture cannot be opened at all (the message is one line for the user)."""


@dataclass(slots=True)
class Capture:
    """A capture on disk. Paths given to its methods are capture paths (``proc/stat``)."""

    root: Path
    manifest: dict | None = None
    origin: str = ""  # what the user named: a directory or an archive
    _tmp: tempfile.TemporaryDirectory | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, target: str | os.PathLike[str]) -> Capture:
        """Open a capture directory or ``.tar.gz``; raise :class:`CaptureError` with a reason."""
        path = Path(target)
        if not path.exists():
            raise CaptureError(f"{path}: no such file or directory")
        if path.is_dir():
            return cls._from_dir(path, origin=str(path))
        if path.is_file():
            # Not tarfile.is_tarfile(): it reads the first header unbounded (a pax bomb).
            return cls._from_archive(path)
        raise CaptureError(f"{path}: not a capture directory or .tar.gz archive")

    @classmethod
    def _from_dir(cls, root: Path, origin: str) -> Capture:
        manifest = None
        mpath = root / "manifest.json"
        if mpath.is_file():
            try:
                manifest = json.loads(mpath.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CaptureError(f"{mpath}: unreadable manifest ({exc})") from exc
            if not isinstance(manifest, dict):
                raise CaptureError(f"{mpath}: manifest is not a JSON object")
            fmt = manifest.get("format")
            if fmt is not None and fmt != FORMAT_NAME:
                raise CaptureError(f"{mpath}: not an offtui capture manifest (format {fmt!r})")
            version = manifest.get("format_version")
            if version is not None and (type(version) is not int or version != FORMAT_VERSION):
                raise CaptureError(
                    f"{mpath}: capture format version {version!r} is not supported "
                    f"(this offtui reads version {FORMAT_VERSION})"
                )
        return cls(root=root, manifest=manifest, origin=origin)

    @classmethod
    def _from_archive(cls, archive: Path) -> Capture:
        tmp = tempfile.TemporaryDirectory(prefix="offtui-capture-")
        dest = Path(tmp.name)
        try:
            try:
                extract_archive(archive, dest)
            except CaptureError as exc:
                if "unreadable archive" in str(exc) and not any(dest.iterdir()):
                    raise CaptureError(
                        f"{archive}: not a capture directory or .tar.gz archive"
                    ) from exc
                raise
            # An archive holds one top folder (the capture) or the capture's files directly.
            entries = [p for p in dest.iterdir()]
            root = entries[0] if len(entries) == 1 and entries[0].is_dir() else dest
            cap = cls._from_dir(root, origin=str(archive))
        except CaptureError:
            tmp.cleanup()
            raise
        cap._tmp = tmp
        return cap

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # ------------------------------------------------------------------ reading

    def _path(self, name: str) -> Path | None:
        """The file of a capture path; None outside the capture (``..``, or a link out of it)."""
        pure = PurePosixPath(name)
        if pure.is_absolute() or ".." in pure.parts:
            return None
        p = self.root.joinpath(*pure.parts)
        if p.is_symlink() or any(q.is_symlink() for q in p.parents if self.root in q.parents):
            try:
                p.resolve().relative_to(self.root.resolve())
            except (ValueError, OSError):
                return None
        return p

    def exists(self, name: str) -> bool:
        p = self._path(name)
        return p is not None and p.is_file()

    def read_bytes(self, name: str) -> bytes | None:
        p = self._path(name)
        if p is None or not p.is_file():
            return None
        try:
            return p.read_bytes()
        except OSError:
            return None

    def read_text(self, name: str) -> str | None:
        data = self.read_bytes(name)
        return None if data is None else data.decode("utf-8", errors="replace")

    def glob(self, pattern: str) -> list[str]:
        """Capture paths matching a glob (``sys/kernel/debug/ppe*/entries``), sorted."""
        return sorted(
            n
            for n in (p.relative_to(self.root).as_posix() for p in self.root.glob(pattern))
            if self._path(n) is not None and (self.root / n).is_file()
        )

    # ------------------------------------------------------------------ metadata

    @property
    def time(self) -> float | None:
        t = (self.manifest or {}).get("time")
        return float(t) if isinstance(t, int | float) else None

    @property
    def host(self) -> str | None:
        h = (self.manifest or {}).get("host")
        if isinstance(h, str) and h:
            return h
        name = self.read_text("proc/sys/kernel/hostname")
        return name.strip() or None if name else None

    @property
    def redacted(self) -> bool:
        return bool((self.manifest or {}).get("redacted"))

    def describe(self) -> str:
        """One line for a title bar: what was captured, when, and whether it is redacted."""
        import time as _time

        when = (
            _time.strftime("%Y-%m-%d %H:%M:%S", _time.localtime(self.time))
            if self.time is not None
            else "time unknown"
        )
        state = "redacted" if self.redacted else "not redacted"
        bundle = " bundle" if (self.manifest or {}).get("bundle") else ""
        return f"{self.host or 'unknown host'}, captured {when} ({state}{bundle}, read-only)"

    def samples(self) -> list[tuple[str, float | None]]:
        """Earlier samples (prefix, time), oldest first; the main tree is the latest sample."""
        out: list[tuple[str, float | None]] = []
        for s in (self.manifest or {}).get("samples") or []:
            if isinstance(s, dict) and isinstance(s.get("path"), str):
                t = s.get("time")
                out.append((s["path"].strip("/"), float(t) if isinstance(t, int | float) else None))
        if not out:
            base = self.root / "samples"
            if base.is_dir():
                out = [(f"samples/{d.name}", None) for d in sorted(base.iterdir()) if d.is_dir()]
        return out

    def manifest_sources(self) -> dict[str, SourceStatus]:
        """Statuses the collector recorded, by capture path."""
        out: dict[str, SourceStatus] = {}
        for s in (self.manifest or {}).get("sources") or []:
            if not isinstance(s, dict) or not isinstance(s.get("name"), str):
                continue
            try:
                state = SourceState(s.get("status", "ok"))
            except ValueError:
                state = SourceState.FAILED
            out[s["name"]] = SourceStatus(
                name=s["name"],
                state=state,
                detail=str(s.get("detail") or ""),
                hint=str(s.get("hint") or ""),
                exit_code=s.get("exit_code") if isinstance(s.get("exit_code"), int) else None,
                stderr=str(s.get("stderr") or ""),
                duration_s=s.get("duration_s")
                if isinstance(s.get("duration_s"), int | float)
                else None,
            )
        return out


#: Decompressed bytes the reader accepts beyond the members' data (tar headers, padding).
ARCHIVE_OVERHEAD_BYTES = 64 * 1024 * 1024


class _Limited(io.RawIOBase):
    """A decompressed stream that stops a decompression bomb at a fixed number of bytes."""

    def __init__(self, inner: io.BufferedIOBase | gzip.GzipFile, limit: int, archive: Path) -> None:
        self.inner = inner
        self.left = limit
        self.archive = archive

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.inner.close()
        super().close()

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.inner.read(min(len(b), self.left + 1))
        if len(data) > self.left:
            raise CaptureError(
                f"{self.archive}: unpacks to more than {MAX_ARCHIVE_BYTES} bytes, refused"
            )
        self.left -= len(data)
        b[: len(data)] = data
        return len(data)


def _open_stream(archive: Path) -> io.RawIOBase:
    """The archive's tar stream, decompressed by us so that its size can be bounded."""
    with open(archive, "rb") as f:
        magic = f.read(6)
    opener = open
    if magic[:2] == b"\x1f\x8b":
        opener = gzip.open  # type: ignore[assignment]
    elif magic[:3] == b"BZh":
        opener = bz2.open  # type: ignore[assignment]
    elif magic == b"\xfd7zXZ\x00":
        opener = lzma.open  # type: ignore[assignment]
    inner = opener(archive, "rb")  # closed with the stream (see _Limited.close)
    return _Limited(inner, MAX_ARCHIVE_BYTES + ARCHIVE_OVERHEAD_BYTES, archive)


def _check_member(archive: Path, m: tarfile.TarInfo, dest: Path) -> None:
    """Refuse what a capture never holds, each with its own one-line reason."""
    name = m.name
    pure = PurePosixPath(name)
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise CaptureError(f"{archive}: absolute path {name!r} in the archive, refused")
    if ".." in pure.parts:
        raise CaptureError(f"{archive}: path traversal {name!r} in the archive, refused")
    if m.issym() or m.islnk():
        kind = "symbolic link" if m.issym() else "hard link"
        raise CaptureError(f"{archive}: contains a {kind} ({name} -> {m.linkname}), refused")
    if m.ischr() or m.isblk() or m.isfifo():
        raise CaptureError(f"{archive}: contains a device or fifo ({name}), refused")
    if not (m.isfile() or m.isdir()):
        raise CaptureError(f"{archive}: contains a special member ({name}), refused")
    try:
        tarfile.data_filter(m, str(dest))  # PEP 706: the standard library's own verdict
    except tarfile.FilterError as exc:
        raise CaptureError(f"{archive}: unsafe member refused ({exc})") from exc


def extract_archive(archive: Path, dest: Path) -> None:
    """Unpack an untrusted archive (``.tar.gz``, or plain/bz2/xz tar) into ``dest`` only.

    The whole archive is checked before anything is written: absolute paths, ``..``,
    symbolic and hard links, devices and fifos are refused, as are more than
    :data:`MAX_ARCHIVE_FILES` members or :data:`MAX_ARCHIVE_BYTES` unpacked (the stream
    itself is cut there, so a bomb never gets decompressed in full). Extraction then goes
    through the standard library's ``data`` filter (PEP 706).
    """
    try:
        with _open_stream(archive) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
            total = 0
            for count, m in enumerate(tar, 1):
                if count > MAX_ARCHIVE_FILES:
                    raise CaptureError(f"{archive}: more than {MAX_ARCHIVE_FILES} files, refused")
                _check_member(archive, m, dest)
                total += m.size
                if total > MAX_ARCHIVE_BYTES:
                    raise CaptureError(
                        f"{archive}: unpacks to more than {MAX_ARCHIVE_BYTES} bytes, refused"
                    )
        with _open_stream(archive) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
            for m in tar:
                _check_member(archive, m, dest)  # the same stream again: same verdicts
                tar.extract(m, dest, filter="data")
    except CaptureError:
        raise
    except tarfile.FilterError as exc:
        raise CaptureError(f"{archive}: unsafe member refused ({exc})") from exc
    except (tarfile.TarError, OSError, EOFError, lzma.LZMAError) as exc:
        raise CaptureError(f"{archive}: unreadable archive ({exc})") from exc


def write_archive(capture_dir: Path, out: Path) -> None:
    """Pack a capture directory as ``out`` (a ``.tar.gz`` with one top folder)."""
    top = out.name.removesuffix(".tar.gz").removesuffix(".tgz") or "capture"
    with tarfile.open(out, "w:gz") as tar:
        tar.add(capture_dir, arcname=top)


def copy_capture(src: Path, dest: Path) -> None:
    shutil.copytree(src, dest, dirs_exist_ok=True)
