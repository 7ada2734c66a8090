"""Live check: build a topology in a fresh network namespace, parse what iproute2 prints.

The JSON and text parsers must agree with each other and with the topology that was
built (kinds, masters, lower devices, VLAN ids, qdiscs). Needs root; parts whose kernel
support is missing (8021q, wireguard, sch_fq_codel, sch_cake) skip with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator

import pytest

from offtui.parsers.iplink import parse_ip_link_json, parse_ip_link_text
from offtui.parsers.tc import parse_tc_json, parse_tc_text

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to create network namespaces"),
    pytest.mark.skipif(
        shutil.which("ip") is None or shutil.which("tc") is None, reason="needs iproute2"
    ),
]


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=check, timeout=30)


class Netns:
    def __init__(self, name: str, peer: str) -> None:
        self.name = name
        self.peer = peer  # a second namespace, for a veth whose peer lives elsewhere

    def ip(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run("ip", "-n", self.name, *args, check=check)

    def tc(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run("tc", "-n", self.name, *args, check=check)

    def links(self) -> tuple[dict, dict]:
        j = parse_ip_link_json(self.ip("-j", "-d", "link", "show").stdout)
        t = parse_ip_link_text(self.ip("-d", "link", "show").stdout)
        assert j.ok, j.unparsed
        assert t.ok, t.unparsed
        assert j.value == t.value  # both parsers see the same topology
        return j.value, t.value


@pytest.fixture
def netns() -> Iterator[Netns]:
    names = [f"offtui-t-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    created = []
    try:
        for n in names:
            proc = run("ip", "netns", "add", n, check=False)
            if proc.returncode != 0:
                pytest.skip(f"cannot create a network namespace: {proc.stderr.strip()}")
            created.append(n)
        yield Netns(names[0], names[1])
    finally:
        for n in created:
            run("ip", "netns", "del", n, check=False)


def build_base(ns: Netns) -> None:
    ns.ip("link", "add", "wan", "type", "veth", "peer", "name", "wan-peer")
    ns.ip("link", "add", "lan1", "type", "veth", "peer", "name", "lan1-peer")
    ns.ip("link", "add", "lan2", "type", "veth", "peer", "name", "lan2-peer")
    ns.ip("link", "add", "br-lan", "type", "bridge")
    ns.ip("link", "set", "lan1", "master", "br-lan")
    ns.ip("link", "set", "lan2", "master", "br-lan")
    ns.ip("link", "add", "link", "wan", "name", "mv0", "type", "macvlan", "mode", "bridge")
    ns.ip("link", "add", "ext0", "type", "veth", "peer", "name", "ext0-peer", "netns", ns.peer)
    for dev in ("wan", "wan-peer", "lan1", "lan1-peer", "lan2", "br-lan", "mv0"):
        ns.ip("link", "set", dev, "up")


def test_bridge_veth_macvlan_topology(netns: Netns) -> None:
    build_base(netns)
    links, _ = netns.links()
    assert {n for n, v in links.items() if v.master == "br-lan"} == {"lan1", "lan2"}
    assert {n for n, v in links.items() if v.slave_kind == "bridge"} == {"lan1", "lan2"}
    assert links["br-lan"].kind == "bridge"
    assert (links["mv0"].kind, links["mv0"].link) == ("macvlan", "wan")
    assert (links["wan"].kind, links["wan"].link) == ("veth", "wan-peer")
    assert links["ext0"].link is not None and links["ext0"].link.startswith("if")
    assert links["lo"].link_type == "loopback"
    assert links["wan"].operstate == "UP" and "UP" in links["wan"].flags


def test_vlan_upper_device(netns: Netns) -> None:
    build_base(netns)
    proc = netns.ip(
        "link", "add", "link", "wan", "name", "wan.7", "type", "vlan", "id", "7", check=False
    )
    if proc.returncode != 0:
        pytest.skip(f"kernel cannot create a VLAN device (8021q): {proc.stderr.strip()}")
    links, _ = netns.links()
    assert (links["wan.7"].kind, links["wan.7"].link, links["wan.7"].vlan_id) == ("vlan", "wan", 7)


def test_wireguard_device(netns: Netns) -> None:
    proc = netns.ip("link", "add", "wg0", "type", "wireguard", check=False)
    if proc.returncode != 0:
        pytest.skip(f"kernel has no wireguard: {proc.stderr.strip()}")
    links, _ = netns.links()
    assert links["wg0"].kind == "wireguard" and links["wg0"].link_type == "none"


def qdisc_keys(ns: Netns) -> list[tuple[str, str, str | None, str | None]]:
    j = parse_tc_json(ns.tc("-j", "qdisc", "show").stdout)
    t = parse_tc_text(ns.tc("qdisc", "show").stdout)
    s = parse_tc_text(ns.tc("-s", "qdisc", "show").stdout)
    assert j.ok and t.ok and s.ok, (j.unparsed, t.unparsed, s.unparsed)
    keys = [(q.kind, q.dev, q.handle, q.parent) for q in j.value]
    assert keys == [(q.kind, q.dev, q.handle, q.parent) for q in t.value]
    assert keys == [(q.kind, q.dev, q.handle, q.parent) for q in s.value]
    return keys


def test_htb_ingress_clsact(netns: Netns) -> None:
    build_base(netns)
    netns.tc("qdisc", "add", "dev", "wan", "root", "handle", "1:", "htb", "default", "10")
    netns.tc(
        "class", "add", "dev", "wan", "parent", "1:", "classid", "1:10", "htb", "rate", "10mbit"
    )
    netns.tc("qdisc", "add", "dev", "wan", "parent", "1:10", "handle", "10:", "pfifo")
    netns.tc("qdisc", "add", "dev", "wan", "ingress")
    netns.tc("qdisc", "add", "dev", "lan1", "clsact")
    keys = qdisc_keys(netns)
    assert ("htb", "wan", "1:", "root") in keys
    assert ("pfifo", "wan", "10:", "1:10") in keys
    assert ("ingress", "wan", "ffff:", "ingress") in keys
    assert ("clsact", "lan1", "ffff:", "ingress") in keys


@pytest.mark.parametrize(
    ("kind", "args"),
    [("fq_codel", ["fq_codel"]), ("cake", ["cake", "bandwidth", "10mbit", "besteffort"])],
)
def test_fq_codel_and_cake(netns: Netns, kind: str, args: list[str]) -> None:
    build_base(netns)
    proc = netns.tc("qdisc", "replace", "dev", "wan", "root", *args, check=False)
    if proc.returncode != 0:
        pytest.skip(f"kernel has no sch_{kind}: {proc.stderr.strip()}")
    keys = qdisc_keys(netns)
    assert next(k for k in keys if k[1] == "wan" and k[3] == "root")[0] == kind
