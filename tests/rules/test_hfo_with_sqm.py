"""hfo-with-sqm: hardware flowtable (real fw4 ruleset) plus SQM (real sqm config / tc output)."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Outcome, Severity
from tests.rules._hw import Place, build, evidence_text, fired, outcome

RULE = "hfo-with-sqm"

#: openwrt/openwrt PR 24178: fw4 flowtable `ft` with `flags offload` on 8 devices incl. `wan`.
HW_RULESET = Place("nft-openwrtpr24178-1.txt", "commands/nft_list_ruleset")
#: openwrt/openwrt#19206: hand-written software flowtable (no flags offload).
SW_RULESET = Place("nft-openwrt19206-1.txt", "commands/nft_list_ruleset")


def _sqm_on_wan(body: str) -> str:
    # variant of sqm-scripts' default /etc/config/sqm: enabled '0' -> '1', interface 'eth1'
    # -> 'wan' (the WAN device of the PR 24178 router)
    return body.replace("option enabled '0'", "option enabled '1'").replace(
        "option interface 'eth1'", "option interface 'wan'"
    )


SQM_ON_WAN = Place("openwrt-default-sqm.txt", "etc/config/sqm", edit=_sqm_on_wan)


def test_fires_with_hw_flowtable_and_sqm_queue(tmp_path: Path) -> None:
    (f,) = fired(RULE, build(tmp_path, HW_RULESET, SQM_ON_WAN))
    assert f.severity == Severity.ERROR and f.subject == "wan"
    ev = evidence_text(f)
    assert "flowtable inet fw4 ft: devices = { lan1, lan2, lan3, lan4, phy0-ap0, phy1-ap0, " in ev
    assert "flags offload" in ev
    # the queue section starts on body line 2 (the file starts with a blank line)
    assert any(e.source == "etc/config/sqm" and e.line_no == 2 for e in f.evidence)
    assert "config queue 'eth1': enabled '1', interface 'wan', qdisc 'fq_codel'" in ev
    assert "flow_offloading_hw='0'" in f.fix and f.interrupts_traffic


def test_fires_with_a_live_cake_qdisc(tmp_path: Path) -> None:
    # cake-autorate#350: `tc -s qdisc` with cake on eth1; SQM seen from tc alone
    tc = Place("tc-cakeautorate350-1.txt", "commands/tc_-s_qdisc")
    (f,) = fired(RULE, build(tmp_path, HW_RULESET, tc))
    assert f.subject == "eth1"
    assert "qdisc cake" in evidence_text(f) and "dev eth1" in evidence_text(f)


def test_software_flowtable_passes(tmp_path: Path) -> None:
    state, reason = outcome(RULE, build(tmp_path, SW_RULESET, SQM_ON_WAN))
    assert state == Outcome.PASS and "hardware offload is off" in reason


def test_disabled_sqm_passes(tmp_path: Path) -> None:
    # the default sqm config as shipped: enabled '0'
    sqm = Place("openwrt-default-sqm.txt", "etc/config/sqm")
    state, reason = outcome(RULE, build(tmp_path, HW_RULESET, sqm))
    assert state == Outcome.PASS and "no SQM" in reason


def test_skipped_without_sqm_sources(tmp_path: Path) -> None:
    state, reason = outcome(RULE, build(tmp_path, HW_RULESET))
    assert state == Outcome.SKIPPED and "/etc/config/sqm" in reason and "tc" in reason
