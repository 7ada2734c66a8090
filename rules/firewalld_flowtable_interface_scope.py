"""firewalld-flowtable-interface-scope: forwarding devices left out of NftablesFlowtable."""

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
)
from offtui.model import Snapshot
from offtui.rules._misc_helpers import flowtable_text, ruleset_path
from offtui.topology import carrying_devices, lower_devices, upper_devices

#: Device kinds and name prefixes that usually forward traffic on a firewalld host.
FORWARDING_KINDS = ("bridge", "wireguard", "vxlan", "macvlan")
FORWARDING_PREFIXES = ("docker", "br-", "podman", "cni", "virbr", "wg", "tun", "tap", "vnet")

RULE = RuleInfo(
    id="firewalld-flowtable-interface-scope",
    severity=Severity.WARNING,
    title="Devices that forward traffic are missing from firewalld's NftablesFlowtable",
    needs=("firewalld",),
    needs_any=(("links",), ("conntrack", "routes")),
    doc=RuleDoc(
        what=(
            "With `NftablesFlowtable` set, a device that carries forwarded conntrack flows (by "
            "the routing table), or a bridge / WireGuard / container device that is up, is not "
            "in the flowtable's device list (directly or through its ports or lower device)."
        ),
        why=(
            "A flow is offloaded only when the devices of both directions are in the "
            "flowtable. `NftablesFlowtable` is a static list of interfaces that ignores zone "
            "membership: interfaces added to zones later, bridges, `wg*`, `docker0`/`br-*` and "
            "podman networks never get the fast path unless listed."
        ),
        fix=(
            "sed -i 's/^NftablesFlowtable=.*/NftablesFlowtable=<listed devices> <missing "
            "devices>/' /etc/firewalld/firewalld.conf\n"
            "firewall-cmd --reload"
        ),
        example=(
            "NftablesFlowtable=veth-a; veth-b carries 4 forwarded flows and is in no flowtable"
        ),
        limits=(
            "Partially confirmed: the per-interface scope is firewalld's documented behaviour, "
            "but traffic classified into a zone by source address (`--add-source`) is "
            "unconfirmed (no report found), and firewalld's zone files are not part of the "
            "snapshot, so zone membership is not compared. Devices from link kinds and names "
            "are candidates, not proof of forwarded traffic. A device must exist when "
            "firewalld starts (see firewalld-flowtable-iface-missing)."
        ),
        fix_interrupts="Yes: firewall-cmd --reload rebuilds the ruleset.",
        references=(
            "firewalld PR #1116 (NftablesFlowtable)",
            "firewalld.conf(5): NftablesFlowtable is a space separated list of interfaces",
            "firewalld/firewalld#1230 (bridges and WireGuard as forwarding devices)",
        ),
    ),
)


def check(snap: Snapshot) -> RuleResult:
    fwd = snap.settings.firewalld
    assert fwd is not None
    conf_devs = fwd.flowtable_devices
    if not conf_devs:
        return passed(RULE, "NftablesFlowtable is off")
    evidence = [
        Evidence("etc/firewalld/firewalld.conf", f"NftablesFlowtable={fwd.nftables_flowtable}")
    ]
    listed = list(conf_devs)
    live = None
    if snap.ruleset is not None:
        live = next((f for f in snap.ruleset.flowtables if f.table == "firewalld"), None)
        if live is not None:
            listed = list(live.devices)
            evidence.append(Evidence(ruleset_path(snap), flowtable_text(live)))

    def covered(dev: str) -> bool:
        related = set(lower_devices(snap, dev)) | set(upper_devices(snap, dev))
        return bool(related & set(listed))

    carrying = carrying_devices(snap)
    by_traffic = {d: n for d, n in carrying.items() if not covered(d)}
    by_kind: list[str] = []
    links = snap.links or {}
    for name, link in sorted(links.items()):
        if name in by_traffic or link.link_type == "loopback" or name == "lo":
            continue
        if link.operstate is not None and link.operstate.upper() == "DOWN":
            continue
        if (link.kind in FORWARDING_KINDS or name.startswith(FORWARDING_PREFIXES)) and not covered(
            name
        ):
            by_kind.append(name)
    if not by_traffic and not by_kind:
        return passed(RULE, f"every forwarding device is listed ({', '.join(listed)})")
    for dev, n in sorted(by_traffic.items(), key=lambda kv: -kv[1]):
        evidence.append(
            Evidence(
                "commands/ip_-j_route_show",
                f"{dev}: carries {n} forwarded conntrack flow(s), not in the flowtable",
            )
        )
    for dev in by_kind:
        lk = links[dev]
        evidence.append(
            Evidence(
                "commands/ip_-j_-d_link_show",
                f"{dev}: {lk.kind or 'device'} {lk.operstate or ''}, not in the flowtable".replace(
                    "  ", " "
                ),
            )
        )
    missing = sorted(by_traffic, key=lambda d: -by_traffic[d]) + by_kind
    parts = []
    if by_traffic:
        parts.append(
            ", ".join(
                f"{d} ({by_traffic[d]} flows)"
                for d in sorted(by_traffic, key=lambda d: -by_traffic[d])
            )
            + " carr"
            + ("ies" if len(by_traffic) == 1 else "y")
            + " forwarded traffic"
        )
    if by_kind:
        parts.append(", ".join(by_kind) + " may forward traffic (bridge/tunnel/container device)")
    msg = (
        "; ".join(parts)
        + f", but firewalld's flowtable lists only {', '.join(listed)}: those flows never take "
        "the fast path."
    )
    fix = (
        "sed -i 's/^NftablesFlowtable=.*/NftablesFlowtable="
        + " ".join(conf_devs + [d for d in missing if d not in conf_devs])
        + "/' /etc/firewalld/firewalld.conf\nfirewall-cmd --reload"
    )
    return found(
        RULE,
        finding(
            RULE,
            msg,
            evidence,
            fix=fix,
            impact=float(sum(by_traffic.values()) or 0.5 * len(by_kind)),
            subject="firewalld/" + (live.name if live else "fastpath"),
        ),
    )
