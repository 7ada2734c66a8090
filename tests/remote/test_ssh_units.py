"""Pieces of the remote source that need no SSH server: targets, the bootstrap run by real
shells, the live stream splitter (fuzzed), gzip and "unchanged" records, error messages."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offtui.collector.livestream import LiveStreamParser
from offtui.collector.stream import parse_stream
from offtui.sources.ssh import (
    SshError,
    SshOptions,
    SshTarget,
    classify,
    remote_command,
    resolve_target,
    script_input,
)

SHELLS = {"busybox": ["busybox", "sh"], "dash": ["dash"], "bash": ["bash", "--posix"]}


def _shell(name: str) -> list[str]:
    if shutil.which(SHELLS[name][0]) is None:
        pytest.skip(f"{name} not installed")
    return SHELLS[name]


# ---------------------------------------------------------------- targets


@pytest.mark.parametrize(
    ("text", "user", "host", "port"),
    [
        ("ssh://router", None, "router", None),
        ("ssh://root@192.168.1.1", "root", "192.168.1.1", None),
        ("ssh://root@192.168.1.1:2222/", "root", "192.168.1.1", 2222),
        ("ssh://admin@[fe80::1%br-lan]:22", "admin", "fe80::1%br-lan", 22),
        ("ssh://[2001:db8::1]", None, "2001:db8::1", None),
    ],
)
def test_target_parse(text: str, user: str | None, host: str, port: int | None) -> None:
    t = SshTarget.parse(text)
    assert (t.user, t.host, t.port) == (user, host, port)


@pytest.mark.parametrize(
    "text",
    [
        "ssh://",
        "ssh://root@",
        "ssh://host:0",
        "ssh://host:70000",
        "ssh://host:x",
        "ssh://-oProxyCommand=touch_x",  # would be an ssh option
        "ssh://[::1",
        "http://host",
        "ssh://us er@host",
    ],
)
def test_target_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        SshTarget.parse(text)


_host = st.from_regex(r"[a-z0-9][a-z0-9.-]{0,20}", fullmatch=True)


@given(
    user=st.none() | st.from_regex(r"[a-z_][a-z0-9_-]{0,8}", fullmatch=True),
    host=_host,
    port=st.none() | st.integers(1, 65535),
)
def test_target_round_trip(user: str | None, host: str, port: int | None) -> None:
    t = SshTarget(host=host, user=user, port=port)
    assert SshTarget.parse(str(t)) == t


@given(st.text(max_size=80))
def test_target_parse_never_raises_other_errors(text: str) -> None:
    try:
        t = SshTarget.parse("ssh://" + text)
    except ValueError:
        return
    assert not t.host.startswith("-")


def test_resolve_target_alias(tmp_path: Path) -> None:
    cfg = tmp_path / "config"
    inc = tmp_path / "more.conf"
    inc.write_text("Host edge-router\n  HostName 10.0.0.1\n")
    cfg.write_text(f"Host gw *.lan !x\n  User root\nInclude {inc}\n")
    assert resolve_target("gw", cfg) == SshTarget(host="gw")
    assert resolve_target("edge-router", cfg) == SshTarget(host="edge-router")
    assert resolve_target("other", cfg) is None  # not an alias: a (missing) capture path
    assert resolve_target("x.lan", cfg) is None  # wildcard patterns are not aliases
    assert resolve_target(str(tmp_path), cfg) is None  # an existing path wins
    assert resolve_target("local", cfg) is None
    with pytest.raises(SshError):
        resolve_target("ssh://bad host", cfg)


def test_ssh_argv_user_options_first() -> None:
    o = SshOptions.from_words(["-i", "k", "-J", "jump", "-oPort=2", "-F", "cfg"])
    argv = o.argv(SshTarget(host="r", user="root", port=22), "cmd", keepalive=True)
    assert argv[:9] == ["ssh", "-F", "cfg", "-i", "k", "-J", "jump", "-o", "Port=2"]
    assert argv[-3:] == ["--", "root@r", "cmd"]
    assert "ServerAliveInterval=5" in argv
    with pytest.raises(SshError):
        SshOptions.from_words(["-R", "x"])


# ---------------------------------------------------------------- bootstrap on real shells


@pytest.mark.parametrize("shell_name", sorted(SHELLS))
def test_bootstrap_runs_the_collector(shell_name: str, tmp_path: Path) -> None:
    """The remote command, as a login shell would run it, reading the script on stdin."""
    sh = _shell(shell_name)
    # the remote command says `sh`: give it this shell under that name
    (tmp_path / "sh").symlink_to(shutil.which(sh[0]))  # type: ignore[arg-type]
    cmd = remote_command(["-L"])
    requests = b"tick 1 epoch\ntick 2 config\ntick 3\nquit\n"
    proc = subprocess.run(
        [*sh, "-c", cmd],
        input=script_input() + requests,
        capture_output=True,
        timeout=120,
        env={"PATH": f"{tmp_path}:/usr/sbin:/usr/bin:/sbin:/bin", "TMPDIR": str(tmp_path)},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    p = LiveStreamParser()
    answers = p.feed(proc.stdout)
    # counted independently: one "done" line per answer, plus the hello
    n_done = sum(1 for line in proc.stdout.split(b"\n") if b" done records=" in line)
    assert n_done == 4 and len(answers) == 3
    assert all(a.complete and not a.problems for a in answers)
    assert p.hello is not None and p.hello.meta["mode"] == "live"
    assert [a.samples[0].seq for a in answers] == [1, 2, 3]
    assert answers[0].samples[0].epoch is not None and answers[1].samples[0].epoch is None
    assert len(answers[2].sources) == 4  # the cheap sources only


# ---------------------------------------------------------------- the live stream splitter


@pytest.fixture(scope="module")
def live_stream(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    sh = _shell("dash")
    from offtui.collector import COLLECT_SH

    tmp = tmp_path_factory.mktemp("live")
    proc = subprocess.run(
        [*sh, str(COLLECT_SH), "-L", "-z"],
        input=b"tick 1 epoch flows\ntick 2\ntick 3 config logs\ntick 4 config logs\nquit\n",
        capture_output=True,
        timeout=120,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "TMPDIR": str(tmp)},
        check=False,
    )
    assert proc.returncode == 0
    return proc.stdout


def _answers(data: bytes, cuts: list[int]) -> list:
    p = LiveStreamParser()
    out, last = [], 0
    for c in [*sorted(set(cuts)), len(data)]:
        out += p.feed(data[last:c])
        last = c
    return out


def test_live_answers_and_unchanged(live_stream: bytes) -> None:
    answers = _answers(live_stream, [])
    assert len(answers) == 4
    # in the second config answer, sources with the same bytes came as "unchanged" and got
    # their bytes back from the first; counted on the raw stream with a plain search
    n_unchanged = live_stream.count(b" end status=unchanged ")
    assert n_unchanged > 0
    refilled = [s for s in answers[3].sources if s.detail == "unchanged"]
    assert len(refilled) == n_unchanged
    first = {s.name: s.content for s in answers[2].sources}
    assert all(s.content == first[s.name] for s in refilled)
    assert answers[3].source("commands/uname_-a").content.startswith(b"Linux ")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(st.integers(0, 400_000), max_size=30))
def test_live_chunking_does_not_matter(live_stream: bytes, cuts: list[int]) -> None:
    whole = _answers(live_stream, [])
    parts = _answers(live_stream, [c % (len(live_stream) + 1) for c in cuts])
    assert [(s.name, s.status, s.content) for a in parts for s in a.sources] == [
        (s.name, s.status, s.content) for a in whole for s in a.sources
    ]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000), st.integers(0, 3000))
def test_live_parser_never_raises(data: bytes, cut: int) -> None:
    p = LiveStreamParser()
    p.feed(data[:cut])
    p.feed(data[cut:])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(0, 400_000), junk=st.binary(max_size=200))
def test_live_truncated_or_noisy(live_stream: bytes, cut: int, junk: bytes) -> None:
    """A login banner before the header, and a stream cut anywhere: complete answers only."""
    cut %= len(live_stream) + 1
    data = b"Welcome to the router\n" + live_stream[:cut] + junk
    answers = LiveStreamParser().feed(data)
    assert len(answers) <= 4
    assert all(a.complete for a in answers)


# ---------------------------------------------------------------- gzip records


def _record_stream(body: bytes, end: str) -> bytes:
    b = "abcdefgh12345678"
    return (
        f"offtui-collect/1 boundary={b}\n--{b} begin file proc/net/nf_conntrack "
        f"/proc/net/nf_conntrack\n".encode()
        + body
        + f"\n--{b} stderr\n\n--{b} end status=ok exit=0 start=1.00 end=1.20 {end}\n"
        f"--{b} done records=1\n".encode()
    )


def test_gzip_record_decoded() -> None:
    raw = Path("tests/captures").glob("*.txt")
    text = b"".join(p.read_bytes() for p in sorted(raw))[:200_000]
    s = parse_stream(_record_stream(gzip.compress(text), "enc=gzip"))
    src = s.source("proc/net/nf_conntrack")
    assert src is not None and src.status == "ok" and src.content == text


@given(st.binary(max_size=500))
def test_gzip_damaged_is_failed(junk: bytes) -> None:
    s = parse_stream(_record_stream(junk, "enc=gzip"))
    src = s.source("proc/net/nf_conntrack")
    assert src is not None
    assert src.status == "failed" or src.content == gzip.decompress(junk)


# ---------------------------------------------------------------- messages


@pytest.mark.parametrize(
    ("stderr", "kind", "text"),
    [
        # OpenSSH 9.2's own words (seen against the netns sshd in test_sshd_netns.py)
        (
            "ssh: connect to host 10.231.5.2 port 2: Connection refused\r\n",
            "unreachable",
            "unreachable (connection refused)",
        ),
        ("root@10.231.5.2: Permission denied (publickey).\r\n", "auth", "authentication failed"),
        (
            "@@@@@\r\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\n"
            "Host key verification failed.\r\n",
            "hostkey",
            "host key mismatch",
        ),
        (
            "No ED25519 host key is known for 10.0.0.1 and you have requested strict checking.\r\n"
            "Host key verification failed.\r\n",
            "hostkey",
            "host key not verified",
        ),
        ("sh: exec: sh: not found\n", "no-sh", "no POSIX `sh`"),
        ("offtui-collect: missing sh features: tr\n", "sh-features", "lacks what"),
    ],
)
def test_classify(stderr: str, kind: str, text: str) -> None:
    err = classify(255, stderr, SshTarget(host="r", user="root"))
    assert err.kind == kind and text in str(err) and "\n" not in str(err)
    assert str(err).startswith("ssh://root@r: ")


@pytest.mark.netns
def test_missing_sh_features_is_one_clear_line() -> None:
    """A host without `tr`: /usr/bin/tr hidden under a non-executable file in a private
    mount namespace (root only); the collector refuses before printing a stream."""
    import os

    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("dash") is None:
        pytest.skip("needs root, unshare and dash")
    tr = os.path.realpath(shutil.which("tr") or "/usr/bin/tr")
    proc = subprocess.run(
        [
            "unshare",
            "-m",
            "--propagation",
            "private",
            "sh",
            "-c",
            f'mount --bind /dev/null {tr} && exec dash -c "$0"',
            remote_command([]),
        ],
        input=script_input(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 3 and proc.stdout == b""
    err = classify(proc.returncode, proc.stderr.decode(), SshTarget(host="r", user="root"))
    assert err.kind == "sh-features"
    assert str(err) == "ssh://root@r: the remote sh lacks what the collector needs: tr"
