"""ps listings and iproute2's JSON for addresses, routes and rules (real outputs)."""

from __future__ import annotations

import json
import subprocess

from hypothesis import given
from hypothesis import strategies as st

from offtui.parsers.iproute import parse_ip_addr_json, parse_ip_route_json, parse_ip_rule_json
from offtui.parsers.ps import parse_ps
from tests.capture_files import read_capture_file


def test_busybox_ps_from_the_lab_router() -> None:
    res = parse_ps(read_capture_file("lab-ps-busybox.txt").body)
    assert res.unparsed_count == 0
    names = res.value
    assert "init" in names  # "{init} /bin/sh /init": busybox's {comm} form
    assert "ksoftirqd/0" in names  # kernel thread "[ksoftirqd/0]"
    assert not any(n.startswith(("{", "[")) for n in names)


def test_procps_ps_from_this_host() -> None:
    body = read_capture_file("host-ps-procps.txt").body
    res = parse_ps(body)
    assert res.unparsed_count == 0
    # every non-header line names one process (counted with: grep -vc COMMAND)
    assert len(res.value) <= len(body.splitlines()) - 1
    assert "kthreadd" in res.value


def test_ps_without_header_is_reported() -> None:
    res = parse_ps("  1 root  init\n")
    assert res.unparsed_count == 1 and "header" in res.unparsed[0].reason


@given(st.text(max_size=300))
def test_ps_fuzz(text: str) -> None:
    res = parse_ps(text)
    assert res.unparsed_count <= len(text.splitlines())


def _lab_cmd(name: str) -> str:
    from pathlib import Path

    return (Path(__file__).parent / "lab_captures/routed-sfo/commands" / name).read_text()


def test_lab_router_addresses_routes_rules() -> None:
    addrs = parse_ip_addr_json(_lab_cmd("ip_-j_addr_show"))
    assert addrs.unparsed_count == 0
    by_dev = {(a.dev, a.local) for a in addrs.value}
    assert ("veth-a", "10.0.1.1") in by_dev and ("veth-b", "10.0.2.1") in by_dev
    routes = parse_ip_route_json(_lab_cmd("ip_-j_route_show"))
    assert {(r.dst, r.dev) for r in routes.value} >= {
        ("10.0.1.0/24", "veth-a"),
        ("10.0.2.0/24", "veth-b"),
    }
    rules = parse_ip_rule_json(_lab_cmd("ip_-j_rule_show"))
    assert [r.table for r in rules.value] == ["local", "main", "default"]


def test_this_host_ip_json_round() -> None:
    for argv, fn in (
        (["ip", "-j", "addr", "show"], parse_ip_addr_json),
        (["ip", "-j", "route", "show"], parse_ip_route_json),
        (["ip", "-j", "rule", "show"], parse_ip_rule_json),
    ):
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        res = fn(out)
        assert res.unparsed_count == 0
        assert len(json.loads(out)) == 0 or res.value


@given(st.text(max_size=300))
def test_iproute_fuzz(text: str) -> None:
    for fn in (parse_ip_addr_json, parse_ip_route_json, parse_ip_rule_json):
        fn(text)  # never raises
