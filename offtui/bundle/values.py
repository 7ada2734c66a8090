"""Secret values (host names, SSIDs, user names, passwords, keys, free text) and their tokens.

A value is found in a place whose meaning is known (``option ssid``, ``uname -a``, a shell
prompt, a journal line) and replaced there by a token such as ``ssid-1``. Long enough values are
then also replaced wherever else they appear, case-insensitively, so the same name is the same
token in every file. Values that are defaults shipped to everyone (``OpenWrt``, ``root``,
``lan``) are not secrets and stay; short or purely numeric values and names the capture uses
for its own structure (interface, zone, option names) are replaced only where they were found,
since replacing them everywhere would corrupt counters and rulesets.
"""

from __future__ import annotations

import ipaddress
import json
import re

from offtui.bundle.macmap import parse_mac
from offtui.bundle.textscan import Edit


def _is_address(v: str) -> bool:
    try:
        ipaddress.ip_address(v.split("%", 1)[0])
    except ValueError:
        return parse_mac(v) is not None
    return True


#: Values shipped as defaults: not secrets, kept (compared case-insensitively).
DEFAULTS = frozenset(
    {
        "openwrt",
        "lede",
        "immortalwrt",
        "localhost",
        "localhost.localdomain",
        "(none)",
        "none",
        "root",
        "lan",
        "local",
        "localdomain",
        "home.arpa",
        # generic device words people leave as host names; they are also plain English
        "router",
        "gateway",
        "firewall",
        "modem",
        "ap",
        "switch",
        "",
    }
)

#: Shortest value replaced everywhere (shorter ones only where they were found).
MIN_GLOBAL_LEN = 4

KINDS = ("host", "user", "ssid", "secret", "key", "domain", "text")


class ValueTokens:
    """Consistent tokens for secret values, and the everywhere-replacement regex."""

    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}  # casefolded value -> token
        self.originals: dict[str, str] = {}  # casefolded value -> first spelling seen
        self.counts: dict[str, int] = dict.fromkeys(KINDS, 0)
        self.structural: set[str] = set()
        self.local_only: set[str] = set()
        self._regex: re.Pattern[str] | None = None
        self._lookup: dict[str, str] = {}

    def add(self, kind: str, value: str, everywhere: bool = True) -> str | None:
        """The token for ``value`` (allocated on first sight); None when it is no secret.

        ``everywhere=False`` replaces the value only where it was found (a kernel builder's
        host name such as ``arch`` is too common a word to chase through every log).
        Addresses and MACs are not values: the address tables map them.
        """
        v = value.strip()
        key = v.casefold()
        if key in DEFAULTS or _is_address(v):
            return None
        if everywhere:
            self.local_only.discard(key)
        elif key not in self.tokens:
            self.local_only.add(key)
        tok = self.tokens.get(key)
        if tok is None:
            self.counts[kind] += 1
            tok = f"{kind}-{self.counts[kind]}"
            self.tokens[key] = tok
            self.originals[key] = v
        return tok

    def is_secret(self, value: str) -> bool:
        return value.strip().casefold() in self.tokens

    def replace_everywhere(self, key: str) -> bool:
        v = self.originals[key]
        return (
            len(v) >= MIN_GLOBAL_LEN
            and not v.isdigit()
            and "\n" not in v
            and key not in self.structural
            and key not in self.local_only
        )

    def finish(self) -> None:
        spellings: dict[str, str] = {}
        for key, tok in self.tokens.items():
            if not self.replace_everywhere(key):
                continue
            v = self.originals[key]
            for s in {v, json.dumps(v)[1:-1]}:
                spellings[s.casefold()] = tok
        self._lookup = spellings
        if spellings:
            alts = "|".join(re.escape(s) for s in sorted(spellings, key=len, reverse=True))
            self._regex = re.compile(rf"(?<![A-Za-z0-9_])(?:{alts})(?![A-Za-z0-9_])", re.IGNORECASE)

    def edits(self, text: str, start: int = 0, end: int | None = None) -> list[Edit]:
        if self._regex is None:
            return []
        stop = len(text) if end is None else end
        return [
            (m.start(), m.end(), self._lookup.get(m.group(0).casefold(), "redacted"))
            for m in self._regex.finditer(text, start, stop)
        ]

    def originals_in(self, text: str) -> list[str]:
        return [m.group(0) for m in self._regex.finditer(text)] if self._regex else []

    def mapping(self) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for key, tok in self.tokens.items():
            out.setdefault(tok.rsplit("-", 1)[0], {})[self.originals[key]] = tok
        return out
