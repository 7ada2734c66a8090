"""Keyed, injective placement of values in a pool: the core of consistent redaction.

Every redacted value (an address block, a MAC's device part, an IPv6 interface id) gets a
slot chosen by a keyed hash and linear probing. The key is random per bundle and never
stored, so a token cannot be turned back into the original without the user's map file.
Probing skips the slots that the *original* values occupy: a redacted address never equals
an address of the original capture, so grepping a bundle for a real address finds nothing.
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
from collections.abc import Callable

#: Probes before giving up on avoiding the originals (a nearly full pool).
MAX_PROBES = 1 << 16


def keyed_int(key: bytes, label: str, ident: str) -> int:
    """A 128-bit keyed hash of ``ident`` in the name space ``label``."""
    mac = hmac.new(key, f"{label}\0{ident}".encode(), hashlib.sha256).digest()
    return int.from_bytes(mac[:16], "big")


class _Intervals:
    """Disjoint half-open integer intervals, sorted, with an overlap test."""

    def __init__(self, items: list[tuple[int, int]] | None = None) -> None:
        merged: list[tuple[int, int]] = []
        for s, e in sorted(items or []):
            if merged and s < merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            else:
                merged.append((s, e))
        self.starts = [s for s, _ in merged]
        self.ends = [e for _, e in merged]

    def overlaps(self, s: int, e: int) -> bool:
        i = bisect.bisect_right(self.starts, s) - 1
        if i >= 0 and self.ends[i] > s:
            return True
        j = i + 1
        return j < len(self.starts) and self.starts[j] < e

    def add(self, s: int, e: int) -> None:
        i = bisect.bisect_left(self.starts, s)
        self.starts.insert(i, s)
        self.ends.insert(i, e)


class SlotAllocator:
    """Places blocks of ``2**size_bits`` values in ``[base, base + 2**pool_bits)``.

    A block never overlaps another placed block; it avoids ``avoid`` (the originals) unless
    the pool has no room left, in which case ``place`` reports it through ``crowded``.
    """

    def __init__(
        self,
        key: bytes,
        label: str,
        base: int,
        pool_bits: int,
        avoid: list[tuple[int, int]] | None = None,
        reject: Callable[[int], bool] | None = None,
    ) -> None:
        self.key = key
        self.label = label
        self.base = base
        self.pool_bits = pool_bits
        self.avoid = _Intervals(avoid)
        self.used = _Intervals()
        self.reject = reject
        self.crowded = 0  # blocks placed over an original because the pool was full

    def place(self, ident: str, size_bits: int) -> int | None:
        """The start of a free block for ``ident`` (deterministic for one key and history)."""
        nslots = 1 << (self.pool_bits - size_bits)
        start = keyed_int(self.key, self.label, ident) % nslots
        for avoid_originals in (True, False):
            for k in range(min(nslots, MAX_PROBES)):
                s = self.base + (((start + k) % nslots) << size_bits)
                e = s + (1 << size_bits)
                if self.used.overlaps(s, e):
                    continue
                if avoid_originals and self.avoid.overlaps(s, e):
                    continue
                if self.reject is not None and self.reject(s):
                    continue
                self.used.add(s, e)
                if not avoid_originals:
                    self.crowded += 1
                return s
        return None
