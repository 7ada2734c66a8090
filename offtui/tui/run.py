"""Start the TUI: the first collection begins before Textual is imported.

Importing Textual and building the app takes a few hundred milliseconds on a small machine;
reading the host takes about as long. Doing both at once is what puts the first full screen
within a second.
"""

from __future__ import annotations

import argparse
import sys
import threading
from concurrent.futures import Future


def prefetch(source: object) -> Future:
    """Run ``source.collect()`` once in a thread; the app's first worker takes the result."""
    fut: Future = Future()

    def run() -> None:
        try:
            fut.set_result(source.collect())  # type: ignore[attr-defined]
        except BaseException as exc:  # handed to the app, which reports it
            fut.set_exception(exc)

    threading.Thread(target=run, name="offtui-prefetch", daemon=True).start()
    return fut


class _SshFailure(Exception):
    pass


def _remote_source(args: argparse.Namespace) -> object | None:
    """A live SSH source for ``ssh://host`` or an ssh_config alias (connects before the UI)."""
    import offtui.cli
    from offtui.sources.live import RemoteSource
    from offtui.sources.ssh import RemoteLive, SshError, resolve_target

    remote = resolve_target(args.target)
    if remote is None:
        return None
    live = RemoteLive(
        remote, offtui.cli.SSH_OPTIONS, interval=getattr(args, "interval", 1.0) or 1.0
    )
    source = RemoteSource(live, origin=str(remote))
    sys.stderr.write(f"connecting to {remote} ...\r")
    sys.stderr.flush()
    try:
        source.start()
    except SshError as exc:
        raise _SshFailure(str(exc)) from exc
    return source


def run_app(args: argparse.Namespace) -> int:
    """``offtui [TARGET]`` / ``offtui --demo NAME`` in a terminal."""
    from offtui.capture import CaptureError
    from offtui.sources.live import LiveSource, ReplaySource

    demo = getattr(args, "demo", None)
    try:
        if demo:
            from offtui.demo import demo_path

            source = ReplaySource(str(demo_path(demo)), origin=f"demo {demo}")
        elif args.target in (None, "local"):
            source = LiveSource()
        else:
            source = _remote_source(args) or ReplaySource(args.target)
    except (CaptureError, KeyError) as exc:
        print(f"offtui: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    except _SshFailure as exc:
        print(f"offtui: {exc}", file=sys.stderr)
        return 2
    first = prefetch(source)
    from offtui.tui.app import OfftuiApp

    OfftuiApp(source, interval=getattr(args, "interval", 1.0) or 1.0, first=first).run()
    return 0
