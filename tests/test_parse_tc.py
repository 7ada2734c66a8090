"""tc qdisc parsers against real captures (forum pastes and this host's netns output).

Counts were taken with grep on the capture bodies (lines after the ``# `` header).
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from offtui.model import Qdisc
from offtui.parsers.tc import parse_tc_json, parse_tc_text
from tests.capture_files import read_capture_file


def body(name: str) -> str:
    return read_capture_file(name).body


def key(q: Qdisc) -> tuple[str, str, str | None, str | None]:
    return (q.kind, q.dev, q.handle, q.parent)


def test_host_json_and_text_agree() -> None:
    j = parse_tc_json(body("host-tc-json.txt"))
    t = parse_tc_text(body("host-tc-text.txt"))
    assert j.ok and t.ok
    # grep -o '"kind":' | wc -l -> 13 ; grep -c '^qdisc ' -> 13
    assert len(j.value) == len(t.value) == 13
    assert [key(q) for q in j.value] == [key(q) for q in t.value]
    # grep -c '^qdisc noqueue' -> 8
    assert sum(q.kind == "noqueue" for q in t.value) == 8
    wan = {q.kind: q for q in t.value if q.dev == "wan"}
    assert set(wan) == {"htb", "pfifo", "ingress"}
    assert (wan["htb"].handle, wan["htb"].parent) == ("1:", "root")
    assert wan["pfifo"].parent == "1:10"
    assert wan["ingress"].parent == "ingress" and wan["ingress"].options == ()
    clsact = next(q for q in j.value if q.kind == "clsact")
    assert (clsact.dev, clsact.parent) == ("lan1", "ingress")
    # units differ: text prints the rate, JSON bytes per second (5 Mbit/s = 625000 B/s)
    tbf_t = next(q for q in t.value if q.kind == "tbf")
    tbf_j = next(q for q in j.value if q.kind == "tbf")
    assert dict(tbf_t.options)["rate"] == "5Mbit"
    assert dict(tbf_j.options)["rate"] == "625000"
    assert dict(wan["htb"].options) == {
        "r2q": "10",
        "default": "0x10",
        "direct_packets_stat": "0",
        "direct_qlen": "1000",
    }


def test_host_stats_forms_parse_like_plain_forms() -> None:
    plain = [key(q) for q in parse_tc_text(body("host-tc-text.txt")).value]
    st_t = parse_tc_text(body("host-tc-stats-text.txt"))
    st_j = parse_tc_json(body("host-tc-stats-json.txt"))
    # the 26 indented stat lines (grep -c '^ ') are read past quietly
    assert st_t.ok and st_j.ok
    assert [key(q) for q in st_t.value] == plain
    assert [key(q) for q in st_j.value] == plain


def test_cake_paste() -> None:
    res = parse_tc_text(body("tc-cakeautorate350-1.txt"))
    # grep -c '^qdisc' -> 3 ; one prompt line (grep -c '^root@')
    assert [q.kind for q in res.value] == ["noqueue", "fq_codel", "cake"]
    assert res.unparsed_count == 1 and res.unparsed[0].reason == "shell prompt"
    cake = res.value[2]
    assert (cake.dev, cake.handle, cake.parent) == ("eth1", "800d:", "root")
    opts = dict(cake.options)
    assert opts["bandwidth"] == "5Mbit" and opts["rtt"] == "100ms"
    assert opts["overhead"] == "44" and opts["mpu"] == "84"
    assert opts["besteffort"] == "" and opts["triple-isolate"] == ""
    fq = dict(res.value[1].options)
    assert fq["limit"] == "10240p" and fq["ecn"] == "" and fq["drop_batch"] == "64"


def test_paste_with_sqm_config_before_tc_output() -> None:
    res = parse_tc_text(body("tc-cakeautorate274-1.txt"))
    # grep -c '^qdisc' -> 2 qdiscs
    assert [(q.kind, q.dev) for q in res.value] == [("noqueue", "lo"), ("fq_codel", "eth0")]
    # 17 non-blank lines (grep -cv '^$'); 12 indented (grep -c '^ '), of which 2 are the
    # ' Sent'/' backlog' stats under noqueue, so 10 sqm options. Unread: 2 prompts +
    # 'config queue' + 10 options = 13
    assert res.unparsed_count == 13


# `tc qdisc show dev X` prints no "dev" (tc_qdisc.c print_qdisc filters it); this is the
# body of host-tc-stats-text.txt's first wan block as `tc -s qdisc show dev wan` prints it.
FILTERED = (
    "root@OpenWrt:~# tc -s qdisc show dev wan\n"
    "qdisc htb 1: root refcnt 3 r2q 10 default 0x10 direct_packets_stat 0 direct_qlen 1000\n"
    " Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) \n"
    " backlog 0b 0p requeues 0\n"
    "qdisc ingress ffff: parent ffff:fff1 ---------------- \n"
)


def test_device_from_prompt_or_argument() -> None:
    res = parse_tc_text(FILTERED)
    assert [key(q) for q in res.value] == [
        ("htb", "wan", "1:", "root"),
        ("ingress", "wan", "ffff:", "ingress"),
    ]
    no_prompt = FILTERED.split("\n", 1)[1]
    assert {q.dev for q in parse_tc_text(no_prompt).value} == {""}
    assert {q.dev for q in parse_tc_text(no_prompt, dev="eth9").value} == {"eth9"}
    j = '[{"kind":"htb","handle":"1:","root":true,"refcnt":3,"options":{"r2q":10}}]'
    assert parse_tc_json(j, dev="wan").value[0].dev == "wan"


def test_pfifo_fast_priomap_text_and_json() -> None:
    # iproute2 6.1 output on this host (qdisc add dev veth0 root handle 2: pfifo_fast)
    text = (
        "qdisc pfifo_fast 2: dev veth0 root refcnt 3 bands 3 "
        "priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1\n"
    )
    js = (
        '[{"kind":"pfifo_fast","handle":"2:","dev":"veth0","root":true,"refcnt":3,'
        '"options":{"bands":3,"priomap":[1,2,2,2,1,2,0,0,1,1,1,1,1,1,1,1],"multiqueue":false}}]'
    )
    t = dict(parse_tc_text(text).value[0].options)
    j = dict(parse_tc_json(js).value[0].options)
    assert t["priomap"] == j["priomap"] == "1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1"
    assert j["multiqueue"] == "false"


def test_bad_json_and_bad_items_are_recorded() -> None:
    res = parse_tc_json('[{"kind":"htb","handle":"1:"}, 5, {"handle":"2:"}]\n[{"kind": ')
    assert [q.kind for q in res.value] == ["htb"]
    assert res.unparsed_count == 3
    assert res.unparsed[-1].line_no == 2


def test_two_json_documents() -> None:
    one = body("host-tc-json.txt").strip()
    assert len(parse_tc_json(one + "\n" + one).value) == 26


# --------------------------------------------------------------------------- properties

KIND = st.sampled_from(["htb", "fq_codel", "cake", "noqueue", "tbf", "pfifo", "mq"])
HANDLE = st.from_regex(r"[0-9a-f]{1,4}:", fullmatch=True)
DEV = st.from_regex(r"[a-z][a-z0-9.-]{0,10}", fullmatch=True)
PARENT = st.one_of(st.just("root"), st.from_regex(r"[0-9a-f]{1,4}:[0-9a-f]{1,4}", fullmatch=True))
OPTS = st.lists(
    st.tuples(
        st.from_regex(r"[a-z][a-z_-]{0,10}", fullmatch=True),
        st.one_of(st.just(""), st.from_regex(r"[0-9][0-9a-zA-Z]{0,6}", fullmatch=True)),
    ),
    max_size=6,
    unique_by=lambda kv: kv[0],
)


@settings(max_examples=200)
@given(st.lists(st.tuples(KIND, HANDLE, DEV, PARENT, OPTS), max_size=8))
def test_round_trip_text_and_json(items: list) -> None:
    """Render qdiscs the way print_qdisc() does, in text and JSON; both parse back."""
    lines, objs = [], []
    for kind, handle, dev, parent, opts in items:
        where = "root refcnt 2" if parent == "root" else f"parent {parent}"
        opt_text = " ".join(f"{k} {v}".strip() for k, v in opts)
        lines.append(f"qdisc {kind} {handle} dev {dev} {where} {opt_text}".rstrip())
        lines.append(" Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) ")
        obj = {"kind": kind, "handle": handle, "dev": dev, "options": dict(opts)}
        obj.update({"root": True} if parent == "root" else {"parent": parent})
        objs.append(obj)
    t = parse_tc_text("\n".join(lines))
    j = parse_tc_json(json.dumps(objs))
    assert t.ok and j.ok
    want = [(k, d, h, p) for k, h, d, p, _ in items]
    assert [key(q) for q in t.value] == want == [key(q) for q in j.value]
    assert [q.options for q in t.value] == [tuple(o) for *_, o in items]


@settings(max_examples=300)
@given(st.text(max_size=300))
def test_fuzz_never_raises(text: str) -> None:
    res = parse_tc_text(text)
    assert len(res.value) + res.unparsed_count <= len(text.splitlines())
    # JSON: one record per unreadable item (a line may hold many), never an exception
    res = parse_tc_json(text)
    assert all(isinstance(q, Qdisc) and q.kind for q in res.value)


REAL = [
    line
    for name in ("host-tc-stats-text.txt", "tc-cakeautorate350-1.txt", "tc-cakeautorate274-1.txt")
    for line in body(name).splitlines()
]


@settings(max_examples=300)
@given(
    st.lists(st.sampled_from(REAL), min_size=1, max_size=20),
    st.lists(st.tuples(st.integers(0, 5000), st.sampled_from(" :x0\t-")), max_size=6),
)
def test_fuzz_mutated_real_lines(lines: list[str], edits: list[tuple[int, str]]) -> None:
    text = "\n".join(lines)
    for pos, ch in edits:
        p = pos % (len(text) + 1)
        text = text[:p] + ch + text[p:]
    res = parse_tc_text(text)
    n_lines = len(text.splitlines())
    assert len(res.value) + res.unparsed_count <= n_lines
    assert all(q.kind for q in res.value)


@settings(max_examples=200)
@given(st.sampled_from(["host-tc-json.txt", "host-tc-stats-json.txt"]), st.integers(0, 10_000))
def test_fuzz_truncated_json(name: str, cut: int) -> None:
    text = body(name)
    res = parse_tc_json(text[: cut % (len(text) + 1)])
    assert len(res.value) <= 13
