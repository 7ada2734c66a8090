"""Find IP addresses, prefixes and MACs in any text, in every spelling a tool prints.

Spellings handled: dotted IPv4, ``a.b.c.d:port`` (PPE entries, logs), IPv6 compressed or in
the full zero-padded form of ``%pI6`` (PPE entries, where the port follows the eighth group:
``…:0a07:443``), ``%zone``, ``/len`` prefixes, ``[v6]:port``, IPv4-mapped tails, MACs with
``:``, ``-`` or Cisco dots, and bare 12-digit MACs the capture spells elsewhere with
separators. A redacted address keeps its spelling (full form stays full, upper case stays
upper case) so every parser reads the redacted file as it read the original.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address

from offtui.bundle.ipmap import IpMapper
from offtui.bundle.macmap import MAC_DASH, MacMapper, format_mac, is_kept_mac, parse_mac

Edit = tuple[int, int, str]

_CAND = re.compile(
    r"(?<![\w.:%])(?=[0-9A-Fa-f]*[.:])(?P<body>[0-9A-Fa-f:.]++)"
    r"(?P<zone>%[\w.-]+)?(?P<len>/\d{1,3}(?!\d))?"
)
_WORDISH = re.compile(r"[G-Zg-z_]")


class _Piece:
    """One address (with an optional port) or MAC inside a candidate."""

    __slots__ = ("kind", "mac", "port", "text", "value")

    def __init__(self, kind: str, text: str, value: object, port: str = "", mac: str = "") -> None:
        self.kind = kind  # "ip" or "mac"
        self.text = text
        self.value = value
        self.port = port
        self.mac = mac  # MAC style


def _parse_body(body: str) -> _Piece | None:
    try:
        return _Piece("ip", body, ipaddress.ip_address(body))
    except ValueError:
        pass
    mac = parse_mac(body)
    if mac is not None:
        return _Piece("mac", body, mac[0], mac=mac[1])
    head, sep, port = body.rpartition(":")
    if sep and port.isdigit() and len(port) <= 5:
        if head.count(".") == 3 and ":" not in head:
            try:
                return _Piece("ip", head, IPv4Address(head), port=port)
            except ValueError:
                return None
        groups = head.split(":")
        if len(groups) == 8 and all(len(g) == 4 for g in groups):
            try:
                return _Piece("ip", head, IPv6Address(head), port=port)
            except ValueError:
                return None
    return None


def render_ip(orig_text: str, new: IPv4Address | IPv6Address) -> str:
    """``new`` in the spelling of ``orig_text``."""
    if isinstance(new, IPv4Address):
        return str(new)
    if "." in orig_text:
        if new.ipv4_mapped is not None:
            out = str(new)
        else:
            n = int(new)
            groups = [f"{(n >> (112 - 16 * i)) & 0xFFFF:x}" for i in range(6)]
            out = ":".join(groups) + ":" + str(IPv4Address(n & 0xFFFFFFFF))
    elif (
        "::" not in orig_text
        and orig_text.count(":") == 7
        and all(len(g) == 4 for g in orig_text.split(":"))
    ):
        out = new.exploded
    else:
        out = new.compressed
    if any(c.isupper() for c in orig_text) and not any(
        c.islower() for c in orig_text if c.isalpha()
    ):
        out = out.upper()
    return out


class AddressScanner:
    """Collects then rewrites the addresses and MACs of texts, through shared mappers."""

    def __init__(self, ips: IpMapper, macs: MacMapper) -> None:
        self.ips = ips
        self.macs = macs
        self._bare: re.Pattern[str] | None = None
        # a capture repeats the same strings (one host in thousands of flows): parse once
        self._parsed: dict[str, _Piece | None] = {}
        self._new: dict[tuple[str, str], str | None] = {}

    def _parse(self, body: str) -> _Piece | None:
        try:
            return self._parsed[body]
        except KeyError:
            piece = self._parsed[body] = _parse_body(body)
            return piece

    # ------------------------------------------------------------------ walking

    def _walk(self, text: str, on: Callable[[re.Match[str], _Piece, str], None]) -> None:
        for m in _CAND.finditer(text):
            end = m.end()
            if end < len(text) and _WORDISH.match(text, end):
                continue
            body = m["body"]
            piece = self._parse(body)
            tail = ""
            while piece is None and body and body[-1] in ".:" and not body.endswith("::"):
                tail = body[-1] + tail
                body = body[:-1]
                piece = self._parse(body)
            if piece is None:
                continue
            if tail and (m["zone"] or m["len"]):
                continue  # "1.2.3.4./24" is no address
            on(m, piece, tail)
        for m in MAC_DASH.finditer(text):
            parsed = parse_mac(m.group(0))
            if parsed is not None:
                on(m, _Piece("mac", m.group(0), parsed[0], mac="-"), "")

    # ------------------------------------------------------------------ collecting

    def collect(self, text: str) -> None:
        def on(m: re.Match[str], p: _Piece, tail: str) -> None:
            if p.kind == "mac":
                self.macs.add(p.value)  # type: ignore[arg-type]
                return
            a = p.value
            self.ips.add(a)  # type: ignore[arg-type]
            plen = m.groupdict().get("len")
            if plen and not p.port:
                n = int(plen[1:])
                if n <= a.max_prefixlen:  # type: ignore[attr-defined]
                    self.ips.add_prefix(ipaddress.ip_network(f"{a}/{n}", strict=False))

        self._walk(text, on)

    def finish(self) -> None:
        """Build the regex for bare 12-digit spellings of the MACs seen with separators."""
        bare = sorted({f"{v:012x}" for v in self.macs.originals if not is_kept_mac(v)})
        self._bare = (
            re.compile(r"(?<![0-9A-Za-z])(?:" + "|".join(bare) + r")(?![0-9A-Za-z])", re.IGNORECASE)
            if bare
            else None
        )

    # ------------------------------------------------------------------ rewriting

    def edits(self, text: str) -> list[Edit]:
        out: list[Edit] = []

        def on(m: re.Match[str], p: _Piece, tail: str) -> None:
            if p.kind == "mac":
                upper = p.text.upper() == p.text and p.text.lower() != p.text
                new = format_mac(self.macs.map(p.value), p.mac, upper)  # type: ignore[arg-type]
                out.append((m.start(), m.start() + len(p.text), new))
                return
            plen = m["len"] or ""
            key = (p.text, "" if p.port else plen)
            try:
                new = self._new[key]
            except KeyError:
                new = self._new[key] = self._render(p, key[1])
            if new is not None:
                start = m.start("body")
                out.append((start, start + len(p.text), new))

        self._walk(text, on)
        if self._bare is not None:
            for m in self._bare.finditer(text):
                v = int(m.group(0), 16)
                upper = m.group(0).upper() == m.group(0) and any(c.isalpha() for c in m.group(0))
                out.append((m.start(), m.end(), format_mac(self.macs.map(v), "", upper)))
        return out

    def _render(self, p: _Piece, plen: str) -> str | None:
        """The redacted spelling of an address (None when it stays as it is)."""
        a = p.value
        if plen and int(plen[1:]) <= a.max_prefixlen:  # type: ignore[attr-defined]
            net = ipaddress.ip_network(f"{a}/{plen[1:]}", strict=False)
            if net.network_address == a:
                new_a = self.ips.map_network(net).network_address
            else:
                new_a = self.ips.map(a)  # type: ignore[arg-type]
        else:
            new_a = self.ips.map(a)  # type: ignore[arg-type]
        return None if new_a == a else render_ip(p.text, new_a)

    def originals_in(self, text: str) -> list[str]:
        """Addresses and MACs of ``text`` that are originals the redaction had to replace."""
        found: list[str] = []

        def on(m: re.Match[str], p: _Piece, tail: str) -> None:
            if p.kind == "mac":
                if p.value in self.macs.originals:
                    found.append(p.text)
            elif p.value in self.ips.cache and self.ips.cache[p.value] != p.value:  # type: ignore[index]
                found.append(p.text)

        self._walk(text, on)
        if self._bare is not None:
            found += [m.group(0) for m in self._bare.finditer(text)]
        return found
