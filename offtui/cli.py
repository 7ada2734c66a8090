"""Command line: ``offtui [TARGET]``, ``offtui diagnose``, ``collect``, ``rules``, ``explain``.

Exit codes: 0 nothing reached ``--fail-on``; 1 something did; 2 bad usage or an unreadable
target (with a one-line reason on stderr).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from offtui import __version__

SUBCOMMANDS = ("diagnose", "collect", "rules", "explain", "explain-flow", "bundle", "offload")
FAIL_RANKS = {"error": 3, "warning": 2, "info": 1, "never": 99}


class UsageError(Exception):
    """Bad usage or an unreadable target: one line for the user, exit 2."""


#: ssh options (-i, -J, -o, -F) from the command line; None: $OFFTUI_SSH_OPTIONS only.
SSH_OPTIONS = None


def _remote(target: str):  # -> SshTarget | None
    """The SSH target TARGET names (``ssh://...`` or an ssh_config alias), else None."""
    from offtui.sources.ssh import SshError, resolve_target

    try:
        return resolve_target(target)
    except SshError as exc:
        raise UsageError(str(exc)) from exc


def add_ssh_arguments(p: argparse.ArgumentParser) -> None:
    """``-i``, ``-J``, ``--ssh-option`` (ssh's ``-o``) and ``-F``, passed to the ssh client."""
    g = p.add_argument_group("SSH targets (passed to the system ssh client)")
    g.add_argument("-i", dest="ssh_identity", action="append", metavar="KEY", default=[])
    g.add_argument("-J", dest="ssh_jump", metavar="JUMP_HOST")
    g.add_argument(
        "--ssh-option",
        dest="ssh_option",
        action="append",
        metavar="OPT",
        default=[],
        help="an ssh -o option, e.g. 'Port=2222' (repeatable)",
    )
    g.add_argument("-F", dest="ssh_config", metavar="SSH_CONFIG")


def _ssh_options(args: argparse.Namespace):  # -> SshOptions | None
    if not any(
        getattr(args, k, None) for k in ("ssh_identity", "ssh_jump", "ssh_option", "ssh_config")
    ):
        return None
    from offtui.sources.ssh import SshOptions

    o = SshOptions.from_env()
    o.identity += args.ssh_identity or []
    o.jump = args.ssh_jump or o.jump
    o.options += args.ssh_option or []
    o.config = args.ssh_config or o.config
    return o


@contextlib.contextmanager
def open_target(target: str | None, progress: bool = False) -> Iterator:
    """Yield a Capture for TARGET: this host (collected now), or a capture dir / archive."""
    from offtui.capture import Capture, CaptureError

    if target is None or target == "local":
        from offtui.sources.local import collect_local

        with tempfile.TemporaryDirectory(prefix="offtui-local-") as tmp:
            note = None
            if progress and sys.stderr.isatty():

                def note(name: str) -> None:
                    sys.stderr.write(f"\rcollecting {name[:60]:<60}")
                    sys.stderr.flush()

            collect_local(tmp, progress=note)
            if note:
                sys.stderr.write("\r" + " " * 72 + "\r")
            cap = Capture.open(tmp)
            yield cap
        return
    remote = _remote(target)
    if remote is not None:
        from offtui.sources.ssh import SshError, collect_ssh

        with tempfile.TemporaryDirectory(prefix="offtui-ssh-") as tmp:
            if progress and sys.stderr.isatty():
                sys.stderr.write(f"\rcollecting {remote} ...")
                sys.stderr.flush()
            try:
                collect_ssh(remote, tmp, SSH_OPTIONS)
            except SshError as exc:
                raise UsageError(str(exc)) from exc
            finally:
                if progress and sys.stderr.isatty():
                    sys.stderr.write("\r" + " " * 72 + "\r")
            cap = Capture.open(tmp)
            yield cap
        return
    if "://" in target:
        raise UsageError(f"{target}: only ssh:// remote targets are supported")
    try:
        cap = Capture.open(target)
    except CaptureError as exc:
        raise UsageError(str(exc)) from exc
    try:
        yield cap
    finally:
        cap.close()


def cmd_diagnose(args: argparse.Namespace) -> int:
    from offtui.engine import run_rules
    from offtui.render.facts import document
    from offtui.render.text import render_markdown, render_text
    from offtui.snapshot import build_snapshot

    with open_target(args.target, progress=True) as cap:
        snap = build_snapshot(cap)
        local = args.target in (None, "local")
        manifest = cap.manifest or {}
        capture = {
            "origin": "this host" if local else cap.origin,
            "collector": manifest.get("collector"),
            "redacted": cap.redacted,
            "bundle": bool(manifest.get("bundle")),
        }
        line = None if local else f"{cap.origin}: {cap.describe()}"
    report = run_rules(snap)
    if args.format == "json":
        doc = document(snap, report, capture)
        sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")
    elif args.format == "markdown":
        sys.stdout.write(render_markdown(snap, report, line))
    else:
        sys.stdout.write(render_text(snap, report, line))
    threshold = FAIL_RANKS[args.fail_on]
    return 1 if any(f.severity.rank >= threshold for f in report.findings) else 0


def cmd_collect(args: argparse.Namespace) -> int:
    out = Path(args.output)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out}: already exists and is not empty")
    if args.target in (None, "local"):
        from offtui.sources.local import collect_local

        collect_local(out)
    else:
        with open_target(args.target) as cap:
            shutil.copytree(cap.root, out, dirs_exist_ok=True)
    print(f"capture written to {out}")
    return 0


def cmd_rules(args: argparse.Namespace) -> int:
    from offtui.engine import load_rules

    rules = load_rules()
    if args.format == "json":
        print(
            json.dumps(
                [
                    {"id": r.info.id, "severity": r.info.severity.value, "title": r.info.title}
                    for r in rules
                ],
                indent=2,
            )
        )
    else:
        for r in rules:
            print(f"{r.info.id:<42} {r.info.severity.value:<8} {r.info.title}")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from offtui.engine import rule_by_id

    r = rule_by_id(args.rule_id)
    if r is None:
        raise UsageError(f"{args.rule_id}: no such rule (see `offtui rules`)")
    i, d = r.info, r.info.doc
    parts = [
        f"{i.id} ({i.severity.value}): {i.title}",
        "",
        "What it finds",
        d.what,
        "",
        "Why it matters",
        d.why,
    ]
    if d.limits:
        parts += ["", "Known limits", d.limits]
    if d.example:
        parts += ["", "Example evidence", d.example]
    parts += ["", "Fix", d.fix]
    if d.fix_interrupts:
        parts += ["", "Does the fix interrupt traffic?", d.fix_interrupts]
    if d.references:
        parts += ["", "References"] + [f"- {ref}" for ref in d.references]
    print("\n".join(parts))
    return 0


def cmd_explain_flow(args: argparse.Namespace) -> int:
    """Why is each flow matching ``--match`` (not) offloaded?"""
    from offtui.explain import describe_flow, explain_flow, find_flows
    from offtui.parsers.conntrack import parse_match_spec
    from offtui.snapshot import build_snapshot

    try:
        spec = parse_match_spec(args.match or "")
    except ValueError as exc:
        raise UsageError(f"--match: {exc}") from exc
    with open_target(args.target, progress=True) as cap:
        snap = build_snapshot(cap)
    if snap.conntrack is None:
        raise UsageError("no conntrack table in this capture (needs /proc/net/nf_conntrack)")
    flows = find_flows(snap, spec)
    if not flows:
        raise UsageError(f"no flow matches {args.match!r} ({snap.conntrack.total} flows)")
    shown = flows[: args.limit]
    results = [(f, explain_flow(snap, f)) for f in shown]
    if args.format == "json":
        out = {
            "schema": "offtui-explain-flow",
            "schema_version": 1,
            "matched": len(flows),
            "flows": [
                {"flow": describe_flow(f), "line": f.line_no, **ex.as_dict()} for f, ex in results
            ],
        }
        print(json.dumps(out, indent=2))
        return 0
    for f, ex in results:
        print(f"{describe_flow(f)}  [{ex.state}]")
        print(f"  {ex.summary}")
        for r in ex.reasons:
            print(f"  - {r}")
        if ex.in_dev or ex.out_dev:
            print(f"  path: in {ex.in_dev or '?'} -> out {ex.out_dev or '?'}")
        for e in ex.evidence:
            where = e.source + (f":{e.line_no}" if e.line_no else "")
            print(f"  evidence: {where}: {e.text}")
        print()
    if len(flows) > len(shown):
        print(f"({len(flows) - len(shown)} more flows match; use --limit)")
    return 0


def cmd_view(args: argparse.Namespace) -> int:
    """``offtui [TARGET]``: the dashboard (the text report when no terminal UI is possible)."""
    try:
        from offtui.tui.run import run_app  # type: ignore[import-not-found]
    except ImportError:
        run_app = None
    if getattr(args, "demo", None):
        from offtui.demo import demo_info, demo_names, demo_path

        if args.demo == "list":
            for name in demo_names():
                print(f"{name:<22} {demo_info(name).get('description', '')}")
            return 0
        if args.demo not in demo_names():
            raise UsageError(f"no demo {args.demo!r}; demos: {', '.join(demo_names())}")
        if args.target:
            raise UsageError("give either TARGET or --demo, not both")
        if not (run_app is not None and sys.stdout.isatty()):
            args.target = str(demo_path(args.demo))
    if run_app is not None and sys.stdout.isatty():
        return run_app(args)
    ns = argparse.Namespace(target=args.target, format="text", fail_on="never")
    return cmd_diagnose(ns)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="offtui",
        description="See, diagnose and fix Linux flow offloading.",
        epilog="TARGET: omitted or 'local' for this host, a capture directory / .tar.gz, or "
        "ssh://[user@]host[:port] (or an ssh_config Host alias) for a remote router",
    )
    p.add_argument("--version", action="version", version=f"offtui {__version__}")
    sub = p.add_subparsers(dest="command")

    d = sub.add_parser("diagnose", help="report offload state and findings")
    d.add_argument("target", nargs="?", metavar="TARGET")
    d.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    d.add_argument("--fail-on", choices=tuple(FAIL_RANKS), default="error")
    d.set_defaults(func=cmd_diagnose)

    c = sub.add_parser("collect", help="write a capture of TARGET to a directory")
    c.add_argument("target", nargs="?", metavar="TARGET")
    c.add_argument("-o", "--output", required=True, metavar="DIR")
    c.set_defaults(func=cmd_collect)

    r = sub.add_parser("rules", help="list every rule")
    r.add_argument("--format", choices=("text", "json"), default="text")
    r.set_defaults(func=cmd_rules)

    e = sub.add_parser("explain", help="print a rule's documentation")
    e.add_argument("rule_id", metavar="ID")
    e.set_defaults(func=cmd_explain)

    x = sub.add_parser("explain-flow", help="why is a flow (not) offloaded?")
    x.add_argument("target", nargs="?", metavar="TARGET")
    x.add_argument(
        "--match",
        required=True,
        help="e.g. 'src=10.0.1.2 dport=5001 proto=tcp' (keys: src dst sport dport proto offload)",
    )
    x.add_argument("--format", choices=("text", "json"), default="text")
    x.add_argument("--limit", type=int, default=20, help="explain at most N matching flows")
    x.set_defaults(func=cmd_explain_flow)

    from offtui.bundle.command import add_parser as add_bundle_parser

    add_bundle_parser(sub)
    for name in ("diagnose", "collect", "explain-flow", "bundle"):
        add_ssh_arguments(sub.choices[name])

    from offtui.wizard.command import add_parser as add_offload_parser

    add_offload_parser(sub)
    return p


def view_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="offtui", description="See, diagnose and fix Linux flow offloading."
    )
    p.add_argument("target", nargs="?", metavar="TARGET")
    p.add_argument("--interval", type=float, default=1.0, help="refresh interval in seconds")
    add_ssh_arguments(p)
    p.add_argument(
        "--demo",
        metavar="NAME",
        help="show a real capture shipped with offtui (routed-sfo, mtk-hw-offload, ...; "
        "'offtui --demo list' names them all)",
    )
    p.add_argument("--version", action="version", version=f"offtui {__version__}")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if (argv and argv[0] in SUBCOMMANDS) or argv[:1] in (["-h"], ["--help"]):
            args = build_parser().parse_args(argv)
        else:
            args = view_parser().parse_args(argv)
            args.func = cmd_view
        global SSH_OPTIONS
        SSH_OPTIONS = _ssh_options(args)
        return args.func(args)
    except UsageError as exc:
        print(f"offtui: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
