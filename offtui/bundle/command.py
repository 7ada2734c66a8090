"""``offtui bundle [TARGET] -o FILE.tar.gz [--no-redact] [--keep-map FILE]``."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    b = sub.add_parser(
        "bundle",
        help="write a diagnostic bundle (capture + findings + report), redacted by default",
        description="Write a .tar.gz to send to support: a capture of TARGET, its findings "
        "(JSON) and a markdown report. Addresses, MACs, host names, SSIDs, keys and "
        "passwords are redacted unless --no-redact is given.",
    )
    b.add_argument(
        "target",
        nargs="?",
        metavar="TARGET",
        help="omitted or 'local': this host; ssh://[user@]host[:port] or an ssh_config "
        "alias; or a capture dir / .tar.gz",
    )
    b.add_argument("-o", "--output", required=True, metavar="FILE.tar.gz")
    b.add_argument(
        "--no-redact",
        action="store_true",
        help="keep every value as collected (stated in the manifest)",
    )
    b.add_argument(
        "--keep-map",
        metavar="FILE",
        help="also write the original -> redacted table to FILE (kept here, never in the bundle)",
    )
    b.set_defaults(func=cmd_bundle)


def _progress() -> Callable[[str], None] | None:
    if not sys.stderr.isatty():
        return None

    def note(msg: str) -> None:
        sys.stderr.write(f"\r{msg[:72]:<72}")
        sys.stderr.flush()

    return note


def cmd_bundle(args: argparse.Namespace) -> int:
    from offtui.bundle.export import BundleError, make_bundle
    from offtui.cli import UsageError

    out = Path(args.output)
    if out.is_dir():
        raise UsageError(f"{out}: is a directory; give a file name such as bundle.tar.gz")
    keep_map = Path(args.keep_map) if args.keep_map else None
    note = _progress()
    target = args.target
    try:
        if target is None or target == "local":
            from offtui.sources.local import collect_local

            with tempfile.TemporaryDirectory(prefix="offtui-local-") as tmp:
                collect_local(tmp, progress=(lambda n: note(f"collecting {n}")) if note else None)
                res = make_bundle(Path(tmp), out, not args.no_redact, keep_map, note)
        elif Path(target).exists():
            res = make_bundle(Path(target), out, not args.no_redact, keep_map, note)
        else:
            # ssh://host or an ssh_config alias: collected over SSH, then bundled here
            from offtui.cli import open_target

            with open_target(target, progress=True) as cap:
                res = make_bundle(cap, out, not args.no_redact, keep_map, note)
    except BundleError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        if note:
            sys.stderr.write("\r" + " " * 72 + "\r")
    state = "redacted" if res.redacted else "NOT redacted"
    print(
        f"bundle written to {res.path} ({res.size_bytes} bytes, {res.files} files, {state}, "
        f"{res.findings} finding(s), {res.seconds:.1f} s)"
    )
    if res.map_path:
        print(f"redaction map kept at {res.map_path} (do not send it)")
    return 0
