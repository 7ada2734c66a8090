"""`offtui diagnose` on every real capture in tests/captures/.

Each real file (a forum paste, a bug report, a lab output) is placed in a capture directory at
the path its content came from; where one file mixes several outputs, each part goes to its own
path (the `keep` filter selects the lines: that is the only edit). The expected numbers were
counted by hand with grep on the files, independently of the parsers, e.g.
`grep -v '^# ' FILE | grep -c '\\[OFFLOAD\\]'` and `grep -cE '^[0-9a-f]{5} BND'`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.capture_files import all_capture_names, read_capture_file
from tests.cli_helpers import diagnose_json

CT_PROC = r"^ipv[46] "
CT_TOOL = r"^(tcp|udp|icmp|icmpv6|gre|sctp|unknown) +\d+ "
NOT_CT = r"^(?!ipv[46] |(tcp|udp|icmp) +\d+ ).*"


@dataclass
class Case:
    file: str
    #: capture path -> regex of body lines to keep there (None: the whole body)
    place: dict[str, str | None]
    #: dotted path in the JSON document -> expected value
    expect: dict[str, object] = field(default_factory=dict)
    #: extra checks on the JSON document
    checks: tuple = ()
    why: str = ""


def ft(doc: dict, name: str) -> dict:
    return next(f for f in doc["facts"]["flowtables"] if f["name"] == name)


def source(doc: dict, name: str) -> dict:
    return next(s for s in doc["sources"] if s["name"] == name)


def ppe(doc: dict, name: str) -> dict:
    return next(p for p in doc["facts"]["ppe"] if p["name"] == name)


CASES = [
    Case(
        "conntrack-ubicloud1009-1.txt",
        {"commands/conntrack_-L": None},
        {
            "facts.conntrack.total": 6,
            "facts.conntrack.offload": 5,
            "facts.conntrack.hw_offload": 0,
            "facts.conntrack.assured": 1,
            "facts.conntrack.unreplied": 0,
            "facts.offload_mode": "software",
        },
        # the pasted prompt line is reported, not silently dropped
        checks=(lambda d: source(d, "commands/conntrack_-L")["unparsed_lines"] == 1,),
    ),
    Case(
        "conntrack-nfdevel-hwoffload-1.txt",
        {"commands/conntrack_-L": None},
        {"facts.conntrack.total": 0, "facts.conntrack.hw_offload": 0},
        checks=(
            # 4 entries hard-wrapped by a mail client over 2-3 lines each: not complete entries,
            # so every piece is reported with its line number and no flow is invented
            lambda d: source(d, "commands/conntrack_-L")["unparsed_lines"] >= 8,
        ),
    ),
    Case(
        "lab-serve-proc-net-nf_conntrack.txt",
        {"proc/net/nf_conntrack": None},
        {
            "facts.conntrack.total": 12,
            "facts.conntrack.offload": 2,
            "facts.conntrack.assured": 9,
            "facts.conntrack.by_proto.udp": 1,
        },
        checks=(lambda d: source(d, "proc/net/nf_conntrack")["unparsed_lines"] == 0,),
    ),
    Case(
        "lab-serve-conntrack-L.txt",
        {"commands/conntrack_-L": None},
        {"facts.conntrack.total": 13, "facts.conntrack.offload": 2, "facts.conntrack.assured": 10},
        checks=(lambda d: source(d, "commands/conntrack_-L")["unparsed_lines"] == 0,),
    ),
    Case(
        "lab-fw-conntrack-during-traffic.txt",
        {"proc/net/nf_conntrack": CT_PROC},
        {
            "facts.conntrack.total": 3,
            "facts.conntrack.offload": 2,
            "facts.conntrack.by_proto.icmp": 1,
        },
    ),
    Case(
        "lab-fw-recover-conntrack.txt",
        {"commands/conntrack_-L": CT_TOOL, "commands/nft_list_ruleset": NOT_CT},
        {"facts.conntrack.total": 2, "facts.conntrack.offload": 2},
    ),
    Case(
        "lab-fw-after-reload-4s.txt",
        {"commands/conntrack_-L": CT_TOOL, "commands/nft_list_ruleset": NOT_CT},
        {"facts.conntrack.offload": 2, "facts.flowtables": []},
        checks=(
            lambda d: (
                [r["flowtable"] for r in d["facts"]["ruleset"]["flow_add_rules"]] == ["fastpath"]
            ),
        ),
    ),
    Case(
        "lab-fw-after-reload-immediate.txt",
        {"commands/conntrack_-L": CT_TOOL, "commands/nft_list_ruleset": NOT_CT},
        {"facts.conntrack.offload": 2},
        checks=(lambda d: ft(d, "fastpath")["devices"] == ["veth-a", "veth-b"],),
    ),
    Case(
        "lab-fw-baddev-reload-ruleset.txt",
        {
            "commands/nft_list_ruleset": NOT_CT,
            "commands/conntrack_-L": CT_TOOL,
        },
        {"facts.conntrack.total": 2, "facts.conntrack.offload": 0, "facts.flowtables": []},
        checks=(lambda d: "inet firewalld" in d["facts"]["ruleset"]["tables"],),
    ),
    Case(
        "lab-fw-baddev-coldstart-ruleset.txt",
        {"commands/conntrack_-L": CT_TOOL, "commands/nft_list_ruleset": NOT_CT},
        {"facts.conntrack.total": 2, "facts.conntrack.assured": 2, "facts.flowtables": []},
        why="cold start with a bad device: firewalld's stock ruleset, no flowtable",
    ),
    Case(
        "lab-fw-nft-list-ruleset.txt",
        {"commands/nft_list_ruleset": None},
        {"facts.backend": "firewalld", "facts.offload_mode": "software"},
        checks=(
            lambda d: ft(d, "fastpath")["priority"] == 10,
            lambda d: ft(d, "fastpath")["devices"] == ["veth-a", "veth-b"],
            lambda d: ft(d, "fastpath")["counter"] is False,
            lambda d: ft(d, "fastpath")["hw_offload"] is False,
            lambda d: any(
                r["chain"] == "filter_FORWARD" and r["flowtable"] == "fastpath"
                for r in d["facts"]["ruleset"]["flow_add_rules"]
            ),
        ),
    ),
    Case(
        "lab-fw-nft-list-ruleset-during-traffic.txt",
        {"commands/nft_list_ruleset": None},
        {"facts.backend": "firewalld"},
        checks=(lambda d: ft(d, "fastpath")["devices"] == ["veth-a", "veth-b"],),
    ),
    Case(
        "lab-fw-nft-json-ruleset.txt",
        {"commands/nft_-j_list_ruleset": r"^\{"},
        {"facts.backend": "firewalld"},
        checks=(
            lambda d: ft(d, "fastpath")["priority"] == 10,
            # the JSON never says whether a flowtable counts: unknown, not "no"
            lambda d: ft(d, "fastpath")["counter"] is None,
        ),
    ),
    Case(
        "lab-fw-recover-reload.txt",
        {"commands/nft_list_ruleset": r"^(\t|table|\})"},
        checks=(lambda d: ft(d, "fastpath")["hook"] == "ingress",),
    ),
    Case(
        "lab-fw-slowpath-counters-during-traffic.txt",
        {"commands/nft_list_ruleset": None},
        {"facts.flowtables": []},
        checks=(lambda d: "inet labcount" in d["facts"]["ruleset"]["tables"],),
    ),
    Case(
        "lab-fw-jsontest-flowtable-counter.txt",
        {"commands/nft_list_ruleset": r"^(\t|table|\})", "commands/nft_-j_list_ruleset": r"^\{"},
        checks=(
            # text and JSON of the same ruleset merged: the text gives the counter
            lambda d: ft(d, "f")["counter"] is True,
            lambda d: ft(d, "f")["devices"] == ["jt0"],
            lambda d: ft(d, "fastpath")["counter"] is None,
        ),
    ),
    Case(
        "lab-serve-nft-list-ruleset.txt",
        {"commands/nft_list_ruleset": None},
        {"facts.offload_mode": "software", "facts.backend": "nftables"},
        checks=(
            lambda d: ft(d, "ft")["counter"] is True,
            lambda d: ft(d, "ft")["devices"] == ["veth-a", "veth-b"],
        ),
    ),
    Case(
        "lab-serve-nft-json-ruleset.json.txt",
        {"commands/nft_-j_list_ruleset": None},
        checks=(
            lambda d: ft(d, "ft")["devices"] == ["veth-a", "veth-b"],
            lambda d: ft(d, "ft")["counter"] is None,
            lambda d: d["facts"]["ruleset"]["flow_add_rules"][0]["chain"] == "forward",
        ),
    ),
    Case(
        "lab-serve-nft-json-flowtables.json.txt",
        {"commands/nft_-j_list_ruleset": None},
        checks=(lambda d: ft(d, "ft")["hook"] == "ingress",),
    ),
    Case(
        "nft-openwrt19206-1.txt",
        {"commands/nft_list_ruleset": None},
        {"facts.offload_mode": "software"},
        checks=(
            lambda d: ft(d, "ft")["devices"] == ["eth0", "phy0-ap0", "phy1-ap0"],
            lambda d: ft(d, "ft")["hw_offload"] is False,
            lambda d: ft(d, "ft")["family"] == "ip" and ft(d, "ft")["table"] == "main",
        ),
    ),
    Case(
        "nft-vyos2062-1.txt",
        {"commands/nft_list_ruleset": None},
        {"facts.offload_mode": "hardware"},
        checks=(
            lambda d: ft(d, "VYOS_FLOWTABLE_hardware")["priority"] == -2,
            lambda d: ft(d, "VYOS_FLOWTABLE_software")["priority"] == -1,
            lambda d: ft(d, "VYOS_FLOWTABLE_hardware")["hw_offload"] is True,
            lambda d: len(d["facts"]["ruleset"]["flow_add_rules"]) == 2,
            # different devices: not overlapping
            lambda d: "overlapping-flowtables" in d["passed"],
        ),
    ),
    Case(
        "nft-openwrtpr24178-1.txt",
        {"commands/nft_list_ruleset": None},
        checks=(
            lambda d: any(
                f["name"] == "ft" and f["hw_offload"] is True and len(f["devices"]) == 8
                for f in d["facts"]["flowtables"]
            ),
            lambda d: d["facts"]["ruleset"]["truncated"] is True,
        ),
        why="a grep -A12 excerpt: blocks are cut, the parser keeps what it read",
    ),
    Case(
        "nft-firewall4-100-1.txt",
        {"commands/nft_list_ruleset": None},
        checks=(lambda d: source(d, "commands/nft_list_ruleset")["unparsed_lines"] > 0,),
        why="a diff of two rulesets: not a ruleset; every line is accounted for",
    ),
    Case(
        "nft-openwrt10224-1.txt",
        {"commands/nft_list_ruleset": None},
        checks=(lambda d: source(d, "commands/nft_list_ruleset")["status"] != "failed",),
        why="flowtable blocks without their table: read or reported, never a crash",
    ),
    Case(
        "ppe-openwrt19206-1.txt",
        {"sys/kernel/debug/ppe0/entries": None},
        checks=(
            lambda d: ppe(d, "ppe0")["entries"] == 3,
            lambda d: ppe(d, "ppe0")["bound"] == 0 and ppe(d, "ppe0")["unbound"] == 3,
        ),
    ),
    Case(
        "ppe-openwrtpr22533-1.txt",
        {"sys/kernel/debug/ppe0/entries": None},
        checks=(
            lambda d: ppe(d, "ppe0")["unbound"] == 3 and ppe(d, "ppe0")["bound"] == 0,
            lambda d: source(d, "sys/kernel/debug/ppe0/entries")["unparsed_lines"] == 1,
        ),
    ),
    Case(
        "ppe-openwrtpr3952-1.txt",
        {"sys/kernel/debug/mtk_ppe/entries": None},
        checks=(
            lambda d: ppe(d, "mtk_ppe")["unbound"] == 5,
            lambda d: ppe(d, "mtk_ppe")["by_type"] == {"IPv4 5T": {"UNB": 4}, "6RD": {"UNB": 1}},
        ),
    ),
    Case(
        "ppe-openwrtwiki-wed-1.txt",
        {"sys/kernel/debug/ppe0/bind": None},
        checks=(
            lambda d: ppe(d, "ppe0")["bound"] == 1,
            lambda d: ppe(d, "ppe0")["bind_only"] is True,
        ),
    ),
    Case(
        "ppe-openwrt17915-1.txt",
        {"sys/kernel/debug/ppe0/bind": r"^[0-9a-f]{5} ", "proc/net/nf_conntrack": CT_PROC},
        {"facts.conntrack.total": 2, "facts.conntrack.hw_offload": 1},
        checks=(lambda d: ppe(d, "ppe0")["bound"] == 4,),
        why="two per-second samples of one UDP flow: [HW_OFFLOAD], then back to the slow path",
    ),
    Case(
        "lab-serve-proc-stat.txt",
        {"proc/stat": None},
        checks=(
            lambda d: [c["cpu"] for c in d["facts"]["cpu"]["cores"]] == ["cpu0", "cpu1"],
            lambda d: d["facts"]["cpu"]["since_boot"] is True,
        ),
    ),
    Case(
        "dmesg-nixosrouter27-1.txt",
        {"commands/dmesg": None},
        checks=(
            lambda d: (
                {"wed-attach", "wed-attach-failed", "wo-firmware-missing"}
                <= {e["kind"] for e in d["facts"]["log_events"]}
            ),
        ),
    ),
    Case(
        "dmesg-immortalwrt2362-1.txt",
        {"commands/dmesg": None},
        checks=(lambda d: "wed-attach" in {e["kind"] for e in d["facts"]["log_events"]},),
    ),
    Case(
        "dmesg-openwrt23244-1.txt",
        {"commands/dmesg": None},
        checks=(lambda d: "kernel-version" in {e["kind"] for e in d["facts"]["log_events"]},),
    ),
    Case(
        "dmesg-mt76-815-1.txt",
        {"commands/dmesg": None},
        checks=(
            # the negative example: WED enabled, but no attach line at all
            lambda d: (
                not {"wed-attach", "wed-attach-failed"}
                & {e["kind"] for e in d["facts"]["log_events"]}
            ),
        ),
    ),
    Case(
        "lsmod-openwrt23244-1.txt",
        {"commands/dmesg": None},
        checks=(lambda d: d["facts"]["log_events"] is not None,),
        why="a kernel WARNING trace from dmesg",
    ),
    Case(
        "lsmod-openwrtpr24038-1.txt",
        {"commands/lsmod": None},
        checks=(lambda d: source(d, "commands/lsmod")["status"] != "failed",),
    ),
    Case(
        "tc-cakeautorate350-1.txt",
        {"commands/tc_-s_qdisc": None},
        checks=(lambda d: source(d, "commands/tc_-s_qdisc")["status"] != "failed",),
    ),
    Case(
        "tc-cakeautorate274-1.txt",
        {"etc/config/sqm": r"^(config|\s+option|\s*$)", "commands/tc_-s_qdisc": r"^(qdisc| )"},
        checks=(
            lambda d: d["facts"]["settings"]["sqm"][0]["enabled"] is True,
            lambda d: d["facts"]["settings"]["sqm"][0]["interface"] == "eth0",
        ),
    ),
    Case(
        "lab-ps-busybox.txt",
        {"commands/ps": None},
        checks=(lambda d: source(d, "commands/ps")["unparsed_lines"] == 0,),
    ),
    Case(
        "lab-fw-firewall-cmd-state.txt",
        {"commands/firewall-cmd_--state": r"^(running|failed|not running)$"},
        checks=(lambda d: source(d, "commands/firewall-cmd_--state")["status"] == "ok",),
    ),
    Case(
        "lab-fw-reload.txt",
        {"commands/firewall-cmd_--state": r"^(running|failed|not running)$"},
        checks=(lambda d: source(d, "commands/firewall-cmd_--state")["status"] == "ok",),
    ),
]

#: Real files that are not a source offtui collects (they are tested by their parsers).
NOT_A_SOURCE = {
    "cpu-openwrt12962-1.txt": "busybox `top` output; offtui reads /proc/stat instead",
    "cpu-openwrtpr24038-1.txt": "busybox `top` output; offtui reads /proc/stat instead",
    "firewall-openwrt9935-1.txt": "`uci set` commands typed by a user (tests/test_parse_uci.py)",
    "firewall-openwrtwiki-flowoffload-1.txt": "`uci set` commands from the wiki "
    "(tests/test_parse_uci.py)",
    "firewall-openwrt9920-1.txt": "init script output (tests/test_parse_logs.py)",
    "lab-fw-baddev-reload.txt": "`firewall-cmd --reload` output: a change offtui never makes by "
    "itself (test_firewalld_reload_error_is_an_nft_error below)",
}


def test_firewalld_reload_error_is_an_nft_error() -> None:
    """firewalld's reload error names no device but carries nft's refusal (lab, bad device)."""
    from offtui.parsers.logs import parse_log_events

    events = parse_log_events(read_capture_file("lab-fw-baddev-reload.txt").body, "firewall-cmd")
    kinds = [e.kind for e in events.value]
    assert "nft-error" in kinds
    assert any("No such file or directory" in e.text for e in events.value)


def _build(tmp_path: Path, case: Case) -> Path:
    cap = tmp_path / "cap"
    body = read_capture_file(case.file).body
    for path, keep in case.place.items():
        lines = body.splitlines(keepends=True)
        if keep is not None:
            rx = re.compile(keep)
            lines = [ln for ln in lines if rx.match(ln.rstrip("\n"))]
        assert lines, f"{case.file}: nothing selected for {path}"
        out = cap / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("".join(lines))
    return cap


def _get(doc: dict, dotted: str) -> object:
    cur: object = doc
    for part in dotted.split("."):
        assert isinstance(cur, dict), f"{dotted}: {part} of a non-object"
        cur = cur[part]
    return cur


@pytest.mark.parametrize("case", CASES, ids=[c.file for c in CASES])
def test_diagnose_real_capture(tmp_path: Path, case: Case) -> None:
    doc = diagnose_json(str(_build(tmp_path, case)))
    for key, want in case.expect.items():
        assert _get(doc, key) == want, f"{case.file}: {key}"
    for i, check in enumerate(case.checks):
        assert check(doc), f"{case.file}: check {i} failed"


def test_every_real_capture_is_covered() -> None:
    covered = {c.file for c in CASES} | set(NOT_A_SOURCE)
    missing = sorted(
        n for n in all_capture_names() if n not in covered and not n.startswith("host-")
    )
    missing = [n for n in missing if not n.startswith("openwrt-default-")]
    assert not missing, f"real captures with no diagnose test: {missing}"
