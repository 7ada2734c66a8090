"""What a capture can hold: every source offtui knows, with what it is for and a hint.

The local source collects from this list, the snapshot builder reports each entry's status
("not collected" when absent), and rules name these paths when they are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SourceSpec:
    name: str  # capture path
    kind: str  # "file", "command", "glob"
    what: str  # what it tells, for the Sources screen
    argv: tuple[str, ...] = ()  # for commands
    hint: str = ""  # what to do when it is missing
    heavy: bool = False  # large or slow: collected at a slower cadence in live mode
    optional: bool = False  # absent on most hosts; its absence is not worth a line
    #: Read from captures only: the local source has a better source for the same fact.
    replay_only: bool = False


def command_path(argv: tuple[str, ...] | list[str]) -> str:
    """Capture path of a command's output: ``commands/`` + argv joined with ``_``."""
    return "commands/" + "_".join(argv)


def _cmd(argv: str, what: str, hint: str = "", heavy: bool = False, optional: bool = False):
    parts = tuple(argv.split())
    return SourceSpec(command_path(parts), "command", what, parts, hint, heavy, optional)


def _file(path: str, what: str, hint: str = "", heavy: bool = False, optional: bool = False):
    return SourceSpec(path, "file", what, (), hint, heavy, optional)


NFT_HINT = "install nftables (apt-get install nftables / opkg install nftables)"
CT_HINT = "install conntrack-tools (apt-get install conntrack / opkg install conntrack)"
DEBUGFS_HINT = "mount -t debugfs none /sys/kernel/debug"

SOURCES: tuple[SourceSpec, ...] = (
    _file(
        "proc/net/nf_conntrack",
        "conntrack table with offload flags",
        "needs CONFIG_NF_CONNTRACK_PROCFS; offtui falls back to netlink",
        heavy=True,
    ),
    _cmd("conntrack -L", "conntrack table via conntrack-tools", CT_HINT, heavy=True, optional=True),
    _file(
        "netlink/conntrack_-L",
        "conntrack table read over netlink",
        "run as root",
        heavy=True,
        optional=True,
    ),
    _cmd(
        "nft -j list ruleset",
        "nftables ruleset (JSON): flowtables, chains, flow add rules",
        NFT_HINT,
    ),
    _cmd("nft list ruleset", "nftables ruleset (text): flowtable counter and flags", NFT_HINT),
    _cmd("ip -j -d link show", "interfaces: bridges, ports, VLAN, PPPoE, DSA", "install iproute2"),
    _file("netlink/ip_-j_-d_link_show", "interfaces read over netlink", optional=True),
    _cmd("tc -j qdisc show", "queueing disciplines (SQM, cake)", "install iproute2 (tc)"),
    _cmd("ip -j addr show", "addresses: which flows are to or from the router itself"),
    _cmd("ip -j route show", "IPv4 routes: which device a flow arrives and leaves on"),
    _cmd("ip -j -6 route show", "IPv6 routes"),
    _cmd("ip -j rule show", "policy routing rules (fwmark, pbr, mwan3)"),
    SourceSpec(
        "commands/ps",
        "command",
        "running processes, busybox ps (bridger, nlbwmon, irqbalance, mwan3)",
        ("ps",),
        optional=True,
        replay_only=True,
    ),
    _cmd("ps -e -o pid,comm", "running processes (bridger, nlbwmon, irqbalance, mwan3)"),
    SourceSpec(
        "commands/lsmod",
        "command",
        "loaded modules as lsmod prints them (in pasted captures)",
        ("lsmod",),
        optional=True,
        replay_only=True,
    ),
    SourceSpec(
        "commands/tc_-s_qdisc",
        "command",
        "queueing disciplines as text (in pasted captures)",
        ("tc", "-s", "qdisc"),
        optional=True,
        replay_only=True,
    ),
    _file("proc/stat", "CPU time per core"),
    _file("proc/softirqs", "softirq counts per core (NET_RX, NET_TX)"),
    _file("proc/interrupts", "interrupts per core"),
    _file("proc/modules", "loaded kernel modules", "kernel without module support"),
    _file("proc/version", "kernel version"),
    _file("proc/config.gz", "kernel configuration (flowtable support)", optional=True),
    _file("proc/sys/kernel/hostname", "host name"),
    _file("proc/sys/net/netfilter/nf_conntrack_count", "conntrack entries in use"),
    _file("proc/sys/net/netfilter/nf_conntrack_max", "conntrack table size"),
    _file("proc/sys/net/netfilter/nf_conntrack_acct", "conntrack byte/packet accounting"),
    _file(
        "proc/sys/net/netfilter/nf_flowtable_tcp_timeout",
        "flowtable TCP timeout (present only when the kernel has flowtables)",
        optional=True,
    ),
    _file(
        "proc/sys/net/netfilter/nf_flowtable_udp_timeout",
        "flowtable UDP timeout",
        optional=True,
    ),
    _file(
        "proc/sys/net/bridge/bridge-nf-call-iptables",
        "br_netfilter: bridged IPv4 through netfilter",
        optional=True,
    ),
    _file("proc/sys/net/bridge/bridge-nf-call-ip6tables", "br_netfilter IPv6", optional=True),
    _file("proc/sys/net/ipv4/ip_forward", "IPv4 forwarding"),
    _file(
        "sys/kernel/debug/ppe0/entries",
        "MediaTek PPE 0 hardware flow table",
        DEBUGFS_HINT,
        True,
        True,
    ),
    _file("sys/kernel/debug/ppe1/entries", "MediaTek PPE 1", DEBUGFS_HINT, True, True),
    _file("sys/kernel/debug/ppe2/entries", "MediaTek PPE 2", DEBUGFS_HINT, True, True),
    _file(
        "sys/kernel/debug/mtk_ppe/entries", "MediaTek PPE (5.10 kernels)", DEBUGFS_HINT, True, True
    ),
    _file("sys/kernel/debug/ppe/entries", "Airoha PPE", DEBUGFS_HINT, True, True),
    _file("sys/module/mt7915e/parameters/wed_enable", "WED switch (mt7915e)", optional=True),
    _file("sys/module/mt7996e/parameters/wed_enable", "WED switch (mt7996e)", optional=True),
    _file("etc/config/firewall", "fw4 settings: flow_offloading, zones", optional=True),
    _file("etc/config/network", "OpenWrt interfaces, bridges, VLANs", optional=True),
    _file("etc/config/wireless", "Wi-Fi radios and bands", optional=True),
    _file("etc/config/sqm", "SQM shaping", optional=True),
    _file("etc/config/mwan3", "mwan3 multi-WAN", optional=True),
    _file("etc/config/pbr", "policy-based routing", optional=True),
    _file("etc/config/nlbwmon", "per-host traffic accounting", optional=True),
    _file("etc/config/igmpproxy", "multicast proxy (IPTV)", optional=True),
    _file("etc/firewalld/firewalld.conf", "firewalld NftablesFlowtable", optional=True),
    _file("etc/nftables.conf", "plain nftables configuration", optional=True),
    _file("etc/openwrt_release", "OpenWrt release", optional=True),
    _file("etc/os-release", "distribution"),
    _cmd("uname -a", "kernel and architecture"),
    _cmd("dmesg", "kernel log (WED attach, conntrack full)", "run as root (dmesg_restrict)", True),
    _cmd("logread", "OpenWrt system log (fw4 fallback message)", optional=True, heavy=True),
    _cmd("firewall-cmd --state", "firewalld state", optional=True),
)

BY_NAME: dict[str, SourceSpec] = {s.name: s for s in SOURCES}
