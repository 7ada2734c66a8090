"""Step 4-5: apply with rollback (commit-confirmed), then confirm or let it roll back.

Before anything changes, the exact prior state is saved *on the target* in
``/tmp/offtui-rollback-<session>``: every file the plan touches (``cp -p``: bytes and
mode), ``nft list ruleset``, and offtui's own table. A restore script is written next to
it, and a timer job is armed on the target (``setsid``, or ``nohup`` where there is none,
its output sent to files) so it fires even when the SSH session that started it dies.
Only then is the change applied. Confirming and the restore both take the lock directory
``$D/lock`` first (``mkdir`` is atomic), so exactly one of them wins.

Everything on the target is POSIX sh that busybox ash runs.
"""

from __future__ import annotations

import secrets
import shlex
import time
from dataclasses import dataclass, field

from offtui.wizard.executor import Executor, ExecutorError, Result, run_sh, write_file
from offtui.wizard.plan import Plan

__all__ = [
    "ApplyOutcome",
    "Session",
    "apply_plan",
    "check_alive",
    "confirm",
    "restore_script",
    "rollback_now",
    "session_state",
    "wait_rollback",
]

ROLLBACK_ROOT = "/tmp"
_PATH = 'PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"; export PATH'


@dataclass(slots=True)
class Session:
    id: str
    dir: str
    timeout_s: int
    armed_at: float | None = None  # local monotonic time when the timer was armed


@dataclass(slots=True)
class ApplyOutcome:
    session: Session
    ok: bool
    output: str = ""
    error: str | None = None
    rolled_back: bool = False
    log: list[str] = field(default_factory=list)


def _q(s: str) -> str:
    return shlex.quote(s)


def _prepare_script(plan: Plan, d: str) -> str:
    lines = [_PATH, "set -e", "umask 077", f"D={_q(d)}", 'mkdir "$D"']
    for i, f in enumerate(plan.files):
        p = _q(f.path)
        lines.append(
            f'if [ -e {p} ]; then cp -p {p} "$D/f{i}"; echo present > "$D/f{i}.state"; '
            f'else echo absent > "$D/f{i}.state"; fi'
        )
    lines.append('if command -v nft >/dev/null 2>&1; then nft list ruleset > "$D/ruleset.nft"; fi')
    if plan.save_offtui_table:
        lines.append(
            "{ echo 'table inet offtui'; echo 'delete table inet offtui'; "
            'nft list table inet offtui 2>/dev/null || true; } > "$D/restore-table.nft"'
        )
    if plan.restore_whole_ruleset:
        lines.append('{ echo "flush ruleset"; cat "$D/ruleset.nft"; } > "$D/restore-ruleset.nft"')
    return "\n".join(lines) + "\n"


def restore_script(plan: Plan, d: str) -> str:
    """The script the timer (or an immediate rollback) runs on the target."""
    lines = [
        "#!/bin/sh",
        "# offtui rollback: put back every touched file and the ruleset, then reload",
        f"D={_q(d)}",
        'mkdir "$D/lock" 2>/dev/null || exit 0  # confirmed, or already restoring',
        _PATH,
        'exec >>"$D/restore.log" 2>&1',
        'echo "restore started"',
    ]
    for i, f in enumerate(plan.files):
        p = _q(f.path)
        lines.append(
            f'if [ "$(cat "$D/f{i}.state")" = present ]; then cp -p "$D/f{i}" {p}; '
            f"else rm -f {p}; fi || echo 'could not restore {f.path}'"
        )
    if plan.save_offtui_table:
        lines.append('nft -f "$D/restore-table.nft" || echo "nft restore failed"')
    if plan.restore_whole_ruleset:
        lines.append('nft -f "$D/restore-ruleset.nft" || echo "nft restore failed"')
    for c in plan.restore_commands:
        lines.append(f"{c} || echo {_q('failed: ' + c)}")
    lines.append('echo done > "$D/restored"')
    return "\n".join(lines) + "\n"


def _timer_script(d: str, timeout_s: int) -> str:
    return f'D={_q(d)}\nsleep {int(timeout_s)}\nexec sh "$D/restore.sh"\n'


def _arm_script(d: str) -> str:
    # setsid: a new session, so the SSH server's hangup never reaches the timer;
    # nohup where busybox was built without setsid. stdio goes to files, never to the
    # SSH channel (the session could not close while the job held it).
    return (
        f"{_PATH}\nD={_q(d)}\n"
        "if command -v setsid >/dev/null 2>&1; then\n"
        '  setsid sh "$D/timer.sh" </dev/null >"$D/timer.log" 2>&1 &\n'
        "else\n"
        '  nohup sh "$D/timer.sh" </dev/null >"$D/timer.log" 2>&1 &\n'
        "fi\n"
        'echo $! > "$D/timer.pid"\n'
        'cat "$D/timer.pid"\n'
    )


def _apply_script(plan: Plan, d: str) -> str:
    lines = [_PATH, "set -e", f"D={_q(d)}"]
    for c in plan.commands:
        lines.append(f"echo {_q('$ ' + c)}")
        lines.append(c)
    return "\n".join(lines) + "\n"


def new_session(timeout_s: int = 60, session_id: str | None = None) -> Session:
    sid = session_id or time.strftime("%Y%m%d%H%M%S") + "-" + secrets.token_hex(3)
    return Session(sid, f"{ROLLBACK_ROOT}/offtui-rollback-{sid}", int(timeout_s))


def _post_checks(ex: Executor, plan: Plan) -> str | None:
    """A change that exited 0 but left the firewall broken (firewalld 'failed')."""
    if any(c.startswith("firewall-cmd") for c in plan.commands):
        r = ex.run(["firewall-cmd", "--state"], timeout=60)
        if r.out.strip() != "running":
            return f"firewalld is {r.out.strip() or 'not running'} after the reload"
    return None


def apply_plan(ex: Executor, plan: Plan, session: Session) -> ApplyOutcome:
    """Save the prior state, arm the rollback timer, apply. Rolls back at once on failure."""
    out = ApplyOutcome(session, ok=False)
    d = session.dir
    if plan.noop:
        out.ok = True
        out.log.append("nothing to change")
        return out
    r = run_sh(ex, _prepare_script(plan, d))
    if not r.ok:
        out.error = f"could not save the prior state: {r.err.strip()}"
        return out
    out.log.append(f"prior state saved in {d}")
    write_file(ex, f"{d}/restore.sh", restore_script(plan, d).encode())
    write_file(ex, f"{d}/timer.sh", _timer_script(d, session.timeout_s).encode())
    if plan.nft_script is not None:
        write_file(ex, f"{d}/apply.nft", plan.nft_script.encode())
    r = run_sh(ex, _arm_script(d))
    if not r.ok or not r.out.strip():
        out.error = f"could not arm the rollback job: {r.err.strip()}"
        run_sh(ex, 'rm -rf "$1"', d)
        return out
    session.armed_at = time.monotonic()
    out.log.append(f"rollback job armed (pid {r.out.strip()}, {session.timeout_s} s)")
    try:
        if plan.write_files:
            for f in plan.files:
                if f.after is None:
                    run_sh(ex, 'rm -f "$1"', f.path)
                else:
                    write_file(ex, f.path, f.after)
                out.log.append(f"wrote {f.path}")
        r = run_sh(ex, _apply_script(plan, d), timeout=180)
        out.output = r.out + r.err
        problem = None if r.ok else f"a command failed (exit {r.rc}): {r.err.strip()[-400:]}"
        if problem is None:
            problem = _post_checks(ex, plan)
    except ExecutorError as exc:
        problem = str(exc)
    if problem is not None:
        out.error = problem
        out.log.append(f"apply failed: {problem}; rolling back now")
        rb = rollback_now(ex, session)
        out.rolled_back = rb.ok
        return out
    out.ok = True
    out.log.append("applied")
    return out


def check_alive(ex: Executor, session: Session) -> tuple[bool, str]:
    """From a NEW connection: does the target answer, and is the rollback job still armed?"""
    try:
        fresh = ex.reconnect()
        r = run_sh(
            fresh,
            'D="$1"; if [ -e "$D/restored" ]; then echo restored; '
            'elif kill -0 "$(cat "$D/timer.pid")" 2>/dev/null; then echo armed; '
            "else echo gone; fi",
            session.dir,
            timeout=30,
        )
    except ExecutorError as exc:
        return False, str(exc)
    state = r.out.strip()
    return r.ok and state == "armed", state or r.err.strip()


def confirm(ex: Executor, session: Session) -> tuple[bool, str]:
    """Keep the change: cancel the rollback job (fails if the rollback already started)."""
    script = (
        'D="$1"\n'
        'mkdir "$D/lock" 2>/dev/null || { echo "the rollback has already started"; exit 4; }\n'
        ': > "$D/confirmed"\n'
        'pid=$(cat "$D/timer.pid" 2>/dev/null)\n'
        'if [ -n "$pid" ]; then\n'
        '  kill -TERM -"$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null\n'
        "fi\n"
        'rm -rf "$D"\n'
        "echo confirmed\n"
    )
    r = run_sh(ex.reconnect(), script, session.dir, timeout=30)
    return r.ok, (r.out + r.err).strip()


def rollback_now(ex: Executor, session: Session) -> Result:
    """Run the restore at once (the timer then finds the lock and does nothing)."""
    r = run_sh(
        ex,
        'sh "$1/restore.sh"; cat "$1/restore.log"; [ -e "$1/restored" ]',
        session.dir,
        timeout=180,
    )
    run_sh(
        ex,
        'pid=$(cat "$1/timer.pid" 2>/dev/null); [ -n "$pid" ] && '
        '{ kill -TERM -"$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null; }; true',
        session.dir,
    )
    return r


def session_state(ex: Executor, session: Session) -> str:
    """ "restored", "armed", "confirmed-or-gone" (the directory is removed on confirm)."""
    r = run_sh(
        ex,
        'D="$1"; if [ -e "$D/restored" ]; then echo restored; '
        'elif [ -d "$D/lock" ]; then echo restoring; '
        'elif [ -d "$D" ]; then echo armed; else echo confirmed-or-gone; fi',
        session.dir,
    )
    return r.out.strip()


def wait_rollback(ex: Executor, session: Session, timeout_s: float) -> bool:
    """Wait until the target's rollback job has finished (True) or the time is up."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        try:
            if session_state(ex.reconnect(), session) == "restored":
                return True
        except ExecutorError:
            pass
        time.sleep(1)
    return False
