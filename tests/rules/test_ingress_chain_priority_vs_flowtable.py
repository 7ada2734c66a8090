"""ingress-chain-priority-vs-flowtable on routed-sfo with a netdev ingress table appended."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Outcome, Severity
from tests.rules._misc import evidence_text, lab_copy, remove, run

ID = "ingress-chain-priority-vs-flowtable"


def _with_ingress_chain(tmp_path: Path, priority: str) -> Path:
    # routed-sfo's `nft list ruleset` with a netdev table appended, written the way nft
    # prints a netdev base chain (`type filter hook ingress device "<dev>" priority ...;
    # policy accept;`, as in nftables' tests/shell dumps); the JSON ruleset is dropped.
    cap = lab_copy(tmp_path, "routed-sfo")
    path = cap / "commands/nft_list_ruleset"
    path.write_text(
        path.read_text()
        + "table netdev lab {\n\tchain ingress {\n"
        + f'\t\ttype filter hook ingress device "veth-a" priority {priority}; policy accept;\n'
        + "\t\tcounter packets 0 bytes 0\n\t}\n}\n"
    )
    remove(cap, "commands/nft_-j_list_ruleset")
    return cap


def test_ingress_chain_priority_vs_flowtable_fires_at_equal_priority(tmp_path: Path) -> None:
    res = run(ID, _with_ingress_chain(tmp_path, "filter"))
    assert res.outcome == Outcome.FINDING
    (f,) = res.findings
    assert f.severity == Severity.INFO
    assert "netdev lab ingress on veth-a has the same priority as flowtable fw4 ft" in f.message
    ev = evidence_text(res)
    assert "hook ingress devices { veth-a } priority filter" in ev
    assert (
        "flowtable inet fw4 ft { hook ingress priority filter; devices = { veth-a, veth-b }" in ev
    )
    assert "priority 10;" in f.fix


def test_ingress_chain_priority_vs_flowtable_fires_below(tmp_path: Path) -> None:
    res = run(ID, _with_ingress_chain(tmp_path, "-500"))
    assert res.outcome == Outcome.FINDING
    assert "a lower priority than" in res.findings[0].message


def test_ingress_chain_priority_vs_flowtable_passes_above(tmp_path: Path) -> None:
    res = run(ID, _with_ingress_chain(tmp_path, "filter + 10"))
    assert res.outcome == Outcome.PASS


def test_ingress_chain_priority_vs_flowtable_passes_without_ingress_chain(tmp_path: Path) -> None:
    res = run(ID, lab_copy(tmp_path, "routed-sfo"))
    assert res.outcome == Outcome.PASS
    assert "no ingress-hook chain" in res.reason
