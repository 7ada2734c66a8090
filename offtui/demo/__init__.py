"""Real captures shipped with offtui, so ``offtui --demo NAME`` shows an offloading router
on a machine that has none.

Each demo is a capture (a directory, or a ``.tar.gz`` of one) under ``captures/``; its
``manifest.json`` says in ``extra.demo`` what it shows and which real files it was built
from (lab VM captures, or router outputs quoted in public bug reports). ``build.py`` makes
them from the repository's ``tests/`` folders.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

CAPTURES = Path(__file__).parent / "captures"


def demo_names() -> list[str]:
    """Every shipped demo, sorted."""
    if not CAPTURES.is_dir():
        return []
    names = {p.name for p in CAPTURES.iterdir() if p.is_dir()}
    names |= {p.name.removesuffix(".tar.gz") for p in CAPTURES.glob("*.tar.gz")}
    return sorted(names)


def demo_path(name: str) -> Path:
    """The capture of demo ``name``; KeyError (naming the demos) when there is none."""
    for p in (CAPTURES / name, CAPTURES / f"{name}.tar.gz"):
        if p.exists() and name in demo_names():
            return p
    raise KeyError(f"no demo {name!r}; demos: {', '.join(demo_names()) or 'none'}")


def demo_info(name: str) -> dict:
    """``extra.demo`` of a demo's manifest: ``description`` and ``from`` (its real sources)."""
    p = demo_path(name)
    if p.is_dir():
        manifest = json.loads((p / "manifest.json").read_text(encoding="utf-8"))
    else:
        with tarfile.open(p, "r:gz") as tar:
            member = next(
                m
                for m in tar.getmembers()
                if m.name.endswith("manifest.json") and m.name.count("/") <= 1
            )
            f = tar.extractfile(member)
            manifest = json.loads(f.read().decode("utf-8")) if f else {}
    return ((manifest.get("extra") or {}).get("demo")) or {}
