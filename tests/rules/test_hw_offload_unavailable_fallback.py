"""hw-offload-unavailable-fallback: fw4 config with HFO on, against real rulesets."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Outcome, Severity
from tests.rules._misc import capture_body, evidence_text, lab_copy, place, remove, run

ID = "hw-offload-unavailable-fallback"
#: firewall4's real default /etc/config/firewall with the two options the OpenWrt wiki's
#: "Flow offloading" page sets (firewall-openwrtwiki-flowoffload-1.txt) added to defaults.
HFO = "config defaults\n\toption flow_offloading\t'1'\n\toption flow_offloading_hw\t'1'\n"


def _firewall_hfo() -> str:
    fw = capture_body("openwrt-default-firewall.txt")
    assert fw.startswith("config defaults\n")
    return fw.replace("config defaults\n", HFO, 1)


def test_hw_offload_unavailable_fallback_fires_on_software_flowtable(tmp_path: Path) -> None:
    # routed-sfo: fw4's flowtable ft has `counter` but no `flags offload`
    # (grep -c 'flags offload' commands/nft_list_ruleset = 0)
    cap = lab_copy(tmp_path, "routed-sfo")
    assert "flags offload" not in (cap / "commands/nft_list_ruleset").read_text()
    place(cap, "etc/config/firewall", _firewall_hfo())
    res = run(ID, cap)
    assert res.outcome == Outcome.FINDING
    (f,) = res.findings
    assert f.severity == Severity.WARNING
    ev = evidence_text(res)
    assert "etc/config/firewall:: option flow_offloading_hw '1'" in ev
    assert "flowtable inet fw4 ft: no 'flags offload' (devices veth-a, veth-b)" in ev
    # conntrack shows software offload only (grep -c '\[OFFLOAD\]' proc/net/nf_conntrack)
    n = (cap / "proc/net/nf_conntrack").read_text().count("[OFFLOAD]")
    assert f"{n} [OFFLOAD], 0 [HW_OFFLOAD]" in ev
    assert f.interrupts_traffic


def test_hw_offload_unavailable_fallback_fires_on_log_line(tmp_path: Path) -> None:
    # the fw4 fallback message from firewall-openwrt9935-1.txt, as logread shows fw4's
    # output (the one line, with logread's prefix for a user.notice from firewall)
    cap = tmp_path / "cap"
    place(cap, "etc/config/firewall", _firewall_hfo())
    body = capture_body("firewall-openwrt9935-1.txt")
    line = "Hardware flow offloading unavailable, falling back to software offloading"
    assert line in body
    place(cap, "commands/logread", f"Mon May 23 10:00:00 2022 user.notice firewall: {line}\n")
    res = run(ID, cap)
    assert res.outcome == Outcome.FINDING
    assert f"commands/logread:1: Mon May 23 10:00:00 2022 user.notice firewall: {line}" in (
        evidence_text(res)
    )


def test_hw_offload_unavailable_fallback_passes_with_offload_flag(tmp_path: Path) -> None:
    # nft-openwrtpr24178-1.txt: fw4's ft with `flags offload` (a real HFO ruleset)
    cap = tmp_path / "cap"
    place(cap, "etc/config/firewall", _firewall_hfo())
    place(cap, "commands/nft_list_ruleset", capture_body("nft-openwrtpr24178-1.txt"))
    res = run(ID, cap)
    assert res.outcome == Outcome.PASS
    assert "flags offload" in res.reason


def test_hw_offload_unavailable_fallback_passes_without_hfo(tmp_path: Path) -> None:
    cap = lab_copy(tmp_path, "routed-sfo")
    place(cap, "etc/config/firewall", capture_body("openwrt-default-firewall.txt"))
    assert run(ID, cap).outcome == Outcome.PASS


def test_hw_offload_unavailable_fallback_skips_on_json_only(tmp_path: Path) -> None:
    # JSON ruleset only: nftables 1.0/1.1 print no flowtable flags there
    cap = lab_copy(tmp_path, "routed-sfo")
    remove(cap, "commands/nft_list_ruleset")
    place(cap, "etc/config/firewall", _firewall_hfo())
    res = run(ID, cap)
    assert res.outcome == Outcome.SKIPPED
    assert "needs `nft list ruleset` (text)" in res.reason
