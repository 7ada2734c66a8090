"""MAC address redaction: keep the OUI (it names the chip vendor), hide the device part.

The first three bytes stay, so a support engineer still sees "MediaTek" or "Intel"; the last
three bytes are replaced through a keyed allocation that never lands on a device part the
capture itself holds for that OUI. Broadcast, all-zero and multicast MACs (``01:00:5e:…``,
``33:33:…``, ``01:80:c2:…``) name protocols, not devices, and stay — except ``33:33:ff:…``,
which carries the low 24 bits of an IPv6 address (its solicited-node group) and is mapped with
the same table as those addresses.
"""

from __future__ import annotations

import re

from offtui.bundle.keyed import SlotAllocator

BROADCAST = (1 << 48) - 1
SOLICITED_MAC = 0x3333FF000000

_HEX2 = "[0-9A-Fa-f]{2}"
#: ``aa:bb:cc:dd:ee:ff`` / ``aa-bb-…`` (the separator repeats), Cisco ``aabb.ccdd.eeff``.
MAC_COLON = re.compile(rf"{_HEX2}(?::{_HEX2}){{5}}\Z")
MAC_DASH = re.compile(rf"(?<![\w-]){_HEX2}(?:-{_HEX2}){{5}}(?![\w-])")
MAC_CISCO = re.compile(r"[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\Z")


def parse_mac(text: str) -> tuple[int, str] | None:
    """(value, style) for a MAC in any of the three spellings, else None."""
    if MAC_COLON.match(text):
        return int(text.replace(":", ""), 16), ":"
    if len(text) == 17 and MAC_DASH.fullmatch(text):
        return int(text.replace("-", ""), 16), "-"
    if MAC_CISCO.match(text):
        return int(text.replace(".", ""), 16), "."
    return None


def format_mac(value: int, style: str, upper: bool) -> str:
    h = f"{value:012x}"
    if style == ".":
        out = f"{h[0:4]}.{h[4:8]}.{h[8:12]}"
    elif style == "":
        out = h
    else:
        out = style.join(h[i : i + 2] for i in range(0, 12, 2))
    return out.upper() if upper else out


def is_kept_mac(value: int) -> bool:
    """MACs that identify no device: all-zero, broadcast, multicast (but not 33:33:ff:…)."""
    if value in (0, BROADCAST):
        return True
    if value >> 24 == SOLICITED_MAC >> 24:
        return False
    return bool((value >> 40) & 0x01)


class MacMapper:
    """Collect every MAC of a capture, then map each one consistently."""

    def __init__(self, key: bytes) -> None:
        self.key = key
        self.originals: set[int] = set()
        self.low24_originals: set[int] = set()
        #: low 24 bits of IPv6 addresses -> the low 24 bits of their redacted form
        self.low24_fixed: dict[int, int] = {}
        self._by_oui: dict[int, SlotAllocator] = {}
        self._low24: SlotAllocator | None = None
        self.cache: dict[int, int] = {}

    def add(self, value: int) -> None:
        if is_kept_mac(value):
            return
        if value >> 24 == SOLICITED_MAC >> 24:
            self.low24_originals.add(value & 0xFFFFFF)
        else:
            self.originals.add(value)

    def _alloc(self, oui: int) -> SlotAllocator:
        alloc = self._by_oui.get(oui)
        if alloc is None:
            avoid = [(v & 0xFFFFFF, (v & 0xFFFFFF) + 1) for v in self.originals if v >> 24 == oui]
            alloc = SlotAllocator(self.key, f"mac-{oui:06x}", 0, 24, avoid)
            self._by_oui[oui] = alloc
        return alloc

    def map(self, value: int) -> int:
        if is_kept_mac(value):
            return value
        got = self.cache.get(value)
        if got is not None:
            return got
        if value >> 24 == SOLICITED_MAC >> 24:
            out = SOLICITED_MAC | self.map_low24(value & 0xFFFFFF)
        else:
            oui = value >> 24
            nic = self._alloc(oui).place(f"{value:012x}", 0)
            out = (oui << 24) | (nic if nic is not None else value & 0xFFFFFF)
        self.cache[value] = out
        return out

    def map_low24(self, low: int) -> int:
        """Low 24 bits of an IPv6 address, as in its solicited-node group and 33:33:ff MAC."""
        got = self.low24_fixed.get(low)
        if got is not None:
            return got
        if self._low24 is None:
            avoid = [(v, v + 1) for v in self.low24_originals | set(self.low24_fixed)]
            self._low24 = SlotAllocator(self.key, "low24", 0, 24, avoid)
        placed = self._low24.place(f"{low:06x}", 0)
        out = low if placed is None else placed
        self.low24_fixed[low] = out
        return out

    def mapping(self) -> dict[str, str]:
        return {
            format_mac(k, ":", False): format_mac(v, ":", False)
            for k, v in self.cache.items()
            if k != v
        }
