"""`offtui diagnose` on this very host, as root and as an unprivileged user.

This host's kernel has no flowtable support; where the kernel says so (`/proc/config.gz`),
offtui must say it plainly.
"""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import pytest

from tests.cli_helpers import diagnose_json, offtui


def _kernel_lacks_flowtable() -> bool:
    try:
        cfg = gzip.decompress(Path("/proc/config.gz").read_bytes()).decode()
    except OSError:
        return False
    return "# CONFIG_NF_FLOW_TABLE is not set" in cfg


def test_diagnose_this_host_json() -> None:
    doc = diagnose_json("local")
    facts = doc["facts"]
    assert facts["kernel"] == os.uname().release
    assert facts["cpu"] is not None and len(facts["cpu"]["cores"]) == os.cpu_count()
    assert facts["cpu"]["since_boot"] is False
    names = {s["name"]: s for s in doc["sources"]}
    assert names["proc/stat"]["status"] == "ok"
    if _kernel_lacks_flowtable():
        assert facts["flowtable_support"]["supported"] is False
        assert "CONFIG_NF_FLOW_TABLE" in facts["flowtable_support"]["reason"]


def test_diagnose_this_host_text_says_no_flowtable_support() -> None:
    p = offtui("diagnose")
    assert p.returncode in (0, 1), p.stderr
    assert "Traceback" not in p.stderr
    if _kernel_lacks_flowtable():
        assert "flowtable support: NO" in p.stdout
        assert "built without flowtable support" in p.stdout


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root + setpriv")
def test_diagnose_as_unprivileged_user() -> None:
    p = offtui("diagnose", "--format", "text", user=65534)
    assert p.returncode in (0, 1), p.stderr
    assert "Traceback" not in p.stderr
    out = p.stdout
    if shutil.which("nft"):
        # nft as nobody: refused, said plainly with a hint
        assert "commands/nft_-j_list_ruleset: permission denied" in out
        assert "run offtui as root" in out
    if _kernel_lacks_flowtable():
        assert "flowtable support: NO" in out


def test_collect_writes_a_capture(tmp_path: Path) -> None:
    out = tmp_path / "cap"
    p = offtui("collect", "-o", str(out))
    assert p.returncode == 0, p.stderr
    assert (out / "manifest.json").is_file()
    assert (out / "proc/stat").is_file() and (out / "samples/0/proc/stat").is_file()
    again = offtui("collect", "-o", str(out))
    assert again.returncode == 2 and "not empty" in again.stderr
