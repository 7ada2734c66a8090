"""`offtui offload ... --dry-run` on a real network namespace changes nothing and exits 0."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import uuid

import pytest

from tests.cli_helpers import offtui

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces"),
    pytest.mark.skipif(not shutil.which("nft"), reason="needs nft (apt-get install nftables)"),
]


@pytest.fixture
def router_ns():
    """A namespace with one routed veth and a table of its own (a ruleset to keep intact)."""
    ns, peer = f"offtui-dry-{uuid.uuid4().hex[:6]}", f"offtui-dryp-{uuid.uuid4().hex[:6]}"
    for n in (ns, peer):
        subprocess.run(["ip", "netns", "add", n], check=True)
    try:
        subprocess.run(
            [
                "ip",
                "link",
                "add",
                "vd-a",
                "netns",
                ns,
                "type",
                "veth",
                "peer",
                "vd-c",
                "netns",
                peer,
            ],
            check=True,
        )
        ex = ["ip", "netns", "exec", ns]
        subprocess.run([*ex, "ip", "addr", "add", "10.9.1.1/24", "dev", "vd-a"], check=True)
        subprocess.run([*ex, "ip", "link", "set", "vd-a", "up"], check=True)
        subprocess.run([*ex, "nft", "add table inet keep; add chain inet keep c"], check=True)
        yield ns
    finally:
        for n in (ns, peer):
            subprocess.run(["ip", "netns", "del", n], check=False)


def _ruleset(ns: str) -> str:
    return subprocess.run(
        ["ip", "netns", "exec", ns, "nft", "list", "ruleset"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_dry_run_changes_nothing(router_ns: str) -> None:
    before = _ruleset(router_ns)
    dirs = set(glob.glob("/tmp/offtui-rollback-*"))
    for action in ("enable", "disable"):
        p = offtui("offload", action, f"netns:{router_ns}", "--backend", "nftables", "--dry-run")
        assert "Traceback" not in p.stderr
        if p.returncode == 2:
            # this kernel has no flowtables: enable is refused at planning, plainly
            assert action == "enable" and "cannot offload flows" in p.stderr
            continue
        assert p.returncode == 0, p.stderr
        if action == "enable":
            assert "Plan: enable software offload" in p.stdout and "vd-a" in p.stdout
            assert "--dry-run: nothing was changed." in p.stdout
    assert _ruleset(router_ns) == before
    assert set(glob.glob("/tmp/offtui-rollback-*")) == dirs  # nothing saved, nothing armed
