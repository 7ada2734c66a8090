"""Executors: run a command, read a file, write a file on the target (local or remote).

Every change the wizard makes goes through one small interface so the same plan runs on
this host, in a network namespace, or over SSH. Commands are argv lists; an SSH executor
quotes them for the remote shell. Scripts are POSIX sh (busybox ash on OpenWrt).
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "CommandExecutor",
    "Executor",
    "ExecutorError",
    "LocalExecutor",
    "Result",
    "SshExecutor",
    "read_file",
    "run_sh",
    "ssh_executor",
    "write_file",
]


class ExecutorError(Exception):
    """The target could not be reached or a command could not be started."""


@dataclass(slots=True, frozen=True)
class Result:
    rc: int
    stdout: bytes
    stderr: bytes

    @property
    def ok(self) -> bool:
        return self.rc == 0

    @property
    def out(self) -> str:
        return self.stdout.decode("utf-8", "replace")

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8", "replace")


class Executor(Protocol):
    """Where the wizard acts. ``name`` is shown to the user ("local", "root@router")."""

    name: str

    def run(
        self, argv: Sequence[str], *, input: bytes | None = None, timeout: float = 60
    ) -> Result:
        """Run argv on the target; never raises for a non-zero exit (see Result.rc)."""
        ...

    def reconnect(self) -> Executor:
        """A fresh connection to the same target (checks that the target still answers)."""
        ...


@dataclass(slots=True)
class CommandExecutor:
    """Runs argv behind a fixed prefix (``ip netns exec NS``, ``ssh HOST``...).

    ``remote_shell``: the prefix hands one string to a remote shell (ssh does), so the
    argv is shell-quoted into a single word.
    """

    prefix: list[str] = field(default_factory=list)
    name: str = "local"
    remote_shell: bool = False
    #: Prepended to the remote command line (a login's PATH often lacks the sbin dirs).
    remote_prefix: str = ""
    runner: Callable[..., subprocess.CompletedProcess] = subprocess.run

    def run(
        self, argv: Sequence[str], *, input: bytes | None = None, timeout: float = 60
    ) -> Result:
        cmd = list(argv)
        if self.remote_shell:
            full = [*self.prefix, self.remote_prefix + shlex.join(cmd)]
        else:
            full = [*self.prefix, *cmd]
        try:
            cp = self.runner(
                full,
                input=input if input is not None else b"",
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except FileNotFoundError as exc:
            raise ExecutorError(f"{full[0]}: not found") from exc
        except subprocess.TimeoutExpired as exc:
            raise ExecutorError(f"{self.name}: {cmd[0]} did not finish in {timeout:g} s") from exc
        return Result(cp.returncode, cp.stdout or b"", cp.stderr or b"")

    def reconnect(self) -> CommandExecutor:
        return CommandExecutor(
            list(self.prefix), self.name, self.remote_shell, self.remote_prefix, self.runner
        )


def LocalExecutor(netns: str | None = None) -> CommandExecutor:
    """This host, or a network namespace of it (``ip netns exec``)."""
    if netns:
        return CommandExecutor(["ip", "netns", "exec", netns], name=f"netns {netns}")
    return CommandExecutor([], name="local")


def SshExecutor(
    host: str,
    *,
    user: str | None = None,
    port: int | None = None,
    identity: str | None = None,
    options: Sequence[str] = (),
    connect_timeout: int = 10,
) -> CommandExecutor:
    """A target reached with the system ``ssh`` (BatchMode: never prompts)."""
    cmd = ["ssh", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={connect_timeout}"]
    cmd += ["-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3"]
    if port:
        cmd += ["-p", str(port)]
    if identity:
        cmd += ["-i", identity]
    for o in options:
        cmd += ["-o", o]
    dest = f"{user}@{host}" if user else host
    cmd += ["-T", dest, "--"]
    path = 'PATH="$PATH:/usr/sbin:/sbin:/usr/local/sbin" '
    return CommandExecutor(cmd, name=dest, remote_shell=True, remote_prefix=path)


def ssh_executor(argv_prefix: list[str], name: str) -> CommandExecutor:
    """An executor over an ssh command line that ends with the destination (and ``--``)."""
    path = 'PATH="$PATH:/usr/sbin:/sbin:/usr/local/sbin" '
    return CommandExecutor(list(argv_prefix), name=name, remote_shell=True, remote_prefix=path)


def run_sh(ex: Executor, script: str, *args: str, timeout: float = 60) -> Result:
    """Run a POSIX sh script on the target (``sh -c SCRIPT sh ARGS...``)."""
    return ex.run(["sh", "-c", script, "sh", *args], timeout=timeout)


def read_file(ex: Executor, path: str) -> bytes | None:
    """The file's exact bytes, or None when it does not exist (other errors raise)."""
    r = run_sh(ex, 'if [ -e "$1" ]; then cat -- "$1"; else exit 3; fi', path)
    if r.rc == 3:
        return None
    if not r.ok:
        raise ExecutorError(f"{ex.name}: cannot read {path}: {r.err.strip()}")
    return r.stdout


def write_file(ex: Executor, path: str, data: bytes) -> None:
    """Replace the file's content in place (``cat >``: the inode, owner and mode stay)."""
    r = ex.run(["sh", "-c", 'cat > "$1"', "sh", path], input=data)
    if not r.ok:
        raise ExecutorError(f"{ex.name}: cannot write {path}: {r.err.strip()}")
