"""What the remote live view costs the router: CPU and bytes per tick, against the naive way.

On the lab router (``lab/run many-flows --ssh``: 10,000 offloaded flows) this runs
:class:`offtui.sources.ssh_live.RemoteLive` at 1 Hz for ``--seconds`` (60), then, in the same
run, the naive way for as long: ``cat /proc/net/nf_conntrack`` once a second over one SSH
session. The router's CPU is read from ``/proc/<pid>/stat`` of the collector (utime + stime +
cutime + cstime: the shell and every program it waited for) through a second SSH session,
after every answer, so each tick's cost is known and cheap ticks can be told from heavy ones.

The lab VM runs under TCG emulation, several times slower than a real router's CPU: the
milliseconds measured here are an upper bound of what a real router spends.

    .venv/bin/python bench/remote_cost.py              # boots many-flows, ~4 min
    .venv/bin/python bench/remote_cost.py --port 2222  # a VM already up (lab/run ... --ssh)

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from offtui.sources.ssh import SshOptions, SshTarget  # noqa: E402
from offtui.sources.ssh_live import RemoteLive  # noqa: E402

CLK_TCK = 100  # USER_HZ on Linux/x86 (and every OpenWrt target)


class StatReader:
    """A second SSH session that prints /proc/<pid>/stat on request (its cost is its own)."""

    def __init__(self, opts: SshOptions, target: SshTarget) -> None:
        cmd = "while read p; do cat /proc/$p/stat 2>/dev/null || echo gone; done"
        self.p = subprocess.Popen(
            opts.argv(target, cmd), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def cpu_ms(self, pid: int) -> float | None:
        assert self.p.stdin and self.p.stdout
        self.p.stdin.write(f"{pid}\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line or line.startswith("gone"):
            return None
        f = line.rsplit(")", 1)[1].split()
        # after the ")" field 3 is index 0: utime=14 stime=15 cutime=16 cstime=17
        ticks = sum(int(x) for x in f[11:15])
        return ticks * 1000 / CLK_TCK

    def close(self) -> None:
        if self.p.stdin:
            self.p.stdin.close()
        self.p.wait(timeout=10)


def _qemu_running() -> bool:
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if b"qemu-system" in (d / "cmdline").read_bytes():
                    return True
            except OSError:
                pass
    return False


def boot(port: int) -> tuple[SshTarget, SshOptions, bool]:
    while _qemu_running():  # one VM on this machine at a time
        time.sleep(5)
    proc = subprocess.run(
        [str(REPO / "lab/run"), "many-flows", "--ssh", "--port", str(port), "--detach"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if proc.returncode != 0:
        sys.exit(f"lab/run many-flows --ssh failed:\n{proc.stderr[-2000:]}")
    return target_for(port)


def target_for(port: int) -> tuple[SshTarget, SshOptions, bool]:
    key = REPO / "lab/cache/ssh/id_ed25519"
    opts = SshOptions(
        identity=[str(key)],
        config="/dev/null",
        options=[
            "StrictHostKeyChecking=no",
            "UserKnownHostsFile=/dev/null",
            "LogLevel=ERROR",
            "IdentitiesOnly=yes",
        ],
        batch=True,
    )
    return SshTarget(host="127.0.0.1", user="root", port=port), opts, True


def run_live(target: SshTarget, opts: SshOptions, seconds: float, stats: StatReader) -> dict:
    live = RemoteLive(target, opts, interval=1.0)
    live.start(timeout=300)
    pid = int(live.meta["pid"])
    first = live.next_sample(60)  # the first answer has every group: not measured
    assert first is not None
    prev = stats.cpu_ms(pid)
    ticks: list[dict] = []
    t_end = time.monotonic() + seconds
    flows = first.conntrack_count
    while time.monotonic() < t_end:
        s = live.next_sample(30)
        if s is None:
            continue
        now = stats.cpu_ms(pid)
        if now is None or prev is None:
            break
        ticks.append(
            {
                "cpu_ms": now - prev,
                "bytes": s.wire_bytes,
                "groups": sorted(s.groups),
                "flows": s.conntrack_count,
            }
        )
        prev = now
        flows = s.conntrack_count or flows
    live.close()
    cheap = [t for t in ticks if not t["groups"]]
    heavy = [t for t in ticks if t["groups"]]
    return {
        "ticks": len(ticks),
        "flows": flows,
        "cpu_ms_per_tick": statistics.fmean(t["cpu_ms"] for t in ticks),
        "bytes_per_tick": statistics.fmean(t["bytes"] for t in ticks),
        "cheap_ticks": len(cheap),
        "cheap_cpu_ms_median": statistics.median(t["cpu_ms"] for t in cheap) if cheap else None,
        "cheap_cpu_ms_mean": statistics.fmean(t["cpu_ms"] for t in cheap) if cheap else None,
        "cheap_bytes_max": max((t["bytes"] for t in cheap), default=None),
        "heavy": [
            {"groups": t["groups"], "cpu_ms": t["cpu_ms"], "bytes": t["bytes"]} for t in heavy
        ],
    }


def run_naive(target: SshTarget, opts: SshOptions, seconds: float, stats: StatReader) -> dict:
    """``cat /proc/net/nf_conntrack`` once a second over one session (the naive way)."""
    cmd = "echo $$; while read x; do cat /proc/net/nf_conntrack; echo @@END@@; done"
    p = subprocess.Popen(opts.argv(target, cmd), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert p.stdin and p.stdout
    pid = int(p.stdout.readline())
    prev = stats.cpu_ms(pid)
    cpu, sizes = [], []
    t_end = time.monotonic() + seconds
    next_t = time.monotonic()
    while time.monotonic() < t_end:
        time.sleep(max(0.0, next_t - time.monotonic()))
        next_t += 1.0
        p.stdin.write(b"x\n")
        p.stdin.flush()
        n = 0
        for line in p.stdout:
            if line == b"@@END@@\n":
                break
            n += len(line)
        now = stats.cpu_ms(pid)
        if now is None or prev is None:
            break
        cpu.append(now - prev)
        sizes.append(n)
        prev = now
    p.stdin.close()
    p.wait(timeout=10)
    return {
        "ticks": len(cpu),
        "cpu_ms_per_tick": statistics.fmean(cpu),
        "bytes_per_tick": statistics.fmean(sizes),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, help="a lab VM already listening (no boot)")
    ap.add_argument("--seconds", type=float, default=60.0)
    a = ap.parse_args()
    booted = a.port is None
    port = a.port or 22000 + os.getpid() % 1000
    t0 = time.monotonic()
    target, opts, _ = boot(port) if booted else target_for(port)
    print(f"lab VM on port {port} ready after {time.monotonic() - t0:.1f} s", file=sys.stderr)
    stats = StatReader(opts, target)
    try:
        live = run_live(target, opts, a.seconds, stats)
        print(json.dumps({"live": live}), file=sys.stderr)
        naive = run_naive(target, opts, a.seconds, stats)
        print(json.dumps({"naive": naive}), file=sys.stderr)
    finally:
        stats.close()
        if booted:
            subprocess.run([str(REPO / "lab/stop"), "--port", str(port)], check=False)
    result = {
        "bench": "remote_cost",
        "router": "lab many-flows VM (qemu TCG, 2 vCPU: slower than a real router)",
        "flows": live["flows"],
        "seconds": a.seconds,
        "router_cpu_ms_per_tick": round(live["cpu_ms_per_tick"], 2),
        "kb_per_tick": round(live["bytes_per_tick"] / 1024, 2),
        "cheap_router_cpu_ms_per_tick": round(live["cheap_cpu_ms_mean"] or 0, 2),
        "cheap_router_cpu_ms_median": live["cheap_cpu_ms_median"],
        "cheap_kb_per_tick_max": round((live["cheap_bytes_max"] or 0) / 1024, 2),
        "heavy_ticks": [
            {"groups": h["groups"], "cpu_ms": h["cpu_ms"], "kb": round(h["bytes"] / 1024, 1)}
            for h in live["heavy"]
        ],
        "naive_router_cpu_ms_per_tick": round(naive["cpu_ms_per_tick"], 2),
        "naive_kb_per_tick": round(naive["bytes_per_tick"] / 1024, 2),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
