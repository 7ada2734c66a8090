"""Format-aware finding of secrets: the places whose meaning is known.

Each handler reads one shape of text (UCI files, ``uci show`` lines, shell prompts, the kernel
banner, journal and syslog lines, dnsmasq DHCP lines, ``uname -a``, ``ip -j`` JSON, nft
comments and prefixes) and either records what it finds (scan) or returns the edits that
replace it (rewrite). Addresses and MACs are left to :mod:`offtui.bundle.textscan`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import re
from collections.abc import Iterator

from offtui.bundle.ipmap import IpMapper
from offtui.bundle.textscan import Edit
from offtui.bundle.values import ValueTokens

_PROMPT = re.compile(
    r"(?m)^[ \t]*\[?([A-Za-z_][\w.-]{0,31})@([A-Za-z0-9][\w.-]{0,62})(?=[:\s\]~#$])"
)
_BANNER = re.compile(r"Linux version \S+ \(([^@()\s]+)@([^()\s]+)\)")
_SYSLOG_HOST = re.compile(
    r"(?m)^(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d)?)"
    r" (\S+) (?=[^\s:]+?(?:\[\d+\])?: )"
)
_DHCP_NAME = re.compile(
    r"DHCP[A-Z]+\([^)]*\) (?:[0-9A-Fa-f.:]+ )?[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5} ([^\s*][^\s]*)"
)
_UCI_SHOW = re.compile(
    r"(?m)(?:^|(?<=\s))[\w-]+\.[\w@\[\]-]+\.(\w+)=('[^'\n]*'|\"[^\"\n]*\"|[^\s'\"]\S*)"
)
_UCI_CONFIG = re.compile(r"^\s*config\s+(\S+)(?:\s+(\S+))?")
_UCI_OPTION = re.compile(r"^(\s*(option|list)\s+([A-Za-z0-9_]+)\s+)")
_JSON_IFALIAS = re.compile(r'"ifalias"\s*:\s*"((?:[^"\\]|\\.)*)"')
_JSON_IFNAME = re.compile(r'"(?:ifname|link|master)"\s*:\s*"([^"\\]+)"')
_NFT_COMMENT_TEXT = re.compile(r'comment\s+"([^"\n]*)"')
_NFT_COMMENT_JSON = re.compile(r'"comment"\s*:\s*"((?:[^"\\]|\\.)*)"')
_NFT_PREFIX_JSON = re.compile(r'"prefix"\s*:\s*\{\s*"addr"\s*:\s*"([^"]+)"\s*,\s*"len"\s*:\s*(\d+)')

_SECRET_OPT = re.compile(
    r"(?:^|_)(?:key\d?|password|passwd|pass|secret|psk|pin|token|passphrase)(?:_|$)"
)
_KEY_OPT = re.compile(r"(?:private|public|preshared|priv)_key$")
_BOOLISH = frozenset({"0", "1", "true", "false", "yes", "no", "on", "off", "enabled", "disabled"})
#: Options whose values name the capture's own structure (zones, devices, networks).
_STRUCT_OPTS = frozenset(
    {
        "name",
        "device",
        "ifname",
        "network",
        "src",
        "dest",
        "zone",
        "interface",
        "dev",
        "iface",
        "ports",
    }
)

LOG_FILES = ("commands/dmesg", "commands/logread", "commands/journalctl")


def uci_kind(option: str, section_type: str, package: str) -> str | None:
    """Which kind of secret a UCI option holds, or None."""
    o = option.lower()
    if o in ("ssid", "mesh_id"):
        return "ssid"
    if o in ("username", "user", "identity", "anonymous_identity", "login"):
        return "user"
    if o in ("hostname", "endpoint_host", "lookup_host", "domain"):
        return "host" if o != "domain" else "domain"
    if package == "dhcp" and section_type in ("host", "domain", "cname") and o in ("name", "cname"):
        return "host"
    if o == "description":
        return "text"
    if _KEY_OPT.search(o):
        return "key"
    if _SECRET_OPT.search(o):
        return "secret"
    return None


def _value_span(line: str, start: int) -> tuple[int, int, str] | None:
    """(start, end, value) of a UCI argument starting at ``start`` (quotes excluded)."""
    if start >= len(line):
        return None
    q = line[start]
    if q in "'\"":
        i = start + 1
        out = []
        while i < len(line) and line[i] != q:
            if q == '"' and line[i] == "\\" and i + 1 < len(line):
                i += 1
            out.append(line[i])
            i += 1
        return start + 1, i, "".join(out)
    m = re.compile(r"[^\s#]+").match(line, start)
    return (m.start(), m.end(), m.group(0)) if m else None


def _uci_lines(
    text: str, package: str
) -> Iterator[tuple[int, str, str, str, str, tuple[int, int, str] | None]]:
    """(offset, line, section type, option verb, option name, value span) per option line."""
    stype = ""
    pos = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        c = _UCI_CONFIG.match(body)
        if c:
            stype = c.group(1).strip("'\"")
            yield pos, body, stype, "config", "", None
        else:
            o = _UCI_OPTION.match(body)
            if o:
                yield pos, body, stype, o.group(2), o.group(3), _value_span(body, o.end(1))
        pos += len(line)


def scan_uci(text: str, package: str, values: ValueTokens, ips: IpMapper) -> None:
    section: dict[str, str] = {}

    def close() -> None:
        for host_opt in ("ipaddr", "target"):
            addr, mask = section.get(host_opt), section.get("netmask")
            if addr and mask and "/" not in addr:
                with contextlib.suppress(ValueError):
                    ips.add_prefix(ipaddress.ip_network(f"{addr}/{mask}", strict=False))

    for _, body, stype, verb, opt, span in _uci_lines(text, package):
        if verb == "config":
            close()
            section = {}
            c = _UCI_CONFIG.match(body)
            assert c is not None
            values.structural.add(c.group(1).strip("'\"").casefold())
            if c.group(2):
                values.structural.add(c.group(2).strip("'\"").casefold())
            continue
        values.structural.add(opt.casefold())
        if span is None:
            continue
        value = span[2]
        if verb == "option":
            section[opt] = value
        kind = uci_kind(opt, stype, package)
        if kind and value.strip().casefold() not in _BOOLISH:
            values.add(kind, value)
        elif opt in _STRUCT_OPTS:
            for word in value.split():
                values.structural.add(word.casefold())
    close()


def uci_edits(text: str, package: str, values: ValueTokens) -> list[Edit]:
    out: list[Edit] = []
    for pos, _, stype, verb, opt, span in _uci_lines(text, package):
        if verb == "config" or span is None:
            continue
        kind = uci_kind(opt, stype, package)
        if kind and span[2].strip().casefold() not in _BOOLISH:
            tok = values.add(kind, span[2])
            if tok:
                out.append((pos + span[0], pos + span[1], tok))
    return out


def _show_matches(text: str) -> Iterator[tuple[int, int, str, str]]:
    for m in _UCI_SHOW.finditer(text):
        raw = m.group(2)
        s, e = m.span(2)
        if raw[:1] in "'\"":
            s, e, raw = s + 1, e - 1, raw[1:-1]
        kind = uci_kind(m.group(1), "", "")
        if kind and raw.casefold() not in _BOOLISH:
            yield s, e, kind, raw


def scan_common(name: str, text: str, values: ValueTokens, ips: IpMapper) -> None:
    """Secrets any file may hold: prompts, the kernel banner, ``uci show`` lines."""
    for m in _PROMPT.finditer(text):
        if m.group(1) != "root":
            values.add("user", m.group(1))
        values.add("host", m.group(2))
    for m in _BANNER.finditer(text):
        values.add("user", m.group(1), everywhere=False)
        values.add("host", m.group(2), everywhere=False)
    for _, _, kind, raw in _show_matches(text):
        values.add(kind, raw)
    if name.startswith(LOG_FILES):
        for m in _SYSLOG_HOST.finditer(text):
            values.add("host", m.group(1))
        for m in _DHCP_NAME.finditer(text):
            values.add("host", m.group(1))
    if name == "commands/uname_-a":
        parts = text.split()
        if len(parts) >= 2:
            values.add("host", parts[1])
    if name in ("proc/sys/kernel/hostname", "etc/hostname") and text.strip():
        values.add("host", text.strip())
    if name.startswith(("commands/ip_", "netlink/ip_")):
        for m in _JSON_IFALIAS.finditer(text):
            values.add("text", _json_str(m.group(1)), everywhere=False)
        for m in _JSON_IFNAME.finditer(text):
            values.structural.add(m.group(1).casefold())
        if "addr" in name:
            _scan_ip_addr_json(text, ips)
    if "nft" in name:
        for m in _NFT_PREFIX_JSON.finditer(text):
            with contextlib.suppress(ValueError):
                ips.add_prefix(ipaddress.ip_network(f"{m.group(1)}/{m.group(2)}", strict=False))


def common_edits(name: str, text: str, values: ValueTokens) -> list[Edit]:
    out: list[Edit] = []

    def put(m: re.Match[str], group: int, kind: str, everywhere: bool = True) -> None:
        tok = values.add(kind, m.group(group), everywhere)
        if tok:
            out.append((m.start(group), m.end(group), tok))

    for m in _PROMPT.finditer(text):
        if m.group(1) != "root":
            put(m, 1, "user")
        put(m, 2, "host")
    for m in _BANNER.finditer(text):
        put(m, 1, "user", False)
        put(m, 2, "host", False)
    for s, e, kind, raw in _show_matches(text):
        tok = values.add(kind, raw)
        if tok:
            out.append((s, e, tok))
    if name.startswith(LOG_FILES):
        for m in _SYSLOG_HOST.finditer(text):
            put(m, 1, "host")
        for m in _DHCP_NAME.finditer(text):
            put(m, 1, "host")
    if name == "commands/uname_-a":
        m = re.match(r"\s*\S+\s+(\S+)", text)
        if m:
            put(m, 1, "host")
    if name in ("proc/sys/kernel/hostname", "etc/hostname"):
        m = re.match(r"\s*(\S(?:.*\S)?)", text)
        if m:
            put(m, 1, "host")
    if name.startswith(("commands/ip_", "netlink/ip_")):
        for m in _JSON_IFALIAS.finditer(text):
            tok = values.add("text", _json_str(m.group(1)), everywhere=False)
            if tok:
                out.append((m.start(1), m.end(1), tok))
    return out


def comment_spans(name: str, text: str) -> list[tuple[int, int]]:
    """Free-text spans inside a structured file (nft comments)."""
    if "nft" not in name:
        return []
    return [m.span(1) for m in _NFT_COMMENT_TEXT.finditer(text)] + [
        m.span(1) for m in _NFT_COMMENT_JSON.finditer(text)
    ]


def _json_str(raw: str) -> str:
    try:
        return json.loads(f'"{raw}"')
    except ValueError:
        return raw


def _scan_ip_addr_json(text: str, ips: IpMapper) -> None:
    """``ip -j addr``: a prefix is ``local`` and ``prefixlen`` in two fields."""
    try:
        doc = json.loads(text)
    except ValueError:
        return
    for link in doc if isinstance(doc, list) else []:
        for a in (link.get("addr_info") or []) if isinstance(link, dict) else []:
            if isinstance(a, dict) and isinstance(a.get("prefixlen"), int):
                try:
                    ips.add_prefix(
                        ipaddress.ip_network(f"{a.get('local')}/{a['prefixlen']}", strict=False)
                    )
                except ValueError:
                    continue
