"""Queueing disciplines from ``tc -j qdisc show`` (JSON) and ``tc [-s] qdisc show`` (text).

Shapes come from iproute2's ``print_qdisc()`` (tc/tc_qdisc.c)::

    qdisc <kind> <handle>: [dev <dev>] [root | parent <id>] [refcnt <n>] [offloaded]
          [ingress_block <n>] [egress_block <n>] <kind-specific options>

``dev`` is left out when the command was filtered (``tc qdisc show dev eth0``); pass
``dev=`` to supply it (a pasted prompt such as ``# tc -s qdisc show dev eth0`` supplies it
for the text parser). ``parent ffff:fff1`` (``TC_H_INGRESS``, used by ``ingress`` and
``clsact``) is reported as ``"ingress"``, ``root`` as ``"root"``.

Text options are free-form per qdisc; they are split into ``(key, value)`` pairs where a
value is a token that starts with a digit (``limit 10240p``, ``rtt 100ms``) and a lone
word is a flag with value ``""`` (``ecn``, ``besteffort``, ``nonat``). Further numbers
after a value extend it (``priomap 1 2 2 ...``). JSON options keep the JSON values as
strings (lists space-joined, objects as compact JSON); units differ between the two forms
(JSON rates are bytes/s, as the kernel reports them).
"""

from __future__ import annotations

import json
import re

from offtui.model import Qdisc
from offtui.parsers.common import Parsed, is_shell_prompt

__all__ = ["parse_tc_json", "parse_tc_text"]

_INGRESS_PARENT = "ffff:fff1"
_HANDLE_RE = re.compile(r"^[0-9a-fA-F]{1,4}:$")
_CLASSID_RE = re.compile(r"^(?:[0-9a-fA-F]{0,4}:[0-9a-fA-F]{0,4}|root|none)$")
_DEV_IN_PROMPT_RE = re.compile(r"\btc\b.*\bdev\s+(\S+)")
#: Words that are values even though they do not start with a digit.
_WORD_VALUES = {"bandwidth": {"unlimited"}}


def _parent(value: str | None) -> str | None:
    if value is None:
        return None
    return "ingress" if value == _INGRESS_PARENT else value


def _json_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return " ".join(_json_value(v) for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return "" if value is None else str(value)


def _json_documents(text: str) -> tuple[list[tuple[int, object]], list[tuple[int, str]]]:
    """Every JSON document in ``text`` (tools sometimes run twice into one file).

    Returns ``[(line_no, doc)]`` and ``[(line_no, error)]``; after an error the rest of
    the text is not read (there is no safe place to resume inside broken JSON).
    """
    decoder = json.JSONDecoder()
    docs: list[tuple[int, object]] = []
    errors: list[tuple[int, str]] = []
    pos, n = 0, len(text)
    while True:
        while pos < n and text[pos].isspace():
            pos += 1
        if pos >= n:
            break
        line_no = text.count("\n", 0, pos) + 1
        try:
            doc, end = decoder.raw_decode(text, pos)
        except (json.JSONDecodeError, RecursionError) as err:
            where = getattr(err, "lineno", line_no)
            errors.append((where, f"invalid JSON: {err}"))
            break
        docs.append((line_no, doc))
        pos = end
    return docs, errors


def _line(text: str, line_no: int) -> str:
    lines = text.splitlines()
    return lines[line_no - 1] if 0 < line_no <= len(lines) else ""


def parse_tc_json(text: str, dev: str | None = None) -> Parsed[list[Qdisc]]:
    """Parse ``tc -j qdisc show`` / ``tc -s -j qdisc show`` (statistics are ignored)."""
    qdiscs: list[Qdisc] = []
    result: Parsed[list[Qdisc]] = Parsed(qdiscs)
    docs, errors = _json_documents(text)
    for line_no, doc in docs:
        items = doc if isinstance(doc, list) else [doc]
        for n, item in enumerate(items):
            kind = item.get("kind") if isinstance(item, dict) else None
            if not isinstance(kind, str) or not kind:
                result.skip(line_no, _line(text, line_no), f"item {n}: not a qdisc object")
                continue
            handle = item.get("handle")
            parent = "root" if item.get("root") is True else item.get("parent")
            options = item.get("options")
            opts = (
                tuple((str(k), _json_value(v)) for k, v in options.items())
                if isinstance(options, dict)
                else ()
            )
            qdiscs.append(
                Qdisc(
                    kind=kind,
                    dev=str(item.get("dev") or dev or ""),
                    handle=str(handle) if handle is not None else None,
                    parent=_parent(str(parent)) if parent is not None else None,
                    options=opts,
                )
            )
    for line_no, reason in errors:
        result.skip(line_no, _line(text, line_no), reason)
    return result


def _text_options(tokens: list[str]) -> tuple[tuple[str, str], ...]:
    pairs: list[list[str]] = []
    for tok in tokens:
        if set(tok) == {"-"}:
            continue  # ingress prints a row of dashes
        is_value = tok[0].isdecimal() or (pairs and tok in _WORD_VALUES.get(pairs[-1][0], ()))
        if is_value and pairs:
            key_val = pairs[-1]
            key_val[1] = f"{key_val[1]} {tok}" if key_val[1] else tok
        else:
            pairs.append([tok, ""])
    return tuple((k, v) for k, v in pairs)


def _parse_qdisc_line(line: str, dev: str | None) -> Qdisc | str:
    """One ``qdisc ...`` line, or the reason it cannot be read."""
    tokens = line.split()
    if len(tokens) < 3 or tokens[0] != "qdisc":
        return "not a qdisc line"
    kind, handle = tokens[1], tokens[2]
    if not _HANDLE_RE.match(handle):
        return "bad qdisc handle"
    i = 3
    qdev = dev
    parent: str | None = None
    if tokens[i : i + 1] == ["dev"]:
        if len(tokens) < i + 2:
            return "dev without a name"
        qdev, i = tokens[i + 1], i + 2
    if tokens[i : i + 1] == ["root"]:
        parent, i = "root", i + 1
    elif tokens[i : i + 1] == ["parent"]:
        if len(tokens) < i + 2 or not _CLASSID_RE.match(tokens[i + 1]):
            return "bad parent"
        parent, i = _parent(tokens[i + 1]), i + 2
    if tokens[i : i + 1] == ["refcnt"]:
        i += 2
    if tokens[i : i + 1] == ["offloaded"]:
        i += 1
    for block in ("ingress_block", "egress_block"):
        if tokens[i : i + 1] == [block]:
            i += 2
    return Qdisc(
        kind=kind,
        dev=qdev or "",
        handle=handle,
        parent=parent,
        options=_text_options(tokens[i:]),
    )


def parse_tc_text(text: str, dev: str | None = None) -> Parsed[list[Qdisc]]:
    """Parse ``tc qdisc show`` / ``tc -s qdisc show`` text, pasted or captured.

    ``qdisc`` lines become :class:`Qdisc`; the indented lines under one (statistics:
    ``Sent``, ``backlog``, cake's tin table...) are skipped quietly; any other line
    (prompts, unrelated output, indented lines under them) is recorded as unparsed.
    A prompt naming ``dev X`` sets the device for the qdisc lines after it that print none.
    """
    qdiscs: list[Qdisc] = []
    result: Parsed[list[Qdisc]] = Parsed(qdiscs)
    current_dev = dev
    in_block = False  # indented lines are statistics only right after a qdisc line
    for line_no, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        if raw[0] in " \t":
            if not in_block:
                result.skip(line_no, raw, "indented line outside a qdisc block")
            continue
        in_block = False
        if is_shell_prompt(raw):
            m = _DEV_IN_PROMPT_RE.search(raw)
            current_dev = m.group(1) if m else dev
            result.skip(line_no, raw, "shell prompt")
            continue
        parsed = _parse_qdisc_line(raw, current_dev)
        if isinstance(parsed, str):
            result.skip(line_no, raw, parsed)
        else:
            qdiscs.append(parsed)
            in_block = True
    return result
