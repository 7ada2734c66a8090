"""Shared result types for every parser.

Parsers are pure functions ``parse(text) -> Parsed[T]``: they never raise on bad input.
A line they cannot read becomes an :class:`Unparsed` record with its 1-based line number,
so a user sees exactly what was skipped and nothing is silently lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")

#: How many unparsed lines a result keeps verbatim; the count is always exact.
MAX_KEPT_UNPARSED = 200


@dataclass(slots=True, frozen=True)
class Unparsed:
    """One input line a parser could not read."""

    line_no: int
    text: str
    reason: str


@dataclass(slots=True)
class Parsed(Generic[T]):
    """A parser's value plus what it could not read.

    ``unparsed`` keeps at most :data:`MAX_KEPT_UNPARSED` examples; ``unparsed_count`` is the
    exact number of lines that were skipped.
    """

    value: T
    unparsed: list[Unparsed] = field(default_factory=list)
    unparsed_count: int = 0

    def skip(self, line_no: int, text: str, reason: str) -> None:
        """Record one unreadable line (keeps the first examples, counts them all)."""
        self.unparsed_count += 1
        if len(self.unparsed) < MAX_KEPT_UNPARSED:
            self.unparsed.append(Unparsed(line_no, text[:300], reason))

    @property
    def ok(self) -> bool:
        return self.unparsed_count == 0


def is_shell_prompt(line: str) -> bool:
    """True for a pasted shell prompt line such as ``root@OpenWrt:~# cat /proc/...``.

    Forum pastes mix prompts with output; parsers skip these as unparsed lines with a
    clear reason rather than guessing.
    """
    head = line.split(" ", 1)[0]
    return ("@" in head and (head.endswith("#") or head.endswith("$") or ":" in head)) or (
        line.startswith(("# ", "$ ")) and len(line) > 2
    )
