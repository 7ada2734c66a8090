"""/proc/stat, /proc/softirqs, /proc/interrupts, /proc/modules / lsmod parsers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offtui.parsers.procfs import (
    parse_interrupts,
    parse_modules,
    parse_modules_linked_in,
    parse_proc_stat,
    parse_softirqs,
)
from tests.capture_files import read_capture_file

# --------------------------------------------------------------------------- /proc/stat


def test_lab_proc_stat() -> None:
    # grep '^cpu' lab-serve-proc-stat.txt -> "cpu  221 0 544 1422 0 0 28 0 0 0", cpu0, cpu1
    r = parse_proc_stat(read_capture_file("lab-serve-proc-stat.txt").body)
    assert r.unparsed_count == 0
    st_ = r.value
    assert [c.name for c in st_.cpus] == ["cpu0", "cpu1"]
    assert st_.total is not None and st_.total.user == 221 and st_.total.idle == 1422
    assert st_.cpus[0].system == 314 and st_.cpus[0].softirq == 18
    assert st_.btime == 1795559174
    assert st_.cpus[1].idle == 731 and st_.cpus[1].busy == 128 + 230 + 10


def test_host_proc_stat_fixture() -> None:
    # grep -v '^# ' host-proc-stat.txt | grep -c '^cpu[0-9]' -> 2
    r = parse_proc_stat(read_capture_file("host-proc-stat.txt").body)
    assert r.unparsed_count == 0
    assert len(r.value.cpus) == 2
    assert r.value.btime == 1795559734


def test_proc_stat_short_and_gapped_cpu_lines() -> None:
    # Edit of the lab capture: cpu1 renamed cpu3 (an offline cpu1/cpu2 leaves a gap) and cut to
    # the 4 fields of a 2.4 kernel; a line with 3 fields is not readable.
    text = "cpu  221 0 544 1422 0 0 28 0 0 0\ncpu0 93 0 314 690\ncpu3 128 0 230 731\ncpu9 1 2 3\n"
    r = parse_proc_stat(text)
    assert [c.name for c in r.value.cpus] == ["cpu0", "cpu3"]
    assert r.value.cpus[0].iowait == 0 and r.value.cpus[0].busy == 93 + 314
    assert r.unparsed_count == 1 and r.unparsed[0].line_no == 4


def test_proc_stat_unknown_line_is_unparsed() -> None:
    r = parse_proc_stat("cpu0 1 2 3 4\nbogus line here\n")
    assert r.unparsed_count == 1 and r.unparsed[0].reason == "not a /proc/stat line"


# --------------------------------------------------------------------------- /proc/softirqs


def test_host_softirqs_fixture() -> None:
    # grep -E 'NET_(RX|TX)' host-proc-softirqs.txt -> NET_TX 7 2 / NET_RX 1739 2100
    r = parse_softirqs(read_capture_file("host-proc-softirqs.txt").body)
    assert r.unparsed_count == 0
    assert r.value.cpus == ("CPU0", "CPU1")
    assert r.value.counts["NET_RX"] == (1739, 2100)
    assert r.value.counts["NET_TX"] == (7, 2)
    assert len(r.value.counts) == 10  # HI .. RCU: 10 softirq vectors since 4.x


def test_softirqs_wide_and_mismatched_rows() -> None:
    # Edit of the host fixture: the header widened to 64 CPUs (a wide machine) and rows
    # rebuilt with 64 counts; one row cut short.
    labels = "".join(f"{'CPU' + str(i):>11}" for i in range(64))
    row = "      NET_RX:" + "".join(f" {i:10d}" for i in range(64))
    cut = "      NET_TX:" + "".join(f" {i:10d}" for i in range(10))
    r = parse_softirqs(f"{labels}\n{row}\n{cut}\n")
    assert len(r.value.cpus) == 64
    assert r.value.counts["NET_RX"][63] == 63
    assert "NET_TX" not in r.value.counts
    assert r.unparsed_count == 1 and "10 counts for 64 CPUs" in r.unparsed[0].reason


# --------------------------------------------------------------------------- /proc/interrupts


def test_host_interrupts_fixture() -> None:
    # grep -v '^# ' host-proc-interrupts.txt | grep -c ':'  -> 35 rows
    # awk '$1 ~ /:$/ {n[NF]++}' -> 2 rows with 2 fields: ERR: 0 and MIS: 0
    r = parse_interrupts(read_capture_file("host-proc-interrupts.txt").body)
    assert r.unparsed_count == 0
    assert len(r.value) == 35
    by_irq = {i.irq: i for i in r.value}
    assert by_irq["ERR"].counts == (0,) and by_irq["MIS"].counts == (0,)
    assert by_irq["LOC"].counts == (28578, 36880)
    assert by_irq["LOC"].description == "Local timer interrupts"
    assert by_irq["24"].description == "IO-APIC 5-edge ACPI:Ged"
    assert all(len(i.counts) == 2 for i in r.value if i.irq not in ("ERR", "MIS"))


def test_interrupts_row_before_header_is_unparsed() -> None:
    r = parse_interrupts(" 24:          1          0  IO-APIC   5-edge      ACPI:Ged\n")
    assert r.value == [] and r.unparsed_count == 1


# --------------------------------------------------------------------------- modules

# A /proc/modules excerpt in the kernel's m_show() format ("%s %u %i deps state 0x%px taints"):
# edit of the lsmod-openwrtpr24038-1.txt rows into that format (sizes and holders kept,
# nf_tables' holder list shortened, address zeroed as with kptr_restrict).
PROC_MODULES = (
    "nft_meta_bridge 12288 1 - Live 0x0000000000000000\n"
    "nf_tables 217088 165 nft_fib_inet,nf_flow_table_inet,nft_flow_offload, "
    "Live 0x0000000000000000\n"
    "mt7996e 1232896 0 - Unloading 0x0000000000000000 (O-)\n"
)


def test_proc_modules_format() -> None:
    r = parse_modules(PROC_MODULES)
    assert r.unparsed_count == 0
    nft = r.value["nf_tables"]
    assert (nft.size, nft.refcount, nft.state) == (217088, 165, "Live")
    assert nft.used_by == ("nft_fib_inet", "nf_flow_table_inet", "nft_flow_offload")
    assert r.value["nft_meta_bridge"].used_by == ()
    assert r.value["mt7996e"].state == "Unloading"


def test_ubox_lsmod_run_together_columns() -> None:
    # The poster's lines: ubox "%-20s%8d%3d %s" with a use count of 165 printed as 217088165.
    r = parse_modules(read_capture_file("lsmod-openwrtpr24038-1.txt").body)
    assert r.unparsed_count == 1 and r.unparsed[0].reason == "shell prompt"
    nft = r.value["nf_tables"]
    assert (nft.size, nft.refcount) == (217088, 165)
    # tr ',' '\n' on the holder column | grep -c . -> 24
    assert len(nft.used_by) == 24 and "nft_flow_offload" in nft.used_by
    bridge = r.value["nft_meta_bridge"]
    assert (bridge.size, bridge.refcount, bridge.used_by) == (12288, 1, ())


def test_run_together_number_off_the_columns_is_unparsed() -> None:
    # Edit: the nf_tables row with its padding collapsed, so the number no longer sits in the
    # ubox columns and cannot be split.
    r = parse_modules("nf_tables 217088165 nft_fib_inet\n")
    assert r.value == {}
    assert "run together" in r.unparsed[0].reason


def test_kmod_lsmod_with_header() -> None:
    # kmod lsmod: "%-19s %8lu  %d" + holders; built from the same modules as above.
    text = (
        "Module                  Size  Used by\n"
        "nf_tables             217088  165 nft_fib_inet,nf_flow_table_inet\n"
        "nft_meta_bridge        12288  1\n"
    )
    r = parse_modules(text)
    assert r.unparsed_count == 0
    assert r.value["nf_tables"].used_by == ("nft_fib_inet", "nf_flow_table_inet")


def test_modules_linked_in_from_warning_trace() -> None:
    # grep -v '^# ' F | grep -o 'Modules linked in:.*' | sed 's/ \[last unloaded[^]]*\]//' \
    #   | tr ' ' '\n' | tail -n +4 | grep -c .  -> 60 ; "(O-)" appears on mt7996e only
    # (the "[last unloaded: mt7996e(O)]" group is not a loaded module).
    r = parse_modules_linked_in(read_capture_file("lsmod-openwrt23244-1.txt").body)
    assert r.unparsed_count == 0
    assert len(r.value) == 60
    assert r.value["mt7996e"].state == "Unloading"
    assert r.value["mt76"].state == "Live"
    for name in ("nft_flow_offload", "nf_flow_table", "nf_flow_table_inet", "nf_conntrack"):
        assert name in r.value
    assert list(r.value)[-1] == "mtk_2p5ge"


def test_modules_linked_in_absent() -> None:
    r = parse_modules_linked_in(read_capture_file("dmesg-immortalwrt2362-1.txt").body)
    assert r.value == {} and r.unparsed_count == 0


# --------------------------------------------------------------------------- fuzz

PARSERS = [parse_proc_stat, parse_softirqs, parse_interrupts, parse_modules]
REAL = {
    parse_proc_stat: read_capture_file("host-proc-stat.txt").body,
    parse_softirqs: read_capture_file("host-proc-softirqs.txt").body,
    parse_interrupts: read_capture_file("host-proc-interrupts.txt").body,
    parse_modules: read_capture_file("lsmod-openwrtpr24038-1.txt").body,
}


def _nonblank(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.strip())


@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: p.__name__)
@settings(max_examples=150)
@given(text=st.text())
def test_fuzz_arbitrary_text(parser, text: str) -> None:
    r = parser(text)
    assert 0 <= r.unparsed_count <= _nonblank(text)
    assert len(r.unparsed) == min(r.unparsed_count, 200)


@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: p.__name__)
@settings(max_examples=150)
@given(data=st.data())
def test_fuzz_mutated_real_text(parser, data) -> None:
    lines = REAL[parser].splitlines()
    baseline = parser(REAL[parser]).unparsed_count
    i = data.draw(st.integers(1, len(lines) - 1))  # line 0 is the CPU header / a prompt
    line = lines[i]
    pos = data.draw(st.integers(0, len(line)))
    insert = data.draw(st.text(max_size=5))
    lines[i] = line[:pos] + insert + line[pos + data.draw(st.integers(0, 4)) :]
    text = "\n".join(lines)
    r = parser(text)
    assert 0 <= r.unparsed_count <= _nonblank(text)
    if len((insert + "x").splitlines()) == 1:
        # One line changed and no line break added: at most that line becomes unreadable.
        assert r.unparsed_count <= baseline + 1


@settings(max_examples=150)
@given(st.text())
def test_fuzz_linked_in(text: str) -> None:
    r = parse_modules_linked_in("Modules linked in: " + text)
    assert all(" " not in name for name in r.value)


@given(st.lists(st.tuples(*[st.integers(0, 2**40)] * 10).map(list), min_size=1, max_size=8))
def test_proc_stat_round_trip(rows) -> None:
    # Lines in fs/proc/stat.c's shape: "cpu%d" then " %llu" per field.
    text = "".join(f"cpu{i} " + " ".join(map(str, r)) + "\n" for i, r in enumerate(rows))
    r = parse_proc_stat(text)
    assert r.unparsed_count == 0
    assert [c.user for c in r.value.cpus] == [row[0] for row in rows]
    assert [c.guest_nice for c in r.value.cpus] == [row[9] for row in rows]
