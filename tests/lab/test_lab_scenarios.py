"""Boot the lab router for each scenario and check what the kernel really did.

One VM boot per (scenario, variant), shared through the session-scoped ``lab_capture``
fixture (see conftest.py). Marked ``lab``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.lab.checks import CHECKS, fixture_dir, shape

pytestmark = pytest.mark.lab


@pytest.mark.parametrize(("scenario", "variant"), list(CHECKS), ids=lambda v: str(v))
def test_scenario(lab_capture: Callable[..., Path], scenario: str, variant: str) -> None:
    CHECKS[(scenario, variant)](lab_capture(scenario, variant))


def test_routed_sfo_fixture_has_not_drifted(lab_capture: Callable[..., Path]) -> None:
    """A fresh routed-sfo capture has the committed fixture's shape: same files, statuses,
    kinds of conntrack and ruleset lines, flags."""
    fresh = shape(lab_capture("routed-sfo"))
    committed = shape(fixture_dir("routed-sfo", "default"))
    assert fresh == committed
