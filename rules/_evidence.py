"""Where a fact was read: the capture path (and line) that rules cite as evidence.

One place for it, because the merge of the two ruleset listings decides it: rules and their
counters come from the JSON listing (``nft_merge``: JSON is the structure; a JSON document has
no useful line numbers), while a flowtable's ``counter`` and ``flags`` come from the text one.
"""

from __future__ import annotations

import re

from offtui.model import Rule, Snapshot

TEXT_RULESET = "commands/nft_list_ruleset"
JSON_RULESET = "commands/nft_-j_list_ruleset"

_CONNTRACK_PATHS = {
    "proc": "proc/net/nf_conntrack",
    "conntrack -L": "commands/conntrack_-L",
    "netlink": "netlink/conntrack_-L",
}


def rules_source(snap: Snapshot) -> str:
    """Capture path the ruleset's chains and rules were read from (JSON wins when both)."""
    src = snap.ruleset.source if snap.ruleset is not None else ""
    return JSON_RULESET if "json" in src else TEXT_RULESET


def flowtable_source(snap: Snapshot) -> str:
    """Capture path a flowtable's ``counter``/``flags`` were read from (text wins when both)."""
    src = snap.ruleset.source if snap.ruleset is not None else ""
    return TEXT_RULESET if "text" in src or not src else JSON_RULESET


def rule_line(snap: Snapshot, line_no: int | None) -> int | None:
    """A rule's line number, only when it is a line of the text listing."""
    return line_no if rules_source(snap) == TEXT_RULESET else None


def rule_evidence_source(snap: Snapshot, rule: Rule) -> tuple[str, int | None]:
    """(capture path, line number or None) for a rule."""
    return rules_source(snap), rule_line(snap, rule.line_no)


def conntrack_path(snap: Snapshot) -> str:
    """Capture path of the conntrack listing the snapshot was built from."""
    kind = snap.conntrack.source if snap.conntrack is not None else "proc"
    return _CONNTRACK_PATHS.get(kind, "proc/net/nf_conntrack")


def kernel_version(release: str | None) -> tuple[int, ...] | None:
    """``(5, 15, 60)`` from ``"5.15.60-..."``; None when unreadable."""
    if not release:
        return None
    m = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", release)
    if not m:
        return None
    return tuple(int(g) for g in m.groups() if g is not None)
