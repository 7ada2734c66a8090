"""offload-enabled-but-no-flowtable: fw4 config with SFO on, against real lab rulesets."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Outcome, Severity
from tests.rules._misc import capture_body, evidence_text, lab_copy, place, run

ID = "offload-enabled-but-no-flowtable"
#: firewall4's real default /etc/config/firewall with `option flow_offloading '1'` added to
#: its defaults section (the wiki's `uci set firewall.@defaults[0].flow_offloading=1`).
SFO = "config defaults\n\toption flow_offloading\t'1'\n"


def _firewall_sfo() -> str:
    fw = capture_body("openwrt-default-firewall.txt")
    assert fw.startswith("config defaults\n")
    return fw.replace("config defaults\n", SFO, 1)


def test_offload_enabled_but_no_flowtable_fires_on_routed_none(tmp_path: Path) -> None:
    # routed-none: fw4-style table without a flowtable (grep -c flowtable = 0)
    cap = lab_copy(tmp_path, "routed-none")
    assert "flowtable" not in (cap / "commands/nft_list_ruleset").read_text()
    place(cap, "etc/config/firewall", _firewall_sfo())
    res = run(ID, cap)
    assert res.outcome == Outcome.FINDING
    (f,) = res.findings
    assert f.severity == Severity.ERROR
    ev = evidence_text(res)
    assert "etc/config/firewall:: option flow_offloading '1'" in ev
    assert "2 table(s), no flowtable: inet labcount, inet fw4" in ev
    # the modules are loaded here (grep -E '^(nf_flow_table|nft_flow_offload) ' proc/modules)
    assert "proc/modules:: loaded: nf_flow_table, nft_flow_offload" in ev
    assert "nothing is offloaded" in f.message


def test_offload_enabled_but_no_flowtable_passes_with_flowtable(tmp_path: Path) -> None:
    cap = lab_copy(tmp_path, "routed-sfo")
    place(cap, "etc/config/firewall", _firewall_sfo())
    assert run(ID, cap).outcome == Outcome.PASS


def test_offload_enabled_but_no_flowtable_passes_when_off(tmp_path: Path) -> None:
    # firewall4's default sets no flow_offloading; fw4 defaults it to off
    cap = lab_copy(tmp_path, "routed-none")
    place(cap, "etc/config/firewall", capture_body("openwrt-default-firewall.txt"))
    res = run(ID, cap)
    assert res.outcome != Outcome.FINDING


def test_offload_enabled_but_no_flowtable_skips_without_firewall(tmp_path: Path) -> None:
    res = run(ID, lab_copy(tmp_path, "routed-none"))
    assert res.outcome == Outcome.SKIPPED
    assert "/etc/config/firewall" in res.reason
