"""Process lists: busybox ``ps`` (OpenWrt) and procps ``ps -e -o pid,comm``.

Only the command names matter (is ``bridger``, ``nlbwmon``, ``irqbalance``, ``mwan3track``
running?), so the parser returns the set of names.
"""

from __future__ import annotations

import re

from offtui.parsers.common import Parsed

_HEADER = re.compile(r"^\s*PID\b.*\b(COMMAND|CMD)\s*$")


def _name(cmd: str) -> str:
    cmd = cmd.strip()
    if cmd.startswith("[") and cmd.endswith("]"):
        cmd = cmd[1:-1]  # kernel threads: [ksoftirqd/0]
        return cmd
    first = cmd.split()[0] if cmd else ""
    if first.startswith("{") and first.endswith("}") and len(first) > 2:
        return first[1:-1]  # busybox prints {comm} before the arguments when they differ
    return first.rsplit("/", 1)[-1].rstrip(":")


def parse_ps(text: str) -> Parsed[frozenset[str]]:
    """Names of the processes in a ``ps`` listing (header line required for column position)."""
    names: set[str] = set()
    out: Parsed[frozenset[str]] = Parsed(frozenset())
    col: int | None = None
    for no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        m = _HEADER.match(line)
        if m:
            col = m.start(1)
            continue
        if col is None:
            out.skip(no, line, "ps output without its header line")
            continue
        if not line.lstrip()[:1].isdecimal():
            out.skip(no, line, "not a ps line")
            continue
        # busybox pads columns but long user names can shift COMMAND right: use the first
        # field that starts at or after the header's COMMAND column.
        cmd = line[col:] if len(line) > col else ""
        if col > 0 and len(line) > col and line[col - 1] not in " \t":
            parts = line[:col].split()
            cmd = (parts[-1] if parts else "") + line[col:]
        n = _name(cmd)
        if n:
            names.add(n)
        else:
            out.skip(no, line, "no command")
    out.value = frozenset(names)
    return out
