"""The shipped demos are real captures: router demos hold exactly the lines they cite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offtui.capture import Capture
from offtui.demo import CAPTURES, demo_info, demo_names, demo_path
from offtui.snapshot import build_snapshot
from tests.capture_files import read_capture_file

ROOT = Path(__file__).resolve().parents[2]


def test_demo_list() -> None:
    names = demo_names()
    for want in ("routed-sfo", "mtk-hw-offload", "mt7981-wed-unbound", "many-flows"):
        assert want in names
    with pytest.raises(KeyError):
        demo_path("no-such-demo")


@pytest.mark.parametrize("name", demo_names())
def test_every_demo_opens_and_says_where_it_comes_from(name: str) -> None:
    info = demo_info(name)
    assert info["description"] and info["from"]
    cap = Capture.open(demo_path(name))
    try:
        snap = build_snapshot(cap)
    finally:
        cap.close()
    assert snap.conntrack is not None or snap.ppe or snap.ruleset is not None


@pytest.mark.parametrize(
    "name",
    [n for n in demo_names() if (CAPTURES / n).is_dir() and demo_info(n)["from"][0]["path"] != "."],
)
def test_router_demo_lines_are_the_cited_lines(name: str) -> None:
    for src in demo_info(name)["from"]:
        cf = read_capture_file(Path(src["file"]).name)
        file_lines = (ROOT / src["file"]).read_text(encoding="utf-8").splitlines(True)
        if src["all_body_lines"]:
            want = cf.body
        else:
            want = "".join(file_lines[n - 1] for n in src["file_lines"])
        got = (demo_path(name) / src["path"]).read_text(encoding="utf-8")
        assert got == want
        assert got.strip() and not got.startswith("# ")


@pytest.mark.parametrize("name", [n for n in demo_names() if (CAPTURES / n).is_dir()])
def test_lab_demo_files_are_the_lab_files(name: str) -> None:
    src = demo_info(name)["from"][0]
    if src["path"] != ".":
        pytest.skip("router demo")
    lab = ROOT / src["file"]
    if not lab.is_dir():
        pytest.skip("lab capture not in this checkout")
    demo = demo_path(name)
    for p in lab.rglob("*"):
        if p.is_file() and p.name != "manifest.json":
            assert (demo / p.relative_to(lab)).read_bytes() == p.read_bytes(), p
    lab_manifest = json.loads((lab / "manifest.json").read_text())
    demo_manifest = json.loads((demo / "manifest.json").read_text())
    demo_manifest["extra"].pop("demo")
    assert demo_manifest == lab_manifest


def test_hw_offload_demo_counts() -> None:
    # ppe-openwrt17915-1.txt, 17:14:30 sample: one conntrack line with [HW_OFFLOAD]
    # (`grep -c HW_OFFLOAD` on that line = 1) and two BND lines.
    cap = Capture.open(demo_path("mtk-hw-offload"))
    snap = build_snapshot(cap)
    assert snap.conntrack is not None and snap.conntrack.hw_offload == 1
    assert [(t.name, t.bound, t.unbound) for t in snap.ppe] == [("ppe0", 2, 0)]
    assert snap.offload_mode.value == "hardware"


def test_wed_demo_counts() -> None:
    # ppe-openwrt19206-1.txt body: 3 lines, `grep -c " UNB "` = 3.
    snap = build_snapshot(Capture.open(demo_path("mt7981-wed-unbound")))
    assert [(t.bound, t.unbound) for t in snap.ppe] == [(0, 3)]
    assert [ft.devices for ft in snap.flowtables] == [["eth0", "phy0-ap0", "phy1-ap0"]]
