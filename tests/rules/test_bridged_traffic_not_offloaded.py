"""bridged-traffic-not-offloaded on the lab's bridged captures (real runs of lab/scenarios)."""

from __future__ import annotations

from pathlib import Path

import pytest

from offtui.engine import Outcome, Severity
from tests.rules._hw import LAB, build, check, evidence_text, fired, outcome

RULE = "bridged-traffic-not-offloaded"


def test_fires_on_the_lab_bridge(tmp_path: Path) -> None:
    # lab `bridged`: client and server on veth-a/veth-b, both ports of br0; fw4-style
    # flowtable on both ports; br0 has no IPv4 address, `ip -j route show` prints `[]`.
    snap = build(tmp_path, lab="bridged")
    (f,) = fired(RULE, snap)
    assert f.severity == Severity.WARNING and f.subject == "br0"
    ev = evidence_text(f)
    assert "br0: bridge, ports veth-a, veth-b" in ev
    assert "flowtable inet fw4 ft: devices = { veth-a, veth-b }" in ev
    assert "its routing table is empty" in ev
    # conntrack -L of the run: one entry (the IGMP `unknown 2` line), no TCP/UDP flow:
    # grep -cE '^(tcp|udp) ' tests/lab_captures/bridged/commands/conntrack_-L -> 0
    assert "0 TCP/UDP flow(s) in conntrack of 1 entries" in ev
    # the lab's slow-path counters stayed at 0 while traffic ran:
    # grep -c 'counter packets 0 ' tests/lab_captures/bridged/commands/nft_list_ruleset -> 2
    assert ev.count("counter packets 0 bytes 0") == 2
    assert "never reaches the forward hook" in f.message
    assert "bridger" in f.fix


def test_routed_lab_run_does_not_fire(tmp_path: Path) -> None:
    # lab `routed-sfo`: veth-a and veth-b are routed (10.0.1.0/24, 10.0.2.0/24), no bridge
    assert outcome(RULE, build(tmp_path, lab="routed-sfo"))[0] == Outcome.PASS


def test_br_netfilter_run_is_left_to_its_twin(tmp_path: Path) -> None:
    # lab `bridged-br-netfilter`: the bridged flows carry [OFFLOAD]; that is
    # offload-flag-without-fast-path's finding, not a second one here
    state, reason = outcome(RULE, build(tmp_path, lab="bridged-br-netfilter"))
    assert state == Outcome.PASS
    assert "offload-flag-without-fast-path" in reason


def test_skipped_without_routes(tmp_path: Path) -> None:
    # variant: lab `bridged` with commands/ip_-j_route_show removed (not collected)
    snap = build(tmp_path, lab="bridged", extra={"commands/ip_-j_route_show": None})
    state, reason = outcome(RULE, snap)
    assert state == Outcome.SKIPPED
    assert reason.startswith("needs `ip -j route show`") and "br0" in reason


def test_no_flowtable_passes(tmp_path: Path) -> None:
    # lab `routed-none`: no flowtable at all, nothing claims to offload
    state, reason = outcome(RULE, build(tmp_path, lab="routed-none"))
    assert state == Outcome.PASS and "no flowtable" in reason


HW_GROUP = (
    "bridged-traffic-not-offloaded",
    "offload-flag-without-fast-path",
    "hfo-with-sqm",
    "sfo-with-sqm-is-fine",
    "wed-only-5-6ghz",
    "wed-not-enabled",
    "wed-unsupported-soc-or-direction",
    "wed-with-wds-4addr",
    "ppe-capacity-misread",
    "ppe-low-rate-flows-stay-unbound",
    "hw-capacity-surplus",
    "hw-flag-without-real-hw",
    "hfo-interface-stats-wrong",
    "ipv6-hw-offload-limits",
)


@pytest.mark.parametrize("lab", sorted(p.name for p in LAB.iterdir() if p.is_dir()))
def test_hw_group_has_an_outcome_on_every_lab_capture(tmp_path: Path, lab: str) -> None:
    """No rule of this group errors out (the engine would turn that into 'rule error'), and
    none fires on a lab run of another pitfall except the bridged pair on the bridged runs."""
    snap = build(tmp_path, lab=lab)
    for rule_id in HW_GROUP:
        res = check(rule_id, snap)
        assert not res.reason.startswith("rule error"), f"{lab} {rule_id}: {res.reason}"
        if res.outcome == Outcome.FINDING:
            assert (lab, rule_id) in {
                ("bridged", "bridged-traffic-not-offloaded"),
                ("bridged-br-netfilter", "offload-flag-without-fast-path"),
            }, f"{lab}: {rule_id} fired: {res.findings[0].message}"
