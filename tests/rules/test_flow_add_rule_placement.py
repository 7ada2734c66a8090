"""flow-add-rule-placement on real rulesets and variants with a stated edit."""

from __future__ import annotations

import shutil
from pathlib import Path

from offtui.engine import Outcome, Severity
from tests.rules._misc import (
    LAB,
    capture_body,
    edit,
    evidence_text,
    grep_n,
    lab_copy,
    place,
    remove,
    run,
)

ID = "flow-add-rule-placement"
FLOW = "\t\tmeta l4proto { tcp, udp } flow add @ft\n"
ACCEPT = "\t\tct state established,related accept\n"


def _accept_first(tmp_path: Path) -> Path:
    # routed-sfo's fw4 forward chain with its first two rules swapped, so that
    # `ct state established,related accept` comes before `flow add @ft` (the JSON ruleset,
    # not edited, is dropped).
    cap = lab_copy(tmp_path, "routed-sfo")
    edit(cap, "commands/nft_list_ruleset", FLOW + ACCEPT, ACCEPT + FLOW)
    remove(cap, "commands/nft_-j_list_ruleset")
    return cap


def test_flow_add_rule_placement_fires_after_established_accept(tmp_path: Path) -> None:
    res = run(ID, _accept_first(tmp_path))
    assert res.outcome == Outcome.FINDING
    (f,) = res.findings
    # the capture still shows 4 [OFFLOAD] flows (taken with the real order): stays info
    assert f.severity == Severity.INFO
    ev = evidence_text(res)
    # line numbers in the edited file (grep -n; 17 and 18 when written)
    cap = tmp_path / "routed-sfo"
    (acc,) = grep_n(cap, "commands/nft_list_ruleset", "ct state established,related accept")
    (flow,) = grep_n(cap, "commands/nft_list_ruleset", "flow add @ft")
    assert flow == acc + 1
    src = "commands/nft_list_ruleset"
    assert f"{src}:{acc}: chain inet fw4 forward: ct state established,related accept" in ev
    assert "nft insert rule inet fw4 forward meta l4proto { tcp, udp } flow add @ft" in f.fix
    assert f"{src}:{flow}: chain inet fw4 forward: meta l4proto {{ tcp, udp }} flow add @ft" in ev


def test_flow_add_rule_placement_fires_as_warning_when_nothing_is_offloaded(
    tmp_path: Path,
) -> None:
    # as above, with routed-none's real conntrack listings (0 [OFFLOAD]: grep -c OFFLOAD = 0)
    cap = _accept_first(tmp_path)
    for p in ("proc/net/nf_conntrack", "commands/conntrack_-L"):
        shutil.copy(LAB / "routed-none" / p, cap / p)
    res = run(ID, cap)
    (f,) = res.findings
    assert f.severity == Severity.WARNING
    assert "0 [OFFLOAD], 0 [HW_OFFLOAD]" in evidence_text(res)


def test_flow_add_rule_placement_fires_on_narrowing_match(tmp_path: Path) -> None:
    # nft-openwrt19206-1.txt (real hand-written ruleset) with its flow add rule's match
    # `ip protocol { tcp, udp }` replaced by `tcp dport 443`.
    cap = tmp_path / "cap"
    text = capture_body("nft-openwrt19206-1.txt")
    assert "ip protocol { tcp, udp } flow add @ft" in text
    place(
        cap,
        "commands/nft_list_ruleset",
        text.replace("ip protocol { tcp, udp } flow add", "tcp dport 443 flow add"),
    )
    res = run(ID, cap)
    assert res.outcome == Outcome.FINDING
    (f,) = res.findings
    assert "only offloads flows matching tcp dport 443" in f.message
    assert "tcp dport 443 flow add @ft" in evidence_text(res)


def test_flow_add_rule_placement_passes_on_real_rulesets(tmp_path: Path) -> None:
    # fw4-style (flow add first), firewalld (flow add before its established accept),
    # VyOS (ct state { established, related } ... flow add), a hand-written ruleset
    assert run(ID, lab_copy(tmp_path, "routed-sfo")).outcome == Outcome.PASS
    assert run(ID, lab_copy(tmp_path, "firewalld")).outcome == Outcome.PASS
    for name in ("nft-vyos2062-1.txt", "nft-openwrt19206-1.txt"):
        cap = tmp_path / name
        place(cap, "commands/nft_list_ruleset", capture_body(name))
        res = run(ID, cap)
        assert res.outcome == Outcome.PASS, (name, [x.message for x in res.findings])


def test_flow_add_rule_placement_fires_after_a_jump_to_an_accepting_chain(
    tmp_path: Path,
) -> None:
    # routed-sfo's forward chain with its established accept moved into a regular chain
    # `established` (as `nft list ruleset` prints one), jumped to before the flow add rule;
    # the JSON ruleset (not edited) is dropped.
    cap = lab_copy(tmp_path, "routed-sfo")
    jump = "\t\tjump established\n"
    edit(cap, "commands/nft_list_ruleset", FLOW + ACCEPT, jump + FLOW)
    edit(
        cap,
        "commands/nft_list_ruleset",
        "\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;",
        "\tchain established {\n" + ACCEPT + "\t}\n\n"
        "\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;",
    )
    remove(cap, "commands/nft_-j_list_ruleset")
    res = run(ID, cap)
    assert res.outcome == Outcome.FINDING
    (f,) = res.findings
    assert "(chain established)" in f.message
    assert "chain inet fw4 established: ct state established,related accept" in evidence_text(res)
