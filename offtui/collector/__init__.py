"""The POSIX-sh collector (``collect.sh``) and the unpacker of its stream (``stream.py``)."""

from pathlib import Path

#: The collector script, shipped as package data so a remote source can send it over SSH.
COLLECT_SH = Path(__file__).with_name("collect.sh")
