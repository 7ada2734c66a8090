"""known-regressions-by-version: this release/board/kernel matches a known offload bug."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from offtui.engine import (
    Evidence,
    RuleDoc,
    RuleInfo,
    RuleResult,
    Severity,
    finding,
    found,
    passed,
    skipped,
)
from offtui.model import Snapshot
from offtui.rules._misc_helpers import (
    MULTICAST_PROXY_CONFIGS,
    MULTICAST_PROXY_PROCESSES,
    hw_offload_selected,
    kernel_build_month,
    kernel_version,
)

SWITCH_TO_SFO = (
    "uci set firewall.@defaults[0].flow_offloading='1'\n"
    "uci set firewall.@defaults[0].flow_offloading_hw='0'\n"
    "uci commit firewall && /etc/init.d/firewall restart"
)

RULE = RuleInfo(
    id="known-regressions-by-version",
    severity=Severity.WARNING,
    title="This OpenWrt release, target and kernel match a known offload regression",
    needs=("system_release",),
    doc=RuleDoc(
        what=(
            "Matches `/etc/openwrt_release` (DISTRIB_ID, DISTRIB_RELEASE, DISTRIB_TARGET), the "
            "kernel (`uname -a`: release and build date) and the offload settings against the "
            "catalog's table of version- and board-specific offload bugs; each row cites its "
            "issue."
        ),
        why=(
            "Some offload problems are neither configuration nor design but bugs of one release "
            "on one target: fw4 failing to start (22.03.0-rc2/-rc3), mt7621 HFO collapsing to one "
            "core, an IPv6 HFO oops on 5.15, PPPoE not binding on mt7622, MT7981 latency with "
            "HFO on 24.10.1, IPTV stutter on 24.10.0, link resets on a 2025-09 snapshot, WED "
            "capping downlink on BPI-R4 24.10.5, and ImmortalWrt builds that disable fw4 offload "
            "on purpose. Knowing the row saves a long diagnosis."
        ),
        fix=(
            "Per row; usually fall back to software offload:\n"
            + SWITCH_TO_SFO
            + "\n# or upgrade (or downgrade) past the affected release"
        ),
        example=(
            "DISTRIB_RELEASE='24.10.0' DISTRIB_TARGET='mediatek/filogic', flow_offloading_hw=1: "
            "IPTV multicast stutter with HW acceleration (openwrt/openwrt#18214)"
        ),
        limits=(
            "Each row is confirmed only by its linked issue. Rows keyed on a snapshot's date use "
            "the kernel build date from `uname -a` or the dmesg banner (OpenWrt builds the "
            "kernel with the image); without either they are not decided. The board name "
            "(`/tmp/sysinfo/board_name`) is not collected, so board-specific rows match on "
            "target and SoC. Conditions a capture cannot show (DSA VLAN filtering in use, the "
            "WAN at line rate) are named in the finding as not checked."
        ),
        fix_interrupts=(
            "Yes: restarting the firewall (or upgrading) interrupts forwarding for a moment."
        ),
        references=(
            "openwrt/openwrt#9935",
            "openwrt/openwrt#10354",
            "openwrt/openwrt#10572",
            "openwrt/openwrt#9531",
            "immortalwrt/immortalwrt PR #678",
            "openwrt/openwrt#19449",
            "openwrt/openwrt#18214",
            "openwrt/openwrt#19961",
            "openwrt/mt76#1051",
            "immortalwrt/immortalwrt#1353",
        ),
    ),
)


@dataclass
class Facts:
    distrib_id: str
    release: str
    target: str
    revision: str
    kernel: tuple[int, ...] | None
    built: tuple[int, int] | None
    hfo: bool
    fw4_sfo: bool | None
    flowtables: int | None  # None: no ruleset
    snap: Snapshot
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class Match:
    matched: list[str]
    unchecked: list[str] = field(default_factory=list)
    extra: list[Evidence] = field(default_factory=list)


@dataclass(frozen=True)
class Row:
    source: str
    symptom: str
    fix: str
    #: Returns a Match, None when the row does not apply, or a str naming the missing source
    #: that would decide it.
    test: Callable[[Facts], Match | str | None]


def _pppoe(f: Facts) -> bool | None:
    links = f.snap.links
    net = f.snap.settings.uci.get("network")
    if links is None and net is None:
        return None
    if links and any(
        lk.kind == "pppoe" or lk.link_type == "ppp" or n.startswith("pppoe-")
        for n, lk in links.items()
    ):
        return True
    return bool(net and any(s.get("proto") == "pppoe" for s in net.of_type("interface")))


def _ipv6(f: Facts) -> bool | None:
    if f.snap.addresses is None:
        return None
    return any(a.family == "inet6" and a.scope == "global" for a in f.snap.addresses)


def _wed_on(f: Facts) -> bool | None:
    vals = [
        f.snap.settings.module_params.get(m, {}).get("wed_enable") for m in ("mt7915e", "mt7996e")
    ]
    vals = [v.strip() for v in vals if v is not None]
    if vals:
        return any(v in ("Y", "1") for v in vals)
    if f.snap.log_events is not None:
        return any(e.kind == "wed-attach" for e in f.snap.log_events)
    return None


def _multicast(f: Facts) -> bool:
    return bool(
        any(p in MULTICAST_PROXY_PROCESSES for p in f.snap.processes or ())
        or any(c in f.snap.settings.uci for c in MULTICAST_PROXY_CONFIGS)
    )


def _row_9935(f: Facts) -> Match | str | None:
    fw4 = f.snap.settings.fw4
    if f.release not in ("22.03.0-rc2", "22.03.0-rc3"):
        return None
    if fw4 is None:
        return "needs `/etc/config/firewall` (flow_offloading_hw) for openwrt/openwrt#9935"
    if not fw4.flow_offloading_hw:
        return None
    m = Match([f"release {f.release}", "flow_offloading_hw=1"])
    m.extra = [
        Evidence(f"commands/{e.source}", e.text, e.line_no)
        for e in f.snap.log_events or []
        if e.kind == "nft-error"
    ][:2]
    return m


def _row_10354(f: Facts) -> Match | str | None:
    if not (f.release.startswith("22.03") and f.target == "ramips/mt7621" and f.hfo):
        return None
    m = Match([f"release {f.release}", f"target {f.target}", "hardware offload on"])
    net = f.snap.settings.uci.get("network")
    if net is None:
        m.unchecked.append("DSA bridge VLAN filtering (needs /etc/config/network)")
    elif not net.of_type("bridge-vlan"):
        return None
    else:
        m.matched.append("bridge VLAN filtering (config bridge-vlan)")
    return m


def _row_10572(f: Facts) -> Match | str | None:
    if f.target != "ramips/mt7621" or not f.hfo:
        return None
    if f.kernel is None:
        return "needs `uname -a` (kernel version) for openwrt/openwrt#10572"
    if f.kernel[:2] != (5, 15):
        return None
    m = Match([f"target {f.target}", f"kernel {'.'.join(map(str, f.kernel))}", "HFO on"])
    v6 = _ipv6(f)
    if v6 is None:
        m.unchecked.append("IPv6 in use (needs `ip -j addr show`)")
    elif not v6:
        return None
    else:
        m.matched.append("global IPv6 addresses")
    m.unchecked.append("the exact affected 5.15 releases (the issue names the 5.15.60 era)")
    return m


def _row_9531(f: Facts) -> Match | str | None:
    if f.target != "mediatek/mt7622" or f.release != "SNAPSHOT" or not f.hfo:
        return None
    if f.built is None:
        return "needs `uname -a` or `dmesg` (kernel build date) for openwrt/openwrt#9531"
    if not ((2022, 1) <= f.built <= (2022, 4)):
        return None
    m = Match([f"target {f.target}", f"snapshot built {f.built[0]}-{f.built[1]:02d}", "HFO on"])
    pppoe = _pppoe(f)
    if pppoe is None:
        m.unchecked.append("PPPoE WAN (needs `ip -d link` or /etc/config/network)")
    elif not pppoe:
        return None
    else:
        m.matched.append("PPPoE WAN")
    return m


def _row_filogic(release: str) -> Callable[[Facts], Match | str | None]:
    def test(f: Facts) -> Match | str | None:
        if f.target != "mediatek/filogic" or f.release != release or not f.hfo:
            return None
        m = Match([f"release {f.release}", f"target {f.target}", "hardware offload on"])
        if release == "24.10.0":
            if _multicast(f):
                m.matched.append("a multicast proxy runs or is configured")
            else:
                m.unchecked.append("IPTV multicast in use")
        else:
            m.unchecked.append("traffic at line rate")
        return m

    return test


def _row_19961(f: Facts) -> Match | str | None:
    if not f.target.startswith("mediatek/") or f.release != "SNAPSHOT" or not f.hfo:
        return None
    if f.built is None:
        return "needs `uname -a` or `dmesg` (kernel build date) for openwrt/openwrt#19961"
    if f.built != (2025, 9):
        return None
    return Match(
        [f"target {f.target}", "snapshot built 2025-09", "HFO on"],
        ["whether the build predates commit 79d3db7"],
    )


def _row_mt76_1051(f: Facts) -> Match | str | None:
    if f.target != "mediatek/filogic" or f.release != "24.10.5":
        return None
    wed = _wed_on(f)
    if wed is None:
        return "needs `/sys/module/mt7915e/parameters/wed_enable` or dmesg for openwrt/mt76#1051"
    if not wed:
        return None
    soc = f.snap.system.soc
    m = Match([f"release {f.release}", f"target {f.target}", "WED on"])
    if soc is None:
        m.unchecked.append("SoC mt7988 (BPI-R4)")
    elif soc != "mt7988":
        return None
    else:
        m.matched.append("SoC mt7988")
    m.unchecked.append("an MT7916 card")
    return m


def _row_imm_1353(f: Facts) -> Match | str | None:
    if f.distrib_id.lower() != "immortalwrt" or f.target != "mediatek/filogic":
        return None
    if f.fw4_sfo is None:
        return "needs `/etc/config/firewall` for immortalwrt/immortalwrt#1353"
    if not f.fw4_sfo:
        return None
    if f.flowtables is None:
        return "needs `nft list ruleset` for immortalwrt/immortalwrt#1353"
    if f.flowtables:
        return None
    return Match(
        [f"{f.distrib_id} {f.release}", f"target {f.target}", "flow_offloading=1", "no flowtable"],
        ["the 002-forbid-using-flow-offload.patch itself (not visible on the device)"],
    )


ROWS: tuple[Row, ...] = (
    Row(
        "openwrt/openwrt#9935",
        "fw4 fails to start with flow_offloading_hw=1 on a device without HW offload "
        '("Could not process rule: Not supported")',
        "uci set firewall.@defaults[0].flow_offloading_hw='0'\nuci commit firewall && "
        "/etc/init.d/firewall restart\n# and upgrade to 22.03.0 or later",
        _row_9935,
    ),
    Row(
        "openwrt/openwrt#10354",
        "offload works briefly after save & apply, then one core at 100 % and about 200 Mb/s",
        SWITCH_TO_SFO,
        _row_10354,
    ),
    Row(
        "openwrt/openwrt#10572",
        "kernel oops in nf_flow_offload_ipv6_hook with IPv6 and HW offload",
        SWITCH_TO_SFO + "\n# or upgrade to a release with a newer 5.15 kernel",
        _row_10572,
    ),
    Row(
        "openwrt/openwrt#9531 (fix: immortalwrt/immortalwrt PR #678)",
        "HW offload does not bind for PPPoE (ARPHRD_PPP check)",
        "# upgrade to a later snapshot or release (fixed later)\n" + SWITCH_TO_SFO,
        _row_9531,
    ),
    Row(
        "openwrt/openwrt#19449",
        "higher latency and bumpy throughput with HFO at line rate compared with SFO "
        "(maintainer: prefer SFO if the CPU keeps up)",
        SWITCH_TO_SFO,
        _row_filogic("24.10.1"),
    ),
    Row(
        "openwrt/openwrt#18214",
        "IPTV multicast stutter with hardware acceleration (not seen on 23.05)",
        SWITCH_TO_SFO,
        _row_filogic("24.10.0"),
    ),
    Row(
        "openwrt/openwrt#19961",
        "WAN and bridge reset constantly with HFO; fixed by commit 79d3db7",
        "# upgrade to a snapshot that contains 79d3db7\n" + SWITCH_TO_SFO,
        _row_19961,
    ),
    Row(
        "openwrt/mt76#1051",
        "downlink capped at about 6 Mb/s with WED on (BPI-R4 with an MT7916 card)",
        "echo 'options mt7915e wed_enable=0' > /etc/modules.d/mt7915e-wed && reboot",
        _row_mt76_1051,
    ),
    Row(
        "immortalwrt/immortalwrt#1353",
        "HFO has no effect: the build's fw4 carries 002-forbid-using-flow-offload.patch",
        "# use the vendor's HNAT tooling, or a build without the patch (stock OpenWrt)",
        _row_imm_1353,
    ),
)


def _banner(snap: Snapshot) -> Evidence | None:
    """The kernel's ``Linux version ... #0 SMP <build date>`` banner from dmesg, if logged."""
    for e in snap.log_events or []:
        if e.kind == "kernel-version" and kernel_build_month(e.text) is not None:
            return Evidence(f"commands/{e.source}", e.text, e.line_no)
    return None


def _built(snap: Snapshot) -> tuple[int, int] | None:
    """Kernel build month from ``uname -a``, else from the dmesg banner (same format)."""
    built = kernel_build_month(snap.system.uname)
    if built is None:
        banner = _banner(snap)
        built = kernel_build_month(banner.text) if banner is not None else None
    return built


def _facts(snap: Snapshot) -> Facts | None:
    rel = snap.system.openwrt_release
    if not rel:
        return None
    fw4 = snap.settings.fw4
    f = Facts(
        distrib_id=rel.get("DISTRIB_ID", ""),
        release=rel.get("DISTRIB_RELEASE", ""),
        target=rel.get("DISTRIB_TARGET", ""),
        revision=rel.get("DISTRIB_REVISION", ""),
        kernel=kernel_version(snap.system.kernel),
        built=_built(snap),
        hfo=hw_offload_selected(snap),
        fw4_sfo=fw4.flow_offloading if fw4 is not None else None,
        flowtables=len(snap.ruleset.flowtables) if snap.ruleset is not None else None,
        snap=snap,
    )
    f.evidence.append(
        Evidence(
            "etc/openwrt_release",
            " ".join(
                f"{k}='{rel[k]}'"
                for k in ("DISTRIB_ID", "DISTRIB_RELEASE", "DISTRIB_REVISION", "DISTRIB_TARGET")
                if k in rel
            ),
        )
    )
    banner = _banner(snap)
    if snap.system.uname:
        f.evidence.append(Evidence("commands/uname_-a", snap.system.uname))
    elif banner is not None:
        f.evidence.append(banner)
    elif snap.system.kernel:
        f.evidence.append(Evidence("proc/version", f"kernel {snap.system.kernel}"))
    if fw4 is not None and fw4.flow_offloading_hw:
        f.evidence.append(Evidence("etc/config/firewall", "option flow_offloading_hw '1'"))
    return f


def check(snap: Snapshot) -> RuleResult:
    f = _facts(snap)
    if f is None:
        name = snap.system.os_name or snap.system.os_release.get("ID", "this system")
        return passed(RULE, f"{name} is not OpenWrt: the table lists OpenWrt builds only")
    out = []
    undecided = []
    for row in ROWS:
        res = row.test(f)
        if res is None:
            continue
        if isinstance(res, str):
            undecided.append(res)
            continue
        msg = f"{row.source}: {row.symptom}. Matched on " + ", ".join(res.matched) + "."
        if res.unchecked:
            msg += " Not checked: " + "; ".join(res.unchecked) + "."
        out.append(
            finding(
                RULE,
                msg,
                f.evidence + res.extra,
                fix=row.fix,
                impact=float(len(res.matched)),
                subject=row.source,
            )
        )
    if out:
        return found(RULE, *out)
    if undecided:
        return skipped(RULE, "; ".join(undecided))
    return passed(
        RULE,
        f"{f.distrib_id} {f.release} ({f.target}) matches no known offload regression",
    )
