"""Helpers shared by the nftables JSON and text parsers, and by the rules.

Priority names follow nftables' ``src/rule.c`` (``std_prios`` / ``bridge_std_prios``): the
text listing prints a chain's or flowtable's numeric priority as the nearest standard name
within +/-10 (``filter + 10``, ``dstnat - 5``), while ``nft -j`` prints the number. The values
are the kernel's ``NF_IP_PRI_*`` and ``NF_BR_PRI_*`` constants.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Collection

from offtui.model import Chain, Flowtable, Rule, Ruleset, Table

#: ``std_prios``: every family but bridge (NF_IP_PRI_RAW, _MANGLE, _NAT_DST, _FILTER,
#: _SECURITY, _NAT_SRC).
STD_PRIORITIES: dict[str, int] = {
    "raw": -300,
    "mangle": -150,
    "dstnat": -100,
    "filter": 0,
    "security": 50,
    "srcnat": 100,
}

#: ``bridge_std_prios`` (NF_BR_PRI_NAT_DST_BRIDGED, _FILTER_BRIDGED, _NAT_DST_OTHER, _NAT_SRC).
BRIDGE_PRIORITIES: dict[str, int] = {
    "dstnat": -300,
    "filter": -200,
    "out": 100,
    "srcnat": 300,
}

_PRIO_RE = re.compile(r"^\s*([A-Za-z_][\w-]*)\s*(?:([+-])\s*(\d+))?\s*$")
_INT_RE = re.compile(r"^\s*([+-]?\d+)\s*$")


def priority_value(family: str, hook: str | None, text: str) -> int | None:
    """The number behind a priority as nft prints or accepts it.

    ``"filter + 10"`` -> 10, ``"dstnat - 5"`` -> -105, ``"-150"`` -> -150; in the bridge
    family ``"filter"`` is -200 and ``"out"`` is 100. ``hook`` is accepted for symmetry with
    nftables (which restricts some names to some hooks) but a name is mapped whatever the
    hook, so that a listing is read as printed. Unknown names and variables (``$pri``) give
    ``None``.
    """
    del hook  # nft prints only compatible names; reading needs no check
    if not isinstance(text, str):
        return None
    m = _INT_RE.match(text)
    if m:
        return int(m.group(1))
    m = _PRIO_RE.match(text)
    if not m:
        return None
    table = BRIDGE_PRIORITIES if family == "bridge" else STD_PRIORITIES
    base = table.get(m.group(1))
    if base is None:
        return None
    if m.group(2):
        offset = int(m.group(3))
        return base + offset if m.group(2) == "+" else base - offset
    return base


def _chain_index(ruleset: Ruleset) -> dict[tuple[str, str, str], Chain]:
    return {(c.family, c.table, c.name): c for c in ruleset.chains}


def chains_reachable_from_hook(
    ruleset: Ruleset, hook: str, *, families: Collection[str] | None = None
) -> set[tuple[str, str, str]]:
    """(family, table, chain) of the base chains on ``hook`` and of every chain they reach.

    A chain is reached through ``jump``/``goto`` and through the jumps inside a verdict map
    (``Rule.targets``). Jumps never leave their table, so targets resolve in the same table.
    Hook names repeat across families (``forward`` exists in ip/ip6/inet and in bridge);
    ``families`` limits the base chains, e.g. ``{"inet", "ip", "ip6"}`` for flow offload.
    """
    index = _chain_index(ruleset)
    start = [
        key
        for key, c in index.items()
        if c.hook == hook and c.type is not None and (families is None or c.family in families)
    ]
    seen: set[tuple[str, str, str]] = set(start)
    todo = deque(start)
    while todo:
        family, table, name = todo.popleft()
        chain = index.get((family, table, name))
        if chain is None:
            continue
        for rule in chain.rules:
            targets = list(rule.targets)
            if rule.target and rule.target not in targets:
                targets.append(rule.target)
            for target in targets:
                key = (family, table, target)
                if key not in seen:
                    seen.add(key)
                    todo.append(key)
    return seen


def is_bypass_statement(text: str) -> bool:
    """True for a statement the flowtable fast path skips for offloaded packets.

    Once a flow is offloaded its packets no longer traverse the ruleset, so packet mangling
    (``ip dscp set``, ``meta priority set``, ``meta mark set``), rate limits, quotas, logging,
    connection limits (``ct count``), meters and dynamic set updates stop acting on them.
    """
    words = text.split()
    if not words:
        return False
    if words[0] in ("limit", "quota", "log", "meter", "add", "update", "delete"):
        return True
    if words[:2] == ["ct", "count"]:
        return True
    return "set" in words[1:6]


_JUMP_RE = re.compile(r'\b(jump|goto)\s+("(?:[^"\\]|\\.)*"|[^\s,{}]+)')


def verdict_targets(text: str) -> list[str]:
    """Chain names after ``jump``/``goto`` in a verdict map's elements (text form)."""
    out: list[str] = []
    for m in _JUMP_RE.finditer(text):
        name = unquote(m.group(2))
        if name and name not in out:
            out.append(name)
    return out


def unquote(text: str) -> str:
    """``"br-lan"`` -> ``br-lan`` (nft quotes strings and some names)."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    return text


class RulesetBuilder:
    """Collects tables, chains and flowtables as either parser meets them.

    Objects are keyed by (family, table, name). A chain or flowtable met again (pastes that
    hold two listings, e.g. before and after a reload) replaces the earlier one in place, so
    the newest listing wins and rules are not counted twice. Rules that use a named verdict
    map (``vmap @name``) get their jump targets once the whole input is read, because a map
    may be listed after the rule that uses it.
    """

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self._vmaps: dict[tuple[str, str, str], list[str]] = {}
        self._pending: list[tuple[Rule, tuple[str, str, str]]] = []

    def table(self, family: str, name: str, handle: int | None = None) -> Table:
        t = self.ruleset.table(family, name)
        if t is None:
            t = Table(family=family, name=name, handle=handle)
            self.ruleset.tables.append(t)
        elif handle is not None:
            t.handle = handle
        return t

    def new_anonymous_table(self) -> Table:
        """A table for a chain/flowtable pasted without its ``table`` line (name unknown)."""
        t = Table(family="", name="")
        self.ruleset.tables.append(t)
        return t

    @staticmethod
    def put_chain(table: Table, chain: Chain) -> Chain:
        for i, old in enumerate(table.chains):
            if old.name == chain.name:
                table.chains[i] = chain
                return chain
        table.chains.append(chain)
        return chain

    @staticmethod
    def find_chain(table: Table, name: str) -> Chain | None:
        for c in table.chains:
            if c.name == name:
                return c
        return None

    @staticmethod
    def put_flowtable(table: Table, ft: Flowtable) -> Flowtable:
        for i, old in enumerate(table.flowtables):
            if old.name == ft.name:
                table.flowtables[i] = ft
                return ft
        table.flowtables.append(ft)
        return ft

    @staticmethod
    def add_set(table: Table, name: str) -> None:
        if name not in table.sets:
            table.sets.append(name)

    def add_vmap(self, family: str, table: str, name: str, targets: list[str]) -> None:
        self._vmaps[(family, table, name)] = list(targets)

    def defer_vmap(self, rule: Rule, family: str, table: str, name: str) -> None:
        self._pending.append((rule, (family, table, name)))

    def finish(self) -> Ruleset:
        for rule, key in self._pending:
            for target in self._vmaps.get(key, []):
                if target not in rule.targets:
                    rule.targets.append(target)
        self._pending.clear()
        return self.ruleset
