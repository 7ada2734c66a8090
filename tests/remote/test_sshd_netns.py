"""offtui against a real OpenSSH sshd in a network namespace (no VM): one-shot capture, the
live session with a dropped connection, and every failure as one clear line (exit 2)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from offtui.capture import Capture
from offtui.snapshot import build_snapshot
from offtui.sources.ssh import SshError, SshTarget, collect_ssh
from offtui.sources.ssh_live import LIVE, RETRYING, RemoteLive
from tests.remote.conftest import SshServer, cmdline, descendants

pytestmark = pytest.mark.netns
REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "offtui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        check=False,
    )


def _is_collector(pid: int) -> bool:
    c = cmdline(pid)
    return c.startswith("sh -c ") and "offtui-collect" in c


def _ppid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def _collectors(server: SshServer) -> list[int]:
    """The remote collector shells under our sshd (argv[0] offtui-collect), not their
    subshells (a forked ``$(...)`` has the same command line)."""
    assert server.pid is not None
    return [p for p in descendants(server.pid) if _is_collector(p) and not _is_collector(_ppid(p))]


def test_one_shot_capture_over_sshd(netns_sshd: SshServer, tmp_path: Path) -> None:
    out = collect_ssh(netns_sshd.target, tmp_path / "cap", netns_sshd.options)
    man = json.loads((out / "manifest.json").read_text())
    assert man["extra"]["collector_complete"] is True
    assert "collector_problems" not in man["extra"]  # no problem recorded
    assert man["extra"]["remote"]["target"] == f"ssh://root@{netns_sshd.target.host}"
    # the namespace's sshd runs the collector with this host's files: same kernel
    assert (out / "proc/version").read_text() == Path("/proc/version").read_text()
    assert (out / "samples/0/proc/stat").read_text().startswith("cpu ")
    snap = build_snapshot(Capture.open(out))
    assert snap.cpu is not None


def test_cli_diagnose_and_collect(netns_sshd: SshServer, tmp_path: Path) -> None:
    t = f"ssh://root@{netns_sshd.target.host}"
    r = _cli("diagnose", t, "--format", "json", "--fail-on", "never", *netns_sshd.ssh_words())
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc  # a report was built from the remote capture
    r = _cli("collect", t, "-o", str(tmp_path / "c"), *netns_sshd.ssh_words())
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "c/manifest.json").exists()


def test_cli_bundle_over_ssh(netns_sshd: SshServer, tmp_path: Path) -> None:
    """`offtui bundle ssh://...`: collected over SSH, redacted, and it opens offline."""
    t = f"ssh://root@{netns_sshd.target.host}"
    out = tmp_path / "remote.tar.gz"
    r = _cli("bundle", t, "-o", str(out), *netns_sshd.ssh_words())
    assert r.returncode == 0, r.stderr
    assert "redacted" in r.stdout and out.is_file()
    d = _cli("diagnose", str(out), "--format", "json", "--fail-on", "never")
    assert d.returncode == 0, d.stderr
    doc = json.loads(d.stdout)
    assert doc["capture"]["redacted"] is True
    # the router's own address never appears in the bundle
    import tarfile

    with tarfile.open(out) as tar:
        blob = b"".join(tar.extractfile(m).read() for m in tar if m.isfile())
    assert netns_sshd.target.host.encode() not in blob


def test_ssh_config_alias(netns_sshd: SshServer, tmp_path: Path) -> None:
    cfg = tmp_path / "ssh_config"
    cfg.write_text(
        f"Host labrouter\n  HostName {netns_sshd.target.host}\n  User root\n"
        f"  IdentityFile {netns_sshd.options.identity[0]}\n"
    )
    words = ["-F", str(cfg)] + [w for o in netns_sshd.options.options for w in ("--ssh-option", o)]
    # the bare alias needs ~/.ssh/config; ssh://alias works with any config file
    r = _cli("diagnose", "ssh://labrouter", "--fail-on", "never", *words)
    assert r.returncode == 0, r.stderr


def test_live_session_survives_a_killed_ssh_client(netns_sshd: SshServer) -> None:
    live = RemoteLive(netns_sshd.target, netns_sshd.options, interval=0.3, retry_max_s=2)
    try:
        live.start(timeout=60)
        first = live.next_sample(10)
        assert first is not None and first.session == 1
        assert first.groups == {"flows", "config", "logs"}
        cheap = live.next_sample(10)
        assert cheap is not None and cheap.groups == frozenset()
        # a cheap answer: the sample record and 4 sources (no PPE here)
        assert [s.name for s in cheap.stream.sources] == [
            "proc/stat",
            "proc/softirqs",
            "proc/sys/net/netfilter/nf_conntrack_count",
            "proc/sys/net/netfilter/nf_conntrack_max",
        ]
        assert cheap.wire_bytes < 8 * 1024
        # the heavy sources stay in the directory between heavy answers
        assert (cheap.dir / "commands/uname_-a").exists()
        assert (cheap.dir / "samples/0/proc/stat").exists()
        pid = live.ssh_pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 20
        seen = set()
        resumed = None
        while time.monotonic() < deadline:
            seen.add(live.state)
            s = live.next_sample(0.2)
            if s is not None and s.session == 2:
                resumed = s
                break
        assert RETRYING in seen, seen
        assert resumed is not None and live.state == LIVE
        # a new session starts with every heavy group again
        assert resumed.groups == {"flows", "config", "logs"}
        assert (resumed.dir / "commands/uname_-a").exists()
    finally:
        live.close()
    assert not _collectors(netns_sshd)  # nothing left running on the server


def test_live_collector_killed_mid_session(netns_sshd: SshServer) -> None:
    live = RemoteLive(netns_sshd.target, netns_sshd.options, interval=0.3, retry_max_s=1)
    try:
        live.start(timeout=60)
        assert live.next_sample(10) is not None
        (victim,) = _collectors(netns_sshd)
        os.kill(victim, signal.SIGKILL)
        msgs = set()
        resumed = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if live.error:
                msgs.add(live.error)
            s = live.next_sample(0.2)
            if s is not None and s.session >= 2:
                resumed = s
                break
        assert resumed is not None
        assert any("connection lost" in m or "mid-sample" in m for m in msgs), msgs
    finally:
        live.close()


def test_request_heavy_comes_at_once(netns_sshd: SshServer) -> None:
    live = RemoteLive(netns_sshd.target, netns_sshd.options, interval=5.0)
    try:
        live.start(timeout=60)
        live.next_sample(10)
        t0 = time.monotonic()
        live.request_heavy("config")
        s = live.next_sample(10)
        assert s is not None and "config" in s.groups
        assert time.monotonic() - t0 < 4  # not one 5 s interval later
        # config sources that did not change came back as "unchanged" (filled in locally)
        unchanged = [x for x in s.stream.sources if x.detail == "unchanged"]
        assert unchanged
        assert all(x.status in ("ok", "empty") for x in unchanged)
    finally:
        live.close()


# ---------------------------------------------------------------- failures


def _fails(server: SshServer, target: SshTarget, tmp_path: Path, kind: str, **opt) -> str:
    opts = dataclasses.replace(server.options, **opt)
    with pytest.raises(SshError) as ei:
        collect_ssh(target, tmp_path / "x", opts, timeout=60)
    assert ei.value.kind == kind, str(ei.value)
    msg = str(ei.value)
    assert "\n" not in msg
    return msg


def test_unreachable_refused_port(netns_sshd: SshServer, tmp_path: Path) -> None:
    t = dataclasses.replace(netns_sshd.target, port=2)
    msg = _fails(netns_sshd, t, tmp_path, "unreachable")
    assert msg == f"ssh://root@{t.host}:2: unreachable (connection refused)"


def test_unreachable_no_host(netns_sshd: SshServer, tmp_path: Path) -> None:
    # an address on the namespace's own /29 link that nobody holds: no ARP answer
    t = dataclasses.replace(netns_sshd.target, host=netns_sshd.target.host[:-1] + "5")
    msg = _fails(netns_sshd, t, tmp_path, "unreachable", connect_timeout=3)
    assert msg.startswith(f"ssh://root@{t.host}: unreachable (")


def test_auth_failure(netns_sshd: SshServer, tmp_path: Path) -> None:
    msg = _fails(
        netns_sshd,
        netns_sshd.target,
        tmp_path,
        "auth",
        identity=[str(netns_sshd.dir / "stranger_ed25519")],
    )
    assert "authentication failed" in msg


def test_host_key_mismatch(netns_sshd: SshServer, tmp_path: Path) -> None:
    opts = [o for o in netns_sshd.options.options if not o.startswith("UserKnownHostsFile")]
    opts.append(f"UserKnownHostsFile={netns_sshd.dir}/known_hosts_wrong")
    msg = _fails(netns_sshd, netns_sshd.target, tmp_path, "hostkey", options=opts)
    assert "host key mismatch" in msg


def test_collector_killed_mid_sample(netns_sshd: SshServer, tmp_path: Path) -> None:
    result: dict = {}

    def run() -> None:
        try:
            collect_ssh(
                netns_sshd.target,
                tmp_path / "x",
                netns_sshd.options,
                collector_args=["-c", "sleep 30"],
            )
        except SshError as exc:
            result["err"] = exc

    th = threading.Thread(target=run)
    th.start()
    deadline = time.monotonic() + 30
    victims: list[int] = []
    while time.monotonic() < deadline and not victims:
        # kill once the collector is inside the sleep: mid-sample by construction
        victims = [
            c
            for c in _collectors(netns_sshd)
            if any("sleep 30" in cmdline(k) and not _is_collector(k) for k in descendants(c))
        ]
        time.sleep(0.05)
    assert victims
    os.kill(victims[0], signal.SIGKILL)
    th.join(60)
    err = result["err"]
    assert err.kind == "killed"
    assert "collector stopped mid-sample (during commands/sleep_30)" in str(err)


def test_cli_failures_exit_2_with_one_line(netns_sshd: SshServer) -> None:
    host = netns_sshd.target.host
    base = netns_sshd.ssh_words()
    cases = {
        "unreachable": ([f"ssh://root@{host}:2", *base], "unreachable (connection refused)"),
        "auth": (
            [
                f"ssh://root@{host}",
                "-F",
                "/dev/null",
                "-i",
                str(netns_sshd.dir / "stranger_ed25519"),
                *[w for o in netns_sshd.options.options for w in ("--ssh-option", o)],
                "--ssh-option",
                "BatchMode=yes",
            ],
            "authentication failed",
        ),
        "bad target": (["ssh://root@-oProxyCommand=x"], "bad host name"),
    }
    for name, (args, text) in cases.items():
        r = _cli("diagnose", *args)
        assert r.returncode == 2, (name, r.stdout, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and text in lines[0], (name, r.stderr)


def test_cli_collector_killed_exit_2(netns_sshd: SshServer) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "offtui",
            "diagnose",
            f"ssh://root@{netns_sshd.target.host}",
            *netns_sshd.ssh_words(),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    deadline = time.monotonic() + 30
    killed = False
    seen: float | None = None
    while time.monotonic() < deadline and not killed and proc.poll() is None:
        found = _collectors(netns_sshd)
        if found and seen is None:
            seen = time.monotonic()
        # the collector takes >= 1 s (two CPU samples): 0.4 s in, it is mid-sample
        if found and time.monotonic() - seen >= 0.4:
            with contextlib.suppress(ProcessLookupError):
                os.kill(found[0], signal.SIGKILL)
                killed = True
        time.sleep(0.02)
    out, err = proc.communicate(timeout=60)
    assert killed
    assert proc.returncode == 2, (out, err)
    assert len(err.strip().splitlines()) == 1 and "collector stopped mid-sample" in err
