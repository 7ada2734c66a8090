"""Planning and preview on real captures (pure), and the rollback mechanics on files in a
temporary directory (no firewall of this host is touched: the plans here only write files
under tmp_path and run ``true``/``false``)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from offtui.model import Backend
from offtui.wizard.apply import apply_plan, confirm, new_session, restore_script, wait_rollback
from offtui.wizard.devices import choose_devices
from offtui.wizard.executor import CommandExecutor, LocalExecutor, read_file
from offtui.wizard.plan import (
    Action,
    FileChange,
    Intent,
    Plan,
    PlanError,
    make_plan,
    preview_text,
)
from offtui.wizard.status import FIREWALLD_CONF, FW4_CONFIG, status_from_capture
from tests.capture_files import read_capture_file

LAB = Path(__file__).resolve().parents[1] / "lab_captures"


def status(name: str, **kw):
    return status_from_capture(LAB / name, **kw)


def test_nftables_enable_plan_and_preview() -> None:
    st = status("routed-none", tools=frozenset({"nft"}))
    assert st.backend == Backend.NFTABLES
    plan = make_plan(st, Intent(Action.ENABLE, devices=["veth-a", "veth-b"]))
    assert plan.commands == ['nft -c -f "$D/apply.nft"', 'nft -f "$D/apply.nft"']
    assert "devices = { veth-a, veth-b }" in plan.nft_script
    assert "flags offload" not in plan.nft_script
    # the ruleset after: the capture's ruleset plus offtui's table, nothing else changed
    assert plan.ruleset_after.startswith(plan.ruleset_before)
    assert plan.ruleset_after.count("table inet offtui {") == 1
    text = preview_text(plan)
    assert "+table inet offtui {" in text and "veth-a           chosen by you" in text
    hw = make_plan(st, Intent(Action.ENABLE, hw=True, devices=["veth-a", "veth-b"]))
    assert "\t\tflags offload\n" in hw.nft_script


def test_nftables_disable_when_nothing_is_ours_is_a_noop() -> None:
    # routed-sfo's flowtable is in table inet fw4, not offtui's: left alone
    plan = make_plan(status("routed-sfo", tools=frozenset({"nft"})), Intent(Action.DISABLE))
    assert plan.noop
    assert "Nothing to change" in preview_text(plan)


def test_unknown_device_is_refused() -> None:
    st = status("routed-none", tools=frozenset({"nft"}))
    with pytest.raises(PlanError, match="nosuch0: no such device on the target"):
        make_plan(st, Intent(Action.ENABLE, devices=["veth-a", "nosuch0"]))


def test_firewalld_disable_changes_one_line() -> None:
    st = status("firewalld", tools=frozenset({"nft", "firewall-cmd"}))
    assert st.backend == Backend.FIREWALLD
    plan = make_plan(st, Intent(Action.DISABLE))
    (fc,) = plan.files
    assert fc.path == FIREWALLD_CONF
    changed = [x for x in fc.diff().splitlines() if x[:1] in "+-" and x[:3] not in ("+++", "---")]
    assert changed == ["-NftablesFlowtable=veth-a veth-b", "+NftablesFlowtable=off"]
    assert plan.commands == ["firewall-cmd --reload"]
    assert plan.restore_commands == ["firewall-cmd --reload"]
    with pytest.raises(PlanError, match="hardware"):
        make_plan(st, Intent(Action.ENABLE, hw=True, devices=["veth-a"]))


def _fw4_status(tools: frozenset[str]):
    fw = read_capture_file("openwrt-default-firewall.txt").body.encode()
    return status("routed-none", tools=tools, files={FW4_CONFIG: fw})


def test_fw4_with_uci_uses_uci_commands_and_shows_what_uci_commit_writes() -> None:
    plan = make_plan(_fw4_status(frozenset({"uci", "fw4", "nft"})), Intent(Action.ENABLE, hw=True))
    assert plan.backend == Backend.FW4
    assert plan.commands == [
        "uci set firewall.@defaults[0].flow_offloading='1'",
        "uci set firewall.@defaults[0].flow_offloading_hw='1'",
        "uci commit firewall",
        "fw4 reload",
    ]
    assert not plan.write_files
    (fc,) = plan.files
    after = fc.after.decode()
    assert after.startswith("\nconfig defaults\n\toption syn_flood '1'\n")
    assert "\toption flow_offloading_hw '1'\n" in after
    assert "comments are dropped" in fc.note
    assert any("falling back to software" in n for n in plan.notes)


def test_fw4_file_writer_adds_two_lines_and_disable_removes_them() -> None:
    st = _fw4_status(frozenset({"fw4", "nft"}))
    plan = make_plan(st, Intent(Action.ENABLE, hw=True, fw4_writer="file"))
    assert plan.commands == ["fw4 reload"] and plan.write_files
    (fc,) = plan.files
    changed = [x for x in fc.diff().splitlines() if x[:1] in "+-" and x[:3] not in ("+++", "---")]
    assert changed == ["+\toption flow_offloading 1", "+\toption flow_offloading_hw 1"]
    st.files[FW4_CONFIG] = fc.after
    off = make_plan(st, Intent(Action.DISABLE, fw4_writer="file"))
    assert off.files[0].after == read_capture_file("openwrt-default-firewall.txt").body.encode()


def test_devices_resolve_vlan_to_lower_device() -> None:
    snap = status("vlan-pppoe-devices--upper").snapshot
    devices, errors = choose_devices(snap)
    assert not errors
    by = {d.name: d.reason for d in devices}
    assert set(by) == {"veth-a", "veth-b"}
    assert "VLAN 7 veth-b.7" in by["veth-b"]


def test_restore_script_is_valid_sh(tmp_path: Path) -> None:
    plan = make_plan(
        status("firewalld", tools=frozenset({"nft", "firewall-cmd"})), Intent(Action.DISABLE)
    )
    script = tmp_path / "restore.sh"
    script.write_text(restore_script(plan, "/tmp/offtui-rollback-x"))
    for sh in ("sh", "bash"):
        assert subprocess.run([sh, "-n", str(script)]).returncode == 0


# --------------------------------------------------------- rollback mechanics on plain files


def _file_plan(path: Path, new: bytes, commands: list[str]) -> Plan:
    plan = Plan("local", Backend.NFTABLES, Intent(Action.ENABLE))
    plan.files = [FileChange(str(path), path.read_bytes(), new)]
    plan.commands = commands
    return plan


def test_unconfirmed_file_change_is_restored_by_the_timer(tmp_path: Path) -> None:
    f = tmp_path / "conf"
    original = b"# real bytes\nNftablesFlowtable=off\n\tno newline at end"
    f.write_bytes(original)
    f.chmod(0o640)
    ex: CommandExecutor = LocalExecutor()
    s = new_session(2)
    out = apply_plan(ex, _file_plan(f, b"changed\n", ["true"]), s)
    assert out.ok, out.error
    assert f.read_bytes() == b"changed\n"
    assert wait_rollback(ex, s, 30)
    assert f.read_bytes() == original
    assert oct(f.stat().st_mode & 0o777) == "0o640"


def test_failing_command_rolls_back_at_once(tmp_path: Path) -> None:
    f = tmp_path / "conf"
    f.write_bytes(b"before\n")
    ex = LocalExecutor()
    s = new_session(600)
    out = apply_plan(ex, _file_plan(f, b"after\n", ["false"]), s)
    assert not out.ok and out.rolled_back
    assert f.read_bytes() == b"before\n"


def test_confirm_cancels_the_timer(tmp_path: Path) -> None:
    f = tmp_path / "conf"
    f.write_bytes(b"before\n")
    ex = LocalExecutor()
    s = new_session(2)
    assert apply_plan(ex, _file_plan(f, b"after\n", ["true"]), s).ok
    ok, msg = confirm(ex, s)
    assert ok, msg
    import time

    time.sleep(3)
    assert f.read_bytes() == b"after\n"
    assert read_file(ex, s.dir) is None  # the session directory is gone


def test_remote_shell_quoting() -> None:
    seen = []

    def runner(argv, **kw):
        seen.append(argv)
        return subprocess.CompletedProcess(argv, 0, b"", b"")

    ex = CommandExecutor(["ssh", "h", "--"], "h", True, "P=1 ", runner)
    ex.run(["sh", "-c", 'cat > "$1"', "sh", "/etc/a b"])
    assert seen[-1] == ["ssh", "h", "--", "P=1 sh -c 'cat > \"$1\"' sh '/etc/a b'"]
