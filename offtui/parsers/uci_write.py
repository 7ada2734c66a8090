"""Edit OpenWrt UCI config files without disturbing anything but the intended change.

Two writers, because two programs write ``/etc/config/*`` on a router:

* :func:`uci_set` / :func:`uci_delete` edit the text in place: every byte outside the
  changed statement stays as it was (comments, tabs, alignment, quoting style). The wizard
  uses them when it writes the file itself, and to show the smallest honest diff.
* :func:`uci_export` writes a config the way ``uci commit`` does (libuci
  ``uci_export_package()`` in ``file.c``: ``"\\nconfig TYPE"``, `` 'NAME'`` for named
  sections only, ``"\\toption NAME 'VALUE'"``, ``"\\tlist NAME 'VALUE'"``, ``'`` written as
  ``'\\''``, and one final ``"\\n"``). ``uci commit`` rewrites the whole file in that form
  (comments are dropped), so a preview of ``uci set`` + ``uci commit`` must show that text.

Statements are located with the same scanner as :func:`offtui.parsers.uci.parse_uci`
(libuci's grammar). A statement that shares its line with another one (``;``), continues
over a line end (backslash, a quoted newline) or is not understood by libuci is never
edited: the edit is refused with :class:`UciEditError` rather than guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from offtui.parsers.common import Parsed
from offtui.parsers.uci import _PACKAGE_RE, _Scanner, _UciError, _valid_name, _valid_type

__all__ = [
    "UciDoc",
    "UciEditError",
    "UciOption",
    "UciSectionText",
    "parse_uci_doc",
    "uci_delete",
    "uci_export",
    "uci_get",
    "uci_set",
]

_REF_RE = re.compile(r"@(?P<type>[^\[\]]+)\[(?P<idx>-?\d+)\]\Z")
_SAFE_UNQUOTED = re.compile(r"[A-Za-z0-9_.:/+@-]+\Z")


class UciEditError(ValueError):
    """An edit that cannot be made safely (unknown section, a statement too complex to edit)."""


@dataclass(slots=True)
class _Stmt:
    """One statement that is alone on its line(s): [start, end) covers the whole line(s)."""

    kind: str  # "config", "option", "list", "package"
    line_no: int
    start: int
    end: int  # after the newline (or at EOF)
    editable: bool  # alone on one line, no continuation
    value_span: tuple[int, int] | None = None  # option/list value token, in the text


@dataclass(slots=True)
class UciOption:
    name: str
    is_list: bool
    values: list[str]  # one value for an option
    stmts: list[_Stmt] = field(default_factory=list)

    @property
    def value(self) -> str:
        return " ".join(self.values) if self.is_list else self.values[0]


@dataclass(slots=True)
class UciSectionText:
    type: str
    name: str | None
    index: int
    heads: list[_Stmt] = field(default_factory=list)  # its ``config`` lines (merged: several)
    options: list[UciOption] = field(default_factory=list)
    #: Every statement of the section, in text order (to find where to insert).
    stmts: list[_Stmt] = field(default_factory=list)

    def option(self, name: str) -> UciOption | None:
        for o in self.options:
            if o.name == name:
                return o
        return None


@dataclass(slots=True)
class UciDoc:
    package: str
    text: str
    sections: list[UciSectionText] = field(default_factory=list)

    def section(self, ref: str) -> UciSectionText | None:
        """``@type[N]`` (negative N counts from the end, as in uci) or a section name."""
        m = _REF_RE.match(ref)
        if m:
            of_type = [s for s in self.sections if s.type == m["type"]]
            idx = int(m["idx"])
            try:
                return of_type[idx]
            except IndexError:
                return None
        for s in self.sections:
            if s.name == ref:
                return s
        return None


def _value_span(line: str, start: int) -> tuple[int, int]:
    """The extent of one libuci argument starting at ``start`` on a single line."""
    i = start
    n = len(line)
    while i < n:
        c = line[i]
        if c in "'\"":
            close = line.find(c, i + 1)
            if c == '"':
                j = i + 1
                while j < n and line[j] != '"':
                    j += 2 if line[j] == "\\" else 1
                close = j if j < n else -1
            if close < 0:
                return start, n
            i = close + 1
            continue
        if c in " \t\r#;\n":
            break
        i += 2 if c == "\\" else 1
    return start, i


def parse_uci_doc(text: str, package: str) -> Parsed[UciDoc]:
    """Locate every section and option of a config file (libuci's reading of it).

    Lines libuci would reject are recorded as unparsed and left untouched; they are never
    edited.
    """
    result: Parsed[UciDoc] = Parsed(UciDoc(package=package, text=text))
    doc = result.value
    named: dict[str, UciSectionText] = {}
    sc = _Scanner(text)
    current: UciSectionText | None = None
    while sc.pos < sc.n:
        line_start = sc.pos
        first_line = sc.line_of(line_start)
        found: list[tuple[str, int, str, str, tuple[int, int] | None]] = []
        try:
            while True:
                word = sc.command_word()
                if word is None or word == "#":
                    break
                if word in ("p", "package"):
                    name = sc.next_arg(required=True)
                    if not _PACKAGE_RE.match(name):
                        raise _UciError("invalid character in name field")
                    sc.assert_eol()
                    found.append(("package", sc.pos, name, "", None))
                elif word in ("c", "config"):
                    type_ = sc.next_arg(required=True)
                    if not _valid_type(type_):
                        raise _UciError("invalid character in type field")
                    name = sc.next_arg(required=False, name=True)
                    sc.assert_eol()
                    found.append(("config", sc.pos, type_, name, None))
                else:
                    if current is None and not any(f[0] == "config" for f in found):
                        raise _UciError("option/list command found before the first section")
                    opt = sc.next_arg(required=True, name=True)
                    sc.skip_ws()
                    vstart = sc.pos
                    value = sc.next_arg(required=False)
                    sc.assert_eol()
                    kind = "list" if word[0] == "l" else "option"
                    found.append((kind, sc.pos, opt, value, (vstart, vstart)))
            if sc.pos < sc.n and sc.s[sc.pos] == "\n":
                sc.pos += 1
        except _UciError as err:
            result.skip(first_line, sc.line_text(first_line), err.reason)
            if err.resume_at_start:
                sc.pos = line_start
            sc.next_line()
            continue
        end = sc.pos
        one_line = sc.line_of(max(end - 1, line_start)) == first_line
        editable = len(found) == 1 and one_line
        for kind, _pos, a, b, vspan in found:
            stmt = _Stmt(kind, first_line, line_start, end, editable)
            if vspan is not None and editable:
                line_end = text.find("\n", line_start)
                line = text[line_start : line_end if line_end >= 0 else len(text)]
                s, e = _value_span(line, vspan[0] - line_start)
                stmt.value_span = (line_start + s, line_start + e)
            if kind == "config":
                sec = named.get(b) if b else None
                if sec is None:
                    sec = UciSectionText(type=a, name=b or None, index=0)
                    doc.sections.append(sec)
                    if b:
                        named[b] = sec
                else:
                    sec.type = a  # libuci: a repeated named section keeps the later type
                sec.heads.append(stmt)
                sec.stmts.append(stmt)
                current = sec
            elif kind in ("option", "list") and current is not None:
                current.stmts.append(stmt)
                _apply(current, a, b, kind == "list", stmt)
    counts: dict[str, int] = {}
    for sec in doc.sections:
        sec.index = counts.get(sec.type, 0)
        counts[sec.type] = sec.index + 1
    return result


def _apply(sec: UciSectionText, name: str, value: str, is_list: bool, stmt: _Stmt) -> None:
    """libuci's uci_set/uci_add_list: an update keeps the option's position."""
    opt = sec.option(name)
    if is_list:
        if opt is None:
            sec.options.append(UciOption(name, True, [value], [stmt]))
        else:
            opt.values = [*opt.values, value] if opt.is_list else [opt.values[0], value]
            opt.is_list = True
            opt.stmts.append(stmt)
        return
    if not value:  # ``option x ''`` deletes x
        if opt is not None:
            sec.options.remove(opt)
        return
    if opt is None:
        sec.options.append(UciOption(name, False, [value], [stmt]))
    else:
        opt.is_list, opt.values = False, [value]
        opt.stmts.append(stmt)


def _doc(text: str, package: str) -> UciDoc:
    return parse_uci_doc(text, package).value


def uci_get(text: str, package: str, ref: str, option: str) -> str | None:
    """The value ``uci get PACKAGE.REF.OPTION`` would print (lists joined by spaces)."""
    sec = _doc(text, package).section(ref)
    if sec is None:
        return None
    opt = sec.option(option)
    return None if opt is None else opt.value


def _quote_like(value: str, old_token: str | None) -> str:
    """Quote ``value`` the way the file quoted the value it replaces."""
    if "'" not in value and (old_token is None or old_token.startswith("'")):
        return f"'{value}'"
    if old_token is not None and old_token.startswith('"') and not re.search(r'["\\$`]', value):
        return f'"{value}"'
    unquoted = old_token is not None and not old_token.startswith(("'", '"'))
    if unquoted and _SAFE_UNQUOTED.match(value):
        return value
    return "'" + value.replace("'", "'\\''") + "'"


def _check(sec: UciSectionText | None, ref: str, package: str) -> UciSectionText:
    if sec is None:
        raise UciEditError(f"{package}.{ref}: no such section")
    return sec


def uci_set(text: str, package: str, ref: str, option: str, value: str) -> str:
    """``uci set PACKAGE.REF.OPTION=VALUE`` done in place on the file's text.

    An existing option keeps its line, indentation, separator and quoting style; a new one
    is added after the section's last statement with the indentation of its other option
    lines (a tab when it has none), as ``option NAME 'VALUE'``.
    """
    if not _valid_name(option):
        raise UciEditError(f"{option!r}: invalid option name")
    if not value:
        return uci_delete(text, package, ref, option)
    sec = _check(_doc(text, package).section(ref), ref, package)
    opt = sec.option(option)
    if opt is not None:
        if not opt.is_list and opt.values[0] == value:
            return text
        stmts = sorted(opt.stmts, key=lambda s: s.start)
        if opt.is_list or any(not s.editable for s in stmts) or stmts[-1].value_span is None:
            raise UciEditError(f"{package}.{ref}.{option}: a list or a complex statement")
        # every earlier definition is dead text for libuci; keep them, change the last
        vs, ve = stmts[-1].value_span
        old = text[vs:ve] or None
        new = _quote_like(value, old)
        if vs == ve:  # ``option x`` without a value: add one after a space
            new = " " + new
        return text[:vs] + new + text[ve:]
    last = max(sec.stmts, key=lambda s: s.end)
    if not last.editable:
        raise UciEditError(f"{package}.{ref}: its last statement is too complex to follow")
    indent = "\t"
    sample = None
    for s in sec.stmts:
        if s.kind in ("option", "list") and s.editable:
            line = text[s.start : s.end]
            indent = line[: len(line) - len(line.lstrip(" \t"))]
            sample = s
    old_token = None
    if sample is not None and sample.value_span is not None:
        old_token = text[sample.value_span[0] : sample.value_span[1]]
    insert_at = last.end
    prefix = ""
    if insert_at > 0 and text[insert_at - 1] != "\n":
        prefix = "\n"  # the file ends without a newline after this section
    line = f"{prefix}{indent}option {option} {_quote_like(value, old_token)}\n"
    return text[:insert_at] + line + text[insert_at:]


def uci_delete(text: str, package: str, ref: str, option: str) -> str:
    """``uci delete PACKAGE.REF.OPTION``: remove every line that defines the option."""
    sec = _check(_doc(text, package).section(ref), ref, package)
    opt = sec.option(option)
    if opt is None:
        return text
    # also earlier, overridden definitions of the same name in this section
    stmts = [s for s in sec.stmts if s.kind in ("option", "list") and _stmt_name(text, s) == option]
    if any(not s.editable for s in stmts):
        raise UciEditError(f"{package}.{ref}.{option}: a complex statement")
    out = text
    for s in sorted(stmts, key=lambda s: s.start, reverse=True):
        out = out[: s.start] + out[s.end :]
    return out


def _stmt_name(text: str, s: _Stmt) -> str:
    words = text[s.start : s.end].split()
    return words[1].strip("'\"") if len(words) > 1 else ""


def _escape(value: str) -> str:
    return value.replace("'", "'\\''")


def uci_export(text: str, package: str) -> str:
    """The file ``uci commit`` writes for this config (libuci ``uci_export_package``)."""
    out: list[str] = []
    for sec in _doc(text, package).sections:
        out.append(f"\nconfig {_escape(sec.type)}")
        if sec.name:
            out.append(f" '{_escape(sec.name)}'")
        out.append("\n")
        for opt in sec.options:
            kw = "list" if opt.is_list else "option"
            for v in opt.values:
                out.append(f"\t{kw} {_escape(opt.name)} '{_escape(v)}'\n")
    out.append("\n")
    return "".join(out)
