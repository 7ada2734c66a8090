"""Both nftables parsers against real ``nft`` output from this host.

A fresh network namespace gets a fw4-like ruleset (sets, a named verdict map, ``ct state
vmap``, jumps/gotos, counters, quoted comments, a netdev and a bridge table); the test then
reads ``nft list ruleset``, ``nft -a list ruleset`` and ``nft -j list ruleset`` and checks that
the text and JSON parsers agree on the structure.

This host's kernel has no ``nf_flow_table``, so no flowtable can be loaded here: flowtables
are covered by the lab captures in ``tests/test_parse_nft.py`` instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from offtui.model import Ruleset
from offtui.parsers.nft_common import chains_reachable_from_hook
from offtui.parsers.nft_json import parse_nft_json
from offtui.parsers.nft_merge import merge_rulesets
from offtui.parsers.nft_text import parse_nft_text

pytestmark = pytest.mark.netns

FW4_LIKE = """\
table inet fw4 {
	set lan_hosts {
		type ipv4_addr
		elements = { 192.168.1.10, 192.168.1.11 }
	}

	map zone_jumps {
		type ifname : verdict
		elements = { "lan0" : jump forward_lan, "wan0" : jump forward_wan }
	}

	chain input {
		type filter hook input priority filter; policy drop;
		iif "lo" accept comment "!fw4: Accept traffic from loopback"
		ct state vmap { established : accept, related : accept }
		tcp dport 22 counter packets 0 bytes 0 accept comment "!fw4: Allow-SSH"
		iifname "lan0" jump input_lan comment "!fw4: Handle lan IPv4/IPv6 input traffic"
		iifname "wan0" jump input_wan comment "!fw4: Handle wan IPv4/IPv6 input traffic"
	}

	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state vmap { established : accept, related : accept, invalid : drop }
		iifname vmap @zone_jumps
		ip saddr @lan_hosts counter packets 12 bytes 3456 accept
		meta l4proto { tcp, udp } ip dscp set cs1 limit rate 100/second accept
		jump handle_reject
	}

	chain output {
		type filter hook output priority filter; policy accept;
		oif "lo" accept comment "!fw4: Accept traffic towards loopback"
		ct state vmap { established : accept, related : accept }
	}

	chain prerouting {
		type filter hook prerouting priority filter; policy accept;
		iifname "lan0" jump helper_lan comment "!fw4: lan IPv4/IPv6 CT helper assignment"
	}

	chain mangle_forward {
		type filter hook forward priority mangle; policy accept;
		iifname "wan0" tcp flags syn / fin,syn,rst tcp option maxseg size set rt mtu
	}

	chain raw_prerouting {
		type filter hook prerouting priority raw; policy accept;
	}

	chain input_lan {
		jump accept_from_lan
	}

	chain input_wan {
		meta nfproto ipv4 udp dport 68 counter accept comment "!fw4: Allow-DHCP-Renew"
		icmp type echo-request counter accept comment "!fw4: Allow-Ping"
		jump reject_from_wan
	}

	chain forward_lan {
		jump accept_to_wan comment "!fw4: Accept lan to wan forwarding"
		goto accept_to_lan
	}

	chain forward_wan {
		icmpv6 type { destination-unreachable, time-exceeded } limit rate 1000/second accept
		jump drop_to_wan
	}

	chain helper_lan {
	}

	chain accept_from_lan {
		iifname "lan0" counter accept comment "!fw4: accept lan IPv4/IPv6 traffic"
	}

	chain accept_to_lan {
		oifname "lan0" counter accept comment "!fw4: accept lan IPv4/IPv6 traffic"
	}

	chain accept_to_wan {
		meta nfproto ipv4 oifname "wan0" ct state invalid counter drop comment "!fw4: leak"
		oifname "wan0" counter accept comment "!fw4: accept wan IPv4/IPv6 traffic"
	}

	chain reject_from_wan {
		iifname "wan0" counter jump handle_reject comment "!fw4: reject wan traffic"
	}

	chain drop_to_wan {
		oifname "wan0" counter drop comment "!fw4: drop wan IPv4/IPv6 traffic"
	}

	chain handle_reject {
		meta l4proto tcp reject with tcp reset comment "!fw4: Reject TCP traffic"
		reject comment "!fw4: Reject any other traffic"
	}

	chain unreachable_chain {
		log prefix "never: " drop
	}
}
table netdev ingress_t {
	chain ingress_lo {
		type filter hook ingress device "lo" priority -500; policy accept;
		counter
	}
}
table bridge br_t {
	chain br_forward {
		type filter hook forward priority filter; policy accept;
	}
	chain br_pre {
		type filter hook prerouting priority dstnat; policy accept;
	}
}
"""

#: Rules per chain, counted by hand in FW4_LIKE above.
RULE_COUNTS = {
    "input": 5, "forward": 5, "output": 2, "prerouting": 1, "mangle_forward": 1,
    "raw_prerouting": 0, "input_lan": 1, "input_wan": 3, "forward_lan": 2, "forward_wan": 2,
    "helper_lan": 0, "accept_from_lan": 1, "accept_to_lan": 1, "accept_to_wan": 2,
    "reject_from_wan": 1, "drop_to_wan": 1, "handle_reject": 2, "unreachable_chain": 1,
    "ingress_lo": 1, "br_forward": 0, "br_pre": 0,
}  # fmt: skip


def _run(ns: str, *args: str, stdin: str | None = None) -> str:
    proc = subprocess.run(
        ["ip", "netns", "exec", ns, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return proc.stdout


@pytest.fixture(scope="module")
def outputs() -> Iterator[dict[str, str]]:
    if os.geteuid() != 0:
        pytest.skip("needs root to create a network namespace")
    if shutil.which("nft") is None or shutil.which("ip") is None:
        pytest.skip("needs the nft and ip commands (apt-get install nftables iproute2)")
    ns = f"offtui-test-nft-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", ns], check=True, timeout=30)
    try:
        probe = subprocess.run(
            ["ip", "netns", "exec", ns, "nft", "add", "table", "inet", "probe"],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        if probe.returncode != 0:
            pytest.skip(f"kernel has no usable nf_tables here: {probe.stderr.strip()}")
        _run(ns, "nft", "flush", "ruleset")
        _run(ns, "nft", "-f", "-", stdin=FW4_LIKE)
        yield {
            "text": _run(ns, "nft", "list", "ruleset"),
            "text_a": _run(ns, "nft", "-a", "list", "ruleset"),
            "json": _run(ns, "nft", "-j", "list", "ruleset"),
        }
    finally:
        subprocess.run(["ip", "netns", "delete", ns], check=False, timeout=30)


def _structure(rs: Ruleset) -> dict:
    return {
        (c.family, c.table, c.name): (
            c.type,
            c.hook,
            c.priority,
            c.policy,
            [
                (r.verdict, r.target, sorted(r.targets), r.flow_add, r.matches, r.statements)
                for r in c.rules
            ],
        )
        for c in rs.chains
    }


def test_parsers_agree(outputs: dict[str, str]) -> None:
    parsed_json = parse_nft_json(outputs["json"])
    assert parsed_json.ok
    json_rs = parsed_json.value
    assert json_rs.nft_version
    for key in ("text", "text_a"):
        parsed = parse_nft_text(outputs[key])
        assert parsed.ok, parsed.unparsed
        text_rs = parsed.value
        assert [(t.family, t.name, t.sets) for t in text_rs.tables] == [
            (t.family, t.name, t.sets) for t in json_rs.tables
        ]
        assert _structure(text_rs) == _structure(json_rs)
    assert {c.name: len(c.rules) for c in json_rs.chains} == RULE_COUNTS


def test_handles_match(outputs: dict[str, str]) -> None:
    text_rs = parse_nft_text(outputs["text_a"]).value
    json_rs = parse_nft_json(outputs["json"]).value
    assert [t.handle for t in text_rs.tables] == [t.handle for t in json_rs.tables]
    assert [(c.handle, [r.handle for r in c.rules]) for c in text_rs.chains] == [
        (c.handle, [r.handle for r in c.rules]) for c in json_rs.chains
    ]
    assert all(r.handle is not None for c in json_rs.chains for r in c.rules)


def test_details_read_from_real_output(outputs: dict[str, str]) -> None:
    json_rs = parse_nft_json(outputs["json"]).value
    text_rs = parse_nft_text(outputs["text"]).value
    for rs in (json_rs, text_rs):
        chains = {c.name: c for c in rs.chains}
        fwd = chains["forward"].rules
        assert fwd[0].verdict == "vmap" and fwd[0].targets == []
        assert fwd[1].verdict == "vmap" and sorted(fwd[1].targets) == ["forward_lan", "forward_wan"]
        assert (fwd[2].counter_packets, fwd[2].counter_bytes) == (12, 3456)
        assert fwd[3].statements == ["ip dscp set cs1", "limit rate 100/second"]
        assert chains["input"].rules[0].comment == "!fw4: Accept traffic from loopback"
        assert (chains["mangle_forward"].priority, chains["raw_prerouting"].priority) == (
            -150,
            -300,
        )
        assert (chains["br_forward"].priority, chains["br_pre"].priority) == (-200, -300)
        assert rs.flowtables == []  # the kernel here cannot hold one
        reach = chains_reachable_from_hook(rs, "forward", families={"inet", "ip", "ip6"})
        assert {name for _, _, name in reach} == {
            "forward", "mangle_forward", "forward_lan", "forward_wan", "handle_reject",
            "accept_to_wan", "accept_to_lan", "drop_to_wan",
        }  # fmt: skip
    text_chains = {c.name: c for c in text_rs.chains}
    assert text_chains["ingress_lo"].devices == ["lo"]
    assert text_chains["forward"].priority_text == "filter"
    merged = merge_rulesets(json_rs, text_rs)
    assert merged is not None
    merged_chains = {c.name: c for c in merged.chains}
    # nft < 1.0.9 leaves a netdev chain's device out of its JSON; the merge takes it from text
    assert merged_chains["ingress_lo"].devices == ["lo"]
    assert merged_chains["mangle_forward"].priority_text == "mangle"
