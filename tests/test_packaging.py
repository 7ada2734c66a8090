"""Packaging: `rules/` ships as `offtui.rules`, never as a top-level `rules` package."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_listed_in_pyproject() -> None:
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(conf["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "offtui").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    on_disk.add("offtui.rules")
    assert on_disk <= listed, f"add to [tool.setuptools] packages: {sorted(on_disk - listed)}"


def test_wheel_holds_rules_inside_offtui(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("offtui-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert not any(n.startswith("rules/") for n in names), "a top-level rules package leaked"
    rule_files = {Path(n).name for n in names if n.startswith("offtui/rules/")}
    on_disk = {p.name for p in (ROOT / "rules").glob("*.py")}
    assert on_disk == rule_files
    assert (
        "offtui/collector/collect.sh" in names
        or not (ROOT / "offtui/collector/collect.sh").exists()
    )
