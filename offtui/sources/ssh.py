"""Remote targets over SSH: ``ssh://[user@]host[:port]`` or an ssh_config alias.

Routers rarely have Python, so offtui sends its POSIX-sh collector (``collect.sh``) over the
connection and runs it with the router's own ``sh`` (busybox ash on OpenWrt): nothing is
installed or left behind. The system ``ssh`` client is used, so ``~/.ssh/config``, agents,
jump hosts, ``known_hosts`` and every key type behave as the user expects; ``-i``, ``-J``,
``-F`` and ``-o`` are passed through.

How the script travels: the remote command is a one-line bootstrap that reads the script
from stdin line by line up to an end marker and ``eval``s it. ``read`` never reads past a
newline, so the rest of stdin stays for the live mode's requests (one line per sample).

* :func:`collect_ssh` - one capture (the same stream and layout as the lab and the local
  collector), written to a directory.
* :class:`~offtui.sources.ssh_live.RemoteLive` - one SSH session kept open, a sample per
  interval (see ``docs/remote.md``).

Every failure becomes an :class:`SshError` with one line for the user (unreachable host,
authentication, host key mismatch, no POSIX sh, collector killed mid-sample).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from offtui.collector import COLLECT_SH
from offtui.collector.stream import CollectedStream, parse_stream, write_capture

#: Ends the script on stdin; the bootstrap stops reading there.
END_MARK = "__OFFTUI_COLLECT_END__"
#: The remote command: read the script from stdin up to END_MARK, then run it. One line, no
#: single quote inside, so any POSIX login shell (ash, dash, bash, zsh) passes it to sh.
BOOTSTRAP = (
    'N=$(printf "\\n_"); N=${N%_}; S=; '
    f'while IFS= read -r L; do [ "$L" = {END_MARK} ] && break; S="$S$L$N"; done; '
    'eval "$S"'
)

_HOST = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._%-]*")
_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")


class SshError(Exception):
    """A remote target failed: ``kind`` is a short word, ``str()`` one line for the user.

    Kinds: ``usage``, ``unreachable``, ``auth``, ``hostkey``, ``no-sh``, ``sh-features``,
    ``killed``, ``not-a-stream``, ``timeout``, ``ssh`` (anything else ssh reported).
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class SshTarget:
    """Where to connect. ``host`` may be an ssh_config alias (ssh resolves it)."""

    host: str
    user: str | None = None
    port: int | None = None

    @classmethod
    def parse(cls, text: str) -> SshTarget:
        """``ssh://[user@]host[:port]`` (IPv6 as ``[addr]``), or a bare alias/host name.

        Raises :class:`ValueError` with a readable reason.
        """
        rest = text.strip()
        if rest.startswith("ssh://"):
            rest = rest[len("ssh://") :].rstrip("/")
        elif "://" in rest:
            raise ValueError(f"{text}: only ssh:// targets are supported")
        user = None
        if "@" in rest:
            user, _, rest = rest.rpartition("@")
            if not _USER.fullmatch(user):
                raise ValueError(f"{text}: bad user name {user!r}")
        port: int | None = None
        if rest.startswith("["):
            host, sep, tail = rest[1:].partition("]")
            if (
                not sep
                or not re.fullmatch(r"[0-9A-Fa-f:.]+(%[A-Za-z0-9._-]+)?", host)
                or ":" not in host
            ):
                raise ValueError(f"{text}: bad IPv6 address")
            if tail:
                if not tail.startswith(":"):
                    raise ValueError(f"{text}: unexpected {tail!r} after the address")
                port = _port(text, tail[1:])
        else:
            host, sep, p = rest.partition(":")
            if sep:
                port = _port(text, p)
            if not _HOST.fullmatch(host):
                raise ValueError(f"{text}: bad host name {host!r}")
        return cls(host=host, user=user, port=port)

    @property
    def destination(self) -> str:
        """The ``[user@]host`` word for the ssh command line."""
        return f"{self.user}@{self.host}" if self.user else self.host

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        user = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port else ""
        return f"ssh://{user}{host}{port}"


def _port(text: str, p: str) -> int:
    if not p.isdigit() or not 0 < int(p) < 65536:
        raise ValueError(f"{text}: bad port {p!r}")
    return int(p)


def ssh_config_hosts(config: Path | None = None) -> set[str]:
    """Literal ``Host`` names (no wildcards) of an ssh_config file and its ``Include`` files."""
    path = config or Path.home() / ".ssh" / "config"
    out: set[str] = set()
    seen: set[Path] = set()

    def read(p: Path) -> None:
        if p in seen or len(seen) > 32:
            return
        seen.add(p)
        try:
            lines = p.read_text(errors="replace").splitlines()
        except OSError:
            return
        for line in lines:
            words = line.strip().replace("=", " ", 1).split()
            if len(words) < 2 or words[0].startswith("#"):
                continue
            key = words[0].lower()
            if key == "host":
                out.update(w for w in words[1:] if not any(c in w for c in "*?!"))
            elif key == "include":
                for pat in words[1:]:
                    base = Path(os.path.expanduser(pat))
                    if not base.is_absolute():
                        base = path.parent / base
                    for q in sorted(base.parent.glob(base.name)):
                        read(q)

    read(path)
    return out


def resolve_target(text: str | None, config: Path | None = None) -> SshTarget | None:
    """The SSH target TEXT names, or None when it is local or a capture path.

    ``ssh://...`` always; a bare word only when it is not an existing path and is a literal
    ``Host`` in the user's ssh_config (``offtui router`` with ``Host router`` configured).
    Raises :class:`SshError` (kind ``usage``) for a malformed ``ssh://`` target.
    """
    if not text or text == "local":
        return None
    if text.startswith("ssh://"):
        try:
            return SshTarget.parse(text)
        except ValueError as exc:
            raise SshError("usage", str(exc)) from exc
    if "://" in text or os.path.exists(text) or "/" in text:
        return None
    if text in ssh_config_hosts(config):
        return SshTarget(host=text)
    return None


@dataclass(slots=True)
class SshOptions:
    """What is passed to the system ``ssh``: ``-F``, ``-i``, ``-J`` and ``-o`` options.

    ``batch`` adds ``BatchMode=yes`` (no password or host-key prompt: tests, and the live
    view, whose screen a prompt would garble). User options come first, so they win over
    offtui's defaults (ssh keeps the first value it sees).
    """

    identity: list[str] = field(default_factory=list)
    jump: str | None = None
    options: list[str] = field(default_factory=list)
    config: str | None = None
    batch: bool = False
    connect_timeout: int = 10
    program: str = "ssh"

    @classmethod
    def from_words(cls, words: list[str]) -> SshOptions:
        """From ssh-style words, e.g. ``shlex.split(os.environ["OFFTUI_SSH_OPTIONS"])``."""
        o = cls()
        it = iter(words)
        for w in it:
            if w in ("-i", "-J", "-o", "-F"):
                v = next(it, None)
                if v is None:
                    raise SshError("usage", f"ssh option {w} needs a value")
            elif w[:2] in ("-i", "-J", "-o", "-F") and len(w) > 2:
                w, v = w[:2], w[2:]
            else:
                raise SshError("usage", f"unsupported ssh option {w!r} (use -i, -J, -o, -F)")
            if w == "-i":
                o.identity.append(v)
            elif w == "-J":
                o.jump = v
            elif w == "-F":
                o.config = v
            else:
                o.options.append(v)
        return o

    @classmethod
    def from_env(cls) -> SshOptions:
        return cls.from_words(shlex.split(os.environ.get("OFFTUI_SSH_OPTIONS", "")))

    def argv(self, target: SshTarget, command: str, *, keepalive: bool = False) -> list[str]:
        a = [self.program]
        if self.config:
            a += ["-F", self.config]
        for i in self.identity:
            a += ["-i", i]
        if self.jump:
            a += ["-J", self.jump]
        for o in self.options:
            a += ["-o", o]
        a += ["-o", f"ConnectTimeout={self.connect_timeout}"]
        if self.batch:
            a += ["-o", "BatchMode=yes"]
        if keepalive:
            # a dead link is noticed in ~15 s instead of the TCP timeout
            a += ["-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3"]
        # no pty (bytes pass unchanged), no X11 or agent forwarding, no escape character
        a += ["-T", "-x", "-a", "-e", "none"]
        if target.port:
            a += ["-p", str(target.port)]
        return [*a, "--", target.destination, command]


def remote_command(args: list[str]) -> str:
    """The command line the remote login shell runs (the bootstrap and collect.sh's args)."""
    words = " ".join(shlex.quote(a) for a in args)
    return f"exec sh -c '{BOOTSTRAP}' offtui-collect {words}".rstrip()


def script_input() -> bytes:
    """collect.sh followed by the end marker: what the bootstrap reads from stdin."""
    text = COLLECT_SH.read_bytes()
    if not text.endswith(b"\n"):
        text += b"\n"
    return text + END_MARK.encode() + b"\n"


# ---------------------------------------------------------------- failures
_RULES: list[tuple[str, re.Pattern[str], str]] = [
    (
        "hostkey",
        re.compile(r"REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed"),
        "host key mismatch: the key it offers is not the one in known_hosts (a reinstalled "
        "router, or someone in between); check it, then `ssh-keygen -R HOST`",
    ),
    (
        "hostkey",
        re.compile(r"No \S+ host key is known for|Host key verification failed"),
        "host key not verified: unknown to known_hosts and not accepted without a prompt; "
        "connect once with `ssh` to check and accept it",
    ),
    (
        "auth",
        re.compile(r"Permission denied \(|Too many authentication failures|Authentication fail"),
        "authentication failed (key not accepted, or a password is needed where none can be "
        "asked: use a key or the agent, or -i KEY)",
    ),
    (
        "unreachable",
        re.compile(r"Could not resolve hostname[^\n]*"),
        "host name not found",
    ),
    (
        "unreachable",
        re.compile(
            r"connect to host \S+ port \d+: (Connection refused|No route to host|Network is "
            r"unreachable|Connection timed out|Operation timed out|Host is down)"
        ),
        "unreachable",
    ),
    (
        "unreachable",
        re.compile(
            r"kex_exchange_identification|Connection closed by \S+ port \d+|"
            r"Connection reset by"
        ),
        "the SSH server closed the connection before login",
    ),
    ("unreachable", re.compile(r"Timeout, server \S+ not responding"), "connection lost"),
]


def classify(rc: int | None, stderr: str, target: SshTarget | str) -> SshError:
    """One-line error for an ssh run that did not give a collector stream."""
    where = str(target)
    err = stderr.strip()
    for kind, pat, text in _RULES:
        m = pat.search(err)
        if m:
            if kind == "unreachable" and m.lastindex:
                text = f"unreachable ({m.group(1).lower()})"
            elif text == "host name not found":
                text = f"host name not found ({m.group(0).split(':', 1)[0]})"
            return SshError(kind, f"{where}: {text}")
    m = re.search(r"offtui-collect: missing sh features:(.*)", err)
    if m:
        return SshError(
            "sh-features",
            f"{where}: the remote sh lacks what the collector needs:{m.group(1).rstrip()}",
        )
    if rc == 127 or re.search(r"\bsh: (not found|No such file)|exec: sh: not found", err):
        return SshError("no-sh", f"{where}: no POSIX `sh` on the remote host (exit {rc})")
    last = err.splitlines()[-1] if err else f"ssh exited with status {rc}"
    return SshError("ssh", f"{where}: {last[:200]}")


def stream_error(
    stream: CollectedStream, target: SshTarget | str, rc: int | None, stderr: str
) -> SshError | None:
    """An error when the collector's stream is not a complete capture, else None."""
    if stream.version is None:
        err = classify(rc, stderr, target)
        if err.kind != "ssh":
            return err
        if "(first line: '')" in stream.problems[0]:
            return SshError(
                "killed", f"{target}: collector stopped before sending anything (ssh exit {rc})"
            )
        if not stderr.strip():
            return SshError("not-a-stream", f"{target}: {stream.problems[0]}")
        return err
    if stream.complete:
        return None
    cut = [s.name for s in stream.sources if not s.complete or "stream" in s.detail]
    where = f" (during {cut[-1]})" if cut else ""
    got = len([s for s in stream.sources if s.complete])
    why = "the collector was killed or the connection dropped"
    lost = classify(rc, stderr, target)
    if lost.kind == "unreachable":
        why = str(lost).split(": ", 1)[1]
    return SshError(
        "killed", f"{target}: collector stopped mid-sample{where}: {why}; {got} sources received"
    )


def _skip_noise(data: bytes) -> bytes:
    """Drop what a chatty login shell printed before the collector's header line."""
    if data.startswith(b"offtui-collect/"):
        return data
    i = data.find(b"\nofftui-collect/")
    return data[i + 1 :] if i >= 0 else data


def collect_ssh(
    target: SshTarget | str,
    dest: str | os.PathLike[str],
    ssh_options: SshOptions | None = None,
    *,
    timeout: float = 600.0,
    compress: bool = True,
    collector_args: list[str] | None = None,
) -> Path:
    """Run the collector on TARGET over SSH and write the capture to DEST.

    ``compress`` gzips the big sources on the router (``collect.sh -z``) when it has gzip.
    Raises :class:`SshError` for any failure, including a stream cut short.
    """
    if isinstance(target, str):
        try:
            target = SshTarget.parse(target)
        except ValueError as exc:
            raise SshError("usage", str(exc)) from exc
    opts = ssh_options or SshOptions.from_env()
    args = list(collector_args or [])
    if compress:
        args.insert(0, "-z")
    argv = opts.argv(target, remote_command(args))
    try:
        proc = subprocess.run(
            argv, input=script_input(), capture_output=True, timeout=timeout, check=False
        )
    except FileNotFoundError as exc:
        raise SshError("usage", f"{opts.program}: the ssh client is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise SshError("timeout", f"{target}: no complete capture within {timeout:.0f} s") from exc
    stderr = proc.stderr.decode("utf-8", "replace")
    stream = parse_stream(_skip_noise(proc.stdout))
    err = stream_error(stream, target, proc.returncode, stderr)
    if err is not None:
        raise err
    out = Path(dest)
    write_capture(
        stream,
        out,
        extra={"remote": {"target": str(target), "wire_bytes": len(proc.stdout)}},
    )
    return out


from offtui.sources.ssh_live import RemoteLive, RemoteSample  # noqa: E402  (re-export)

__all__ = [
    "RemoteLive",
    "RemoteSample",
    "SshError",
    "SshOptions",
    "SshTarget",
    "classify",
    "collect_ssh",
    "resolve_target",
]
