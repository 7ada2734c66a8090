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
from offtui.rules._misc_helpers import ruleset_path

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
            "# list only devices that exist when firewalld starts, or order firewalld after\n"
            "# the unit that creates them (systemd drop-in with After=/Wants=):\n"
            "sed -i 's/^NftablesFlowtable=.*/NftablesFlowtable=<existing devices>/' "
            "/etc/firewalld/firewalld.conf\n"
            "firewall-cmd --reload"
        ),
        example="NftablesFlowtable=veth-a nosuch0; ruleset: table inet firewalld { }",
        limits=(
            "Devices created after firewalld starts (PPPoE, VPN) look missing in a capture "
            "taken before they come up. A missing device with firewalld still running its "
            "flowtable is a warning (the next reload fails); an empty `table inet firewalld`, "
            "or one without its flowtable, is an error. `firewall-cmd --state` is collected "
            "but not yet part of the snapshot, so `failed` is not shown as evidence."
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
                Evidence(
                    "commands/ip_-j_-d_link_show",
                    "no such device: "
                    + ", ".join(missing)
                    + f" (present: {', '.join(sorted(snap.links))})",
                )
            )
    # What firewalld left in the kernel: nothing (reload failed), its stock ruleset without a
    # flowtable (cold start fell back), or its flowtable (loaded fine).
    state = None
    if snap.ruleset is not None:
        t = snap.ruleset.table("inet", "firewalld")
        if t is not None and not t.chains and not t.flowtables:
            state = "empty"
            evidence.append(Evidence(ruleset_path(snap), "table inet firewalld { } (empty)"))
        elif t is not None and not t.flowtables:
            state = "no-flowtable"
            evidence.append(
                Evidence(
                    ruleset_path(snap),
                    f"table inet firewalld: {len(t.chains)} chains, no flowtable",
                )
            )
    if not missing and state is None:
        return passed(RULE)
    if not missing and snap.links is not None:
        return passed(
            RULE,
            f"every NftablesFlowtable device exists; firewalld's table is {state} for another "
            "reason (a capture taken during a reload?)",
        )
    for ev in snap.log_events or []:
        if ev.kind == "nft-error":
            evidence.append(Evidence(f"commands/{ev.source}", ev.text, ev.line_no))
    if missing:
        msg = f"NftablesFlowtable lists {', '.join(missing)}, which does not exist"
    else:
        msg = f"NftablesFlowtable is set ({fwd.nftables_flowtable})"
    if state == "empty":
        msg += (
            "; firewalld left an empty table inet firewalld: this host is not filtering at all "
            "(firewall-cmd --reload failed with nft's 'No such file or directory')."
        )
        severity, impact = Severity.ERROR, 3.0
    elif state == "no-flowtable":
        msg += (
            "; firewalld runs without its flowtable (on a cold start it falls back to its "
            "stock configuration): nothing is offloaded and your own settings are not active."
        )
        severity, impact = Severity.ERROR, 2.0
    else:
        msg += "; firewalld fails to load its ruleset on the next start or reload."
        severity, impact = Severity.WARNING, 1.0
    fix = None
    if missing:
        keep = [d for d in devices if d not in missing]
        fix = (
            "# list only devices that exist when firewalld starts (or order firewalld after\n"
            "# the unit that creates the others, with a systemd drop-in After=/Wants=):\n"
            "sed -i 's/^NftablesFlowtable=.*/NftablesFlowtable="
            + (" ".join(keep) if keep else "off")
            + "/' /etc/firewalld/firewalld.conf\nfirewall-cmd --reload"
        )
    return found(
        RULE,
        finding(
            RULE,
            msg,
            evidence,
            fix,
            severity=severity,
            impact=impact,
            subject="firewalld/" + (",".join(missing) or "flowtable"),
        ),
    )
