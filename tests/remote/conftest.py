"""Real SSH servers for the remote tests.

* ``netns_sshd`` (marked ``netns``): OpenSSH ``sshd`` in a network namespace of this host,
  reached over a veth pair; it listens only on the namespace's own address. Host and user
  keys are generated in a temporary directory; the client uses its own known_hosts and
  ``-F /dev/null`` so the user's ssh configuration plays no part.
* ``lab_ssh`` (marked ``lab``): the lab router VM (``lab/run routed-sfo --ssh``), dropbear with
  busybox as the only shell, real flowtables. One VM on this machine at a time: the fixture
  waits while another qemu runs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from offtui.sources.ssh import SshOptions, SshTarget

REPO = Path(__file__).resolve().parents[2]
SSHD = "/usr/sbin/sshd"


@dataclass
class SshServer:
    target: SshTarget
    options: SshOptions
    dir: Path
    pid: int | None  # the server's pid (the sshd we started, or the lab's qemu)
    ns: str | None = None

    def ssh_words(self) -> list[str]:
        """The CLI's ssh arguments for this server."""
        words: list[str] = []
        if self.options.config:
            words += ["-F", self.options.config]
        for i in self.options.identity:
            words += ["-i", i]
        for o in self.options.options:
            words += ["--ssh-option", o]
        return words


def _run(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=30)


def keygen(path: Path) -> str:
    _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "offtui-test", "-f", str(path))
    return path.with_suffix(".pub").read_text().strip()


def descendants(pid: int) -> list[int]:
    """Every process below pid (from /proc), children first."""
    kids: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(d.name))
    out: list[int] = []
    todo = list(kids.get(pid, []))
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.fixture(scope="session")
def netns_sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces, sshd)")
    if not Path(SSHD).exists() or shutil.which("ssh") is None:
        pytest.skip("needs openssh-server and openssh-client (apt-get install openssh-server)")
    d = tmp_path_factory.mktemp("sshd")
    k = os.getpid() % 200 + 20
    ns, host_if = f"offtui-ssh{os.getpid()}", f"oftssh{os.getpid() % 100000}"
    addr_h, addr_n = f"10.231.{k}.1", f"10.231.{k}.2"
    _run("ip", "netns", "add", ns)
    sshd_pid = None
    try:
        _run("ip", "link", "add", host_if, "type", "veth", "peer", "name", "eth0", "netns", ns)
        _run("ip", "addr", "add", f"{addr_h}/29", "dev", host_if)
        _run("ip", "link", "set", host_if, "up")
        _run("ip", "-n", ns, "addr", "add", f"{addr_n}/29", "dev", "eth0")
        _run("ip", "-n", ns, "link", "set", "eth0", "up")
        _run("ip", "-n", ns, "link", "set", "lo", "up")
        hostkey = d / "host_ed25519"
        host_pub = keygen(hostkey)
        user = d / "user_ed25519"
        (d / "authorized_keys").write_text(keygen(user) + "\n")
        wrong_host = keygen(d / "wrong_host_ed25519")
        keygen(d / "stranger_ed25519")
        (d / "known_hosts").write_text(f"{addr_n} {' '.join(host_pub.split()[:2])}\n")
        (d / "known_hosts_wrong").write_text(f"{addr_n} {' '.join(wrong_host.split()[:2])}\n")
        cfg = d / "sshd_config"
        cfg.write_text(
            f"ListenAddress {addr_n}\nPort 22\nHostKey {hostkey}\nPidFile {d}/sshd.pid\n"
            f"AuthorizedKeysFile {d}/authorized_keys\nPermitRootLogin prohibit-password\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
            "StrictModes no\nPrintMotd no\nLogLevel ERROR\n"
        )
        Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation directory
        proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, SSHD, "-D", "-e", "-f", str(cfg)],
            stderr=open(d / "sshd.log", "wb"),  # noqa: SIM115
        )
        sshd_pid = proc.pid
        opts = SshOptions(
            identity=[str(user)],
            config="/dev/null",
            options=[
                f"UserKnownHostsFile={d}/known_hosts",
                "StrictHostKeyChecking=yes",
                "IdentitiesOnly=yes",
                "LogLevel=ERROR",
            ],
            batch=True,
            connect_timeout=5,
        )
        target = SshTarget(host=addr_n, user="root")
        for _ in range(100):
            r = subprocess.run(opts.argv(target, "true"), capture_output=True, timeout=30)
            if r.returncode == 0:
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"sshd in {ns} did not answer: {r.stderr.decode()[-500:]}")
        yield SshServer(target=target, options=opts, dir=d, pid=sshd_pid, ns=ns)
    finally:
        if sshd_pid is not None:
            for p in [*descendants(sshd_pid), sshd_pid]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(p, 15)
        subprocess.run(["ip", "link", "del", host_if], capture_output=True, check=False)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)


def _qemu_running() -> bool:
    return any(
        "qemu-system" in cmdline(int(p.name)) for p in Path("/proc").iterdir() if p.name.isdigit()
    )


@pytest.fixture(scope="session")
def lab_ssh() -> Iterator[SshServer]:
    from tests.lab.conftest import lab_unavailable

    reason = lab_unavailable()
    if reason:
        pytest.skip(reason)
    port = 22000 + os.getpid() % 1000
    deadline = time.monotonic() + 1800
    while _qemu_running():  # one VM on this machine at a time
        if time.monotonic() > deadline:
            pytest.fail("another lab VM kept running for 30 minutes")
        time.sleep(5)
    proc = subprocess.run(
        [str(REPO / "lab/run"), "routed-sfo", "--ssh", "--port", str(port), "--detach"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"lab/run routed-sfo --ssh failed:\n{proc.stderr[-2000:]}")
    info = dict(w.split("=", 1) for w in proc.stdout.split("\n")[0].split()[1:])
    try:
        opts = SshOptions(
            identity=[info["key"]],
            config="/dev/null",
            options=[
                "StrictHostKeyChecking=no",
                "UserKnownHostsFile=/dev/null",
                "LogLevel=ERROR",
                "IdentitiesOnly=yes",
            ],
            batch=True,
        )
        yield SshServer(
            target=SshTarget(host="127.0.0.1", user="root", port=port),
            options=opts,
            dir=Path(info["key"]).parent,
            pid=int(info["pid"]),
        )
    finally:
        subprocess.run(
            [str(REPO / "lab/stop"), "--port", str(port)],
            capture_output=True,
            timeout=60,
            check=False,
        )
