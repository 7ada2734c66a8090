"""Parse the text of ``nft list ruleset`` as users paste it.

Handles the shapes nft prints (``nft list ruleset``, ``nft -a list ruleset`` with
``# handle N``, ``nft list flowtables``/``list chain``/``list table``) and the shapes people
write or generate (``fw4 print``: ``hook ingress priority 0;``, ``counter;``, ``flags
offload;``, quoted ``devices = { "eth0" }``; several statements on one line separated by
``;``; one-line blocks; sets and maps whose ``elements`` span lines).

Pastes carry other lines too. Each is skipped with its 1-based line number and a reason:
shell prompts, ``(exit status N)``, ``#!/usr/sbin/nft -f``, ``include``/``define``, nft
commands (``flush table ...``, ``delete flowtable ...``), program output between listings.
**Diff markers are reported, not stripped**: a line of ``diff`` output (``< ``, ``> ``,
``+``, ``-``, ``2a3,8``) belongs to one side of a comparison, and mixing both sides would
build a ruleset that never existed, so such lines are skipped with the reason "diff output".

A paste that ends (or hits a prompt / another listing) inside a table or chain keeps
everything read so far and sets ``Ruleset.truncated``. A table listed again later (pastes of
two listings) is merged: a chain or flowtable of the same name replaces the earlier one.
A flowtable or chain pasted without its ``table`` line goes into a table with empty family
and name. For flowtables the text is authoritative on ``counter`` and ``flags offload``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from offtui.model import Chain, Flowtable, Rule, Ruleset, Table
from offtui.parsers.common import Parsed, is_shell_prompt
from offtui.parsers.nft_common import (
    RulesetBuilder,
    is_bypass_statement,
    priority_value,
    unquote,
    verdict_targets,
)

FAMILIES = frozenset({"ip", "ip6", "inet", "arp", "bridge", "netdev"})
_NAME = r'("(?:[^"\\]|\\.)*"|[^\s{};"]+)'
_TABLE_HEAD = re.compile(rf"^table\s+(?:(ip|ip6|inet|arp|bridge|netdev)\s+)?{_NAME}\s*$")
_BLOCK_HEAD = re.compile(
    r"^(chain|flowtable|set|map|meter|counter|quota|limit|secmark|synproxy|tunnel"
    rf"|ct\s+helper|ct\s+timeout|ct\s+expectation)\s+{_NAME}\s*$"
)
_COMMANDS = frozenset(
    {"add", "create", "insert", "replace", "delete", "destroy", "flush", "list", "reset",
     "rename", "get", "monitor", "describe", "export", "import"}
)  # fmt: skip
_HANDLE_RE = re.compile(r"^#\s*handle\s+(\d+)")
_HUNK_RE = re.compile(r"^\d+(?:,\d+)?[acd]\d+(?:,\d+)?\s*$")
_EXIT_RE = re.compile(r"^\(exit status -?\d+\)$")
_PROMPT_CMD = re.compile(r"^#\s+(nft|fw4|sudo|cat|uci|iptables|ip6?tables-save|ssh|diff)\b")
_CHAIN_SPEC = re.compile(
    r"^type\s+(\S+)\s+hook\s+(\S+)"
    r"(?:\s+device\s+(\S+)|\s+devices\s*=\s*(\{[^}]*\}|\$\S+))?"
    r"(?:\s+priority\s+(.+?))?\s*$"
)
_FT_HOOK = re.compile(r"^hook\s+(\S+)(?:\s+priority\s+(.+?))?\s*$")
_DEVICES = re.compile(r"^devices\s*=\s*(.+?)\s*$")

# ---------------------------------------------------------------- rule vocabulary

#: Selectors made of the keyword and one field (``ip saddr``, ``tcp dport``...).
PROTOCOLS = frozenset(
    {"ip", "ip6", "tcp", "udp", "udplite", "sctp", "dccp", "th", "icmp", "icmpv6", "igmp",
     "ether", "vlan", "arp", "ah", "esp", "comp", "gre", "dst", "hbh", "frag", "mh", "srh",
     "rt0", "rt2", "rt4", "vxlan", "geneve", "gretap", "rt", "exthdr", "cgroupv2"}
)  # fmt: skip
#: meta keys nft accepts without ``meta`` (it prints only the first six that way).
UNQUALIFIED_META = frozenset(
    {"iif", "oif", "iifname", "oifname", "iifgroup", "oifgroup", "iiftype", "oiftype",
     "ibrname", "obrname", "ibriport", "obriport", "mark", "skuid", "skgid", "pkttype",
     "nfproto", "l4proto", "length", "protocol", "priority", "cpu", "cgroup", "rtclassid",
     "random", "secpath", "sdif", "sdifname", "nftrace", "time", "day", "hour", "ipsec"}
)  # fmt: skip
VERDICTS = frozenset({"accept", "drop", "return", "continue"})
#: Statements whose arguments run until the next statement keyword.
ARG_STATEMENTS = frozenset(
    {"log", "limit", "quota", "queue", "masquerade", "snat", "dnat", "redirect", "dup", "fwd",
     "tproxy", "synproxy", "notrack", "xt", "reject", "last", "osf"}
)  # fmt: skip
STATEMENT_WORDS = (
    VERDICTS | ARG_STATEMENTS | {"jump", "goto", "counter", "flow", "comment", "meter", "vmap"}
)
BINOPS = frozenset({"&", "|", "^", "<<", ">>", "and", "or", "xor", "lshift", "rshift"})
RELOPS = frozenset({"==", "!=", "<", ">", "<=", ">=", "eq", "ne", "lt", "gt", "le", "ge"})
FIB_RESULTS = frozenset({"oif", "oifname", "type"})
OPTION_FIELDS = frozenset(
    {"kind", "length", "size", "count", "left", "right", "tsval", "tsecr", "value", "type",
     "subtype", "addr", "ptr", "mptcp", "flags", "checksum", "vtag", "tsn", "cum-tsn-ack"}
)  # fmt: skip


class _Ctx:
    TOP = "top"
    TABLE = "table"
    CHAIN = "chain"
    FLOWTABLE = "flowtable"
    SET = "set"
    OTHER = "other"


@dataclass
class _Frame:
    kind: str
    table: Table | None = None
    chain: Chain | None = None
    flowtable: Flowtable | None = None
    name: str = ""
    anonymous: bool = False  # a table made up for a block pasted without its table line
    set_text: list[str] = field(default_factory=list)
    verdict_map: bool = False


def parse_nft_text(text: str) -> Parsed[Ruleset]:
    """Read the nft ruleset listing(s) in ``text`` (never raises)."""
    ruleset = Ruleset(source="text")
    result: Parsed[Ruleset] = Parsed(ruleset)
    if not isinstance(text, str):
        result.skip(0, repr(text)[:80], "input is not text")
        return result
    parser = _TextParser(result)
    for i, line in enumerate(text.splitlines(), start=1):
        parser.line(i, line)
    parser.finish()
    return result


class _TextParser:
    def __init__(self, result: Parsed[Ruleset]) -> None:
        self.result = result
        self.builder = RulesetBuilder(result.value)
        self.stack: list[_Frame] = [_Frame(_Ctx.TOP)]
        self.pending: str = ""  # a statement whose braces are still open
        self.pending_line = 0
        self.pending_raw = ""
        self.pending_depth = 0
        self.skipped: set[int] = set()
        self.handle: int | None = None

    # ------------------------------------------------------------ helpers
    def skip(self, line_no: int, raw: str, reason: str) -> None:
        if line_no in self.skipped:
            return
        self.skipped.add(line_no)
        self.result.skip(line_no, raw, reason)

    def end_output(self) -> None:
        """The listing stops here (a prompt, an exit status): close what is open."""
        if self.pending:
            self.skip(self.pending_line, self.pending_raw, "statement cut short")
            self.pending = ""
        if len(self.stack) > 1:
            self.result.value.truncated = True
            self._close_frames(len(self.stack) - 1)

    def _close_frames(self, count: int) -> None:
        for _ in range(count):
            if len(self.stack) > 1:
                self._pop()

    def finish(self) -> None:
        self.end_output()
        self.builder.finish()

    # ------------------------------------------------------------ lines
    def line(self, line_no: int, raw: str) -> None:
        stripped = raw.strip()
        ends_output = bool(_EXIT_RE.match(stripped)) or (
            not stripped.startswith("#") and is_shell_prompt(stripped)
        )
        if self.pending and not ends_output:
            self.pending += " " + stripped
            self.pending_depth = _depth(stripped, self.pending_depth)
            if self.pending_depth > 0:
                return
            text, self.pending = self.pending, ""
            self.feed(text, self.pending_line, self.pending_raw)
            return
        if not stripped:
            return
        if self._is_diff(raw, stripped):
            self.skip(line_no, raw, "diff output or separator line: not part of a ruleset")
            return
        if ends_output:
            reason = "shell prompt" if is_shell_prompt(stripped) else "command exit status"
            self.skip(line_no, raw, reason)
            self.end_output()
            return
        if stripped.startswith("#"):
            if stripped.startswith("#!"):
                self.skip(line_no, raw, "script interpreter line (#!), not a ruleset line")
            elif len(self.stack) == 1 and _PROMPT_CMD.match(stripped):
                self.skip(line_no, raw, "shell prompt")
                self.end_output()
            return  # an nft comment ("# Warning: table ... is managed by iptables-nft")
        body, handle = _strip_comment(stripped)
        if not body:
            return
        self.handle = handle
        self.feed(body, line_no, raw)

    @staticmethod
    def _is_diff(raw: str, stripped: str) -> bool:
        if _HUNK_RE.match(stripped) or raw.startswith(("@@ ", "\\ No newline")):
            return True
        if raw[:1] in ("<", ">") and raw[1:2] in (" ", "\t", ""):
            return True
        return raw[:1] in ("+", "-")

    # ------------------------------------------------------------ statements
    def feed(self, frag: str, line_no: int, raw: str) -> None:
        """Consume one logical line: block openers, closers and ';'-separated statements."""
        while True:
            frag = frag.strip()
            if not frag:
                return
            frame = self.stack[-1]
            if frag.startswith("}"):
                if len(self.stack) == 1:
                    self.skip(line_no, raw, "'}' without an open block")
                else:
                    self._pop()
                frag = frag[1:]
                continue
            if frame.kind != _Ctx.TOP and self._reopens(frag):
                continue
            if frame.kind in (_Ctx.TOP, _Ctx.TABLE):
                brace = _top_brace(frag)
                if brace >= 0 and self._open(frag[:brace].strip(), line_no, raw):
                    frag = frag[brace + 1 :]
                    continue
            if frame.kind == _Ctx.TOP:
                self._top_statement(frag, line_no, raw)
                return
            stmt, rest, complete = _next_statement(frag)
            if complete and rest == frag:  # no progress: never loop on odd input
                self.skip(line_no, raw, "unreadable statement")
                return
            if not complete:
                self.pending, self.pending_line, self.pending_raw = frag, line_no, raw
                self.pending_depth = _depth(frag)
                return
            if stmt.strip():
                self._statement(frame, stmt.strip(), line_no, raw)
            frag = rest

    def _reopens(self, frag: str) -> bool:
        """A table/chain/flowtable header inside an open block: the paste lost the block's end
        (an excerpt, or a listing cut short). Close the cut blocks; True if any was closed."""
        brace = _top_brace(frag)
        if brace < 0:
            return False
        head = frag[:brace].strip()
        kind = self.stack[-1].kind
        if _TABLE_HEAD.match(head):
            self.result.value.truncated = True
            self._close_frames(len(self.stack) - 1)
            return True
        m = _BLOCK_HEAD.match(head)
        if m and kind != _Ctx.TABLE and head.split()[0] in ("chain", "flowtable", "set", "map"):
            self.result.value.truncated = True
            while len(self.stack) > 1 and self.stack[-1].kind not in (_Ctx.TABLE, _Ctx.TOP):
                self._pop()
            return True
        return False

    def _top_statement(self, frag: str, line_no: int, raw: str) -> None:
        words = frag.split()
        first = words[0]
        if first == "include":
            self.skip(line_no, raw, "include: the included file is not part of this paste")
        elif first == "define":
            self.skip(line_no, raw, "define: nft variables are not expanded")
        elif first in _COMMANDS or (first == "table" and _TABLE_HEAD.match(frag.rstrip(";"))):
            self.skip(line_no, raw, "nft command, not part of a ruleset listing")
        else:
            self.skip(line_no, raw, "not part of an nft ruleset")

    def _open(self, head: str, line_no: int, raw: str) -> bool:
        """Open the block ``head {``; False when ``head`` is no block header here."""
        frame = self.stack[-1]
        if frame.kind == _Ctx.TOP:
            m = _TABLE_HEAD.match(head)
            if m:
                family = m.group(1) or "ip"
                table = self.builder.table(family, unquote(m.group(2)), self._take_handle())
                self.stack.append(_Frame(_Ctx.TABLE, table=table))
                return True
            if _BLOCK_HEAD.match(head) and head.split()[0] in ("chain", "flowtable", "set", "map"):
                table = self.builder.new_anonymous_table()
                self.stack.append(_Frame(_Ctx.TABLE, table=table, anonymous=True))
                return self._open_in_table(head)
            return False
        return self._open_in_table(head)

    def _open_in_table(self, head: str) -> bool:
        m = _BLOCK_HEAD.match(head)
        table = self.stack[-1].table
        if not m or table is None:
            return False
        kind, name = m.group(1).split()[0], unquote(m.group(2))
        if kind == "chain":
            chain = Chain(table.family, table.name, name, None, None, None, None, None)
            chain.handle = self._take_handle()
            self.builder.put_chain(table, chain)
            self.stack.append(_Frame(_Ctx.CHAIN, table=table, chain=chain))
        elif kind == "flowtable":
            ft = Flowtable(table.family, table.name, name, None, None, None, [], False, False)
            ft.handle = self._take_handle()
            self.builder.put_flowtable(table, ft)
            self.stack.append(_Frame(_Ctx.FLOWTABLE, table=table, flowtable=ft))
        elif kind in ("set", "map"):
            self.builder.add_set(table, name)
            self.stack.append(_Frame(_Ctx.SET, table=table, name=name))
        else:
            self.stack.append(_Frame(_Ctx.OTHER, table=table, name=name))
        return True

    def _take_handle(self) -> int | None:
        handle, self.handle = self.handle, None
        return handle

    def _pop(self) -> None:
        frame = self.stack.pop()
        if frame.kind == _Ctx.SET and frame.verdict_map and frame.table is not None:
            targets = verdict_targets(" ".join(frame.set_text))
            self.builder.add_vmap(frame.table.family, frame.table.name, frame.name, targets)
        if len(self.stack) > 1 and self.stack[-1].anonymous and frame.kind != _Ctx.TABLE:
            self.stack.pop()

    def _statement(self, frame: _Frame, stmt: str, line_no: int, raw: str) -> None:
        if frame.kind == _Ctx.CHAIN and frame.chain is not None:
            self._chain_statement(frame.chain, stmt, line_no, raw)
        elif frame.kind == _Ctx.FLOWTABLE and frame.flowtable is not None:
            self._flowtable_statement(frame.flowtable, stmt, line_no, raw)
        elif frame.kind == _Ctx.SET:
            frame.set_text.append(stmt)
            if re.match(r"^(type|typeof)\b.*:\s*verdict\b", stmt):
                frame.verdict_map = True
        elif frame.kind == _Ctx.TABLE:
            first = stmt.split()[0]
            if first in ("flags", "comment"):
                return
            if first == "define":
                self.skip(line_no, raw, "define: nft variables are not expanded")
            elif first == "include":
                self.skip(line_no, raw, "include: the included file is not part of this paste")
            else:
                self.skip(line_no, raw, "not a table statement")
        # OTHER: contents of ct helpers, named counters, quotas... are not modelled

    def _chain_statement(self, chain: Chain, stmt: str, line_no: int, raw: str) -> None:
        first = stmt.split()[0]
        if first == "type":
            m = _CHAIN_SPEC.match(stmt)
            if not m:
                self.skip(line_no, raw, "unreadable chain type/hook/priority")
                return
            chain.type, chain.hook = m.group(1), m.group(2)
            if m.group(3):
                chain.devices = [unquote(m.group(3))]
            elif m.group(4):
                chain.devices = _device_list(m.group(4))
            if m.group(5):
                chain.priority_text = m.group(5).strip()
                chain.priority = priority_value(chain.family, chain.hook, chain.priority_text)
            return
        if first == "policy":
            parts = stmt.split()
            chain.policy = parts[1] if len(parts) > 1 else None
            return
        if first == "priority":  # "priority" on its own line (nft -f style)
            chain.priority_text = stmt[len("priority") :].strip()
            chain.priority = priority_value(chain.family, chain.hook, chain.priority_text)
            return
        if first in ("devices", "device"):
            m = _DEVICES.match(stmt)
            chain.devices = (
                _device_list(m.group(1)) if m else [unquote(w) for w in stmt.split()[1:2]]
            )
            return
        if first == "flags" or (first == "comment" and len(_tokens(stmt)) == 2):
            return
        rule = parse_rule_text(stmt, chain)
        if rule is None:
            self.skip(line_no, raw, "not an nft rule")
            return
        rule.handle = self._take_handle()
        rule.line_no = line_no
        if rule.verdict == "vmap" and rule.target and rule.target.startswith("@"):
            self.builder.defer_vmap(rule, chain.family, chain.table, rule.target[1:])
            rule.target = None
        chain.rules.append(rule)

    def _flowtable_statement(self, ft: Flowtable, stmt: str, line_no: int, raw: str) -> None:
        first = stmt.split()[0]
        if first == "hook":
            m = _FT_HOOK.match(stmt)
            if not m:
                self.skip(line_no, raw, "unreadable flowtable hook/priority")
                return
            ft.hook = m.group(1)
            if m.group(2):
                ft.priority_text = m.group(2).strip()
                ft.priority = priority_value("netdev", ft.hook, ft.priority_text)
        elif first == "devices":
            m = _DEVICES.match(stmt)
            ft.devices = _device_list(m.group(1)) if m else []
        elif first == "counter":
            ft.counter = True
        elif first == "flags":
            flags = re.split(r"[\s,]+", stmt[len("flags") :].strip())
            ft.hw_offload = "offload" in flags
        else:
            self.skip(line_no, raw, "unknown flowtable statement")


# ---------------------------------------------------------------- lexing


def _strip_comment(line: str) -> tuple[str, int | None]:
    """Cut a trailing ``# ...`` comment (outside quotes); return its handle, if any."""
    in_quote = False
    for i, ch in enumerate(line):
        if ch == '"' and (i == 0 or line[i - 1] != "\\"):
            in_quote = not in_quote
        elif ch == "#" and not in_quote and (i == 0 or line[i - 1] in " \t"):
            m = _HANDLE_RE.match(line[i:])
            return line[:i].rstrip(), int(m.group(1)) if m else None
    return line, None


def _depth(text: str, depth: int = 0) -> int:
    """Brace depth at the end of ``text``, starting at ``depth`` (quotes respected, never
    below 0). Called once per continuation line so long statements stay linear."""
    in_quote = False
    for i, ch in enumerate(text):
        if ch == '"' and (i == 0 or text[i - 1] != "\\"):
            in_quote = not in_quote
        elif not in_quote:
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth = max(depth - 1, 0)
    return depth


def _top_brace(text: str) -> int:
    """Index of the first '{' outside quotes, or -1."""
    in_quote = False
    for i, ch in enumerate(text):
        if ch == '"' and (i == 0 or text[i - 1] != "\\"):
            in_quote = not in_quote
        elif ch == "{" and not in_quote:
            return i
        elif ch in ";}" and not in_quote:
            return -1
    return -1


def _next_statement(text: str) -> tuple[str, str, bool]:
    """Split off the first statement: up to a top-level ';' or an unmatched '}'.

    Returns (statement, rest, complete); ``complete`` is False when a '{' is still open at
    the end of ``text`` (the statement goes on on the next line).
    """
    depth = 0
    in_quote = False
    for i, ch in enumerate(text):
        if ch == '"' and (i == 0 or text[i - 1] != "\\"):
            in_quote = not in_quote
        elif in_quote:
            continue
        elif ch in "{(":
            depth += 1
        elif ch in "})":
            if depth == 0:
                if ch == ")":
                    continue  # a stray ')' closes nothing: part of the statement's text
                return text[:i], text[i:], True
            depth -= 1
        elif ch == ";" and depth == 0:
            return text[:i], text[i + 1 :], True
    if depth > 0:
        return text, "", False
    return text, "", True


def _tokens(text: str) -> list[str]:
    """Whitespace tokens; ``"..."``, ``{...}`` and ``(...)`` groups stay whole."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t":
            i += 1
        if i >= n:
            break
        start = i
        depth = 0
        in_quote = False
        while i < n:
            ch = text[i]
            if ch == '"' and (i == start or text[i - 1] != "\\"):
                in_quote = not in_quote
            elif not in_quote:
                if ch in "{(":
                    depth += 1
                elif ch in "})":
                    depth = max(depth - 1, 0)
                elif ch in " \t" and depth == 0:
                    break
            i += 1
        out.append(text[start:i])
    return out


def _device_list(text: str) -> list[str]:
    text = text.strip().rstrip(";").strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    return [unquote(d) for d in (p.strip() for p in text.split(",")) if d]


# ---------------------------------------------------------------- rules


def parse_rule_text(text: str, chain: Chain) -> Rule | None:
    """One rule line of a chain; ``None`` when it starts with no nft selector or statement."""
    toks = _tokens(text)
    if not toks or not (toks[0] in STATEMENT_WORDS or _is_stmt_start(toks, 0)
                        or _selector_end(toks, 0) is not None):  # fmt: skip
        return None
    rule = Rule(chain.family, chain.table, chain.name, None, text)
    i, n = 0, len(toks)
    while i < n:
        i = _rule_item(toks, i, rule)
    return rule


def _is_stmt_start(toks: list[str], i: int) -> bool:
    t = toks[i]
    nxt = toks[i + 1] if i + 1 < len(toks) else ""
    if t in STATEMENT_WORDS:
        return True
    if t == "ct" and nxt == "count":
        return True
    return t in ("add", "update", "delete") and nxt.startswith("@")


def _rule_item(toks: list[str], i: int, rule: Rule) -> int:
    """Read the item at ``toks[i]`` into ``rule``; return the index after it."""
    n = len(toks)
    t = toks[i]
    nxt = toks[i + 1] if i + 1 < n else ""
    if t == "comment" and nxt:
        rule.comment = unquote(nxt).replace('\\"', '"')
        return i + 2
    if t in VERDICTS:
        if t != "continue":
            rule.verdict = t
        return i + 1
    if t in ("jump", "goto") and nxt:
        rule.verdict, rule.target = t, unquote(nxt)
        if rule.target not in rule.targets:
            rule.targets.append(rule.target)
        return i + 2
    if t == "counter":
        if nxt == "packets" and i + 4 < n and toks[i + 3] == "bytes":
            rule.counter_packets = _int(toks[i + 2])
            rule.counter_bytes = _int(toks[i + 4])
            return i + 5
        return i + 3 if nxt == "name" else i + 1
    if t == "flow":
        j = i + 1
        if j < n and toks[j] in ("add", "offload"):
            j += 1
        if j < n and toks[j].startswith("@"):
            rule.flow_add = toks[j][1:]
            return j + 1
        return j
    if t == "ct" and nxt == "count":
        j = _args_end(toks, i + 2)
        rule.statements.append(" ".join(toks[i:j]))
        return j
    if t in ("add", "update", "delete") and nxt.startswith("@"):
        j = min(i + 3, n)
        rule.statements.append(" ".join(toks[i:j]))
        return j
    if t == "meter":
        j = i + 1
        while j < n and not toks[j].startswith("{"):
            j += 1
        j = min(j + 1, n)
        rule.statements.append(" ".join(toks[i:j]))
        return j
    if t in ARG_STATEMENTS:
        j = _args_end(toks, i + 1)
        if t == "reject":
            rule.verdict = "reject"
        elif is_bypass_statement(" ".join(toks[i:j])):
            rule.statements.append(" ".join(toks[i:j]))
        return j
    end = _selector_end(toks, i)
    if end is None:
        return i + 1  # an unknown word: kept in the rule text only
    if end < n and toks[end] == "set":  # mangle: "ip dscp set cs1", "meta mark set 0x1"
        j = _value_end(toks, end + 1)
        rule.statements.append(" ".join(toks[i:j]))
        return j
    if end < n and toks[end] == "vmap":
        data = toks[end + 1] if end + 1 < n else ""
        rule.verdict = "vmap"
        if data.startswith("@"):
            rule.target = data  # resolved by the parser once the named map is known
        for target in verdict_targets(data):
            if target not in rule.targets:
                rule.targets.append(target)
        return min(end + 2, n)
    j = end
    if j < n and toks[j] in BINOPS:
        j = min(j + 2, n)
    if j < n and toks[j] in RELOPS:
        j += 1
    if j < n:
        j += 1  # the value
        if j + 1 < n and toks[j] == "/":  # "tcp flags syn / fin,syn,rst,ack"
            j += 2
    if rule.verdict is None:
        rule.matches.append(" ".join(toks[i:j]))
    return j


def _args_end(toks: list[str], j: int) -> int:
    while j < len(toks) and not _is_stmt_start(toks, j):
        j += 1
    return j


def _value_end(toks: list[str], j: int) -> int:
    """End of a value expression after ``set`` (``ct mark set meta mark and 0xff``)."""
    n = len(toks)
    if j >= n:
        return j
    end = _selector_end(toks, j)
    j = end if end is not None else j + 1
    while j + 1 < n and toks[j] in BINOPS | {"map"}:
        j += 2
    return j


def _selector_end(toks: list[str], i: int) -> int | None:
    """Index after the selector starting at ``toks[i]`` (``ip saddr``, ``ct original mark``,
    ``fib saddr . iif oif``, ``ip saddr . tcp dport``); None if no selector starts there."""
    n = len(toks)
    t = toks[i]
    nxt = toks[i + 1] if i + 1 < n else None
    end: int | None
    if t.startswith("@") and "," in t:
        end = i + 1
    elif t == "meta" and nxt:
        end = i + 2
    elif t in UNQUALIFIED_META:
        end = i + 1
    elif t == "ct" and nxt:
        j = i + 1
        if toks[j] in ("original", "reply"):
            j += 1
        if j < n and toks[j] in ("ip", "ip6"):
            j += 1
        end = min(j + 1, n)
    elif t == "fib":
        j = i + 1
        while j < n and toks[j] not in FIB_RESULTS:
            j += 1
        end = min(j + 1, n)
    elif t == "socket" and nxt:
        end = min(i + 4, n) if nxt == "cgroupv2" else i + 2
    elif t in ("numgen", "jhash", "symhash"):
        j = i + 1
        while j < n and toks[j] != "mod":
            j += 1
        end = min(j + 2, n)
        for word in ("seed", "offset"):
            if end + 1 < n and toks[end] == word:
                end += 2
    elif t in PROTOCOLS and nxt:
        j = i + 1
        if (t in ("tcp", "ip", "dccp") and nxt == "option") or (t == "sctp" and nxt == "chunk"):
            j = i + 3
            if j < n and toks[j] in OPTION_FIELDS:
                j += 1
            end = min(j, n)
        elif t in ("rt", "vxlan", "geneve", "gretap") and nxt in ("ip", "ip6", "tcp", "udp"):
            end = min(i + 3, n)
        else:
            end = i + 2
    else:
        return None
    if end is not None and end + 1 < n and toks[end] == ".":
        more = _selector_end(toks, end + 1)
        if more is not None:
            return more
    return end


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None
