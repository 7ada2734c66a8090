"""The rule engine: load every rule in ``rules/`` and run them over a snapshot.

A rule is one module holding ``RULE`` (a :class:`RuleInfo`: id, severity, title, docs, the
facts it needs) and ``check(snap) -> RuleResult``. Rules read only the snapshot: no I/O.
Every rule ends in one of three outcomes: findings, pass, or skipped with the missing source
named. A rule never passes for lack of data: when a fact it needs is absent the engine skips
it before ``check`` runs.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from types import ModuleType

from offtui.model import Snapshot


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


class Outcome(StrEnum):
    FINDING = "finding"
    PASS = "pass"
    SKIPPED = "skipped"


@dataclass(slots=True, frozen=True)
class Evidence:
    """One fact a finding rests on: where it was read and what it said."""

    source: str  # capture path ("commands/nft_list_ruleset") or a fact name
    text: str  # the line or value, verbatim where possible
    line_no: int | None = None


@dataclass(slots=True)
class Finding:
    id: str
    severity: Severity
    title: str
    message: str  # what was found, in one or two sentences with the numbers
    evidence: list[Evidence]
    fix: str  # concrete commands
    interrupts_traffic: bool = False
    #: Larger = more of the user's traffic or CPU is affected; orders findings of one severity.
    impact: float = 0.0
    #: Subject (device, flowtable, PPE...) so one rule can report several things once each.
    subject: str = ""


@dataclass(slots=True)
class RuleDoc:
    """Rule documentation in fixed parts, like ruff's rule pages."""

    what: str  # what it finds
    why: str  # why it matters: the mechanism
    fix: str  # exact commands
    example: str = ""  # example evidence, from a real capture
    limits: str = ""  # known limits / what it could not confirm
    fix_interrupts: str = ""  # whether applying the fix interrupts traffic
    references: tuple[str, ...] = ()


#: Facts a rule can need; each maps to (accessor, what to collect to get it).
NEEDS: dict[str, tuple[Callable[[Snapshot], object], str]] = {
    "ruleset": (lambda s: s.ruleset, "`nft -j list ruleset` or `nft list ruleset`"),
    "conntrack": (lambda s: s.conntrack, "`/proc/net/nf_conntrack` or `conntrack -L`"),
    "links": (lambda s: s.links, "`ip -j -d link show`"),
    "fw4": (lambda s: s.settings.fw4, "`/etc/config/firewall`"),
    "firewalld": (lambda s: s.settings.firewalld, "`/etc/firewalld/firewalld.conf`"),
    "ppe": (lambda s: s.ppe or None, "PPE debugfs (`/sys/kernel/debug/ppe0/entries`)"),
    "cpu": (lambda s: s.cpu, "`/proc/stat`"),
    "softirqs": (lambda s: s.softirqs, "`/proc/softirqs`"),
    "modules": (lambda s: s.modules, "`/proc/modules`"),
    "qdiscs": (lambda s: s.qdiscs, "`tc -j qdisc show`"),
    "logs": (lambda s: s.log_events, "`dmesg` or `logread`"),
    "conntrack_limits": (
        lambda s: s.conntrack_limits.max,
        "`/proc/sys/net/netfilter/nf_conntrack_max`",
    ),
    "wireless": (lambda s: s.settings.uci.get("wireless"), "`/etc/config/wireless`"),
    "network": (lambda s: s.settings.uci.get("network"), "`/etc/config/network`"),
    "sqm_config": (lambda s: s.settings.uci.get("sqm"), "`/etc/config/sqm`"),
    "addresses": (lambda s: s.addresses, "`ip -j addr show`"),
    "routes": (lambda s: s.routes, "`ip -j route show`"),
    "ip_rules": (lambda s: s.ip_rules, "`ip -j rule show`"),
    "processes": (lambda s: s.processes, "`ps`"),
    "sysctl": (lambda s: s.settings.sysctl or None, "`/proc/sys/net/netfilter/*`"),
    "system_release": (
        lambda s: s.system.openwrt_release or s.system.os_release or None,
        "`/etc/openwrt_release` or `/etc/os-release`",
    ),
    "kernel": (lambda s: s.system.kernel, "`uname -a` or `/proc/version`"),
}


@dataclass(slots=True, frozen=True)
class RuleInfo:
    id: str
    severity: Severity
    title: str
    doc: RuleDoc
    needs: tuple[str, ...] = ()
    #: Any one of these sets of facts is enough (e.g. SQM config *or* tc qdiscs).
    needs_any: tuple[tuple[str, ...], ...] = ()


@dataclass(slots=True)
class RuleResult:
    rule: RuleInfo
    outcome: Outcome
    findings: list[Finding] = field(default_factory=list)
    reason: str = ""  # why skipped, or a note on a pass


@dataclass(slots=True, frozen=True)
class LoadedRule:
    info: RuleInfo
    check: Callable[[Snapshot], RuleResult]
    module: str


# ---------------------------------------------------------------------- helpers for rules


def passed(rule: RuleInfo, note: str = "") -> RuleResult:
    return RuleResult(rule, Outcome.PASS, reason=note)


def skipped(rule: RuleInfo, reason: str) -> RuleResult:
    return RuleResult(rule, Outcome.SKIPPED, reason=reason)


def found(rule: RuleInfo, *findings: Finding) -> RuleResult:
    return RuleResult(rule, Outcome.FINDING, list(findings))


def finding(
    rule: RuleInfo,
    message: str,
    evidence: list[Evidence],
    fix: str | None = None,
    *,
    severity: Severity | None = None,
    impact: float = 0.0,
    subject: str = "",
    interrupts_traffic: bool | None = None,
) -> Finding:
    return Finding(
        id=rule.id,
        severity=severity or rule.severity,
        title=rule.title,
        message=message,
        evidence=evidence,
        fix=fix if fix is not None else rule.doc.fix,
        interrupts_traffic=(
            interrupts_traffic
            if interrupts_traffic is not None
            else rule.doc.fix_interrupts.lower().startswith("yes")
        ),
        impact=impact,
        subject=subject,
    )


# ---------------------------------------------------------------------- loading and running


def _iter_rule_modules() -> list[ModuleType]:
    import offtui.rules as pkg

    mods = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        mods.append(importlib.import_module(f"{pkg.__name__}.{info.name}"))
    return mods


_CACHE: list[LoadedRule] | None = None


def load_rules() -> list[LoadedRule]:
    """Every rule in ``rules/``, sorted by id. Raises if a module breaks the contract."""
    global _CACHE
    if _CACHE is None:
        rules = []
        seen: dict[str, str] = {}
        for mod in _iter_rule_modules():
            info = getattr(mod, "RULE", None)
            check = getattr(mod, "check", None)
            if not isinstance(info, RuleInfo) or not callable(check):
                raise TypeError(f"{mod.__name__}: a rule module needs RULE and check()")
            if info.id in seen:
                raise ValueError(
                    f"rule id {info.id} defined twice ({seen[info.id]}, {mod.__name__})"
                )
            seen[info.id] = mod.__name__
            rules.append(LoadedRule(info, check, mod.__name__))
        _CACHE = sorted(rules, key=lambda r: r.info.id)
    return _CACHE


def rule_by_id(rule_id: str) -> LoadedRule | None:
    for r in load_rules():
        if r.info.id == rule_id:
            return r
    return None


def _missing(snap: Snapshot, needs: tuple[str, ...]) -> list[str]:
    return [n for n in needs if NEEDS[n][0](snap) is None]


def run_rule(rule: LoadedRule, snap: Snapshot) -> RuleResult:
    info = rule.info
    missing = _missing(snap, info.needs)
    if missing:
        return skipped(info, "needs " + " and ".join(NEEDS[n][1] for n in missing))
    if info.needs_any and all(_missing(snap, group) for group in info.needs_any):
        alts = [" and ".join(NEEDS[n][1] for n in g) for g in info.needs_any]
        return skipped(info, "needs " + " or ".join(alts))
    try:
        res = rule.check(snap)
    except Exception as exc:  # a broken rule must not hide the others
        return skipped(info, f"rule error: {type(exc).__name__}: {exc}")
    if res.outcome == Outcome.FINDING and not res.findings:
        return passed(info)
    return res


@dataclass(slots=True)
class Report:
    results: list[RuleResult]

    @property
    def findings(self) -> list[Finding]:
        """All findings, most severe and most impactful first, without duplicates."""
        seen: set[tuple[str, str, str]] = set()
        out = []
        for r in self.results:
            for f in r.findings:
                key = (f.id, f.subject, f.message)
                if key not in seen:
                    seen.add(key)
                    out.append(f)
        return sorted(out, key=lambda f: (-f.severity.rank, -f.impact, f.id, f.subject))

    @property
    def skipped(self) -> list[RuleResult]:
        return [r for r in self.results if r.outcome == Outcome.SKIPPED]

    @property
    def passed(self) -> list[RuleResult]:
        return [r for r in self.results if r.outcome == Outcome.PASS]


def run_rules(snap: Snapshot, rules: list[LoadedRule] | None = None) -> Report:
    return Report([run_rule(r, snap) for r in (rules if rules is not None else load_rules())])
