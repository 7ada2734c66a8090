"""multicast-not-offloaded on the lab's routed software-offload capture (real) and variants."""

from __future__ import annotations

from pathlib import Path

from offtui.engine import Outcome, Severity
from tests.rules._misc import (
    IGMPPROXY_CONFIG,
    capture_body,
    edit,
    evidence_text,
    grep_n,
    lab_copy,
    place,
    run,
)

ID = "multicast-not-offloaded"


def test_multicast_not_offloaded_fires_with_igmpproxy_config(tmp_path: Path) -> None:
    # routed-sfo (real lab capture: fw4-style flowtable ft, [OFFLOAD] flows) plus the
    # igmpproxy package's real default /etc/config/igmpproxy (tests/rules/_misc.py), and
    # without a process list (commands/ps dropped if the capture has one): the config counts.
    cap = lab_copy(tmp_path, "routed-sfo")
    (cap / "commands/ps").unlink(missing_ok=True)
    place(cap, "etc/config/igmpproxy", IGMPPROXY_CONFIG)
    res = run(ID, cap)
    assert res.outcome == Outcome.FINDING
    (f,) = res.findings
    assert f.severity == Severity.INFO
    ev = evidence_text(res)
    assert "etc/config/igmpproxy" in ev
    assert "config igmpproxy" in ev and "direction=upstream" in ev
    assert "flowtable inet fw4 ft" in ev
    assert "software flow offloading" in f.message


def test_multicast_not_offloaded_fires_with_igmpproxy_running(tmp_path: Path) -> None:
    # routed-sfo's real busybox `ps` with one line added: a copy of its last line with the
    # command replaced by igmpproxy as its init script starts it (PROG /usr/sbin/igmpproxy,
    # CONFIGFILE /var/etc/igmpproxy.conf).
    cap = lab_copy(tmp_path, "routed-sfo")
    ps = (cap / "commands/ps").read_text()
    last = ps.rstrip("\n").splitlines()[-1]
    col = ps.splitlines()[0].index("COMMAND")
    added = last[:col] + "/usr/sbin/igmpproxy /var/etc/igmpproxy.conf"
    place(cap, "commands/ps", ps + added + "\n")
    res = run(ID, cap)
    assert res.outcome == Outcome.FINDING
    assert "commands/ps:: running: igmpproxy" in evidence_text(res)
    assert "igmpproxy running" in res.findings[0].message


def test_multicast_not_offloaded_passes_when_proxy_is_installed_but_not_running(
    tmp_path: Path,
) -> None:
    # the config is there, but routed-sfo's real `ps` shows no multicast proxy
    cap = lab_copy(tmp_path, "routed-sfo")
    assert "igmpproxy" not in (cap / "commands/ps").read_text()
    place(cap, "etc/config/igmpproxy", IGMPPROXY_CONFIG)
    assert run(ID, cap).outcome == Outcome.PASS


def test_multicast_not_offloaded_fires_on_multicast_flow(tmp_path: Path) -> None:
    # routed-sfo with one edit: the first UDP flow of proc/net/nf_conntrack is sent to the
    # group 239.255.0.1 instead of 10.0.2.2 (an IPTV-like stream).
    cap = lab_copy(tmp_path, "routed-sfo")
    path = "proc/net/nf_conntrack"
    no = grep_n(cap, path, " udp ")[0]
    lines = (cap / path).read_text().splitlines(keepends=True)
    old = lines[no - 1]
    assert "src=10.0.1.2 dst=10.0.2.2 " in old
    edit(cap, path, old, old.replace("dst=10.0.2.2 ", "dst=239.255.0.1 ", 1))
    res = run(ID, cap)
    assert res.outcome == Outcome.FINDING
    ev = evidence_text(res)
    assert f"proc/net/nf_conntrack:{no}: udp src=10.0.1.2 dst=239.255.0.1 dport=" in ev
    assert "1 conntrack flow(s) to multicast groups" in res.findings[0].message


def test_multicast_not_offloaded_passes_without_multicast(tmp_path: Path) -> None:
    res = run(ID, lab_copy(tmp_path, "routed-sfo"))
    assert res.outcome == Outcome.PASS


def test_multicast_not_offloaded_ignores_link_local_igmp(tmp_path: Path) -> None:
    # bridged (real): conntrack holds the host's own IGMPv3 report 0.0.0.0 -> 224.0.0.22
    # (grep -c 'dst=224.0.0.22' proc/net/nf_conntrack = 1): link-local, never forwarded.
    cap = lab_copy(tmp_path, "bridged")
    assert (cap / "proc/net/nf_conntrack").read_text().count("dst=224.0.0.22") == 1
    res = run(ID, cap)
    assert res.outcome == Outcome.PASS


def test_multicast_not_offloaded_passes_without_flowtable(tmp_path: Path) -> None:
    cap = lab_copy(tmp_path, "routed-none")
    place(cap, "etc/config/igmpproxy", IGMPPROXY_CONFIG)
    res = run(ID, cap)
    assert res.outcome == Outcome.PASS
    assert "no flowtable" in res.reason


def test_multicast_not_offloaded_skips_with_ruleset_only(tmp_path: Path) -> None:
    cap = tmp_path / "cap"
    place(cap, "commands/nft_list_ruleset", capture_body("nft-openwrt19206-1.txt"))
    res = run(ID, cap)
    assert res.outcome == Outcome.SKIPPED
    assert res.reason.startswith("needs `ps`")
