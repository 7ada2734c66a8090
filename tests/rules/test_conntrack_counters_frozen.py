"""conntrack-counters-frozen on real rulesets with and without a flowtable counter."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Severity
from tests.rules._net import evidence_text, fires, lab, passes, placed, run

ID = "conntrack-counters-frozen"


def test_fires_on_handwritten_flowtable_without_counter(tmp_path: Path) -> None:
    # openwrt#19206: hand-written `table ip main` whose flowtable has no `counter` line.
    snap = placed(tmp_path, {"commands/nft_list_ruleset": ("nft-openwrt19206-1.txt", None)})
    res = fires(snap, ID)
    (f,) = res.findings
    assert f.severity == Severity.INFO  # no accounting tool known in this capture
    assert f.subject == "main/ft"
    assert "Flowtable ip main ft has no `counter`" in f.message
    assert "devices = { eth0, phy0-ap0, phy1-ap0 }, no `counter`" in evidence_text(res)
    assert f.fix.startswith("nft add flowtable ip main ft '{ counter; }'")


def test_passes_when_the_flowtable_counts() -> None:
    passes(lab("routed-sfo"), ID)  # fw4-style `ft` with `counter`


def test_firewalld_flowtable_is_left_to_its_own_rule() -> None:
    # Real firewalld 2.x: `flowtable fastpath` without counter; no accounting tool in sight.
    res = passes(lab("firewalld"), ID)
    assert "firewalld" in res.reason


def test_skipped_with_json_only(tmp_path: Path) -> None:
    # nft -j never says whether a flowtable counts.
    snap = placed(
        tmp_path,
        {"commands/nft_-j_list_ruleset": ("lab-serve-nft-json-ruleset.json.txt", None)},
    )
    res = run(snap, ID)
    assert res.outcome == "skipped" and "nft list ruleset" in res.reason
