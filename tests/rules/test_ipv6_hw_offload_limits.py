"""ipv6-hw-offload-limits: NAT66 with hardware offload (fw4 config variants)."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Outcome, Severity
from tests.rules._hw import Place, build, evidence_text, fired, outcome

RULE = "ipv6-hw-offload-limits"

HW = (
    "config defaults\n",
    "config defaults\n\toption flow_offloading\t1\n\toption flow_offloading_hw\t1\n",
)
MASQ6 = ("\toption masq\t\t1\n", "\toption masq\t\t1\n\toption masq6\t\t1\n")


def _fw(*edits: tuple[str, str]) -> Place:
    def edit(body: str) -> str:
        for old, new in edits:
            assert old in body
            body = body.replace(old, new, 1)
        return body

    return Place("openwrt-default-firewall.txt", "etc/config/firewall", edit=edit)


def test_fires_for_nat66_with_hfo(tmp_path: Path) -> None:
    # variant of firewall4's default config: hardware offload on, `option masq6 1` in the wan
    # zone. The wan zone's `config zone` is body line 16 of the shipped file (the body
    # after the 4 header lines: tail -n +5 FILE | grep -n '^config zone' -> 9, 16), 18
    # after the two lines added to the defaults
    (f,) = fired(RULE, build(tmp_path, _fw(HW, MASQ6)))
    assert f.severity == Severity.INFO and f.subject == "nat66"
    ev = evidence_text(f)
    assert "zone 'wan': option masq6 '1'" in ev and "flow_offloading_hw '1'" in ev
    assert any(e.line_no == 18 for e in f.evidence if "masq6" in e.text)
    assert "cannot NAT IPv6" in f.message


def test_no_nat66_passes(tmp_path: Path) -> None:
    assert outcome(RULE, build(tmp_path, _fw(HW)))[0] == Outcome.PASS


def test_software_offload_passes(tmp_path: Path) -> None:
    # masq6 without any offload switch: the PPE is not involved
    state, reason = outcome(RULE, build(tmp_path, _fw(MASQ6)))
    assert state == Outcome.PASS and "hardware offload is off" in reason


def test_skipped_without_firewall_or_ruleset(tmp_path: Path) -> None:
    # openwrt/openwrt#17915: a [HW_OFFLOAD] IPv4 flow, but neither the firewall config nor
    # the ruleset that would show NAT66
    snap = build(
        tmp_path,
        Place("ppe-openwrt17915-1.txt", "proc/net/nf_conntrack", keep=r"^ipv[46] "),
    )
    state, reason = outcome(RULE, snap)
    assert state == Outcome.SKIPPED and "/etc/config/firewall" in reason
