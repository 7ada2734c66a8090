"""hw-flag-without-real-hw: `flags offload` on an x86 box's NICs (VyOS) vs a real router."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Outcome, Severity
from tests.rules._hw import Place, build, evidence_text, fired, outcome

RULE = "hw-flag-without-real-hw"


def test_fires_on_vyos_hardware_flowtable(tmp_path: Path) -> None:
    # vyos/vyos-1x PR 2062: generated `table inet vyos_offload`; both flowtables carry
    # `flags offload` (grep -c 'flags offload' -> 2) on eth0, eth1 and eth2, eth3; the author
    # notes the box has no offload-capable NIC. No PPE debugfs, no conntrack in the capture.
    snap = build(tmp_path, Place("nft-vyos2062-1.txt", "commands/nft_list_ruleset"))
    (f,) = fired(RULE, snap)
    assert f.severity == Severity.WARNING
    assert "flags offload is set on eth0, eth1, eth2, eth3" in f.message
    assert "conntrack was not collected" in f.message
    ev = evidence_text(f)
    assert "VYOS_FLOWTABLE_hardware: devices = { eth0, eth1 } flags offload" in ev
    assert "VYOS_FLOWTABLE_software: devices = { eth2, eth3 } flags offload" in ev
    assert "no PPE debugfs in the capture" in ev
    assert "flow_offloading_hw='0'" in f.fix


def test_software_flowtable_passes(tmp_path: Path) -> None:
    snap = build(tmp_path, Place("nft-openwrt19206-1.txt", "commands/nft_list_ruleset"))
    state, reason = outcome(RULE, snap)
    assert state == Outcome.PASS and "no flowtable with flags offload" in reason


def test_embedded_router_without_target_is_skipped(tmp_path: Path) -> None:
    # openwrt/openwrt PR 24178 (IPQ95xx with PPE patches): hardware flowtable on DSA ports
    # lan1-4, Wi-Fi and wan; the capture names no target and holds no PPE debugfs
    snap = build(tmp_path, Place("nft-openwrtpr24178-1.txt", "commands/nft_list_ruleset"))
    state, reason = outcome(RULE, snap)
    assert state == Outcome.SKIPPED and "/etc/openwrt_release" in reason


def test_real_ppe_passes(tmp_path: Path) -> None:
    # variant: the VyOS ruleset next to the bound entries of openwrt/openwrt#17915 (a PPE
    # table in the capture means the flow engine exists)
    snap = build(
        tmp_path,
        Place("nft-vyos2062-1.txt", "commands/nft_list_ruleset"),
        Place("ppe-openwrt17915-1.txt", "sys/kernel/debug/ppe0/bind", keep=r"^[0-9a-f]{5} "),
    )
    state, reason = outcome(RULE, snap)
    assert state == Outcome.PASS and "PPE" in reason
