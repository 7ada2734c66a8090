"""Log lines that matter for offloading: dmesg, OpenWrt ``logread``, syslog/journal, fw4 output.

Line prefixes read (the message after the prefix is what the patterns look at):

- dmesg: ``[%5lu.%06lu] msg`` (printk time), ``dmesg -T`` ``[Mon Jan  1 00:00:00 2024] msg``,
  ``dmesg -r`` ``<6>[...] msg``, ``dmesg -x`` ``kern  :warn  : [...] msg``, util-linux
  ``--time-format iso`` ``2024-01-01T00:00:00,123456+00:00 msg``.
- ``logread`` (openwrt/ubox ``log/logread.c``): ``"%s %s.%s%s %s"`` = ctime, facility.priority,
  `` kernel:`` for kernel messages, the message (kernel messages keep their ``[ time]``).
- syslog / ``journalctl`` short formats: ``Jul 28 11:27:31 host ident[pid]: msg`` (optionally
  with fractional seconds) and RFC 3339 / ``short-iso`` timestamps.

For ``source`` values that name a log (``dmesg``, ``logread``, ``journal``, ``syslog``) a
line without any of these prefixes is not a log line and is skipped. Any other source (e.g.
``fw4``, ``firewall``, ``firewall-cmd``: the output of a command) has no prefix, so every
non-blank line is a message. Blank lines and log lines that match no pattern are neither
events nor unparsed.
"""

from __future__ import annotations

import re

from offtui.model import LogEvent
from offtui.parsers.common import Parsed, is_shell_prompt

LOG_SOURCES = frozenset({"dmesg", "logread", "journal", "syslog"})

_MON = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_ISO = r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?"

_PREFIXES = (
    # dmesg -x: "kern  :warn  : [   12.3] msg"
    re.compile(r"^[a-z]+ *:[a-z]+ *: (?P<msg>.*)$"),
    # dmesg -r: "<6>[   12.3] msg"
    re.compile(r"^<\d{1,3}>(?P<msg>\[.*)$"),
    # logread: "Mon Jan  1 00:00:00 2024 kern.warn kernel: msg"
    re.compile(
        rf"^{_DAY} {_MON} [ \d]\d \d\d:\d\d:\d\d \d{{4}} "
        r"[a-z0-9<>]+\.[a-z<>]+(?: kernel:)? (?P<msg>.*)$"
    ),
    # syslog / journal short: "Jul 28 11:27:31 host ident[pid]: msg"
    re.compile(
        rf"^{_MON} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ (?P<ident>[^\s:\[]+)(?:\[\d+\])?: "
        r"(?P<msg>.*)$"
    ),
    # RFC 3339 syslog / journalctl -o short-iso: "2024-07-28T11:27:31+0200 host ident: msg"
    re.compile(rf"^{_ISO} \S+ (?P<ident>[^\s:\[]+)(?:\[\d+\])?: (?P<msg>.*)$"),
    # dmesg --time-format iso: "2024-07-28T11:27:31,123456+02:00 msg"
    re.compile(rf"^{_ISO} (?P<msg>.*)$"),
    # dmesg -T: "[Mon Jan  1 00:00:00 2024] msg"
    re.compile(rf"^\[{_DAY} {_MON} [ \d]\d \d\d:\d\d:\d\d \d{{4}}\] ?(?P<msg>.*)$"),
)
#: The printk timestamp at the start of a kernel message (dmesg, or inside logread/journal).
_PRINTK_TIME = re.compile(r"^\[ *\d+\.\d+\] ?")

#: (kind, pattern) in priority order: the first match names the event. Every pattern is a
#: string some kernel, driver or tool prints; the source is given next to it.
EVENT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # firewall4 fw4.uc resolve_hw_offload_devices() warning
    (
        "hw-offload-fallback",
        re.compile(r"Hardware flow offloading unavailable, falling back to software offloading"),
    ),
    # mtk_wed.c mtk_wed_attach(): dev_info(device, "attaching wed device %d version %d\n")
    ("wed-attach", re.compile(r"attaching wed device (?P<index>\d+) version (?P<version>\d+)")),
    # mtk_wed.c mtk_wed_attach(): dev_err(dev->hw->dev, "failed to attach wed device\n")
    ("wed-attach-failed", re.compile(r"failed to attach wed device")),
    # firmware_loader: "Direct firmware load for %s failed with error %d" (WO = WED offload MCU)
    (
        "wo-firmware-missing",
        re.compile(
            r"Direct firmware load for (?P<file>mediatek/\S*_wo\S*) failed with error "
            r"(?P<err>-?\d+)"
        ),
    ),
    (
        "firmware-missing",
        re.compile(r"Direct firmware load for (?P<file>\S+) failed with error (?P<err>-?\d+)"),
    ),
    # mtk_wed_mcu.c: dev_info(... "MTK WED WO Firmware Version: %.10s, Build Time: %.15s\n")
    ("wo-firmware-loaded", re.compile(r"MTK WED WO Firmware Version: (?P<version>\S+)")),
    # mtk_wed.c mtk_wed_wo_reset(): dev_err(dev->hw->dev, "failed to disable wed-wo\n")
    ("wed-error", re.compile(r"failed to disable wed-wo")),
    # nf_conntrack_core.c: net_warn_ratelimited("nf_conntrack: table full, dropping packet\n")
    ("conntrack-full", re.compile(r"nf_conntrack: table full, dropping packet")),
    # backports: "Loading modules backported from Linux version %s" (before kernel-version)
    (
        "backports-version",
        re.compile(r"Loading modules backported from Linux version (?P<version>\S+)"),
    ),
    # init/version.c linux_banner: "Linux version %s (%s) %s"
    ("kernel-version", re.compile(r"^Linux version (?P<version>\S+)")),
    # drivers/base/dd.c: "probe with driver %s failed with error %d" (older: "probe of %s ...")
    (
        "driver-probe-failed",
        re.compile(
            r"probe (?:with driver (?P<driver>\S+)|of (?P<device>\S+)) failed with error "
            r"(?P<err>-?\d+)"
        ),
    ),
    # kernel/panic.c __warn(): "WARNING: CPU: %d PID: %d at %pS\n" (a WARN() splat)
    ("kernel-warning", re.compile(r"^WARNING: CPU: \d+ PID: \d+ at ")),
    # mtk_ppe.c: dev_err(ppe->dev, "PPE table busy") / "PPE cache busy"
    ("flow-offload-error", re.compile(r"PPE (?:table|cache) busy")),
    # nft (and fw4/firewalld, which print nft's error): "<file>:L:C-C: Error: ...",
    # "Error: Could not process rule: ...", firewalld "'python-nftables' failed: ..."
    (
        "nft-error",
        re.compile(
            r"Could not process rule:|'python-nftables' failed|^\S+:\d+:\d+(?:-\d+)?: Error: "
            r"|^Error: syntax error"
        ),
    ),
)


def classify_message(msg: str) -> str | None:
    """The event kind of one log message (prefix already removed), or ``None``."""
    for kind, pattern in EVENT_PATTERNS:
        if pattern.search(msg):
            return kind
    return None


def _message(line: str) -> str | None:
    """The message of a prefixed log line, or ``None`` when the line has no log prefix."""
    for pattern in _PREFIXES:
        m = pattern.match(line)
        if m:
            return _PRINTK_TIME.sub("", m["msg"], count=1)
    m = _PRINTK_TIME.match(line)
    if m:
        return line[m.end() :]
    return None


def parse_log_events(text: str, source: str) -> Parsed[list[LogEvent]]:
    """Events (see :data:`EVENT_PATTERNS`) from a dmesg/logread/journal text or command output.

    ``LogEvent.text`` is the whole line as printed (prefix included), ``line_no`` 1-based.
    """
    result: Parsed[list[LogEvent]] = Parsed([])
    is_log = source in LOG_SOURCES
    for line_no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        msg = _message(line)
        if msg is None:
            if is_shell_prompt(line):
                reason = "comment or root prompt" if line.startswith("#") else "shell prompt"
                result.skip(line_no, raw, reason)
                continue
            if is_log:
                result.skip(line_no, raw, f"not a {source} line (no timestamp prefix)")
                continue
            msg = line
        kind = classify_message(msg)
        if kind:
            result.value.append(LogEvent(kind, line, line_no, source))
    return result
