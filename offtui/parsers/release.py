"""``/etc/os-release`` and ``/etc/openwrt_release``: shell variable assignments.

os-release(5): ``KEY=value`` lines, values optionally in double or single quotes, with shell
escapes (``\\"``, ``\\\\``, ``\\$``, ``\\```) inside double quotes; ``#`` comments and blank
lines. OpenWrt's ``/etc/openwrt_release`` is the same (``DISTRIB_RELEASE='24.10.0'``).
"""

from __future__ import annotations

import re

from offtui.parsers.common import Parsed, is_shell_prompt

_ASSIGN = re.compile(r"^(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)$")


def _unquote(value: str) -> str | None:
    """The shell value of a single word; ``None`` when the quoting is broken."""
    value = value.strip()
    if not value:
        return ""
    if value[0] == '"':
        out: list[str] = []
        i = 1
        while i < len(value):
            c = value[i]
            if c == "\\" and i + 1 < len(value):
                nxt = value[i + 1]
                out.append(nxt if nxt in '\\"$`' else c + nxt)
                i += 2
                continue
            if c == '"':
                return "".join(out) if i == len(value) - 1 else None
            out.append(c)
            i += 1
        return None
    if value[0] == "'":
        if len(value) < 2 or value[-1] != "'" or "'" in value[1:-1]:
            return None
        return value[1:-1]
    if any(c in value for c in "\"' \t"):
        return None
    return value.replace("\\", "")


def parse_os_release(text: str) -> Parsed[dict[str, str]]:
    """Parse an os-release style file into ``{KEY: value}`` (later keys win)."""
    result: Parsed[dict[str, str]] = Parsed({})
    for line_no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _ASSIGN.match(line)
        if not m:
            reason = "shell prompt" if is_shell_prompt(line) else "not a KEY=value line"
            result.skip(line_no, raw, reason)
            continue
        value = _unquote(m["value"])
        if value is None:
            result.skip(line_no, raw, "unbalanced quotes")
            continue
        result.value[m["key"]] = value
    return result
