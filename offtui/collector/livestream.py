"""Split the live collector's stream (``collect.sh -L``) into one complete stream per sample.

In live mode the collector prints its header and ``meta`` records once, then a ``done``
record (the "hello"), then one answer per request: a ``sample`` record, the sources, and a
``done`` record. Each answer, put behind the header and the meta records, is a complete
version-1 stream, so :func:`~offtui.collector.stream.parse_stream` reads it unchanged: the
remote live view goes through the very same unpacker and parsers as a one-shot capture.

:class:`LiveStreamParser` is incremental (bytes arrive in arbitrary pieces from SSH), pure
(no I/O) and never raises. It also fills in ``unchanged`` answers (the collector's "same
bytes as last time") with the bytes it received last time for that name.
"""

from __future__ import annotations

import dataclasses
import re

from offtui.collector.stream import CollectedSource, CollectedStream, parse_stream

_HEADER_AT = re.compile(rb"(?:^|\n)(offtui-collect/\d+ boundary=([A-Za-z0-9._-]{8,128}))\r?\n")
#: More than this without a complete answer means the stream is not what we expect.
MAX_PENDING = 768 * 1024 * 1024
#: Bytes kept while looking for the header (a login banner, a shell's noise).
MAX_NOISE = 64 * 1024


class LiveStreamParser:
    """Feed bytes with :meth:`feed`; get one :class:`CollectedStream` per complete answer.

    ``hello`` is the stream of the meta records (available after the first answer-less
    ``done``); ``noise`` counts bytes seen before the header (printed by a login shell);
    ``error`` is set when the data cannot be a live collector stream.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._header: bytes | None = None
        self._prefix: bytes | None = None  # the meta records, between header and hello done
        self._done: bytes = b""
        self._scan = 0
        self.hello: CollectedStream | None = None
        self.noise = 0
        self.noise_text = b""
        self.error: str | None = None
        self.answers = 0
        #: name -> the last source received with its bytes (for ``unchanged`` answers)
        self.last_sent: dict[str, CollectedSource] = {}

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[CollectedStream]:
        if self.error is not None or not data:
            return []
        self._buf += data
        out: list[CollectedStream] = []
        if self._header is None and not self._find_header():
            return out
        while True:
            seg = self._next_segment()
            if seg is None:
                break
            if self._prefix is None:
                cut = seg.rfind(self._done)
                self._prefix = seg[:cut]
                self.hello = parse_stream(self._header + seg + b"\n")  # type: ignore[operator]
                continue
            stream = parse_stream(self._header + self._prefix + seg + b"\n")  # type: ignore[operator]
            self._fill_unchanged(stream)
            self.answers += 1
            out.append(stream)
        if len(self._buf) > MAX_PENDING:
            self.error = f"no complete answer in {len(self._buf)} bytes"
            self._buf.clear()
        return out

    def _find_header(self) -> bool:
        m = _HEADER_AT.search(self._buf)
        if m is None:
            if len(self._buf) > MAX_NOISE:
                first = bytes(self._buf[:60]).decode("utf-8", "replace")
                self.error = f"not an offtui collector stream (first line: {first!r})"
                self._buf.clear()
            return False
        self.noise = m.start(1)
        self.noise_text = bytes(self._buf[: m.start(1)])[-2000:]
        self._header = m.group(1)
        boundary = m.group(2)
        self._done = b"\n--" + boundary + b" done "
        del self._buf[: m.end(1)]  # keep the header's newline: it starts the first marker
        self._scan = 0
        return True

    def _next_segment(self) -> bytes | None:
        """The bytes up to the end of the next ``done`` line (without its newline)."""
        i = self._buf.find(self._done, self._scan)
        if i < 0:
            self._scan = max(0, len(self._buf) - len(self._done))
            return None
        eol = self._buf.find(b"\n", i + len(self._done))
        if eol < 0:
            self._scan = i
            return None
        seg = bytes(self._buf[:eol])
        del self._buf[:eol]  # the newline stays: it belongs to the next marker
        self._scan = 0
        return seg

    def _fill_unchanged(self, stream: CollectedStream) -> None:
        for i, src in enumerate(stream.sources):
            if src.status == "unchanged":
                prev = self.last_sent.get(src.name)
                if prev is None:
                    src.status = "failed"
                    src.detail = "answered unchanged, but never received before"
                    stream.problems.append(f"{src.name}: unchanged without a previous copy")
                    continue
                stream.sources[i] = dataclasses.replace(
                    src, status=prev.status, content=prev.content, detail="unchanged"
                )
            elif src.status in ("ok", "empty"):
                self.last_sent[src.name] = src
