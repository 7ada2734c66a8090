"""Run the real ``offtui`` CLI in a subprocess (as a user would)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def offtui(
    *args: str, user: int | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "offtui", *args]
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd="/")


def diagnose_json(target: str, *extra: str) -> dict:
    p = offtui("diagnose", target, "--format", "json", "--fail-on", "never", *extra)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)
