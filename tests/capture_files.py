"""Read the real capture files copied into ``tests/captures/`` (header + body).

Every file starts with a contiguous block of ``# `` header lines (source, date,
device/kernel, note); everything after it is the body, exactly as the tool printed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CAPTURES = Path(__file__).parent / "captures"


@dataclass(frozen=True)
class CaptureFile:
    name: str
    header: dict[str, str]
    body: str
    #: 1-based line number (in the file) of the first body line.
    body_start: int


def read_capture_file(name: str) -> CaptureFile:
    lines = (CAPTURES / name).read_text(encoding="utf-8").splitlines(keepends=True)
    header: dict[str, str] = {}
    i = 0
    while i < len(lines) and lines[i].startswith("# "):
        key, _, value = lines[i][2:].partition(":")
        header[key.strip()] = value.strip()
        i += 1
    return CaptureFile(name, header, "".join(lines[i:]), i + 1)


def all_capture_names() -> list[str]:
    return sorted(p.name for p in CAPTURES.glob("*.txt"))
