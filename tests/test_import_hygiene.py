"""Parsers, model, engine and rules never import textual (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys

HEADLESS = [
    "offtui.model",
    "offtui.capture",
    "offtui.snapshot",
    "offtui.engine",
    "offtui.render.facts",
    "offtui.render.text",
    "offtui.sources.local",
]


def test_core_does_not_import_textual() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        f"mods = {HEADLESS!r}\n"
        "import offtui.parsers as p\n"
        "mods += [f'offtui.parsers.{m.name}' for m in pkgutil.iter_modules(p.__path__)]\n"
        "for m in mods: importlib.import_module(m)\n"
        "from offtui.engine import load_rules\n"
        "load_rules()\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"headless modules imported: {out.stdout}"
