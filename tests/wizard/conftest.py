"""Wizard tests leave nothing behind: rollback folders a test made on this host are removed."""

from __future__ import annotations

import glob
import shutil
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _remove_rollback_dirs() -> Iterator[None]:
    before = set(glob.glob("/tmp/offtui-rollback-*"))
    yield
    for d in set(glob.glob("/tmp/offtui-rollback-*")) - before:
        shutil.rmtree(d, ignore_errors=True)
