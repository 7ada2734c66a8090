"""Read-only access to a capture (a directory, or a ``.tar.gz`` of one).

The layout is documented in ``docs/capture-format.md``. A capture put together by hand
(a few files, no manifest) is valid: what is absent is reported as "not collected".
"""

from __future__ import annotations

import json
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
        if tarfile.is_tarfile(path):
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
            version = manifest.get("format_version")
            if version is not None and version != FORMAT_VERSION:
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
            extract_archive(archive, dest)
        except CaptureError:
            tmp.cleanup()
            raise
        # An archive holds one top folder (the capture) or the capture's files directly.
        entries = [p for p in dest.iterdir()]
        root = entries[0] if len(entries) == 1 and entries[0].is_dir() else dest
        cap = cls._from_dir(root, origin=str(archive))
        cap._tmp = tmp
        return cap

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # ------------------------------------------------------------------ reading

    def _path(self, name: str) -> Path | None:
        pure = PurePosixPath(name)
        if pure.is_absolute() or ".." in pure.parts:
            return None
        return self.root.joinpath(*pure.parts)

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
            p.relative_to(self.root).as_posix() for p in self.root.glob(pattern) if p.is_file()
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


def extract_archive(archive: Path, dest: Path) -> None:
    """Unpack an untrusted ``.tar.gz`` into ``dest`` and nowhere else.

    Uses the standard library's ``data`` extraction filter (PEP 706) and refuses links,
    devices, and archives larger than :data:`MAX_ARCHIVE_FILES` / :data:`MAX_ARCHIVE_BYTES`.
    """
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = []
            total = 0
            for m in tar:
                if len(members) >= MAX_ARCHIVE_FILES:
                    raise CaptureError(f"{archive}: more than {MAX_ARCHIVE_FILES} files, refused")
                if m.issym() or m.islnk():
                    raise CaptureError(f"{archive}: contains a link ({m.name}), refused")
                if not (m.isfile() or m.isdir()):
                    raise CaptureError(f"{archive}: contains a special file ({m.name}), refused")
                total += m.size
                if total > MAX_ARCHIVE_BYTES:
                    raise CaptureError(
                        f"{archive}: unpacks to more than {MAX_ARCHIVE_BYTES} bytes, refused"
                    )
                members.append(m)
            try:
                tar.extractall(dest, members=members, filter="data")
            except tarfile.FilterError as exc:
                raise CaptureError(f"{archive}: unsafe member refused ({exc})") from exc
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise CaptureError(f"{archive}: unreadable archive ({exc})") from exc


def write_archive(capture_dir: Path, out: Path) -> None:
    """Pack a capture directory as ``out`` (a ``.tar.gz`` with one top folder)."""
    top = out.name.removesuffix(".tar.gz").removesuffix(".tgz") or "capture"
    with tarfile.open(out, "w:gz") as tar:
        tar.add(capture_dir, arcname=top)


def copy_capture(src: Path, dest: Path) -> None:
    shutil.copytree(src, dest, dirs_exist_ok=True)
