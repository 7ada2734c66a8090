"""Shared helpers for the rule tests: real captures placed at their layout paths.

Two kinds of inputs, both real:
- a lab capture directory (``tests/lab_captures/<scenario>/``) copied whole to ``tmp_path``;
- a file of ``tests/captures/`` (header stripped) written at the capture path its content
  came from, like ``tests/test_diagnose_captures.py`` does.
A variant is one of those with an edit made by :func:`edit` (which fails when the text to
replace is absent, so a test never silently runs on the unedited capture); each test states
its edit in a comment.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from offtui.capture import Capture
from offtui.engine import RuleResult, rule_by_id, run_rule
from offtui.model import Snapshot
from offtui.snapshot import build_snapshot
from tests.capture_files import read_capture_file

LAB = Path(__file__).resolve().parents[1] / "lab_captures"

#: openwrt/packages net/igmpproxy/files/igmpproxy.config
#: @8cbdc42730d820eb10d14310b86167862b04f9d5, verbatim: the /etc/config/igmpproxy the
#: igmpproxy package installs.
IGMPPROXY_CONFIG = """config igmpproxy
\toption quickleave 1
#\toption verbose [0-3](none, minimal[default], more, maximum)

config phyint
\toption network wan
\toption zone wan
\toption direction upstream
\tlist altnet 192.168.1.0/24
#\tlist acl 233.252.0.0/24
#\tlist acl !233.252.0.1/32

config phyint
\toption network lan
\toption zone lan
\toption direction downstream
"""

#: openwrt/openwrt package/base-files/files/etc/openwrt_release (the template); the tests fill
#: its %D/%V/%R/%C/%S placeholders with the release, revision and target a catalog row names
#: (the same approach as tests/test_parse_misc.py).
OPENWRT_RELEASE_TEMPLATE = """DISTRIB_ID='{id}'
DISTRIB_RELEASE='{release}'
DISTRIB_REVISION='{revision}'
DISTRIB_TARGET='{target}'
DISTRIB_ARCH='{arch}'
DISTRIB_DESCRIPTION='{id} {release} {revision}'
DISTRIB_TAINTS=''
"""


def openwrt_release(
    release: str,
    target: str,
    revision: str = "r0-0000000000",
    id: str = "OpenWrt",
    arch: str = "aarch64_cortex-a53",
) -> str:
    return OPENWRT_RELEASE_TEMPLATE.format(
        id=id, release=release, revision=revision, target=target, arch=arch
    )


def lab_copy(tmp_path: Path, scenario: str) -> Path:
    """A private copy of a lab capture directory (so a test may edit it)."""
    dest = tmp_path / scenario
    shutil.copytree(LAB / scenario, dest)
    return dest


def capture_body(name: str, keep: str | None = None) -> str:
    """Body of ``tests/captures/<name>``; with ``keep``, only the lines that match it."""
    body = read_capture_file(name).body
    if keep is None:
        return body
    rx = re.compile(keep)
    lines = [ln for ln in body.splitlines(keepends=True) if rx.match(ln.rstrip("\n"))]
    assert lines, f"{name}: nothing matches {keep}"
    return "".join(lines)


def place(cap: Path, path: str, text: str) -> Path:
    """Write ``text`` at capture path ``path`` under ``cap``."""
    out = cap / path
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    return out


def edit(cap: Path, path: str, old: str, new: str, count: int = 1) -> None:
    """Replace ``old`` by ``new`` in a capture file; fail if ``old`` is not there."""
    f = cap / path
    text = f.read_text()
    assert text.count(old) >= count, f"{path}: {old!r} not found {count} time(s)"
    f.write_text(text.replace(old, new, count))


def remove(cap: Path, path: str) -> None:
    """Drop a source from the capture (e.g. the JSON ruleset when only the text is edited)."""
    (cap / path).unlink()


def snapshot(cap: Path) -> Snapshot:
    return build_snapshot(Capture.open(cap))


def run(rule_id: str, cap_or_snap: Path | Snapshot) -> RuleResult:
    rule = rule_by_id(rule_id)
    assert rule is not None, f"no rule {rule_id}"
    snap = cap_or_snap if isinstance(cap_or_snap, Snapshot) else snapshot(cap_or_snap)
    return run_rule(rule, snap)


def evidence_text(res: RuleResult) -> str:
    """All evidence of all findings, one ``source:line: text`` per line (for assertions)."""
    return "\n".join(
        f"{e.source}:{e.line_no or ''}: {e.text}" for f in res.findings for e in f.evidence
    )


def net_rx_deltas(cap: Path) -> list[int]:
    """Per-CPU NET_RX between ``samples/0/proc/softirqs`` and ``proc/softirqs``, read with a
    plain split (independently of offtui's parser)."""

    def row(path: Path) -> list[int]:
        for line in path.read_text().splitlines():
            if line.strip().startswith("NET_RX:"):
                return [int(x) for x in line.split()[1:]]
        raise AssertionError(f"{path}: no NET_RX row")

    after, before = row(cap / "proc/softirqs"), row(cap / "samples/0/proc/softirqs")
    return [a - b for a, b in zip(after, before, strict=True)]


def grep_n(cap: Path, path: str, needle: str) -> list[int]:
    """1-based numbers of the lines of a capture file that contain ``needle`` (grep -n)."""
    lines = (cap / path).read_text().splitlines()
    return [i for i, ln in enumerate(lines, 1) if needle in ln]
