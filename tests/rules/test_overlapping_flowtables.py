"""overlapping-flowtables on the lab's overlapping capture and real non-overlapping ones."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Outcome, Severity
from tests.rules._misc import capture_body, evidence_text, lab_copy, place, run

ID = "overlapping-flowtables"


def test_overlapping_flowtables_fires_on_lab(tmp_path: Path) -> None:
    # overlapping: inet fw4 ft (priority filter) and inet other ft2 (priority filter - 1),
    # both on veth-a, veth-b
    res = run(ID, lab_copy(tmp_path, "overlapping"))
    assert res.outcome == Outcome.FINDING
    (f,) = res.findings
    assert f.severity == Severity.WARNING
    ev = evidence_text(res)
    assert "flowtable inet fw4 ft: hook ingress priority filter devices = { veth-a, veth-b }" in ev
    assert (
        "flowtable inet other ft2: hook ingress priority filter - 1 devices = { veth-a, veth-b }"
    ) in ev
    assert "other ft2 (priority filter - 1) sees the flows first" in f.message
    assert f.impact == 2  # two shared devices
    # fw4 backend: the flowtable outside fw4's table goes, after its flow add rule
    assert f.fix.index("nft delete rule inet other forward handle") < f.fix.index(
        "nft delete flowtable inet other ft2"
    )


def test_overlapping_flowtables_passes_on_separate_devices(tmp_path: Path) -> None:
    # VyOS: two flowtables on {eth0, eth1} and {eth2, eth3}
    cap = tmp_path / "cap"
    place(cap, "commands/nft_list_ruleset", capture_body("nft-vyos2062-1.txt"))
    assert run(ID, cap).outcome == Outcome.PASS
    assert run(ID, lab_copy(tmp_path, "routed-sfo")).outcome == Outcome.PASS
