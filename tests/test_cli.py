"""The CLI as a user meets it: exit codes, one-line errors, hand-made captures."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

from tests.capture_files import read_capture_file
from tests.cli_helpers import diagnose_json, offtui


def test_unreadable_target_is_one_line_and_exit_2(tmp_path: Path) -> None:
    p = offtui("diagnose", str(tmp_path / "nope"))
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1 and "no such file" in p.stderr
    assert "Traceback" not in p.stderr


def test_not_a_capture_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "x.txt"
    f.write_text("hello")
    p = offtui("diagnose", str(f))
    assert p.returncode == 2 and "not a capture" in p.stderr


def test_bad_usage_exit_2() -> None:
    assert offtui("diagnose", "--format", "yaml").returncode == 2
    assert offtui("explain", "no-such-rule").returncode == 2


def test_unknown_manifest_version_refused(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"format_version": 99}))
    p = offtui("diagnose", str(tmp_path))
    assert p.returncode == 2 and "format version 99" in p.stderr


def _firewall_only(tmp_path: Path) -> Path:
    """A hand-made capture: only /etc/config/firewall, from OpenWrt's wiki snippet."""
    cap = tmp_path / "cap"
    (cap / "etc/config").mkdir(parents=True)
    (cap / "etc/config/firewall").write_text(
        "config defaults\n\toption flow_offloading '1'\n\toption flow_offloading_hw '1'\n"
    )
    return cap


def test_hand_made_capture_with_only_firewall(tmp_path: Path) -> None:
    doc = diagnose_json(str(_firewall_only(tmp_path)))
    facts = doc["facts"]
    assert facts["settings"]["fw4"]["flow_offloading"] is True
    assert facts["settings"]["fw4"]["flow_offloading_hw"] is True
    assert facts["backend"] == "fw4"
    assert facts["offload_mode"] == "hardware"  # configured; nothing else is known
    assert facts["conntrack"] is None and facts["flowtables"] == []
    states = {s["name"]: s["status"] for s in doc["sources"]}
    assert states["etc/config/firewall"] == "ok"
    assert states["commands/nft_-j_list_ruleset"] == "not collected"
    skipped = {s["id"]: s["reason"] for s in doc["skipped"]}
    # a rule that needs the ruleset is skipped and names it, it does not pass
    assert "nft" in skipped["offload-enabled-but-no-flowtable"]
    assert "offload-enabled-but-no-flowtable" not in doc["passed"]


def test_text_and_markdown_of_hand_made_capture(tmp_path: Path) -> None:
    cap = _firewall_only(tmp_path)
    text = offtui("diagnose", str(cap))
    assert text.returncode == 0, text.stderr
    assert "Conntrack   not collected" in text.stdout
    assert all(
        len(line) <= 80 for line in text.stdout.splitlines() if not line.startswith(" " * 12)
    )
    md = offtui("diagnose", str(cap), "--format", "markdown")
    assert md.stdout.startswith("### offtui diagnose") and "| **Offload** |" in md.stdout


def test_fail_on_levels(tmp_path: Path) -> None:
    """A ruleset with a flow add rule in the input chain: an error finding."""
    cap = tmp_path / "cap"
    (cap / "commands").mkdir(parents=True)
    # Variant of tests/captures/nft-openwrt19206-1.txt (real hand-written ruleset):
    # edit: the `flow add @ft` rule moved from chain forward into a new input chain.
    body = read_capture_file("nft-openwrt19206-1.txt").body
    assert "flow add @ft" in body
    (cap / "commands/nft_list_ruleset").write_text(
        body.replace(
            "table ip main {",
            "table ip main {\n\tchain input {\n\t\ttype filter hook input priority filter; "
            "policy accept;\n\t\tip protocol { tcp, udp } flow add @ft\n\t}",
            1,
        )
    )
    assert offtui("diagnose", str(cap)).returncode == 1
    assert offtui("diagnose", str(cap), "--fail-on", "never").returncode == 0
    doc = diagnose_json(str(cap))
    ids = [f["id"] for f in doc["findings"]]
    assert "flow-add-outside-forward" in ids
    f = next(f for f in doc["findings"] if f["id"] == "flow-add-outside-forward")
    assert "input" in f["evidence"][0]["text"] and "flow add @ft" in f["evidence"][0]["text"]


def test_archive_target(tmp_path: Path) -> None:
    cap = _firewall_only(tmp_path)
    arc = tmp_path / "cap.tar.gz"
    with tarfile.open(arc, "w:gz") as tar:
        tar.add(cap, arcname="cap")
    doc = diagnose_json(str(arc))
    assert doc["facts"]["settings"]["fw4"]["flow_offloading"] is True


def test_archive_with_symlink_refused(tmp_path: Path) -> None:
    arc = tmp_path / "evil.tar.gz"
    link = tarfile.TarInfo("cap/etc/passwd")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"
    with tarfile.open(arc, "w:gz") as tar:
        tar.addfile(link)
    p = offtui("diagnose", str(arc))
    assert p.returncode == 2 and "link" in p.stderr


def test_rules_and_explain() -> None:
    p = offtui("rules", "--format", "json")
    rules = json.loads(p.stdout)
    ids = {r["id"] for r in rules}
    assert {"offload-enabled-but-no-flowtable", "flow-add-outside-forward"} <= ids
    e = offtui("explain", "flow-add-outside-forward")
    assert e.returncode == 0
    for part in ("What it finds", "Why it matters", "Fix", "References"):
        assert part in e.stdout
