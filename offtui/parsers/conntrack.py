"""Parse conntrack tables: ``/proc/net/nf_conntrack`` and ``conntrack -L`` output.

Both shapes are read, detected per line (a paste may hold both):

* ``/proc/net/nf_conntrack`` (kernel ``ct_seq_show()``) and ``conntrack -L -o extended``:
  ``ipv4     2 tcp      6 431999 ESTABLISHED src=... [ASSURED] mark=0 zone=0 use=2``
* ``conntrack -L`` (libnetfilter_conntrack ``__snprintf_conntrack_default()``):
  ``tcp      6 src=... dport=5001 [OFFLOAD] mark=0 use=2``

Field order is the kernel's (see ``tests/captures/FORMATS.md`` §2): l3/l4 columns, timeout
(absent while offloaded), protocol state (TCP/SCTP/DCCP word; GRE prints
``timeout=N, stream_timeout=N`` in /proc), original tuple (+ ``zone-orig=``, ``packets= bytes=``),
``[UNREPLIED]``, reply tuple (+ ``zone-reply=``, counters), one of
``[HW_OFFLOAD]``/``[OFFLOAD]``/``[ASSURED]``, then ``mark= secmark= secctx= zone= delta-time=
[start=..] [stop=..] helper= use= id= labels=`` (each optional). Unknown trailing ``key=value``
fields and ``[TAGS]`` are kept in :attr:`Flow.extra`.

Why two passes: a router can hold 65k+ entries and the table is read on every refresh, so
counting must be cheap. :func:`parse_conntrack` validates every line with one compiled regular
expression run over the whole buffer (in C) and counts tags with ``bytes.count``; the
:class:`~offtui.model.Flow` objects are only built when :meth:`ConntrackTable.flows` is first
called. Both passes use the same grammar, so ``len(table.flows()) == table.total`` always.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections import Counter
from collections.abc import Callable
from typing import NamedTuple

from offtui.model import ConntrackTable, Flow, FlowTuple, OffloadState
from offtui.parsers.common import Parsed, is_shell_prompt

__all__ = ["format_flow", "match_flow", "parse_conntrack", "parse_match_spec"]

# --------------------------------------------------------------------------- grammar

#: l4 names the kernel (``l4proto_name()``) and conntrack-tools (``__proto2str``) print.
PROTOCOLS = ("tcp", "udp", "udplite", "icmp", "icmpv6", "gre", "sctp", "dccp", "unknown")
#: l3 columns: name and number are printed together (``"%-8s %u "``), only these two exist.
_L3NUM = {"ipv4": 2, "ipv6": 10}

_PROTO_ALT = b"udplite|udp|tcp|icmpv6|icmp|gre|sctp|dccp|unknown"
# An address as printed (%pI4, %pI6, inet_ntop); anonymised pastes ("x.x.x.x") pass too.
# Explicit ranges rather than \S or \d: sre checks them with a bitmap, which is faster.
_ADDR = rb"[0-9A-Za-z.:*_]+"
_N = rb"[0-9]+"
# Trailing fields in the order the kernel and conntrack-tools print them (a union of both).
_TRAIL_KNOWN = (
    rb" mark=" + _N,
    rb" secmark=" + _N,
    rb" secctx=\S+",
    rb" zone=" + _N,
    rb" delta-time=" + _N,
    rb" \[start=[^\[\]\n]*\]",
    rb" \[stop=[^\[\]\n]*\]",
    rb" helper=\S+",
    rb" use=" + _N,
    rb" id=" + _N,
    rb" labels=\S+",
)
# The usual trailers (/proc, conntrack -L), tried first: a strict subset of the general form
# below, so the language does not change; it only spares sre eleven optional branches.
_TRAIL_COMMON = rb" mark=" + _N + rb"(?: zone=" + _N + rb"|) use=" + _N
# Anything else after them: key=value or a bracketed tag (vendor kernels append fields). The
# four status tags may appear only in their own slots, which is what lets the counting pass
# count them over the whole buffer.
_TRAIL_TOKEN = (
    rb" +(?:[A-Za-z][\w.-]*=\S*"
    rb"|\[(?!(?:HW_OFFLOAD|OFFLOAD|ASSURED|UNREPLIED)\])[^\[\]\n]*\])"
)
_SUMMARY = rb"conntrack v[\w.-]+ \(conntrack-tools\): \d+ flow entries have been shown\."


def _opt(body: bytes) -> bytes:
    # "(?:x|)" rather than "(?:x)?": sre runs an empty branch much faster than a repeat.
    return b"(?:" + body + b"|)"


def _tuple(zone_key: bytes, name: str = "") -> bytes:
    """One direction; ``name`` ("o"/"r") names its fields for the lazy pass."""

    def g(field: str, body: bytes) -> bytes:
        head = b"(?P<" + (name + field).encode() + b">" if name else b"(?:"
        return head + body + b")"

    return (
        rb" +src=" + g("src", _ADDR) + rb" dst=" + g("dst", _ADDR)
        + _opt(
            rb" sport=" + g("sport", _N) + rb" dport=" + g("dport", _N)
            + rb"| " + g("l4", rb"type=" + _N + rb" code=" + _N + rb" id=" + _N
                       + rb"|srckey=0x[0-9a-f]+ dstkey=0x[0-9a-f]+")
        )
        + _opt(b" " + zone_key + b"=" + g("zone", _N))
        + _opt(rb" packets=" + g("pk", _N) + rb" bytes=" + g("by", _N))
    )  # fmt: skip


def _line_pattern(named: bool) -> bytes:
    """The one grammar of an entry, in the field order of FORMATS.md §2.

    ``named`` adds the groups the lazy pass reads; the counting pass has a single capture
    (the protocol) so that ``findall`` returns just a list of protocol names.
    """

    def g(name: str, body: bytes) -> bytes:
        head = b"(?P<" + name.encode() + b">" if named else b"(?:"
        return head + body + b")"

    proto = g("proto", _PROTO_ALT) if named else rb"(" + _PROTO_ALT + rb")"
    return (
        rb"[ \t]*"
        + _opt(g("l3", rb"ipv4(?= +2 )|ipv6(?= +10 )") + rb" +" + _N + rb" +")
        + proto + rb" +" + g("protonum", _N)
        + _opt(rb" " + g("timeout", _N))
        + _opt(rb" " + g("state", rb"[A-Z][A-Z0-9_]*"))
        + _opt(rb" " + g("priv", rb"timeout=" + _N + rb", stream_timeout=" + _N))
        + _tuple(b"zone-orig", "o" if named else "")
        + _opt(rb" " + g("unrepl", rb"\[UNREPLIED\]"))
        + _tuple(b"zone-reply", "r" if named else "")
        + _opt(rb" \[" + g("status", rb"HW_OFFLOAD|OFFLOAD|ASSURED") + rb"\]")
        + g("rest", _TRAIL_COMMON + b"|" + b"".join(_opt(f) for f in _TRAIL_KNOWN)
            + rb"(?:" + _TRAIL_TOKEN + rb")*")
        + rb"[ \t\r]*"
    )  # fmt: skip


#: Counting pass: over the whole buffer, one match per valid line (flows and summary lines).
_SCAN = re.compile(rb"^(?:" + _line_pattern(False) + rb"|" + _SUMMARY + rb"[ \t\r]*)$", re.M)


class _SlowPatterns(NamedTuple):
    line: re.Pattern[bytes]  # same language as _SCAN, one line at a time (group 1 = protocol)
    detail: re.Pattern[bytes]  # same language with named groups, to build Flow objects
    summary: re.Pattern[bytes]
    trail_split: re.Pattern[bytes]
    entry_start: re.Pattern[bytes]
    event_start: re.Pattern[bytes]


@functools.cache
def _slow() -> _SlowPatterns:
    """Patterns only the slow path and ``flows()`` need, compiled on first use.

    Compiling them costs milliseconds that the refresh of a clean table never needs.
    """
    return _SlowPatterns(
        line=re.compile(_line_pattern(False)),
        detail=re.compile(_line_pattern(True)),
        summary=re.compile(rb"[ \t]*" + _SUMMARY + rb"[ \t\r]*"),
        trail_split=re.compile(rb"\[[^\[\]\n]*\]|\S+"),
        entry_start=re.compile(
            rb"[ \t]*(?:(?:ipv4|ipv6|unknown) +\d+ +)?(?:" + _PROTO_ALT + rb") +\d+(?: |$)"
        ),
        event_start=re.compile(rb"[ \t]*\[(?:NEW|UPDATE|DESTROY)\] "),
    )


_TAG_OFFLOAD = b" [OFFLOAD]"
_TAG_HW = b" [HW_OFFLOAD]"
_TAG_ASSURED = b" [ASSURED]"
_TAG_UNREPLIED = b" [UNREPLIED]"


# --------------------------------------------------------------------------- parsing


def parse_conntrack(data: bytes | str, source: str = "proc") -> Parsed[ConntrackTable]:
    """Count a conntrack listing and prepare its flows (built lazily by ``flows()``).

    Every line is a flow, the conntrack-tools summary line (recognised, not counted), or
    unparsed: blank lines, pasted shell prompts, ``conntrack -E`` events and anything else
    become ``skip(line_no, ...)`` with their 1-based line number.
    """
    buf = _to_bytes(data)
    table = ConntrackTable(
        source=source, total=0, offload=0, hw_offload=0, assured=0, unreplied=0, by_proto={}
    )
    result: Parsed[ConntrackTable] = Parsed(table)
    if not buf:
        table._flows = []
        return result

    n_lines = buf.count(b"\n") + (0 if buf.endswith(b"\n") else 1)
    found = _SCAN.findall(buf)
    if len(found) == n_lines:
        # Fast path: every line is an entry or a summary. The grammar allows the tags only
        # in their own slots (not inside addresses or trailing tokens), so counting them over
        # the whole buffer counts exactly one per flow.
        protos = {k.decode(): found.count(k) for k in set(found) if k}  # b"": summary line
        table.by_proto = protos
        table.total = sum(protos.values())
        table.offload = buf.count(_TAG_OFFLOAD)
        table.hw_offload = buf.count(_TAG_HW)
        table.assured = buf.count(_TAG_ASSURED)
        table.unreplied = buf.count(_TAG_UNREPLIED)
    else:
        del found
        _count_lines(buf, table, result)
    table._flows = _lazy_flows(buf)
    return result


def _to_bytes(data: bytes | str) -> bytes:
    if isinstance(data, str):
        try:
            return data.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return data.encode("utf-8", "surrogatepass")
    return bytes(data) if not isinstance(data, bytes) else data


def _lines(buf: bytes) -> list[bytes]:
    lines = buf.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def _count_lines(buf: bytes, table: ConntrackTable, result: Parsed[ConntrackTable]) -> None:
    """Slow path: classify line by line (some line is not an entry)."""
    rx = _slow()
    by_proto: Counter[bytes] = Counter()
    for no, line in enumerate(_lines(buf), 1):
        m = rx.line.fullmatch(line)
        if m is not None:
            by_proto[m.group(1)] += 1
            if _TAG_OFFLOAD in line:
                table.offload += 1
            elif _TAG_HW in line:
                table.hw_offload += 1
            elif _TAG_ASSURED in line:
                table.assured += 1
            if _TAG_UNREPLIED in line:
                table.unreplied += 1
        elif rx.summary.fullmatch(line) is None:
            text = line.decode("utf-8", "replace")
            result.skip(no, text, _skip_reason(line, text))
    table.by_proto = {k.decode(): v for k, v in by_proto.items()}
    table.total = sum(by_proto.values())


def _skip_reason(line: bytes, text: str) -> str:
    if not line.strip():
        return "blank line"
    stripped = text.strip()
    if is_shell_prompt(stripped) or _PROMPT.match(stripped):
        return "shell prompt"
    rx = _slow()
    if rx.event_start.match(line):
        return "conntrack -E event, not a table entry"
    if rx.entry_start.match(line):
        if b" use=" not in line:
            # Both tools end every entry with use=N.
            return "conntrack entry cut short (wrapped or truncated line)"
        return "malformed conntrack entry"
    if b"src=" in line or b"use=" in line or b"dport=" in line:
        return "fragment of a conntrack entry (wrapped line?)"
    return "not a conntrack entry"


#: ``user@host ~ # cmd`` / ``user@host:~$ cmd`` prompts that ``is_shell_prompt`` does not cover.
_PROMPT = re.compile(r"[\w.-]+@[\w.-]+(?::\S*)?(?: \S+)? ?[#$](?: |$)")


def _lazy_flows(buf: bytes) -> Callable[[], list[Flow]]:
    def build() -> list[Flow]:
        detail = _slow().detail
        strings: dict[bytes, str] = {}
        flows: list[Flow] = []
        for no, line in enumerate(_lines(buf), 1):
            m = detail.fullmatch(line)
            if m is not None:
                flows.append(_flow_from_match(m, no, strings))
        return flows

    return build


def _s(b: bytes, strings: dict[bytes, str]) -> str:
    # Addresses, states and tags repeat across a table (each address is in both tuples):
    # decode each distinct value once and share the str, which keeps 65k flows smaller.
    s = strings.get(b)
    if s is None:
        s = strings[b] = b.decode("utf-8", "replace")
    return s


#: Named groups of one direction, in the order _flow_tuple() reads them.
_DIR_FIELDS = ("src", "dst", "sport", "dport", "l4", "zone", "pk", "by")
_DETAIL_FIELDS = (
    "l3", "proto", "protonum", "timeout", "state", "priv", "unrepl", "status", "rest",
    *("o" + f for f in _DIR_FIELDS),
    *("r" + f for f in _DIR_FIELDS),
)  # fmt: skip


def _int(b: bytes | None) -> int | None:
    return None if b is None else int(b)


def _flow_tuple(g: tuple, strings: dict[bytes, str]) -> FlowTuple:
    """Build one direction from its groups (src, dst, sport, dport, l4, zone, pk, by)."""
    src, dst, sport, dport, l4, zone, pk, by = g
    extra: tuple[tuple[str, str], ...] = ()
    if l4 is not None:  # icmp type/code/id, gre srckey/dstkey: kept as printed
        extra = tuple(
            (_s(k, strings), _s(v, strings)) for k, _, v in (t.partition(b"=") for t in l4.split())
        )
    return FlowTuple(
        _s(src, strings),
        _s(dst, strings),
        _int(sport),
        _int(dport),
        extra,
        _int(pk),
        _int(by),
        _int(zone),
    )


_INT_FIELDS = {b"mark": "mark", b"use": "use", b"zone": "zone"}
_STR_FIELDS = {b"secctx": "secctx", b"labels": "labels"}


def _flow_from_match(m: re.Match[bytes], no: int, strings: dict[bytes, str]) -> Flow:
    g = m.group(*_DETAIL_FIELDS)
    l3, proto, protonum, timeout, state, priv, unrepl, status, rest = g[:9]
    flow = Flow(
        l3=_s(l3, strings) if l3 else None,
        proto=_s(proto, strings),
        protonum=int(protonum),
        timeout=_int(timeout),
        state=_s(state, strings) if state else None,
        orig=_flow_tuple(g[9:17], strings),
        reply=_flow_tuple(g[17:25], strings),
        offload=(
            OffloadState.HARDWARE
            if status == b"HW_OFFLOAD"
            else OffloadState.SOFTWARE
            if status == b"OFFLOAD"
            else OffloadState.NONE
        ),
        assured=status == b"ASSURED",
        unreplied=unrepl is not None,
        line_no=no,
    )
    extra: list[str] = []
    if priv:
        extra.append(_s(priv, strings))
    # Bracketed tokens ("[start=Tue Nov 24 22:44:52 2026]") may hold spaces.
    toks = _slow().trail_split.findall(rest) if b"[" in rest else rest.split()
    for tok in toks:
        key, eq, val = tok.partition(b"=")
        attr = _INT_FIELDS.get(key)
        if attr and eq and val.isdigit() and getattr(flow, attr) is None:
            setattr(flow, attr, int(val))
            continue
        attr = _STR_FIELDS.get(key)
        if attr and eq and getattr(flow, attr) is None:
            setattr(flow, attr, _s(val, strings))
            continue
        extra.append(_s(tok, strings))
    if extra:
        flow.extra = tuple(extra)
    return flow


# --------------------------------------------------------------------------- formatting


def _extra_rank(item: str) -> int:
    """Where the tools print a field kept in ``Flow.extra`` (relative to the known ones).

    0 before ``secctx`` (``secmark``), 1 between ``zone`` and ``use`` (``delta-time``,
    ``[start=..]``, ``[stop=..]``, ``helper``), 2 after ``use`` (``id``), 3 at the very end
    (fields no kernel or conntrack-tools version prints: vendor additions are appended).
    """
    key = item.split("=", 1)[0]
    if key == "secmark":
        return 0
    if key in ("delta-time", "[start", "[stop", "helper"):
        return 1
    if key == "id":
        return 2
    return 3


def format_flow(flow: Flow, style: str = "conntrack") -> str:
    """Render ``flow`` as ``conntrack -L`` (``style="conntrack"``) or /proc (``"proc"``) does.

    The conntrack style prints the l3 columns only when ``flow.l3`` is known (that is the
    ``conntrack -L -o extended`` shape); the proc style always prints them (derived from the
    address when unknown). Fields kept in ``Flow.extra`` go where the tools print them, so
    ``parse_conntrack(format_flow(f))`` gives ``f`` back for flows the tools can print.
    """
    if style not in ("conntrack", "proc"):
        raise ValueError(f"unknown style {style!r} (use 'conntrack' or 'proc')")
    parts: list[str] = []
    l3 = flow.l3
    if l3 is None and style == "proc":
        l3 = "ipv6" if ":" in flow.orig.src else "ipv4"
    if l3 is not None:
        parts.append(f"{l3:<8} {_L3NUM.get(l3, 0)}")
    parts.append(f"{flow.proto:<8} {flow.protonum}")
    if flow.timeout is not None:
        parts.append(str(flow.timeout))
    if flow.state:
        parts.append(flow.state)
    priv = [e for e in flow.extra if e.startswith("timeout=") and ", stream_timeout=" in e]
    parts.extend(priv)
    _format_tuple(parts, flow.orig, "zone-orig")
    if flow.unreplied:
        parts.append("[UNREPLIED]")
    _format_tuple(parts, flow.reply, "zone-reply")
    if flow.offload == OffloadState.HARDWARE:
        parts.append("[HW_OFFLOAD]")
    elif flow.offload == OffloadState.SOFTWARE:
        parts.append("[OFFLOAD]")
    elif flow.assured:
        parts.append("[ASSURED]")
    extras = sorted((e for e in flow.extra if e not in priv), key=_extra_rank)
    if flow.mark is not None:
        parts.append(f"mark={flow.mark}")
    parts.extend(e for e in extras if _extra_rank(e) == 0)
    if flow.secctx is not None:
        parts.append(f"secctx={flow.secctx}")
    if flow.zone is not None:
        parts.append(f"zone={flow.zone}")
    parts.extend(e for e in extras if _extra_rank(e) == 1)
    if flow.use is not None:
        parts.append(f"use={flow.use}")
    parts.extend(e for e in extras if _extra_rank(e) == 2)
    if flow.labels is not None:
        parts.append(f"labels={flow.labels}")
    parts.extend(e for e in extras if _extra_rank(e) == 3)
    return " ".join(parts)


def _format_tuple(parts: list[str], t: FlowTuple, zone_key: str) -> None:
    parts.append(f"src={t.src}")
    parts.append(f"dst={t.dst}")
    if t.sport is not None:
        parts.append(f"sport={t.sport}")
    if t.dport is not None:
        parts.append(f"dport={t.dport}")
    parts.extend(f"{k}={v}" for k, v in t.extra)
    if t.zone is not None:
        parts.append(f"{zone_key}={t.zone}")
    if t.packets is not None:
        parts.append(f"packets={t.packets}")
    if t.bytes is not None:
        parts.append(f"bytes={t.bytes}")


# --------------------------------------------------------------------------- matching

MATCH_KEYS = ("src", "dst", "sport", "dport", "proto", "offload")
_OFFLOAD_WORDS = {
    "yes": "any",
    "any": "any",
    "no": "none",
    "none": "none",
    "sw": OffloadState.SOFTWARE,
    "offload": OffloadState.SOFTWARE,
    "software": OffloadState.SOFTWARE,
    "hw": OffloadState.HARDWARE,
    "hw_offload": OffloadState.HARDWARE,
    "hardware": OffloadState.HARDWARE,
}


def parse_match_spec(text: str) -> dict[str, str]:
    """Parse ``--match 'src=10.0.1.2 dport=5001 proto=tcp'`` into ``{key: value}``.

    Keys: ``src``, ``dst`` (an address or a prefix such as ``10.0.1.0/24``), ``sport``,
    ``dport`` (0-65535), ``proto`` (name such as ``tcp`` or number such as ``6``), ``offload``
    (``yes``/``no``, ``sw``/``offload``, ``hw``/``hw_offload``). This reads a command-line
    argument, not a capture: a bad spec raises ``ValueError`` with a message for the user.
    """
    spec: dict[str, str] = {}
    for tok in text.replace(",", " ").split():
        key, eq, val = tok.partition("=")
        key = key.strip().lower()
        if not eq or not val:
            raise ValueError(f"{tok!r}: expected key=value (keys: {', '.join(MATCH_KEYS)})")
        if key not in MATCH_KEYS:
            raise ValueError(f"{key!r}: unknown key (keys: {', '.join(MATCH_KEYS)})")
        if key in ("src", "dst"):
            try:
                ipaddress.ip_network(val, strict=False)
            except ValueError:
                raise ValueError(f"{key}={val!r}: not an address or prefix") from None
        elif key in ("sport", "dport"):
            if not val.isdigit() or int(val) > 65535:
                raise ValueError(f"{key}={val!r}: not a port number")
        elif key == "proto":
            val = val.lower()
            if not val.isdigit() and val not in PROTOCOLS:
                raise ValueError(f"proto={val!r}: use one of {', '.join(PROTOCOLS)} or a number")
        elif key == "offload":
            val = val.lower()
            if val not in _OFFLOAD_WORDS:
                raise ValueError(f"offload={val!r}: use one of {', '.join(_OFFLOAD_WORDS)}")
        spec[key] = val
    return spec


def match_flow(flow: Flow, spec: dict[str, str]) -> bool:
    """True when ``flow`` matches every key of ``spec`` (from :func:`parse_match_spec`).

    ``src``/``dst``/``sport``/``dport`` match together against one view of the flow: the
    original tuple as printed, or the reply tuple reversed (its ``dst`` as source, its
    ``dport`` as source port). So a NATed flow is found by its pre-NAT or its post-NAT
    addresses, but the keys are never mixed across views. Addresses compare as IP values
    (``2001:db8::1`` matches the /proc spelling ``2001:0db8:0000:...:0001``).
    """
    proto = spec.get("proto")
    if proto is not None:
        if proto.isdigit():
            if int(proto) != flow.protonum:
                return False
        elif proto != flow.proto:
            return False
    off = spec.get("offload")
    if off is not None:
        want = _OFFLOAD_WORDS.get(off)
        if want is None:
            return False
        if want == "any":
            if flow.offload == OffloadState.NONE:
                return False
        elif want == "none":
            if flow.offload != OffloadState.NONE:
                return False
        elif flow.offload != want:
            return False
    if not any(k in spec for k in ("src", "dst", "sport", "dport")):
        return True
    o, r = flow.orig, flow.reply
    return _view_matches(spec, o.src, o.dst, o.sport, o.dport) or _view_matches(
        spec, r.dst, r.src, r.dport, r.sport
    )


def _view_matches(
    spec: dict[str, str], src: str, dst: str, sport: int | None, dport: int | None
) -> bool:
    for key, port in (("sport", sport), ("dport", dport)):
        want = spec.get(key)
        if want is not None and (port is None or not want.isdigit() or int(want) != port):
            return False
    for key, addr in (("src", src), ("dst", dst)):
        want = spec.get(key)
        if want is not None and not _addr_matches(want, addr):
            return False
    return True


def _addr_matches(want: str, addr: str) -> bool:
    try:
        net = ipaddress.ip_network(want, strict=False)
        return ipaddress.ip_address(addr) in net
    except ValueError:
        return want == addr
