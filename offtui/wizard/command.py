"""``offtui offload status|enable|disable [TARGET]``: the wizard on the command line.

Exit codes: 0 done (or ``--dry-run``, or nothing to change); 1 the change failed, was not
confirmed and rolled back, or verification found a problem; 2 bad usage / target.
"""

from __future__ import annotations

import argparse
import select
import sys
import time

from offtui.wizard.executor import CommandExecutor, ExecutorError, LocalExecutor, ssh_executor

__all__ = ["add_parser", "cmd_offload", "executor_for"]


class _Usage(Exception):
    pass


def executor_for(target: str | None, args: argparse.Namespace | None = None) -> CommandExecutor:
    """TARGET: omitted/``local``, ``netns:NAME``, or an SSH target (``ssh://[user@]host[:port]``
    or an ssh_config alias), with the ssh options of the command line (``-i``, ``-J``...)."""
    if target in (None, "local"):
        return LocalExecutor()
    if target.startswith("netns:"):
        return LocalExecutor(target[6:])
    from offtui.cli import UsageError, _remote, _ssh_options
    from offtui.sources.ssh import SshError, SshOptions

    try:
        remote = _remote(target)
        opts = (_ssh_options(args) if args is not None else None) or SshOptions.from_env()
    except (UsageError, SshError) as exc:
        raise _Usage(str(exc)) from exc
    if remote is None:
        raise _Usage(f"{target}: give local, netns:NAME or ssh://[user@]host[:port]")
    opts.batch = True
    return ssh_executor(opts.argv(remote, "", keepalive=True)[:-1], str(remote))


def _ask(prompt: str, timeout_s: float | None) -> bool:
    sys.stderr.write(prompt)
    sys.stderr.flush()
    if not sys.stdin.isatty():
        sys.stderr.write("(no terminal: no)\n")
        return False
    ready, _, _ = select.select([sys.stdin], [], [], timeout_s)
    if not ready:
        sys.stderr.write("\n(no answer in time)\n")
        return False
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _status(ex: CommandExecutor) -> int:
    from offtui.wizard.devices import choose_devices
    from offtui.wizard.status import read_status

    st = read_status(ex, samples=0)
    snap = st.snapshot
    print(f"target:   {st.target}")
    print(f"backend:  {st.backend.value}")
    print(f"offload:  {st.mode.value}")
    print(f"tools:    {' '.join(sorted(st.tools)) or '-'}")
    for ft in snap.flowtables:
        flags = " flags offload" if ft.hw_offload else ""
        print(f"flowtable {ft.family} {ft.table} {ft.name}: {{ {', '.join(ft.devices)} }}{flags}")
    if snap.conntrack is not None:
        c = snap.conntrack
        print(f"flows:    {c.total} ([OFFLOAD] {c.offload}, [HW_OFFLOAD] {c.hw_offload})")
    devices, _ = choose_devices(snap)
    print("devices offtui would choose:")
    for d in devices:
        print(f"  {'+' if d.included else '-'} {d.name:<16} {d.reason}")
    return 0


def cmd_offload(args: argparse.Namespace) -> int:
    from offtui.wizard.apply import apply_plan, check_alive, confirm, new_session, wait_rollback
    from offtui.wizard.plan import Action, Intent, PlanError, make_plan, preview_text
    from offtui.wizard.status import read_status
    from offtui.wizard.verify import verify

    try:
        ex = executor_for(args.target, args)
    except _Usage as exc:
        print(f"offtui: {exc}", file=sys.stderr)
        return 2
    try:
        if args.action == "status":
            return _status(ex)
        devices = [d for item in args.devices or [] for d in item.replace(",", " ").split()]
        intent = Intent(
            Action(args.action),
            hw=args.hw,
            backend=args.backend,
            devices=devices or None,
            nft_mode=args.nft_mode,
            fw4_writer=args.fw4_writer,
        )
        st = read_status(ex)
        try:
            plan = make_plan(st, intent)
        except PlanError as exc:
            print(f"offtui: {exc}", file=sys.stderr)
            return 2
        sys.stdout.write(preview_text(plan))
        sys.stdout.flush()
        if args.dry_run or plan.noop:
            if args.dry_run:
                print("\n--dry-run: nothing was changed.")
            return 0
        if not args.yes and not _ask("\nApply this plan? [y/N] ", None):
            print("Not applied; nothing was changed.")
            return 1
        session = new_session(args.confirm_timeout)
        out = apply_plan(ex, plan, session)
        for line in out.log:
            print(f"  {line}")
        if not out.ok:
            print(f"offtui: apply failed: {out.error}", file=sys.stderr)
            if out.output:
                sys.stderr.write(out.output[-2000:])
            print(
                "rolled back" if out.rolled_back else "ROLLBACK DID NOT COMPLETE", file=sys.stderr
            )
            return 1
        alive, state = check_alive(ex, session)
        left = session.timeout_s - (time.monotonic() - (session.armed_at or time.monotonic()))
        if not alive:
            print(
                f"offtui: the target does not answer as it should ({state}); "
                f"the rollback job restores it within {max(0, left):.0f} s",
                file=sys.stderr,
            )
            wait_rollback(ex, session, left + 60)
            return 1
        print(f"  the target answers from a new connection; rollback armed ({left:.0f} s left)")
        if args.no_confirm:
            print("  --no-confirm: waiting for the rollback job to restore the prior state")
            ok = wait_rollback(ex, session, left + 60)
            print("  restored" if ok else "  the rollback did not report back")
            return 1 if not ok else 0
        keep = args.yes or _ask(f"Keep this change? [y/N] (rolls back in {left:.0f} s) ", left)
        if not keep:
            print("  not confirmed: the rollback job restores the prior state")
            ok = wait_rollback(ex, session, left + 60)
            print("  restored" if ok else "  the rollback did not report back")
            return 1
        ok, msg = confirm(ex, session)
        if not ok:
            print(f"offtui: could not confirm: {msg}", file=sys.stderr)
            return 1
        print("  confirmed; the rollback job is cancelled")
        rep = verify(ex, plan, cpu_before=st.cpu, wait_s=args.verify_wait)
        sys.stdout.write(rep.text())
        return 0 if rep.ok else 1
    except ExecutorError as exc:
        print(f"offtui: {exc}", file=sys.stderr)
        return 2


def add_parser(sub: argparse._SubParsersAction) -> None:
    o = sub.add_parser("offload", help="enable/disable flow offloading (preview, rollback)")
    o.add_argument("action", choices=("status", "enable", "disable"))
    o.add_argument(
        "target",
        nargs="?",
        metavar="TARGET",
        help="local (default), netns:NAME, ssh://[user@]host[:port]",
    )
    o.add_argument("--hw", action="store_true", help="hardware offload (flags offload)")
    o.add_argument("--backend", choices=("auto", "fw4", "firewalld", "nftables"), default="auto")
    o.add_argument(
        "--devices", nargs="+", metavar="DEV", help="flowtable devices (default: chosen)"
    )
    o.add_argument(
        "--nft-mode",
        choices=("table", "conf"),
        default="table",
        help="nftables: offtui's own table inet offtui, or patch /etc/nftables.conf",
    )
    o.add_argument("--fw4-writer", choices=("auto", "uci", "file"), default="auto")
    o.add_argument("--dry-run", action="store_true", help="show the preview, change nothing")
    o.add_argument("--yes", action="store_true", help="apply and keep without asking")
    o.add_argument(
        "--no-confirm",
        action="store_true",
        help="apply, never confirm: the target rolls back after the timeout",
    )
    o.add_argument("--confirm-timeout", type=int, default=60, metavar="S")
    o.add_argument("--verify-wait", type=float, default=10.0, metavar="S")
    from offtui.cli import add_ssh_arguments

    add_ssh_arguments(o)
    o.set_defaults(func=cmd_offload)
