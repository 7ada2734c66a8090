"""firewalld-flowtable-iface-missing: NftablesFlowtable names a device that does not exist."""

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

RULE = RuleInfo(
    id="firewalld-flowtable-iface-missing",
    severity=Severity.ERROR,
    title="firewalld's NftablesFlowtable names a device that does not exist",
    needs=("firewalld",),
    needs_any=(("links",), ("ruleset",)),
    doc=RuleDoc(
        what=(
            "`NftablesFlowtable` in firewalld.conf lists an interface absent from `ip link`, or "
            "firewalld left an empty `table inet firewalld`."
        ),
        why=(
            "nft refuses a flowtable on a missing device (`Could not process rule: No such file "
            "or directory`). On `--reload` firewalld then ends FAILED with an empty "
            "`table inet firewalld {}`: no filtering at all and no offload. On a cold start it "
            "falls back to its stock configuration without a flowtable. Its log never names the "
            "bad device."
        ),
        fix=(
            "# list only devices that exist when firewalld starts:\n"
            "sed -i 's/^NftablesFlowtable=.*/NftablesFlowtable=<existing devices>/' "
            "/etc/firewalld/firewalld.conf\n"
            "firewall-cmd --reload"
        ),
        example="NftablesFlowtable=veth-a nosuch0; ruleset: table inet firewalld { }",
        limits=(
            "Devices created after firewalld starts (PPPoE, VPN) look missing in a capture "
            "taken before they come up."
        ),
        fix_interrupts="Yes: firewall-cmd --reload rebuilds the ruleset.",
        references=(
            "firewalld/firewalld#1230",
            "firewalld PR #1116 (NftablesFlowtable)",
            "offtui lab: firewalld with a missing device (tests/captures/lab-fw-baddev-*)",
        ),
    ),
)


def check(snap: Snapshot) -> RuleResult:
    fwd = snap.settings.firewalld
    assert fwd is not None
    devices = fwd.flowtable_devices
    if not devices:
        return passed(RULE, "NftablesFlowtable is off")
    evidence = [
        Evidence("etc/firewalld/firewalld.conf", f"NftablesFlowtable={fwd.nftables_flowtable}")
    ]
    missing = []
    if snap.links is not None:
        missing = [d for d in devices if d not in snap.links]
        if missing:
            evidence.append(
                Evidence("commands/ip_-j_-d_link_show", "no such device: " + ", ".join(missing))
            )
    empty_table = False
    if snap.ruleset is not None:
        t = snap.ruleset.table("inet", "firewalld")
        if t is not None and not t.chains and not t.flowtables:
            empty_table = True
            evidence.append(
                Evidence("commands/nft_list_ruleset", "table inet firewalld { } (empty)")
            )
    if not missing and not empty_table:
        return passed(RULE)
    msg = (
        f"NftablesFlowtable lists {', '.join(missing)}, which does not exist"
        if missing
        else "NftablesFlowtable is set"
    )
    if empty_table:
        msg += "; firewalld left an empty table inet firewalld: this host is not filtering at all."
    else:
        msg += "; firewalld fails to load its ruleset on the next reload."
    return found(RULE, finding(RULE, msg, evidence, impact=2.0 if empty_table else 1.0))
