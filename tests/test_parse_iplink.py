"""ip link parsers against this host's real ``ip -d link`` output and edited copies of it.

Counts were taken with grep on the capture bodies (lines after the ``# `` header).
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from offtui.model import Link
from offtui.parsers.iplink import parse_ip_link_json, parse_ip_link_text
from tests.capture_files import read_capture_file


def body(name: str) -> str:
    return read_capture_file(name).body


def test_host_json() -> None:
    res = parse_ip_link_json(body("host-ip-link-json.txt"))
    assert res.ok
    links = res.value
    # grep -o '"ifname":' | wc -l -> 12
    assert len(links) == 12
    assert links["lan1"].master == "br-lan" and links["lan1"].slave_kind == "bridge"
    assert links["lan2"].master == "br-lan"
    assert links["br-lan"].kind == "bridge" and links["br-lan"].master is None
    assert (links["mv0"].kind, links["mv0"].link) == ("macvlan", "wan")
    assert (links["wan"].kind, links["wan"].link) == ("veth", "wan-peer")  # veth: the peer
    assert links["ext0"].link == "if2"  # peer in another namespace: link_index 2
    assert (links["tun0"].kind, links["tun0"].link_type, links["tun0"].address) == (
        "tun",
        "none",
        None,
    )
    assert links["ifb4wan"].kind == "ifb" and links["ifb4wan"].operstate == "UNKNOWN"
    assert links["lo"].kind is None and links["lo"].link_type == "loopback"
    assert links["wan"].flags == ("BROADCAST", "MULTICAST", "UP", "LOWER_UP")
    assert links["wan"].mtu == 1500 and links["wan"].index == 3


def test_host_text_and_stats_text_match_json() -> None:
    j = parse_ip_link_json(body("host-ip-link-json.txt")).value
    t = parse_ip_link_text(body("host-ip-link-text.txt"))
    s = parse_ip_link_text(body("host-ip-link-stats-text.txt"))
    assert t.ok and s.ok
    # grep -cE '^[0-9]+: ' -> 12 in both text captures
    assert len(t.value) == len(s.value) == 12
    assert t.value == j
    assert s.value == j
    # grep -c '^    bridge_slave' -> 2 ; grep -cE '^    veth( |$)' -> 7
    assert sum(v.slave_kind == "bridge" for v in t.value.values()) == 2
    assert sum(v.kind == "veth" for v in t.value.values()) == 7


def block(name: str, ifname: str) -> list[str]:
    """The lines of one device's block in a text capture."""
    lines = body(name).splitlines()
    start = next(i for i, ln in enumerate(lines) if f": {ifname}" in ln.split("<")[0])
    end = next((i for i in range(start + 1, len(lines)) if not lines[i][0].isspace()), len(lines))
    return lines[start:end]


def test_vlan_dsa_and_ppp_text_shapes() -> None:
    mv0 = block("host-ip-link-text.txt", "mv0")
    tail = mv0[2].split("addrgenmode", 1)[1]
    # Copy of the real mv0 block; edits: name/lower and the kind line rewritten in
    # iplink_vlan.c's format ("protocol %s id %u " then "<REORDER_HDR> ").
    vlan = [
        mv0[0].replace("9: mv0@wan:", "9: wan.7@wan:"),
        mv0[1],
        "    vlan protocol 802.1Q id 7 <REORDER_HDR> addrgenmode" + tail,
    ]
    # Same copy as a DSA user port: iplink_dsa.c prints "conduit %s " (iproute2 >= 6.7);
    # older iproute2 printed "master %s ". The header carries no @lower here (edit) so
    # the kind line is the only source of the conduit.
    dsa_new = [
        mv0[0].replace("9: mv0@wan:", "10: lan3:"),
        mv0[1],
        "    dsa conduit eth0 addrgenmode" + tail,
    ]
    dsa_old = [
        mv0[0].replace("9: mv0@wan:", "11: lan4:"),
        mv0[1],
        "    dsa master eth0 addrgenmode" + tail,
    ]
    # Copy of the real tun0 block as a pppd device: kind "ppp" (ppp_generic sets
    # rtnl_link_ops for ioctl-created units; iproute2 has no ppp printer, so only the
    # kind word), "link/ppp" (ARPHRD_PPP), no address.
    tun = block("host-ip-link-text.txt", "tun0")
    ppp = [
        tun[0].replace("10: tun0:", "12: pppoe-wan:"),
        tun[1].replace("link/none", "link/ppp"),
        "    ppp addrgenmode" + tun[2].split("addrgenmode", 1)[1],
    ]
    res = parse_ip_link_text("\n".join(vlan + dsa_new + dsa_old + ppp))
    assert res.ok
    links = res.value
    assert (links["wan.7"].kind, links["wan.7"].vlan_id, links["wan.7"].link) == ("vlan", 7, "wan")
    assert (links["lan3"].kind, links["lan3"].link) == ("dsa", "eth0")
    assert (links["lan4"].kind, links["lan4"].link) == ("dsa", "eth0")
    p = links["pppoe-wan"]
    assert (p.kind, p.link_type, p.address, p.link) == ("ppp", "ppp", None, None)


def test_vlan_dsa_json_shapes() -> None:
    items = json.loads(body("host-ip-link-json.txt"))
    mv0 = next(i for i in items if i["ifname"] == "mv0")
    # Copies of the real mv0 object, linkinfo replaced by what iplink_vlan.c /
    # iplink_dsa.c print in JSON ("protocol", "id", "flags"; "conduit" or "master").
    vlan = dict(mv0, ifname="wan.7")
    vlan["linkinfo"] = {
        "info_kind": "vlan",
        "info_data": {"protocol": "802.1Q", "id": 7, "flags": ["REORDER_HDR"]},
    }
    dsa = dict(mv0, ifname="lan3")
    del dsa["link"]
    dsa["linkinfo"] = {"info_kind": "dsa", "info_data": {"conduit": "eth0"}}
    dsa_old = dict(
        dsa, ifname="lan4", linkinfo={"info_kind": "dsa", "info_data": {"master": "eth1"}}
    )
    none = dict(mv0, ifname="gre0", link=None)  # print_null: "link": null for @NONE
    links = parse_ip_link_json(json.dumps([vlan, dsa, dsa_old, none])).value
    assert (links["wan.7"].vlan_id, links["wan.7"].link) == (7, "wan")
    assert links["lan3"].link == "eth0" and links["lan4"].link == "eth1"
    assert links["gre0"].link is None


def test_prompts_and_plain_ip_link() -> None:
    # `ip link` without -d: header + link/ line only (real shape, this host)
    text = (
        "root@OpenWrt:~# ip link\n"
        "3: wan@wan-peer: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc htb state UP "
        "mode DEFAULT group default qlen 1000\n"
        "    link/ether 8e:51:6f:e5:e3:9b brd ff:ff:ff:ff:ff:ff\n"
        "    altname enp0s3\n"
    )
    res = parse_ip_link_text(text)
    assert res.unparsed_count == 1 and res.unparsed[0].reason == "shell prompt"
    wan = res.value["wan"]
    assert (wan.kind, wan.link, wan.address, wan.operstate) == (
        None,
        "wan-peer",
        "8e:51:6f:e5:e3:9b",
        "UP",
    )


# --------------------------------------------------------------------------- properties

NAME = st.from_regex(r"[a-z][a-z0-9.-]{0,10}", fullmatch=True)


@st.composite
def topologies(draw: st.DrawFn) -> list[Link]:
    names = draw(st.lists(NAME, min_size=1, max_size=8, unique=True))
    out = []
    for i, name in enumerate(names):
        kind = draw(st.sampled_from([None, "veth", "bridge", "vlan", "macvlan", "wireguard"]))
        others = names[:i]
        lower = draw(st.sampled_from(others)) if others and kind in ("vlan", "macvlan") else None
        master = draw(st.sampled_from([None, *others]))
        out.append(
            Link(
                name=name,
                index=i + 1,
                kind=kind,
                slave_kind="bridge" if master else None,
                master=master,
                link=lower,
                vlan_id=draw(st.integers(1, 4094)) if kind == "vlan" else None,
                mtu=draw(st.integers(68, 9000)),
                operstate=draw(st.sampled_from(["UP", "DOWN", "UNKNOWN"])),
                address=draw(st.sampled_from([None, "02:00:00:00:00:01"])),
                flags=("BROADCAST", "MULTICAST", "UP"),
                link_type="ether" if draw(st.booleans()) else "none",
            )
        )
    return out


def render_text(links: list[Link]) -> str:
    """Render like print_linkinfo() with -d (header, link/ line, kind and slave lines)."""
    lines = []
    for ln in links:
        at = f"@{ln.link}" if ln.link else ""
        master = f" master {ln.master}" if ln.master else ""
        lines.append(
            f"{ln.index}: {ln.name}{at}: <{','.join(ln.flags)}> mtu {ln.mtu} qdisc noqueue"
            f"{master} state {ln.operstate} mode DEFAULT group default qlen 1000"
        )
        addr = f" {ln.address} brd ff:ff:ff:ff:ff:ff" if ln.address else " "
        lines.append(f"    link/{ln.link_type}{addr} promiscuity 0  allmulti 0 minmtu 68")
        if ln.kind == "vlan":
            lines.append(f"    vlan protocol 802.1Q id {ln.vlan_id} <REORDER_HDR> ")
        elif ln.kind:
            lines.append(f"    {ln.kind} ")
        if ln.slave_kind:
            lines.append(f"    {ln.slave_kind}_slave state forwarding priority 32 cost 2 ")
    return "\n".join(lines) + "\n"


def render_json(links: list[Link]) -> str:
    items = []
    for ln in links:
        item: dict = {"ifindex": ln.index, "ifname": ln.name, "flags": list(ln.flags)}
        if ln.link:
            item["link"] = ln.link
        item.update(mtu=ln.mtu, qdisc="noqueue", operstate=ln.operstate, link_type=ln.link_type)
        if ln.master:
            item["master"] = ln.master
        if ln.address:
            item["address"] = ln.address
        info: dict = {}
        if ln.kind:
            info["info_kind"] = ln.kind
        if ln.kind == "vlan":
            info["info_data"] = {"protocol": "802.1Q", "id": ln.vlan_id}
        if ln.slave_kind:
            info["info_slave_kind"] = ln.slave_kind
        if info:
            item["linkinfo"] = info
        items.append(item)
    return json.dumps(items)


@settings(max_examples=200)
@given(topologies())
def test_round_trip_text_and_json(links: list[Link]) -> None:
    want = {ln.name: ln for ln in links}
    t = parse_ip_link_text(render_text(links))
    j = parse_ip_link_json(render_json(links))
    assert t.ok and j.ok
    assert t.value == want
    assert j.value == want


@settings(max_examples=300)
@given(st.text(max_size=300))
def test_fuzz_never_raises(text: str) -> None:
    res = parse_ip_link_text(text)
    assert len(res.value) + res.unparsed_count <= len(text.splitlines())
    res = parse_ip_link_json(text)
    assert all(isinstance(v, Link) for v in res.value.values())


REAL = body("host-ip-link-stats-text.txt").splitlines()


@settings(max_examples=300)
@given(
    st.lists(st.sampled_from(REAL), min_size=1, max_size=25),
    st.lists(st.tuples(st.integers(0, 20_000), st.sampled_from(" @:<>x0\t")), max_size=6),
)
def test_fuzz_mutated_real_lines(lines: list[str], edits: list[tuple[int, str]]) -> None:
    text = "\n".join(lines)
    for pos, ch in edits:
        p = pos % (len(text) + 1)
        text = text[:p] + ch + text[p:]
    res = parse_ip_link_text(text)
    assert res.unparsed_count <= len(text.splitlines())
    assert all(v.name for v in res.value.values())


@settings(max_examples=200)
@given(st.integers(0, 100_000))
def test_fuzz_truncated_json(cut: int) -> None:
    text = body("host-ip-link-json.txt")
    res = parse_ip_link_json(text[: cut % (len(text) + 1)])
    assert len(res.value) <= 12
