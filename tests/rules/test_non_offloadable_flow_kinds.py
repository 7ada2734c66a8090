"""non-offloadable-flow-kinds on the lab's conntrack listing (real) and a variant."""

from __future__ import annotations

from pathlib import Path

from tests.capture_files import read_capture_file
from tests.rules._net import evidence_text, fires, passes, placed

ID = "non-offloadable-flow-kinds"
CT = "lab-serve-proc-net-nf_conntrack.txt"


def test_passes_when_icmp_is_a_trickle(tmp_path: Path) -> None:
    # The real listing: one ICMP flow of 2+2 packets (336 bytes) beside MBs of TCP/UDP.
    snap = placed(tmp_path, {"proc/net/nf_conntrack": (CT, None)})
    res = passes(snap, ID)
    assert "0% of forwarded bytes" in res.reason


def test_fires_when_icmp_carries_much_of_the_traffic(tmp_path: Path) -> None:
    # One edit: the ICMP flow's counters (`packets=2 bytes=168`, both directions) become
    # `packets=20000 bytes=1680000`, as a flood ping would leave them.
    body = read_capture_file(CT).body.replace("packets=2 bytes=168", "packets=20000 bytes=1680000")
    snap = placed(tmp_path, {}, raw={"proc/net/nf_conntrack": body})
    res = fires(snap, ID)
    (f,) = res.findings
    assert "ICMP: 1 flow(s), 3.2 MiB" in f.message
    assert "icmp src=10.0.1.2 dst=10.0.2.2 bytes=3360000: ICMP" in evidence_text(res)
