"""Small cross-source helpers shared by rules (not a rule: the engine skips ``_`` modules).

Pure functions over the snapshot model; no I/O.
"""

from __future__ import annotations

import ipaddress
import re

from offtui.model import Flow, Flowtable, Rule, Snapshot

# Re-exported for the rules of this group (the one definition is in _evidence).
from offtui.rules._evidence import conntrack_path as conntrack_path
from offtui.rules._evidence import flowtable_source as ruleset_path  # noqa: F401
from offtui.rules._evidence import kernel_version as kernel_version
from offtui.rules._evidence import rules_source as rule_path  # noqa: F401

#: UCI packages read from ``/etc/config/<name>`` that configure a multicast proxy.
MULTICAST_PROXY_CONFIGS = ("igmpproxy", "omcproxy", "mcproxy")
#: Daemons that forward multicast (process names as ``ps`` shows them).
MULTICAST_PROXY_PROCESSES = ("igmpproxy", "omcproxy", "mcproxy", "smcroute", "pimd", "udpxy")


def flowtable_text(ft: Flowtable) -> str:
    """One-line description of a flowtable as the text ruleset spells it."""
    prio = ft.priority_text or (str(ft.priority) if ft.priority is not None else "?")
    out = (
        f"flowtable {ft.family} {ft.table} {ft.name} {{ hook {ft.hook} priority {prio}; "
        f"devices = {{ {', '.join(ft.devices)} }}"
    )
    if ft.counter:
        out += "; counter"
    if ft.hw_offload:
        out += "; flags offload"
    return out + " }"


_LINK_LOCAL_V4 = ipaddress.ip_network("224.0.0.0/24")


def is_routable_multicast(address: str | None) -> bool:
    """A multicast group that can be forwarded: not 224.0.0.0/24, ff01::/16 or ff02::/16.

    Link-local groups (IGMP reports to 224.0.0.22, mDNS, NDP) are never routed, so their
    conntrack entries say nothing about multicast forwarding.
    """
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if not ip.is_multicast:
        return False
    if ip.version == 4:
        return ip not in _LINK_LOCAL_V4
    return (int(ip) >> 112) & 0xF not in (1, 2)  # scope nibble of ff0X::


def multicast_flows(snap: Snapshot) -> list[Flow]:
    """Conntrack entries to a routable multicast group that the router did not originate."""
    if snap.conntrack is None:
        return []
    mine = {a.local for a in snap.addresses or []} | {"0.0.0.0", "::"}
    return [
        f
        for f in snap.conntrack.flows()
        if is_routable_multicast(f.orig.dst) and f.orig.src not in mine
    ]


def hw_offload_selected(snap: Snapshot) -> bool:
    """Hardware offload asked for: a flowtable with ``flags offload`` or fw4's UCI switch."""
    if any(ft.hw_offload for ft in snap.flowtables):
        return True
    fw4 = snap.settings.fw4
    return bool(fw4 is not None and fw4.flow_offloading and fw4.flow_offloading_hw)


_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_UNAME_DATE = re.compile(
    r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"+\d{1,2} \d\d:\d\d:\d\d(?: [A-Z]{2,5})? (\d{4})\b"
)


def kernel_build_month(uname: str | None) -> tuple[int, int] | None:
    """(year, month) the kernel was built, from ``uname -a``'s version string.

    ``uname -v`` ends in the build time (``#0 SMP Mon Sep 15 10:00:00 2025``); OpenWrt builds
    the kernel with the image, so it dates a snapshot build whose revision alone does not.
    """
    if not uname:
        return None
    m = _UNAME_DATE.search(uname)
    if not m:
        return None
    return int(m.group(2)), _MONTHS[m.group(1)]


def accepts_established(rule: Rule) -> bool:
    """True when the rule's verdict accepts established traffic (and so ends the chain).

    ``ct state established,related accept``, ``ct state { established, related } accept``,
    an ``accept`` with no match at all, and ``ct state vmap { established : accept, ... }``.
    """
    text = rule.text
    if rule.verdict == "vmap" or "vmap" in text.split():
        return bool(re.search(r"ct state vmap\s*\{[^}]*established\s*:\s*accept", text))
    if rule.verdict != "accept":
        return False
    if not rule.matches:
        return True
    return any("ct state" in m and "established" in m for m in rule.matches)


#: Matches that select by protocol or state only: they do not narrow what gets offloaded
#: beyond what the kernel would offload anyway (TCP/UDP; established/related).
_NEUTRAL_MATCH = re.compile(
    r"^(meta l4proto|ip protocol|ip6 nexthdr|ct state|meta nfproto|ct direction)\b"
)


def narrowing_matches(rule: Rule) -> list[str]:
    """Matches of a ``flow add`` rule that exclude some TCP/UDP flows (ports, addresses...)."""
    out = []
    for m in rule.matches:
        if _NEUTRAL_MATCH.match(m):
            if m.startswith("ct state") and "established" not in m:
                out.append(m)  # e.g. "ct state new": new packets are never offloaded
            continue
        out.append(m)
    return out
