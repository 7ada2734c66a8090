"""Fixtures of the lab tests: boot the flowtable lab VM once per scenario (session scope).

Every test here is marked ``lab`` (``-m "not lab"`` deselects them). They skip, with the
reason, only where the VM cannot run at all: no qemu-system-x86_64 (``lab/install-host-deps.sh``
installs it), not root (the image build needs depmod/debootstrap as root), or no apt to fetch
Debian's packages. Set ``OFFTUI_LAB_KEEP=DIR`` to keep the captures in DIR.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "lab"
FIXTURES = REPO / "tests" / "lab_captures"
TIMINGS: dict[str, float] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # only the tests that boot the VM are lab tests; the fixture checks run everywhere
    for item in items:
        if "lab_capture" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.lab)


def lab_unavailable() -> str | None:
    """Why the lab VM cannot run on this machine, or None."""
    if shutil.which("qemu-system-x86_64") is None:
        return "qemu-system-x86_64 not installed (run lab/install-host-deps.sh as root)"
    if os.geteuid() != 0:
        return "the lab image build needs root (depmod, debootstrap, mkfs)"
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        return "no apt-get/dpkg-deb: the lab is built from Debian packages"
    return None


@pytest.fixture(scope="session")
def lab_capture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Path]]:
    """``lab_capture(scenario, variant="default") -> capture dir``, one boot per pair."""
    reason = lab_unavailable()
    if reason:
        pytest.skip(reason)
    keep = os.environ.get("OFFTUI_LAB_KEEP")
    root = Path(keep) if keep else tmp_path_factory.mktemp("lab")
    done: dict[tuple[str, str], Path] = {}

    def get(scenario: str, variant: str = "default") -> Path:
        key = (scenario, variant)
        if key not in done:
            out = root / (scenario if variant == "default" else f"{scenario}--{variant}")
            if out.exists():
                shutil.rmtree(out)
            t0 = time.monotonic()
            proc = subprocess.run(
                [str(LAB / "run"), scenario, "--variant", variant, "-o", str(out)],
                capture_output=True,
                text=True,
                timeout=1200,
                check=False,
            )
            TIMINGS[f"{scenario}/{variant}"] = time.monotonic() - t0
            if proc.returncode != 0:
                pytest.fail(
                    f"lab/run {scenario} --variant {variant} failed ({proc.returncode}):\n"
                    f"{proc.stderr[-3000:]}"
                )
            done[key] = out
        return done[key]

    yield get


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TIMINGS:
        terminalreporter.write_line(
            "lab boots (s): " + ", ".join(f"{k} {v:.1f}" for k, v in TIMINGS.items())
        )
