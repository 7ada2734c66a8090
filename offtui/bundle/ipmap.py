"""IP address redaction that keeps what diagnosis needs.

Each address keeps its family and its class: private stays in its own RFC 1918 range, CGNAT
(100.64/10) stays CGNAT, link-local stays link-local, ULA stays ULA, loopback, multicast and the
unspecified address stay as they are (they name no one). Public addresses go to pools that no
real network uses: IPv4 ``244.0.0.0/6`` (inside the reserved 240/4) and IPv6 ``3fff::/20``
(RFC 9637, documentation). ``sos clean`` uses 100.64/10, which routers use for CGNAT: never here.

Subnets survive: addresses move in **blocks** — the /24 (IPv4) or /64 (IPv6) around them, or a
larger prefix the capture itself names (``ip addr``, routes, UCI, nft sets) — and keep their
offset inside the block, so ``192.168.1.10`` and ``192.168.1.20`` still share a /24 and the
router's ``.1`` is still ``.1``. A block never lands on a block the capture holds, so no
redacted address equals a real one. IPv6 interface ids are mapped on their own: small ones
(``::1``) stay, EUI-64 ones follow the MAC table (so ``fe80::…ff:fe…`` matches its MAC), others
get a keyed random id.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from offtui.bundle.keyed import SlotAllocator, keyed_int
from offtui.bundle.macmap import MacMapper

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

V4_PUBLIC_POOL = IPv4Network("244.0.0.0/6")
V6_PUBLIC_POOL = IPv6Network("3fff::/20")


@dataclass(frozen=True, slots=True)
class AddrClass:
    name: str  # what diagnosis sees: "private", "cgnat", "link-local", "ula", "public", ...
    range: Network | None  # where originals of the class live; None: "everything else"
    pool: Network | None  # where redacted ones go; None: the class is kept as it is
    minlen: int  # shortest prefix the capture may name that still moves as one block


_V4_MAPPED = (
    AddrClass("private", IPv4Network("10.0.0.0/8"), IPv4Network("10.0.0.0/8"), 16),
    AddrClass("private", IPv4Network("172.16.0.0/12"), IPv4Network("172.16.0.0/12"), 16),
    AddrClass("private", IPv4Network("192.168.0.0/16"), IPv4Network("192.168.0.0/16"), 20),
    AddrClass("cgnat", IPv4Network("100.64.0.0/10"), IPv4Network("100.64.0.0/10"), 16),
    AddrClass("link-local", IPv4Network("169.254.0.0/16"), IPv4Network("169.254.0.0/16"), 20),
)
_V4_KEPT = (
    ("unspecified", IPv4Network("0.0.0.0/8")),
    ("loopback", IPv4Network("127.0.0.0/8")),
    ("multicast", IPv4Network("224.0.0.0/4")),
    # documentation, benchmarking (also "fake-ip" DNS proxies), 6to4 relay, IETF: not real hosts
    ("documentation", IPv4Network("192.0.2.0/24")),
    ("documentation", IPv4Network("198.51.100.0/24")),
    ("documentation", IPv4Network("203.0.113.0/24")),
    ("benchmark", IPv4Network("198.18.0.0/15")),
    ("special", IPv4Network("192.0.0.0/24")),
    ("special", IPv4Network("192.88.99.0/24")),
)
_V4_PUBLIC = AddrClass("public", None, V4_PUBLIC_POOL, 16)

_V6_MAPPED = (
    AddrClass("ula", IPv6Network("fd00::/8"), IPv6Network("fd00::/8"), 32),
    AddrClass("ula", IPv6Network("fc00::/8"), IPv6Network("fc00::/8"), 32),
    AddrClass("site-local", IPv6Network("fec0::/10"), IPv6Network("fec0::/10"), 32),
)
_V6_PUBLIC = AddrClass("public", None, V6_PUBLIC_POOL, 32)
_V6_LINK_LOCAL = IPv6Network("fe80::/10")
_V6_MULTICAST = IPv6Network("ff00::/8")
_V6_SOLICITED = IPv6Network("ff02::1:ff00:0/104")
_V6_V4MAPPED = IPv6Network("::ffff:0:0/96")
_V6_NAT64 = IPv6Network("64:ff9b::/96")
_V6_KEPT = (
    ("documentation", IPv6Network("2001:db8::/32")),
    ("special", IPv6Network("::/8")),  # ::, ::1, v4-compatible; v4-mapped is handled first
)


def is_netmask(a: IPv4Address) -> bool:
    """True for 255.255.255.0 and friends (they sit in 240/4 and must never be mapped)."""
    inv = (~int(a)) & 0xFFFFFFFF
    return int(a) >= 0xF0000000 and (inv & (inv + 1)) == 0


def address_class(addr: str | Address) -> str:
    """The class of an address, the same before and after redaction.

    Rules that ask "public or private?" should use this: a redacted public address lives in
    a reserved pool that :mod:`ipaddress` would call private.
    """
    a = ipaddress.ip_address(addr) if isinstance(addr, str) else addr
    if isinstance(a, IPv4Address):
        if a == IPv4Address("255.255.255.255"):
            return "broadcast"
        if is_netmask(a):
            return "netmask"
        for name, net in _V4_KEPT:
            if a in net:
                return name
        for c in _V4_MAPPED:
            if c.range is not None and a in c.range:
                return c.name
        return "public"
    if a == IPv6Address("::"):
        return "unspecified"
    if a == IPv6Address("::1"):
        return "loopback"
    if a in _V6_V4MAPPED or a in _V6_NAT64:
        return address_class(IPv4Address(int(a) & 0xFFFFFFFF))
    if a in _V6_MULTICAST:
        return "multicast"
    if a in _V6_LINK_LOCAL:
        return "link-local"
    for name, net in _V6_KEPT:
        if a in net:
            return name
    for c in _V6_MAPPED:
        if c.range is not None and a in c.range:
            return c.name
    return "public"


_CLASS_CACHE: dict[Address, AddrClass | None] = {}


def _mapped_class(a: Address) -> AddrClass | None:
    """The class an address moves in, or None when it stays (or is handled specially)."""
    try:
        return _CLASS_CACHE[a]
    except KeyError:
        pass
    if len(_CLASS_CACHE) > 200_000:
        _CLASS_CACHE.clear()
    c = _CLASS_CACHE[a] = _mapped_class_uncached(a)
    return c


def _mapped_class_uncached(a: Address) -> AddrClass | None:
    if isinstance(a, IPv4Address):
        if a == IPv4Address("255.255.255.255") or is_netmask(a):
            return None
        if any(a in net for _, net in _V4_KEPT):
            return None
        for c in _V4_MAPPED:
            if a in c.range:  # type: ignore[operator]
                return c
        return _V4_PUBLIC
    if a in _V6_V4MAPPED or a in _V6_NAT64 or a in _V6_MULTICAST or a in _V6_LINK_LOCAL:
        return None
    if any(a in net for _, net in _V6_KEPT):
        return None
    for c in _V6_MAPPED:
        if a in c.range:  # type: ignore[operator]
            return c
    return _V6_PUBLIC


def _unit(a: Address) -> Network:
    if a.version == 4:
        return IPv4Network((int(a) >> 8 << 8, 24))
    return IPv6Network((int(a) >> 64 << 64, 64))


def _is_eui64(iid: int) -> bool:
    return (iid >> 24) & 0xFFFF == 0xFFFE


def _iid_reject(iid: int) -> bool:
    return iid < 0x10000 or _is_eui64(iid)


class IpMapper:
    """Collect every address and prefix of a capture, then map them consistently."""

    def __init__(self, key: bytes, macs: MacMapper) -> None:
        self.key = key
        self.macs = macs
        self.addresses: set[Address] = set()
        self.known: set[Network] = set()  # prefixes the capture names (within minlen..unit)
        self.short_nets: set[Address] = set()  # network addresses of prefixes kept as they are
        self.iids: set[int] = set()
        self._block_of: dict[Network, Network] = {}
        self._image: dict[Network, int] = {}
        self._alloc: dict[AddrClass, SlotAllocator] = {}
        self._iid_alloc: SlotAllocator | None = None
        self._iid_cache: dict[int, int] = {}
        self.cache: dict[Address, Address] = {}
        self.built = False
        self._known_keys: set[tuple[int, int, int]] | None = None

    # ------------------------------------------------------------------ collecting

    def add(self, a: Address) -> None:
        if isinstance(a, IPv6Address):
            if a in _V6_V4MAPPED or a in _V6_NAT64:
                self.add(IPv4Address(int(a) & 0xFFFFFFFF))
                return
            if a in _V6_SOLICITED:
                self.macs.low24_originals.add(int(a) & 0xFFFFFF)
                return
            if a in _V6_LINK_LOCAL or _mapped_class(a) is not None:
                iid = int(a) & ((1 << 64) - 1)
                self.iids.add(iid)
                if _is_eui64(iid):
                    self.macs.add(_eui64_to_mac(iid))
        self.addresses.add(a)

    def add_prefix(self, net: Network) -> None:
        """A prefix the capture names: its members keep their relation to it."""
        c = _mapped_class(net.network_address)
        if c is None:
            return
        unit = 24 if net.version == 4 else 64
        if net.prefixlen < c.minlen:
            self.short_nets.add(net.network_address)
        elif net.prefixlen <= unit:
            self.known.add(net)
        self.add(net.network_address)

    # ------------------------------------------------------------------ building

    def build(self) -> None:
        units: dict[AddrClass, set[Network]] = {}
        for a in self.addresses:
            c = _mapped_class(a)
            if c is not None and a not in self.short_nets:
                units.setdefault(c, set()).add(_unit(a))
        for net in self.known:
            c = _mapped_class(net.network_address)
            if c is not None:
                units.setdefault(c, set()).add(net)
        for c, us in sorted(units.items(), key=lambda kv: (kv[0].name, str(kv[0].range))):
            blocks = {u: self._largest_known(u, c) for u in us}
            distinct = set(blocks.values())
            avoid = [(int(b.network_address), int(b.broadcast_address) + 1) for b in distinct]
            pool = c.pool
            assert pool is not None
            alloc = SlotAllocator(
                self.key,
                f"{c.name}-{pool}",
                int(pool.network_address),
                pool.max_prefixlen - pool.prefixlen,
                avoid,
            )
            self._alloc[c] = alloc
            order = sorted(
                distinct, key=lambda b: (b.prefixlen, keyed_int(self.key, "order", str(b)))
            )
            for b in order:
                self._place(alloc, b)
            self._block_of.update(blocks)
        iid_avoid = [(i, i + 1) for i in self.iids if not _iid_reject(i)]
        self._iid_alloc = SlotAllocator(self.key, "iid", 0, 64, iid_avoid, reject=_iid_reject)
        # IPv6 solicited-node groups follow the addresses they are derived from.
        for iid in sorted(self.iids):
            self.macs.low24_fixed.setdefault(iid & 0xFFFFFF, self.map_iid(iid) & 0xFFFFFF)
        self.built = True

    def _largest_known(self, u: Network, c: AddrClass) -> Network:
        if not self.known:
            return u
        if self._known_keys is None or len(self._known_keys) != len(self.known):
            self._known_keys = {
                (n.version, int(n.network_address), n.prefixlen) for n in self.known
            }
        base, top = int(u.network_address), u.max_prefixlen
        for length in range(c.minlen, u.prefixlen):
            net = base >> (top - length) << (top - length)
            if (u.version, net, length) in self._known_keys:
                return ipaddress.ip_network((net, length))
        return u

    def _place(self, alloc: SlotAllocator, b: Network) -> None:
        start = alloc.place(str(b), b.max_prefixlen - b.prefixlen)
        self._image[b] = int(b.network_address) if start is None else start

    # ------------------------------------------------------------------ mapping

    def map_iid(self, iid: int) -> int:
        if iid < 0x10000:
            return iid
        got = self._iid_cache.get(iid)
        if got is not None:
            return got
        if _is_eui64(iid):
            out = _mac_to_eui64(self.macs.map(_eui64_to_mac(iid)))
        else:
            if self._iid_alloc is None:
                self._iid_alloc = SlotAllocator(self.key, "iid", 0, 64, reject=_iid_reject)
            placed = self._iid_alloc.place(f"{iid:016x}", 0)
            out = iid if placed is None else placed
        self._iid_cache[iid] = out
        return out

    def map(self, a: Address) -> Address:
        got = self.cache.get(a)
        if got is None:
            got = self._map(a)
            self.cache[a] = got
        return got

    def _map(self, a: Address) -> Address:
        if a in self.short_nets:
            return a
        if isinstance(a, IPv6Address):
            if a in _V6_V4MAPPED or a in _V6_NAT64:
                v4 = self.map(IPv4Address(int(a) & 0xFFFFFFFF))
                return IPv6Address((int(a) & ~0xFFFFFFFF) | int(v4))
            if a in _V6_SOLICITED:
                return IPv6Address((int(a) & ~0xFFFFFF) | self.macs.map_low24(int(a) & 0xFFFFFF))
            if a in _V6_LINK_LOCAL:
                return IPv6Address((int(a) >> 64 << 64) | self.map_iid(int(a) & ((1 << 64) - 1)))
        c = _mapped_class(a)
        if c is None:
            return a
        u = _unit(a)
        b = self._block_of.get(u)
        if b is None:  # seen only now: place it after the collected ones
            b = self._largest_known(u, c)
            self._block_of[u] = b
            if b not in self._image:
                alloc = self._alloc.get(c)
                if alloc is None:
                    pool = c.pool
                    assert pool is not None
                    alloc = SlotAllocator(
                        self.key,
                        f"{c.name}-{pool}",
                        int(pool.network_address),
                        pool.max_prefixlen - pool.prefixlen,
                    )
                    self._alloc[c] = alloc
                self._place(alloc, b)
        value = self._image[b] + (int(a) - int(b.network_address))
        if isinstance(a, IPv6Address):
            value = (value >> 64 << 64) | self.map_iid(int(a) & ((1 << 64) - 1))
            return IPv6Address(value)
        return IPv4Address(value)

    def map_network(self, net: Network) -> Network:
        """The image of a prefix: exact for every prefix up to /24 (IPv4) or /64 (IPv6).

        Prefixes shorter than their class's block size (``10.0.0.0/8``, a geo-IP /12) name
        large ranges, not someone's network: they stay as they are.
        """
        if net.network_address in self.short_nets:
            return net
        return ipaddress.ip_network(
            f"{self.map(net.network_address)}/{net.prefixlen}", strict=False
        )

    @property
    def crowded(self) -> int:
        return sum(a.crowded for a in self._alloc.values())

    def mapping(self) -> dict[str, str]:
        items = sorted(self.cache.items(), key=lambda kv: (kv[0].version, kv[0]))
        return {str(k): str(v) for k, v in items if k != v}


def _eui64_to_mac(iid: int) -> int:
    b = iid.to_bytes(8, "big")
    return int.from_bytes(bytes([b[0] ^ 0x02, b[1], b[2], b[5], b[6], b[7]]), "big")


def _mac_to_eui64(mac: int) -> int:
    b = mac.to_bytes(6, "big")
    return int.from_bytes(bytes([b[0] ^ 0x02, b[1], b[2], 0xFF, 0xFE, b[3], b[4], b[5]]), "big")
