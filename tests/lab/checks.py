"""What each lab scenario must show, checked on a capture directory.

Used on the live captures (``test_lab_scenarios.py``, boots the VM) and on the committed
fixtures under ``tests/lab_captures/`` (``test_lab_fixtures.py``, no VM), so the fixtures are
held to the same facts as a fresh boot. The checks read the raw capture files first (so they
mean something by themselves) and the ``offtui diagnose --format json`` facts second.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAB_PORTS = re.compile(r" dport=500[1-4] ")


def slowpath(cap: Path) -> list[dict[str, float]]:
    """The two ``sample=N key=value ...`` lines of commands/lab_slowpath_counters."""
    out = []
    for line in (cap / "commands/lab_slowpath_counters").read_text().splitlines():
        out.append({k: float(v) for k, v in (w.split("=", 1) for w in line.split())})
    assert len(out) == 2, out
    return out


def rise(cap: Path, key: str) -> float:
    s = slowpath(cap)
    return s[1][key] - s[0][key]


def lab_flows(cap: Path) -> list[str]:
    """Conntrack lines of the scenario's own traffic (ports 5001-5004)."""
    text = (cap / "proc/net/nf_conntrack").read_text()
    return [ln for ln in text.splitlines() if LAB_PORTS.search(ln)]


def ruleset(cap: Path) -> str:
    return (cap / "commands/nft_list_ruleset").read_text()


def flowtable_devices(cap: Path, name: str) -> list[list[str]]:
    """Device lists of every flowtable called ``name`` in the text ruleset."""
    return [
        [d.strip() for d in m.group(1).split(",")]
        for m in re.finditer(
            r"flowtable " + re.escape(name) + r" \{[^}]*?devices = \{ ([^}]*) \}", ruleset(cap)
        )
    ]


def diagnose(cap: Path) -> dict:
    """``offtui diagnose DIR --format json`` (the CLI), parsed."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "offtui",
            "diagnose",
            str(cap),
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def finding_ids(report: dict) -> set[str]:
    return {f.get("id") or f.get("rule") for f in report.get("findings", [])}


# --------------------------------------------------------------------------- per scenario


def check_routed_sfo(cap: Path) -> None:
    flows = lab_flows(cap)
    assert len(flows) == 4 and all("[OFFLOAD]" in f for f in flows), flows
    assert {" tcp " in f for f in flows} == {True, False}  # TCP and UDP
    assert flowtable_devices(cap, "ft") == [["veth-a", "veth-b"]]
    # slow path flat (at most a stray packet) while conntrack bytes keep growing
    assert rise(cap, "slow_original_packets") <= 2
    assert rise(cap, "slow_reply_packets") <= 2
    assert rise(cap, "ct_bytes") > 100_000
    facts = diagnose(cap)["facts"]
    assert facts["conntrack"]["offload"] == 4
    assert [ft["devices"] for ft in facts["flowtables"] if ft["name"] == "ft"] == [
        ["veth-a", "veth-b"]
    ]


def check_routed_none(cap: Path) -> None:
    flows = lab_flows(cap)
    assert len(flows) == 4 and not any("[OFFLOAD]" in f for f in flows)
    assert "[OFFLOAD]" not in (cap / "commands/conntrack_-L").read_text()
    assert "flowtable" not in ruleset(cap)
    assert rise(cap, "slow_original_packets") > 100
    assert diagnose(cap)["facts"]["conntrack"]["offload"] == 0


def check_device_missing(cap: Path) -> None:
    flows = lab_flows(cap)
    assert len(flows) == 4 and all("[OFFLOAD]" in f for f in flows)
    assert flowtable_devices(cap, "ft") == [["veth-a"]]
    # packets arriving on veth-a (original) take the fast path; replies on veth-b do not
    assert rise(cap, "slow_original_packets") <= 2
    assert rise(cap, "slow_reply_packets") > 50


def check_bridged(cap: Path) -> None:
    assert lab_flows(cap) == []
    assert "10.0.3." not in (cap / "proc/net/nf_conntrack").read_text()
    s = slowpath(cap)
    assert s[1]["slow_original_packets"] == 0 and s[1]["slow_reply_packets"] == 0
    assert s[1]["tx_bytes_veth-b"] - s[0]["tx_bytes_veth-b"] > 100_000  # traffic did flow
    assert diagnose(cap)["facts"]["conntrack"]["offload"] == 0


def check_bridged_br_netfilter(cap: Path) -> None:
    flows = lab_flows(cap)
    assert len(flows) == 4 and all("[OFFLOAD]" in f and "10.0.3.1" in f for f in flows)
    assert (cap / "proc/sys/net/bridge/bridge-nf-call-iptables").read_text().strip() == "1"
    # the flag is set, yet every packet still takes the slow path
    assert rise(cap, "slow_original_packets") > 100
    assert rise(cap, "slow_reply_packets") > 20


def check_flow_add_input(cap: Path) -> None:
    log = (cap / "commands/lab_scenario_log").read_text()
    # the kernel refuses `flow add` reached from the input hook (nft_flow_offload_validate)
    assert log.count("Error: Could not process rule: Operation not supported") == 2
    rs = ruleset(cap)
    assert re.search(r"chain input_flow \{\n\t\tmeta l4proto \{ tcp, udp \} flow add @ft", rs)
    assert "type filter hook input" in rs
    flows = lab_flows(cap)
    assert len(flows) == 4 and not any("[OFFLOAD]" in f for f in flows)
    assert rise(cap, "slow_original_packets") > 100
    report = diagnose(cap)
    assert report["facts"]["conntrack"]["offload"] == 0


def check_overlapping(cap: Path) -> None:
    assert flowtable_devices(cap, "ft") == [["veth-a", "veth-b"]]
    assert flowtable_devices(cap, "ft2") == [["veth-a", "veth-b"]]
    assert "hook ingress priority filter - 1" in ruleset(cap)
    flows = lab_flows(cap)
    assert len(flows) == 4 and all("[OFFLOAD]" in f for f in flows)
    assert rise(cap, "slow_original_packets") <= 2


def check_conntrack_near_full(cap: Path) -> None:
    nf = cap / "proc/sys/net/netfilter"
    count = int((nf / "nf_conntrack_count").read_text())
    cmax = int((nf / "nf_conntrack_max").read_text())
    assert cmax == 256 and count / cmax >= 0.9, (count, cmax)
    facts = diagnose(cap)["facts"]
    assert facts["conntrack_limits"]["max"] == 256


def check_many_flows(cap: Path) -> None:
    lines = (cap / "proc/net/nf_conntrack").read_text().splitlines()
    pkt = [ln for ln in lines if " dport=6000 " in ln]
    assert len(pkt) >= 9_500, len(pkt)
    assert sum("[OFFLOAD]" in ln for ln in pkt) >= 9_000


def check_vlan_lower(cap: Path) -> None:
    assert flowtable_devices(cap, "ft") == [["veth-a", "veth-b"]]
    assert '"veth-b.7"' in (cap / "commands/ip_-j_-d_link_show").read_text()
    assert len(lab_flows(cap)) == 4


def check_vlan_upper(cap: Path) -> None:
    assert flowtable_devices(cap, "ft") == [["veth-a", "veth-b.7"]]
    assert len(lab_flows(cap)) == 4


def check_firewalld(cap: Path) -> None:
    rs = ruleset(cap)
    assert "table inet firewalld {" in rs
    assert flowtable_devices(cap, "fastpath") == [["veth-a", "veth-b"]]
    assert "hook ingress priority filter + 10" in rs
    flows = lab_flows(cap)
    assert len(flows) == 4 and all("[OFFLOAD]" in f for f in flows)
    # firewalld's flowtable has no counter: conntrack counts freeze, the slow path stays flat
    assert rise(cap, "slow_original_packets") <= 2
    assert (cap / "commands/firewall-cmd_--state").read_text().strip() == "running"


def check_firewalld_bad_device(cap: Path) -> None:
    rs = ruleset(cap)
    assert re.search(r"table inet firewalld \{\n\}", rs), rs[:500]
    assert "flowtable" not in rs
    assert "nosuch0" in (cap / "etc/firewalld/firewalld.conf").read_text()
    assert not any("[OFFLOAD]" in f for f in lab_flows(cap))


CHECKS = {
    ("routed-sfo", "default"): check_routed_sfo,
    ("routed-none", "default"): check_routed_none,
    ("device-missing", "default"): check_device_missing,
    ("bridged", "default"): check_bridged,
    ("bridged-br-netfilter", "default"): check_bridged_br_netfilter,
    ("flow-add-input", "default"): check_flow_add_input,
    ("overlapping", "default"): check_overlapping,
    ("conntrack-near-full", "default"): check_conntrack_near_full,
    ("many-flows", "default"): check_many_flows,
    ("vlan-pppoe-devices", "lower"): check_vlan_lower,
    ("vlan-pppoe-devices", "upper"): check_vlan_upper,
    ("firewalld", "default"): check_firewalld,
    ("firewalld", "bad-device"): check_firewalld_bad_device,
}


def fixture_dir(scenario: str, variant: str) -> Path:
    name = scenario if variant == "default" else f"{scenario}--{variant}"
    return REPO / "tests" / "lab_captures" / name


# --------------------------------------------------------------------------- shape


def _line_kind(line: str) -> str:
    """A line with its numbers and addresses blanked: what kind of line it is."""
    line = re.sub(r"\b\d+\.\d+\.\d+\.\d+\b", "A", line)
    return re.sub(r"\d+", "N", line)


def shape(cap: Path) -> dict[str, object]:
    """The parts of a capture that must not drift between boots of one scenario."""
    man = json.loads((cap / "manifest.json").read_text())
    files = sorted(
        str(p.relative_to(cap)) for p in cap.rglob("*") if p.is_file() and p.name != "manifest.json"
    )
    return {
        "files": files,
        "statuses": {s["name"]: s["status"] for s in man["sources"]},
        "conntrack_kinds": sorted({_line_kind(ln) for ln in lab_flows(cap)}),
        "ruleset_kinds": sorted({_line_kind(ln) for ln in ruleset(cap).splitlines()}),
        "flags": sorted(set(re.findall(r"\[[A-Z_]+\]", "\n".join(lab_flows(cap))))),
        "slowpath_keys": sorted(slowpath(cap)[0]),
        "lab": {k: man["extra"]["lab"][k] for k in ("scenario", "variant", "kernel")},
    }
