"""Parse the JSON of ``nft -j list ruleset`` (also ``list flowtables``, ``list table ...``).

The layout is libnftables' (``src/json.c``): ``{"nftables": [{"metainfo": ...}, {"table":
...}, {"chain": ...}, {"set"/"map": ...}, {"flowtable": ...}, {"rule": ...}]}``, printed on
one line. What nft's JSON does *not* say matters here: a flowtable object carries only
``hook``, ``prio`` and ``dev`` (a list, or a plain string for one device), never ``counter``
or ``flags`` (checked in nftables 1.0.6 and 1.1.3 and in nftables' current ``json.c``), so
``Flowtable.counter`` and ``Flowtable.hw_offload`` stay ``None`` unless a ``flags`` key is
present; :func:`offtui.parsers.nft_merge.merge_rulesets` fills them from the text listing.
Before nftables 1.0.9 a netdev chain's ``dev`` was not printed either.

Input may hold other lines (a pasted prompt, ``(exit status 0)``, a text listing): each line
that is not part of a JSON document is skipped with its line number. A JSON document cut
short keeps every complete object before the cut and sets ``Ruleset.truncated``.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from typing import Any

from offtui.model import Chain, Flowtable, Rule, Ruleset
from offtui.parsers.common import Parsed
from offtui.parsers.nft_common import RulesetBuilder, is_bypass_statement

#: meta keys nft prints without the ``meta`` keyword (``meta_key_is_unqualified``).
UNQUALIFIED_META = frozenset({"iif", "oif", "iifname", "oifname", "iifgroup", "oifgroup"})
#: meta keys whose values are interface names, which nft prints quoted.
QUOTED_META = frozenset(
    {"iifname", "oifname", "iif", "oif", "ibrname", "obrname", "ibriport", "obriport", "sdifname"}
)
SIMPLE_VERDICTS = ("accept", "drop", "return", "continue")
_RELATIONAL_SHOWN = frozenset({"!=", "<", ">", "<=", ">="})
_DOC_START = re.compile(r'\{\s*"nftables"\s*:\s*\[')
_decoder = json.JSONDecoder()


def parse_nft_json(text: str) -> Parsed[Ruleset]:
    """Read every ``{"nftables": [...]}`` document in ``text`` into one :class:`Ruleset`."""
    ruleset = Ruleset(source="json")
    result: Parsed[Ruleset] = Parsed(ruleset)
    if not isinstance(text, str):
        result.skip(0, repr(text)[:80], "input is not text")
        return result
    builder = RulesetBuilder(ruleset)
    reader = _Reader(text, result, builder)
    reader.run()
    builder.finish()
    return result


class _Reader:
    def __init__(self, text: str, result: Parsed[Ruleset], builder: RulesetBuilder) -> None:
        self.text = text
        self.result = result
        self.builder = builder
        self.skipped: set[int] = set()
        self.line_starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                self.line_starts.append(i + 1)

    # -- positions
    def line_no(self, pos: int) -> int:
        return bisect_right(self.line_starts, pos)

    def line_text(self, line_no: int) -> str:
        start = self.line_starts[line_no - 1]
        end = self.text.find("\n", start)
        return self.text[start:] if end < 0 else self.text[start:end]

    def line_end(self, pos: int) -> int:
        end = self.text.find("\n", pos)
        return len(self.text) if end < 0 else end + 1

    def skip(self, line_no: int, reason: str, text: str | None = None) -> None:
        """Record one unreadable line (each line at most once)."""
        if line_no in self.skipped:
            return
        self.skipped.add(line_no)
        self.result.skip(line_no, self.line_text(line_no) if text is None else text, reason)

    def skip_ws(self, pos: int) -> int:
        text = self.text
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        return pos

    # -- documents
    def run(self) -> None:
        pos = 0
        text = self.text
        while pos < len(text):
            end = self.line_end(pos)
            line = text[pos:end]
            stripped = line.strip()
            if not stripped:
                pos = end
                continue
            if stripped.startswith("{"):
                pos = self.document(pos + (len(line) - len(line.lstrip())))
                continue
            self.skip(self.line_no(pos), "not JSON (no '{' at the start of the line)")
            pos = end

    def document(self, start: int) -> int:
        """Read one document at ``start``; return where reading goes on."""
        try:
            doc, end = _decoder.raw_decode(self.text, start)
        except json.JSONDecodeError:
            return self.salvage(start)
        except RecursionError:
            self.skip(self.line_no(start), "JSON nested too deeply")
            return self.line_end(start)
        if not isinstance(doc, dict) or not isinstance(doc.get("nftables"), list):
            self.skip(self.line_no(start), 'JSON is not an nft document ({"nftables": [...]})')
            return self.trailing(end)
        for item in doc["nftables"]:
            self.item(item, self.line_no(start), None)
        return self.trailing(end)

    def trailing(self, end: int) -> int:
        """After a document: the rest of its last line must be blank, else skip that line."""
        line_end = self.line_end(max(end - 1, 0))
        if self.text[end:line_end].strip():
            self.skip(self.line_no(end), "text after the JSON document")
        return line_end

    def salvage(self, start: int) -> int:
        """A broken or cut document: keep each complete object of its ``nftables`` array."""
        m = _DOC_START.match(self.text, start)
        if not m:
            return self.fail(start)
        text = self.text
        last = m.end() - 1  # the '['
        count = 0
        while True:
            pos = self.skip_ws(last + 1)
            if pos >= len(text) or text[pos] != "{":
                return self.cut(last, count)
            try:
                item, end = _decoder.raw_decode(text, pos)
            except json.JSONDecodeError as e:
                return self.cut(max(min(e.pos, len(text) - 1), pos), count, e.msg)
            except RecursionError:
                return self.cut(pos, count, "nested too deeply")
            self.item(item, self.line_no(pos), text[pos:end])
            count += 1
            last = end - 1
            pos = self.skip_ws(end)
            if pos < len(text) and text[pos] == ",":
                last = pos
                continue
            if pos < len(text) and text[pos] == "]":
                after = self.skip_ws(pos + 1)
                if after < len(text) and text[after] == "}":
                    return self.fail(start)  # complete array, broken elsewhere
                return self.cut(pos, count)
            return self.cut(last, count)

    def cut(self, at: int, count: int, msg: str = "") -> int:
        """The document stops (cut short, or broken) at ``at``: objects before it are kept."""
        self.result.value.truncated = True
        line_no = self.line_no(at)
        column = at - self.line_starts[line_no - 1] + 1
        detail = f" ({msg})" if msg else ""
        self.skip(
            line_no,
            f"JSON document cut short or broken at line {line_no}, column {column}{detail}; "
            f"kept the {count} complete objects before it",
        )
        return self.line_end(at)

    def fail(self, start: int) -> int:
        try:
            _decoder.raw_decode(self.text, start)
        except json.JSONDecodeError as e:
            self.skip(e.lineno, f"JSON error: {e.msg} (line {e.lineno}, column {e.colno})")
            return self.line_end(min(max(e.pos, start), len(self.text) - 1))
        except RecursionError:
            pass
        self.skip(self.line_no(start), "not a readable nft JSON document")
        return self.line_end(start)

    # -- objects
    def item(self, item: Any, line_no: int, raw: str | None) -> None:
        raw_text = raw if raw is not None else _dump(item)
        if not isinstance(item, dict) or len(item) != 1:
            self.skip(line_no, "array item is not a one-key JSON object", raw_text)
            return
        kind, body = next(iter(item.items()))
        handler = _HANDLERS.get(kind)
        if handler is None:
            return  # other object kinds (ct helper, counter, quota, add/delete commands...)
        if not isinstance(body, dict):
            self.skip(line_no, f"'{kind}' value is not an object", raw_text)
            return
        reason = handler(self, body, line_no)
        if reason:
            self.skip(line_no, reason, raw_text)


def _dump(value: Any) -> str:
    try:
        return json.dumps(value)[:300]
    except (TypeError, ValueError, RecursionError):
        return repr(value)[:300]


def _str(body: dict[str, Any], key: str) -> str | None:
    v = body.get(key)
    return v if isinstance(v, str) else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return None


def _devices(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(d, str) for d in value):
        return list(value)
    return None


def _handle_metainfo(r: _Reader, body: dict[str, Any], line_no: int) -> str | None:
    version = _str(body, "version")
    if version:
        r.result.value.nft_version = version
    return None


def _handle_table(r: _Reader, body: dict[str, Any], line_no: int) -> str | None:
    family, name = _str(body, "family"), _str(body, "name")
    if family is None or name is None:
        return "table object lacks 'family' or 'name'"
    r.builder.table(family, name, _int(body.get("handle")))
    return None


def _handle_chain(r: _Reader, body: dict[str, Any], line_no: int) -> str | None:
    family, table, name = _str(body, "family"), _str(body, "table"), _str(body, "name")
    if family is None or table is None or name is None:
        return "chain object lacks 'family', 'table' or 'name'"
    t = r.builder.table(family, table)
    devices = _devices(body.get("dev")) or []
    chain = Chain(
        family=family,
        table=table,
        name=name,
        type=_str(body, "type"),
        hook=_str(body, "hook"),
        priority=_int(body.get("prio")),
        priority_text=None,
        policy=_str(body, "policy"),
        devices=devices,
        handle=_int(body.get("handle")),
    )
    r.builder.put_chain(t, chain)
    return None


def _handle_flowtable(r: _Reader, body: dict[str, Any], line_no: int) -> str | None:
    family, table, name = _str(body, "family"), _str(body, "table"), _str(body, "name")
    if family is None or table is None or name is None:
        return "flowtable object lacks 'family', 'table' or 'name'"
    devices = _devices(body.get("dev"))
    if devices is None and "dev" in body:
        return "flowtable 'dev' is neither a string nor a list of strings"
    hw_offload: bool | None = None
    counter: bool | None = None
    if "flags" in body:
        # nft up to 1.1.x never prints flowtable flags; read them if a version does.
        flags = body["flags"]
        names = [flags] if isinstance(flags, str) else flags if isinstance(flags, list) else []
        hw_offload = "offload" in names
        counter = True if "counter" in names else None
    if "counter" in body:
        counter = body["counter"] is not False and body["counter"] is not None
    ft = Flowtable(
        family=family,
        table=table,
        name=name,
        hook=_str(body, "hook"),
        priority=_int(body.get("prio")),
        priority_text=None,
        devices=devices or [],
        hw_offload=hw_offload,
        counter=counter,
        handle=_int(body.get("handle")),
    )
    r.builder.put_flowtable(r.builder.table(family, table), ft)
    return None


def _handle_set(r: _Reader, body: dict[str, Any], line_no: int) -> str | None:
    family, table, name = _str(body, "family"), _str(body, "table"), _str(body, "name")
    if family is None or table is None or name is None:
        return "set/map object lacks 'family', 'table' or 'name'"
    t = r.builder.table(family, table)
    r.builder.add_set(t, name)
    if body.get("map") == "verdict":
        targets: list[str] = []
        elems = body.get("elem")
        for elem in elems if isinstance(elems, list) else []:
            if isinstance(elem, list) and len(elem) == 2:
                _collect_targets(elem[1], targets)
        r.builder.add_vmap(family, table, name, targets)
    return None


def _handle_rule(r: _Reader, body: dict[str, Any], line_no: int) -> str | None:
    family, table, chain_name = _str(body, "family"), _str(body, "table"), _str(body, "chain")
    if family is None or table is None or chain_name is None:
        return "rule object lacks 'family', 'table' or 'chain'"
    exprs = body.get("expr", [])
    if not isinstance(exprs, list):
        return "rule 'expr' is not a list"
    t = r.builder.table(family, table)
    chain = r.builder.find_chain(t, chain_name)
    if chain is None:  # "nft -j list chain" style output without the chain object
        chain = r.builder.put_chain(
            t, Chain(family, table, chain_name, None, None, None, None, None)
        )
    comment = _str(body, "comment")
    rule = Rule(
        family=family,
        table=table,
        chain=chain_name,
        handle=_int(body.get("handle")),
        text="",
        comment=comment,
        line_no=None,  # one JSON document is one line: no line worth citing
    )
    parts: list[str] = []
    vmap_ref: str | None = None
    for stmt in exprs:
        try:
            text, ref = _statement(stmt, rule)
        except RecursionError:
            text, ref = "…", None
        if ref:
            vmap_ref = ref
        if text:
            parts.append(text)
    if comment is not None:
        parts.append(f"comment {_quote(comment)}")
    rule.text = " ".join(parts)
    if vmap_ref:
        r.builder.defer_vmap(rule, family, table, vmap_ref)
    chain.rules.append(rule)
    return None


_HANDLERS = {
    "metainfo": _handle_metainfo,
    "table": _handle_table,
    "chain": _handle_chain,
    "flowtable": _handle_flowtable,
    "set": _handle_set,
    "map": _handle_set,
    "rule": _handle_rule,
}


# --------------------------------------------------------------------------- rules


def _statement(stmt: Any, rule: Rule) -> tuple[str, str | None]:
    """Readable text of one ``expr`` item, filling ``rule``; also a named vmap, if any."""
    if isinstance(stmt, str):  # a statement nft could not render as JSON: its text form
        return stmt, None
    if not isinstance(stmt, dict) or len(stmt) != 1:
        return _dump(stmt), None
    key, val = next(iter(stmt.items()))
    terminal = rule.verdict is not None
    if key == "match" and isinstance(val, dict):
        text = _match(val)
        if not terminal:
            rule.matches.append(text)
        return text, None
    if key in SIMPLE_VERDICTS:
        if key != "continue":
            rule.verdict = key
        return key, None
    if key in ("jump", "goto"):
        target = val.get("target") if isinstance(val, dict) else None
        rule.verdict = key
        if isinstance(target, str):
            rule.target = target
            if target not in rule.targets:
                rule.targets.append(target)
            return f"{key} {target}", None
        return f"{key} {_expr(target)}", None
    if key == "reject":
        rule.verdict = "reject"
        if isinstance(val, dict):
            rtype, rexpr = val.get("type"), val.get("expr")
            if rexpr == "port-unreachable" and rtype in ("icmpx", "icmp", "icmpv6"):
                return "reject", None  # the default, which nft's text leaves out
            words = ["reject", "with"]
            if isinstance(rtype, str):
                words.append(rtype)
            if rexpr is not None:
                words.append(_expr(rexpr))
            return " ".join(words) if len(words) > 2 else "reject", None
        return "reject", None
    if key == "vmap" and isinstance(val, dict):
        rule.verdict = "vmap"
        data = val.get("data")
        ref = data[1:] if isinstance(data, str) and data.startswith("@") else None
        _collect_targets(data, rule.targets)
        return f"{_expr(val.get('key'))} vmap {_expr(data)}", ref
    if key == "flow" and isinstance(val, dict):
        ft = val.get("flowtable")
        op = val.get("op") if isinstance(val.get("op"), str) else "add"
        if isinstance(ft, str):
            rule.flow_add = ft[1:] if ft.startswith("@") else ft
            return f"flow {op} {ft}", None
        return f"flow {op} {_expr(ft)}", None
    if key == "counter":
        if isinstance(val, dict):
            packets, nbytes = _int(val.get("packets")), _int(val.get("bytes"))
            rule.counter_packets, rule.counter_bytes = packets, nbytes
            if packets is not None and nbytes is not None:
                return f"counter packets {packets} bytes {nbytes}", None
            return "counter", None
        if isinstance(val, str):  # named counter reference
            return f"counter name {_quote(val)}", None
        return "counter", None
    text = _other_statement(key, val)
    if is_bypass_statement(text):
        rule.statements.append(text)
    return text, None


def _other_statement(key: str, val: Any) -> str:
    if key == "mangle" and isinstance(val, dict):
        return f"{_expr(val.get('key'))} set {_expr(val.get('value'))}"
    if key == "limit" and isinstance(val, dict):
        return _limit(val)
    if key == "limit" and isinstance(val, str):
        return f"limit name {_quote(val)}"
    if key == "quota" and isinstance(val, dict):
        words = ["quota"]
        if val.get("inv"):
            words.append("over")
        words.append(f"{_expr(val.get('val'))} {_expr(val.get('val_unit', 'bytes'))}")
        if val.get("used"):
            words.append(f"used {_expr(val.get('used'))} {_expr(val.get('used_unit', 'bytes'))}")
        return " ".join(words)
    if key == "quota" and isinstance(val, str):
        return f"quota name {_quote(val)}"
    if key == "log":
        return _log(val)
    if key == "ct count" and isinstance(val, dict):
        return "ct count " + ("over " if val.get("inv") else "") + _expr(val.get("val"))
    if key == "meter" and isinstance(val, dict):
        name = val.get("name")
        head = f"meter {name}" if isinstance(name, str) else "meter"
        if val.get("size"):
            head += f" size {_expr(val.get('size'))}"
        return f"{head} {{ {_expr(val.get('key'))} {_inline_stmt(val.get('stmt'))} }}"
    if key in ("set", "map") and isinstance(val, dict):
        op = val.get("op", "add")
        target = val.get("set") if key == "set" else val.get("map")
        elem = _expr(val.get("elem"))
        if key == "map" and "data" in val:
            elem += f" : {_expr(val.get('data'))}"
        stmts = val.get("stmt")
        if isinstance(stmts, list) and stmts:
            elem += " " + " ".join(_inline_stmt(s) for s in stmts)
        return f"{_expr(op)} {_expr(target)} {{ {elem} }}"
    if key in ("snat", "dnat", "masquerade", "redirect"):
        return _nat(key, val)
    if key in ("ct helper", "ct timeout", "ct expectation", "secmark", "synproxy") and isinstance(
        val, str
    ):
        return f"{key} set {_quote(val)}"
    if key == "xt" and isinstance(val, dict):
        return f"xt {_expr(val.get('type'))} {_quote(_expr(val.get('name')))}"
    if val is None:
        return key
    if isinstance(val, dict):
        inner = " ".join(f"{k} {_expr(v)}" for k, v in val.items())
        return f"{key} {inner}".strip()
    return f"{key} {_expr(val)}"


def _inline_stmt(stmt: Any) -> str:
    if isinstance(stmt, dict) and len(stmt) == 1:
        key, val = next(iter(stmt.items()))
        if key == "counter":
            return "counter"
        return _other_statement(key, val)
    return _expr(stmt)


def _limit(val: dict[str, Any]) -> str:
    words = ["limit", "rate"]
    if val.get("inv"):
        words.append("over")
    rate = _expr(val.get("rate"))
    unit = val.get("rate_unit")
    per = _expr(val.get("per", "second"))
    words.append(f"{rate} {unit}/{per}" if isinstance(unit, str) else f"{rate}/{per}")
    burst = _int(val.get("burst"))
    if isinstance(unit, str):
        if burst:
            words.append(f"burst {burst} {_expr(val.get('burst_unit', 'bytes'))}")
    elif burst not in (None, 0, 5):  # nft omits the default packet burst of 5
        words.append(f"burst {burst} packets")
    return " ".join(words)


def _log(val: Any) -> str:
    if not isinstance(val, dict):
        return "log"
    words = ["log"]
    for key in ("prefix", "level", "group", "snaplen", "queue-threshold"):
        if key in val:
            v = val[key]
            words.append(f"{key} {_quote(v) if key == 'prefix' else _expr(v)}")
    flags = val.get("flags")
    if isinstance(flags, list) and flags:
        words.append("flags " + ",".join(_expr(f) for f in flags))
    return " ".join(words)


def _nat(key: str, val: Any) -> str:
    if not isinstance(val, dict):
        return key
    words = [key]
    family = val.get("family")
    if isinstance(family, str) and key in ("snat", "dnat"):
        words.append(family)
    addr, port = val.get("addr"), val.get("port")
    if addr is not None or port is not None:
        dest = _expr(addr) if addr is not None else ""
        if port is not None:
            dest += f":{_expr(port)}"
        words.append(f"to {dest}")
    flags = val.get("flags")
    if isinstance(flags, list) and flags:
        words.append(",".join(_expr(f) for f in flags))
    return " ".join(words)


def _collect_targets(data: Any, out: list[str]) -> None:
    """Add every jump/goto target found in a verdict map's data to ``out``."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key in ("jump", "goto"):
                v = item.get(key)
                target = v.get("target") if isinstance(v, dict) else None
                if isinstance(target, str) and target not in out:
                    out.append(target)
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def _quote(value: Any) -> str:
    s = value if isinstance(value, str) else _expr(value)
    return '"' + s.replace('"', '\\"') + '"'


def _match(val: dict[str, Any]) -> str:
    left, right = val.get("left"), val.get("right")
    quoted = (
        isinstance(left, dict)
        and isinstance(left.get("meta"), dict)
        and left["meta"].get("key") in QUOTED_META
    )
    rtext = _expr(right, quote=quoted)
    op = val.get("op", "==")
    mask = left.get("&") if isinstance(left, dict) else None
    if (
        isinstance(mask, list)
        and len(mask) == 2
        and isinstance(mask[1], (list, str))
        and isinstance(right, (list, str))
        and op in ("==", "in")
    ):
        # A flag mask: nft prints "tcp flags syn / fin,syn,rst" for {"&": [..., [flags]]}.
        return f"{_expr(mask[0])} {rtext} / {_expr(mask[1])}"
    ltext = _expr(left)
    if isinstance(op, str) and op in _RELATIONAL_SHOWN:
        return f"{ltext} {op} {rtext}"
    return f"{ltext} {rtext}"


def _expr(e: Any, quote: bool = False) -> str:
    """The nft text of a JSON expression (close to ``nft list``, readable in any case)."""
    if e is None:
        return ""
    if isinstance(e, bool):
        return "exists" if e else "missing"
    if isinstance(e, (int, float)):
        return str(e)
    if isinstance(e, str):
        return _quote(e) if quote and not e.startswith("@") else e
    if isinstance(e, list):
        return ",".join(_expr(x, quote) for x in e)
    if not isinstance(e, dict) or len(e) != 1:
        return _dump(e)
    key, v = next(iter(e.items()))
    if key == "set":
        items = v if isinstance(v, list) else [v]
        return "{ " + ", ".join(_set_elem(x, quote) for x in items) + " }"
    if key == "prefix" and isinstance(v, dict):
        return f"{_expr(v.get('addr'))}/{_expr(v.get('len'))}"
    if key == "range" and isinstance(v, list) and len(v) == 2:
        return f"{_expr(v[0], quote)}-{_expr(v[1], quote)}"
    if key == "payload" and isinstance(v, dict):
        if "protocol" in v:
            inner = f"{_expr(v.get('protocol'))} {_expr(v.get('field'))}"
            return f"{_expr(v['tunnel'])} {inner}" if "tunnel" in v else inner
        return f"@{_expr(v.get('base'))},{_expr(v.get('offset'))},{_expr(v.get('len'))}"
    if key == "meta" and isinstance(v, dict):
        k = _expr(v.get("key"))
        return k if k in UNQUALIFIED_META else f"meta {k}"
    if key == "ct" and isinstance(v, dict):
        words = ["ct"]
        for part in ("dir", "family", "key"):
            if part in v:
                words.append(_expr(v[part]))
        return " ".join(words)
    if key == "concat" and isinstance(v, list):
        return " . ".join(_expr(x, quote) for x in v)
    if key in ("&", "|", "^", "<<", ">>") and isinstance(v, list):
        return f" {key} ".join(_expr(x) for x in v)
    if key in ("map", "vmap") and isinstance(v, dict):
        return f"{_expr(v.get('key'))} {key} {_expr(v.get('data'))}"
    if key == "elem" and isinstance(v, dict):
        return _expr(v.get("val"), quote)
    if key == "fib" and isinstance(v, dict):
        flags = v.get("flags", [])
        flag_text = " . ".join(_expr(f) for f in flags) if isinstance(flags, list) else ""
        return f"fib {flag_text} {_expr(v.get('result'))}".replace("  ", " ")
    if key in ("rt", "socket", "tunnel") and isinstance(v, dict):
        words = [key] + ([_expr(v["family"])] if "family" in v else []) + [_expr(v.get("key"))]
        return " ".join(words)
    if key in ("exthdr", "tcp option", "ip option", "sctp chunk") and isinstance(v, dict):
        name = _expr(v.get("name"))
        field = v.get("field")
        prefix = "" if key == "exthdr" else f"{key} "
        return f"{prefix}{name} {_expr(field)}" if field else f"{prefix or 'exthdr '}{name}"
    if key in ("accept", "drop", "continue", "return", "queue") and v is None:
        return key
    if key in ("jump", "goto") and isinstance(v, dict):
        return f"{key} {_expr(v.get('target'))}"
    if key == "numgen" and isinstance(v, dict):
        return f"numgen {_expr(v.get('mode'))} mod {_expr(v.get('mod'))}"
    if key in ("jhash", "symhash") and isinstance(v, dict):
        inner = f" {_expr(v['expr'])}" if "expr" in v else ""
        return f"{key}{inner} mod {_expr(v.get('mod'))}"
    if v is None:
        return key
    if isinstance(v, dict):
        return f"{key} " + " ".join(_expr(x) for x in v.values())
    return f"{key} {_expr(v)}"


def _set_elem(x: Any, quote: bool) -> str:
    if isinstance(x, list) and len(x) == 2:  # map element: [key, data]
        return f"{_expr(x[0], quote)} : {_expr(x[1])}"
    return _expr(x, quote)
