"""Live conntrack: real TCP/UDP/ICMP traffic routed through a namespace, read two ways.

Three network namespaces of our own (client A, router R with forwarding, server B) joined
by veth pairs; an nftables forward chain in R makes conntrack track the routed flows (and a
flowtable offloads them when the kernel has nf_flow_table). R's table is then read as
``/proc/net/nf_conntrack`` and as ``conntrack -L``; both must parse with no unparsed line
and describe the same flows. Everything is bounded (a few KB of traffic, timeouts on every
command) and removed afterwards.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from offtui.model import ConntrackTable, Flow, FlowTuple
from offtui.parsers.conntrack import match_flow, parse_conntrack, parse_match_spec

pytestmark = pytest.mark.netns

if os.geteuid() != 0:
    pytest.skip("needs root to create network namespaces", allow_module_level=True)
for _tool in ("ip", "nft", "conntrack"):
    if shutil.which(_tool) is None:
        pytest.skip(
            f"needs the `{_tool}` tool (apt-get install iproute2 nftables conntrack)",
            allow_module_level=True,
        )

TAG = f"offtui-t{os.getpid()}"
NS_A, NS_R, NS_B = f"{TAG}-a", f"{TAG}-r", f"{TAG}-b"

SERVER = r"""
import socket, threading
def bound(kind, port):
    s = socket.socket(socket.AF_INET6, kind)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    return s
def serve_tcp(s):
    while True:
        c, _ = s.accept()
        threading.Thread(target=echo, args=(c,), daemon=True).start()
def echo(c):
    while True:
        d = c.recv(65536)
        if not d:
            return
        c.sendall(d[:1])
t = bound(socket.SOCK_STREAM, 5001)
t.listen(8)
u = bound(socket.SOCK_DGRAM, 5002)
threading.Thread(target=serve_tcp, args=(t,), daemon=True).start()
print("ready", flush=True)
while True:
    d, a = u.recvfrom(2048); u.sendto(d, a)
"""

CLIENT = r"""
import socket, struct, sys
held = []
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF); s += s >> 16
    return ~s & 0xFFFF
for host in ("10.201.2.2", "fd00:2::2"):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    c = socket.create_connection((host, 5001), timeout=5)
    for _ in range(20):
        c.sendall(b"x" * 1000); c.recv(16)
    held.append(c)
    u = socket.socket(fam, socket.SOCK_DGRAM); u.settimeout(2)
    for _ in range(5):
        u.sendto(b"y" * 100, (host, 5002)); u.recvfrom(2048)
    held.append(u)
    if fam == socket.AF_INET:
        r = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        hdr = struct.pack("!BBHHH", 8, 0, 0, 0x4242, 1) + b"ping"
        r.sendto(hdr[:2] + struct.pack("!H", csum(hdr)) + hdr[4:], (host, 0))
    else:
        r = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        r.sendto(struct.pack("!BBHHH", 128, 0, 0, 0x4243, 1) + b"ping", (host, 0))
    r.settimeout(2); r.recvfrom(2048)
    held.append(r)
print("done", flush=True)
sys.stdin.read()
"""


def _run(*args: str, ns: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=check)


def _setup() -> bool:
    """Build A -- R -- B. Returns whether a flowtable could be added in R."""
    for ns in (NS_A, NS_R, NS_B):
        _run("ip", "netns", "add", ns)
        _run("ip", "link", "set", "lo", "up", ns=ns)
    _run("ip", "link", "add", "ta", "netns", NS_A, "type", "veth", "peer", "ra", "netns", NS_R)
    _run("ip", "link", "add", "tb", "netns", NS_B, "type", "veth", "peer", "rb", "netns", NS_R)
    plan = [
        (NS_A, "ta", "10.201.1.2/24", "fd00:1::2/64", "10.201.1.1", "fd00:1::1"),
        (NS_B, "tb", "10.201.2.2/24", "fd00:2::2/64", "10.201.2.1", "fd00:2::1"),
    ]
    for ns, dev, v4, v6, gw4, gw6 in plan:
        _run("ip", "addr", "add", v4, "dev", dev, ns=ns)
        _run("ip", "-6", "addr", "add", v6, "dev", dev, "nodad", ns=ns)
        _run("ip", "link", "set", dev, "up", ns=ns)
        _run("ip", "route", "add", "default", "via", gw4, ns=ns)
        _run("ip", "-6", "route", "add", "default", "via", gw6, ns=ns)
    for dev, v4, v6 in (
        ("ra", "10.201.1.1/24", "fd00:1::1/64"),
        ("rb", "10.201.2.1/24", "fd00:2::1/64"),
    ):
        _run("ip", "addr", "add", v4, "dev", dev, ns=NS_R)
        _run("ip", "-6", "addr", "add", v6, "dev", dev, "nodad", ns=NS_R)
        _run("ip", "link", "set", dev, "up", ns=NS_R)
    _run("sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1", ns=NS_R)
    # A forward chain that looks at ct state registers conntrack in R.
    _run(
        "nft",
        "add table inet t; add chain inet t routed { type filter hook forward priority 0; }",
        ns=NS_R,
    )
    _run("nft", "add rule inet t routed ct state established,related counter accept", ns=NS_R)
    flowtable = _run(
        "nft",
        "add flowtable inet t ft { hook ingress priority 0; devices = { ra, rb }; }; "
        "insert rule inet t routed meta l4proto { tcp, udp } flow add @ft",
        ns=NS_R,
        check=False,
    )
    return flowtable.returncode == 0


def _teardown() -> None:
    for ns in (NS_A, NS_R, NS_B):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30, check=False)


@pytest.fixture(scope="module")
def tables() -> Iterator[tuple[str, str, str, bool]]:
    procs: list[subprocess.Popen] = []
    try:
        _run("ip", "netns", "add", NS_R)  # probe: can we create namespaces at all?
        _run("ip", "netns", "del", NS_R)
    except (subprocess.CalledProcessError, OSError) as e:
        pytest.skip(f"cannot create network namespaces here: {e}")
    try:
        has_flowtable = _setup()
        server = subprocess.Popen(
            ["ip", "netns", "exec", NS_B, sys.executable, "-c", SERVER],
            stdout=subprocess.PIPE,
            text=True,
        )
        procs.append(server)
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        client = subprocess.Popen(
            ["ip", "netns", "exec", NS_A, sys.executable, "-c", CLIENT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        procs.append(client)
        assert client.stdout is not None and client.stdout.readline().strip() == "done"
        time.sleep(0.5)
        proc_text = _run("cat", "/proc/net/nf_conntrack", ns=NS_R).stdout
        listed = _run("conntrack", "-L", ns=NS_R)
        yield proc_text, listed.stdout, listed.stderr, has_flowtable
    finally:
        for p in procs:
            p.kill()
            p.wait(timeout=10)
        _teardown()


def _key(t: FlowTuple) -> tuple:
    return (
        str(ipaddress.ip_address(t.src)),  # /proc prints IPv6 in full, conntrack -L compressed
        str(ipaddress.ip_address(t.dst)),
        t.sport,
        t.dport,
        t.extra,
    )


def _flow_key(f: Flow) -> tuple:
    return (f.proto, f.protonum, _key(f.orig), _key(f.reply), f.offload, f.state, f.unreplied)


def _counts(t: ConntrackTable) -> tuple:
    return (t.total, t.offload, t.hw_offload, t.assured, t.unreplied, t.by_proto)


def test_both_sources_parse_cleanly(tables: tuple[str, str, str, bool]) -> None:
    proc_text, listed, summary, _ = tables
    proc = parse_conntrack(proc_text, source="proc")
    ct = parse_conntrack(listed + summary, source="conntrack -L")
    assert proc.unparsed_count == 0, proc.unparsed
    assert ct.unparsed_count == 0, ct.unparsed
    # conntrack -L says how many it printed (on stderr)
    assert f"): {ct.value.total} flow entries have been shown." in summary


def test_both_sources_agree(tables: tuple[str, str, str, bool]) -> None:
    proc_text, listed, _, has_flowtable = tables
    proc = parse_conntrack(proc_text).value
    ct = parse_conntrack(listed).value
    assert _counts(proc) == _counts(ct)
    assert sorted(map(_flow_key, proc.flows())) == sorted(map(_flow_key, ct.flows()))
    assert all(f.l3 in ("ipv4", "ipv6") for f in proc.flows())
    assert all(f.l3 is None for f in ct.flows())

    def n(spec: str) -> int:
        s = parse_match_spec(spec)
        return sum(match_flow(f, s) for f in proc.flows())

    # what the client did: TCP and UDP over IPv4 and IPv6, and one echo each
    assert n("proto=tcp dport=5001") == 2
    assert n("proto=udp dport=5002") == 2
    assert n("proto=icmp") == 1 and n("proto=icmpv6") == 1
    assert n("src=10.201.1.2 dst=10.201.2.2") == 3
    assert n("src=fd00:1::2 dst=fd00:2::2") == 3
    if has_flowtable:
        assert proc.offload >= 1  # the established TCP/UDP flows went to the flowtable
        offloaded = [f for f in proc.flows() if f.offload.value != "none"]
        assert all(f.timeout is None and f.state is None for f in offloaded)
