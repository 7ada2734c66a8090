"""Build a :class:`~offtui.model.Snapshot` from a capture: the only place parsers meet.

Reading the capture's bytes is the capture's job; everything here is parsing and
joining facts. Each source's status (ok, not collected, failed, and how many lines could not be
read) ends up in ``Snapshot.sources`` so that every view can say what it did not see.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from typing import TypeVar

from offtui.capture import Capture
from offtui.model import (
    Backend,
    ConntrackLimits,
    ConntrackTable,
    CpuLoad,
    Link,
    OffloadMode,
    PpeTable,
    Ruleset,
    Settings,
    Snapshot,
    SourceState,
    SourceStatus,
    SystemInfo,
)
from offtui.parsers.common import Parsed
from offtui.sources.catalog import BY_NAME, SOURCES

T = TypeVar("T")

PPE_GLOBS = (
    "sys/kernel/debug/ppe*/entries",
    "sys/kernel/debug/ppe*/bind",
    "sys/kernel/debug/mtk_ppe/entries",
    "sys/kernel/debug/mtk_ppe/bind",
)


class _Builder:
    def __init__(self, cap: Capture) -> None:
        self.cap = cap
        self.recorded = cap.manifest_sources()
        self.statuses: dict[str, SourceStatus] = {}

    # ---------------------------------------------------------------- helpers

    def status(self, name: str) -> SourceStatus:
        """The status of one source: the collector's word, or what the capture shows."""
        if name in self.statuses:
            return self.statuses[name]
        st = self.recorded.get(name)
        if st is None:
            data = self.cap.read_bytes(name)
            spec = BY_NAME.get(name)
            if data is None:
                st = SourceStatus(name, SourceState.NOT_COLLECTED, hint=spec.hint if spec else "")
            else:
                st = SourceStatus(name, SourceState.OK if data.strip() else SourceState.EMPTY)
        self.statuses[name] = st
        return st

    def text(self, name: str) -> str | None:
        """The source's text when the capture holds it (a failed command may still have
        printed something useful), else None; its status is recorded either way."""
        self.status(name)
        return self.cap.read_text(name)

    def parse(self, name: str, fn: Callable[[str], Parsed[T]]) -> T | None:
        """Run one parser on one source; a parser bug becomes a visible status, not a crash."""
        text = self.text(name)
        if text is None:
            return None
        try:
            res = fn(text)
        except Exception as exc:  # a parser must never raise; if one does, say so and go on
            st = self.status(name)
            st.state = SourceState.FAILED
            st.detail = f"offtui could not parse this source ({type(exc).__name__}: {exc})"
            return None
        st = self.status(name)
        st.unparsed_count += res.unparsed_count
        if res.unparsed_count:
            first = res.unparsed[0]
            note = (
                f"{res.unparsed_count} line(s) not understood; first at line {first.line_no}: "
                f"{first.reason}"
            )
            st.detail = f"{st.detail}; {note}" if st.detail else note
        return res.value

    # ---------------------------------------------------------------- sections

    def system(self) -> SystemInfo:
        from offtui.parsers.release import parse_os_release

        info = SystemInfo()
        uname = self.text("commands/uname_-a")
        if uname and uname.strip():
            info.uname = uname.strip().splitlines()[0]
            parts = info.uname.split()
            if len(parts) >= 3:
                info.hostname, info.kernel = parts[1], parts[2]
        version = self.text("proc/version")
        if version and not info.kernel:
            m = re.search(r"Linux version (\S+)", version)
            if m:
                info.kernel = m.group(1)
        host = self.text("proc/sys/kernel/hostname")
        if host and host.strip():
            info.hostname = host.strip()
        osr = self.parse("etc/os-release", parse_os_release)
        if osr:
            info.os_release = osr
            info.os_name = osr.get("PRETTY_NAME") or osr.get("NAME")
        owrt = self.parse("etc/openwrt_release", parse_os_release)
        if owrt:
            info.openwrt_release = owrt
            info.os_name = owrt.get("DISTRIB_DESCRIPTION") or info.os_name
            info.board = owrt.get("DISTRIB_TARGET") or info.board
        return info

    def conntrack(self) -> ConntrackTable | None:
        from offtui.parsers.conntrack import parse_conntrack

        for name, kind in (
            ("proc/net/nf_conntrack", "proc"),
            ("commands/conntrack_-L", "conntrack -L"),
            ("netlink/conntrack_-L", "netlink"),
        ):
            if not self.cap.exists(name):
                continue
            table = self.parse(name, lambda t, kind=kind: parse_conntrack(t, source=kind))
            if table is not None:
                return table
        return None

    def ruleset(self) -> Ruleset | None:
        from offtui.parsers.nft_json import parse_nft_json
        from offtui.parsers.nft_merge import merge_rulesets
        from offtui.parsers.nft_text import parse_nft_text

        j = self.parse("commands/nft_-j_list_ruleset", parse_nft_json)
        t = self.parse("commands/nft_list_ruleset", parse_nft_text)
        return merge_rulesets(j, t)

    def ppe(self, kernel: str | None, soc: str | None) -> list[PpeTable]:
        from offtui.parsers.ppe import parse_ppe
        from offtui.ppe_capacity import ppe_capacity

        found: dict[str, dict[str, str]] = {}
        for pattern in PPE_GLOBS:
            for path in self.cap.glob(pattern):
                inst = path.split("/")[-2]
                found.setdefault(inst, {})[path.rsplit("/", 1)[1]] = path
        tables = []
        for inst in sorted(found):
            files = found[inst]
            path = files.get("entries") or files["bind"]
            entries = self.parse(path, parse_ppe)
            if entries is None:
                continue
            tables.append(
                PpeTable(name=inst, path=path, entries=entries, bind_only="entries" not in files)
            )
        for t in tables:
            max_idx = max((e.index for e in t.entries), default=None)
            t.capacity, t.capacity_reason = ppe_capacity(kernel, soc, len(tables), max_idx)
        return tables

    def cpu(self) -> tuple[CpuLoad | None, object]:
        from offtui.cpuload import cpu_load
        from offtui.parsers.procfs import parse_proc_stat, parse_softirqs

        after = self.parse("proc/stat", parse_proc_stat)
        soft_after = self.parse("proc/softirqs", parse_softirqs)
        if after is None:
            return None, soft_after
        before = soft_before = None
        interval = None
        samples = self.cap.samples()
        if samples:
            prefix, t0 = samples[-1]
            b = self.cap.read_text(f"{prefix}/proc/stat")
            if b is not None:
                before = parse_proc_stat(b).value
            s = self.cap.read_text(f"{prefix}/proc/softirqs")
            if s is not None:
                soft_before = parse_softirqs(s).value
            if t0 is not None and self.cap.time is not None:
                interval = max(self.cap.time - t0, 0.0) or None
        load = cpu_load(after, before, soft_after, soft_before, interval)
        return load, soft_after

    def links(self) -> dict[str, Link] | None:
        from offtui.parsers.iplink import parse_ip_link_json, parse_ip_link_text

        for name, fn in (
            ("commands/ip_-j_-d_link_show", parse_ip_link_json),
            ("netlink/ip_-j_-d_link_show", parse_ip_link_json),
            ("commands/ip_-d_link_show", parse_ip_link_text),
        ):
            if self.cap.exists(name):
                links = self.parse(name, fn)
                if links is not None:
                    return links
        return None

    def settings(self) -> Settings:
        from offtui.parsers.firewalld import parse_firewalld_conf
        from offtui.parsers.sysctl import parse_sysctl_files
        from offtui.parsers.uci import fw4_settings, parse_uci, sqm_queues, wireless_radios

        s = Settings()
        for name in self.cap.glob("etc/config/*"):
            pkg = name.rsplit("/", 1)[1]
            if pkg.startswith(".") or "-opkg" in pkg or pkg.endswith((".bak", "~")):
                continue
            if self.cap.exists(name):
                cfg = self.parse(name, lambda t, pkg=pkg: parse_uci(t, pkg))
                if cfg is not None:
                    s.uci[pkg] = cfg
        if "firewall" in s.uci:
            s.fw4 = fw4_settings(s.uci["firewall"])
        if "wireless" in s.uci:
            s.wireless = wireless_radios(s.uci["wireless"])
        if "sqm" in s.uci:
            s.sqm = sqm_queues(s.uci["sqm"])
        fwd = self.parse("etc/firewalld/firewalld.conf", parse_firewalld_conf)
        if fwd is not None:
            s.firewalld = fwd
        files = {p: self.cap.read_text(p) or "" for p in self.cap.glob("proc/sys/**/*")}
        s.sysctl = parse_sysctl_files(files)
        for p in self.cap.glob("sys/module/*/parameters/*"):
            _, _, mod, _, param = p.split("/", 4)
            s.module_params.setdefault(mod, {})[param] = (self.cap.read_text(p) or "").strip()
        return s

    def limits(self, settings: Settings) -> ConntrackLimits:
        def num(key: str) -> int | None:
            v = settings.sysctl.get(key)
            try:
                return int(v) if v is not None else None
            except ValueError:
                return None

        acct = num("net.netfilter.nf_conntrack_acct")
        return ConntrackLimits(
            count=num("net.netfilter.nf_conntrack_count"),
            max=num("net.netfilter.nf_conntrack_max"),
            acct=None if acct is None else bool(acct),
            flowtable_tcp_timeout=num("net.netfilter.nf_flowtable_tcp_timeout"),
            flowtable_udp_timeout=num("net.netfilter.nf_flowtable_udp_timeout"),
        )

    def modules(self):
        from offtui.parsers.procfs import parse_modules

        for name in ("proc/modules", "commands/lsmod"):
            if self.cap.exists(name):
                mods = self.parse(name, parse_modules)
                if mods is not None:
                    return mods
        return None

    def qdiscs(self):
        from offtui.parsers.tc import parse_tc_json, parse_tc_text

        if self.cap.exists("commands/tc_-j_qdisc_show"):
            return self.parse("commands/tc_-j_qdisc_show", parse_tc_json)
        return self.parse("commands/tc_-s_qdisc", parse_tc_text)

    def routing(self):
        from offtui.parsers.iproute import (
            parse_ip_addr_json,
            parse_ip_route_json,
            parse_ip_rule_json,
        )

        addrs = self.parse("commands/ip_-j_addr_show", parse_ip_addr_json)
        routes = None
        for name, fam in (
            ("commands/ip_-j_route_show", "inet"),
            ("commands/ip_-j_-6_route_show", "inet6"),
        ):
            r = self.parse(name, lambda t, fam=fam: parse_ip_route_json(t, fam))
            if r is not None:
                routes = (routes or []) + r
        rules = self.parse("commands/ip_-j_rule_show", parse_ip_rule_json)
        return addrs, routes, rules

    def processes(self):
        from offtui.parsers.ps import parse_ps

        for name in ("commands/ps_-e_-o_pid,comm", "commands/ps"):
            if self.cap.exists(name):
                procs = self.parse(name, parse_ps)
                if procs is not None:
                    return procs
        return None

    def log_events(self):
        from offtui.parsers.logs import parse_log_events

        events = None
        for name, src in (("commands/dmesg", "dmesg"), ("commands/logread", "logread")):
            ev = self.parse(name, lambda t, src=src: parse_log_events(t, src))
            if ev is not None:
                events = (events or []) + ev
        return events

    def kconfig(self) -> dict[str, str] | None:
        from offtui.parsers.kconfig import parse_kconfig

        raw = self.cap.read_bytes("proc/config.gz")
        if raw is None:
            return None
        self.status("proc/config.gz")
        try:
            text = gzip.decompress(raw).decode("utf-8", "replace")
        except (OSError, EOFError):
            text = raw.decode("utf-8", "replace")  # a hand-made capture may hold it plain
        return parse_kconfig(text).value

    # ---------------------------------------------------------------- assembly

    def build(self) -> Snapshot:
        from offtui.ppe_capacity import guess_soc

        system = self.system()
        settings = self.settings()
        ruleset = self.ruleset()
        conntrack = self.conntrack()
        texts = {
            n: self.cap.read_text(n) or ""
            for n in (
                "commands/dmesg",
                "commands/logread",
                "etc/openwrt_release",
                "commands/uname_-a",
            )
            if self.cap.exists(n)
        }
        system.soc = guess_soc(texts)
        ppe = self.ppe(system.kernel, system.soc)
        cpu, softirqs = self.cpu()
        links = self.links()
        modules = self.modules()
        from offtui.parsers.procfs import parse_interrupts

        interrupts = self.parse("proc/interrupts", parse_interrupts)
        qdiscs = self.qdiscs()
        events = self.log_events()
        kconfig = self.kconfig()
        addresses, routes, ip_rules = self.routing()
        processes = self.processes()
        for spec in SOURCES:
            self.status(spec.name)
        snap = Snapshot(
            time=self.cap.time,
            host=self.cap.host or system.hostname,
            system=system,
            backend=Backend.UNKNOWN,
            offload_mode=OffloadMode.UNKNOWN,
            settings=settings,
            ruleset=ruleset,
            conntrack=conntrack,
            conntrack_limits=self.limits(settings),
            ppe=ppe,
            links=links,
            cpu=cpu,
            softirqs=softirqs,  # type: ignore[arg-type]
            interrupts=interrupts,
            modules=modules,
            qdiscs=qdiscs,
            log_events=events,
            sources=sorted(self.statuses.values(), key=lambda s: s.name),
            addresses=addresses,
            routes=routes,
            ip_rules=ip_rules,
            processes=processes,
        )
        snap.backend = detect_backend(snap)
        snap.offload_mode = detect_offload_mode(snap)
        snap.flowtable_support, snap.flowtable_support_reason = detect_flowtable_support(
            snap, kconfig
        )
        return snap


def build_snapshot(cap: Capture) -> Snapshot:
    """Parse every source of a capture into one snapshot."""
    return _Builder(cap).build()


# ---------------------------------------------------------------------- derived facts


def detect_backend(s: Snapshot) -> Backend:
    tables = {(t.family, t.name) for t in s.ruleset.tables} if s.ruleset else set()
    if ("inet", "fw4") in tables or s.settings.fw4 is not None or s.system.openwrt_release:
        return Backend.FW4
    if ("inet", "firewalld") in tables or s.settings.firewalld is not None:
        return Backend.FIREWALLD
    if s.ruleset is not None:
        return Backend.NFTABLES
    return Backend.UNKNOWN


def detect_offload_mode(s: Snapshot) -> OffloadMode:
    """What the host does now: the live flowtables first, then flows, then configuration."""
    if s.ruleset is not None:
        fts = s.ruleset.flowtables
        if any(ft.hw_offload for ft in fts):
            return OffloadMode.HARDWARE
        if fts:
            if s.conntrack is not None and s.conntrack.hw_offload:
                return OffloadMode.HARDWARE
            return OffloadMode.SOFTWARE
        if not s.ruleset.truncated:
            return OffloadMode.OFF
    if s.conntrack is not None and s.conntrack.hw_offload:
        return OffloadMode.HARDWARE
    if s.conntrack is not None and s.conntrack.offload:
        return OffloadMode.SOFTWARE
    fw4 = s.settings.fw4
    if fw4 is not None and fw4.flow_offloading is not None:
        if fw4.flow_offloading and fw4.flow_offloading_hw:
            return OffloadMode.HARDWARE
        return OffloadMode.SOFTWARE if fw4.flow_offloading else OffloadMode.OFF
    fwd = s.settings.firewalld
    if fwd is not None:
        return OffloadMode.SOFTWARE if fwd.flowtable_devices else OffloadMode.OFF
    return OffloadMode.UNKNOWN


def _kernel_at_least(release: str | None, major: int, minor: int) -> bool | None:
    if not release:
        return None
    m = re.match(r"(\d+)\.(\d+)", release)
    if not m:
        return None
    return (int(m.group(1)), int(m.group(2))) >= (major, minor)


def detect_flowtable_support(
    s: Snapshot, kconfig: dict[str, str] | None
) -> tuple[bool | None, str]:
    """Can this kernel offload flows at all? With the fact that says so."""
    if s.flowtables:
        return True, "the ruleset has a flowtable"
    if s.conntrack is not None and (s.conntrack.offload or s.conntrack.hw_offload):
        return True, "conntrack shows offloaded flows"
    if s.modules is not None and "nf_flow_table" in s.modules:
        return True, "module nf_flow_table is loaded"
    if kconfig is not None and "CONFIG_NF_FLOW_TABLE" in kconfig:
        v = kconfig["CONFIG_NF_FLOW_TABLE"]
        if v in ("y", "m"):
            return True, f"kernel config: CONFIG_NF_FLOW_TABLE={v}"
        return False, (
            "this kernel was built without flowtable support (CONFIG_NF_FLOW_TABLE is not set): "
            "it cannot offload flows at all"
        )
    if "net.netfilter.nf_flowtable_tcp_timeout" in s.settings.sysctl:
        return True, "net.netfilter.nf_flowtable_tcp_timeout exists"
    if (
        "net.netfilter.nf_conntrack_max" in s.settings.sysctl
        and _kernel_at_least(s.system.kernel, 5, 14)
        and s.modules is None
    ):
        # Since 5.14 nf_conntrack registers nf_flowtable_* sysctls whenever the kernel has
        # CONFIG_NF_FLOW_TABLE; without module support nothing can add it later.
        return False, (
            "no nf_flowtable_* sysctls and no module support in this kernel: "
            "it has no flowtable support"
        )
    return None, "not known from this capture"
