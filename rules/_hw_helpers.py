"""Facts shared by the hardware / Wi-Fi / PPE / SQM rules (not a rule: the name starts with ``_``).

Every helper reads only the snapshot and returns the facts together with the
:class:`~offtui.engine.Evidence` they rest on, so that each rule quotes the same lines.
Other rules may use them too: hardware offload state (:func:`hw_offload`), SQM sites
(:func:`sqm_sites`), WED state (:func:`wed_state`), radio bands (:func:`radios`), bridged
flows (:func:`bridged_flows`), forward-hook counters (:func:`forward_counters`) and PPE
bucket ways (:func:`ppe_ways`).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from offtui.engine import Evidence
from offtui.model import (
    Flow,
    Flowtable,
    OffloadState,
    Qdisc,
    Rule,
    Snapshot,
    SourceState,
    UciSection,
)
from offtui.parsers.nft_common import chains_reachable_from_hook
from offtui.parsers.ppe import guess_ppe_v2
from offtui.parsers.uci import uci_bool

# Re-exported for the rules of this group (the one definition is in _evidence).
from offtui.rules._evidence import conntrack_path as ct_source
from offtui.rules._evidence import rule_line as rule_line
from offtui.rules._evidence import rules_source as ruleset_path  # noqa: F401
from offtui.topology import route_device

RULESET = "commands/nft_list_ruleset"
FIREWALL = "etc/config/firewall"
WIRELESS = "etc/config/wireless"
SQM = "etc/config/sqm"


def ps_path(snap: Snapshot) -> str:
    """Capture path of the process list."""
    name = "commands/ps_-e_-o_pid,comm"
    return name if snap.has(name) else "commands/ps"


def ft_text(ft: Flowtable) -> str:
    """A flowtable as one readable line (the text ruleset's facts, in its words)."""
    flags = {True: " flags offload", False: "", None: " (flags unknown: JSON ruleset)"}
    return (
        f"flowtable {ft.family} {ft.table} {ft.name}: devices = {{ {', '.join(ft.devices)} }}"
        + flags[ft.hw_offload]
    )


# --------------------------------------------------------------------------- offload mode


@dataclass(slots=True)
class HwOffload:
    """Is hardware flow offloading on, and which lines say so."""

    on: bool | None  # None: the capture cannot tell
    evidence: list[Evidence] = field(default_factory=list)
    flowtables: list[Flowtable] = field(default_factory=list)  # the hardware flowtables
    #: Software flowtables (no ``flags offload``) when ``on`` is False.
    software: list[Flowtable] = field(default_factory=list)
    why_unknown: str = ""


def hw_offload(snap: Snapshot) -> HwOffload:
    """Hardware offload from the live flowtables first, then UCI, then the flows themselves.

    The live ruleset wins over UCI: fw4 silently falls back to a software flowtable when the
    kernel refuses ``flags offload`` (``hw-offload-unavailable-fallback``). The JSON of
    nftables 1.0/1.1 prints no flowtable flags, so with only the JSON the UCI switch and
    ``[HW_OFFLOAD]`` flows / bound PPE entries decide.
    """
    fts = snap.flowtables
    hw = [ft for ft in fts if ft.hw_offload]
    if hw:
        return HwOffload(True, [Evidence(RULESET, ft_text(ft)) for ft in hw], hw)
    known_soft = [ft for ft in fts if ft.hw_offload is False]
    if fts and len(known_soft) == len(fts):
        return HwOffload(False, [Evidence(RULESET, ft_text(ft)) for ft in fts], software=known_soft)
    ev: list[Evidence] = []
    fw4 = snap.settings.fw4
    if snap.conntrack is not None and snap.conntrack.hw_offload:
        ev.append(
            Evidence(ct_source(snap), f"{snap.conntrack.hw_offload} flow(s) tagged [HW_OFFLOAD]")
        )
    bound = sum(t.bound for t in snap.ppe)
    if bound:
        ev.append(Evidence(snap.ppe[0].path, f"{bound} bound (BND) PPE entries"))
    if fw4 is not None and fw4.flow_offloading and fw4.flow_offloading_hw:
        ev.insert(0, Evidence(FIREWALL, "option flow_offloading_hw '1'"))
        return HwOffload(True, ev, [ft for ft in fts if ft.hw_offload is None])
    if ev:
        return HwOffload(True, ev, [ft for ft in fts if ft.hw_offload is None])
    if snap.ruleset is not None and not fts and not snap.ruleset.truncated:
        return HwOffload(False, [Evidence(RULESET, "no flowtable in the ruleset")])
    if fw4 is not None and not fw4.flow_offloading_hw and snap.ruleset is None:
        return HwOffload(False, [Evidence(FIREWALL, "flow_offloading_hw not set")])
    return HwOffload(
        None,
        why_unknown=("needs `nft list ruleset` (text: flowtable flags) or `/etc/config/firewall`"),
    )


# --------------------------------------------------------------------------- SQM


@dataclass(slots=True)
class SqmSite:
    """A device shaped by SQM (sqm-scripts) or by a cake / htb+fq_codel qdisc."""

    dev: str
    evidence: list[Evidence]
    from_config: bool  # an enabled ``config queue`` names it
    running: bool | None  # a shaping qdisc is on it (or on ifb4<dev>); None: tc not collected


_SHAPERS = ("cake", "htb", "hfsc", "tbf")


def _qdisc_text(q: Qdisc) -> str:
    opts = " ".join(f"{k} {v}" for k, v in q.options[:4])
    return f"qdisc {q.kind} {q.handle or ''} dev {q.dev} {q.parent or ''} {opts}".replace(
        "  ", " "
    ).strip()


def _tc_source(snap: Snapshot) -> str:
    return (
        "commands/tc_-j_qdisc_show"
        if snap.has("commands/tc_-j_qdisc_show")
        else ("commands/tc_-s_qdisc")
    )


def sqm_sites(snap: Snapshot) -> list[SqmSite]:
    """Devices SQM shapes: enabled sqm queues, and devices with a shaping qdisc.

    sqm-scripts shapes egress on the interface itself and ingress on ``ifb4<interface>``
    (its ``ifb4${IFACE}`` naming), so a shaper on ``ifb4eth1`` counts for ``eth1``. A
    ``htb`` shaper counts only with an ``fq_codel``/``cake``/``fq_pie`` leaf on the same
    device (sqm's simple.qos); a plain cake anywhere counts on its own.
    """
    sites: dict[str, SqmSite] = {}
    for q in snap.settings.sqm:
        if q.enabled and q.interface:
            sec = _sqm_section(snap, q.name)
            line = sec.line_no if sec else None
            sites[q.interface] = SqmSite(
                q.interface,
                [
                    Evidence(
                        SQM,
                        f"config queue '{q.name}': enabled '1', interface '{q.interface}'"
                        + (f", qdisc '{q.qdisc}'" if q.qdisc else "")
                        + (f", script '{q.script}'" if q.script else ""),
                        line,
                    )
                ],
                True,
                None,
            )
    if snap.qdiscs is not None:
        by_dev: dict[str, list[Qdisc]] = {}
        for q in snap.qdiscs:
            by_dev.setdefault(q.dev, []).append(q)
        for dev, qs in by_dev.items():
            kinds = {q.kind for q in qs}
            shaper = next((q for q in qs if q.kind == "cake"), None)
            if (
                shaper is None
                and kinds & {"htb", "hfsc", "tbf"}
                and kinds
                & {
                    "fq_codel",
                    "cake",
                    "fq_pie",
                }
            ):
                shaper = next(q for q in qs if q.kind in _SHAPERS)
            if shaper is None:
                continue
            target = dev[4:] if dev.startswith("ifb4") and len(dev) > 4 else dev
            site = sites.get(target)
            if site is None:
                site = sites[target] = SqmSite(target, [], False, True)
            site.running = True
            site.evidence.append(Evidence(_tc_source(snap), _qdisc_text(shaper)))
        for site in sites.values():
            if site.running is None:
                site.running = False
                site.evidence.append(
                    Evidence(
                        _tc_source(snap), f"no cake/htb shaper on {site.dev} or ifb4{site.dev}"
                    )
                )
    return list(sites.values())


def _sqm_section(snap: Snapshot, name: str) -> UciSection | None:
    cfg = snap.settings.uci.get("sqm")
    if cfg is None:
        return None
    for s in cfg.of_type("queue"):
        if s.name == name or f"@queue[{s.index}]" == name:
            return s
    return None


# --------------------------------------------------------------------------- WED / Wi-Fi

#: mt76 drivers that take ``wed_enable`` (mt7915e: MT7915/MT7916/MT7981/MT7986 radios;
#: mt7996e: MT7996/MT7992).
WED_MODULES = ("mt7915e", "mt7996e")


@dataclass(slots=True)
class WedState:
    """What the capture says about WED: the switch, attach lines, failures."""

    enabled: bool | None  # wed_enable (or an attach line); None: unknown
    evidence: list[Evidence] = field(default_factory=list)
    attached: list[Evidence] = field(default_factory=list)  # "attaching wed device N"
    failed: list[Evidence] = field(default_factory=list)  # attach failed / WO firmware missing
    modules: list[str] = field(default_factory=list)  # mt76 WED-capable modules seen
    logs_known: bool = False


def wed_state(snap: Snapshot) -> WedState:
    st = WedState(None)
    for mod in WED_MODULES:
        val = snap.settings.module_params.get(mod, {}).get("wed_enable")
        path = f"sys/module/{mod}/parameters/wed_enable"
        if val is not None:
            on = val.strip() in ("Y", "y", "1")
            st.enabled = on if st.enabled is None else (st.enabled or on)
            st.evidence.append(Evidence(path, f"wed_enable={val.strip()}"))
        # /sys/module/<mod>/parameters exists only while the module is loaded
        if val is not None or (snap.modules is not None and mod in snap.modules):
            st.modules.append(mod)
    if snap.log_events is not None:
        st.logs_known = True
        for ev in snap.log_events:
            e = Evidence(f"commands/{ev.source}", ev.text, ev.line_no)
            if ev.kind == "wed-attach":
                st.attached.append(e)
            elif ev.kind in ("wed-attach-failed", "wo-firmware-missing", "wed-error"):
                st.failed.append(e)
            elif ev.kind == "driver-probe-failed" and any(m in ev.text for m in WED_MODULES):
                st.failed.append(e)  # the radio's driver gave up after (or before) the attach
    if st.enabled is None and (st.attached or st.failed):
        st.enabled = True  # mt76 only tries to attach WED when wed_enable is set
    return st


@dataclass(slots=True)
class Radio:
    """One ``wifi-device`` with its band, as far as the config says."""

    name: str
    band: str | None
    band_from: str  # "band '2g'", "hwmode '11g'", "channel '11'"
    disabled: bool
    aps: list[dict[str, str]]  # enabled wifi-ifaces in AP mode
    ifaces: list[dict[str, str]]  # all enabled wifi-ifaces
    line_no: int | None


def radios(snap: Snapshot) -> list[Radio]:
    """Radios from ``/etc/config/wireless`` with the band read like netifd's mac80211.sh:
    ``band``, else ``hwmode`` (older configs), else the channel (1-14 is 2.4 GHz)."""
    cfg = snap.settings.uci.get("wireless")
    if cfg is None:
        return []
    sections = {s.name or f"@wifi-device[{s.index}]": s for s in cfg.of_type("wifi-device")}
    out = []
    for r in snap.settings.wireless:
        sec = sections.get(r.name)
        band, band_from = r.band, ""
        if band and sec is not None and sec.get("band"):
            band_from = f"band '{sec.get('band')}'"
        elif band:
            band_from = f"hwmode '{r.hwmode}'"
        elif sec is not None:
            ch = sec.get("channel") or ""
            if ch.isdecimal():
                band = "2g" if 1 <= int(ch) <= 14 else None
                band_from = f"channel '{ch}'" if band else ""
        ifaces = [i for i in r.ifaces if not uci_bool(i.get("disabled"), False)]
        out.append(
            Radio(
                name=r.name,
                band=band,
                band_from=band_from,
                disabled=r.disabled,
                aps=[i for i in ifaces if i.get("mode", "ap") == "ap"],
                ifaces=ifaces,
                line_no=sec.line_no if sec is not None else None,
            )
        )
    return out


# --------------------------------------------------------------------------- bridges


def bridge_ports(snap: Snapshot, bridge: str) -> list[str]:
    return sorted(n for n, lk in (snap.links or {}).items() if lk.master == bridge)


def bridges(snap: Snapshot) -> list[str]:
    return sorted(n for n, lk in (snap.links or {}).items() if lk.kind == "bridge")


def br_netfilter(snap: Snapshot) -> tuple[bool | None, list[Evidence]]:
    """Does the bridge hand IPv4 frames to the inet hooks (br_netfilter + call-iptables=1)?"""
    ev: list[Evidence] = []
    val = snap.settings.sysctl.get("net.bridge.bridge-nf-call-iptables")
    loaded = None if snap.modules is None else "br_netfilter" in snap.modules
    if loaded:
        ev.append(Evidence("proc/modules", "br_netfilter loaded"))
    if val is not None:
        ev.append(
            Evidence(
                "proc/sys/net/bridge/bridge-nf-call-iptables", f"bridge-nf-call-iptables={val}"
            )
        )
        return val.strip() == "1", ev
    if loaded is False:
        ev.append(Evidence("proc/modules", "br_netfilter not loaded"))
        return False, ev
    st = snap.source("proc/sys/net/bridge/bridge-nf-call-iptables")
    if st is not None and st.state == SourceState.MISSING:
        # the collector looked: the sysctl exists only while br_netfilter is loaded
        ev.append(
            Evidence("proc/sys/net/bridge/bridge-nf-call-iptables", "absent: no br_netfilter")
        )
        return False, ev
    return None, ev


def _v4(addr: str) -> bool:
    try:
        return ipaddress.ip_address(addr).version == 4
    except ValueError:
        return False


@dataclass(slots=True)
class BridgedFlow:
    flow: Flow
    bridge: str | None  # the bridge both ends sit behind, when routes say so
    why: str


def bridged_flows(snap: Snapshot) -> list[BridgedFlow] | None:
    """Conntrack flows that the host can only have bridged, not routed. None: cannot tell.

    Only meaningful with br_netfilter on (otherwise bridged frames never make conntrack
    entries). A flow is bridged when both ends route to the same bridge device, or when
    the routing table (collected) has no route to either end at all: the host cannot have
    IP-forwarded it, yet the forward hook saw it.
    """
    if snap.conntrack is None or snap.routes is None:
        return None
    known = {
        fam: (st := snap.source(name)) is not None
        and st.state in (SourceState.OK, SourceState.EMPTY)
        for fam, name in ((4, "commands/ip_-j_route_show"), (6, "commands/ip_-j_-6_route_show"))
    }
    brs = set(bridges(snap))
    if not brs:
        return []
    mine = {a.local for a in snap.addresses or []}
    out = []
    for f in snap.conntrack.flows():
        if f.proto not in ("tcp", "udp"):
            continue
        if f.orig.src in mine or f.orig.dst in mine or f.reply.src in mine:
            continue
        a, b = route_device(snap, f.orig.src), route_device(snap, f.reply.src)
        if a is not None and a == b and a in brs:
            out.append(BridgedFlow(f, a, f"both ends route to {a}"))
        elif (
            a is None
            and b is None
            and known[4 if _v4(f.orig.src) else 6]
            and not _has_route_for(snap, f.orig.src)
        ):
            out.append(BridgedFlow(f, None, "no route to either end: not routable here"))
    return out


def _has_route_for(snap: Snapshot, addr: str) -> bool:
    fam = "inet" if _v4(addr) else "inet6"
    return any(r.family == fam and r.dst == "default" for r in snap.routes or [])


def flow_text(f: Flow) -> str:
    tag = {OffloadState.SOFTWARE: " [OFFLOAD]", OffloadState.HARDWARE: " [HW_OFFLOAD]"}
    pk = f" packets={f.orig.packets}" if f.orig.packets is not None else ""
    rp = f" reply packets={f.reply.packets}" if f.reply.packets is not None else ""
    return (
        f"{f.proto} src={f.orig.src} dst={f.orig.dst} sport={f.orig.sport} "
        f"dport={f.orig.dport}{pk}{rp}{tag.get(f.offload, '')}"
    )


# --------------------------------------------------------------------------- counters


@dataclass(slots=True)
class ForwardCounter:
    chain: str
    text: str
    packets: int
    line_no: int | None
    direction: str | None  # "original" / "reply" when the rule matches ct direction
    rule: Rule


def forward_counters(snap: Snapshot) -> list[ForwardCounter]:
    """Rules with packet counters in chains the ip/ip6/inet forward hook runs."""
    rs = snap.ruleset
    if rs is None:
        return []
    reach = chains_reachable_from_hook(rs, "forward", families={"ip", "ip6", "inet"})
    out = []
    for c in rs.chains:
        if (c.family, c.table, c.name) not in reach:
            continue
        for r in c.rules:
            if r.counter_packets is None:
                continue
            direction = None
            for m in r.matches:
                words = m.split()
                if words[:2] == ["ct", "direction"] and words[2:] in (["original"], ["reply"]):
                    direction = words[2]
            out.append(
                ForwardCounter(
                    f"{c.family} {c.table} {c.name}",
                    r.text,
                    r.counter_packets,
                    r.line_no,
                    direction,
                    r,
                )
            )
    return out


# --------------------------------------------------------------------------- PPE

#: Hash bucket ways (``hash_offset`` in mtk_eth_soc.c's soc data): ``mtk_ppe_hash_entry``
#: shifts the hash left by ``ffs(hash_offset) - 1``, so a bucket is ``hash_offset``
#: consecutive indexes.
WAYS_BY_SOC = {
    "mt7621": 2,
    "mt7622": 2,
    "mt7623": 2,
    "mt7981": 4,
    "mt7986": 4,
    "mt7988": 4,
}


def ppe_ways(snap: Snapshot) -> tuple[int | None, str]:
    """Entries per hash bucket and why (SoC first, then the NETSYS layout of the lines)."""
    soc = snap.system.soc
    if soc in WAYS_BY_SOC:
        return WAYS_BY_SOC[soc], f"{soc}: hash_offset {WAYS_BY_SOC[soc]}"
    v2 = guess_ppe_v2([e for t in snap.ppe for e in t.entries])
    if v2 is True:
        return 4, "NETSYS v2 layout in ib1 (MT7981/MT7986/MT7988): hash_offset 4"
    if v2 is False:
        return 2, "NETSYS v1 layout in ib1 (MT7621/MT7622/MT7623): hash_offset 2"
    return None, "unknown: SoC and entry layout not known"


def offload_counts(snap: Snapshot) -> tuple[int, int]:
    """([OFFLOAD] flows, [HW_OFFLOAD] flows), 0/0 without conntrack."""
    ct = snap.conntrack
    return (ct.offload, ct.hw_offload) if ct is not None else (0, 0)


# --------------------------------------------------------------------------- SoC

#: OpenWrt targets whose SoCs carry a MediaTek frame engine with WED (v1 on MT7622).
WED_SOCS = ("mt7622", "mt7981", "mt7986", "mt7988")
WED_TARGETS = ("mediatek/filogic", "mediatek/mt7622")


def soc_evidence(snap: Snapshot) -> list[Evidence]:
    """Where the SoC name (``snap.system.soc``) and the OpenWrt target were read."""
    ev = []
    target = snap.system.openwrt_release.get("DISTRIB_TARGET")
    if target:
        ev.append(Evidence("etc/openwrt_release", f"DISTRIB_TARGET='{target}'"))
    if snap.system.soc:
        ev.append(
            Evidence(
                "system.soc",
                f"SoC {snap.system.soc} (named in the release file, dmesg/logread or uname)",
            )
        )
    return ev


@dataclass(slots=True)
class PpeFill:
    """Bound entries of one PPE against its table size, and full hash buckets."""

    name: str
    path: str
    bound: int
    unbound: int
    capacity: int | None
    capacity_reason: str
    full_buckets: int
    buckets: int | None
    ways: int | None
    bind_only: bool

    @property
    def fill(self) -> float | None:
        return self.bound / self.capacity if self.capacity else None

    def text(self) -> str:
        cap = (
            f"{self.bound} bound of {self.capacity} ({self.fill:.0%}); capacity "
            f"{self.capacity_reason}"
            if self.capacity
            else f"{self.bound} bound; table size {self.capacity_reason}"
        )
        if not self.bind_only:
            cap += f"; {self.unbound} unbound (UNB)"
        if self.ways and self.buckets:
            cap += f"; {self.full_buckets} of {self.buckets} {self.ways}-way buckets full"
        return f"{self.name}: {cap}"


def ppe_fill(snap: Snapshot) -> list[PpeFill]:
    ways, _ = ppe_ways(snap)
    out = []
    for t in snap.ppe:
        # a paste may hold two samples of one table: count each hash index once
        state = {e.index: e.state for e in t.entries}
        bound = {i for i, st in state.items() if st == "BND"}
        unbound = sum(1 for st in state.values() if st == "UNB")
        full = 0
        buckets = None
        if ways:
            per: dict[int, int] = {}
            for i in bound:
                per[i // ways] = per.get(i // ways, 0) + 1
            full = sum(1 for n in per.values() if n >= ways)
            buckets = t.capacity // ways if t.capacity else None
        out.append(
            PpeFill(
                t.name,
                t.path,
                len(bound),
                unbound,
                t.capacity,
                t.capacity_reason,
                full,
                buckets,
                ways,
                t.bind_only,
            )
        )
    return out


def x86_host(snap: Snapshot) -> str | None:
    """The machine word of ``uname -a`` when it names a PC architecture (no MediaTek SoC)."""
    for word in (snap.system.uname or "").split():
        if word in ("x86_64", "i686", "i586", "i386", "amd64"):
            return word
    return None
