"""Redaction of a whole capture with one mapping shared by every file.

Two passes: :meth:`Redactor.scan` reads every file and records each address, prefix, MAC and
secret value; :meth:`Redactor.finish` builds the tables (a random key per bundle, never
stored); :meth:`Redactor.redact` rewrites each file. Because the tables are built from the
whole capture first, the same address becomes the same redacted address in conntrack, PPE
entries, nft sets, UCI and logs, and a subnet the capture names anywhere keeps its members.

What each file format holds and how it is treated is described in ``docs/bundles.md``.
"""

from __future__ import annotations

import bisect
import gzip
import io
import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from offtui.bundle import formats
from offtui.bundle.ipmap import V4_PUBLIC_POOL, V6_PUBLIC_POOL, IpMapper
from offtui.bundle.macmap import MacMapper
from offtui.bundle.textscan import AddressScanner, Edit
from offtui.bundle.values import ValueTokens

#: Files whose whole text is structured output: known secret values are replaced there only
#: inside free-text fields (nft comments), never in counters, names or keywords.
STRUCTURED_PREFIXES = (
    "proc/net/",
    "proc/stat",
    "proc/softirqs",
    "proc/interrupts",
    "proc/modules",
    "proc/uptime",
    "proc/sys/net/",
    "sys/",
    "samples/",
    "commands/conntrack_",
    "netlink/",
    "commands/nft_",
    "commands/ip_",
    "commands/tc_",
    "commands/lsmod",
    "etc/os-release",
    "etc/openwrt_release",
)

#: Documents offtui writes from the (already redacted) capture.
GENERATED = ("findings.json", "report.md")

#: Largest decompressed size of one gzip member of a capture (``proc/config.gz``).
MAX_GZ_BYTES = 64 * 1024 * 1024


def is_structured(name: str) -> bool:
    return name.startswith(STRUCTURED_PREFIXES)


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _gunzip(data: bytes) -> bytes | None:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
            out = f.read(MAX_GZ_BYTES + 1)
    except (OSError, EOFError):
        return None
    return out if len(out) <= MAX_GZ_BYTES else None


def merge_edits(groups: list[list[Edit]]) -> list[Edit]:
    """Edits by priority (earlier groups win); an edit overlapping an accepted one is dropped."""
    starts: list[int] = []
    ends: list[int] = []
    accepted: list[Edit] = []
    for group in groups:
        for s, e, r in group:
            i = bisect.bisect_right(starts, s) - 1
            if i >= 0 and ends[i] > s:
                continue
            if i + 1 < len(starts) and starts[i + 1] < e:
                continue
            starts.insert(i + 1, s)
            ends.insert(i + 1, e)
            accepted.insert(i + 1, (s, e, r))
    return accepted


def apply_edits(text: str, edits: list[Edit]) -> str:
    out: list[str] = []
    pos = 0
    for s, e, r in edits:
        out.append(text[pos:s])
        out.append(r)
        pos = e
    out.append(text[pos:])
    return "".join(out)


class Redactor:
    """One bundle's redaction: scan every file, finish, then redact every file."""

    def __init__(self, key: bytes | None = None) -> None:
        self.key = key if key is not None else secrets.token_bytes(32)
        self.macs = MacMapper(self.key)
        self.ips = IpMapper(self.key, self.macs)
        self.addresses = AddressScanner(self.ips, self.macs)
        self.values = ValueTokens()
        self.finished = False
        self.files = 0

    # ------------------------------------------------------------------ pass 1

    def scan(self, name: str, text: str) -> None:
        self.files += 1
        self.addresses.collect(text)
        formats.scan_common(name, text, self.values, self.ips)
        if name.startswith("etc/config/"):
            formats.scan_uci(text, name.rsplit("/", 1)[1], self.values, self.ips)

    def scan_bytes(self, name: str, data: bytes) -> None:
        if name.endswith(".gz") or data[:2] == b"\x1f\x8b":
            plain = _gunzip(data)
            if plain is not None:
                data = plain
        self.scan(name, _decode(data))

    def scan_manifest(self, manifest: dict) -> None:
        host = manifest.get("host")
        if isinstance(host, str):
            self.values.add("host", host)
        self.scan("manifest.json", json.dumps(manifest))

    def finish(self) -> None:
        self.ips.build()
        self.addresses.finish()
        self.values.finish()
        self.finished = True

    # ------------------------------------------------------------------ pass 2

    def redact(self, name: str, text: str) -> str:
        assert self.finished, "finish() before redact()"
        first = formats.common_edits(name, text, self.values)
        if name.startswith("etc/config/"):
            first += formats.uci_edits(text, name.rsplit("/", 1)[1], self.values)
        addr = self.addresses.edits(text)
        if is_structured(name):
            vals = [
                e
                for s, t in formats.comment_spans(name, text)
                for e in self.values.edits(text, s, t)
            ]
        else:
            vals = self.values.edits(text)
        return apply_edits(text, merge_edits([first, addr, vals]))

    def redact_bytes(self, name: str, data: bytes) -> bytes:
        if name.endswith(".gz") or data[:2] == b"\x1f\x8b":
            plain = _gunzip(data)
            if plain is None:
                # cannot read it, so cannot clean it: an empty file says "was here"
                return b""
            return gzip.compress(_encode(self.redact(name, _decode(plain))), mtime=0)
        return _encode(self.redact(name, _decode(data)))

    def redact_manifest(self, manifest: dict) -> dict:
        """Every string of the manifest redacted; the host becomes its token."""

        def walk(v: object, key: str = "") -> object:
            if isinstance(v, str):
                if key == "host":
                    return self.values.add("host", v) or v
                return self.redact("manifest.json", v)
            if isinstance(v, list):
                return [walk(x) for x in v]
            if isinstance(v, dict):
                return {k: walk(x, k) for k, x in v.items()}
            return v

        out = walk(manifest)
        assert isinstance(out, dict)
        return out

    # ------------------------------------------------------------------ results

    def leaks(self, name: str, data: bytes) -> list[str]:
        """Original addresses and MACs, and values replaced everywhere, still in a file.

        Values count only where the redaction replaces them: the whole of an unstructured
        file, the comments of a structured one.
        """
        if name.endswith(".gz") or data[:2] == b"\x1f\x8b":
            data = _gunzip(data) or b""
        text = _decode(data)
        found = self.addresses.originals_in(text)
        if name in GENERATED:
            pass  # prose written by offtui from the redacted capture: values are words there
        elif is_structured(name):
            for s, e in formats.comment_spans(name, text):
                found += self.values.originals_in(text[s:e])
        else:
            found += self.values.originals_in(text)
        return found

    def mapping(self) -> dict:
        """The whole original -> redacted table (for ``--keep-map``; never put in a bundle)."""
        return {
            "addresses": self.ips.mapping(),
            "macs": self.macs.mapping(),
            "values": self.values.mapping(),
        }

    def summary(self) -> dict:
        """What the manifest says about the redaction (counts and pools, no values)."""
        return {
            "addresses": sum(1 for k, v in self.ips.cache.items() if k != v),
            "macs": sum(1 for k, v in self.macs.cache.items() if k != v),
            "values": {k: n for k, n in self.values.counts.items() if n},
            "public_pools": [str(V4_PUBLIC_POOL), str(V6_PUBLIC_POOL)],
            "kept": "class of every address (private, CGNAT, link-local, ULA, public), "
            "subnets, MAC vendor (OUI), interface names",
            "crowded_blocks": self.ips.crowded,
        }


def capture_files(root: Path) -> list[str]:
    """Regular files of a capture directory, as capture paths, sorted (links are skipped)."""
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for f in filenames:
            p = Path(dirpath, f)
            if p.is_symlink() or not p.is_file():
                continue
            out.append(p.relative_to(root).as_posix())
    return sorted(out)


def redact_tree(
    src: Path,
    dst: Path,
    names: list[str],
    redactor: Redactor,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Scan then redact ``names`` (capture paths) from ``src`` into ``dst``."""
    for n in names:
        if progress:
            progress(f"reading {n}")
        redactor.scan_bytes(n, (src / n).read_bytes())
    redactor.finish()
    for n in names:
        if progress:
            progress(f"redacting {n}")
        out = dst / n
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(redactor.redact_bytes(n, (src / n).read_bytes()))
