"""firewalld.conf parser, against firewalld's shipped config file and its reader's rules."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from offtui.parsers.firewalld import parse_firewalld_conf

# firewalld/firewalld config/firewalld.conf @00319b75c8cab540f5f355d6b36f34b27f8a37a2,
# verbatim (3404 characters); installed as /etc/firewalld/firewalld.conf.
FIREWALLD_CONF = (
    "# firewalld config file\n"
    "\n"
    "# default zone\n"
    "# The default zone used if an empty zone string is used.\n"
    "# Default: public\n"
    "DefaultZone=public\n"
    "\n"
    "# Clean up on exit\n"
    "# If set to no or false the firewall configuration will not get cleaned up\n"
    "# on exit or stop of firewalld.\n"
    "# Default: yes\n"
    "CleanupOnExit=yes\n"
    "\n"
    "# Clean up kernel modules on exit\n"
    "# If set to yes or true the firewall related kernel modules will be\n"
    "# unloaded on exit or stop of firewalld. This might attempt to unload\n"
    "# modules not originally loaded by firewalld.\n"
    "# Default: no\n"
    "CleanupModulesOnExit=no\n"
    "\n"
    "# Lockdown\n"
    "# If set to enabled, firewall changes with the D-Bus interface will be limited\n"
    "# to applications that are listed in the lockdown whitelist.\n"
    "# The lockdown whitelist file is lockdown-whitelist.xml\n"
    "# Default: no\n"
    "Lockdown=no\n"
    "\n"
    "# IPv6_rpfilter\n"
    "# Performs a reverse path filter test on a packet for IPv6. If a reply to the\n"
    "# packet would be sent via the same interface that the packet arrived on, the\n"
    "# packet will match and be accepted, otherwise dropped.\n"
    "# The rp_filter for IPv4 is controlled using sysctl.\n"
    "# Note: This feature has a performance impact. See man page FIREWALLD.CONF(5)\n"
    "# for details.\n"
    "# Default: yes\n"
    "IPv6_rpfilter=yes\n"
    "\n"
    "# IndividualCalls\n"
    "# Do not use combined -restore calls, but individual calls. This increases the\n"
    "# time that is needed to apply changes and to start the daemon, but is good for\n"
    "# debugging.\n"
    "# Default: no\n"
    "IndividualCalls=no\n"
    "\n"
    "# LogDenied\n"
    "# Add logging rules right before reject and drop rules in the INPUT, FORWARD\n"
    "# and OUTPUT chains for the default rules and also final reject and drop rules\n"
    "# in zones. Possible values are: all, unicast, broadcast, multicast and off.\n"
    "# Default: off\n"
    "LogDenied=off\n"
    "\n"
    "# FirewallBackend\n"
    "# Selects the firewall backend implementation.\n"
    "# Choices are:\n"
    "#\t- nftables (default)\n"
    "#\t- iptables (iptables, ip6tables, ebtables and ipset)\n"
    "# Note: The iptables backend is deprecated. It will be removed in a future\n"
    "# release.\n"
    "FirewallBackend=nftables\n"
    "\n"
    "# FlushAllOnReload\n"
    "# Flush all runtime rules on a reload. In previous releases some runtime\n"
    "# configuration was retained during a reload, namely; interface to zone\n"
    "# assignment, and direct rules. This was confusing to users. To get the old\n"
    '# behavior set this to "no".\n'
    "# Default: yes\n"
    "FlushAllOnReload=yes\n"
    "\n"
    "# ReloadPolicy\n"
    "# Policy during reload. By default all traffic except for established\n"
    '# connections is dropped while the rules are updated. Set to "DROP", "REJECT"\n'
    '# or "ACCEPT". Alternatively, specify it per table, like\n'
    '# "OUTPUT:ACCEPT,INPUT:DROP,FORWARD:REJECT".\n'
    "# Default: ReloadPolicy=INPUT:DROP,FORWARD:DROP,OUTPUT:DROP\n"
    "ReloadPolicy=INPUT:DROP,FORWARD:DROP,OUTPUT:DROP\n"
    "\n"
    "# RFC3964_IPv4\n"
    "# As per RFC 3964, filter IPv6 traffic with 6to4 destination addresses that\n"
    "# correspond to IPv4 addresses that should not be routed over the public\n"
    "# internet.\n"
    '# Defaults to "yes".\n'
    "RFC3964_IPv4=yes\n"
    "\n"
    "# NftablesFlowtable\n"
    "# This may improve forwarded traffic throughput by enabling nftables flowtable.\n"
    "# It is a software fastpath and avoids calling nftables rule evaluation for\n"
    "# data packets. This only works for TCP and UDP traffic.\n"
    "# The value is a space separated list of interfaces.\n"
    '# Example value "eth0 eth1".\n'
    '# Defaults to "off".\n'
    "NftablesFlowtable=off\n"
    "\n"
    "# NftablesCounters\n"
    "# If set to yes, add a counter to every nftables rule. This is useful for\n"
    "# debugging and comes with a small performance cost.\n"
    '# Defaults to "no".\n'
    "NftablesCounters=no\n"
)


def test_shipped_config() -> None:
    res = parse_firewalld_conf(FIREWALLD_CONF)
    assert res.ok
    s = res.value
    # grep -c '^[A-Za-z]' -> 13 KEY=value lines
    assert len(s.options) == 13
    assert s.nftables_flowtable == "off" and s.flowtable_devices == []
    assert s.firewall_backend == "nftables"
    assert s.options["ReloadPolicy"] == "INPUT:DROP,FORWARD:DROP,OUTPUT:DROP"


def test_lab_edit_enables_flowtable() -> None:
    # the lab scenario's edit (lab/scenarios/firewalld.sh):
    # sed -i 's/^NftablesFlowtable=.*/NftablesFlowtable=veth-a veth-b/'
    text = FIREWALLD_CONF.replace("NftablesFlowtable=off", "NftablesFlowtable=veth-a veth-b")
    s = parse_firewalld_conf(text).value
    assert s.nftables_flowtable == "veth-a veth-b"
    assert s.flowtable_devices == ["veth-a", "veth-b"]


def test_absent_key_means_not_set() -> None:
    text = FIREWALLD_CONF.replace("NftablesFlowtable=off\n", "")
    s = parse_firewalld_conf(text).value
    assert s.nftables_flowtable is None and s.flowtable_devices == []
    assert "NftablesFlowtable" not in s.options


def test_reader_rules_match_firewalld() -> None:
    text = (
        "; semicolon comment\n"
        "  NftablesFlowtable = eth0 eth1  \n"  # 2: stripped around '='
        "NftablesFlowtable=eth9\n"  # 3: duplicate, firewalld keeps the first
        "ReloadPolicy=INPUT=DROP\n"  # 4: two '=' -> invalid definition
        "LogDenied=\n"  # 5: missing value
        "garbage\n"  # 6: no '='
        'FirewallBackend="nftables"\n'  # 7: quotes are part of the value
        "FutureKey=1\n"  # 8: kept in options
    )
    res = parse_firewalld_conf(text)
    assert [u.line_no for u in res.unparsed] == [3, 4, 5, 6]
    s = res.value
    assert s.nftables_flowtable == "eth0 eth1"
    assert s.firewall_backend == '"nftables"'
    assert s.options["FutureKey"] == "1"


@settings(max_examples=300)
@given(st.text(max_size=400))
def test_fuzz_never_raises(text: str) -> None:
    res = parse_firewalld_conf(text)
    assert res.unparsed_count <= len(text.splitlines())
    _ = res.value.flowtable_devices


KEY = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,15}", fullmatch=True)
VAL = st.from_regex(r"[A-Za-z0-9_.:, -]{0,20}[A-Za-z0-9_.:,-]", fullmatch=True)


@settings(max_examples=200)
@given(st.dictionaries(KEY, VAL, max_size=10))
def test_round_trip(pairs: dict[str, str]) -> None:
    text = "".join(f"# comment\n{k}={v}\n\n" for k, v in pairs.items())
    res = parse_firewalld_conf(text)
    assert res.ok
    assert res.value.options == {k: v.strip() for k, v in pairs.items()}


@settings(max_examples=200)
@given(st.lists(st.sampled_from(FIREWALLD_CONF.splitlines()), max_size=40), st.text(max_size=5))
def test_fuzz_mutated_real_lines(lines: list[str], junk: str) -> None:
    res = parse_firewalld_conf(junk.join(lines))
    assert res.unparsed_count <= len(junk.join(lines).splitlines())
