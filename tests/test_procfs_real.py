"""This host's real /proc files parse with zero unparsed lines, and give a sane CpuLoad."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from offtui.cpuload import cpu_load
from offtui.parsers.procfs import (
    parse_interrupts,
    parse_modules,
    parse_proc_stat,
    parse_softirqs,
)
from offtui.parsers.sysctl import parse_sysctl_files

PROC = Path("/proc")


def _read(name: str) -> str:
    path = PROC / name
    if not path.exists():
        pytest.skip(f"/proc/{name} does not exist on this host")
    return path.read_text()


def test_real_proc_stat() -> None:
    r = parse_proc_stat(_read("stat"))
    assert r.unparsed_count == 0, r.unparsed
    # /proc/stat lists online CPUs; os.cpu_count() counts the CPUs the system has.
    assert len(r.value.cpus) == os.cpu_count()
    assert r.value.btime is not None and r.value.btime > 0


def test_real_softirqs() -> None:
    r = parse_softirqs(_read("softirqs"))
    assert r.unparsed_count == 0, r.unparsed
    assert "NET_RX" in r.value.counts and "NET_TX" in r.value.counts
    assert len(r.value.cpus) >= (os.cpu_count() or 1)  # possible CPUs >= online


def test_real_interrupts() -> None:
    text = _read("interrupts")
    r = parse_interrupts(text)
    assert r.unparsed_count == 0, r.unparsed
    rows = sum(1 for line in text.splitlines()[1:] if line.strip())
    assert len(r.value) == rows


def test_real_modules() -> None:
    text = _read("modules")  # skipped on kernels built without module support
    r = parse_modules(text)
    assert r.unparsed_count == 0, r.unparsed
    assert len(r.value) == sum(1 for line in text.splitlines() if line.strip())
    assert all(m.state in ("Live", "Loading", "Unloading") for m in r.value.values())


def test_real_netfilter_sysctl_files() -> None:
    base = PROC / "sys/net/netfilter"
    if not base.is_dir():
        pytest.skip("no /proc/sys/net/netfilter")
    files = {}
    for p in base.iterdir():
        try:
            files[str(p.relative_to("/"))] = p.read_text()
        except OSError:
            continue
    values = parse_sysctl_files(files)
    assert len(values) == len(files)
    assert all(k.startswith("net.netfilter.") for k in values)


def test_two_real_samples_give_a_sane_load() -> None:
    s0 = parse_proc_stat(_read("stat"))
    q0 = parse_softirqs(_read("softirqs"))
    t0 = time.monotonic()
    time.sleep(0.2)
    s1 = parse_proc_stat(_read("stat"))
    q1 = parse_softirqs(_read("softirqs"))
    interval = time.monotonic() - t0
    load = cpu_load(s1.value, s0.value, q1.value, q0.value, interval_s=interval)
    assert not load.since_boot
    assert len(load.cores) == os.cpu_count()
    assert load.interval_s == pytest.approx(interval)
    for c in load.cores:
        assert 0.0 <= c.busy_pct <= 100.0
        assert 0.0 <= c.softirq_pct <= 100.0
        assert c.net_rx is not None and c.net_rx >= 0
