"""hfo-breaks-long-lived-udp on the per-second samples of openwrt#17915 (real)."""

from __future__ import annotations

from pathlib import Path

from tests.rules._net import evidence_text, fires, lab, passes, placed

ID = "hfo-breaks-long-lived-udp"


def test_fires_when_udp_left_hardware_while_ppe_still_binds_it(tmp_path: Path) -> None:
    # The file interleaves /proc/net/nf_conntrack lines and ppe0 `bind` lines: each goes to
    # its own path (the regex selects the lines; nothing is edited). Counted by hand:
    # `grep -c '^ipv4' ` = 2 conntrack lines (one [HW_OFFLOAD], one with timeout 149),
    # `grep -cE '^[0-9a-f]{5} BND'` = 4 bind lines (2 entries, listed twice).
    snap = placed(
        tmp_path,
        {
            "sys/kernel/debug/ppe0/bind": ("ppe-openwrt17915-1.txt", r"^[0-9a-f]{5} "),
            "proc/net/nf_conntrack": ("ppe-openwrt17915-1.txt", r"^ipv[46] "),
        },
    )
    res = fires(snap, ID)
    (f,) = res.findings
    assert f.subject == "192.168.81.11:38720"
    assert "(149 s, no [HW_OFFLOAD])" in f.message and "2 BND entries" in f.message
    ev = evidence_text(res)
    assert "sport=38720 dport=3578 bytes=16504 [HW_OFFLOAD]" in ev
    assert "timeout=149" in ev
    assert (
        "sys/kernel/debug/ppe0/bind: 03c98 BND IPv4 5T orig=192.168.81.11:38720->x.x.x.x:3578" in ev
    )


def test_passes_on_software_offload() -> None:
    res = passes(lab("routed-sfo"), ID)
    assert "software" in res.reason
