"""What the live TUI costs: offtui at 1 Hz over 10,000 real conntrack entries, next to htop.

    sudo .venv/bin/python bench/tui_cost.py [--flows 10000] [--duration 60] [--size 120x40]

Needs root, ``tmux``, ``htop``, ``conntrack`` and ``nft``. It creates a network namespace,
loads a ruleset with a ``ct`` rule there (the kernel tracks connections in a namespace only
once something uses conntrack in it), inserts the entries with ``conntrack --load-file``, then
starts in tmux panes of the same size, at the same time:

* ``offtui --interval 1`` inside the namespace (so it sees the 10,000 entries), and
* ``htop -d 10`` (1 s refresh) on the same host,

and reads both processes' CPU time from ``/proc/PID/stat`` over ``--duration`` seconds
(offtui's own time plus the commands it ran: ``cutime``/``cstime``). The first phase is the
dashboard; the second presses ``2`` and measures again with the Flows screen open.
``first_screen_s`` is the time from starting offtui to the moment its pane shows the
conntrack panel filled with the namespace's count (polled every 20 ms with
``tmux capture-pane``). The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OFFTUI = REPO / ".venv" / "bin" / "offtui"
CT_MAX = Path("/proc/sys/net/netfilter/nf_conntrack_max")
TICKS = os.sysconf("SC_CLK_TCK")

RULESET = """
table inet bench {
    chain forward {
        type filter hook forward priority filter; policy accept;
        ct state established,related counter accept
    }
}
"""


def entry(i: int) -> str:
    """One ``conntrack --load-file`` line: TCP mostly, some UDP and ICMP, like a home router."""
    client = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
    server = f"192.168.{(i >> 8) % 200}.{1 + i % 250}"
    sport = 1024 + (i * 7919) % 64000
    common = f"-s {client} -d {server} -t 3600"
    kind = i % 10
    if kind < 7:
        return f"-I -p tcp {common} --sport {sport} --dport 443 --state ESTABLISHED -u ASSURED"
    if kind < 9:
        return f"-I -p udp {common} --sport {sport} --dport 53 -u SEEN_REPLY"
    return f"-I -p icmp {common} --icmp-type 8 --icmp-code 0 --icmp-id {i & 0xFFFF}"


def ns_cmd(ns: str, *cmd: str) -> list[str]:
    return ["ip", "netns", "exec", ns, *cmd]


def cpu_ticks(pid: int) -> int:
    """utime + stime + cutime + cstime of a process (fields 14-17 of /proc/PID/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return sum(int(x) for x in fields[11:15])


def status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def pane(session: str) -> str:
    out = subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True, check=False
    )
    return out.stdout


def pane_pid(session: str) -> int:
    out = subprocess.run(
        ["tmux", "display-message", "-p", "-t", session, "#{pane_pid}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip())


def measure(pids: dict[str, int], seconds: float) -> dict[str, float]:
    before = {k: cpu_ticks(p) for k, p in pids.items()}
    t0 = time.monotonic()
    time.sleep(seconds)
    dt = time.monotonic() - t0
    return {k: 100.0 * (cpu_ticks(p) - before[k]) / TICKS / dt for k, p in pids.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flows", type=int, default=10_000)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--size", default="120x40")
    ap.add_argument("--no-flows-screen", action="store_true", help="skip the second phase")
    args = ap.parse_args()
    for tool in ("tmux", "htop", "conntrack", "nft"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed")
    if os.geteuid() != 0:
        raise SystemExit("run as root (network namespace, conntrack entries)")
    cols, rows = args.size.split("x")
    tag = f"offtui-tui-bench-{os.getpid()}"
    ns = tag
    old_max = int(CT_MAX.read_text())
    result: dict = {"flows": args.flows, "duration_s": args.duration, "size": args.size}
    try:
        if old_max < 2 * args.flows:
            CT_MAX.write_text(str(2 * args.flows))
        subprocess.run(["ip", "netns", "add", ns], check=True, timeout=30)
        subprocess.run(ns_cmd(ns, "nft", "-f", "-"), input=RULESET, text=True, check=True)
        subprocess.run(
            ns_cmd(ns, "sysctl", "-qw", "net.netfilter.nf_conntrack_acct=1"), check=False
        )
        with tempfile.NamedTemporaryFile("w", suffix=".ct", delete=False) as f:
            f.write("".join(entry(i) + "\n" for i in range(args.flows)))
        try:
            subprocess.run(
                ns_cmd(ns, "conntrack", "--load-file", f.name),
                capture_output=True,
                check=True,
                timeout=300,
            )
        finally:
            os.unlink(f.name)
        count = subprocess.run(
            ns_cmd(ns, "conntrack", "-C"), capture_output=True, text=True, check=True
        ).stdout.split()[0]
        result["conntrack_entries"] = int(count)

        tmux = ["tmux", "new-session", "-d", "-x", cols, "-y", rows]
        env = "TERM=xterm-256color"
        subprocess.run([*tmux, "-s", f"{tag}-htop", f"env {env} htop -d 10"], check=True)
        t0 = time.monotonic()
        cmd = " ".join(ns_cmd(ns, "env", env, str(OFFTUI), "--interval", "1"))
        subprocess.run([*tmux, "-s", f"{tag}-offtui", cmd], check=True)
        want = re.compile(r"total\s+" + re.escape(count) + r"\b")
        first = None
        while time.monotonic() - t0 < 30:
            if want.search(pane(f"{tag}-offtui")):
                first = time.monotonic() - t0
                break
            time.sleep(0.02)
        result["first_screen_s"] = None if first is None else round(first, 3)
        pids = {"offtui": pane_pid(f"{tag}-offtui"), "htop": pane_pid(f"{tag}-htop")}
        time.sleep(2)  # past start-up: measure the steady state
        dash = measure(pids, args.duration)
        result["cpu_percent"] = round(dash["offtui"], 2)
        result["htop_cpu_percent"] = round(dash["htop"], 2)
        result["rss_mb"] = round(status_mb(pids["offtui"], "VmRSS"), 1)
        result["htop_rss_mb"] = round(status_mb(pids["htop"], "VmRSS"), 1)
        if not args.no_flows_screen:
            subprocess.run(["tmux", "send-keys", "-t", f"{tag}-offtui", "2"], check=True)
            time.sleep(2)
            shown = re.search(r"(\d+) of (\d+) flows", pane(f"{tag}-offtui"))
            result["flows_screen_rows"] = int(shown.group(2)) if shown else None
            flows = measure(pids, args.duration)
            result["flows_screen_cpu_percent"] = round(flows["offtui"], 2)
            result["flows_screen_htop_cpu_percent"] = round(flows["htop"], 2)
        result["peak_rss_mb"] = round(status_mb(pids["offtui"], "VmHWM"), 1)
        result["last_screen"] = pane(f"{tag}-offtui").splitlines()[:6]
    finally:
        for s in (f"{tag}-offtui", f"{tag}-htop"):
            subprocess.run(["tmux", "kill-session", "-t", s], capture_output=True, check=False)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30, check=False)
        if int(CT_MAX.read_text()) != old_max:
            CT_MAX.write_text(str(old_max))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
