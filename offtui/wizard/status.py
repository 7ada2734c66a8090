"""Step 1: what the target does now (backend, offload mode, flowtables, files, tools).

The snapshot comes from offtui's own collector (``collect.sh``) run on the target through
the executor, so the wizard sees exactly what ``offtui diagnose`` would. The files the
wizard may change are read byte for byte on their own: diffs and rollbacks need the
exact bytes, not a parsed view.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from offtui.model import Backend, OffloadMode, Snapshot
from offtui.wizard.executor import Executor, ExecutorError, read_file, run_sh

__all__ = [
    "FILES",
    "TOOLS",
    "CpuSample",
    "TargetStatus",
    "cpu_sample",
    "detect_wizard_backend",
    "read_status",
    "status_from_capture",
]

FW4_CONFIG = "/etc/config/firewall"
FIREWALLD_CONF = "/etc/firewalld/firewalld.conf"
NFTABLES_CONF = "/etc/nftables.conf"
SQM_CONFIG = "/etc/config/sqm"
FILES = (FW4_CONFIG, FIREWALLD_CONF, NFTABLES_CONF)
TOOLS = ("nft", "uci", "fw4", "firewall-cmd", "setsid", "nohup", "conntrack")


@dataclass(slots=True, frozen=True)
class CpuSample:
    """``/proc/stat`` softirq and total jiffies summed over all cores, and NET_RX counts."""

    softirq: int
    total: int
    net_rx: int


@dataclass(slots=True)
class TargetStatus:
    target: str
    snapshot: Snapshot
    tools: frozenset[str]
    files: dict[str, bytes | None]
    ruleset_text: str | None  # ``nft list ruleset`` as printed (None: not readable)
    firewalld_running: bool | None = None
    cpu: list[CpuSample] = field(default_factory=list)

    @property
    def backend(self) -> Backend:
        return detect_wizard_backend(self)

    @property
    def mode(self) -> OffloadMode:
        return self.snapshot.offload_mode


def detect_wizard_backend(st: TargetStatus) -> Backend:
    """The tool that owns the firewall on the target (and so must make the change)."""
    fw4_cfg = st.files.get(FW4_CONFIG) is not None
    if fw4_cfg and ("uci" in st.tools or "fw4" in st.tools):
        return Backend.FW4
    if st.files.get(FIREWALLD_CONF) is not None and st.firewalld_running:
        return Backend.FIREWALLD
    if "nft" in st.tools:
        return Backend.NFTABLES
    return st.snapshot.backend


def _parse_cpu(stat: str, softirqs: str) -> CpuSample | None:
    soft = total = 0
    found = False
    for line in stat.splitlines():
        w = line.split()
        if w and w[0] == "cpu":
            nums = [int(x) for x in w[1:9] if x.isdigit()]
            if len(nums) >= 7:
                total, soft, found = sum(nums[:8]), nums[6], True
    rx = 0
    for line in softirqs.splitlines():
        w = line.split()
        if w and w[0] == "NET_RX:":
            rx = sum(int(x) for x in w[1:] if x.isdigit())
    return CpuSample(soft, total, rx) if found else None


def cpu_sample(ex: Executor) -> CpuSample | None:
    r = run_sh(ex, "cat /proc/stat; echo @@; cat /proc/softirqs")
    if not r.ok or "@@" not in r.out:
        return None
    stat, _, soft = r.out.partition("@@")
    return _parse_cpu(stat, soft)


def _tools(ex: Executor) -> frozenset[str]:
    script = (
        'PATH="$PATH:/usr/sbin:/sbin"; for c in "$@"; do '
        'command -v "$c" >/dev/null 2>&1 && echo "$c"; done; true'
    )
    r = run_sh(ex, script, *TOOLS)
    return frozenset(r.out.split())


def _collect(ex: Executor, dest: Path) -> None:
    from offtui.collector.stream import parse_stream, write_capture

    script = resources.files("offtui.collector").joinpath("collect.sh").read_bytes()
    extra = ["-f", NFTABLES_CONF, "-f", SQM_CONFIG]
    r = ex.run(["sh", "-s", "--", "-t", "20", *extra], input=script, timeout=180)
    stream = parse_stream(r.stdout)
    if stream.boundary is None:
        raise ExecutorError(f"{ex.name}: the collector did not run: {r.err.strip()[:300]}")
    write_capture(stream, dest)


def status_from_capture(
    capture_dir: str | Path,
    *,
    target: str = "capture",
    tools: frozenset[str] = frozenset(),
    files: dict[str, bytes | None] | None = None,
    firewalld_running: bool | None = None,
) -> TargetStatus:
    """A status from a capture directory (offline planning, tests): files from the capture."""
    from offtui.capture import Capture
    from offtui.snapshot import build_snapshot

    root = Path(capture_dir)
    cap = Capture.open(root)
    try:
        snap = build_snapshot(cap)
    finally:
        cap.close()
    if files is None:
        files = {}
        for path in FILES:
            p = root / path.lstrip("/")
            files[path] = p.read_bytes() if p.is_file() else None
    rs = root / "commands" / "nft_list_ruleset"
    ruleset = rs.read_text(encoding="utf-8", errors="replace") if rs.is_file() else None
    if firewalld_running is None:
        st = root / "commands" / "firewall-cmd_--state"
        firewalld_running = st.is_file() and st.read_text().strip() == "running"
    return TargetStatus(target, snap, tools, dict(files), ruleset, firewalld_running)


def read_status(ex: Executor, *, samples: int = 2, interval_s: float = 1.0) -> TargetStatus:
    """Collect the target now (collector + exact file bytes + tools + two CPU samples)."""
    import time

    with tempfile.TemporaryDirectory(prefix="offtui-wizard-") as tmp:
        _collect(ex, Path(tmp))
        files = {p: read_file(ex, p) for p in FILES}
        st = status_from_capture(tmp, target=ex.name, tools=_tools(ex), files=files)
    r = ex.run(["nft", "list", "ruleset"])
    st.ruleset_text = r.out if r.ok else None
    if "firewall-cmd" in st.tools:
        fw = ex.run(["firewall-cmd", "--state"], timeout=30)
        st.firewalld_running = fw.out.strip() == "running"
    else:
        st.firewalld_running = False
    for i in range(samples):
        if i:
            time.sleep(interval_s)
        s = cpu_sample(ex)
        if s is not None:
            st.cpu.append(s)
    return st
