"""The snapshot model: one typed picture of a host's flow-offload state.

Everything offtui shows (panels, findings, bundles, JSON) is a view over a
:class:`Snapshot`. It is built from a capture by :mod:`offtui.snapshot` and holds no I/O.
``None`` always means "not known" (the source was not collected or could not be read);
it never means "off" or "zero".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

# --------------------------------------------------------------------------- sources


class SourceState(StrEnum):
    """What happened when a source (a file or a command) was collected."""

    OK = "ok"
    MISSING = "missing"  # file absent / command not installed
    PERMISSION = "permission denied"
    FAILED = "failed"  # command exited non-zero
    TIMEOUT = "timed out"
    NOT_COLLECTED = "not collected"  # absent from a capture that has no word on it
    EMPTY = "empty"


@dataclass(slots=True)
class SourceStatus:
    """One source a capture tried (or did not try), with the reason and a hint."""

    name: str  # capture path, e.g. "proc/net/nf_conntrack" or "commands/nft_-j_list_ruleset"
    state: SourceState
    detail: str = ""
    hint: str = ""
    exit_code: int | None = None
    stderr: str = ""
    duration_s: float | None = None
    unparsed_count: int = 0


# --------------------------------------------------------------------------- conntrack


class OffloadState(StrEnum):
    NONE = "none"
    SOFTWARE = "offload"  # [OFFLOAD]
    HARDWARE = "hw_offload"  # [HW_OFFLOAD]


@dataclass(slots=True, frozen=True)
class FlowTuple:
    """One direction of a conntrack entry (``src= dst= sport= dport=`` and friends)."""

    src: str
    dst: str
    sport: int | None = None
    dport: int | None = None
    #: Other key=value pairs of the tuple (icmp ``type/code/id``, gre ``srckey/dstkey``...).
    extra: tuple[tuple[str, str], ...] = ()
    packets: int | None = None
    bytes: int | None = None
    zone: int | None = None


@dataclass(slots=True)
class Flow:
    """One conntrack entry, as ``/proc/net/nf_conntrack`` or ``conntrack -L`` prints it."""

    l3: str | None  # "ipv4"/"ipv6"; None for ``conntrack -L`` (it prints no l3 columns)
    proto: str  # "tcp", "udp", "icmp", "unknown", ...
    protonum: int
    timeout: int | None  # None for offloaded entries (the kernel prints none)
    state: str | None  # TCP state word; None for offloaded TCP and non-TCP
    orig: FlowTuple
    reply: FlowTuple
    offload: OffloadState
    assured: bool  # [ASSURED] printed (never printed together with an offload tag)
    unreplied: bool  # [UNREPLIED] printed
    mark: int | None = None
    zone: int | None = None
    use: int | None = None
    labels: str | None = None
    secctx: str | None = None
    #: Unknown trailing fields, kept verbatim.
    extra: tuple[str, ...] = ()
    line_no: int = 0


@dataclass(slots=True)
class ConntrackTable:
    """Counts of a conntrack table, and its flows (materialised lazily by the parser)."""

    source: str  # "proc" or "conntrack -L" or "netlink"
    total: int
    offload: int
    hw_offload: int
    assured: int
    unreplied: int
    by_proto: dict[str, int]
    _flows: object = field(default=None, repr=False)  # a callable or list, set by the parser

    def flows(self) -> list[Flow]:
        """All flows (parsed on first use and cached)."""
        if callable(self._flows):
            self._flows = self._flows()
        return self._flows if isinstance(self._flows, list) else []

    def iter_flows(self) -> Iterator[Flow]:
        return iter(self.flows())


@dataclass(slots=True)
class ConntrackLimits:
    count: int | None = None  # net.netfilter.nf_conntrack_count
    max: int | None = None  # net.netfilter.nf_conntrack_max
    acct: bool | None = None  # net.netfilter.nf_conntrack_acct
    flowtable_tcp_timeout: int | None = None
    flowtable_udp_timeout: int | None = None


# --------------------------------------------------------------------------- nftables


@dataclass(slots=True)
class Flowtable:
    family: str
    table: str
    name: str
    hook: str | None
    priority: int | None  # numeric (JSON "prio"; text "filter + 10" -> 10)
    priority_text: str | None  # as the text ruleset spells it ("filter + 10")
    devices: list[str]
    hw_offload: bool | None  # "flags offload"; None = not known from this source
    counter: bool | None  # "counter"; None = not known (the JSON never says)
    handle: int | None = None


@dataclass(slots=True)
class Rule:
    family: str
    table: str
    chain: str
    handle: int | None
    text: str  # a readable one-line form (from the text ruleset, or rebuilt from JSON)
    #: "add"/"offload" flow statement target flowtable name (without "@"), if any.
    flow_add: str | None = None
    #: Terminal verdict of the rule: "accept", "drop", "reject", "return", "jump", "goto".
    verdict: str | None = None
    #: For jump/goto: the target chain.
    target: str | None = None
    #: Readable matches that precede the verdict / flow statement.
    matches: list[str] = field(default_factory=list)
    counter_packets: int | None = None
    counter_bytes: int | None = None
    comment: str | None = None
    #: Statements that change packets or account them (e.g. "dscp set", "limit rate", "quota",
    #: "log", "meta priority set", "ct count"); used by rules about what offload bypasses.
    statements: list[str] = field(default_factory=list)
    line_no: int | None = None
    #: Every chain the rule can pass control to: the jump/goto target, and each jump/goto
    #: inside a verdict map (``verdict`` is then "vmap"), for chain reachability.
    targets: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Chain:
    family: str
    table: str
    name: str
    type: str | None  # "filter", "nat", "route"; None for a regular chain
    hook: str | None
    priority: int | None
    priority_text: str | None
    policy: str | None
    devices: list[str] = field(default_factory=list)  # netdev/ingress chains
    rules: list[Rule] = field(default_factory=list)
    handle: int | None = None


@dataclass(slots=True)
class Table:
    family: str
    name: str
    handle: int | None = None
    chains: list[Chain] = field(default_factory=list)
    flowtables: list[Flowtable] = field(default_factory=list)
    sets: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Ruleset:
    tables: list[Table] = field(default_factory=list)
    source: str = ""  # "json" or "text" or "json+text"
    nft_version: str | None = None
    truncated: bool = False  # text paste ended inside a block

    @property
    def flowtables(self) -> list[Flowtable]:
        return [ft for t in self.tables for ft in t.flowtables]

    @property
    def chains(self) -> list[Chain]:
        return [c for t in self.tables for c in t.chains]

    def table(self, family: str, name: str) -> Table | None:
        for t in self.tables:
            if t.family == family and t.name == name:
                return t
        return None


# --------------------------------------------------------------------------- PPE


class PpeState(StrEnum):
    UNBIND = "UNB"
    BIND = "BND"
    FIN = "FIN"
    INVALID = "INV"
    UNKNOWN = "UNK"


@dataclass(slots=True, frozen=True)
class PpeEntry:
    index: int  # FOE hash index (5 hex digits)
    state: str  # "UNB", "BND", "FIN", "INV", "UNK"
    type: str  # "IPv4 5T", "IPv4 3T", "DS-LITE", "IPv6 3T", "IPv6 5T", "6RD", "UNKNOWN"
    orig: str  # "src:port->dst:port" as printed
    new: str | None
    eth_src: str | None
    eth_dst: str | None
    etype: str | None  # hex as printed; the driver overloads it, not an Ethertype
    vlan: tuple[int, int] | None
    ib1: int | None
    ib2: int | None
    packets: int | None = None  # accounting tail (newer kernels)
    bytes: int | None = None
    data: int | None = None  # Airoha "data=" field
    extra: tuple[str, ...] = ()
    line_no: int = 0


@dataclass(slots=True)
class PpeTable:
    """One PPE instance (``ppe0``, ``ppe1``, ``mtk_ppe``, Airoha ``ppe``)."""

    name: str
    path: str  # capture path of the file read, e.g. "sys/kernel/debug/ppe0/entries"
    entries: list[PpeEntry]
    #: Only the ``bind`` file was available: ``entries`` then holds bound entries only.
    bind_only: bool = False
    capacity: int | None = None
    capacity_reason: str = ""

    @property
    def bound(self) -> int:
        return sum(1 for e in self.entries if e.state == "BND")

    @property
    def unbound(self) -> int:
        return sum(1 for e in self.entries if e.state == "UNB")

    @property
    def other(self) -> int:
        return sum(1 for e in self.entries if e.state not in ("BND", "UNB"))

    @property
    def by_type(self) -> dict[str, dict[str, int]]:
        """{type: {state: count}}"""
        out: dict[str, dict[str, int]] = {}
        for e in self.entries:
            d = out.setdefault(e.type, {})
            d[e.state] = d.get(e.state, 0) + 1
        return out


# --------------------------------------------------------------------------- CPU


@dataclass(slots=True, frozen=True)
class CpuTimes:
    """One ``cpuN`` line of ``/proc/stat`` (jiffies)."""

    name: str  # "cpu" (all) or "cpu0"...
    user: int
    nice: int
    system: int
    idle: int
    iowait: int = 0
    irq: int = 0
    softirq: int = 0
    steal: int = 0
    guest: int = 0
    guest_nice: int = 0

    @property
    def total(self) -> int:
        # guest time is already counted in user/nice
        return (
            self.user
            + self.nice
            + self.system
            + self.idle
            + self.iowait
            + self.irq
            + self.softirq
            + self.steal
        )

    @property
    def busy(self) -> int:
        return self.total - self.idle - self.iowait


@dataclass(slots=True, frozen=True)
class ProcStat:
    cpus: tuple[CpuTimes, ...]  # per-core lines only (cpu0, cpu1, ...)
    total: CpuTimes | None  # the aggregate "cpu" line
    btime: int | None = None


@dataclass(slots=True, frozen=True)
class Softirqs:
    """``/proc/softirqs``: {name: per-cpu counts}, cpu labels in order."""

    cpus: tuple[str, ...]
    counts: dict[str, tuple[int, ...]]


@dataclass(slots=True)
class CoreLoad:
    """Load of one core over an interval (or since boot when only one sample exists)."""

    cpu: str
    busy_pct: float
    softirq_pct: float
    net_rx: int | None = None  # NET_RX softirqs in the interval
    net_tx: int | None = None


@dataclass(slots=True)
class CpuLoad:
    cores: list[CoreLoad]
    interval_s: float | None  # None when computed since boot (single sample)
    since_boot: bool


@dataclass(slots=True, frozen=True)
class InterruptLine:
    irq: str
    counts: tuple[int, ...]
    description: str


@dataclass(slots=True, frozen=True)
class Module:
    name: str
    size: int | None
    refcount: int | None
    used_by: tuple[str, ...]
    state: str | None = None


# --------------------------------------------------------------------------- topology


@dataclass(slots=True)
class Link:
    """One network device as ``ip -j -d link show`` describes it."""

    name: str
    index: int | None = None
    kind: str | None = None  # linkinfo.info_kind: bridge, veth, vlan, dsa, pppoe, wireguard...
    slave_kind: str | None = None  # linkinfo.info_slave_kind: "bridge" for bridge ports
    master: str | None = None  # bridge (or bond/vrf) this device is enslaved to
    link: str | None = None  # lower device ("eth0" for "eth0.7@eth0")
    vlan_id: int | None = None
    mtu: int | None = None
    operstate: str | None = None
    address: str | None = None
    flags: tuple[str, ...] = ()
    link_type: str | None = None  # "ether", "ppp", "none", "loopback"
    #: Wireless band of this interface ("2g", "5g", "6g", "60g") when known from UCI.
    band: str | None = None
    netns: str | None = None


@dataclass(slots=True, frozen=True)
class Address:
    """One address of a device (``ip -j addr show``)."""

    dev: str
    family: str  # "inet" / "inet6"
    local: str
    prefixlen: int
    scope: str | None = None


@dataclass(slots=True, frozen=True)
class Route:
    """One route (``ip -j route show``): ``dst`` "default" or a prefix."""

    dst: str
    dev: str | None
    gateway: str | None = None
    table: str | None = None
    family: str = "inet"
    protocol: str | None = None
    type: str | None = None  # "unicast" when absent; "local", "blackhole", "unreachable"...


@dataclass(slots=True, frozen=True)
class IpRule:
    """One policy routing rule (``ip -j rule show``)."""

    priority: int | None
    table: str | None
    fwmark: str | None = None
    src: str | None = None
    dst: str | None = None
    iif: str | None = None
    oif: str | None = None
    family: str = "inet"


# --------------------------------------------------------------------------- settings


@dataclass(slots=True)
class UciSection:
    type: str
    name: str | None  # named section, or None for anonymous
    index: int  # position among sections of the same type (for @type[N])
    options: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    line_no: int = 0

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.options.get(key, default)

    def values(self, key: str) -> list[str]:
        """An option or a list, as a list (UCI lets both spell the same thing)."""
        if key in self.lists:
            return list(self.lists[key])
        v = self.options.get(key)
        return v.split() if v else []


@dataclass(slots=True)
class UciConfig:
    package: str  # "firewall", "network", ...
    sections: list[UciSection] = field(default_factory=list)

    def of_type(self, type_: str) -> list[UciSection]:
        return [s for s in self.sections if s.type == type_]


@dataclass(slots=True)
class Fw4Zone:
    name: str
    networks: list[str]
    devices: list[str]
    masq: bool = False
    mtu_fix: bool = False


@dataclass(slots=True)
class Fw4Settings:
    flow_offloading: bool | None
    flow_offloading_hw: bool | None
    zones: list[Fw4Zone] = field(default_factory=list)
    forwardings: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class FirewalldSettings:
    #: Raw value of NftablesFlowtable ("off" or a space separated device list).
    nftables_flowtable: str | None
    firewall_backend: str | None = None
    options: dict[str, str] = field(default_factory=dict)

    @property
    def flowtable_devices(self) -> list[str]:
        v = (self.nftables_flowtable or "").strip()
        return [] if v in ("", "off") else v.split()


@dataclass(slots=True)
class WirelessRadio:
    name: str
    band: str | None  # "2g", "5g", "6g", "60g"
    hwmode: str | None
    disabled: bool
    ifaces: list[dict[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class SqmQueue:
    name: str
    interface: str | None
    enabled: bool
    qdisc: str | None
    script: str | None


@dataclass(slots=True, frozen=True)
class Qdisc:
    kind: str
    dev: str
    handle: str | None
    parent: str | None  # "root", "ingress", or a class id
    options: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True, frozen=True)
class LogEvent:
    """A log line that matters for offloading (dmesg or logread)."""

    kind: str  # "hw-offload-fallback", "wed-attach", "wed-attach-failed", "conntrack-full", ...
    text: str
    line_no: int
    source: str  # "dmesg" or "logread"


@dataclass(slots=True)
class SystemInfo:
    hostname: str | None = None
    kernel: str | None = None  # release, e.g. "6.1.0-56-cloud-amd64"
    uname: str | None = None  # the whole `uname -a`
    os_name: str | None = None  # PRETTY_NAME or DISTRIB_DESCRIPTION
    openwrt_release: dict[str, str] = field(default_factory=dict)
    os_release: dict[str, str] = field(default_factory=dict)
    board: str | None = None  # e.g. "mediatek/filogic" target or model name
    soc: str | None = None  # e.g. "mt7986" when it can be read from the capture


# --------------------------------------------------------------------------- snapshot


class Backend(StrEnum):
    FW4 = "fw4"
    FIREWALLD = "firewalld"
    NFTABLES = "nftables"
    UNKNOWN = "unknown"


class OffloadMode(StrEnum):
    OFF = "off"
    SOFTWARE = "software"
    HARDWARE = "hardware"
    UNKNOWN = "unknown"


@dataclass(slots=True)
class Settings:
    fw4: Fw4Settings | None = None
    firewalld: FirewalldSettings | None = None
    uci: dict[str, UciConfig] = field(default_factory=dict)  # package -> config
    sysctl: dict[str, str] = field(default_factory=dict)  # "net.netfilter.nf_conntrack_max" -> v
    module_params: dict[str, dict[str, str]] = field(default_factory=dict)  # mod -> {param: v}
    wireless: list[WirelessRadio] = field(default_factory=list)
    sqm: list[SqmQueue] = field(default_factory=list)


@dataclass(slots=True)
class Snapshot:
    """Everything known about one host at one moment."""

    time: float | None  # unix time of the capture, None when unknown
    host: str | None
    system: SystemInfo
    backend: Backend
    offload_mode: OffloadMode
    settings: Settings
    ruleset: Ruleset | None
    conntrack: ConntrackTable | None
    conntrack_limits: ConntrackLimits
    ppe: list[PpeTable]
    links: dict[str, Link] | None  # None when no link source was collected
    cpu: CpuLoad | None
    softirqs: Softirqs | None
    interrupts: list[InterruptLine] | None
    modules: dict[str, Module] | None
    qdiscs: list[Qdisc] | None
    log_events: list[LogEvent] | None
    sources: list[SourceStatus]
    addresses: list[Address] | None = None
    routes: list[Route] | None = None
    ip_rules: list[IpRule] | None = None
    #: Names of running processes (``comm``), e.g. {"bridger", "nlbwmon", "irqbalance"}.
    processes: frozenset[str] | None = None
    #: True when the kernel is known to lack flowtable support (nf_flow_table absent).
    flowtable_support: bool | None = None
    flowtable_support_reason: str = ""

    @property
    def flowtables(self) -> list[Flowtable]:
        return self.ruleset.flowtables if self.ruleset else []

    def source(self, name: str) -> SourceStatus | None:
        for s in self.sources:
            if s.name == name:
                return s
        return None

    def has(self, name: str) -> bool:
        s = self.source(name)
        return s is not None and s.state == SourceState.OK
