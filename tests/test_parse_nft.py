"""The nftables parsers (JSON, text, merge, shared helpers) on the real captures.

Every count asserted here was taken from the capture file by hand (grep/awk, stated in a
comment), not from the parser. Line numbers are the capture file's own numbers; the parsers
see only the body, so ``cf.body_start + n - 1`` maps a body line ``n`` to a file line.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offtui.model import Ruleset
from offtui.parsers.nft_common import chains_reachable_from_hook, priority_value
from offtui.parsers.nft_json import parse_nft_json
from offtui.parsers.nft_merge import merge_rulesets
from offtui.parsers.nft_text import parse_nft_text
from tests.capture_files import CaptureFile, read_capture_file

NFT_MODULES = ["nft_json.py", "nft_text.py", "nft_merge.py", "nft_common.py"]
PARSERS_DIR = Path(__file__).parent.parent / "offtui" / "parsers"


def text_of(name: str) -> tuple[CaptureFile, Ruleset, list[int]]:
    """Parse a capture as text; return it, the ruleset and the skipped *file* line numbers."""
    cf = read_capture_file(name)
    res = parse_nft_text(cf.body)
    return cf, res.value, [cf.body_start + u.line_no - 1 for u in res.unparsed]


def json_of(name: str) -> tuple[CaptureFile, Ruleset, list[int]]:
    cf = read_capture_file(name)
    res = parse_nft_json(cf.body)
    return cf, res.value, [cf.body_start + u.line_no - 1 for u in res.unparsed]


def structure(rs: Ruleset) -> dict:
    """What both parsers must agree on, per chain."""
    return {
        (c.family, c.table, c.name): (
            c.type,
            c.hook,
            c.priority,
            c.policy,
            [(r.verdict, r.target, r.targets, r.flow_add, r.matches) for r in c.rules],
        )
        for c in rs.chains
    }


# --------------------------------------------------------------------------- priorities


@pytest.mark.parametrize(
    ("family", "hook", "text", "value"),
    [
        ("inet", "forward", "filter", 0),
        ("inet", "forward", "filter + 10", 10),
        ("inet", "forward", "filter - 2", -2),
        ("inet", "prerouting", "dstnat + 10", -90),
        ("inet", "prerouting", "dstnat - 5", -105),
        ("inet", "postrouting", "srcnat", 100),
        ("ip", "prerouting", "raw", -300),
        ("ip", "prerouting", "mangle + 10", -140),
        ("ip6", "input", "security", 50),
        ("inet", "forward", "filter+10", 10),
        ("bridge", "forward", "filter", -200),
        ("bridge", "prerouting", "dstnat", -300),
        ("bridge", "output", "out", 100),
        ("bridge", "postrouting", "srcnat", 300),
        ("netdev", "ingress", "-500", -500),
        ("inet", "forward", "0", 0),
        ("inet", "forward", "$pri", None),
        ("inet", "forward", "nonsense", None),
        ("bridge", "forward", "raw", None),
    ],
)
def test_priority_value(family: str, hook: str, text: str, value: int | None) -> None:
    assert priority_value(family, hook, text) == value


# --------------------------------------------------------------------------- lab "serve"


def test_lab_serve_text() -> None:
    _, rs, skipped = text_of("lab-serve-nft-list-ruleset.txt")
    assert skipped == [] and not rs.truncated and rs.source == "text"
    (ft,) = rs.flowtables
    assert (ft.family, ft.table, ft.name, ft.hook) == ("inet", "filter", "ft", "ingress")
    assert (ft.priority, ft.priority_text) == (0, "filter")
    assert ft.devices == ["veth-a", "veth-b"]
    assert ft.counter is True and ft.hw_offload is False  # "counter" line, no "flags offload"
    (chain,) = rs.chains
    assert (chain.type, chain.hook, chain.priority, chain.policy) == (
        "filter",
        "forward",
        0,
        "accept",
    )
    # the file's three rule lines, read off by hand
    assert [(r.counter_packets, r.counter_bytes) for r in chain.rules] == [
        (3, 1140),
        (2, 1088),
        (None, None),
    ]
    assert chain.rules[0].comment == "slow path (forward hook), original direction"
    assert chain.rules[0].matches == ["meta l4proto { tcp, udp }", "ct direction original"]
    flow = chain.rules[2]
    assert flow.flow_add == "ft" and flow.matches == ["meta l4proto { tcp, udp }"]
    assert flow.verdict is None


def test_lab_serve_json_and_merge() -> None:
    _, rs, skipped = json_of("lab-serve-nft-json-ruleset.json.txt")
    assert skipped == [] and rs.nft_version == "1.0.6" and rs.source == "json"
    (ft,) = rs.flowtables
    assert (ft.priority, ft.devices, ft.handle) == (0, ["veth-a", "veth-b"], 2)
    # nft 1.0.6's JSON says nothing about counter/flags: unknown, not False
    assert ft.counter is None and ft.hw_offload is None and ft.priority_text is None
    (chain,) = rs.chains
    assert [r.handle for r in chain.rules] == [4, 6, 8]
    assert chain.rules[2].flow_add == "ft"
    _, text_rs, _ = text_of("lab-serve-nft-list-ruleset.txt")
    assert structure(rs) == structure(text_rs)
    merged = merge_rulesets(rs, text_rs)
    assert merged is not None and merged.source == "json+text"
    (mft,) = merged.flowtables
    assert (mft.counter, mft.hw_offload, mft.priority_text, mft.handle) == (
        True,
        False,
        "filter",
        2,
    )
    assert rs.flowtables[0].counter is None  # inputs untouched


def test_lab_serve_json_flowtables_only() -> None:
    _, rs, skipped = json_of("lab-serve-nft-json-flowtables.json.txt")
    assert skipped == []
    (table,) = rs.tables  # made from the flowtable object: "list flowtables" has no table
    assert (table.family, table.name, table.chains) == ("inet", "filter", [])
    assert [f.name for f in table.flowtables] == ["ft"]


def test_jsontest_single_device_string_and_mixed_file() -> None:
    # body: 7 lines of "nft list" text, line 8 JSON, line 9 "(exit status 0)" (file lines 2-10)
    _, rs, skipped = json_of("lab-fw-jsontest-flowtable-counter.txt")
    assert skipped == [2, 3, 4, 5, 6, 7, 8, 10]
    fts = {f.name: f for f in rs.flowtables}
    assert fts["f"].devices == ["jt0"]  # "dev": "jt0", a plain string for one device
    assert fts["fastpath"].devices == ["veth-a", "veth-b"] and fts["fastpath"].priority == 10
    _, text_rs, text_skipped = text_of("lab-fw-jsontest-flowtable-counter.txt")
    assert text_skipped == [9, 10]  # the JSON line and the exit status
    merged = merge_rulesets(rs, text_rs)
    assert merged is not None
    mf = {f.name: f for f in merged.flowtables}
    assert (mf["f"].counter, mf["f"].hw_offload, mf["f"].priority_text) == (True, False, "filter")
    assert mf["fastpath"].counter is None  # no text for it in this file


# --------------------------------------------------------------------------- lab firewalld


def test_lab_fw_text() -> None:
    _, rs, skipped = text_of("lab-fw-nft-list-ruleset.txt")
    assert skipped == [574]  # "(exit status 0)"
    assert not rs.truncated
    (table,) = rs.tables
    # grep -c $'^\tchain ' -> 117 ; awk (lines at 2 tabs in chains, minus "type") -> 202
    assert len(table.chains) == 117
    assert sum(len(c.rules) for c in table.chains) == 202
    # grep -c $'^\t\ttype .* hook ' -> 8 base chains
    assert sum(1 for c in table.chains if c.hook) == 8
    # grep -c 'jump \|goto ' -> 134 (one per line)
    assert sum(1 for c in table.chains for r in c.rules if r.verdict in ("jump", "goto")) == 134
    (ft,) = table.flowtables
    assert (ft.name, ft.priority, ft.priority_text) == ("fastpath", 10, "filter + 10")
    assert ft.devices == ["veth-a", "veth-b"]
    assert ft.counter is False and ft.hw_offload is False  # firewalld: neither line
    fwd = next(c for c in table.chains if c.name == "filter_FORWARD")
    assert (fwd.hook, fwd.priority, fwd.priority_text) == ("forward", 10, "filter + 10")
    assert fwd.rules[0].flow_add == "fastpath"
    assert fwd.rules[0].matches == [
        "ct state { established, related }",
        "meta l4proto { tcp, udp }",
    ]
    assert fwd.rules[-1].verdict == "reject" and fwd.rules[-2].target == "filter_FORWARD_POLICIES"
    helper_rule = next(
        r for c in table.chains for r in c.rules if "ct helper set" in r.text
    )  # line 352: udp dport 137 ct helper set "helper-netbios-ns-udp"
    assert helper_rule.line_no == 351 and helper_rule.matches == ["udp dport 137"]


def test_lab_fw_json_agrees_with_text() -> None:
    _, rs, skipped = json_of("lab-fw-nft-json-ruleset.txt")
    assert skipped == [3]  # "(exit status 0)"
    assert rs.nft_version == "1.1.3"
    # grep -o '"rule":' | wc -l -> 202 ; grep -o '"chain": {"family"' | wc -l -> 117
    assert len(rs.chains) == 117
    assert sum(len(c.rules) for c in rs.chains) == 202
    (ft,) = rs.flowtables
    assert (ft.priority, ft.handle, ft.counter, ft.hw_offload) == (10, 532, None, None)
    _, text_rs, _ = text_of("lab-fw-nft-list-ruleset.txt")
    assert structure(rs) == structure(text_rs)
    assert [r.text for r in rs.chains[0].rules] == [r.text for r in text_rs.chains[0].rules]
    merged = merge_rulesets(rs, text_rs)
    assert merged is not None
    (mft,) = merged.flowtables
    assert (mft.counter, mft.hw_offload, mft.priority_text) == (False, False, "filter + 10")
    mangle = next(c for c in merged.chains if c.name == "mangle_PREROUTING")
    assert (mangle.priority, mangle.priority_text) == (-140, "mangle + 10")


def test_reachable_from_forward_hook() -> None:
    _, rs, _ = text_of("lab-fw-nft-list-ruleset.txt")
    reach = {name for _, _, name in chains_reachable_from_hook(rs, "forward")}
    # BFS by hand over `awk '/(jump|goto) /'` edges from filter_FORWARD: 14 chains
    assert len(reach) == 14
    assert {"filter_FORWARD", "filter_FORWARD_POLICIES", "filter_FWD_public_allow"} <= reach
    assert "filter_INPUT" not in reach and "filter_IN_public" not in reach
    assert chains_reachable_from_hook(rs, "forward", families={"bridge"}) == set()


def test_during_traffic_two_tables_and_counters() -> None:
    _, rs, skipped = text_of("lab-fw-nft-list-ruleset-during-traffic.txt")
    assert skipped == [581]
    assert [(t.family, t.name) for t in rs.tables] == [("inet", "firewalld"), ("inet", "labcount")]
    lab = rs.table("inet", "labcount")
    assert lab is not None
    (chain,) = lab.chains
    assert (chain.hook, chain.priority, chain.priority_text) == ("forward", -5, "filter - 5")
    assert [(r.counter_packets, r.counter_bytes) for r in chain.rules] == [(3, 1140), (2, 1088)]
    # awk rule count for the file: 204 (202 firewalld + 2 labcount)
    assert sum(len(c.rules) for c in rs.chains) == 204


def test_baddev_coldstart_has_no_flowtable() -> None:
    _, rs, skipped = text_of("lab-fw-baddev-coldstart-ruleset.txt")
    # lines 2-8 are program output (failed, rc=251, zone, conntrack, tx counters), 348 exit
    assert skipped == [2, 3, 4, 5, 6, 7, 8, 348]
    assert rs.flowtables == []  # firewalld failed to load the flowtable for a bad device
    assert sum(len(c.rules) for c in rs.chains) == 100  # awk count
    assert len(rs.chains) == 76  # grep -c $'^\tchain '


def test_repeated_listing_replaces_not_duplicates() -> None:
    # lab-fw-after-reload-4s lists table labcount twice (identical), then one firewalld chain
    _, rs, skipped = text_of("lab-fw-after-reload-4s.txt")
    assert skipped == [2, 3, 4, 12, 33]
    lab = rs.table("inet", "labcount")
    assert lab is not None and len(lab.chains) == 1 and len(lab.chains[0].rules) == 2
    assert [r.counter_packets for r in lab.chains[0].rules] == [61, 9]
    fw = rs.table("inet", "firewalld")
    assert fw is not None
    (fwd,) = fw.chains
    assert fwd.handle == 15 and [r.handle for r in fwd.rules] == [28, 30, 31, 32, 33, 49, 35, 36]
    assert fwd.rules[0].flow_add == "fastpath"
    # after-reload-immediate: labcount first empty, later with its chain
    _, rs2, _ = text_of("lab-fw-after-reload-immediate.txt")
    lab2 = rs2.table("inet", "labcount")
    assert lab2 is not None and [c.name for c in lab2.chains] == ["labfwd"]
    assert [f.name for f in rs2.flowtables] == ["fastpath"]


# --------------------------------------------------------------------------- forum pastes


def test_fw4_print_and_nft_a_side_by_side() -> None:
    cf, rs, skipped = text_of("nft-openwrtpr24178-1.txt")
    # 5 prompt lines (grep -c '^root@Router'), 2 "1" outputs, 3 nft commands of fw4 print
    # (table / flush / delete flowtable), 1 define: body lines 1-9, 28, 29
    assert skipped == [cf.body_start + n - 1 for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 28, 29)]
    assert rs.truncated  # the grep excerpt ends inside chain input
    (ft,) = rs.flowtables
    assert ft.devices == [
        "lan1", "lan2", "lan3", "lan4", "phy0-ap0", "phy1-ap0", "tailscale0", "wan",
    ]  # fmt: skip
    assert (ft.hw_offload, ft.counter, ft.priority, ft.handle) == (True, True, 0, 333)
    (chain,) = rs.chains
    assert (chain.hook, chain.policy, chain.handle) == ("input", "drop", 1)
    assert [r.text for r in chain.rules] == ['iif "lo" accept']


def test_flowtable_blocks_without_table() -> None:
    _, rs, skipped = text_of("nft-openwrt10224-1.txt")
    assert skipped == [] and not rs.truncated
    assert [(t.family, t.name) for t in rs.tables] == [("", "")] * 3
    ft1, ft2, ft3 = rs.flowtables
    assert "pppoe-wan6" not in ft1.devices and ft2.devices[-1] == "pppoe-wan6"
    assert ft3.name == "myft" and ft3.devices[:3] == ["br-lan", "pppoe-wan", "pppoe-wan6"]
    assert all(f.counter and f.hw_offload is False and f.priority == 0 for f in rs.flowtables)


def test_handwritten_sw_flowtable() -> None:
    _, rs, skipped = text_of("nft-openwrt19206-1.txt")
    assert skipped == []
    (ft,) = rs.flowtables
    assert (ft.counter, ft.hw_offload) == (False, False)  # no counter, no flags offload
    assert ft.devices == ["eth0", "phy0-ap0", "phy1-ap0"]
    post = next(c for c in rs.chains if c.name == "postrouting")
    assert (post.priority, post.priority_text) == (100, "srcnat")
    fwd = next(c for c in rs.chains if c.name == "forward")
    assert fwd.rules[0].flow_add == "ft" and fwd.rules[0].matches == ["ip protocol { tcp, udp }"]


def test_vyos_statements_on_one_line() -> None:
    _, rs, skipped = text_of("nft-vyos2062-1.txt")
    assert skipped == []
    hw, sw = rs.flowtables
    assert (hw.priority, hw.priority_text, hw.devices) == (-2, "filter - 2", ["eth0", "eth1"])
    assert (sw.priority, sw.devices) == (-1, ["eth2", "eth3"])
    assert hw.hw_offload and hw.counter and sw.hw_offload and sw.counter
    assert [r.flow_add for c in rs.chains for r in c.rules] == [hw.name, sw.name]
    assert [c.priority for c in rs.chains] == [-2, -1]


def test_diff_output_is_reported_not_parsed() -> None:
    cf, rs, skipped = text_of("nft-firewall4-100-1.txt")
    # 26 non-blank body lines: 1 "`diff ..." line and 25 lines starting <, >, -, or a digit
    assert len(skipped) == 26 and rs.tables == []
    res = parse_nft_text(cf.body)
    assert sum(1 for u in res.unparsed if u.reason.startswith("diff")) == 25


@pytest.mark.parametrize(
    ("name", "count"),
    [
        # non-blank body lines, minus 2 "#   option ..." lines read as nft comments
        ("firewall-openwrt9920-1.txt", 13),
        ("firewall-openwrt9935-1.txt", 7),
        ("firewall-openwrtwiki-flowoffload-1.txt", 8),
    ],
)
def test_non_nft_files_only_skip(name: str, count: int) -> None:
    _, rs, skipped = text_of(name)
    assert len(skipped) == count and rs.tables == []
    _, jrs, jskipped = json_of(name)
    assert jrs.tables == [] and len(jskipped) >= count


# --------------------------------------------------------------------------- text shapes


RULESET = """\
table inet t { # handle 1
\tmap m { # handle 4
\t\ttype ifname : verdict
\t\telements = { "lo" : jump c2,
\t\t\t     "eth9" : goto c3 }
\t}

\tchain c1 { # handle 1
\t\ttype filter hook forward priority filter + 10; policy accept;
\t\tct state vmap { invalid : drop, established : accept, related : accept } # handle 7
\t\tiifname vmap @m # handle 8
\t\tmeta l4proto { tcp, udp } counter packets 5 bytes 10 comment "hi there: a ; b" # handle 10
\t\ttcp dport 22 ip saddr 10.0.0.0/8 limit rate 10/second accept # handle 11
\t\tip dscp set cs1 meta mark set 0x00000001 log prefix "x: " quota over 10 mbytes drop # handle 12
\t\ttcp flags syn / fin,syn,rst,ack jump c2 # handle 13
\t\tmeta l4proto tcp ct count over 10 reject with tcp reset # handle 14
\t\tmeta priority set 1:2 meter m1 size 128 { ip saddr limit rate 5/second } goto c3 # handle 16
\t}

\tchain c2 { # handle 2
\t}

\tchain c3 { # handle 3
\t}
}
"""  # the output of "nft -a list ruleset" on this host for a test ruleset (nftables 1.0.6)


def test_text_rule_details() -> None:
    res = parse_nft_text(RULESET)
    assert res.ok and not res.value.truncated
    rules = res.value.chains[0].rules
    assert [r.handle for r in rules] == [7, 8, 10, 11, 12, 13, 14, 16]
    assert [r.verdict for r in rules] == [
        "vmap", "vmap", None, "accept", "drop", "jump", "reject", "goto",
    ]  # fmt: skip
    assert rules[1].targets == ["c2", "c3"]  # resolved through the named map m
    assert rules[2].comment == "hi there: a ; b" and rules[2].counter_packets == 5
    assert rules[3].statements == ["limit rate 10/second"]
    assert rules[4].statements == [
        "ip dscp set cs1",
        "meta mark set 0x00000001",
        'log prefix "x: "',
        "quota over 10 mbytes",
    ]
    assert rules[5].matches == ["tcp flags syn / fin,syn,rst,ack"] and rules[5].target == "c2"
    assert rules[6].statements == ["ct count over 10"]
    assert rules[7].statements[0] == "meta priority set 1:2"
    assert rules[7].statements[1].startswith("meter m1 size 128 {")
    assert res.value.tables[0].sets == ["m"]
    reach = chains_reachable_from_hook(res.value, "forward")
    assert reach == {("inet", "t", "c1"), ("inet", "t", "c2"), ("inet", "t", "c3")}


def test_text_one_line_blocks_and_semicolons() -> None:
    text = (
        'table netdev n { chain i { type filter hook ingress device "lo" priority -500; } }\n'
        "table bridge b {\n"
        "  chain f { type filter hook forward priority filter; policy drop; }\n"
        "  chain p { type filter hook prerouting priority dstnat; }\n"
        "}\n"
    )  # nft -f input syntax; nft itself prints these blocks over several lines
    res = parse_nft_text(text)
    assert res.ok
    chains = {c.name: c for c in res.value.chains}
    assert chains["i"].devices == ["lo"] and chains["i"].priority == -500
    assert (chains["f"].priority, chains["f"].policy) == (-200, "drop")
    assert chains["p"].priority == -300


def test_truncated_paste_keeps_what_was_read() -> None:
    lines = RULESET.splitlines()
    res = parse_nft_text("\n".join(lines[:12]))  # ends after rule handle 10
    rs = res.value
    assert rs.truncated
    assert [r.handle for r in rs.chains[0].rules] == [7, 8, 10]
    cut_in_map = parse_nft_text("\n".join(lines[:4]))  # ends inside "elements = {"
    assert cut_in_map.value.truncated and cut_in_map.unparsed_count == 1


def test_prompt_inside_block_ends_it() -> None:
    text = (
        "table inet x {\n\tchain c {\n\t\tjump d\n"
        "root@OpenWrt:~# nft list tables\ntable inet y {\n}\n"
    )
    res = parse_nft_text(text)
    assert res.value.truncated and [u.line_no for u in res.unparsed] == [4]
    assert [t.name for t in res.value.tables] == ["x", "y"]
    assert res.value.chains[0].rules[0].target == "d"


def test_lines_that_are_not_rules_inside_a_chain() -> None:
    text = "table ip t {\n\tchain c {\n\t\tveth-b tx_bytes=1 tx_packets=2\n\t\taccept\n\t}\n}\n"
    res = parse_nft_text(text)
    assert [(u.line_no, u.reason) for u in res.unparsed] == [(3, "not an nft rule")]
    assert [r.verdict for r in res.value.chains[0].rules] == ["accept"]


# --------------------------------------------------------------------------- JSON shapes


def test_json_errors_are_skipped_with_line_numbers() -> None:
    res = parse_nft_json('hello\n[1, 2]\n{"nftables": [1, {"table": 3}]}\n')
    assert [(u.line_no, u.reason) for u in res.unparsed] == [
        (1, "not JSON (no '{' at the start of the line)"),
        (2, "not JSON (no '{' at the start of the line)"),
        (3, "array item is not a one-key JSON object"),
    ]
    assert res.value.tables == []


def test_json_cut_document_keeps_complete_objects() -> None:
    cf = read_capture_file("lab-fw-nft-json-ruleset.txt")
    line = cf.body.splitlines()[0]
    cut = line[: line.index('{"rule"') + 40]  # cut inside the first rule object
    res = parse_nft_json(cut)
    assert res.value.truncated and res.unparsed_count == 1
    assert len(res.value.chains) == 117 and sum(len(c.rules) for c in res.value.chains) == 0
    assert "cut short" in res.unparsed[0].reason


def test_json_pretty_printed_error_line() -> None:
    cf = read_capture_file("lab-serve-nft-json-ruleset.json.txt")
    pretty = json.dumps(json.loads(cf.body), indent=2).splitlines()
    # drop the forward chain's "policy" line: '"prio": 0,' is then followed by '}'
    del pretty[next(i for i, ln in enumerate(pretty) if '"policy": "accept"' in ln)]
    text = "\n".join(pretty)
    with pytest.raises(json.JSONDecodeError) as err:
        json.loads(text)
    res = parse_nft_json(text)
    assert res.unparsed[0].line_no == err.value.lineno  # where json itself fails
    assert "broken" in res.unparsed[0].reason and res.value.truncated
    assert [f.name for f in res.value.flowtables] == ["ft"]  # objects before the error


def test_json_flowtable_flags_if_present() -> None:
    doc = {"nftables": [{"flowtable": {
        "family": "inet", "name": "ft", "table": "fw4", "hook": "ingress", "prio": 0,
        "dev": ["lan1"], "flags": ["offload"],
    }}]}  # fmt: skip
    (ft,) = parse_nft_json(json.dumps(doc)).value.flowtables
    assert ft.hw_offload is True and ft.counter is None


def test_merge_either_side_none() -> None:
    _, text_rs, _ = text_of("nft-openwrt19206-1.txt")
    assert merge_rulesets(None, None) is None
    only_text = merge_rulesets(None, text_rs)
    assert only_text is not None and only_text.source == "text"
    only_json = merge_rulesets(parse_nft_json("{}").value, None)
    assert only_json is not None and only_json.tables == []


# --------------------------------------------------------------------------- purity


@pytest.mark.parametrize("module", NFT_MODULES)
def test_no_io_no_textual(module: str) -> None:
    tree = ast.parse((PARSERS_DIR / module).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in ("open", "print", "input")
    assert not imported & {"textual", "os", "subprocess", "socket", "pathlib", "shutil"}


# --------------------------------------------------------------------------- fuzz


REAL_TEXT = [
    "lab-fw-nft-list-ruleset-during-traffic.txt",
    "nft-vyos2062-1.txt",
    "nft-openwrtpr24178-1.txt",
    "lab-serve-nft-list-ruleset.txt",
    "lab-fw-after-reload-4s.txt",
]
REAL_LINES = [ln for n in REAL_TEXT for ln in read_capture_file(n).body.splitlines()]
JSON_BODY = read_capture_file("lab-fw-nft-json-ruleset.txt").body.splitlines()[0]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
KINDS = ["table", "chain", "flowtable", "rule", "set", "map", "metainfo", "match", "expr"]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_fuzz_arbitrary_text(text: str) -> None:
    for parse in (parse_nft_text, parse_nft_json):
        res = parse(text)
        assert res.unparsed_count >= len(res.unparsed)


@settings(max_examples=200)
@given(st.lists(st.sampled_from(REAL_LINES), max_size=60))
def test_fuzz_shuffled_real_lines(lines: list[str]) -> None:
    res = parse_nft_text("\n".join(lines))
    assert res.unparsed_count >= 0
    for c in res.value.chains:
        for r in c.rules:
            assert r.text and r.line_no is not None


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_fuzz_mutated_real_ruleset(data: st.DataObject) -> None:
    lines = read_capture_file("lab-fw-nft-list-ruleset.txt").body.splitlines()
    for _ in range(data.draw(st.integers(0, 6))):
        i = data.draw(st.integers(0, len(lines) - 1))
        op = data.draw(st.sampled_from(["del", "dup", "cut", "garble"]))
        if op == "del":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "cut":
            lines[i] = lines[i][: data.draw(st.integers(0, max(len(lines[i]) - 1, 0)))]
        else:
            lines[i] = data.draw(st.text(max_size=20)) + lines[i]
        if not lines:
            break
    parse_nft_text("\n".join(lines))


@settings(max_examples=300)
@given(st.lists(st.fixed_dictionaries({}, optional={k: json_values for k in KINDS}), max_size=6))
def test_fuzz_random_json(items: list[dict]) -> None:
    for doc in ({"nftables": items}, items, {"nftables": [{"rule": i} for i in items]}):
        parse_nft_json(json.dumps(doc))


@settings(max_examples=200)
@given(st.integers(0, len(JSON_BODY)))
def test_fuzz_json_cut_anywhere(cut: int) -> None:
    res = parse_nft_json(JSON_BODY[:cut])
    assert len(res.value.chains) <= 117
    if 0 < cut < len(JSON_BODY) and JSON_BODY[:cut].strip():
        assert res.unparsed_count >= 1  # a cut document is always reported


# --------------------------------------------------------------------------- properties


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_truncation_keeps_complete_tables(data: st.DataObject) -> None:
    files = ["lab-fw-nft-list-ruleset-during-traffic.txt", "nft-vyos2062-1.txt"]
    name = data.draw(st.sampled_from([*files, "lab-fw-after-reload-4s.txt"]))
    lines = read_capture_file(name).body.splitlines()
    k = data.draw(st.integers(0, len(lines)))
    full = parse_nft_text("\n".join(lines)).value
    part = parse_nft_text("\n".join(lines[:k])).value
    # a table is complete in the cut text when a top-level "}" closes it before line k
    closed = sum(1 for ln in lines[:k] if ln == "}")
    opened = sum(1 for ln in lines[:k] if ln.startswith("table ") and ln.endswith("{"))
    assert part.truncated == (opened > closed)
    for t in part.tables[: closed if name != "lab-fw-after-reload-4s.txt" else 0]:
        ft = full.table(t.family, t.name)
        assert ft is not None
        assert [(c.name, len(c.rules)) for c in t.chains] == [
            (c.name, len(c.rules)) for c in ft.chains
        ]


names = st.from_regex(r"[a-z][a-z0-9_-]{0,10}", fullmatch=True)
devices = st.lists(st.from_regex(r"[a-z][a-z0-9.-]{0,8}", fullmatch=True), min_size=1, max_size=5)
prio_names = st.sampled_from(["filter", "0", "filter + 10", "filter - 2", "-5", "10"])


@settings(max_examples=150)
@given(names, names, devices, prio_names, st.booleans(), st.booleans(), st.booleans())
def test_roundtrip_flowtable_text(table, name, devs, prio, offload, counter, quoted) -> None:
    devtext = ", ".join(f'"{d}"' if quoted else d for d in devs)
    body = [f"\t\thook ingress priority {prio}", f"\t\tdevices = {{ {devtext} }}"]
    if offload:
        body.append("\t\tflags offload")
    if counter:
        body.append("\t\tcounter")
    text = f"table inet {table} {{\n\tflowtable {name} {{\n" + "\n".join(body) + "\n\t}\n}\n"
    res = parse_nft_text(text)
    assert res.ok
    (ft,) = res.value.flowtables
    assert (ft.table, ft.name, ft.devices) == (table, name, devs)
    assert (ft.hw_offload, ft.counter, ft.priority_text) == (offload, counter, prio)
    assert ft.priority == priority_value("netdev", "ingress", prio)


matches = st.sampled_from(
    ["meta l4proto { tcp, udp }", 'iifname "br-lan"', "ct state { established, related }",
     "ip saddr 10.0.0.0/8", "tcp dport 22", "ip6 daddr != ::1",
     "ct mark & 0x0000ff00 == 0x00000100", "fib daddr type local",
     "ip saddr . tcp dport { 1.2.3.4 . 22 }"]
)  # fmt: skip
verdicts = st.sampled_from(["accept", "drop", "return", "jump other", "goto other", "", "reject"])


@settings(max_examples=200)
@given(st.lists(matches, max_size=4), st.booleans(), st.booleans(), verdicts, st.booleans())
def test_roundtrip_rule_text(ms, counter, flow, verdict, comment) -> None:
    parts = list(ms)
    if counter:
        parts.append("counter packets 7 bytes 700")
    if flow:
        parts.append("flow add @ft")
    if verdict:
        parts.append(verdict)
    if not parts:
        parts = ["counter"]  # a rule needs a statement; a lone comment line is the chain's
    if comment:
        parts.append('comment "x; y # z"')
    rule_line = " ".join(parts)
    text = f"table ip t {{\n\tchain c {{\n\t\t{rule_line}\n\t}}\n\tchain other {{\n\t}}\n}}\n"
    res = parse_nft_text(text)
    assert res.ok
    (rule,) = res.value.chains[0].rules
    assert rule.matches == list(ms)
    assert (rule.counter_packets, rule.flow_add) == (
        (7 if counter else None),
        ("ft" if flow else None),
    )
    assert rule.verdict == (verdict.split()[0] if verdict else None)
    assert rule.target == ("other" if verdict.startswith(("jump", "goto")) else None)
    assert rule.comment == ("x; y # z" if comment else None)


@settings(max_examples=150)
@given(names, st.lists(names, min_size=1, max_size=4, unique=True), st.integers(-400, 400),
       devices, st.booleans())  # fmt: skip
def test_roundtrip_json(table, chains, prio, devs, single) -> None:
    items: list[dict] = [{"table": {"family": "inet", "name": table, "handle": 1}}]
    for i, c in enumerate(chains):
        chain = {"family": "inet", "table": table, "name": c, "handle": i + 1}
        if i == 0:
            chain |= {"type": "filter", "hook": "forward", "prio": prio, "policy": "accept"}
        items.append({"chain": chain})
    items.append({"flowtable": {"family": "inet", "name": "ft", "table": table, "handle": 9,
                                "hook": "ingress", "prio": prio,
                                "dev": devs[0] if single else devs}})  # fmt: skip
    for c in chains[1:]:
        items.append({"rule": {"family": "inet", "table": table, "chain": chains[0],
                               "expr": [{"jump": {"target": c}}]}})  # fmt: skip
    rs = parse_nft_json(json.dumps({"nftables": items})).value
    assert [c.name for c in rs.chains] == chains
    assert rs.chains[0].priority == prio and rs.flowtables[0].priority == prio
    assert rs.flowtables[0].devices == (devs[:1] if single else devs)
    assert {n for _, _, n in chains_reachable_from_hook(rs, "forward")} == set(chains)
