"""The UCI writer on real OpenWrt config files: in-place edits change only the intended
statement, ``uci_export`` writes libuci's format, and nothing raises on arbitrary text."""

from __future__ import annotations

import contextlib
import difflib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offtui.parsers.uci import parse_uci
from offtui.parsers.uci_write import (
    UciEditError,
    parse_uci_doc,
    uci_delete,
    uci_export,
    uci_get,
    uci_set,
)
from tests.capture_files import read_capture_file

#: real UCI files and their package; section counts by `grep -c '^config ' FILE` (every
#: section starts at column 0 in these files).
UCI_FILES = {
    "openwrt-default-firewall.txt": ("firewall", 13),
    "openwrt-default-sqm.txt": ("sqm", 1),
    "openwrt-default-network-netifd.txt": ("network", 10),
    "openwrt-default-wireless-netifd.txt": ("wireless", 4),
    "openwrt-default-network-basefiles.txt": ("network", 4),
}


def body(name: str) -> str:
    return read_capture_file(name).body


def _lines(text: str) -> list[str]:
    # split on \n only: str.splitlines() also splits on \x1e, \x85 ... which UCI keeps
    return [x + "\n" for x in text.split("\n")]


def changed_lines(a: str, b: str) -> list[str]:
    return [
        x
        for x in difflib.unified_diff(_lines(a), _lines(b), n=0)
        if x[:1] in "+-" and not x.startswith(("+++", "---"))
    ]


@pytest.mark.parametrize("name", sorted(UCI_FILES))
def test_sections_and_options_agree_with_parse_uci(name: str) -> None:
    package, n_sections = UCI_FILES[name]
    text = body(name)
    doc = parse_uci_doc(text, package)
    ref = parse_uci(text, package).value
    assert doc.unparsed_count == 0
    assert len(doc.value.sections) == n_sections == len(ref.sections)
    for mine, theirs in zip(doc.value.sections, ref.sections, strict=True):
        assert (mine.type, mine.name, mine.index) == (theirs.type, theirs.name, theirs.index)
        opts = {o.name: o.values[0] for o in mine.options if not o.is_list}
        lists = {o.name: o.values for o in mine.options if o.is_list}
        assert opts == theirs.options and lists == theirs.lists


def test_enable_flow_offloading_on_default_firewall() -> None:
    text = body("openwrt-default-firewall.txt")
    t = uci_set(text, "firewall", "@defaults[0]", "flow_offloading", "1")
    t = uci_set(t, "firewall", "@defaults[0]", "flow_offloading_hw", "1")
    # exactly two lines added, after `option forward REJECT` (body line 5), tab-indented
    # and unquoted like the section's other options
    assert changed_lines(text, t) == [
        "+\toption flow_offloading 1\n",
        "+\toption flow_offloading_hw 1\n",
    ]
    assert t.splitlines()[5:7] == ["\toption flow_offloading 1", "\toption flow_offloading_hw 1"]
    assert uci_get(t, "firewall", "@defaults[0]", "flow_offloading_hw") == "1"
    back = uci_delete(t, "firewall", "@defaults[0]", "flow_offloading_hw")
    back = uci_delete(back, "firewall", "@defaults[0]", "flow_offloading")
    assert back == text


def test_changing_an_existing_option_keeps_its_quoting() -> None:
    text = body("openwrt-default-sqm.txt")  # 8-space indent, single-quoted values
    t = uci_set(text, "sqm", "@queue[0]", "enabled", "1")
    assert changed_lines(text, t) == [
        "-        option enabled '0'\n",
        "+        option enabled '1'\n",
    ]
    t2 = uci_set(text, "sqm", "eth1", "debug_logging", "1")  # new: quoted like the others
    assert changed_lines(text, t2) == ["+        option debug_logging '1'\n"]


def test_wiki_snippet_with_ellipsis_is_never_edited_blindly() -> None:
    # the wiki's `…` line is not UCI: recorded as unparsed, the section still found
    text = body("firewall-openwrtwiki-flowoffload-1.txt")
    doc = parse_uci_doc(text, "firewall")
    assert doc.unparsed_count > 0
    assert doc.value.section("@defaults[0]") is not None


def test_unknown_section_is_refused() -> None:
    with pytest.raises(UciEditError):
        uci_set(body("openwrt-default-firewall.txt"), "firewall", "@defaults[1]", "x", "1")


def test_multi_statement_line_is_refused() -> None:
    # libuci accepts `;` between statements; an edit inside such a line is refused
    text = "config defaults\n\toption input ACCEPT; option output ACCEPT\n"
    with pytest.raises(UciEditError):
        uci_set(text, "firewall", "@defaults[0]", "input", "REJECT")


def test_export_is_libucis_format() -> None:
    # uci_export_package(): "\nconfig TYPE[ 'NAME']\n", "\toption K 'V'\n", "\tlist K 'V'\n",
    # ' as '\'' and a final "\n"
    text = "config zone wan\n\toption name wan\n\tlist network 'wan'\n\tlist network wan6\n"
    text += 'config rule\n\toption name "it\'s"\n'
    assert uci_export(text, "firewall") == (
        "\nconfig zone 'wan'\n\toption name 'wan'\n\tlist network 'wan'\n\tlist network 'wan6'\n"
        "\nconfig rule\n\toption name 'it'\\''s'\n\n"
    )


@pytest.mark.parametrize("name", sorted(UCI_FILES))
def test_export_round_trips(name: str) -> None:
    package, _ = UCI_FILES[name]
    e = uci_export(body(name), package)
    assert uci_export(e, package) == e

    def view(t: str) -> list[tuple]:
        return [(s.type, s.name, s.options, s.lists) for s in parse_uci(t, package).value.sections]

    assert view(e) == view(body(name))


_names = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
_values = st.text(
    st.characters(codec="ascii", exclude_characters="\n\r\x00"), min_size=1, max_size=20
)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(UCI_FILES)), st.integers(0, 12), _names, _values)
def test_set_then_delete_new_option_is_byte_identical(
    name: str, idx: int, option: str, value: str
) -> None:
    package, n = UCI_FILES[name]
    text = body(name)
    sec = parse_uci_doc(text, package).value.sections[idx % n]
    ref = f"@{sec.type}[{sec.index}]"
    if sec.option(option) is not None:
        return
    t = uci_set(text, package, ref, option, value)
    assert uci_get(t, package, ref, option) == value
    assert len(changed_lines(text, t)) == 1
    assert uci_delete(t, package, ref, option) == text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), _names, _values)
def test_arbitrary_text_never_raises_unexpectedly(text: str, option: str, value: str) -> None:
    parse_uci_doc(text, "x")
    uci_export(text, "x")
    with contextlib.suppress(UciEditError):
        uci_set(text, "x", "@defaults[0]", option, value)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(UCI_FILES)), st.data())
def test_mutated_real_lines_never_raise(name: str, data: st.DataObject) -> None:
    lines = body(name).splitlines(keepends=True)
    i = data.draw(st.integers(0, len(lines) - 1))
    lines[i] = data.draw(st.text(max_size=40)) + lines[i][data.draw(st.integers(0, 10)) :]
    text = "".join(lines)
    res = parse_uci_doc(text, "x")
    assert res.unparsed_count >= 0
    with contextlib.suppress(UciEditError):
        uci_set(text, "x", "@defaults[0]", "flow_offloading", "1")
