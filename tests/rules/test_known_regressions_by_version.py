"""known-regressions-by-version: release files filled from the catalog's rows."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Outcome, Severity
from tests.rules._misc import (
    IGMPPROXY_CONFIG,
    capture_body,
    evidence_text,
    lab_copy,
    openwrt_release,
    place,
    run,
)

ID = "known-regressions-by-version"
HFO = "config defaults\n\toption flow_offloading\t'1'\n\toption flow_offloading_hw\t'1'\n"


def _openwrt(tmp_path: Path, release: str, target: str, hfo: bool = True, **kw: str) -> Path:
    """/etc/openwrt_release (base-files template, filled) and /etc/config/firewall (firewall4's
    real default, with flow_offloading and flow_offloading_hw '1' added to its defaults
    section when ``hfo``)."""
    cap = tmp_path / f"{release}-{target.replace('/', '_')}"
    place(cap, "etc/openwrt_release", openwrt_release(release, target, **kw))
    fw = capture_body("openwrt-default-firewall.txt")
    assert fw.startswith("config defaults\n")
    if hfo:
        fw = fw.replace("config defaults\n", HFO, 1)
    place(cap, "etc/config/firewall", fw)
    return cap


def test_known_regressions_by_version_fires_on_24_10_0_filogic_hfo(tmp_path: Path) -> None:
    # catalog row: mediatek/filogic 24.10.0 (GL-MT6000), IPTV stutter (openwrt/openwrt#18214);
    # with igmpproxy's real default config the multicast condition is matched, not assumed
    cap = _openwrt(tmp_path, "24.10.0", "mediatek/filogic", revision="r28427-6df0e3d02a")
    place(cap, "etc/config/igmpproxy", IGMPPROXY_CONFIG)
    res = run(ID, cap)
    assert res.outcome == Outcome.FINDING
    (f,) = res.findings
    assert f.severity == Severity.WARNING
    assert f.subject == "openwrt/openwrt#18214"
    assert "IPTV multicast stutter" in f.message
    assert "a multicast proxy runs or is configured" in f.message
    ev = evidence_text(res)
    assert "DISTRIB_RELEASE='24.10.0'" in ev and "DISTRIB_TARGET='mediatek/filogic'" in ev
    assert "option flow_offloading_hw '1'" in ev
    assert "flow_offloading_hw='0'" in f.fix


def test_known_regressions_by_version_fires_on_24_10_1_filogic(tmp_path: Path) -> None:
    res = run(ID, _openwrt(tmp_path, "24.10.1", "mediatek/filogic"))
    assert [f.subject for f in res.findings] == ["openwrt/openwrt#19449"]
    assert "Not checked: traffic at line rate" in res.findings[0].message


def test_known_regressions_by_version_fires_on_22_03_rc2_hfo(tmp_path: Path) -> None:
    res = run(ID, _openwrt(tmp_path, "22.03.0-rc2", "ath79/generic", arch="mips_24kc"))
    assert [f.subject for f in res.findings] == ["openwrt/openwrt#9935"]


def test_known_regressions_by_version_fires_on_dated_snapshot(tmp_path: Path) -> None:
    # SNAPSHOT on mediatek/filogic with HFO, and the real dmesg of dmesg-openwrt23244-1.txt
    # with one edit: its banner's build date `Tue May 19 18:02:54 2026` set to
    # `Mon Sep 15 18:02:54 2025` (openwrt/openwrt#19961: a 2025-09 snapshot)
    cap = _openwrt(tmp_path, "SNAPSHOT", "mediatek/filogic")
    dmesg = capture_body("dmesg-openwrt23244-1.txt")
    assert "#0 SMP Tue May 19 18:02:54 2026" in dmesg
    place(
        cap, "commands/dmesg", dmesg.replace("Tue May 19 18:02:54 2026", "Mon Sep 15 18:02:54 2025")
    )
    res = run(ID, cap)
    assert [f.subject for f in res.findings] == ["openwrt/openwrt#19961"]
    # body line 1 is the pasted prompt, line 2 the banner (grep -n 'Linux version 6.18')
    assert "commands/dmesg:2: [    0.000000] Linux version 6.18.31" in evidence_text(res)


def test_known_regressions_by_version_passes_on_unaffected_release(tmp_path: Path) -> None:
    # the real, undated dmesg banner (2026-05) on the same SNAPSHOT: no row matches
    cap = _openwrt(tmp_path, "SNAPSHOT", "mediatek/filogic")
    place(cap, "commands/dmesg", capture_body("dmesg-openwrt23244-1.txt"))
    assert run(ID, cap).outcome == Outcome.PASS
    # 24.10.2 on filogic with HFO: no row
    assert run(ID, _openwrt(tmp_path, "24.10.2", "mediatek/filogic")).outcome == Outcome.PASS
    # 24.10.0 on filogic with software offload only: the row needs HFO
    cap = _openwrt(tmp_path / "sfo", "24.10.0", "mediatek/filogic", hfo=False)
    assert run(ID, cap).outcome == Outcome.PASS


def test_known_regressions_by_version_passes_on_non_openwrt(tmp_path: Path) -> None:
    res = run(ID, lab_copy(tmp_path, "routed-sfo"))
    assert res.outcome == Outcome.PASS
    assert "not OpenWrt" in res.reason


def test_known_regressions_by_version_skips_undated_snapshot(tmp_path: Path) -> None:
    # SNAPSHOT with HFO and neither `uname -a` nor dmesg: the 2025-09 row cannot be decided
    res = run(ID, _openwrt(tmp_path, "SNAPSHOT", "mediatek/filogic"))
    assert res.outcome == Outcome.SKIPPED
    assert "needs `uname -a` or `dmesg`" in res.reason
    assert "openwrt/openwrt#19961" in res.reason
