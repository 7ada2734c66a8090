"""flowtable-timeouts-and-aging: conntrack timeouts do not govern offloaded flows."""

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
from offtui.model import OffloadState, Snapshot
from offtui.rules._misc_helpers import conntrack_path

#: Kernel defaults (Documentation/networking/nf_conntrack-sysctl.rst).
FLOWTABLE_DEFAULT_S = 30
CT_UDP_DEFAULT_S = 30
#: udp_timeout_stream was 180 s before Linux 5.18 lowered it to 120 s: above both is a tuning.
CT_UDP_STREAM_MAX_DEFAULT_S = 180
#: An offloaded entry's conntrack timeout is parked at about a day (NF_CT_DAY) on kernels that
#: print it; anything above an hour is that parking value, not conntrack's own timeout.
PARKED_TIMEOUT_S = 3600

_NF = "net.netfilter."

RULE = RuleInfo(
    id="flowtable-timeouts-and-aging",
    severity=Severity.INFO,
    title="Offloaded flows age by the flowtable's timeouts, not conntrack's",
    needs=("sysctl", "ruleset"),
    doc=RuleDoc(
        what=(
            "With a flowtable active: conntrack UDP timeouts raised above their defaults "
            "(which do not apply while a flow is offloaded), flowtable timeouts lowered below "
            "30 s, the short-lived `nf_flowtable_*_pickup` sysctls present, or offloaded "
            "conntrack entries that show a parked timeout of about a day."
        ),
        why=(
            "An offloaded flow leaves the flowtable after `nf_flowtable_tcp_timeout` / "
            "`nf_flowtable_udp_timeout` seconds idle (default 30 s) and goes back to conntrack; "
            "its next packet takes the slow path and is offloaded again. Meanwhile the "
            "conntrack entry's own timeout is parked (about 86400 s on kernels that bump it) "
            "and conntrack's `nf_conntrack_udp_timeout*` settings do not act on it. Idle-heavy "
            "UDP (games, VPN keepalives) churns between the two paths, which shows as periodic "
            "slow-path packets and jitter."
        ),
        fix=(
            "# usually nothing to do; for idle-heavy UDP raise the flowtable's own timeout:\n"
            "sysctl -w net.netfilter.nf_flowtable_udp_timeout=120\n"
            "echo 'net.netfilter.nf_flowtable_udp_timeout=120' > /etc/sysctl.d/12-flowtable.conf"
        ),
        example=(
            "net.netfilter.nf_conntrack_udp_timeout = 300, "
            "net.netfilter.nf_flowtable_udp_timeout = 30, 2 UDP flows [OFFLOAD]"
        ),
        limits=(
            "Reads the timeouts as collected; it cannot see which applications suffer from "
            "re-offload churn. Kernels before the `nf_flowtable_*_timeout` sysctls age "
            "offloaded flows after a hard-coded 30 s. The 86400 s parking is removed by a "
            "later kernel patch, so its absence proves nothing."
        ),
        fix_interrupts="No: sysctl changes apply to flows as they age; nothing is flushed.",
        references=(
            "Documentation/networking/nf_conntrack-sysctl.rst",
            "kernel commit ef8ed5ea091b (flowtable aging and pickup)",
            "kernel commit 4592ee7f525c (remove offload_pickup sysctl again)",
            "openwrt/openwrt#17915 (udp 86400 ... [OFFLOAD])",
            "openwrt/firewall4 PR #20",
            "firewalld/firewalld#1556",
        ),
    ),
)


def _num(snap: Snapshot, key: str) -> int | None:
    v = snap.settings.sysctl.get(_NF + key)
    try:
        return int(v) if v is not None else None
    except ValueError:
        return None


def _ev(key: str, value: object) -> Evidence:
    return Evidence(f"proc/sys/net/netfilter/{key}", f"net.netfilter.{key} = {value}")


def check(snap: Snapshot) -> RuleResult:
    if not snap.flowtables:
        return passed(RULE, "no flowtable: conntrack timeouts govern every flow")
    ft_tcp = _num(snap, "nf_flowtable_tcp_timeout")
    ft_udp = _num(snap, "nf_flowtable_udp_timeout")
    udp_eff = ft_udp if ft_udp is not None else FLOWTABLE_DEFAULT_S
    reasons: list[str] = []
    evidence: list[Evidence] = []

    ct_udp = _num(snap, "nf_conntrack_udp_timeout")
    ct_stream = _num(snap, "nf_conntrack_udp_timeout_stream")
    tuned = []
    if ct_udp is not None and ct_udp > max(CT_UDP_DEFAULT_S, udp_eff):
        tuned.append(("nf_conntrack_udp_timeout", ct_udp))
    if ct_stream is not None and ct_stream > max(CT_UDP_STREAM_MAX_DEFAULT_S, udp_eff):
        tuned.append(("nf_conntrack_udp_timeout_stream", ct_stream))
    if tuned:
        reasons.append(
            " and ".join(f"{k} is {v} s" for k, v in tuned)
            + f", but offloaded UDP flows leave the flowtable after {udp_eff} s idle "
            "(nf_flowtable_udp_timeout): the conntrack setting does not act on them"
        )
        evidence += [_ev(k, v) for k, v in tuned]
    low = [
        (k, v)
        for k, v in (("nf_flowtable_tcp_timeout", ft_tcp), ("nf_flowtable_udp_timeout", ft_udp))
        if v is not None and v < FLOWTABLE_DEFAULT_S
    ]
    if low:
        reasons.append(
            " and ".join(f"{k} is {v} s" for k, v in low)
            + f" (default {FLOWTABLE_DEFAULT_S} s): flows fall back to the slow path sooner "
            "and are re-offloaded more often"
        )
        evidence += [_ev(k, v) for k, v in low]
    pickup = sorted(k for k in snap.settings.sysctl if k.startswith(_NF + "nf_flowtable_"))
    pickup = [k for k in pickup if k.endswith("_pickup")]
    if pickup:
        reasons.append(
            "this kernel has the short-lived "
            + ", ".join(k.removeprefix(_NF) for k in pickup)
            + " sysctl(s), removed again upstream (4592ee7f525c): tools written for other "
            "kernels will not find them"
        )
        evidence += [_ev(k.removeprefix(_NF), snap.settings.sysctl[k]) for k in pickup]
    parked = []
    if snap.conntrack is not None:
        parked = [
            f
            for f in snap.conntrack.flows()
            if f.offload != OffloadState.NONE
            and f.timeout is not None
            and f.timeout > PARKED_TIMEOUT_S
        ]
    if parked:
        reasons.append(
            f"{len(parked)} offloaded conntrack entr{'y shows' if len(parked) == 1 else 'ies show'}"
            f" a timeout of about {max(f.timeout or 0 for f in parked)} s: that is the parked "
            "value while offloaded, not when the flow will expire"
        )
        evidence += [
            Evidence(
                conntrack_path(snap),
                f"{f.proto} {f.timeout} src={f.orig.src} dst={f.orig.dst} [{f.offload.value}]",
                f.line_no or None,
            )
            for f in parked[:3]
        ]
    if not reasons:
        return passed(
            RULE,
            f"flowtable timeouts tcp {ft_tcp if ft_tcp is not None else 'default'} s, "
            f"udp {ft_udp if ft_udp is not None else 'default'} s; conntrack UDP timeouts "
            "not raised",
        )
    if ft_udp is not None and not any(
        e.source.endswith("nf_flowtable_udp_timeout") for e in evidence
    ):
        evidence.append(_ev("nf_flowtable_udp_timeout", ft_udp))
    offloaded = 0
    if snap.conntrack is not None:
        offloaded = snap.conntrack.offload + snap.conntrack.hw_offload
    msg = "; ".join(reasons) + "."
    if offloaded:
        msg += f" {offloaded} flow(s) are offloaded now."
    return found(
        RULE,
        finding(
            RULE, msg[0].upper() + msg[1:], evidence, impact=float(offloaded), subject="timeouts"
        ),
    )
