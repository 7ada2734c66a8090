"""rule-change-not-applied-to-offloaded-flows on the lab's routed capture and a variant."""

from __future__ import annotations

from pathlib import Path

from tests.rules._net import evidence_text, fires, lab, lab_variant, passes

ID = "rule-change-not-applied-to-offloaded-flows"
FORWARD = "\t\ttype filter hook forward priority filter; policy drop;\n"


def test_fires_when_a_new_drop_rule_matches_offloaded_flows(tmp_path: Path) -> None:
    # routed-sfo with one edit: `ip saddr 10.0.1.2 drop` inserted as the first rule of fw4's
    # forward chain (what `nft insert rule inet fw4 forward ip saddr 10.0.1.2 drop` adds),
    # while the 4 flows from 10.0.1.2 stay [OFFLOAD] (`grep -c OFFLOAD` = 4). The JSON listing
    # is removed so that the edited text is the ruleset offtui reads.
    snap = lab_variant(
        tmp_path,
        "routed-sfo",
        edits={
            "commands/nft_list_ruleset": lambda t: t.replace(
                FORWARD, FORWARD + "\t\tip saddr 10.0.1.2 drop\n", 1
            )
        },
        drop=("commands/nft_-j_list_ruleset",),
    )
    res = fires(snap, ID)
    (f,) = res.findings
    assert "`ip saddr 10.0.1.2 drop` in chain fw4 forward would drop 4 flow(s)" in f.message
    ev = evidence_text(res)
    assert "commands/nft_list_ruleset: chain inet fw4 forward: ip saddr 10.0.1.2 drop" in ev
    assert "tcp src=10.0.1.2 dst=10.0.2.2 sport=55900 dport=5001" in ev
    assert f.fix.startswith("conntrack -D -s 10.0.1.2")


def test_passes_when_established_flows_are_accepted() -> None:
    # fw4's `ct state established,related accept` comes before any drop.
    passes(lab("routed-sfo"), ID)
    passes(lab("device-missing"), ID)


def test_passes_without_offloaded_flows() -> None:
    res = passes(lab("routed-none"), ID)
    assert "no offloaded flow" in res.reason
