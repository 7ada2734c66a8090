"""Kernel configuration (``/proc/config.gz`` once decompressed, or ``/boot/config-*``)."""

from __future__ import annotations

import re

from offtui.parsers.common import Parsed

_SET = re.compile(r"^(CONFIG_[A-Za-z0-9_]+)=(.*)$")
_UNSET = re.compile(r"^# (CONFIG_[A-Za-z0-9_]+) is not set$")


def parse_kconfig(text: str) -> Parsed[dict[str, str]]:
    """``{"CONFIG_NF_FLOW_TABLE": "m", "CONFIG_X": "n" (for "is not set"), ...}``."""
    out: Parsed[dict[str, str]] = Parsed({})
    for no, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        m = _SET.match(line)
        if m:
            out.value[m.group(1)] = m.group(2).strip('"')
            continue
        m = _UNSET.match(line)
        if m:
            out.value[m.group(1)] = "n"
            continue
        if line.startswith("#"):
            continue  # section comments
        out.skip(no, line, "not a kernel config line")
    return out
