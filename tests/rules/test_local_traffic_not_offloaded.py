"""local-traffic-not-offloaded on the lab's flow-add-input capture (real) and a variant."""

from __future__ import annotations

import re
from pathlib import Path

from tests.rules._net import evidence_text, fires, lab, lab_variant, passes, run

ID = "local-traffic-not-offloaded"


def _server_on_router(text: str) -> str:
    # One edit of `ip -j addr show`: veth-b's address 10.0.2.1/24 becomes 10.0.2.2/24, as if
    # the iperf-like server the lab talks to ran on the router itself.
    return re.sub(r'"local":"10\.0\.2\.1"', '"local":"10.0.2.2"', text, count=1)


def test_fires_when_heavy_flows_end_at_the_router(tmp_path: Path) -> None:
    snap = lab_variant(
        tmp_path, "flow-add-input", edits={"commands/ip_-j_addr_show": _server_on_router}
    )
    res = fires(snap, ID)
    (f,) = res.findings
    # 4 lab flows, all to 10.0.2.2 (grep -c 'dst=10.0.2.2' proc/net/nf_conntrack = 4), so
    # router-terminated traffic is 100 % of the bytes.
    assert f.message.startswith("4 flow(s) with the router itself as an end")
    assert "100% of the bytes" in f.message
    assert "router ports 5001, 5002, 5003, 5004" in f.message
    ev = evidence_text(res)
    assert "tcp src=10.0.1.2 dst=10.0.2.2 sport=54082 dport=5001 bytes=4703512" in ev
    assert "router addresses:" in ev and "10.0.2.2" in ev


def test_passes_when_traffic_is_forwarded() -> None:
    res = passes(lab("flow-add-input"), ID)
    assert "0%" in res.reason


def test_skipped_without_addresses(tmp_path: Path) -> None:
    snap = lab_variant(tmp_path, "flow-add-input", drop=("commands/ip_-j_addr_show",))
    res = run(snap, ID)
    assert res.outcome == "skipped" and "ip -j addr show" in res.reason
