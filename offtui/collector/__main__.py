"""``python -m offtui.collector STREAM DEST [--extra-json FILE]``: unpack a stream to a capture.

Exit status: 0 complete, 1 written but incomplete (the problems are printed), 2 not a
collector stream or DEST not writable.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from offtui.collector.stream import parse_stream, write_capture


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m offtui.collector", description=__doc__)
    ap.add_argument("stream", type=Path, help="collector output file ('-' for stdin)")
    ap.add_argument("dest", type=Path, help="capture directory to write")
    ap.add_argument("--extra-json", type=Path, help="JSON object merged into manifest extra")
    a = ap.parse_args(argv)
    try:
        data = sys.stdin.buffer.read() if str(a.stream) == "-" else a.stream.read_bytes()
        extra = json.loads(a.extra_json.read_text(encoding="utf-8")) if a.extra_json else None
    except (OSError, ValueError) as exc:
        print(f"offtui.collector: {exc}", file=sys.stderr)
        return 2
    stream = parse_stream(data)
    if stream.boundary is None:
        print(stream.error, file=sys.stderr)
        return 2
    try:
        write_capture(stream, a.dest, extra=extra if isinstance(extra, dict) else None)
    except OSError as exc:
        print(f"offtui.collector: cannot write {a.dest}: {exc}", file=sys.stderr)
        return 2
    if stream.error:
        print(stream.error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
