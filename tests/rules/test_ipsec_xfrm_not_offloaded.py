"""ipsec-xfrm-not-offloaded on the lab's routed software-offload capture and a variant."""

from __future__ import annotations

from pathlib import Path

from tests.rules._net import LAB, evidence_text, fires, lab, lab_variant, passes

ID = "ipsec-xfrm-not-offloaded"


def _esp_line() -> str:
    # The real IGMP entry of the lab's bridged capture (`unknown 2`, the generic tracker's
    # shape), edited to ESP: protocol number 2 -> 50 and the addresses -> the lab's client
    # 10.0.1.2 and server 10.0.2.2 (both directions).
    line = (LAB / "bridged" / "proc/net/nf_conntrack").read_text().splitlines()[0]
    assert line.startswith("ipv4     2 unknown  2 ")
    return (
        line.replace("unknown  2 ", "unknown  50 ")
        .replace("src=0.0.0.0 dst=224.0.0.22", "src=10.0.1.2 dst=10.0.2.2")
        .replace("src=224.0.0.22 dst=0.0.0.0", "src=10.0.2.2 dst=10.0.1.2")
    )


def test_fires_on_esp_flow_with_a_flowtable(tmp_path: Path) -> None:
    esp = _esp_line()
    snap = lab_variant(
        tmp_path, "routed-sfo", edits={"proc/net/nf_conntrack": lambda t: t + esp + "\n"}
    )
    res = fires(snap, ID)
    (f,) = res.findings
    assert "IPsec is in use" in f.message and "sec_path" in f.message
    assert "proc/net/nf_conntrack: unknown src=10.0.1.2 dst=10.0.2.2" in evidence_text(res)


def test_passes_without_ipsec() -> None:
    res = passes(lab("routed-sfo"), ID)
    assert "no IPsec" in res.reason
