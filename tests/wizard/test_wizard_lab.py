"""The wizard for real, in the lab VMs (marked ``lab``; one VM at a time).

* busybox router (``routed-none``: a fw4-style table without flowtable, real TCP/UDP flows),
  reached over SSH: the nftables backend enables (flows get ``[OFFLOAD]``), disables
  (none), and a change that is not confirmed (the client just stops, or is killed) is
  restored by the job on the target: ``nft -s list ruleset`` byte-identical to before.
* firewalld router (``wizard-firewalld``: NftablesFlowtable=off), reached over SSH through
  the dropbear that /lab/init brings into the rootfs: enable, disable, a bad device name,
  a forced rollback; firewalld.conf and the ruleset byte-identical afterwards.

``nft -s`` (stateless) is compared because the lab's own counters keep counting traffic.
There is no ``uci``/``fw4`` in the lab VMs, so the fw4 backend is not run here (see
test_wizard_plan.py for its plans on real UCI files).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from offtui.wizard.apply import (
    apply_plan,
    check_alive,
    confirm,
    new_session,
    session_state,
    wait_rollback,
)
from offtui.wizard.executor import CommandExecutor, read_file, run_sh, ssh_executor
from offtui.wizard.plan import Action, Intent, PlanError, make_plan
from offtui.wizard.status import FIREWALLD_CONF, read_status
from offtui.wizard.verify import verify
from tests.lab.conftest import lab_unavailable

pytestmark = pytest.mark.lab

REPO = Path(__file__).resolve().parents[2]
KEY = REPO / "lab" / "cache" / "ssh" / "id_ed25519"
SSH_OPTS = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]
SSH_OPTS += ["-o", "LogLevel=ERROR"]


def _executor(port: int) -> CommandExecutor:
    argv = ["ssh", "-p", str(port), "-i", str(KEY), *SSH_OPTS, "-o", "BatchMode=yes"]
    return ssh_executor([*argv, "-T", "--", "root@127.0.0.1"], f"lab:{port}")


@pytest.fixture(scope="module")
def vm(request: pytest.FixtureRequest) -> Iterator[CommandExecutor]:
    reason = lab_unavailable()
    if reason:
        pytest.skip(reason)
    scenario, port = request.param
    run = subprocess.run(
        [str(REPO / "lab" / "run"), scenario, "--ssh", "--detach", "--port", str(port)],
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    try:
        yield _executor(port)
    finally:
        subprocess.run([str(REPO / "lab" / "stop"), "--port", str(port)], check=False)


def _ruleset(ex: CommandExecutor) -> str:
    r = ex.run(["nft", "-s", "list", "ruleset"])
    assert r.ok, r.err
    return r.out


def _tables(text: str) -> dict[str, str]:
    """``nft list ruleset`` split into its tables (each byte for byte), keyed by header."""
    out: dict[str, str] = {}
    for block in re.findall(r"^table .*?^\}\n", text, re.S | re.M):
        out[block.split("{", 1)[0]] = block
    return out


def _lab_offloaded(ex: CommandExecutor) -> int:
    """[OFFLOAD] entries of the lab's own flows (ports 5001-5004), counted with grep."""
    r = run_sh(ex, "grep -E 'dport=500[1-4] ' /proc/net/nf_conntrack | grep -c OFFLOAD; true")
    return int(r.out.strip() or 0)


ROUTED = [("routed-none", 2311)]
FIREWALLD = [("wizard-firewalld", 2312)]


# ----------------------------------------------------------------- busybox, nftables backend


@pytest.mark.parametrize("vm", ROUTED, indirect=True, ids=["routed-none"])
class TestNftablesBackend:
    def test_enable_then_disable(self, vm: CommandExecutor) -> None:
        before = _ruleset(vm)
        assert _lab_offloaded(vm) == 0
        st = read_status(vm)
        plan = make_plan(st, Intent(Action.ENABLE, devices=["veth-a", "veth-b"]))
        assert plan.backend.value == "nftables"
        s = new_session(60)
        out = apply_plan(vm, plan, s)
        assert out.ok, out.error
        alive, state = check_alive(vm, s)
        assert alive, state
        ok, msg = confirm(vm, s)
        assert ok, msg
        assert session_state(vm, s) == "confirmed-or-gone"
        rep = verify(vm, plan, cpu_before=st.cpu, wait_s=15)
        assert rep.ok, rep.problems
        assert rep.flowtable is not None and rep.flowtable.devices == ["veth-a", "veth-b"]
        # the 4 lab flows (2 TCP, 2 UDP echo) go to the fast path
        deadline = time.monotonic() + 15
        while _lab_offloaded(vm) < 4 and time.monotonic() < deadline:
            time.sleep(1)
        assert _lab_offloaded(vm) == 4

        st2 = read_status(vm)
        plan2 = make_plan(st2, Intent(Action.DISABLE))
        s2 = new_session(60)
        assert apply_plan(vm, plan2, s2).ok
        assert confirm(vm, s2)[0]
        rep2 = verify(vm, plan2, wait_s=1)
        assert rep2.ok, rep2.problems
        assert _ruleset(vm) == before
        deadline = time.monotonic() + 10
        while _lab_offloaded(vm) and time.monotonic() < deadline:
            time.sleep(1)
        assert _lab_offloaded(vm) == 0

    def test_unconfirmed_change_rolls_back(self, vm: CommandExecutor) -> None:
        before = _ruleset(vm)
        plan = make_plan(read_status(vm), Intent(Action.ENABLE, devices=["veth-a", "veth-b"]))
        s = new_session(8)
        assert apply_plan(vm, plan, s).ok
        assert _ruleset(vm) != before
        assert wait_rollback(vm, s, 60)
        assert _ruleset(vm) == before

    def test_killed_session_rolls_back(self, vm: CommandExecutor) -> None:
        """The offtui process (and with it every SSH connection) is killed after apply."""
        before = _ruleset(vm)
        port = ROUTED[0][1]
        cmd = [
            sys.executable, "-m", "offtui", "offload", "enable", f"ssh://root@127.0.0.1:{port}",
            "-i", str(KEY), "--devices", "veth-a", "veth-b", "--yes", "--no-confirm",
            "--confirm-timeout", "12",
            *[w for o in SSH_OPTS[1::2] for w in ("--ssh-option", o)],
        ]  # fmt: skip
        p = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True, cwd=REPO,
        )  # fmt: skip
        assert p.stdout is not None
        seen = []
        for line in p.stdout:
            seen.append(line)
            if "rollback armed" in line:
                break
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        assert any("applied" in x for x in seen), "".join(seen)
        assert _ruleset(vm) != before
        deadline = time.monotonic() + 60
        while _ruleset(vm) != before and time.monotonic() < deadline:
            time.sleep(2)
        assert _ruleset(vm) == before


# ----------------------------------------------------------------- firewalld


@pytest.mark.parametrize("vm", FIREWALLD, indirect=True, ids=["wizard-firewalld"])
class TestFirewalldBackend:
    def test_enable_disable(self, vm: CommandExecutor) -> None:
        conf0 = read_file(vm, FIREWALLD_CONF)
        before = _ruleset(vm)
        st = read_status(vm)
        assert st.backend.value == "firewalld"
        plan = make_plan(st, Intent(Action.ENABLE, devices=["veth-a", "veth-b"]))
        s = new_session(90)
        out = apply_plan(vm, plan, s)
        assert out.ok, (out.error, out.output)
        assert check_alive(vm, s)[0]
        assert confirm(vm, s)[0]
        rep = verify(vm, plan, wait_s=20)
        assert rep.ok, rep.problems
        assert rep.flowtable is not None and rep.flowtable.name == "fastpath"
        assert sorted(rep.flowtable.devices) == ["veth-a", "veth-b"]
        deadline = time.monotonic() + 20
        while _lab_offloaded(vm) < 4 and time.monotonic() < deadline:
            time.sleep(1)
        assert _lab_offloaded(vm) == 4

        plan2 = make_plan(read_status(vm), Intent(Action.DISABLE))
        s2 = new_session(90)
        assert apply_plan(vm, plan2, s2).ok
        assert confirm(vm, s2)[0]
        assert verify(vm, plan2, wait_s=1).flowtable is None
        assert read_file(vm, FIREWALLD_CONF) == conf0
        # firewalld re-creates its table on every reload, so it now lists after labcount:
        # every table is byte-identical, only their order moved
        assert _tables(_ruleset(vm)) == _tables(before)

    def test_bad_device(self, vm: CommandExecutor) -> None:
        conf0 = read_file(vm, FIREWALLD_CONF)
        before = _ruleset(vm)
        st = read_status(vm)
        with pytest.raises(PlanError, match="nosuch0: no such device"):
            make_plan(st, Intent(Action.ENABLE, devices=["veth-a", "nosuch0"]))
        # forced past the check: firewalld's reload fails for real and offtui rolls back now
        plan = make_plan(
            st, Intent(Action.ENABLE, devices=["veth-a", "nosuch0"], allow_missing_devices=True)
        )
        out = apply_plan(vm, plan, new_session(90))
        assert not out.ok and out.rolled_back, out.log
        assert read_file(vm, FIREWALLD_CONF) == conf0
        assert vm.run(["firewall-cmd", "--state"]).out.strip() == "running"
        assert _tables(_ruleset(vm)) == _tables(before)

    def test_forced_rollback(self, vm: CommandExecutor) -> None:
        conf0 = read_file(vm, FIREWALLD_CONF)
        before = _ruleset(vm)
        plan = make_plan(read_status(vm), Intent(Action.ENABLE, devices=["veth-a", "veth-b"]))
        # firewall-cmd --reload takes ~10 s under TCG: the timer must outlast the apply
        s = new_session(45)
        assert apply_plan(vm, plan, s).ok
        assert read_file(vm, FIREWALLD_CONF) != conf0
        assert "flowtable fastpath" in _ruleset(vm)
        assert wait_rollback(vm, s, 120)
        assert read_file(vm, FIREWALLD_CONF) == conf0
        assert _tables(_ruleset(vm)) == _tables(before)
