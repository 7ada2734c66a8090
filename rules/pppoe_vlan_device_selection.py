"""pppoe-vlan-device-selection: a software flowtable lists the devices under PPPoE/VLAN."""

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
from offtui.model import Flowtable, Snapshot
from offtui.parsers.uci import network_devices
from offtui.rules._net_helpers import kernel_version, ruleset_source
from offtui.topology import lower_devices

RULE = RuleInfo(
    id="pppoe-vlan-device-selection",
    severity=Severity.WARNING,
    title="The software flowtable lists the devices under the PPPoE/VLAN WAN",
    needs=("ruleset",),
    needs_any=(("network",), ("links",)),
    doc=RuleDoc(
        what=(
            "A software flowtable (no `flags offload`) lists the device(s) a PPPoE session runs "
            "on (`wan`, `eth0`, `eth0.2`) in addition to, or instead of, `pppoe-wan`; or, on a "
            "kernel older than 5.13, only the lower device of a routed VLAN."
        ),
        why=(
            "With the lower devices in the table, PPPoE frames arriving on the lower device hit "
            "the flowtable first and bounce between the fast and the slow path; users measured "
            "180-210 Mb/s with lower devices against 560 Mb/s with `pppoe-wan` (openwrt#14365). "
            "Since Linux 5.13 a software flowtable on the upper device discovers the "
            "PPPoE/VLAN encapsulation itself, so the upper device is the right entry. fw4 "
            "before e009588 (2024-03-15) listed physical devices in software mode. Hardware "
            "offload needs the lower devices, so hardware flowtables are not checked."
        ),
        fix=(
            "Upgrade firewall4 (>= e009588), which lists upper devices in software mode, then "
            "check with `nft list flowtable inet fw4 ft`. On an old build, use a custom "
            "flowtable in /etc/nftables.d/ with the upper devices, e.g.\n"
            "flowtable ft2 { hook ingress priority filter; devices = { br-lan, pppoe-wan }; }"
        ),
        example=(
            "flowtable ft devices = { eth0, eth1, eth2, phy0-ap0, phy1-ap0 } with WAN proto "
            "pppoe over br-lan2 (eth0.3 eth0.5 on eth0): eth0 listed, pppoe-wan not"
        ),
        limits=(
            "The devices under a PPPoE session come from /etc/config/network (ip link does not "
            "link a ppp device to its Ethernet device). For a VLAN the offtui lab (Linux 6.1) "
            "measured both choices working, so a VLAN is reported only on kernels before 5.13; "
            "the PPPoE bounce could not be reproduced in the lab (its kernel has no PPPoE)."
        ),
        fix_interrupts="Yes: restarting the firewall recreates the flowtable.",
        references=(
            "openwrt/openwrt#10224",
            "openwrt/openwrt#14365",
            "openwrt/openwrt#14053",
            "firewall4 commit e009588 (do not add physical devices for soft offload)",
            "Documentation/networking/nf_flowtable.rst (PPPoE/VLAN since 5.13)",
            "offtui lab: scenario vlan-pppoe-devices (tests/lab_captures/vlan-pppoe-devices--*)",
        ),
    ),
)


def _pppoe_lowers(snap: Snapshot) -> dict[str, list[str]]:
    """{pppoe-<iface>: devices under it} from /etc/config/network (and ip link for VLANs)."""
    cfg = snap.settings.uci.get("network")
    if cfg is None:
        return {}
    nd = network_devices(cfg)
    out: dict[str, list[str]] = {}
    for iface in nd["interfaces"].values():
        if iface.disabled or iface.proto not in ("pppoe", "pppoa"):
            continue
        upper = iface.l3_device
        lowers: list[str] = []
        queue = [d for d in iface.devices if not d.startswith("@")]
        while queue:
            d = queue.pop(0)
            if d in lowers:
                continue
            lowers.append(d)
            dev = nd["devices"].get(d)
            if dev is not None:
                queue += dev.ports
                if dev.lower:
                    queue.append(dev.lower)
            if snap.links is not None:
                queue += [x for x in lower_devices(snap, d) if x != d]
        if upper and lowers:
            out[upper] = lowers
    return out


def _software(snap: Snapshot, ft: Flowtable) -> bool | None:
    if ft.hw_offload is not None:
        return not ft.hw_offload
    fw4 = snap.settings.fw4
    if fw4 is not None and fw4.flow_offloading_hw is not None and ft.table == "fw4":
        return not fw4.flow_offloading_hw
    return None


def check(snap: Snapshot) -> RuleResult:
    fts = snap.flowtables
    if not fts:
        return passed(RULE, "no flowtable")
    out = []
    notes = []
    pppoe = _pppoe_lowers(snap)
    for ft in fts:
        soft = _software(snap, ft)
        if soft is False:
            notes.append(f"{ft.name} is a hardware flowtable (lower devices are required)")
            continue
        ft_ev = Evidence(
            ruleset_source(snap),
            f"flowtable {ft.family} {ft.table} {ft.name}: devices = {{ {', '.join(ft.devices)} }}"
            + ("" if soft else " (flags not known from the JSON listing)"),
        )
        for upper, lowers in sorted(pppoe.items()):
            listed = [d for d in lowers if d in ft.devices]
            if not listed:
                continue
            has_upper = upper in ft.devices
            how = "in addition to" if has_upper else "instead of"
            msg = (
                f"Flowtable {ft.table} {ft.name} lists {', '.join(listed)} (under {upper}) "
                f"{how} {upper}: PPPoE frames hit the flowtable on the lower device and "
                "bounce between the fast and the slow path, which users measured at about a "
                "third of the throughput."
            )
            if soft is None:
                msg += " (Whether this flowtable is software-only is not known from the JSON.)"
            out.append(
                finding(
                    RULE,
                    msg,
                    [
                        ft_ev,
                        Evidence(
                            "etc/config/network",
                            f"{upper}: PPPoE over {' -> '.join(lowers)}",
                        ),
                    ],
                    subject=f"{ft.table}/{ft.name}/{upper}",
                    impact=float(len(listed)),
                )
            )
        kv = kernel_version(snap)
        for link in (snap.links or {}).values():
            if link.kind != "vlan" or not link.link:
                continue
            if link.link in ft.devices and link.name not in ft.devices:
                if kv is not None and kv < (5, 13):
                    out.append(
                        finding(
                            RULE,
                            f"Flowtable {ft.table} {ft.name} lists {link.link} but not the VLAN "
                            f"{link.name} on it; before Linux 5.13 (this host: "
                            f"{snap.system.kernel}) the flowtable does not find flows routed "
                            f"through {link.name}.",
                            [
                                ft_ev,
                                Evidence(
                                    "commands/ip_-j_-d_link_show",
                                    f"{link.name}: vlan id {link.vlan_id} on {link.link}",
                                ),
                                Evidence("commands/uname_-a", f"kernel {snap.system.kernel}"),
                            ],
                            subject=f"{ft.table}/{ft.name}/{link.name}",
                            impact=1.0,
                        )
                    )
                else:
                    notes.append(
                        f"{ft.name} lists {link.link} under VLAN {link.name}: fine on Linux "
                        f">= 5.13 ({'kernel ' + snap.system.kernel if kv else 'kernel unknown'})"
                    )
    if out:
        return found(RULE, *out)
    ppp_links = [
        n for n, lk in (snap.links or {}).items() if lk.link_type == "ppp" or lk.kind == "ppp"
    ]
    if ppp_links and snap.settings.uci.get("network") is None:
        return skipped(
            RULE,
            f"needs `/etc/config/network`: {', '.join(ppp_links)} is a PPP device and only the "
            "network config says which devices it runs on",
        )
    if not pppoe and snap.settings.uci.get("network") is not None:
        notes.append("no PPPoE interface in /etc/config/network")
    return passed(RULE, "; ".join(notes))
