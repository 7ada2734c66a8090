"""offtui against the lab router VM: dropbear with busybox as the only shell, real
flowtables (routed-sfo), so the remote data shows real [OFFLOAD] flows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from offtui.capture import Capture
from offtui.snapshot import build_snapshot
from offtui.sources.ssh import collect_ssh
from offtui.sources.ssh_live import LIVE, RETRYING, RemoteLive
from tests.remote.conftest import SshServer

pytestmark = pytest.mark.lab
REPO = Path(__file__).resolve().parents[2]


def _offload_lines(text: str) -> int:
    return sum(1 for line in text.splitlines() if "[OFFLOAD]" in line)


# The lab's TCP senders reconnect now and then, so at a given instant 3 or 4 of the 4 lab
# flows are [OFFLOAD] (the SSH session itself never is: it is input traffic).
MIN_OFFLOADED = 3


def test_one_shot_over_dropbear(lab_ssh: SshServer, tmp_path: Path) -> None:
    out = collect_ssh(lab_ssh.target, tmp_path / "cap", lab_ssh.options)
    cap = Capture.open(out)
    meta = cap.manifest["extra"]["collector_meta"]
    assert "busybox" in meta["shell"]  # ash is the router's only shell
    assert meta["hostname"] == "lab-router"
    ct = (out / "proc/net/nf_conntrack").read_text()
    # routed-sfo: the 4 lab flows (ports 5001-5004) offloaded; the SSH session is not
    assert _offload_lines(ct) >= MIN_OFFLOADED
    snap = build_snapshot(cap)
    assert snap.conntrack is not None
    assert snap.conntrack.offload >= MIN_OFFLOADED  # the parser's count of [OFFLOAD]


def test_cli_diagnose_over_dropbear(lab_ssh: SshServer) -> None:
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "offtui",
            "diagnose",
            str(lab_ssh.target),
            "--format",
            "json",
            "--fail-on",
            "never",
            *lab_ssh.ssh_words(),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    assert "OFFLOAD" in r.stdout or "offload" in r.stdout


def _ssh(lab: SshServer, cmd: str) -> str:
    r = subprocess.run(
        lab.options.argv(lab.target, cmd), capture_output=True, text=True, timeout=60, check=False
    )
    return r.stdout


def _wait_session(live: RemoteLive, session: int, timeout: float) -> tuple[set[str], object]:
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen.add(live.state)
        s = live.next_sample(0.3)
        if s is not None and s.session >= session:
            return seen, s
    return seen, None


def test_live_over_dropbear_with_reconnects(lab_ssh: SshServer) -> None:
    live = RemoteLive(lab_ssh.target, lab_ssh.options, interval=1.0, retry_max_s=2)
    try:
        live.start(timeout=120)
        assert "busybox" in live.meta["shell"] and live.meta["mode"] == "live"
        first = live.next_sample(30)
        assert first is not None and "flows" in first.groups
        ct = (first.dir / "proc/net/nf_conntrack").read_text()
        assert _offload_lines(ct) >= MIN_OFFLOADED
        cheap = None
        for _ in range(5):
            cheap = live.next_sample(30)
            if cheap is not None and not cheap.groups:
                break
        assert cheap is not None and not cheap.groups
        assert cheap.wire_bytes < 8 * 1024
        assert cheap.conntrack_count is not None and cheap.conntrack_count >= 4
        snap = build_snapshot(Capture.open(cheap.dir))
        assert snap.conntrack.offload >= MIN_OFFLOADED  # the parser's count of [OFFLOAD]
        assert snap.cpu is not None  # samples/0 = the previous answer

        pids = [live.meta["pid"]]  # each session's collector, on the router

        # 1. drop the connection: kill our ssh client
        os.kill(live.ssh_pid, signal.SIGKILL)
        seen, s = _wait_session(live, 2, 60)
        assert RETRYING in seen and s is not None and live.state == LIVE
        assert _offload_lines((s.dir / "proc/net/nf_conntrack").read_text()) >= MIN_OFFLOADED

        # 2. kill the dropbear child serving the session, on the router
        pid = live.meta["pid"]
        pids.append(pid)
        _ssh(lab_ssh, f"kill -9 $(cut -d' ' -f4 /proc/{pid}/stat)")
        seen, s = _wait_session(live, 3, 90)
        pids.append(live.meta["pid"])
        assert RETRYING in seen and s is not None and live.state == LIVE
        # stale data was kept meanwhile, then replaced
        assert (s.dir / "proc/net/nf_conntrack").exists()
    finally:
        live.close()
    time.sleep(2)
    # nothing left on the router: no collector of any session, no temporary directory
    alive = _ssh(lab_ssh, "; ".join(f"[ -d /proc/{p} ] && echo alive {p}" for p in pids))
    assert "alive" not in alive, alive
    tmp = _ssh(lab_ssh, "for d in /tmp/offtui-collect.*; do [ -e $d ] && echo $d; done")
    assert tmp.strip() == "", tmp
