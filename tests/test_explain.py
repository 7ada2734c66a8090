"""Per-flow explanation on real captures: the lab router's scenarios and a MediaTek router."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offtui.capture import Capture
from offtui.explain import explain_flow, find_flows
from offtui.snapshot import build_snapshot
from tests.capture_files import read_capture_file
from tests.cli_helpers import offtui

LAB = Path(__file__).parent / "lab_captures"


def _snap(path: Path):
    return build_snapshot(Capture.open(path))


def _one(snap, **spec):
    flows = find_flows(snap, {k: str(v) for k, v in spec.items()})
    assert flows, f"no flow for {spec}"
    return flows[0]


def _lab(name: str) -> Path:
    p = LAB / name
    if not p.is_dir():
        pytest.skip(f"lab capture {name} not in the tree")
    return p


def test_routed_sfo_flow_is_software_offloaded() -> None:
    snap = _snap(_lab("routed-sfo"))
    ex = explain_flow(snap, _one(snap, proto="tcp", dport=5001))
    assert ex.state == "software"
    assert (ex.in_dev, ex.out_dev) == ("veth-a", "veth-b")  # from the router's real routes
    assert ex.reasons == []  # both devices are in the flowtable: nothing to qualify


def test_routed_none_says_no_flowtable() -> None:
    snap = _snap(_lab("routed-none"))
    ex = explain_flow(snap, _one(snap, proto="tcp"))
    assert ex.state == "none"
    assert "no flowtable" in ex.summary


def test_device_missing_flag_overstates() -> None:
    snap = _snap(_lab("device-missing"))
    ex = explain_flow(snap, _one(snap, proto="tcp"))
    assert ex.state == "software"
    assert any("in no flowtable" in r and "slow path" in r for r in ex.reasons)


def test_flow_add_outside_forward() -> None:
    snap = _snap(_lab("flow-add-input"))
    ex = explain_flow(snap, _one(snap, proto="tcp"))
    assert ex.state == "none"
    assert "input_flow" in ex.summary and "forward hook" in ex.summary
    assert any("flow add @ft" in e.text for e in ex.evidence)


def test_bridged_br_netfilter_is_flagged_as_likely_bridged() -> None:
    snap = _snap(_lab("bridged-br-netfilter"))
    ex = explain_flow(snap, _one(snap, proto="tcp"))
    assert ex.state == "software"
    assert not ex.certain
    assert any("br0" in r and "without a fast path" in r for r in ex.reasons)


def _paste_capture(tmp_path: Path) -> Path:
    """ppe-openwrt17915-1.txt: the /proc conntrack lines and PPE bind lines of one UDP flow."""
    body = read_capture_file("ppe-openwrt17915-1.txt").body.splitlines(keepends=True)
    cap = tmp_path / "cap"
    (cap / "proc/net").mkdir(parents=True)
    (cap / "sys/kernel/debug/ppe0").mkdir(parents=True)
    (cap / "proc/net/nf_conntrack").write_text("".join(ln for ln in body if ln.startswith("ipv4")))
    (cap / "sys/kernel/debug/ppe0/bind").write_text(
        "".join(ln for ln in body if ln[:5].strip() and ln[5:6] == " " and " BND " in ln)
    )
    return cap


def test_hardware_flow_with_ppe_evidence(tmp_path: Path) -> None:
    snap = _snap(_paste_capture(tmp_path))
    hw = _one(snap, offload="hw")
    ex = explain_flow(snap, hw)
    assert ex.state == "hardware"
    assert any(e.source.endswith("ppe0/bind") and "BND" in e.text for e in ex.evidence)
    # the same flow one second later: back on the slow path, with its timeout again
    later = [f for f in snap.conntrack.flows() if f.offload.value == "none"]
    assert later and explain_flow(snap, later[0]).state == "none"


def test_non_offloadable_protocol_and_states() -> None:
    cap = Capture.open(_lab("routed-sfo"))
    snap = build_snapshot(cap)
    for f in snap.conntrack.flows():
        ex = explain_flow(snap, f)
        if f.proto not in ("tcp", "udp", "gre"):
            assert ex.state == "none" and "never offloaded" in ex.summary


def test_cli_explain_flow_json_and_errors() -> None:
    target = str(_lab("routed-sfo"))
    p = offtui("explain-flow", target, "--match", "proto=udp", "--format", "json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["schema"] == "offtui-explain-flow" and doc["matched"] >= 1
    assert doc["flows"][0]["state"] == "software"
    bad = offtui("explain-flow", target, "--match", "dport=99999")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    none = offtui("explain-flow", target, "--match", "dport=1")
    assert none.returncode == 2 and "no flow matches" in none.stderr
