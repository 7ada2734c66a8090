"""firewalld-flowtable-sw-only-no-counter on the lab's firewalld captures (real)."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Outcome, Severity
from tests.rules._misc import edit, evidence_text, lab_copy, run

ID = "firewalld-flowtable-sw-only-no-counter"
CONF = "etc/firewalld/firewalld.conf"


def test_firewalld_flowtable_sw_only_no_counter_fires_on_lab_firewalld(tmp_path: Path) -> None:
    # firewalld 2.3.1 with NftablesFlowtable=veth-a veth-b: its flowtable fastpath prints
    # no `counter` and no `flags offload` (grep -A3 'flowtable fastpath' nft_list_ruleset).
    res = run(ID, lab_copy(tmp_path, "firewalld"))
    assert res.outcome == Outcome.FINDING
    (f,) = res.findings
    assert f.severity == Severity.INFO
    ev = evidence_text(res)
    assert "NftablesFlowtable=veth-a veth-b" in ev
    assert (
        "flowtable inet firewalld fastpath { hook ingress priority filter + 10; "
        "devices = { veth-a, veth-b } }"
    ) in ev
    assert "counter" not in ev.split("fastpath", 1)[1].split("\n", 1)[0]
    assert "software-only and has no counter" in f.message


def test_firewalld_flowtable_sw_only_no_counter_passes_when_off(tmp_path: Path) -> None:
    # the lab firewalld.conf with one edit: NftablesFlowtable=off (firewalld's default)
    cap = lab_copy(tmp_path, "firewalld")
    edit(cap, CONF, "NftablesFlowtable=veth-a veth-b", "NftablesFlowtable=off")
    res = run(ID, cap)
    assert res.outcome == Outcome.PASS
    assert "off" in res.reason


def test_firewalld_flowtable_sw_only_no_counter_passes_when_not_loaded(tmp_path: Path) -> None:
    # bad device: firewalld left an empty table; that is firewalld-flowtable-iface-missing's
    res = run(ID, lab_copy(tmp_path, "firewalld--bad-device"))
    assert res.outcome == Outcome.PASS
    assert "not loaded" in res.reason


def test_firewalld_flowtable_sw_only_no_counter_skips_without_firewalld(tmp_path: Path) -> None:
    res = run(ID, lab_copy(tmp_path, "routed-sfo"))
    assert res.outcome == Outcome.SKIPPED
    assert "firewalld.conf" in res.reason
