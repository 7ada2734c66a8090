"""Rebuild the shipped demos from a checkout: ``python -m offtui.demo.build``.

Lab demos are copies of ``tests/lab_captures/<scenario>/`` (captures of the qemu lab
router); only ``manifest.json`` gains an ``extra.demo`` entry. Router demos put the body
lines of real router outputs from ``tests/captures/*.txt`` at the path the kernel or tool
prints them to; nothing is added to them, and the manifest names the file and the lines.
"""

from __future__ import annotations

import calendar
import json
import shutil
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
OUT = Path(__file__).parent / "captures"

#: name -> (lab scenario, description, pack as .tar.gz)
LAB_DEMOS: dict[str, tuple[str, str, bool]] = {
    "routed-sfo": (
        "routed-sfo",
        "lab router (fw4 ruleset, Debian kernel 6.1): software flow offloading working, "
        "every flow [OFFLOAD]",
        False,
    ),
    "flow-add-input": (
        "flow-add-input",
        "lab router whose 'flow add' statement sits in the input chain: nothing is offloaded",
        False,
    ),
    "firewalld-bad-device": (
        "firewalld--bad-device",
        "lab firewalld host with NftablesFlowtable naming a device that does not exist",
        False,
    ),
    "many-flows": (
        "many-flows",
        "lab router with 10,004 offloaded UDP flows (the Flows screen at scale)",
        True,
    ),
}

#: name -> description, host, date (YYYY-MM-DD or None), [(capture file, dest, body lines)]
#: body lines are 1-based line numbers within the body (after the ``# `` header); None = all.
ROUTER_DEMOS: dict[str, dict] = {
    "mt7981-wed-unbound": {
        "description": "GL.iNet GL-MT3000 (MT7981), OpenWrt snapshot: a software flowtable on "
        "eth0 and both Wi-Fi APs, and three PPE entries that never bind (openwrt#19206)",
        "host": "GL-MT3000",
        "date": "2025-06-22",
        "files": [
            ("nft-openwrt19206-1.txt", "commands/nft_list_ruleset", None),
            ("ppe-openwrt19206-1.txt", "sys/kernel/debug/ppe0/entries", None),
        ],
    },
    "mtk-hw-offload": {
        "description": "MediaTek router with hardware flow offloading: one UDP flow "
        "[HW_OFFLOAD] in conntrack and its two bound PPE entries (openwrt#17915, the "
        "17:14:30 sample; the excerpt does not name the PPE file, ppe0/bind is the path of "
        "kernels that print packets=/bytes=)",
        "host": "mediatek-router",
        "date": None,
        "files": [
            ("ppe-openwrt17915-1.txt", "proc/net/nf_conntrack", [2]),
            ("ppe-openwrt17915-1.txt", "sys/kernel/debug/ppe0/bind", [3, 4]),
        ],
    },
}


def body_lines(capture_file: str) -> tuple[list[str], int]:
    """The body lines of a ``tests/captures`` file and the file line number of the first."""
    lines = (TESTS / "captures" / capture_file).read_text(encoding="utf-8").splitlines(True)
    i = 0
    while i < len(lines) and lines[i].startswith("# "):
        i += 1
    return lines[i:], i + 1


def header(capture_file: str) -> dict[str, str]:
    out = {}
    for line in (TESTS / "captures" / capture_file).read_text(encoding="utf-8").splitlines():
        if not line.startswith("# "):
            break
        k, _, v = line[2:].partition(":")
        out[k.strip()] = v.strip()
    return out


def build_router_demo(name: str, spec: dict, dest: Path) -> None:
    dest.mkdir(parents=True)
    sources, origin = [], []
    for cap_file, path, wanted in spec["files"]:
        body, first = body_lines(cap_file)
        picked = body if wanted is None else [body[n - 1] for n in wanted]
        out = dest / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("".join(picked), encoding="utf-8")
        sources.append({"name": path, "kind": "file", "status": "ok"})
        file_lines = (
            [first, first + len(body) - 1] if wanted is None else [first + n - 1 for n in wanted]
        )
        origin.append(
            {
                "path": path,
                "file": f"tests/captures/{cap_file}",
                "file_lines": file_lines,
                "all_body_lines": wanted is None,
                "source": header(cap_file).get("source", ""),
            }
        )
    t = None
    if spec["date"]:
        t = float(calendar.timegm(time.strptime(spec["date"], "%Y-%m-%d")))
    manifest = {
        "format": "offtui-capture",
        "format_version": 1,
        "host": spec["host"],
        "time": t,
        "collector": "demo",
        "redacted": False,
        "sources": sources,
        "extra": {"demo": {"description": spec["description"], "from": origin}},
    }
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


def build_lab_demo(name: str, scenario: str, description: str, pack: bool) -> None:
    src = TESTS / "lab_captures" / scenario
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / name
        shutil.copytree(src, work)
        mpath = work / "manifest.json"
        manifest = json.loads(mpath.read_text())
        manifest.setdefault("extra", {})["demo"] = {
            "description": description,
            "from": [{"path": ".", "file": f"tests/lab_captures/{scenario}"}],
        }
        mpath.write_text(json.dumps(manifest, indent=1) + "\n")
        if pack:
            with tarfile.open(OUT / f"{name}.tar.gz", "w:gz") as tar:
                tar.add(work, arcname=name)
        else:
            shutil.copytree(work, OUT / name)


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir()
    for name, (scenario, description, pack) in LAB_DEMOS.items():
        if (TESTS / "lab_captures" / scenario).is_dir():
            build_lab_demo(name, scenario, description, pack)
    for name, spec in ROUTER_DEMOS.items():
        build_router_demo(name, spec, OUT / name)
    print("\n".join(sorted(p.name for p in OUT.iterdir())))


if __name__ == "__main__":
    main()
