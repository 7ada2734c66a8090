"""nft-qos-marks-limits-bypassed on the lab's routed software-offload capture and variants."""

from __future__ import annotations

from pathlib import Path

from tests.rules._net import evidence_text, fires, lab, lab_variant, passes

ID = "nft-qos-marks-limits-bypassed"
FLOW_ADD = "\t\tmeta l4proto { tcp, udp } flow add @ft\n"


def _with_rule(tmp_path: Path, line: str):
    # routed-sfo (real) with one edit: `line` added after fw4's `flow add @ft` in chain
    # forward of the text listing, as `nft add rule inet fw4 forward ...` would print it. The
    # JSON listing is removed so that the edited text is the ruleset offtui reads.
    return lab_variant(
        tmp_path,
        "routed-sfo",
        edits={"commands/nft_list_ruleset": lambda t: t.replace(FLOW_ADD, FLOW_ADD + line, 1)},
        drop=("commands/nft_-j_list_ruleset",),
    )


def test_fires_on_dscp_set_in_forward(tmp_path: Path) -> None:
    res = fires(_with_rule(tmp_path, "\t\tip dscp set cs1\n"), ID)
    (f,) = res.findings
    assert "1 rule(s)" in f.message and "ip dscp set" in f.message
    ev = evidence_text(res)
    assert "commands/nft_list_ruleset: chain fw4 forward (forward): ip dscp set cs1" in ev
    assert "chain inet fw4 forward: meta l4proto { tcp, udp } flow add @ft" in ev


def test_fires_on_limit_rate(tmp_path: Path) -> None:
    res = fires(_with_rule(tmp_path, "\t\tip saddr 10.0.1.2 limit rate 100/second accept\n"), ID)
    assert "limit rate 100/second" in res.findings[0].message


def test_ignores_mss_clamping_on_syn_packets(tmp_path: Path) -> None:
    # fw4's mtu_fix rule as `nft list ruleset` prints it: it only touches SYN packets, which
    # come before any flow is offloaded.
    snap = _with_rule(
        tmp_path, "\t\ttcp flags syn / fin,syn,rst tcp option maxseg size set rt mtu\n"
    )
    passes(snap, ID)


def test_passes_on_unmodified_capture() -> None:
    passes(lab("routed-sfo"), ID)


def test_passes_without_offloading_flowtable() -> None:
    # flow-add-input: `flow add` only in an unreferenced chain, so nothing is offloaded.
    res = passes(lab("flow-add-input"), ID)
    assert "no flowtable" in res.reason
