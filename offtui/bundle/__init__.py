"""Diagnostic bundles: export a capture with its findings, redacted by default.

``make_bundle`` is what the CLI (``offtui bundle``) and the TUI call; ``Redactor`` is the
redaction with one consistent mapping across every file; opening a bundle someone sent is
:meth:`offtui.capture.Capture.open` (safe extraction of untrusted archives).
"""

from __future__ import annotations

from offtui.bundle.export import BundleError, BundleResult, make_bundle
from offtui.bundle.ipmap import address_class
from offtui.bundle.redact import Redactor

__all__ = ["BundleError", "BundleResult", "Redactor", "address_class", "make_bundle"]
