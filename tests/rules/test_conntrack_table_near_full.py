"""conntrack-table-near-full on the lab's conntrack-near-full and many-flows captures."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Outcome, Severity
from tests.rules._misc import evidence_text, lab_copy, run

ID = "conntrack-table-near-full"
NF = "proc/sys/net/netfilter/"


def _sysctl(cap: Path, name: str) -> int:
    return int((cap / NF / name).read_text().strip())


def test_conntrack_table_near_full_fires_on_lab(tmp_path: Path) -> None:
    # conntrack-near-full: nf_conntrack_count 254 of nf_conntrack_max 256 when written
    cap = lab_copy(tmp_path, "conntrack-near-full")
    count, cmax = _sysctl(cap, "nf_conntrack_count"), _sysctl(cap, "nf_conntrack_max")
    assert count / cmax >= 0.9, "precondition: the lab filled the table"
    res = run(ID, cap)
    assert res.outcome == Outcome.FINDING
    (f,) = res.findings
    assert f.severity == Severity.WARNING
    ev = evidence_text(res)
    assert (
        f"proc/sys/net/netfilter/nf_conntrack_count:: nf_conntrack_count={count} "
        f"nf_conntrack_max={cmax} ({count / cmax:.1%})"
    ) in ev
    assert f"holds {count} of {cmax} entries" in f.message


def test_conntrack_table_near_full_passes_on_many_flows(tmp_path: Path) -> None:
    # many-flows raised nf_conntrack_max to 65536 (its lab_scenario_log)
    cap = lab_copy(tmp_path, "many-flows")
    count, cmax = _sysctl(cap, "nf_conntrack_count"), _sysctl(cap, "nf_conntrack_max")
    assert count / cmax < 0.9
    res = run(ID, cap)
    assert res.outcome == Outcome.PASS
    assert f"{count / cmax:.0%}" in res.reason
