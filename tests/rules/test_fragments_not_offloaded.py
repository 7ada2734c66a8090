"""fragments-not-offloaded on the lab's routed capture (real) and a variant."""

from __future__ import annotations

from pathlib import Path

from tests.rules._net import evidence_text, fires, lab, lab_variant, passes, run

ID = "fragments-not-offloaded"
UDP = "sport=50689 dport=5002 packets=37 bytes=38036"


def test_fires_on_udp_datagrams_larger_than_the_mtu(tmp_path: Path) -> None:
    # routed-sfo with one edit: the UDP flow to :5002 (line 2) counts 37 packets of 102,786
    # bytes instead of 38,036 (2778-byte datagrams, as a sender with a large MTU would send;
    # conntrack counts them reassembled).
    snap = lab_variant(
        tmp_path,
        "routed-sfo",
        edits={
            "proc/net/nf_conntrack": lambda t: t.replace(
                UDP, "sport=50689 dport=5002 packets=37 bytes=102786", 1
            )
        },
    )
    res = fires(snap, ID)
    (f,) = res.findings
    assert f.message.startswith("1 forwarded UDP flow(s)")
    ev = evidence_text(res)
    assert "udp src=10.0.1.2 dst=10.0.2.2 sport=50689 dport=5002" in ev
    assert "37 packets, 2778 bytes per packet > MTU 1500 of veth-a" in ev


def test_passes_on_unmodified_capture() -> None:
    # The lab's UDP echo sends 1000-byte datagrams: 38036 / 37 = 1028 bytes per packet.
    passes(lab("routed-sfo"), ID)


def test_skipped_without_byte_counters(tmp_path: Path) -> None:
    from tests.rules._net import placed

    # ubicloud#1009's `conntrack -L` prints no packets=/bytes= (accounting off).
    snap = placed(tmp_path, {"commands/conntrack_-L": ("conntrack-ubicloud1009-1.txt", None)})
    res = run(snap, ID)
    assert res.outcome == "skipped" and "nf_conntrack_acct" in res.reason
