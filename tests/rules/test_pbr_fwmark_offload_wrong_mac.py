"""pbr-fwmark-offload-wrong-mac on the lab's routed capture (real) and a variant."""

from __future__ import annotations

from pathlib import Path

from tests.rules._net import evidence_text, fires, lab, lab_variant, passes

ID = "pbr-fwmark-offload-wrong-mac"
MAIN = '{"priority":32766,"src":"all","table":"main"}'


def test_fires_with_fwmark_rule_nat_and_flowtable(tmp_path: Path) -> None:
    # routed-sfo's real `ip -j rule show` with one edit: a rule as pbr adds it, in the shape
    # iproute2's print_rule() gives a fwmark rule (fwmark and fwmask as hex strings), before
    # the main-table rule. The ruleset has masquerade on veth-b and flowtable ft.
    rule = '{"priority":29998,"src":"all","fwmark":"0x20000","fwmask":"0xff0000","table":"pbr_wan"}'
    snap = lab_variant(
        tmp_path,
        "routed-sfo",
        edits={"commands/ip_-j_rule_show": lambda t: t.replace(MAIN, rule + "," + MAIN, 1)},
    )
    res = fires(snap, ID)
    (f,) = res.findings
    assert "1 policy routing rule(s) select tables by fwmark (pbr_wan)" in f.message
    ev = evidence_text(res)
    assert "29998: from all fwmark 0x20000/0xff0000 lookup pbr_wan" in ev
    assert 'oifname "veth-b" masquerade' in ev


def test_passes_without_fwmark_rules() -> None:
    res = passes(lab("routed-sfo"), ID)
    assert "no fwmark" in res.reason
