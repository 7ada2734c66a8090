"""cpu_load(): per-core busy/softirq percentages and NET_RX/NET_TX deltas."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offtui.cpuload import cpu_load
from offtui.model import CpuTimes, ProcStat, Softirqs
from offtui.parsers.procfs import parse_proc_stat, parse_softirqs
from tests.capture_files import read_capture_file

LAB = parse_proc_stat(read_capture_file("lab-serve-proc-stat.txt").body).value


def _stat(*cores: tuple[int, ...], btime: int | None = 1) -> ProcStat:
    return ProcStat(
        cpus=tuple(CpuTimes(f"cpu{i}", *c) for i, c in enumerate(cores)), total=None, btime=btime
    )


def test_since_boot_from_lab_capture() -> None:
    # cpu0 93 0 314 690 0 0 18 ...: busy = 93+314+18 = 425 of 1115 jiffies
    load = cpu_load(LAB)
    assert load.since_boot and load.interval_s is None
    c0 = load.cores[0]
    assert c0.cpu == "cpu0"
    assert c0.busy_pct == pytest.approx(100 * 425 / 1115)
    assert c0.softirq_pct == pytest.approx(100 * 18 / 1115)
    assert c0.net_rx is None  # no softirqs sample given


def test_interval_between_two_samples() -> None:
    before = _stat((100, 0, 100, 800, 0, 0, 0, 0), (0, 0, 0, 1000, 0, 0, 0, 0))
    # cpu0: +50 user +50 softirq +100 idle over 200 jiffies; cpu1 idle only
    after = _stat((150, 0, 100, 900, 0, 0, 50, 0), (0, 0, 0, 1200, 0, 0, 0, 0))
    load = cpu_load(after, before)
    assert not load.since_boot
    assert load.cores[0].busy_pct == pytest.approx(50.0)
    assert load.cores[0].softirq_pct == pytest.approx(25.0)
    assert load.cores[1].busy_pct == 0.0
    assert load.interval_s == pytest.approx(2.0)  # 200 jiffies per core at USER_HZ 100


def test_counters_that_did_not_move() -> None:
    load = cpu_load(LAB, LAB, interval_s=0.2)
    assert [c.busy_pct for c in load.cores] == [0.0, 0.0]
    assert load.interval_s == 0.2


def test_iowait_going_backwards_is_clamped() -> None:
    before = _stat((10, 0, 10, 100, 50, 0, 0, 0))
    after = _stat((20, 0, 10, 190, 40, 0, 0, 0))  # iowait 50 -> 40 (proc(5): it may decrease)
    c = cpu_load(after, before).cores[0]
    assert c.busy_pct == pytest.approx(100 * 10 / 100)


def test_offline_and_new_cores() -> None:
    before = _stat((1, 0, 1, 8, 0, 0, 0, 0), (5, 0, 5, 90, 0, 0, 0, 0))
    # cpu1 went offline; cpu2 only in the second sample (since boot for it)
    after = ProcStat(
        cpus=(CpuTimes("cpu0", 2, 0, 1, 17), CpuTimes("cpu2", 30, 0, 0, 70)), total=None, btime=1
    )
    load = cpu_load(after, before)
    assert [c.cpu for c in load.cores] == ["cpu0", "cpu2"]
    assert load.cores[0].busy_pct == pytest.approx(10.0)
    assert load.cores[1].busy_pct == pytest.approx(30.0)


def test_reboot_between_samples_gives_since_boot() -> None:
    before = _stat((100, 0, 100, 800, 0, 0, 0, 0), btime=1000)
    after = _stat((1, 0, 1, 8, 0, 0, 0, 0), btime=2000)
    load = cpu_load(after, before)
    assert load.since_boot and load.cores[0].busy_pct == pytest.approx(20.0)


def test_net_rx_tx_deltas_and_wrap() -> None:
    soft0 = Softirqs(("CPU0", "CPU1"), {"NET_RX": (10, 2**32 - 5), "NET_TX": (1, 1)})
    soft1 = Softirqs(("CPU0", "CPU1"), {"NET_RX": (25, 10), "NET_TX": (4, 1)})
    load = cpu_load(LAB, replace(LAB), soft1, soft0)
    assert [c.net_rx for c in load.cores] == [15, 15]  # CPU1 wrapped at 2**32
    assert [c.net_tx for c in load.cores] == [3, 0]
    # Only one softirq sample with two stat samples: no interval for the counts.
    assert cpu_load(LAB, replace(LAB), soft1).cores[0].net_rx is None
    # Single sample: counts since boot.
    assert cpu_load(LAB, soft_after=soft1).cores[0].net_rx == 25


def test_host_fixtures_since_boot() -> None:
    stat = parse_proc_stat(read_capture_file("host-proc-stat.txt").body).value
    soft = parse_softirqs(read_capture_file("host-proc-softirqs.txt").body).value
    load = cpu_load(stat, soft_after=soft)
    # grep NET_RX host-proc-softirqs.txt -> 1739 2100
    assert [c.net_rx for c in load.cores] == [1739, 2100]
    assert all(0.0 <= c.busy_pct <= 100.0 for c in load.cores)


_core = st.lists(st.integers(0, 10**9), min_size=4, max_size=8)


@st.composite
def monotonic_pairs(draw):
    n = draw(st.integers(1, 4))
    before, after = [], []
    for _ in range(n):
        b = draw(_core)
        inc = draw(st.lists(st.integers(0, 10**6), min_size=len(b), max_size=len(b)))
        before.append(tuple(b))
        after.append(tuple(x + d for x, d in zip(b, inc, strict=True)))
    return _stat(*before), _stat(*after)


@given(monotonic_pairs())
def test_percentages_stay_in_range(pair) -> None:
    before, after = pair
    for load in (cpu_load(after, before), cpu_load(after)):
        assert len(load.cores) == len(after.cpus)
        for c in load.cores:
            assert 0.0 <= c.busy_pct <= 100.0
            assert 0.0 <= c.softirq_pct <= c.busy_pct + 1e-9


@given(monotonic_pairs())
def test_swapped_samples_never_raise(pair) -> None:
    before, after = pair
    load = cpu_load(before, after)  # every counter "went backwards"
    assert all(c.busy_pct == 0.0 for c in load.cores)
