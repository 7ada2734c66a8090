"""Log event parser: dmesg, logread, journal and fw4/firewalld command output."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offtui.parsers.logs import EVENT_PATTERNS, LOG_SOURCES, classify_message, parse_log_events
from tests.capture_files import read_capture_file

# Expected events per capture, as (kind, body line). Counted with
#   tail -n +5 F | grep -nE 'attaching wed device|failed to attach wed|Direct firmware load|
#     WO Firmware Version|failed to disable wed-wo|table full|Linux version|probe with driver|
#     Could not process rule|Hardware flow offloading unavailable|WARNING: CPU'
# (every capture here has a 4-line header) and the unparsed lines (no log prefix) with
#   tail -n +5 F | grep -nvE '^\[ *[0-9]+\.[0-9]+\]|^[A-Z][a-z]{2} [ 0-9][0-9] |^$'
CASES = {
    "dmesg-immortalwrt2362-1.txt": (
        "dmesg",
        [
            ("backports-version", 1),
            ("wed-attach", 16),
            ("wo-firmware-loaded", 17),
            ("driver-probe-failed", 20),
        ],
        [22, 23],  # the pasted prompt and the " Y" it printed
    ),
    # NEGATIVE example: wed_enable=Y but no WED line at all.
    "dmesg-mt76-815-1.txt": ("dmesg", [], []),
    "dmesg-nixosrouter27-1.txt": (
        "journal",
        [("wed-attach", 2), ("wo-firmware-missing", 3), ("wed-attach-failed", 4), ("wed-error", 8)],
        [],
    ),
    "dmesg-openwrt23244-1.txt": (
        "dmesg",
        [("kernel-version", 2), ("backports-version", 10)],
        [1],
    ),
    "lsmod-openwrt23244-1.txt": ("dmesg", [("kernel-warning", 3)], []),
    # fw4 output: no prefixes. Lines 16-17 are "#       option ..." config comments.
    "firewall-openwrt9920-1.txt": ("fw4", [("nft-error", 12), ("nft-error", 14)], [1, 16, 17]),
    "firewall-openwrt9935-1.txt": (
        "fw4",
        [("hw-offload-fallback", 6), ("nft-error", 8), ("nft-error", 10)],
        [],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_events_in_real_captures(name: str) -> None:
    source, events, unparsed = CASES[name]
    r = parse_log_events(read_capture_file(name).body, source)
    assert [(e.kind, e.line_no) for e in r.value] == events
    assert [u.line_no for u in r.unparsed] == unparsed
    assert all(e.source == source for e in r.value)


def test_event_text_is_the_whole_line() -> None:
    r = parse_log_events(read_capture_file("dmesg-nixosrouter27-1.txt").body, "journal")
    miss = next(e for e in r.value if e.kind == "wo-firmware-missing")
    assert miss.text == (
        "Jul 28 11:27:31 surfer kernel: platform 15010000.wed: Direct firmware load for "
        "mediatek/mt7986_wo_0.bin failed with error -2"
    )


def test_backports_banner_is_not_the_kernel_version() -> None:
    # "Loading modules backported from Linux version v6.18.7..." contains "Linux version".
    assert (
        classify_message("Loading modules backported from Linux version v6.18.7-0-g5dfbc5357")
        == "backports-version"
    )
    assert classify_message("Linux version 6.18.31 (kyoto44@arch) (gcc)") == "kernel-version"


def test_firewalld_command_failed() -> None:
    # lab capture: firewall-cmd --reload with a missing flowtable device (exit 13).
    r = parse_log_events(read_capture_file("lab-fw-baddev-reload.txt").body, "firewall-cmd")
    assert [(e.kind, e.line_no) for e in r.value] == [("nft-error", 1), ("nft-error", 3)]


# --- other prefixes: real lines re-printed in other tools' formats (each edit stated) ------

# dmesg-nixosrouter27-1.txt body line 4 message, without the journal prefix.
MSG = "platform 15010000.wed: failed to attach wed device"


@pytest.mark.parametrize(
    ("line", "source"),
    [
        # logread.c "%s %s.%s%s %s" (ctime, facility.priority, " kernel:", message with the
        # printk time logd keeps): the journal timestamp rewritten as ctime.
        (f"Sun Jul 28 11:27:31 2024 kern.err kernel: [   12.914076] {MSG}", "logread"),
        # dmesg -T: "[%s] " with the ctime-like date.
        (f"[Sun Jul 28 11:27:31 2024] {MSG}", "dmesg"),
        # dmesg -r: "<%d>" priority then the printk time.
        (f"<3>[   12.914076] {MSG}", "dmesg"),
        # dmesg -x: "%-6s:%-6s: " facility and level.
        (f"kern  :err   : [   12.914076] {MSG}", "dmesg"),
        # journalctl -o short-iso.
        (f"2024-07-28T11:27:31+0200 surfer kernel: {MSG}", "journal"),
        # journalctl -o short-precise.
        (f"Jul 28 11:27:31.123456 surfer kernel: {MSG}", "journal"),
    ],
)
def test_prefix_variants(line: str, source: str) -> None:
    r = parse_log_events(line, source)
    assert r.unparsed_count == 0
    assert [e.kind for e in r.value] == ["wed-attach-failed"]


def test_logread_daemon_line() -> None:
    # firewall-openwrt9935-1.txt body line 6 as logread prints a daemon message (edit: the
    # logread.c prefix added; the brief's "daemon.warn fw4[...]:" shape).
    line = (
        "Mon Jan  1 00:00:00 2024 daemon.warn fw4[1234]: "
        "Hardware flow offloading unavailable, falling back to software offloading"
    )
    assert [e.kind for e in parse_log_events(line, "logread").value] == ["hw-offload-fallback"]


def test_conntrack_full_and_ppe_busy() -> None:
    # Messages as nf_conntrack_core.c and mtk_ppe.c print them, with a dmesg prefix.
    text = (
        "[ 1234.000001] nf_conntrack: nf_conntrack: table full, dropping packet\n"
        "[ 1234.000002] mtk_soc_eth 15100000.ethernet: PPE table busy\n"
    )
    kinds = [e.kind for e in parse_log_events(text, "dmesg").value]
    assert kinds == ["conntrack-full", "flow-offload-error"]


def test_unprefixed_line_in_a_log_source_is_unparsed_but_not_in_command_output() -> None:
    line = "Section @rule[0] (Allow-DHCP-Renew) is disabled, ignoring section"
    assert parse_log_events(line, "logread").unparsed_count == 1
    assert parse_log_events(line, "fw4").unparsed_count == 0


# --- fuzz ------------------------------------------------------------------------------------

REAL_LINES = [
    (line, CASES[name][0])
    for name in sorted(CASES)
    for line in read_capture_file(name).body.splitlines()
    if line.strip()
]
KINDS = {k for k, _ in EVENT_PATTERNS}


def _invariants(text: str, source: str) -> None:
    r = parse_log_events(text, source)
    nonblank = sum(1 for line in text.splitlines() if line.strip())
    assert len(r.value) + r.unparsed_count <= nonblank
    assert all(e.kind in KINDS and e.source == source for e in r.value)
    assert [e.line_no for e in r.value] == sorted(e.line_no for e in r.value)


@settings(max_examples=300)
@given(st.text(), st.sampled_from([*sorted(LOG_SOURCES), "fw4"]))
def test_fuzz_arbitrary_text(text: str, source: str) -> None:
    _invariants(text, source)


@settings(max_examples=300)
@given(st.sampled_from(REAL_LINES), st.data())
def test_fuzz_mutated_real_lines(case, data) -> None:
    line, source = case
    pos = data.draw(st.integers(0, len(line)))
    mutated = (
        line[:pos] + data.draw(st.text(max_size=4)) + line[pos + data.draw(st.integers(0, 3)) :]
    )
    _invariants(mutated, source)


@given(st.sampled_from(REAL_LINES))
def test_real_event_lines_keep_their_kind_under_any_source_prefix(case) -> None:
    # Property: an event line of a dmesg capture is the same event when re-read from logread
    # (the logread.c prefix added in front of the printk-timestamped kernel message).
    line, source = case
    if source != "dmesg" or not line.startswith("["):
        return
    before = [e.kind for e in parse_log_events(line, "dmesg").value]
    after = [
        e.kind
        for e in parse_log_events(
            f"Mon Jan  1 00:00:00 2024 kern.info kernel: {line}", "logread"
        ).value
    ]
    assert before == after
