"""Benchmark: offtui reading and counting a big conntrack table vs ``conntrack -L`` and ``cat``.

Fills the conntrack table of a scratch network namespace with real entries
(``conntrack --load-file``: TCP ESTABLISHED/TIME_WAIT, UDP, ICMP; accounting on, as OpenWrt
sets it), then at each size times, inside the namespace and side by side:

* offtui: a fresh ``python bench/_ct_read.py`` (import, ``Path.read_bytes()`` of
  /proc/net/nf_conntrack, ``parse_conntrack``, counts), plus its peak RSS growth;
* ``conntrack -L >/dev/null``;
* ``cat /proc/net/nf_conntrack >/dev/null``.

Needs root and the ``conntrack`` and ``ip`` tools. Prints a table, then ONE JSON object on the
last line. The namespace is always deleted and ``nf_conntrack_max`` restored.

    sudo .venv/bin/python bench/conntrack_parse.py [--sizes 1024,8192,65536] [--runs 9]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CT_MAX = Path("/proc/sys/net/netfilter/nf_conntrack_max")


def _entry(i: int) -> str:
    """One ``conntrack -I`` line of the load file; a mix like a home router's table."""
    client = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
    server = f"192.168.{(i >> 8) % 200}.{1 + i % 250}"
    sport = 1024 + (i * 7919) % 64000
    kind = i % 20
    common = f"-s {client} -d {server} -t 3600"
    seen = "-u ASSURED,SEEN_REPLY"
    if kind < 13:
        return f"-I -p tcp {common} --sport {sport} --dport 443 --state ESTABLISHED {seen}"
    if kind == 13:
        return f"-I -p tcp {common} --sport {sport} --dport 80 --state TIME_WAIT {seen}"
    if kind < 18:
        return f"-I -p udp {common} --sport {sport} --dport 53 {seen}"
    if kind == 18:
        return f"-I -p udp {common} --sport {sport} --dport 123"  # [UNREPLIED]
    return f"-I -p icmp {common} --icmp-type 8 --icmp-code 0 --icmp-id {i & 0xFFFF} -u SEEN_REPLY"


def _ns(ns: str, *cmd: str) -> list[str]:
    return ["ip", "netns", "exec", ns, *cmd]


def _timed(cmd: list[str], capture: bool = False) -> tuple[float, str]:
    out = subprocess.PIPE if capture else subprocess.DEVNULL
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=out, stderr=subprocess.DEVNULL, timeout=120, check=True)
    return time.perf_counter() - t, (p.stdout.decode() if capture else "")


def _load(ns: str, start: int, stop: int) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".ct", delete=False) as f:
        f.write("".join(_entry(i) + "\n" for i in range(start, stop)))
    try:
        subprocess.run(
            _ns(ns, "conntrack", "--load-file", f.name),
            capture_output=True,
            timeout=300,
            check=True,
        )
    finally:
        os.unlink(f.name)


def _count(ns: str) -> int:
    out = subprocess.run(_ns(ns, "conntrack", "-C"), capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0])


class WarmReader:
    """A running offtui-like process in the namespace: imports once, refreshes on request."""

    def __init__(self, ns: str) -> None:
        cmd = _ns(ns, sys.executable, str(REPO / "bench" / "_ct_read.py"), "--serve")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        json.loads(self.proc.stdout.readline())  # {"ready": true}

    def refresh(self) -> tuple[float, dict]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        t = time.perf_counter()
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        out = json.loads(self.proc.stdout.readline())
        return time.perf_counter() - t, out

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)


def measure(ns: str, size: int, runs: int, warm: WarmReader) -> dict:
    cmds = {
        "cat": _ns(ns, "cat", "/proc/net/nf_conntrack"),
        "conntrack_L": _ns(ns, "conntrack", "-L"),
        "offtui_cold": _ns(ns, sys.executable, str(REPO / "bench" / "_ct_read.py")),
    }
    for cmd in cmds.values():  # warm-up (page cache, dentries), not counted
        _timed(cmd)
    warm.refresh()
    times: dict[str, list[float]] = {k: [] for k in (*cmds, "offtui")}
    cold: list[dict] = []
    hot: list[dict] = []
    names = [*cmds, "offtui"]
    for r in range(runs):
        for name in names[r % 4 :] + names[: r % 4]:  # rotate the order each round
            if name == "offtui":
                _, out = warm.refresh()
                times[name].append(out["refresh_s"])
                hot.append(out)
                continue
            dt, out = _timed(cmds[name], capture=name == "offtui_cold")
            times[name].append(dt)
            if name == "offtui_cold":
                cold.append(json.loads(out))
    med = {k: statistics.median(v) for k, v in times.items()}
    for c in (cold[-1], hot[-1]):
        if c["total"] != size or c["unparsed"]:
            got = f"{c['total']} flows ({c['unparsed']} unparsed)"
            raise SystemExit(f"offtui counted {got}, expected {size}")
    growth_kb = statistics.median(c["hwm_after_kb"] - c["rss_before_kb"] for c in cold)
    return {
        "flows": size,
        "bytes": cold[-1]["bytes"],
        "cat_s": med["cat"],
        "conntrack_L_s": med["conntrack_L"],
        "offtui_s": med["offtui"],
        "ratio_vs_conntrack_L": med["offtui"] / med["conntrack_L"],
        "offtui_read_s": statistics.median(c["read_s"] for c in hot),
        "offtui_parse_s": statistics.median(c["parse_s"] for c in hot),
        "offtui_cold_s": med["offtui_cold"],
        "ratio_cold_vs_conntrack_L": med["offtui_cold"] / med["conntrack_L"],
        "offtui_cold_import_s": statistics.median(c["import_s"] for c in cold),
        "rss_growth_mb": growth_kb / 1024,
        "counts": {k: cold[-1][k] for k in ("total", "offload", "assured", "by_proto")},
        "runs": runs,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1024,8192,65536")
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--no-acct", action="store_true", help="leave nf_conntrack_acct off")
    ap.add_argument("--flows", action="store_true", help="also time building every Flow")
    args = ap.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if os.geteuid() != 0:
        print("needs root (network namespace, conntrack table)", file=sys.stderr)
        return 2
    for tool in ("ip", "conntrack"):
        if shutil.which(tool) is None:
            print(f"needs `{tool}` (apt-get install iproute2 conntrack)", file=sys.stderr)
            return 2

    ns = f"offtui-bench-{os.getpid()}"
    old_max = int(CT_MAX.read_text())
    results: list[dict] = []
    extra: dict = {}
    warm: WarmReader | None = None
    try:
        if old_max < 2 * sizes[-1]:
            CT_MAX.write_text(str(2 * sizes[-1]))
        subprocess.run(["ip", "netns", "add", ns], check=True, timeout=30)
        if not args.no_acct:
            acct = "net.netfilter.nf_conntrack_acct=1"
            subprocess.run(_ns(ns, "sysctl", "-qw", acct), check=True)
        warm = WarmReader(ns)
        have = 0
        for size in sizes:
            _load(ns, have, size)
            have = size
            if _count(ns) != size:
                raise SystemExit(f"table holds {_count(ns)} entries, expected {size}")
            results.append(measure(ns, size, args.runs, warm))
        if args.flows:
            out = subprocess.run(
                _ns(ns, sys.executable, str(REPO / "bench" / "_ct_read.py"), "--flows"),
                capture_output=True,
                text=True,
                check=True,
            )
            c = json.loads(out.stdout)
            extra = {
                "flows_materialise_s": c["flows_s"],
                "flows_materialise_rss_mb": (c["hwm_flows_kb"] - c["rss_before_kb"]) / 1024,
            }
    finally:
        if warm is not None:
            warm.close()
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)
        if int(CT_MAX.read_text()) != old_max:
            CT_MAX.write_text(str(old_max))

    print(
        f"{'flows':>7} {'MB':>5} {'cat':>6} {'ct -L':>6} {'offtui':>6} {'ratio':>5}"
        f" {'read':>6} {'parse':>6} {'us/flow':>7} {'cold':>6} {'ratio':>5} {'RSS+MB':>6}"
    )
    for r in results:
        print(
            f"{r['flows']:>7} {r['bytes'] / 1e6:>5.1f} {r['cat_s']:>6.3f}"
            f" {r['conntrack_L_s']:>6.3f} {r['offtui_s']:>6.3f}"
            f" {r['ratio_vs_conntrack_L']:>5.2f} {r['offtui_read_s']:>6.3f}"
            f" {r['offtui_parse_s']:>6.3f} {1e6 * r['offtui_parse_s'] / r['flows']:>7.2f}"
            f" {r['offtui_cold_s']:>6.3f} {r['ratio_cold_vs_conntrack_L']:>5.2f}"
            f" {r['rss_growth_mb']:>6.1f}"
        )
    print(
        f"seconds, medians of {args.runs} runs, all inside the namespace. offtui = one refresh"
        " (read + parse_conntrack + counts) in a running process; cold = a fresh interpreter"
        " (start-up + imports + refresh); RSS+MB = peak RSS growth of the refresh (cold run)."
    )
    big = results[-1]
    per_flow = {str(r["flows"]): r["offtui_parse_s"] / r["flows"] for r in results}
    summary = {
        "flows": big["flows"],
        "ratio_vs_conntrack_L": round(big["ratio_vs_conntrack_L"], 3),
        "rss_growth_mb": round(big["rss_growth_mb"], 1),
        "offtui_s": round(big["offtui_s"], 4),
        "ratio_cold_vs_conntrack_L": round(big["ratio_cold_vs_conntrack_L"], 3),
        "offtui_cold_s": round(big["offtui_cold_s"], 4),
        "conntrack_L_s": round(big["conntrack_L_s"], 4),
        "cat_s": round(big["cat_s"], 4),
        "parse_us_per_flow": {k: round(v * 1e6, 3) for k, v in per_flow.items()},
        "acct": not args.no_acct,
        "runs": args.runs,
        "sizes": {
            str(r["flows"]): {
                k: (round(v, 4) if isinstance(v, float) else v)
                for k, v in r.items()
                if k not in ("counts",)
            }
            for r in results
        },
        **{k: round(v, 3) for k, v in extra.items()},
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
