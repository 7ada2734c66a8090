"""Opening untrusted bundles: hostile archives are refused and nothing lands outside a temp dir."""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

import offtui.capture as capture_mod
from offtui.capture import Capture, CaptureError
from tests.cli_helpers import offtui


def _add(tar: tarfile.TarFile, name: str, data: bytes = b"x\n", **kw: object) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for k, v in kw.items():
        setattr(info, k, v)
    tar.addfile(info, io.BytesIO(data) if info.isreg() else None)


def _archive(path: Path, build: Callable[[tarfile.TarFile], None], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as tar:
        _add(tar, "cap/proc/stat", b"cpu  1 2 3 4\n")
        build(tar)
    return path


def _outside(tmp_path: Path) -> Path:
    return tmp_path / "outside"


HOSTILE: dict[str, tuple[Callable[[tarfile.TarFile, Path], None], str]] = {
    "traversal": (lambda t, o: _add(t, "cap/../../outside/escaped"), "path traversal"),
    "absolute": (lambda t, o: _add(t, str(o / "abs")), "absolute path"),
    "symlink": (
        lambda t, o: _add(t, "cap/link", type=tarfile.SYMTYPE, linkname="/etc/passwd"),
        "symbolic link",
    ),
    "symlink-dir": (
        lambda t, o: (
            _add(t, "cap/d", type=tarfile.SYMTYPE, linkname=str(o)),
            _add(t, "cap/d/through"),
        ),
        "symbolic link",
    ),
    "hardlink": (
        lambda t, o: _add(t, "cap/hl", type=tarfile.LNKTYPE, linkname="/etc/passwd"),
        "hard link",
    ),
    "device": (
        lambda t, o: _add(t, "cap/dev", type=tarfile.CHRTYPE, devmajor=1, devminor=3),
        "device",
    ),
    "fifo": (lambda t, o: _add(t, "cap/fifo", type=tarfile.FIFOTYPE), "device or fifo"),
}


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temporary folders of this test go to tmp_path/tmp, so we can see what is left there."""
    t = tmp_path / "tmp"
    t.mkdir()
    monkeypatch.setenv("TMPDIR", str(t))
    monkeypatch.setattr(tempfile, "tempdir", str(t))
    _outside(tmp_path).mkdir()
    return t


def _nothing_written(tmp_path: Path, private: Path) -> None:
    assert list(_outside(tmp_path).iterdir()) == []
    assert list(private.iterdir()) == []  # the private folder was removed too
    assert not Path("/etc/passwd.offtui").exists()


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_archive_refused(tmp_path: Path, private_tmp: Path, kind: str) -> None:
    build, reason = HOSTILE[kind]
    arc = _archive(tmp_path / f"{kind}.tar.gz", lambda t: build(t, _outside(tmp_path)))
    with pytest.raises(CaptureError, match=reason) as exc:
        Capture.open(arc)
    assert "\n" not in str(exc.value)
    _nothing_written(tmp_path, private_tmp)


@pytest.mark.parametrize("kind", ["traversal", "symlink", "device"])
def test_cli_refuses_with_one_line_and_exit_2(tmp_path: Path, private_tmp: Path, kind: str) -> None:
    build, reason = HOSTILE[kind]
    arc = _archive(tmp_path / f"{kind}.tar.gz", lambda t: build(t, _outside(tmp_path)))
    for argv in (["diagnose", str(arc)], ["bundle", str(arc), "-o", str(tmp_path / "o.tar.gz")]):
        p = offtui(*argv)
        assert p.returncode == 2, p.stderr
        assert p.stderr.count("\n") == 1 and reason in p.stderr
    assert not (tmp_path / "o.tar.gz").exists()
    _nothing_written(tmp_path, private_tmp)


def test_too_many_files(tmp_path: Path, private_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(capture_mod, "MAX_ARCHIVE_FILES", 10)

    def many(t: tarfile.TarFile) -> None:
        for i in range(10):
            _add(t, f"cap/f{i}")

    arc = _archive(tmp_path / "many.tar.gz", many)  # 11 members with proc/stat
    with pytest.raises(CaptureError, match="more than 10 files"):
        Capture.open(arc)
    _nothing_written(tmp_path, private_tmp)


@pytest.mark.parametrize("mode", ["w:gz", "w:xz", "w:bz2"])
def test_decompression_bomb(
    tmp_path: Path, private_tmp: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setattr(capture_mod, "MAX_ARCHIVE_BYTES", 1 << 20)
    arc = _archive(tmp_path / "bomb.tar", lambda t: _add(t, "cap/zeros", b"\0" * (4 << 20)), mode)
    assert arc.stat().st_size < 64 << 10  # it really is a bomb: tiny packed, 4 MiB unpacked
    with pytest.raises(CaptureError, match="more than 1048576 bytes"):
        Capture.open(arc)
    _nothing_written(tmp_path, private_tmp)


def test_bomb_in_a_header_is_cut_by_the_stream_limit(
    tmp_path: Path, private_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pax header is read whole by tarfile: only the decompressed-stream limit stops it."""
    monkeypatch.setattr(capture_mod, "MAX_ARCHIVE_BYTES", 1 << 20)
    monkeypatch.setattr(capture_mod, "ARCHIVE_OVERHEAD_BYTES", 1 << 20)

    def pax(t: tarfile.TarFile) -> None:
        info = tarfile.TarInfo("cap/p")
        info.pax_headers = {"comment": "A" * (4 << 20)}
        t.addfile(info, io.BytesIO(b""))

    arc = _archive(tmp_path / "pax.tar.gz", pax, "w:gz")
    with tarfile.open(arc) as probe:  # the members themselves claim almost nothing
        assert sum(m.size for m in probe.getmembers()) < 1 << 10
    with pytest.raises(CaptureError, match="more than"):
        Capture.open(arc)
    _nothing_written(tmp_path, private_tmp)


@pytest.mark.parametrize("version", [2, "1", True, None])
def test_manifest_version(tmp_path: Path, private_tmp: Path, version: object) -> None:
    manifest = {"format": "offtui-capture", "format_version": version}
    arc = _archive(
        tmp_path / "m.tar.gz", lambda t: _add(t, "cap/manifest.json", json.dumps(manifest).encode())
    )
    if version is None:  # no version at all: a hand-made manifest, read
        Capture.open(arc).close()
        return
    with pytest.raises(CaptureError, match="format version"):
        Capture.open(arc)
    _nothing_written(tmp_path, private_tmp)


def test_foreign_manifest_refused(tmp_path: Path, private_tmp: Path) -> None:
    arc = _archive(
        tmp_path / "f.tar.gz",
        lambda t: _add(t, "cap/manifest.json", b'{"format": "sosreport", "format_version": 1}'),
    )
    with pytest.raises(CaptureError, match="not an offtui capture"):
        Capture.open(arc)


def test_not_an_archive(tmp_path: Path, private_tmp: Path) -> None:
    f = tmp_path / "notes.txt"
    f.write_text("hello\n")
    with pytest.raises(CaptureError, match="not a capture directory"):
        Capture.open(f)
    assert list(private_tmp.iterdir()) == []


def test_good_archive_opens_in_a_private_folder(tmp_path: Path, private_tmp: Path) -> None:
    arc = _archive(tmp_path / "ok.tar.gz", lambda t: None)
    cap = Capture.open(arc)
    try:
        assert cap.read_text("proc/stat") == "cpu  1 2 3 4\n"
        assert cap.root.is_relative_to(private_tmp)
        assert (cap.root.parent.stat().st_mode & 0o077) == 0
    finally:
        cap.close()
    assert list(private_tmp.iterdir()) == []


def test_capture_dir_never_reads_through_a_link_out(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("outside\n")
    cap_dir = tmp_path / "cap" / "proc"
    cap_dir.mkdir(parents=True)
    (cap_dir / "version").symlink_to(secret)
    cap = Capture.open(tmp_path / "cap")
    assert cap.read_text("proc/version") is None
    assert cap.glob("proc/*") == []
