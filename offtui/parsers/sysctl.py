"""sysctl values: from captured ``proc/sys/...`` files or from ``sysctl`` output.

Key naming follows procps ``sysctl``: the path under ``/proc/sys`` with ``/`` turned into
``.``, and a ``.`` inside one path component (an interface like ``eth0.7``) turned into ``/``
(``proc/sys/net/ipv4/conf/eth0.7/forwarding`` -> ``net.ipv4.conf.eth0/7.forwarding``).
Multi-value files (``tcp_rmem``: tab separated) keep their inner whitespace.
"""

from __future__ import annotations

import re

from offtui.parsers.common import Parsed, is_shell_prompt

_PREFIX = "proc/sys/"
_SYSCTL_LINE = re.compile(r"^(?P<key>[A-Za-z0-9_][^\s=]*) = ?(?P<value>.*)$")


def sysctl_key(path: str) -> str | None:
    """The sysctl name of a capture path, or ``None`` if it is not under ``proc/sys/``."""
    path = path.lstrip("/")
    if not path.startswith(_PREFIX):
        return None
    parts = [p for p in path[len(_PREFIX) :].split("/") if p]
    if not parts:
        return None
    return ".".join(p.replace(".", "/") for p in parts)


def parse_sysctl_files(files: dict[str, str]) -> dict[str, str]:
    """``{capture path: file text}`` -> ``{sysctl name: value}``; other paths are ignored.

    The value is the file text without its trailing newline (and surrounding blanks).
    """
    out: dict[str, str] = {}
    for path, text in files.items():
        key = sysctl_key(path)
        if key is not None:
            out[key] = text.strip()
    return out


def parse_sysctl_output(text: str) -> Parsed[dict[str, str]]:
    """Parse ``sysctl -a`` / ``sysctl net.netfilter`` output (``key = value`` per line).

    procps and busybox both print ``"%s = %s"``; an empty value prints as ``key = ``.
    Error lines (``sysctl: cannot stat ...``, ``sysctl: permission denied on key ...``) and
    anything else are skipped with a reason.
    """
    result: Parsed[dict[str, str]] = Parsed({})
    for line_no, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\n")
        if not line.strip():
            continue
        if line.startswith("sysctl: "):
            result.skip(line_no, raw, "sysctl error message")
            continue
        m = _SYSCTL_LINE.match(line.strip())
        if not m or is_shell_prompt(line):
            reason = "shell prompt" if is_shell_prompt(line) else "not a 'key = value' line"
            result.skip(line_no, raw, reason)
            continue
        result.value[m["key"]] = m["value"].strip()
    return result
