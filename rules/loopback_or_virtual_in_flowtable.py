"""loopback-or-virtual-in-flowtable: a flowtable lists devices that never forward traffic."""

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
from offtui.topology import carrying_devices, flowtables_covering

#: Link kinds that cannot be the ingress of forwarded traffic: ifb only mirrors ingress for
#: shaping, dummy drops everything, nlmon taps netlink.
NON_FORWARDING_KINDS = ("dummy", "ifb", "nlmon")

RULE = RuleInfo(
    id="loopback-or-virtual-in-flowtable",
    severity=Severity.INFO,
    title="A flowtable lists the loopback or another device that never forwards traffic",
    needs=("ruleset",),
    doc=RuleDoc(
        what=(
            "`lo` (or a device of kind loopback, dummy, ifb or nlmon) in a flowtable's "
            "`devices` list."
        ),
        why=(
            "Loopback traffic is local and is never forwarded, so a flowtable hook on `lo` "
            "never offloads anything. The kernel accepts it, but it marks a hand-written "
            "device list that likely misses the real ports the traffic uses."
        ),
        fix=(
            "Redefine the flowtable with the forwarding devices only (nft cannot remove one "
            "device from a flowtable: delete and re-add it with its flow add rules, in one "
            "file loaded with nft -f):\n"
            "#   flowtable <name> { hook ingress priority filter; devices = { <lan>, <wan> }; }\n"
            "nft -c -f /etc/nftables.conf && nft -f /etc/nftables.conf"
        ),
        example="flowtable inet filter f { hook ingress priority filter; devices = { lo, eth0 } }",
        limits=(
            "Without `ip -d link` only the name `lo` (and `ifb*`) is recognised. Does not prove "
            "that real ports are missing unless the routes and conntrack show forwarded flows "
            "on devices outside every flowtable."
        ),
        fix_interrupts=(
            "Yes: deleting and re-adding the flowtable returns its flows to the slow path once."
        ),
        references=("nixos-bpir3-example issue 7", "Documentation/networking/nf_flowtable.rst"),
    ),
)


def _why_useless(snap: Snapshot, dev: str) -> str | None:
    link = (snap.links or {}).get(dev)
    if link is not None:
        if link.link_type == "loopback":
            return "loopback"
        if link.kind in NON_FORWARDING_KINDS:
            return f"kind {link.kind}"
    if dev == "lo":
        return "loopback"
    if dev.startswith("ifb") and link is None:
        return "ifb (shaping mirror)"
    return None


def check(snap: Snapshot) -> RuleResult:
    assert snap.ruleset is not None
    src = ruleset_path(snap)
    out = []
    uncovered = {
        d: n for d, n in carrying_devices(snap).items() if not flowtables_covering(snap, d)
    }
    for ft in snap.ruleset.flowtables:
        bad = [(d, r) for d in ft.devices if (r := _why_useless(snap, d)) is not None]
        if not bad:
            continue
        evidence = [Evidence(src, flowtable_text(ft))]
        for d, r in bad:
            link = (snap.links or {}).get(d)
            if link is not None:
                evidence.append(
                    Evidence(
                        "commands/ip_-j_-d_link_show",
                        f"{d}: {r} (link_type {link.link_type}, kind {link.kind})",
                    )
                )
        msg = (
            f"Flowtable {ft.family} {ft.table} {ft.name} lists "
            + ", ".join(f"{d} ({r})" for d, r in bad)
            + ", which never carries forwarded traffic: a sign of a hand-written device list."
        )
        if uncovered:
            msg += (
                " Forwarded flows use "
                + ", ".join(f"{d} ({n} flows)" for d, n in sorted(uncovered.items()))
                + ", which no flowtable hooks."
            )
            evidence += [
                Evidence(
                    "commands/ip_-j_route_show", f"{d}: {n} forwarded flow(s), in no flowtable"
                )
                for d, n in sorted(uncovered.items())
            ]
        out.append(
            finding(
                RULE,
                msg,
                evidence,
                impact=float(sum(uncovered.values())) or 0.1,
                subject=f"{ft.table}/{ft.name}",
            )
        )
    return found(RULE, *out) if out else passed(RULE)
