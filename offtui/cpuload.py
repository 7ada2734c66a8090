"""Per-core CPU and softirq load from ``/proc/stat`` (and ``/proc/softirqs``) samples.

Pure: takes parsed samples, returns :class:`~offtui.model.CpuLoad`.

- Two samples: percentages of the jiffy deltas between them. A field that went backwards
  (``iowait`` may, see proc(5); or a counter reset) counts as 0 for that field. When the
  boot time differs between the samples (a reboot in between), the result is since boot.
- One sample: percentages since boot (``since_boot=True``).
- Cores present only in ``before`` went offline and are left out; cores present only in
  ``after`` came online and are given since-boot figures.
- Softirq counts are ``unsigned int`` per CPU in the kernel (``kstat_softirqs_cpu``), so a
  NET_RX/NET_TX delta that is negative is taken as one 32-bit wrap.
"""

from __future__ import annotations

from offtui.model import CoreLoad, CpuLoad, CpuTimes, ProcStat, Softirqs

#: ``/proc/stat`` counts in USER_HZ, which the kernel fixes at 100 for userspace.
USER_HZ = 100
_U32 = 1 << 32
_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


def _pct(part: int, whole: int) -> float:
    if whole <= 0:
        return 0.0
    return max(0.0, min(100.0, 100.0 * part / whole))


def _delta_times(after: CpuTimes, before: CpuTimes) -> CpuTimes:
    d = {f: max(0, getattr(after, f) - getattr(before, f)) for f in _FIELDS}
    return CpuTimes(after.name, **d)


def _load(times: CpuTimes) -> tuple[float, float]:
    return _pct(times.busy, times.total), _pct(times.softirq, times.total)


def _soft_counts(soft: Softirqs | None, name: str) -> dict[str, int]:
    """{``cpuN``: count} for one softirq row."""
    if soft is None or name not in soft.counts:
        return {}
    return {label.lower(): n for label, n in zip(soft.cpus, soft.counts[name], strict=False)}


def _soft_delta(after: dict[str, int], before: dict[str, int] | None, cpu: str) -> int | None:
    if cpu not in after:
        return None
    if before is None:
        return after[cpu]
    if cpu not in before:
        return None
    d = after[cpu] - before[cpu]
    if d < 0 and after[cpu] < _U32 and before[cpu] < _U32:
        d += _U32
    return d if d >= 0 else None


def cpu_load(
    after: ProcStat,
    before: ProcStat | None = None,
    soft_after: Softirqs | None = None,
    soft_before: Softirqs | None = None,
    interval_s: float | None = None,
) -> CpuLoad:
    """Per-core busy % and softirq % over the interval between two samples, or since boot.

    ``interval_s`` is recorded as given; when two samples are given without it, it is
    estimated from the mean per-core jiffy delta (``USER_HZ`` = 100).
    """
    rebooted = (
        before is not None
        and after.btime is not None
        and before.btime is not None
        and after.btime != before.btime
    )
    if rebooted:
        before = None
        soft_before = None
    since_boot = before is None
    prev = {c.name: c for c in before.cpus} if before else {}

    rx_after = _soft_counts(soft_after, "NET_RX")
    tx_after = _soft_counts(soft_after, "NET_TX")
    use_soft_before = not since_boot and soft_before is not None
    rx_before = _soft_counts(soft_before, "NET_RX") if use_soft_before else None
    tx_before = _soft_counts(soft_before, "NET_TX") if use_soft_before else None
    if not since_boot and soft_before is None:
        rx_after, tx_after = {}, {}  # no interval for the softirq counts

    cores: list[CoreLoad] = []
    totals: list[int] = []
    for cpu in after.cpus:
        old = prev.get(cpu.name)
        times = _delta_times(cpu, old) if old is not None else cpu
        if old is not None:
            totals.append(times.total)
        busy, soft = _load(times)
        cores.append(
            CoreLoad(
                cpu=cpu.name,
                busy_pct=busy,
                softirq_pct=soft,
                net_rx=_soft_delta(rx_after, rx_before, cpu.name),
                net_tx=_soft_delta(tx_after, tx_before, cpu.name),
            )
        )
    if interval_s is None and not since_boot and totals:
        interval_s = sum(totals) / len(totals) / USER_HZ
    return CpuLoad(
        cores=cores, interval_s=None if since_boot else interval_s, since_boot=since_boot
    )
