"""The local source against the real kernel, in a network namespace of its own.

Real conntrack entries are made by real traffic; the table is then read the three ways offtui
knows: /proc/net/nf_conntrack, `conntrack -L`, and netlink (pyroute2, the fallback for kernels
without CONFIG_NF_CONNTRACK_PROCFS). All three must give the same flows.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from offtui.parsers.conntrack import parse_conntrack

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces"),
    pytest.mark.skipif(not shutil.which("nft"), reason="needs nft (apt-get install nftables)"),
]

ROOT = Path(__file__).resolve().parents[1]

TRAFFIC = r"""
import socket, sys, time
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 5601)); srv.listen(8)
conns = []
for i in range(3):
    c = socket.create_connection(("127.0.0.1", 5601)); a, _ = srv.accept()
    c.sendall(b"x"); a.recv(1); a.sendall(b"y"); c.recv(1); conns.append((c, a))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 5602))
v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
v.sendto(b"q", ("127.0.0.1", 5602)); data, peer = u.recvfrom(10); u.sendto(b"r", peer); v.recv(10)
sys.stdout.write("ready\n"); sys.stdout.flush()
sys.stdin.readline()
"""


@pytest.fixture
def netns():
    name = f"offtui-t-{uuid.uuid4().hex[:6]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        ex = ["ip", "netns", "exec", name]
        subprocess.run([*ex, "ip", "link", "set", "lo", "up"], check=True)
        # conntrack only tracks a namespace once something there uses it
        subprocess.run(
            [
                *ex,
                "nft",
                "add table inet t; add chain inet t c { type filter hook output priority 0; }; "
                "add rule inet t c ct state new counter",
            ],
            check=True,
        )
        traffic = subprocess.Popen(
            [*ex, sys.executable, "-c", TRAFFIC],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert traffic.stdout is not None and traffic.stdout.readline().strip() == "ready"
        yield name
        traffic.communicate("\n", timeout=10)
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def _tuples(text: str, source: str) -> set[tuple]:
    res = parse_conntrack(text, source=source)
    assert res.unparsed_count == 0, res.unparsed[:3]
    return {
        (f.proto, f.orig.src, f.orig.sport, f.orig.dst, f.orig.dport) for f in res.value.flows()
    }


def test_proc_conntrack_and_netlink_agree(netns: str, tmp_path: Path) -> None:
    ex = ["ip", "netns", "exec", netns]
    proc = subprocess.run(
        [*ex, "cat", "/proc/net/nf_conntrack"], capture_output=True, text=True, check=True
    )
    want = _tuples(proc.stdout, "proc")
    assert ("tcp", "127.0.0.1", None, "127.0.0.1", 5601) not in want
    assert sum(1 for t in want if t[0] == "tcp" and t[4] == 5601) == 3
    assert any(t[0] == "udp" and t[4] == 5602 for t in want)

    if shutil.which("conntrack"):
        ct = subprocess.run([*ex, "conntrack", "-L"], capture_output=True, text=True, check=True)
        assert _tuples(ct.stdout, "conntrack -L") == want

    # The local source with a root that has no /proc/net/nf_conntrack: it must fall back to
    # netlink and write the table in the `conntrack -L` shape.
    fake_root = tmp_path / "root"
    (fake_root / "proc").mkdir(parents=True)
    dest = tmp_path / "cap"
    code = (
        "from offtui.sources.local import collect_local;"
        f"collect_local({str(dest)!r}, root={str(fake_root)!r}, cpu_interval_s=0)"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([*ex, sys.executable, "-c", code], check=True, env=env)
    manifest = json.loads((dest / "manifest.json").read_text())
    status = {s["name"]: s["status"] for s in manifest["sources"]}
    assert status["proc/net/nf_conntrack"] == "missing"
    assert status["netlink/conntrack_-L"] == "ok"
    got = _tuples((dest / "netlink/conntrack_-L").read_text(), "netlink")
    assert got == want
