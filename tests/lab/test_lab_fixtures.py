"""The committed lab captures (tests/lab_captures/) show what their scenario must show.

No VM: the same checks as the live lab tests, on the fixtures, so a fixture that does not
show its scenario's facts fails here. Each fixture's manifest names its scenario, kernel
and package versions.
"""

from __future__ import annotations

import json

import pytest

from tests.lab.checks import CHECKS, fixture_dir


@pytest.mark.parametrize(("scenario", "variant"), list(CHECKS), ids=lambda v: str(v))
def test_fixture_shows_its_scenario(scenario: str, variant: str) -> None:
    cap = fixture_dir(scenario, variant)
    if not cap.is_dir():
        pytest.fail(f"missing fixture {cap} (make it with lab/run {scenario} -o {cap})")
    CHECKS[(scenario, variant)](cap)


@pytest.mark.parametrize(("scenario", "variant"), list(CHECKS), ids=lambda v: str(v))
def test_fixture_manifest_names_lab(scenario: str, variant: str) -> None:
    man = json.loads((fixture_dir(scenario, variant) / "manifest.json").read_text())
    lab = man["extra"]["lab"]
    assert (lab["scenario"], lab["variant"]) == (scenario, variant)
    assert lab["kernel"] == "6.1.0-56-cloud-amd64"
    assert lab["packages"]["nftables"].startswith("1.0.6")
    assert man["extra"]["collector_complete"] is True
    assert man["format"] == "offtui-capture"
