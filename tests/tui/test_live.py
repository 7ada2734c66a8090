"""The live source over a fake root (a copy of a real lab capture): cadence, reuse, staleness."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from offtui.demo import demo_path
from offtui.sources import local
from offtui.sources.live import LiveSource
from tests.tui.conftest import LAB

#: The shipped copy of the lab capture (stable while the lab regenerates its own).
SFO = demo_path("routed-sfo")


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if not SFO.is_dir():
        pytest.skip("lab capture routed-sfo not in this checkout")
    r = tmp_path / "root"
    for sub in ("proc", "sys", "etc"):
        if (SFO / sub).is_dir():
            shutil.copytree(SFO / sub, r / sub)

    def missing(*args, **kw):
        spec_or_host = args[1] if len(args) > 1 else None
        name = getattr(spec_or_host, "name", "netlink/x")
        return {"name": name, "kind": "command", "status": "missing", "detail": "not in this test"}

    # commands and netlink would read this machine, not the fake root
    monkeypatch.setattr(local, "_run", missing)
    monkeypatch.setattr(local, "_netlink_links", lambda dest: missing(None, None))
    monkeypatch.setattr(local, "_netlink_conntrack", lambda host, dest: missing(None, None))
    return r


def test_first_frame_reads_everything(root: Path, tmp_path: Path) -> None:
    src = LiveSource(root=str(root), workdir=str(tmp_path / "w"))
    f = src.collect()
    # routed-sfo/proc/net/nf_conntrack: 4 lines, all [OFFLOAD] (grep -c OFFLOAD = 4)
    assert f.live and f.full and f.seq == 1
    assert f.snapshot.conntrack is not None
    assert (f.snapshot.conntrack.total, f.snapshot.conntrack.offload) == (4, 4)
    assert f.snapshot.cpu is not None and not f.snapshot.cpu.since_boot
    assert "proc/net/nf_conntrack" in f.last_ok
    src.close()


def test_cheap_tick_reuses_and_full_tick_does_not_reparse_unchanged(root: Path) -> None:
    src = LiveSource(root=str(root), conntrack_every_s=3600, slow_every_s=3600)
    first = src.collect()
    second = src.collect()  # the commands left out of the first frame
    assert second.full
    cheap = src.collect()
    assert not cheap.full
    assert cheap.snapshot.conntrack is first.snapshot.conntrack  # not read again
    assert cheap.report is second.report  # rules are not run again on a cheap tick
    again = src.collect(full=True)
    assert again.full
    assert "proc/net/nf_conntrack" not in src.reparsed  # same bytes: parsed value reused
    assert again.snapshot.conntrack is first.snapshot.conntrack
    # Variant of the real capture: its first line again with sport 55900 -> 55901.
    ct = root / "proc/net/nf_conntrack"
    line = ct.read_text().splitlines()[0]
    assert "sport=55900" in line
    ct.write_text(ct.read_text() + line.replace("sport=55900", "sport=55901") + "\n")
    changed = src.collect(full=True)
    assert "proc/net/nf_conntrack" in src.reparsed
    assert changed.snapshot.conntrack.total == 5
    src.close()


def test_failing_source_keeps_its_last_data(root: Path) -> None:
    src = LiveSource(root=str(root))
    src.collect()
    (root / "proc/net/nf_conntrack").unlink()
    f = src.collect(full=True)
    st = f.snapshot.source("proc/net/nf_conntrack")
    assert st is not None and st.state.value == "missing"
    assert f.snapshot.conntrack is not None and f.snapshot.conntrack.total == 4  # stale data
    assert "proc/net/nf_conntrack" in f.last_ok
    src.close()


def test_big_tables_are_read_less_often(root: Path) -> None:
    src = LiveSource(root=str(root), conntrack_every_s=5)
    src.collect()
    assert src._flows_every == 5  # 4 flows: the configured cadence
    many = LAB / "many-flows" / "proc/net/nf_conntrack"
    if not many.is_file():
        pytest.skip("lab capture many-flows not in this checkout")
    shutil.copy(many, root / "proc/net/nf_conntrack")  # 10004 lines (wc -l)
    f = src.collect(full=True)
    assert f.snapshot.conntrack.total == 10004
    assert src._flows_every == pytest.approx(10.004)  # one second per 1,000 entries
    src.close()
