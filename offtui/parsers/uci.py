"""OpenWrt UCI configuration: files, ``uci show``/``uci export`` output, ``uci`` commands.

The file grammar follows libuci's own parser (``file.c`` in openwrt/uci), because a
config that libuci reads differently from us would make every finding built on it wrong:

* A line holds commands separated by ``;``: ``package``/``p``, ``config``/``c``,
  ``option``/``o``, ``list``/``l``. The command word ends at a space or tab; a word
  starting with ``#`` makes the rest of the line a comment.
* Arguments are unquoted, ``'single'`` (no escapes) or ``"double"`` quoted (``\\x`` ->
  ``x``); pieces concatenate (``'a'"b"c`` -> ``abc``). An unquoted ``#`` ends the line.
  A quoted value may span lines (the newline is part of the value); a backslash at the
  end of a line joins the next line.
* Section and option names are ``[A-Za-z0-9_]`` only; a type is any printable ASCII.
* ``option x ''`` sets nothing (libuci's ``uci_set`` with an empty value deletes the
  option, or does nothing when it did not exist); ``list x ''`` adds an empty element.
* ``list`` after ``option`` of the same name turns the option into a list (old value
  first); ``option`` after ``list`` replaces the list. A named section that appears twice
  is one section (later options merge into it, the later type wins).
* ``package`` lines in a config file are read and ignored (libuci loads a file with
  ``single`` set); in ``uci export`` output they start a new package.

libuci stops at the first error (strict mode). Here an erroneous statement is skipped
(recorded with its line) and parsing resumes on the next line, so a forum paste with a
shell prompt or an ellipsis still yields the sections around it.

The interpreters (:func:`fw4_settings`, :func:`wireless_radios`, :func:`sqm_queues`,
:func:`network_devices`) read a parsed config the way the consuming program does
(firewall4's ``fw4.uc``, netifd, sqm-scripts) and return typed values.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import TypedDict

from offtui.model import (
    Fw4Settings,
    Fw4Zone,
    SqmQueue,
    UciConfig,
    UciSection,
    WirelessRadio,
)
from offtui.parsers.common import Parsed

__all__ = [
    "NetDevice",
    "NetInterface",
    "NetworkDevices",
    "fw4_bool",
    "fw4_settings",
    "network_devices",
    "parse_uci",
    "parse_uci_commands",
    "parse_uci_show",
    "sqm_queues",
    "uci_bool",
    "wireless_radios",
]

_NAME_RE = re.compile(r"[A-Za-z0-9_]+\Z")
_PACKAGE_RE = re.compile(r"[A-Za-z0-9_-]+\Z")
_INLINE_SPACE = " \t\r\v\f"  # isspace() without the newline that ends a libuci line buffer
_COMMANDS = frozenset({"p", "package", "c", "config", "o", "option", "l", "list"})


class _UciError(Exception):
    """A statement libuci would reject; ``resume_at_start`` when the scan ran to EOF."""

    def __init__(self, reason: str, resume_at_start: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.resume_at_start = resume_at_start


def _valid_type(value: str) -> bool:
    # uci_validate_type(): alnum, '_' or printable ASCII 33..126, not empty.
    return bool(value) and all(c.isalnum() or c == "_" or 33 <= ord(c) <= 126 for c in value)


def _valid_name(value: str) -> bool:
    return bool(_NAME_RE.match(value)) and value.isascii()


@dataclass(slots=True)
class _Doc:
    """Sections of the packages read so far, in order."""

    packages: dict[str, UciConfig] = field(default_factory=dict)
    named: dict[tuple[str, str], UciSection] = field(default_factory=dict)

    def config(self, package: str) -> UciConfig:
        cfg = self.packages.get(package)
        if cfg is None:
            cfg = self.packages[package] = UciConfig(package=package)
        return cfg


class _Scanner:
    """libuci's ``uci_parse_line``/``next_arg``/``parse_str`` over the whole text."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.n = len(text)
        self.pos = 0
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(self, pos: int) -> int:
        return bisect.bisect_right(self.line_starts, pos)  # 1-based

    def line_text(self, line_no: int) -> str:
        start = self.line_starts[line_no - 1]
        end = self.s.find("\n", start)
        return self.s[start : end if end >= 0 else self.n]

    def at_eol(self) -> bool:
        return self.pos >= self.n or self.s[self.pos] == "\n"

    def cur(self) -> str:
        return self.s[self.pos] if self.pos < self.n else ""

    def skip_ws(self) -> None:
        while self.pos < self.n and self.s[self.pos] in _INLINE_SPACE:
            self.pos += 1

    def to_eol(self) -> None:
        end = self.s.find("\n", self.pos)
        self.pos = end if end >= 0 else self.n

    def next_line(self) -> None:
        self.to_eol()
        if self.pos < self.n:
            self.pos += 1

    def command_word(self) -> str | None:
        """strtok(" \\t"): None at the end of the line."""
        self.skip_ws()
        if self.at_eol():
            return None
        start = self.pos
        while self.pos < self.n and self.s[self.pos] not in " \t\n":
            self.pos += 1
        word = self.s[start : self.pos]
        if word.startswith("#"):
            self.to_eol()
            return "#"
        if word not in _COMMANDS:
            raise _UciError("invalid command")
        if self.at_eol():
            # libuci's word would include the newline (or hit the buffer end): no arguments.
            raise _UciError("insufficient arguments")
        self.pos += 1  # the space or tab strtok replaced with NUL
        return word

    def _backslash(self, out: list[str]) -> bool:
        """parse_backslash(): False when it joined the next line (nothing to add)."""
        self.pos += 1
        c = self.cur()
        if c == "" or c == "\n" or (c == "\r" and self.s[self.pos + 1 : self.pos + 2] == "\n"):
            if c == "\r":
                self.pos += 1
            if self.pos < self.n:
                self.pos += 1  # join: the next line continues this one
            return False
        out.append(c)
        self.pos += 1
        return True

    def _quoted(self, quote: str, out: list[str]) -> None:
        self.pos += 1
        while True:
            if self.pos >= self.n:
                raise _UciError(f"EOF with unterminated {quote}", resume_at_start=True)
            c = self.s[self.pos]
            if c == quote:
                self.pos += 1
                return
            if c == "\\" and quote == '"':
                self._backslash(out)
                continue
            out.append(c)
            self.pos += 1

    def parse_str(self) -> tuple[str, bool]:
        """One argument; returns (value, stopped_at_semicolon)."""
        out: list[str] = []
        advance = True
        while True:
            c = self.cur()
            if c == "'" or c == '"':
                self._quoted(c, out)
            elif c == "#":
                self.to_eol()
                break
            elif c == "" or c == "\n":
                break
            elif c == ";":
                advance = False
                break
            elif c == "\\":
                if not self._backslash(out):
                    # ``continue`` in libuci's do/while re-checks the loop condition
                    if self.at_eol() or self.cur().isspace():
                        break
                    continue
            else:
                out.append(c)
                self.pos += 1
            if self.at_eol() or self.cur().isspace():
                break
        if advance and not self.at_eol():
            self.pos += 1  # the whitespace that ended the argument
        return "".join(out), not advance

    def next_arg(self, required: bool, name: bool = False) -> str:
        self.skip_ws()
        if self.cur() == ";":
            self.pos += 1
            value = ""
        else:
            value, _ = self.parse_str()
        if not value:
            if required:
                raise _UciError("insufficient arguments")
            return ""
        if name and not _valid_name(value):
            raise _UciError("invalid character in name field")
        return value

    def assert_eol(self) -> None:
        self.skip_ws()
        if self.next_arg(required=False):
            raise _UciError("too many arguments")


def _apply_option(section: UciSection, name: str, value: str, is_list: bool) -> None:
    if is_list:
        if name in section.options:
            section.lists[name] = [section.options.pop(name), value]
        else:
            section.lists.setdefault(name, []).append(value)
        return
    if not value:
        section.options.pop(name, None)
        section.lists.pop(name, None)
        return
    section.lists.pop(name, None)
    section.options[name] = value


def _parse_document(
    text: str,
    package: str,
    result: Parsed,
    doc: _Doc,
    *,
    line_offset: int = 0,
    export: bool = False,
) -> None:
    """Parse config-file syntax into ``doc``; ``export`` honours ``package`` lines."""
    sc = _Scanner(text)
    current: UciSection | None = None
    while sc.pos < sc.n:
        line_start = sc.pos
        stmt_line = sc.line_of(sc.pos)
        try:
            while True:
                word = sc.command_word()
                if word is None or word == "#":
                    break
                stmt_line = sc.line_of(sc.pos)
                if word in ("p", "package"):
                    name = sc.next_arg(required=True)
                    if not _PACKAGE_RE.match(name):
                        raise _UciError("invalid character in name field")
                    sc.assert_eol()
                    if export:
                        package = name
                        doc.config(package)
                        current = None
                elif word in ("c", "config"):
                    type_ = sc.next_arg(required=True)
                    if not _valid_type(type_):
                        raise _UciError("invalid character in type field")
                    name = sc.next_arg(required=False, name=True)
                    sc.assert_eol()
                    current = _open_section(doc, package, type_, name or None, stmt_line)
                else:
                    if current is None:
                        raise _UciError("option/list command found before the first section")
                    opt = sc.next_arg(required=True, name=True)
                    value = sc.next_arg(required=False)
                    sc.assert_eol()
                    _apply_option(current, opt, value, word[0] == "l")
            if sc.pos < sc.n and sc.s[sc.pos] == "\n":
                sc.pos += 1
        except _UciError as err:
            first = sc.line_of(line_start)
            result.skip(first + line_offset, sc.line_text(first), err.reason)
            if err.resume_at_start:
                sc.pos = line_start
            sc.next_line()


def _open_section(
    doc: _Doc, package: str, type_: str, name: str | None, line_no: int
) -> UciSection:
    cfg = doc.config(package)
    if name is not None:
        existing = doc.named.get((package, name))
        if existing is not None:
            existing.type = type_
            return existing
    section = UciSection(type=type_, name=name, index=0, line_no=line_no)
    cfg.sections.append(section)
    if name is not None:
        doc.named[(package, name)] = section
    return section


def _finish(doc: _Doc, explicit: dict[int, int] | None = None) -> None:
    """Number sections per type (``@type[N]``); explicit indexes come from ``uci show``."""
    for cfg in doc.packages.values():
        seen: dict[str, int] = {}
        for section in cfg.sections:
            pos = seen.get(section.type, 0)
            seen[section.type] = pos + 1
            fixed = explicit.get(id(section)) if explicit else None
            section.index = fixed if fixed is not None else pos


def parse_uci(text: str, package: str) -> Parsed[UciConfig]:
    """Parse one ``/etc/config/<package>`` file (or a pasted excerpt of one)."""
    result: Parsed[UciConfig] = Parsed(UciConfig(package=package))
    doc = _Doc()
    doc.config(package)
    _parse_document(text, package, result, doc)
    _finish(doc)
    result.value = doc.packages[package]
    return result


# --------------------------------------------------------------------------- uci show

_SHOW_RE = re.compile(
    r"^(?P<pkg>[A-Za-z0-9_-]+)\.(?P<sec>@[^\s.=\[\]]+\[-?\d+\]|[A-Za-z0-9_]+)"
    r"(?:\.(?P<opt>[A-Za-z0-9_]+))?=(?P<value>.*)$"
)
_AT_RE = re.compile(r"@(?P<type>[^\[]+)\[(?P<idx>-?\d+)\]\Z")
_EXPORT_PACKAGE_RE = re.compile(r"^\s*package\s+\S")
#: How far a quoted ``uci show`` value may run on before it is called unterminated.
_MAX_VALUE_LINES = 200


def _sh_values(text: str) -> tuple[list[str], bool]:
    """Shell-style words of a ``uci show`` value: (words, complete).

    ``uci show`` prints every value in single quotes with ``'\\''`` for a quote
    (``uci_print_value`` in cli.c); list elements are separated by a space.
    ``complete`` is False when a quote is still open at the end of ``text``.
    """
    words: list[str] = []
    cur: list[str] = []
    in_word = False
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "'":
            end = text.find("'", i + 1)
            if end < 0:
                return words, False
            cur.append(text[i + 1 : end])
            in_word = True
            i = end + 1
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n and text[j + 1] in '$`"\\\n':
                    j += 1
                cur.append(text[j])
                j += 1
            if j >= n:
                return words, False
            in_word = True
            i = j + 1
        elif c == "\\" and i + 1 < n:
            cur.append(text[i + 1])
            in_word = True
            i += 2
        elif c in " \t\r":
            if in_word:
                words.append("".join(cur))
                cur, in_word = [], False
            i += 1
        else:
            cur.append(c)
            in_word = True
            i += 1
    if in_word:
        words.append("".join(cur))
    return words, True


def parse_uci_show(text: str) -> Parsed[dict[str, UciConfig]]:
    """Parse ``uci show`` / ``uci -X show`` / ``uci export`` output (any packages).

    ``pkg.sec=type`` opens a section (``@type[N]`` refs are anonymous, index N);
    ``pkg.sec.opt='v'`` is an option and ``'a' 'b'`` (two or more words) a list:
    ``uci show`` prints a one-element list exactly like an option, so it becomes an
    option here (:meth:`UciSection.values` reads both). A section seen only through its
    options (a ``grep`` excerpt) gets the type from its ``@type[N]`` ref, else ``""``.
    A ``package <name>`` line starts ``uci export`` text, read with the file grammar
    until the next ``uci show`` line.
    """
    result: Parsed[dict[str, UciConfig]] = Parsed({})
    doc = _Doc()
    explicit: dict[int, int] = {}
    by_ref: dict[tuple[str, str], UciSection] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i].rstrip("\r")
        line_no = i + 1
        if _EXPORT_PACKAGE_RE.match(line):
            j = i + 1
            while j < len(lines) and not _SHOW_RE.match(lines[j].strip()):
                j += 1
            block = "\n".join(lines[i:j])
            _parse_document(block, "", result, doc, line_offset=i, export=True)
            i = j
            continue
        i += 1
        stripped = line.strip()
        if not stripped:
            continue
        # keep trailing blanks: inside an open quote they belong to the value
        m = _SHOW_RE.match(line.lstrip())
        if not m:
            result.skip(line_no, line, "not a uci show line")
            continue
        value = m.group("value")
        words, complete = _sh_values(value)
        j = i
        while not complete and j < len(lines) and j - i < _MAX_VALUE_LINES:
            value += "\n" + lines[j].rstrip("\r")
            j += 1
            words, complete = _sh_values(value)
        if not complete:
            result.skip(line_no, line, "unterminated quote")
            continue  # resume on the next line, not after the lines tried
        i = j
        pkg, ref, opt = m.group("pkg"), m.group("sec"), m.group("opt")
        at = _AT_RE.match(ref)
        section = by_ref.get((pkg, ref)) or (None if at else doc.named.get((pkg, ref)))
        if opt is None:
            type_ = words[0] if len(words) == 1 else ""
            if not _valid_type(type_):
                result.skip(line_no, line, "invalid section type")
                continue
            if section is None:
                section = _new_show_section(doc, pkg, ref, type_, line_no)
                by_ref[(pkg, ref)] = section
                if at:
                    explicit[id(section)] = int(at.group("idx"))
            else:
                section.type = type_
            continue
        if section is None:
            type_ = at.group("type") if at else ""
            section = _new_show_section(doc, pkg, ref, type_, line_no)
            by_ref[(pkg, ref)] = section
            if at:
                explicit[id(section)] = int(at.group("idx"))
        if len(words) >= 2:
            section.options.pop(opt, None)
            section.lists[opt] = words
        elif words and words[0]:
            section.lists.pop(opt, None)
            section.options[opt] = words[0]
        else:
            result.skip(line_no, line, "empty value")
    _finish(doc, explicit)
    result.value = doc.packages
    return result


def _new_show_section(doc: _Doc, pkg: str, ref: str, type_: str, line_no: int) -> UciSection:
    name = None if ref.startswith("@") else ref
    section = UciSection(type=type_, name=name, index=0, line_no=line_no)
    doc.config(pkg).sections.append(section)
    if name is not None:
        doc.named[(pkg, name)] = section
    return section


# --------------------------------------------------------------------------- uci commands

_OPTS_WITH_ARG = frozenset("cdfpP")
_REDIRECT_RE = re.compile(r"^\d*(?:[<>]|&>)")


def _shell_commands(line: str) -> list[list[str]] | None:
    """Split one shell line into simple commands (``;``, ``&&``, ``||``, ``|``, ``&``).

    Quotes follow sh: ``'...'`` literal, ``"..."`` with ``\\`` before ``$`\\"``,
    a bare ``\\`` escapes the next character; a word starting with ``#`` begins a
    comment. Redirections (``2>/dev/null``) are dropped. None: unterminated quote.
    """
    commands: list[list[str]] = [[]]
    cur: list[str] = []
    in_word = False
    i, n = 0, len(line)

    def end_word() -> None:
        nonlocal cur, in_word
        if in_word:
            word = "".join(cur)
            if not _REDIRECT_RE.match(word):
                commands[-1].append(word)
        cur, in_word = [], False

    while i < n:
        c = line[i]
        if c == "'":
            end = line.find("'", i + 1)
            if end < 0:
                return None
            cur.append(line[i + 1 : end])
            in_word, i = True, end + 1
        elif c == '"':
            j = i + 1
            while j < n and line[j] != '"':
                if line[j] == "\\" and j + 1 < n and line[j + 1] in '$`"\\':
                    j += 1
                cur.append(line[j])
                j += 1
            if j >= n:
                return None
            in_word, i = True, j + 1
        elif c == "\\" and i + 1 < n:
            cur.append(line[i + 1])
            in_word, i = True, i + 2
        elif c == "#" and not in_word:
            break
        elif c in ";|&":
            end_word()
            commands.append([])
            i += 2 if line[i : i + 2] in ("&&", "||") else 1
        elif c in " \t\r":
            end_word()
            i += 1
        else:
            cur.append(c)
            in_word, i = True, i + 1
    end_word()
    return [c for c in commands if c]


def _strip_prompt(line: str) -> str:
    """Drop a pasted shell prompt (``root@OpenWrt:~# ``, ``# ``, ``$ ``)."""
    if line.startswith(("# ", "$ ")):
        return line[2:]
    head, sep, rest = line.partition(" ")
    if sep and "@" in head and head.endswith(("#", "$")):
        return rest
    return line


def _uci_argv(words: list[str]) -> list[str] | None:
    """The arguments after ``uci`` and its options, or None when not a uci command."""
    if not words or words[0].rsplit("/", 1)[-1] != "uci":
        return None
    args = words[1:]
    while args and args[0].startswith("-") and len(args[0]) > 1:
        flag = args.pop(0)
        if flag[-1] in _OPTS_WITH_ARG and len(flag) == 2 and args:
            args.pop(0)
    return args


def parse_uci_commands(text: str) -> Parsed[dict[str, str]]:
    """Collect what a pasted shell session says about UCI values: ``{key: value}``.

    ``uci set k=v`` records what the user set; ``add_list`` appends (space separated, as
    :meth:`UciSection.values` splits), ``del_list`` removes, ``delete`` drops the key and
    everything under it. ``uci get k`` records the value the device printed on the next
    line (the line is consumed). Keys are as typed (``firewall.@defaults[0].x``); the
    values are *what the user set or saw*, not proof of the running configuration.
    Other uci sub-commands (commit, show, ...) are accepted and record nothing; any
    other line is skipped as unparsed.
    """
    values: dict[str, str] = {}
    result: Parsed[dict[str, str]] = Parsed(values)
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        raw = lines[i].rstrip("\r")
        line_no = i + 1
        i += 1
        if not raw.strip():
            continue
        commands = _shell_commands(_strip_prompt(raw.strip()))
        if commands is None:
            result.skip(line_no, raw, "unterminated quote")
            continue
        argvs = [a for a in (_uci_argv(c) for c in commands) if a is not None]
        if not argvs:
            result.skip(line_no, raw, "not a uci command")
            continue
        for argv in argvs:
            if not argv:
                continue
            sub, params = argv[0].lower(), argv[1:]
            if sub == "get" and params:
                nxt = lines[i].rstrip("\r") if i < len(lines) else ""
                if nxt.strip() and _is_output_line(nxt):
                    values[params[0]] = nxt.strip()
                    i += 1
            elif sub in ("set", "add_list", "del_list") and params and "=" in params[0]:
                key, _, value = params[0].partition("=")
                old = values.get(key, "")
                if sub == "set":
                    values[key] = value
                elif sub == "add_list":
                    values[key] = f"{old} {value}".strip()
                else:
                    values[key] = " ".join(v for v in old.split() if v != value)
            elif sub in ("delete", "del") and params:
                key = params[0].partition("=")[0]
                for k in [k for k in values if k == key or k.startswith(key + ".")]:
                    del values[k]
    return result


def _is_output_line(line: str) -> bool:
    """True when the line after ``uci get`` looks like its output, not a new command."""
    stripped = line.strip()
    if _strip_prompt(stripped) != stripped:
        return False
    return not stripped.startswith(("uci ", "uci\t")) and not stripped.startswith("uci: ")


# --------------------------------------------------------------------------- booleans

#: OpenWrt's shell ``get_bool`` (``/lib/functions.sh``), used by netifd scripts,
#: mac80211.sh, sqm-scripts and most init scripts.
_SHELL_TRUE = frozenset({"1", "on", "true", "yes", "enabled"})
_SHELL_FALSE = frozenset({"0", "off", "false", "no", "disabled"})
#: firewall4's ``parse_bool`` (fw4.uc): no "enabled"/"disabled", case-sensitive.
_FW4_TRUE = frozenset({"1", "on", "true", "yes"})
_FW4_FALSE = frozenset({"0", "off", "false", "no"})


def uci_bool(value: str | None, default: bool | None = None) -> bool | None:
    """A UCI boolean as OpenWrt's shell ``get_bool`` reads it; ``default`` otherwise."""
    if value in _SHELL_TRUE:
        return True
    if value in _SHELL_FALSE:
        return False
    return default


def fw4_bool(value: str | None) -> bool | None:
    """A boolean as firewall4 reads it (None: fw4 rejects the value)."""
    if value in _FW4_TRUE:
        return True
    if value in _FW4_FALSE:
        return False
    return None


# --------------------------------------------------------------------------- firewall


def _fw4_opt_bool(section: UciSection, key: str, default: bool) -> bool | None:
    """fw4's parse_opt for a bool: None when fw4 would discard the whole section."""
    if key in section.lists:
        return None  # "option '...' must not be a list"
    value = section.options.get(key)
    if value is None:
        return default
    return fw4_bool(value)


def fw4_settings(firewall: UciConfig) -> Fw4Settings:
    """Offload switches, zones and forwardings as firewall4 reads ``/etc/config/firewall``.

    fw4 uses only the first ``defaults`` section. ``flow_offloading``/``_hw`` default to
    off. A value fw4 cannot read (``'enabled'``, or a list) makes fw4 discard the whole
    defaults section and use its built-in defaults, so both switches are then off.
    Disabled zones/forwardings (``enabled '0'``) are left out, as fw4 ignores them.
    """
    offload: bool | None = False
    offload_hw: bool | None = False
    defaults = firewall.of_type("defaults")
    if defaults:
        d = defaults[0]
        sw = _fw4_opt_bool(d, "flow_offloading", False)
        hw = _fw4_opt_bool(d, "flow_offloading_hw", False)
        if sw is not None and hw is not None:
            offload, offload_hw = sw, hw
    zones: list[Fw4Zone] = []
    for z in firewall.of_type("zone"):
        if _fw4_opt_bool(z, "enabled", True) is False:
            continue
        name = z.get("name")
        if not name:
            continue  # fw4: "option 'name' is mandatory but not set"
        zones.append(
            Fw4Zone(
                name=name,
                networks=z.values("network"),
                devices=z.values("device"),
                masq=bool(_fw4_opt_bool(z, "masq", False)),
                mtu_fix=bool(_fw4_opt_bool(z, "mtu_fix", False)),
            )
        )
    forwardings: list[tuple[str, str]] = []
    for f in firewall.of_type("forwarding"):
        if _fw4_opt_bool(f, "enabled", True) is False:
            continue
        src, dest = f.get("src"), f.get("dest")
        if src and dest:
            forwardings.append((src, dest))
    return Fw4Settings(
        flow_offloading=offload,
        flow_offloading_hw=offload_hw,
        zones=zones,
        forwardings=forwardings,
    )


# --------------------------------------------------------------------------- wireless

_BANDS = frozenset({"2g", "5g", "6g", "60g"})
#: Pre-22.03 ``hwmode`` (mac80211.sh): 11b/11g/11ng -> 2.4 GHz, 11a/11na/11ac -> 5 GHz.
_HWMODE_BAND = {
    "11b": "2g",
    "11g": "2g",
    "11ng": "2g",
    "11bg": "2g",
    "11a": "5g",
    "11na": "5g",
    "11ac": "5g",
    "11ad": "60g",
}
_IFACE_KEYS = ("device", "mode", "network", "ssid", "wds", "ifname", "disabled")


def _section_ref(section: UciSection) -> str:
    return section.name if section.name is not None else f"@{section.type}[{section.index}]"


def wireless_radios(wireless: UciConfig) -> list[WirelessRadio]:
    """Radios (``wifi-device``) with their ``wifi-iface`` sections attached.

    ``band`` comes from ``option band`` or, on older configs, from ``hwmode``; None when
    neither says (``htmode`` alone does not fix the band). Each iface is a dict of the
    keys it sets among device/mode/network/ssid/wds/ifname/disabled plus ``section``;
    a ``network`` list is joined with spaces.
    """
    radios: dict[str, WirelessRadio] = {}
    for dev in wireless.of_type("wifi-device"):
        band = dev.get("band")
        hwmode = dev.get("hwmode")
        if band not in _BANDS:
            band = _HWMODE_BAND.get(hwmode or "")
        name = _section_ref(dev)
        radios[name] = WirelessRadio(
            name=name,
            band=band,
            hwmode=hwmode,
            disabled=bool(uci_bool(dev.get("disabled"), False)),
        )
    for iface in wireless.of_type("wifi-iface"):
        info = {"section": _section_ref(iface)}
        for key in _IFACE_KEYS:
            vals = iface.values(key) if key == "network" else None
            if vals:
                info[key] = " ".join(vals)
            elif key in iface.options:
                info[key] = iface.options[key]
        radio = radios.get(iface.get("device") or "")
        if radio is not None:
            radio.ifaces.append(info)
    return list(radios.values())


# --------------------------------------------------------------------------- sqm


def sqm_queues(sqm: UciConfig) -> list[SqmQueue]:
    """``config queue`` sections of ``/etc/config/sqm`` (sqm-scripts reads ``enabled``
    with the shell ``get_bool``; a queue without ``enabled`` is off)."""
    return [
        SqmQueue(
            name=_section_ref(q),
            interface=q.get("interface"),
            enabled=bool(uci_bool(q.get("enabled"), False)),
            qdisc=q.get("qdisc"),
            script=q.get("script"),
        )
        for q in sqm.of_type("queue")
    ]


# --------------------------------------------------------------------------- network


@dataclass(slots=True)
class NetDevice:
    """A netifd device: a ``config device`` section or a VLAN implied by a name."""

    name: str
    type: str | None  # "bridge", "8021q", "8021ad", "macvlan"...; None for plain settings
    ports: list[str] = field(default_factory=list)  # bridge members
    lower: str | None = None  # VLAN lower device
    vid: int | None = None
    #: "config device", "interface type bridge" (pre-21.02 syntax), "bridge-vlan",
    #: or "name" (a ``eth0.7`` name used somewhere, netifd creates the VLAN).
    source: str = "config device"
    line_no: int = 0

    @property
    def is_bridge(self) -> bool:
        return self.type == "bridge"

    @property
    def is_vlan(self) -> bool:
        return self.type in ("8021q", "8021ad")


@dataclass(slots=True)
class NetInterface:
    """A netifd ``config interface`` section."""

    name: str
    proto: str | None
    #: ``device`` (21.02+) or ``ifname`` (older syntax), as written: may be a list,
    #: an ``@alias`` or a bridge created by the interface itself.
    devices: list[str]
    bridge: bool = False  # old ``option type 'bridge'``: netifd creates ``br-<name>``
    disabled: bool = False
    line_no: int = 0

    @property
    def device(self) -> str | None:
        """The device netifd brings up for this interface (before any L3 tunnel)."""
        if self.bridge:
            return f"br-{self.name}"
        return self.devices[0] if self.devices else None

    @property
    def l3_device(self) -> str | None:
        """The device that carries the interface's IP traffic (what fw4 sees).

        netifd names PPP sessions ``<proto>-<interface>`` (``pppoe-wan``); wireguard and
        other tunnel protos create a device named after the interface.
        """
        if self.proto in ("pppoe", "pppoa", "ppp", "pptp", "l2tp", "3g"):
            return f"{self.proto}-{self.name}"
        if self.proto in ("wireguard", "gre", "gretap", "ipip", "6in4", "6rd", "6to4", "vti"):
            return self.name
        return self.device


class NetworkDevices(TypedDict):
    """What :func:`network_devices` returns."""

    devices: dict[str, NetDevice]  # every device by name (bridges, VLANs, others)
    bridges: dict[str, NetDevice]
    vlans: dict[str, NetDevice]
    interfaces: dict[str, NetInterface]
    #: ``globals.packet_steering`` as written ("0", "1", "2"); None when not set.
    packet_steering: str | None


_VLAN_NAME_RE = re.compile(r"^(?P<lower>[^.@\s]+)\.(?P<vid>\d{1,4})$")


def _implied_vlan(devices: dict[str, NetDevice], name: str, line_no: int) -> None:
    m = _VLAN_NAME_RE.match(name)
    if not m or name in devices or not 1 <= int(m.group("vid")) <= 4094:
        return
    devices[name] = NetDevice(
        name=name,
        type="8021q",
        lower=m.group("lower"),
        vid=int(m.group("vid")),
        source="name",
        line_no=line_no,
    )


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def network_devices(network: UciConfig) -> NetworkDevices:
    """Bridges, VLANs, interfaces and packet steering from ``/etc/config/network``.

    Handles both syntaxes: 21.02+ (``config device`` with ``type bridge`` and ``list
    ports``; ``option device`` in interfaces) and older (``option ifname`` in
    interfaces, ``option type 'bridge'`` creating ``br-<iface>``, bridge devices with
    ``list ifname``). A dotted name such as ``eth0.7`` anywhere implies an 802.1Q VLAN
    on ``eth0``; ``config bridge-vlan`` implies ``<bridge>.<vlan>``.
    """
    devices: dict[str, NetDevice] = {}
    interfaces: dict[str, NetInterface] = {}
    for sec in network.of_type("device"):
        name = sec.get("name")
        if not name:
            continue
        type_ = sec.get("type")
        dev = NetDevice(name=name, type=type_, line_no=sec.line_no)
        if type_ == "bridge":
            dev.ports = sec.values("ports") or sec.values("ifname")
        elif type_ in ("8021q", "8021ad"):
            dev.lower = sec.get("ifname")
            dev.vid = _int_or_none(sec.get("vid"))
        elif type_ in ("macvlan", "veth"):
            dev.lower = sec.get("ifname")
        devices[name] = dev
    for sec in network.of_type("interface"):
        if sec.name is None:
            continue
        devs = sec.values("device") or sec.values("ifname")
        iface = NetInterface(
            name=sec.name,
            proto=sec.get("proto"),
            devices=devs,
            bridge=sec.get("type") == "bridge",
            disabled=bool(uci_bool(sec.get("disabled"), False)),
            line_no=sec.line_no,
        )
        interfaces[sec.name] = iface
        if iface.bridge:
            br = f"br-{sec.name}"
            devices.setdefault(
                br,
                NetDevice(
                    name=br,
                    type="bridge",
                    ports=[d for d in devs if not d.startswith("@")],
                    source="interface type bridge",
                    line_no=sec.line_no,
                ),
            )
    for sec in network.of_type("bridge-vlan"):
        br, vid = sec.get("device"), _int_or_none(sec.get("vlan"))
        if br and vid is not None:
            name = f"{br}.{vid}"
            devices.setdefault(
                name,
                NetDevice(
                    name=name,
                    type="8021q",
                    ports=[p.split(":", 1)[0] for p in sec.values("ports")],
                    lower=br,
                    vid=vid,
                    source="bridge-vlan",
                    line_no=sec.line_no,
                ),
            )
    for dev in list(devices.values()):
        for port in dev.ports:
            _implied_vlan(devices, port, dev.line_no)
    for iface in interfaces.values():
        for d in iface.devices:
            _implied_vlan(devices, d, iface.line_no)
    steering = None
    for g in network.of_type("globals"):
        steering = g.get("packet_steering", steering)
    return NetworkDevices(
        devices=devices,
        bridges={n: d for n, d in devices.items() if d.is_bridge},
        vlans={n: d for n, d in devices.items() if d.is_vlan},
        interfaces=interfaces,
        packet_steering=steering,
    )
