"""The local source: collect a capture of the host offtui runs on.

Files are read directly, commands run without a shell and with timeouts, and every source
gets a status (ok, missing, permission denied, failed, timed out) with a hint. The local
source only reads: it never loads a kernel module (it does not talk to a netlink subsystem
whose module is not loaded, since the kernel would autoload it) and never changes anything.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from offtui import __version__
from offtui.capture import FORMAT_NAME, FORMAT_VERSION
from offtui.sources.catalog import BY_NAME, SOURCES, SourceSpec

#: Extra files collected by pattern (their names vary by hardware).
FILE_GLOBS = (
    "sys/kernel/debug/ppe*/entries",
    "sys/kernel/debug/ppe*/bind",
    "sys/kernel/debug/mtk_ppe/bind",
    "sys/module/mt7*/parameters/wed_enable",
    "proc/sys/net/netfilter/nf_*",
)

#: Commands whose netlink subsystem lives in a module the kernel would autoload.
NEEDS_MODULE = {
    "nft": ("nf_tables",),
    "conntrack": ("nf_conntrack_netlink",),
}

CMD_TIMEOUT_S = 10.0


class LocalHost:
    """Where the local source reads from (a root other than ``/`` is for tests)."""

    def __init__(self, root: str = "/") -> None:
        self.root = Path(root)

    def path(self, name: str) -> Path:
        return self.root / name

    def module_available(self, name: str) -> bool | None:
        """True when loaded or built in, False when absent, None when unknown."""
        if (self.root / "sys/module" / name).exists():
            return True
        mods = self.path("proc/modules")
        try:
            text = mods.read_text()
        except OSError:
            return None  # no module support at all: everything is built in or absent
        return any(line.split(" ", 1)[0] == name for line in text.splitlines())


def _status(name: str, kind: str, status: str, **kw: object) -> dict:
    d: dict = {"name": name, "kind": kind, "status": status}
    d.update({k: v for k, v in kw.items() if v not in (None, "")})
    return d


def _read_file(host: LocalHost, name: str, dest: Path, spec: SourceSpec | None) -> dict:
    src = host.path(name)
    t0 = time.monotonic()
    hint = spec.hint if spec else ""
    try:
        data = src.read_bytes()
    except FileNotFoundError:
        detail = "file does not exist"
        if name.startswith("sys/kernel/debug/") and not _debugfs_mounted(host):
            detail = "debugfs is not mounted"
            hint = "mount -t debugfs none /sys/kernel/debug"
        elif name == "proc/net/nf_conntrack" and not host.path("proc/sys/net/netfilter").exists():
            detail = "the nf_conntrack module is not loaded"
        return _status(name, "file", "missing", detail=detail, hint=hint)
    except PermissionError:
        return _status(name, "file", "permission denied", hint="run offtui as root")
    except OSError as exc:
        return _status(name, "file", "failed", detail=str(exc), hint=hint)
    out = dest / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return _status(
        name,
        "file",
        "ok" if data else "empty",
        duration_s=round(time.monotonic() - t0, 4),
    )


def _debugfs_mounted(host: LocalHost) -> bool:
    try:
        mounts = host.path("proc/mounts").read_text()
    except OSError:
        return False
    return any(" /sys/kernel/debug debugfs " in f" {line} " for line in mounts.splitlines())


def _run(host: LocalHost, spec: SourceSpec, dest: Path) -> dict:
    argv = list(spec.argv)
    name = spec.name
    for mod in NEEDS_MODULE.get(argv[0], ()):
        if host.module_available(mod) is False:
            return _status(
                name,
                "command",
                "missing",
                argv=argv,
                detail=f"module {mod} is not loaded; offtui never loads kernel modules",
                hint=f"modprobe {mod} (if you expect it to be in use)",
            )
    exe = shutil.which(argv[0])
    if exe is None:
        return _status(
            name,
            "command",
            "missing",
            argv=argv,
            detail=f"{argv[0]}: not installed",
            hint=spec.hint,
        )
    t0 = time.monotonic()
    try:
        proc = subprocess.run(
            [exe, *argv[1:]],
            capture_output=True,
            timeout=CMD_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return _status(
            name,
            "command",
            "timed out",
            argv=argv,
            detail=f"no answer within {CMD_TIMEOUT_S:g} s",
            duration_s=CMD_TIMEOUT_S,
        )
    except OSError as exc:
        return _status(name, "command", "failed", argv=argv, detail=str(exc))
    dur = round(time.monotonic() - t0, 4)
    stderr = proc.stderr.decode("utf-8", "replace").strip()
    if proc.stdout:
        out = dest / name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(proc.stdout)
    if proc.returncode != 0:
        low = stderr.lower()
        perm = "not permitted" in low or "permission denied" in low
        return _status(
            name,
            "command",
            "permission denied" if perm else "failed",
            argv=argv,
            exit_code=proc.returncode,
            stderr=stderr[-2000:],
            duration_s=dur,
            hint="run offtui as root" if perm else spec.hint,
        )
    return _status(
        name,
        "command",
        "ok" if proc.stdout else "empty",
        argv=argv,
        exit_code=0,
        stderr=stderr[-2000:],
        duration_s=dur,
    )


def _sample_cpu(host: LocalHost, dest: Path, prefix: str) -> None:
    for name in ("proc/stat", "proc/softirqs"):
        try:
            data = host.path(name).read_bytes()
        except OSError:
            continue
        out = dest / prefix / name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)


def collect_local(
    dest: str | os.PathLike[str],
    *,
    root: str = "/",
    cpu_interval_s: float = 0.5,
    heavy: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Write a capture of this host into ``dest`` (created) and return its path."""
    host = LocalHost(root)
    out = Path(dest)
    out.mkdir(parents=True, exist_ok=True)
    sources: list[dict] = []
    seen: set[str] = set()
    t_start = time.time()

    # First CPU sample early, so the interval spans the collection itself.
    t_sample0 = time.time()
    _sample_cpu(host, out, "samples/0")
    mono0 = time.monotonic()

    def note(msg: str) -> None:
        if progress:
            progress(msg)

    for spec in SOURCES:
        if spec.name.startswith("netlink/") or spec.replay_only or (spec.heavy and not heavy):
            continue
        if spec.name in ("proc/stat", "proc/softirqs"):
            continue  # taken as the second CPU sample below
        note(spec.name)
        if spec.kind == "file":
            st = _read_file(host, spec.name, out, spec)
        else:
            st = _run(host, spec, out)
        if spec.optional and st["status"] == "missing" and spec.kind == "file":
            # Absent on most hosts (PPE, UCI, WED): recorded, but quietly.
            st["optional"] = True
        sources.append(st)
        seen.add(spec.name)

    for pattern in FILE_GLOBS:
        for p in sorted(glob.glob(str(host.root / pattern))):
            name = Path(p).relative_to(host.root).as_posix()
            if name in seen or not Path(p).is_file():
                continue
            seen.add(name)
            sources.append(_read_file(host, name, out, BY_NAME.get(name)))

    status_by = {s["name"]: s for s in sources}
    if heavy and status_by.get("proc/net/nf_conntrack", {}).get("status") != "ok":
        sources.append(_netlink_conntrack(host, out))
    if status_by.get("commands/ip_-j_-d_link_show", {}).get("status") not in ("ok", "empty"):
        sources.append(_netlink_links(out))

    # Second CPU sample: at least cpu_interval_s after the first.
    wait = cpu_interval_s - (time.monotonic() - mono0)
    if wait > 0:
        time.sleep(wait)
    t_main = time.time()
    for name in ("proc/stat", "proc/softirqs"):
        sources.append(_read_file(host, name, out, BY_NAME.get(name)))

    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "host": socket.gethostname(),
        "time": t_main,
        "offtui_version": __version__,
        "collector": "local",
        "redacted": False,
        "samples": [{"path": "samples/0", "time": t_sample0}],
        "sources": sources,
        "extra": {
            "uid": os.geteuid(),
            "collect_s": round(time.time() - t_start, 3),
            "self": _self_usage(),
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return out


def _self_usage() -> dict:
    """offtui's own CPU time and memory (psutil), so a user sees what offtui costs."""
    try:
        import psutil

        p = psutil.Process()
        t = p.cpu_times()
        return {
            "cpu_s": round(t.user + t.system, 3),
            "rss_mb": round(p.memory_info().rss / 2**20, 1),
        }
    except Exception as exc:  # psutil missing or /proc unreadable: a fact, not a failure
        return {"error": str(exc)}


def _netlink_links(dest: Path) -> dict:
    """Links over netlink (pyroute2), written in the shape of ``ip -j -d link show``."""
    name = "netlink/ip_-j_-d_link_show"
    t0 = time.monotonic()
    try:
        from offtui.sources.netlink import dump_links

        links = dump_links()
    except Exception as exc:
        return _status(name, "file", "failed", detail=f"netlink: {exc}")
    out = dest / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(links))
    return _status(name, "file", "ok", duration_s=round(time.monotonic() - t0, 4))


def _netlink_conntrack(host: LocalHost, dest: Path) -> dict:
    """The conntrack table over netlink when ``/proc/net/nf_conntrack`` does not exist."""
    name = "netlink/conntrack_-L"
    if host.module_available("nf_conntrack_netlink") is False:
        return _status(
            name,
            "file",
            "missing",
            detail="module nf_conntrack_netlink is not loaded; offtui never loads kernel modules",
            hint="modprobe nf_conntrack_netlink",
        )
    t0 = time.monotonic()
    try:
        from offtui.sources.netlink import dump_conntrack

        text = dump_conntrack()
    except PermissionError:
        return _status(name, "file", "permission denied", hint="run offtui as root")
    except Exception as exc:
        return _status(name, "file", "failed", detail=f"netlink: {exc}")
    out = dest / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    return _status(
        name, "file", "ok" if text else "empty", duration_s=round(time.monotonic() - t0, 4)
    )
