"""Write a diagnostic bundle: a capture (redacted by default), its findings and a report.

Layout of ``FILE.tar.gz`` (one top folder, named after the file)::

    NAME/manifest.json   the capture manifest, with "redacted" and a "bundle" section
    NAME/findings.json   `offtui diagnose --format json` of the bundled capture
    NAME/report.md       `offtui diagnose --format markdown` of the bundled capture
    NAME/proc/...        the capture itself (docs/capture-format.md)

The findings are computed on the bundled (redacted) capture, so they hold no original value
either; the redaction is checked to give the same findings as the original.
"""

from __future__ import annotations

import json
import os
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from offtui import __version__
from offtui.bundle.redact import Redactor, capture_files, redact_tree
from offtui.capture import FORMAT_NAME, FORMAT_VERSION, Capture, CaptureError

#: Files a bundle adds next to the capture (regenerated when a bundle is bundled again).
BUNDLE_FILES = ("manifest.json", "findings.json", "report.md")


class BundleError(Exception):
    """A bundle cannot be written (one line for the user)."""


@dataclass(slots=True)
class BundleResult:
    path: Path
    size_bytes: int
    files: int  # capture files in the bundle (the three bundle files not counted)
    redacted: bool
    findings: int
    seconds: float
    map_path: Path | None = None
    redaction: dict = field(default_factory=dict)  # counts, as in the manifest


def _note(progress: Callable[[str], None] | None, msg: str) -> None:
    if progress is not None:
        progress(msg)


def _top_name(out: Path) -> str:
    name = out.name
    for suffix in (".tar.gz", ".tgz", ".gz", ".tar"):
        name = name.removesuffix(suffix)
    return name or "offtui-bundle"


def _reset(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    """No local user or group name in the archive; no links (a capture holds none)."""
    if info.issym() or info.islnk() or not (info.isfile() or info.isdir()):
        return None
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o755 if info.isdir() else 0o644
    return info


def make_bundle(
    target_capture: Capture | Path,
    out: Path,
    redact: bool = True,
    keep_map: Path | None = None,
    progress: Callable[[str], None] | None = None,
    *,
    key: bytes | None = None,
) -> BundleResult:
    """Write ``out`` (a ``.tar.gz``) from a capture; raise :class:`BundleError` on failure.

    ``key`` fixes the redaction key (tests); by default it is random and forgotten.
    """
    t0 = time.monotonic()
    out = Path(out)
    if keep_map is not None and Path(keep_map).resolve() == out.resolve():
        raise BundleError(f"{keep_map}: the map must not be the bundle itself")
    if keep_map is not None and not redact:
        raise BundleError("--keep-map needs redaction (there is no map without it)")
    own = not isinstance(target_capture, Capture)
    try:
        cap = Capture.open(target_capture) if own else target_capture
    except CaptureError as exc:
        raise BundleError(str(exc)) from exc
    try:
        return _write(cap, out, redact, keep_map, progress, key, t0)
    finally:
        if own:
            cap.close()


def _write(
    cap: Capture,
    out: Path,
    redact: bool,
    keep_map: Path | None,
    progress: Callable[[str], None] | None,
    key: bytes | None,
    t0: float,
) -> BundleResult:
    from offtui.engine import run_rules
    from offtui.render.facts import document
    from offtui.render.text import render_markdown
    from offtui.snapshot import build_snapshot

    names = [n for n in capture_files(cap.root) if n not in BUNDLE_FILES]
    manifest = dict(cap.manifest or {})
    if not manifest:
        manifest = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "host": None,
            "time": None,
            "collector": "hand-made",
            "redacted": False,
        }
    redactor: Redactor | None = None
    with tempfile.TemporaryDirectory(prefix="offtui-bundle-") as tmp:
        stage = Path(tmp) / _top_name(out)
        stage.mkdir()
        if redact:
            redactor = Redactor(key)
            redactor.scan_manifest(manifest)
            redact_tree(cap.root, stage, names, redactor, progress)
            manifest = redactor.redact_manifest(manifest)
        else:
            for n in names:
                _note(progress, f"copying {n}")
                dst = stage / n
                dst.parent.mkdir(parents=True, exist_ok=True)
                dst.write_bytes((cap.root / n).read_bytes())
        was_redacted = bool(manifest.get("redacted"))
        manifest["redacted"] = redact or was_redacted
        if redactor is not None:
            manifest["redaction"] = redactor.summary()
        manifest["bundle"] = {
            "created": time.time(),
            "offtui_version": __version__,
            "origin": "this host"
            if cap.manifest and cap.manifest.get("collector") == "local"
            else "capture",
            "findings": "findings.json",
            "report": "report.md",
        }
        (stage / "manifest.json").write_text(
            json.dumps(manifest, indent=1) + "\n", encoding="utf-8"
        )

        _note(progress, "diagnosing the bundled capture")
        bundled = Capture.open(stage)
        snap = build_snapshot(bundled)
        report = run_rules(snap)
        doc = document(snap, report)
        (stage / "findings.json").write_text(
            json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8"
        )
        (stage / "report.md").write_text(render_markdown(snap, report), encoding="utf-8")

        if redactor is not None:
            _note(progress, "checking the bundle for original values")
            for n in [*names, *BUNDLE_FILES]:
                left = redactor.leaks(n, (stage / n).read_bytes())
                if left:
                    raise BundleError(
                        f"refusing to write {out}: {n} still holds an original value "
                        f"({len(left)} found); please report this as a bug"
                    )

        _note(progress, f"writing {out}")
        partial = out.with_name(out.name + ".partial")
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh, tarfile.open(fileobj=fh, mode="w:gz") as tar:
                tar.add(stage, arcname=stage.name, filter=_reset)
            os.replace(partial, out)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise BundleError(f"{out}: cannot write ({exc.strerror or exc})") from exc

    map_path = None
    if redactor is not None and keep_map is not None:
        map_path = Path(keep_map)
        try:
            fd = os.open(map_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"bundle": str(out), **redactor.mapping()}, fh, indent=1)
        except OSError as exc:
            raise BundleError(f"{map_path}: cannot write the map ({exc.strerror or exc})") from exc
    return BundleResult(
        path=out,
        size_bytes=out.stat().st_size,
        files=len(names),
        redacted=bool(manifest["redacted"]),
        findings=len(report.findings),
        seconds=round(time.monotonic() - t0, 3),
        map_path=map_path,
        redaction=dict(manifest.get("redaction") or {}),
    )
