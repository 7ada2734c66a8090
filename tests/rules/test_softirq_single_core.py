"""softirq-single-core on real lab captures (two /proc/softirqs samples each)."""

from __future__ import annotations

import shutil
from pathlib import Path

from offtui.engine import Outcome, Severity
from tests.rules._misc import evidence_text, lab_copy, net_rx_deltas, remove, run

ID = "softirq-single-core"


def test_softirq_single_core_fires_on_many_flows(tmp_path: Path) -> None:
    # many-flows: NET_RX in proc/softirqs minus samples/0/proc/softirqs; when written:
    # CPU0 45958 - 34722 = 11236, CPU1 10213 - 6254 = 3959; 11236 / 15195 = 73.9 %.
    cap = lab_copy(tmp_path, "many-flows")
    d0, d1 = net_rx_deltas(cap)
    assert d0 / (d0 + d1) > 0.70, "precondition: the capture's NET_RX is skewed to CPU0"
    res = run(ID, cap)
    assert res.outcome == Outcome.FINDING
    (f,) = res.findings
    assert f.severity == Severity.WARNING
    assert f.subject == "cpu0"
    ev = evidence_text(res)
    total = d0 + d1
    assert f"CPU0 {d0} ({d0 / total:.1%})" in ev and f"CPU1 {d1} ({d1 / total:.1%})" in ev
    assert "proc/stat" in ev
    assert f"CPU0 handled {d0 / total:.0%}" in f.message
    # not OpenWrt (no /etc/openwrt_release, no /etc/config/network): the generic fix
    assert "echo 3 > /sys/class/net/veth-a/queues/rx-0/rps_cpus" in f.fix  # 2 CPUs: mask 3
    assert not f.interrupts_traffic


def test_softirq_single_core_passes_when_balanced(tmp_path: Path) -> None:
    # firewalld: CPU0 6000 - 2302 = 3698, CPU1 4759 - 1054 = 3705 (50 %) when written
    cap = lab_copy(tmp_path, "firewalld")
    d0, d1 = net_rx_deltas(cap)
    assert max(d0, d1) / (d0 + d1) < 0.70, "precondition: balanced NET_RX"
    res = run(ID, cap)
    assert res.outcome == Outcome.PASS
    assert f"{max(d0, d1) / (d0 + d1):.0%}" in res.reason


def test_softirq_single_core_passes_when_skewed_core_is_not_the_bottleneck(
    tmp_path: Path,
) -> None:
    # routed-none: CPU1 3735 -> 4857 = 1122 of 1390 NET_RX (81 %) when written, but CPU1 is
    # no busier than CPU0 (62 % vs 64 % busy in /proc/stat) and spends ~5 % in softirq.
    cap = lab_copy(tmp_path, "routed-none")
    d0, d1 = net_rx_deltas(cap)
    assert d1 / (d0 + d1) > 0.70, "precondition: NET_RX skewed to CPU1"
    res = run(ID, cap)
    assert res.outcome == Outcome.PASS
    assert "not the bottleneck" in res.reason


def test_softirq_single_core_skips_without_softirqs(tmp_path: Path) -> None:
    cap = lab_copy(tmp_path, "many-flows")
    remove(cap, "proc/softirqs")
    res = run(ID, cap)
    assert res.outcome == Outcome.SKIPPED
    assert "/proc/softirqs" in res.reason


def test_softirq_single_core_fires_since_boot_with_one_sample(tmp_path: Path) -> None:
    # many-flows without its earlier sample (samples/0 dropped): since-boot counts only.
    # By hand from proc/softirqs when written: CPU0 45958 of 56171 NET_RX (81.8 %); from
    # proc/stat cpu0: softirq 234 of 2292 jiffies (10.2 %), cpu1 69 of 2390 (2.9 %).
    cap = lab_copy(tmp_path, "many-flows")
    shutil.rmtree(cap / "samples")
    row = next(ln for ln in (cap / "proc/softirqs").read_text().splitlines() if "NET_RX:" in ln)
    c0, c1 = (int(x) for x in row.split()[1:3])
    res = run(ID, cap)
    assert res.outcome == Outcome.FINDING
    ev = evidence_text(res)
    assert f"NET_RX since boot: CPU0 {c0} ({c0 / (c0 + c1):.1%})" in ev
