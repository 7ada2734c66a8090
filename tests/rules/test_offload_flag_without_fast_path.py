"""offload-flag-without-fast-path on the lab's br_netfilter run (real slow-path counters)."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Outcome
from tests.rules._hw import build, evidence_text, fired, outcome

RULE = "offload-flag-without-fast-path"


def test_fires_on_the_br_netfilter_lab_run(tmp_path: Path) -> None:
    # lab `bridged-br-netfilter`: br_netfilter loaded, bridge-nf-call-iptables=1, four TCP/UDP
    # flows between 10.0.3.1 and 10.0.3.2 behind br0, all [OFFLOAD]:
    #   grep -c '\[OFFLOAD\]' proc/net/nf_conntrack -> 4
    # their packets, counted with awk over the packets= fields of those 4 lines:
    #   original 2842+36+2901+36 = 5815, reply 777+36+749+36 = 1598
    # the labcount forward chain (JSON listing, which the snapshot prefers) counted
    #   grep -o '"packets": [0-9]*' commands/nft_-j_list_ruleset -> 6603, 1806
    snap = build(tmp_path, lab="bridged-br-netfilter")
    (f,) = fired(RULE, snap)
    assert f.subject == "br0"
    ev = evidence_text(f)
    assert "bridge-nf-call-iptables=1" in ev
    assert "br_netfilter loaded" in ev
    assert ev.count("[OFFLOAD]") == 4
    assert "(5815 original / 1598 reply packets)" in f.message
    assert "counted 6603 packets against 5815" in f.message
    assert "ct direction original counter packets 6603" in ev
    assert "ct direction reply counter packets 1806" in ev
    assert "br0: ports veth-a, veth-b (in a flowtable)" in ev
    assert f.impact == 5815 + 1598


def test_bridge_without_br_netfilter_passes(tmp_path: Path) -> None:
    # lab `bridged`: no br_netfilter: bridged frames make no conntrack entry at all
    state, reason = outcome(RULE, build(tmp_path, lab="bridged"))
    assert state == Outcome.PASS and "br_netfilter" in reason


def test_call_iptables_off_passes(tmp_path: Path) -> None:
    # variant: the br_netfilter run with the sysctl set to 0 (the module stays loaded)
    snap = build(
        tmp_path,
        lab="bridged-br-netfilter",
        extra={"proc/sys/net/bridge/bridge-nf-call-iptables": "0\n"},
    )
    assert outcome(RULE, snap)[0] == Outcome.PASS


def test_routed_offloaded_flows_are_not_bridged(tmp_path: Path) -> None:
    # variant: lab `routed-sfo` (4 routed [OFFLOAD] flows, 10 slow-path packets) with
    # bridge-nf-call-iptables=1 added: no bridge, so nothing is bridged
    snap = build(
        tmp_path,
        lab="routed-sfo",
        extra={"proc/sys/net/bridge/bridge-nf-call-iptables": "1\n"},
    )
    state, reason = outcome(RULE, snap)
    assert state == Outcome.PASS and "0 bridged flow(s)" in reason


def test_skipped_without_routes(tmp_path: Path) -> None:
    # variant: the br_netfilter run without commands/ip_-j_route_show
    snap = build(tmp_path, lab="bridged-br-netfilter", extra={"commands/ip_-j_route_show": None})
    state, reason = outcome(RULE, snap)
    assert state == Outcome.SKIPPED and reason.startswith("needs `ip -j route show`")
