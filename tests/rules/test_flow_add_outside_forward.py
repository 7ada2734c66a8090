"""flow-add-outside-forward on the lab's flow-add-input capture (real) and routed-sfo."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Outcome, Severity
from tests.rules._misc import capture_body, evidence_text, grep_n, lab_copy, place, remove, run

ID = "flow-add-outside-forward"


def test_flow_add_outside_forward_fires_on_lab(tmp_path: Path) -> None:
    # flow-add-input: `flow add @ft` in chain input_flow, which nothing jumps to; the JSON
    # listing is dropped so that rules (and their line numbers) come from the text
    cap = lab_copy(tmp_path, "flow-add-input")
    remove(cap, "commands/nft_-j_list_ruleset")
    (no,) = grep_n(cap, "commands/nft_list_ruleset", "flow add @ft")  # 16 when written
    res = run(ID, cap)
    assert res.outcome == Outcome.FINDING
    (f,) = res.findings
    assert f.severity == Severity.ERROR
    assert "nft insert rule inet fw4 forward meta l4proto { tcp, udp } flow add @ft" in f.fix
    assert "nft delete rule inet fw4 input_flow handle" in f.fix
    assert (
        f"commands/nft_list_ruleset:{no}: chain input_flow (a regular chain that no "
        "forward-hook chain jumps to): meta l4proto { tcp, udp } flow add @ft"
    ) in evidence_text(res)


def test_flow_add_outside_forward_cites_the_json_with_both_listings(tmp_path: Path) -> None:
    # both listings: rules come from the JSON, so the evidence names that file (a JSON
    # document is one line: no line number is cited)
    res = run(ID, lab_copy(tmp_path, "flow-add-input"))
    assert len(res.findings) == 1
    assert evidence_text(res).startswith("commands/nft_-j_list_ruleset:: chain input_flow")


def test_flow_add_outside_forward_fires_in_input_hook(tmp_path: Path) -> None:
    # nft-openwrt19206-1.txt with its forward chain's hook edited to `input`, as in
    # nixos-bpir3-example issue 7 (`flow add @f` in chain input)
    text = capture_body("nft-openwrt19206-1.txt")
    old = "type filter hook forward priority filter; policy accept;"
    assert old in text
    cap = tmp_path / "cap"
    place(cap, "commands/nft_list_ruleset", text.replace(old, old.replace("forward", "input")))
    res = run(ID, cap)
    assert res.outcome == Outcome.FINDING
    assert "(hook input)" in res.findings[0].message


def test_flow_add_outside_forward_passes_on_forward_chain(tmp_path: Path) -> None:
    assert run(ID, lab_copy(tmp_path, "routed-sfo")).outcome == Outcome.PASS
    cap = tmp_path / "cap"
    place(cap, "commands/nft_list_ruleset", capture_body("nft-openwrt19206-1.txt"))
    assert run(ID, cap).outcome == Outcome.PASS
