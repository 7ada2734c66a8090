"""wifi-roaming-stale-flows: roaming clients meet flows cached on the Wi-Fi device they left."""

from __future__ import annotations

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
from offtui.parsers.uci import uci_bool
from offtui.rules._net_helpers import WIFI_NAME_RE, ruleset_source, source_missing

RULE = RuleInfo(
    id="wifi-roaming-stale-flows",
    severity=Severity.WARNING,
    title="Clients roaming between radios hit stale offloaded flows",
    needs=("ruleset",),
    doc=RuleDoc(
        what=(
            "Two or more enabled AP interfaces share an SSID (a client can move between them), "
            "and a flowtable lists the Wi-Fi devices (`phy0-ap0`, `wlan1`...) or bridge ports "
            "directly instead of the bridge (`br-lan`)."
        ),
        why=(
            "An offloaded flow caches its egress device and the next hop's MAC. When the client "
            "moves to another radio (another bridge port), the entry keeps sending to the old "
            'device until it times out or is torn down (nf_flowtable.rst: entries "might get '
            'stale if ... the egress netdevice ... changes"). Users see SSH sessions drop when '
            "moving from 5 GHz to 2.4 GHz; switching hardware to software offload fixed it."
        ),
        fix=(
            "Upgrade firewall4 so software mode lists br-lan (openwrt/firewall4 PR #102); with "
            "hardware offload and roaming, accept it or switch hardware offload off:\n"
            "uci set firewall.@defaults[0].flow_offloading_hw='0'\n"
            "uci commit firewall && /etc/init.d/firewall restart\n"
            "With bridger, update it (nbd168/bridger PR #12/#14)."
        ),
        example=(
            "SSID OpenWrt on radio0 and radio1; flowtable ip main ft devices = { eth0, "
            "phy0-ap0, phy1-ap0 }"
        ),
        limits=(
            "Roaming between separate access points (mesh, extenders) is not visible in one "
            "router's configuration. Wi-Fi devices are recognised by name (phyN-apM, wlanN, "
            "raN, athN) and by the `ifname` options in /etc/config/wireless. DSA roaming "
            "fixes are pending upstream (openwrt/openwrt PR #23123)."
        ),
        fix_interrupts="Yes: the firewall restart returns all flows to the slow path briefly.",
        references=(
            "openwrt/openwrt#13410",
            "openwrt/firewall4 PR #102",
            "openwrt/openwrt PR #23123",
            "OpenWrt wiki flow_offloading (stale connections when changing Wi-Fi band)",
            "Documentation/networking/nf_flowtable.rst",
        ),
    ),
)


def check(snap: Snapshot) -> RuleResult:
    if "wireless" not in snap.settings.uci:
        if source_missing(snap, "etc/config/wireless"):
            return passed(RULE, "no /etc/config/wireless on this host")
        return skipped(RULE, "needs `/etc/config/wireless`")
    ssids: dict[str, list[str]] = {}
    ifnames: set[str] = set()
    for radio in snap.settings.wireless:
        if radio.disabled:
            continue
        for iface in radio.ifaces:
            if iface.get("ifname"):
                ifnames.add(iface["ifname"])
            if iface.get("mode", "ap") != "ap" or uci_bool(iface.get("disabled"), False):
                continue
            if iface.get("ssid"):
                ssids.setdefault(iface["ssid"], []).append(radio.name)
    shared = {s: sorted(set(r)) for s, r in ssids.items() if len(set(r)) >= 2}
    if not shared:
        return passed(RULE, "no SSID is served by two radios of this router")
    out = []
    for ft in snap.flowtables:
        wifi = [d for d in ft.devices if d in ifnames or WIFI_NAME_RE.match(d)]
        if not wifi:
            continue
        ev = [
            Evidence("etc/config/wireless", f"SSID '{s}' on {', '.join(r)}")
            for s, r in sorted(shared.items())
        ]
        ev.append(
            Evidence(
                ruleset_source(snap),
                f"flowtable {ft.family} {ft.table} {ft.name}: devices = "
                f"{{ {', '.join(ft.devices)} }}" + (" flags offload" if ft.hw_offload else ""),
            )
        )
        mode = "hardware" if ft.hw_offload else "software"
        out.append(
            finding(
                RULE,
                f"SSID {', '.join(repr(s) for s in sorted(shared))} is served by "
                f"{len(next(iter(shared.values())))} radios and {mode} flowtable {ft.table} "
                f"{ft.name} lists the Wi-Fi devices {', '.join(wifi)} directly: a client that "
                "roams keeps getting its offloaded flows on the radio it left until they time "
                "out.",
                ev,
                subject=f"{ft.table}/{ft.name}",
                impact=float(len(wifi)),
            )
        )
    if not out:
        return passed(RULE, "the flowtables list no Wi-Fi device directly")
    return found(RULE, *out)
