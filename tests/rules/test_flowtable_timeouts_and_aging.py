"""flowtable-timeouts-and-aging on the lab's routed software-offload capture and variants."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Outcome
from tests.rules._misc import edit, evidence_text, lab_copy, run

ID = "flowtable-timeouts-and-aging"
NF = "proc/sys/net/netfilter/"


def test_flowtable_timeouts_and_aging_fires_on_tuned_conntrack_udp(tmp_path: Path) -> None:
    # routed-sfo with one edit: nf_conntrack_udp_timeout 30 -> 300 (as `sysctl -w` leaves it).
    cap = lab_copy(tmp_path, "routed-sfo")
    edit(cap, NF + "nf_conntrack_udp_timeout", "30", "300")
    res = run(ID, cap)
    assert res.outcome == Outcome.FINDING
    ev = evidence_text(res)
    assert "net.netfilter.nf_conntrack_udp_timeout = 300" in ev
    assert "net.netfilter.nf_flowtable_udp_timeout = 30" in ev
    msg = res.findings[0].message
    assert "after 30 s idle" in msg
    # 4 flows offloaded: grep -c '\[OFFLOAD\]' proc/net/nf_conntrack
    assert "4 flow(s) are offloaded now" in msg


def test_flowtable_timeouts_and_aging_fires_on_low_flowtable_timeout(tmp_path: Path) -> None:
    # routed-sfo with one edit: nf_flowtable_udp_timeout 30 -> 5.
    cap = lab_copy(tmp_path, "routed-sfo")
    edit(cap, NF + "nf_flowtable_udp_timeout", "30", "5")
    res = run(ID, cap)
    assert res.outcome == Outcome.FINDING
    assert "net.netfilter.nf_flowtable_udp_timeout = 5" in evidence_text(res)


def test_flowtable_timeouts_and_aging_passes_on_defaults(tmp_path: Path) -> None:
    cap = lab_copy(tmp_path, "routed-sfo")
    # the capture's values, read independently: cat proc/sys/net/netfilter/nf_flowtable_*
    assert (cap / NF / "nf_flowtable_udp_timeout").read_text().strip() == "30"
    res = run(ID, cap)
    assert res.outcome == Outcome.PASS
    assert "udp 30 s" in res.reason


def test_flowtable_timeouts_and_aging_passes_without_flowtable(tmp_path: Path) -> None:
    # routed-none (no flowtable) with the same tuned value: conntrack governs every flow.
    cap = lab_copy(tmp_path, "routed-none")
    edit(cap, NF + "nf_conntrack_udp_timeout", "30", "300")
    assert run(ID, cap).outcome == Outcome.PASS
