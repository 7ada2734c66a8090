"""sfo-with-sqm-is-fine: software offload + SQM is an info finding, never a warning."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Outcome, Severity
from tests.rules._hw import Place, build, evidence_text, fired, outcome

RULE = "sfo-with-sqm-is-fine"

#: openwrt/openwrt#19206: software flowtable `ft` on eth0, phy0-ap0, phy1-ap0.
SW_RULESET = Place("nft-openwrt19206-1.txt", "commands/nft_list_ruleset")
#: cake-autorate#274: /etc/config/sqm with piece_of_cake.qos on eth0 (lines as in
#: tests/test_diagnose_captures.py). Combined with the flowtable of another OpenWrt router
#: whose flowtable also lists eth0.
SQM_ETH0 = Place("tc-cakeautorate274-1.txt", "etc/config/sqm", keep=r"^(config|\s+option|\s*$)")


def test_fires_info_not_warning_for_sfo_and_sqm(tmp_path: Path) -> None:
    (f,) = fired(RULE, build(tmp_path, SW_RULESET, SQM_ETH0))
    assert f.severity == Severity.INFO and f.subject == "eth0"
    assert "work together" in f.message and "do not turn offloading off" in f.message
    ev = evidence_text(f)
    assert "flowtable ip main ft: devices = { eth0, phy0-ap0, phy1-ap0 }" in ev
    assert "interface 'eth0', qdisc 'cake', script 'piece_of_cake.qos'" in ev
    assert not f.interrupts_traffic


def test_fires_warning_for_sqm_on_a_bridge_the_flowtable_bypasses(tmp_path: Path) -> None:
    # lab `bridged`: the flowtable lists veth-a and veth-b, the ports of br0. Variant of
    # sqm-scripts' default config: enabled '0' -> '1', interface 'eth1' -> 'br0'.
    sqm = Place(
        "openwrt-default-sqm.txt",
        "etc/config/sqm",
        edit=lambda b: b.replace("option enabled '0'", "option enabled '1'").replace(
            "option interface 'eth1'", "option interface 'br0'"
        ),
    )
    (f,) = fired(RULE, build(tmp_path, sqm, lab="bridged"))
    assert f.severity == Severity.WARNING and f.subject == "br0"
    assert "lists veth-a, veth-b (under br0) and not br0" in f.message
    assert "br0 sits on veth-a, veth-b" in evidence_text(f)


def test_hardware_offload_is_left_to_hfo_with_sqm(tmp_path: Path) -> None:
    hw = Place("nft-openwrtpr24178-1.txt", "commands/nft_list_ruleset")
    state, reason = outcome(RULE, build(tmp_path, hw, SQM_ETH0))
    assert state == Outcome.PASS and "hfo-with-sqm" in reason


def test_skipped_without_sqm_sources(tmp_path: Path) -> None:
    state, reason = outcome(RULE, build(tmp_path, SW_RULESET))
    assert state == Outcome.SKIPPED and reason.startswith("needs ")
