"""UCI parsers and interpreters, against libuci's grammar and real OpenWrt configs.

Counts in these tests were taken with grep/awk on the capture bodies (the lines after
the ``# `` header), never from the parser; each comment gives the command.
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from offtui.model import UciConfig, UciSection
from offtui.parsers.uci import (
    fw4_bool,
    fw4_settings,
    network_devices,
    parse_uci,
    parse_uci_commands,
    parse_uci_show,
    sqm_queues,
    uci_bool,
    wireless_radios,
)
from tests.capture_files import read_capture_file


def body(name: str) -> str:
    return read_capture_file(name).body


# --------------------------------------------------------------------------- grammar


def one(text: str, package: str = "p") -> UciSection:
    res = parse_uci(text, package)
    assert len(res.value.sections) == 1, res
    return res.value.sections[0]


def test_quoting_forms_and_concatenation() -> None:
    s = one(
        "config t 'n'\n"
        "\toption a 'single # not a comment'\n"
        '\toption b "dq \\"esc\\" \\\\ x"\n'
        "\toption c unquoted\\ space\n"
        "\toption d 'a'\"b\"c\n"
        "\toption e 'it'\\''s'\n"
    )
    assert s.options == {
        "a": "single # not a comment",
        "b": 'dq "esc" \\ x',
        "c": "unquoted space",
        "d": "abc",
        "e": "it's",
    }
    assert (s.type, s.name, s.line_no) == ("t", "n", 1)


def test_single_quotes_keep_backslashes() -> None:
    assert one("config t\n option a 'x\\y'\n").options == {"a": "x\\y"}


def test_comments_whole_line_and_trailing() -> None:
    res = parse_uci("# c\nconfig t x # trailing\n\t# indented\n option a 1#tail\n", "p")
    assert res.ok
    assert res.value.sections[0].options == {"a": "1"}


def test_multiline_quoted_value_and_backslash_continuation() -> None:
    res = parse_uci("config t\n option a 'l1\nl2'\n option b ab\\\ncd\n option c z\n", "p")
    assert res.ok
    assert res.value.sections[0].options == {"a": "l1\nl2", "b": "abcd", "c": "z"}


def test_semicolon_separates_commands() -> None:
    s = one("config t n; option a 1; list l x; list l y\n")
    assert s.options == {"a": "1"} and s.lists == {"l": ["x", "y"]}


def test_abbreviated_commands() -> None:
    s = one("c t n\n o a 1\n l b 2\n")
    assert s.options == {"a": "1"} and s.lists == {"b": ["2"]}


def test_empty_option_sets_nothing_or_deletes_but_empty_list_element_kept() -> None:
    s = one("config t\n option a 1\n option a ''\n option b ''\n list l ''\n")
    assert s.options == {} and s.lists == {"l": [""]}


def test_list_after_option_converts_and_option_after_list_replaces() -> None:
    s = one("config t\n option a 1\n list a 2\n list b x\n option b y\n")
    assert s.lists == {"a": ["1", "2"]} and s.options == {"b": "y"}


def test_named_section_defined_twice_is_merged() -> None:
    res = parse_uci(
        "config zone lan\n option a 1\nconfig other\nconfig zone2 lan\n option b 2\n", "p"
    )
    secs = res.value.sections
    assert [(s.type, s.name) for s in secs] == [("zone2", "lan"), ("other", None)]
    assert secs[0].options == {"a": "1", "b": "2"} and secs[0].line_no == 1


def test_index_counts_per_type() -> None:
    res = parse_uci("config a\nconfig b\nconfig a\nconfig a x\n", "p")
    assert [(s.type, s.index) for s in res.value.sections] == [
        ("a", 0),
        ("b", 0),
        ("a", 1),
        ("a", 2),
    ]


def test_errors_are_skipped_with_line_numbers() -> None:
    text = (
        "option early 1\n"  # 1: before any section
        "config t\n"  # 2
        " option bad-name 1\n"  # 3: '-' not allowed in names
        " option a 1 extra\n"  # 4: too many arguments
        " frobnicate\n"  # 5: invalid command
        "config\n"  # 6: insufficient arguments
        "config t 'bad name'\n"  # 7: invalid name
        " option ok 1\n"  # 8
    )
    res = parse_uci(text, "p")
    assert [u.line_no for u in res.unparsed] == [1, 3, 4, 5, 6, 7]
    assert res.unparsed_count == 6
    assert res.value.sections[0].options == {"ok": "1"}
    assert "before the first section" in res.unparsed[0].reason


def test_unterminated_quote_does_not_swallow_the_rest() -> None:
    res = parse_uci("config t\n option a 'oops\n option b 2\n", "p")
    assert res.unparsed_count == 1 and res.unparsed[0].line_no == 2
    assert res.value.sections[0].options == {"b": "2"}


def test_package_line_in_a_file_is_ignored() -> None:
    res = parse_uci("package firewall\nconfig defaults\n", "firewall")
    assert res.ok and res.value.package == "firewall" and len(res.value.sections) == 1


# --------------------------------------------------------------------------- real files


def test_default_firewall4_config() -> None:
    res = parse_uci(body("openwrt-default-firewall.txt"), "firewall")
    assert res.ok
    # grep -cE '^config ' -> 13 (the 7 '#config' examples are comments)
    assert len(res.value.sections) == 13
    # grep -c '^config rule' -> 9 ; '^config zone' -> 2
    assert len(res.value.of_type("rule")) == 9
    assert len(res.value.of_type("zone")) == 2
    icmp_in = next(r for r in res.value.of_type("rule") if r.get("name") == "Allow-ICMPv6-Input")
    # awk over the Allow-ICMPv6-Input block: 11 'list icmp_type' lines
    assert len(icmp_in.lists["icmp_type"]) == 11
    assert icmp_in.lists["icmp_type"][0] == "echo-request"
    fw = fw4_settings(res.value)
    assert fw.flow_offloading is False and fw.flow_offloading_hw is False
    assert [(z.name, z.networks, z.masq, z.mtu_fix) for z in fw.zones] == [
        ("lan", ["lan"], False, False),
        ("wan", ["wan", "wan6"], True, True),
    ]
    assert fw.forwardings == [("lan", "wan")]


def test_wiki_snippet_with_ellipsis_and_uci_commands() -> None:
    res = parse_uci(body("firewall-openwrtwiki-flowoffload-1.txt"), "firewall")
    # 8 non-blank body lines: 2 'uci set', 'uci commit', init.d restart, 'config defaults',
    # the '…' line, 2 options -> 5 unreadable as a config file
    assert res.unparsed_count == 5
    # grep -n "…" on the body -> line 7
    assert [u.line_no for u in res.unparsed if u.text == "…"] == [7]
    fw = fw4_settings(res.value)
    assert (fw.flow_offloading, fw.flow_offloading_hw) == (True, True)


def test_commented_out_offload_means_off() -> None:
    res = parse_uci(body("firewall-openwrt9920-1.txt"), "firewall")
    # non-blank, non-'#' body lines: 13 (prompt, 10 'Section ...' lines, 2 nft errors)
    assert res.unparsed_count == 13
    assert res.value.sections == []
    fw = fw4_settings(res.value)
    assert (fw.flow_offloading, fw.flow_offloading_hw) == (False, False)


def test_sqm_config_in_a_tc_paste() -> None:
    res = parse_uci(body("tc-cakeautorate274-1.txt"), "sqm")
    # prompts (2) + 'qdisc' lines (2) + indented stat lines ' Sent'/' backlog' (2)
    assert res.unparsed_count == 6
    (q,) = sqm_queues(res.value)
    assert (q.name, q.interface, q.enabled, q.qdisc, q.script) == (
        "eth1",
        "eth0",
        True,
        "cake",
        "piece_of_cake.qos",
    )


def test_sqm_default_is_disabled() -> None:
    (q,) = sqm_queues(parse_uci(body("openwrt-default-sqm.txt"), "sqm").value)
    assert (q.name, q.interface, q.enabled, q.qdisc, q.script) == (
        "eth1",
        "eth1",
        False,
        "fq_codel",
        None,
    )


def test_netifd_example_network() -> None:
    res = parse_uci(body("openwrt-default-network-netifd.txt"), "network")
    assert res.ok
    assert len(res.value.sections) == 10  # grep -cE '^config '
    nd = network_devices(res.value)
    assert nd["bridges"]["br-lan"].ports == ["eth0.1", "eth0.2"]  # 'list ifname' ports
    assert nd["bridges"]["br-lan2"].ports == ["eth0.3", "eth0.5"]  # lan2 'type bridge'
    assert nd["bridges"]["br-lan2"].source == "interface type bridge"
    assert {n: (v.lower, v.vid) for n, v in nd["vlans"].items()} == {
        "eth0.1": ("eth0", 1),
        "eth0.2": ("eth0", 2),
        "eth0.3": ("eth0", 3),
        "eth0.4": ("eth0", 4),
        "eth0.5": ("eth0", 5),
    }
    wan = nd["interfaces"]["wan"]
    assert (wan.proto, wan.device, wan.l3_device) == ("pppoe", "br-lan2", "pppoe-wan")
    assert nd["interfaces"]["lan2"].device == "br-lan2"
    assert nd["interfaces"]["test"].devices == ["@test"]
    assert nd["packet_steering"] is None
    assert len(nd["interfaces"]) == 7  # grep -c '^config interface'


def test_basefiles_network_old_bridge_syntax() -> None:
    res = parse_uci(body("openwrt-default-network-basefiles.txt"), "network")
    assert res.ok
    nd = network_devices(res.value)
    assert nd["bridges"] == {"br-lan": nd["devices"]["br-lan"]}
    assert nd["bridges"]["br-lan"].ports == ["eth0"]
    assert nd["interfaces"]["lan"].device == "br-lan"
    assert nd["interfaces"]["wan6"].devices == ["@wan"]
    assert res.value.of_type("globals")[0].get("ula_prefix") == "auto"


def test_netifd_example_wireless() -> None:
    res = parse_uci(body("openwrt-default-wireless-netifd.txt"), "wireless")
    assert res.ok and len(res.value.sections) == 4  # grep -cE '^config '
    vlan = res.value.of_type("wifi-vlan")[0]
    assert vlan.options == {"iface": "vif0", "name": "v#", "vid": "*"}
    (radio,) = wireless_radios(res.value)
    assert (radio.name, radio.band, radio.hwmode, radio.disabled) == ("radio0", "2g", None, False)
    assert radio.ifaces == [
        {"section": "vif0", "device": "radio0", "mode": "ap", "network": "lan", "ssid": "OpenWrt"}
    ]


# --------------------------------------------------------------------------- interpreters

# uci export form (libuci uci_export_package: "\toption %s '%s'")
OLD_WIRELESS = """
config wifi-device 'radio0'
\toption type 'mac80211'
\toption hwmode '11g'
\toption htmode 'HT20'

config wifi-device 'radio1'
\toption type 'mac80211'
\toption hwmode '11a'
\toption htmode 'VHT80'
\toption disabled '1'

config wifi-device 'radio2'
\toption type 'mac80211'
\toption htmode 'HE80'

config wifi-iface 'wifinet1'
\toption device 'radio1'
\toption mode 'ap'
\toption wds '1'
\tlist network 'lan'
\tlist network 'iot'
"""


def test_wireless_hwmode_bands_and_attached_ifaces() -> None:
    radios = {r.name: r for r in wireless_radios(parse_uci(OLD_WIRELESS, "wireless").value)}
    assert radios["radio0"].band == "2g"
    assert radios["radio1"].band == "5g" and radios["radio1"].disabled
    assert radios["radio2"].band is None  # htmode alone does not fix the band
    assert radios["radio1"].ifaces == [
        {
            "section": "wifinet1",
            "device": "radio1",
            "mode": "ap",
            "network": "lan iot",
            "wds": "1",
        }
    ]


DSA_NETWORK = """
config globals 'globals'
\toption packet_steering '2'

config device
\toption name 'br-lan'
\toption type 'bridge'
\tlist ports 'lan1'
\tlist ports 'lan2'

config bridge-vlan
\toption device 'br-lan'
\toption vlan '10'
\tlist ports 'lan1:u*'

config device
\toption type '8021q'
\toption ifname 'wan'
\toption vid '7'
\toption name 'wan.7'

config interface 'lan'
\toption device 'br-lan.10'
\toption proto 'static'

config interface 'wan'
\toption device 'wan.7'
\toption proto 'pppoe'

config interface 'wg0'
\toption proto 'wireguard'
"""


def test_network_dsa_syntax() -> None:
    nd = network_devices(parse_uci(DSA_NETWORK, "network").value)
    assert nd["packet_steering"] == "2"
    assert nd["bridges"]["br-lan"].ports == ["lan1", "lan2"]
    assert (nd["vlans"]["wan.7"].lower, nd["vlans"]["wan.7"].vid) == ("wan", 7)
    assert nd["vlans"]["wan.7"].source == "config device"
    assert nd["vlans"]["br-lan.10"].source == "bridge-vlan"
    assert nd["vlans"]["br-lan.10"].ports == ["lan1"]
    assert nd["interfaces"]["wan"].l3_device == "pppoe-wan"
    assert nd["interfaces"]["wg0"].l3_device == "wg0"
    assert nd["interfaces"]["lan"].l3_device == "br-lan.10"


def test_uci_booleans() -> None:
    for v in ("1", "on", "true", "yes", "enabled"):
        assert uci_bool(v) is True
    for v in ("0", "off", "false", "no", "disabled"):
        assert uci_bool(v) is False
    assert uci_bool("YES") is None and uci_bool(None, True) is True
    assert fw4_bool("enabled") is None and fw4_bool("on") is True and fw4_bool("no") is False


def fw_defaults(lines: str) -> UciConfig:
    return parse_uci(f"config defaults\n{lines}config zone\n option name lan\n", "firewall").value


def test_fw4_booleans_follow_fw4() -> None:
    fw = fw4_settings(fw_defaults(" option flow_offloading 'on'\n option flow_offloading_hw yes\n"))
    assert (fw.flow_offloading, fw.flow_offloading_hw) == (True, True)
    # fw4 rejects 'enabled' and then discards the whole defaults section: both off
    fw = fw4_settings(
        fw_defaults(" option flow_offloading 1\n option flow_offloading_hw enabled\n")
    )
    assert (fw.flow_offloading, fw.flow_offloading_hw) == (False, False)
    # an option given as a list: "must not be a list" -> section discarded
    fw = fw4_settings(fw_defaults(" list flow_offloading 1\n"))
    assert fw.flow_offloading is False
    # only the first defaults section counts
    cfg = parse_uci(
        "config defaults\n option flow_offloading 0\nconfig defaults\n option flow_offloading 1\n",
        "firewall",
    ).value
    assert fw4_settings(cfg).flow_offloading is False


def test_fw4_zones_devices_and_disabled() -> None:
    cfg = parse_uci(
        "config zone\n option name vpn\n option device 'wg0 tun+'\n option masq on\n"
        "config zone\n option name off\n option enabled 0\n"
        "config zone\n list network lan\n"  # no name: fw4 skips it
        "config forwarding\n option src vpn\n option dest lan\n option enabled no\n",
        "firewall",
    ).value
    fw = fw4_settings(cfg)
    assert [(z.name, z.devices, z.networks, z.masq) for z in fw.zones] == [
        ("vpn", ["wg0", "tun+"], [], True)
    ]
    assert fw.forwardings == []


# --------------------------------------------------------------------------- uci show


# `uci show firewall` shape (cli.c uci_show_section/uci_show_value); section lines first,
# lists as quoted words separated by a space, values with "'\''" for a quote.
SHOW = """firewall.@defaults[0]=defaults
firewall.@defaults[0].flow_offloading='1'
firewall.@defaults[0].flow_offloading_hw='0'
firewall.@zone[0]=zone
firewall.@zone[0].name='lan'
firewall.@zone[0].network='lan'
firewall.@zone[1]=zone
firewall.@zone[1].name='wan'
firewall.@zone[1].network='wan' 'wan6'
firewall.@zone[1].masq='1'
firewall.cfg0c92bd=forwarding
firewall.cfg0c92bd.src='lan'
firewall.cfg0c92bd.dest='wan'
firewall.r1=rule
firewall.r1.name='it'\\''s'
firewall.r1.desc='two
lines'
"""


def test_uci_show_output() -> None:
    res = parse_uci_show(SHOW)
    assert res.ok
    fw = res.value["firewall"]
    assert [(s.type, s.name, s.index) for s in fw.sections] == [
        ("defaults", None, 0),
        ("zone", None, 0),
        ("zone", None, 1),
        ("forwarding", "cfg0c92bd", 0),
        ("rule", "r1", 0),
    ]
    assert fw.sections[2].lists == {"network": ["wan", "wan6"]}
    assert fw.sections[4].options == {"name": "it's", "desc": "two\nlines"}
    settings_ = fw4_settings(fw)
    assert (settings_.flow_offloading, settings_.flow_offloading_hw) == (True, False)
    assert settings_.forwardings == [("lan", "wan")]


def test_uci_show_grep_excerpt_and_prompt() -> None:
    res = parse_uci_show(
        "root@OpenWrt:~# uci show firewall | grep masq\nfirewall.@zone[1].masq='1'\n"
    )
    assert res.unparsed_count == 1 and res.unparsed[0].line_no == 1
    (sec,) = res.value["firewall"].sections
    assert (sec.type, sec.index, sec.options) == ("zone", 1, {"masq": "1"})


def test_uci_export_output() -> None:
    # `uci export` shape: "package %s" then uci_export_package()
    text = (
        "package network\n\nconfig interface 'lan'\n\toption proto 'static'\n\n"
        "package sqm\n\nconfig queue 'eth1'\n\toption enabled '1'\n\n"
    )
    res = parse_uci_show(text)
    assert res.ok
    assert res.value["network"].sections[0].options == {"proto": "static"}
    assert sqm_queues(res.value["sqm"])[0].enabled is True


# --------------------------------------------------------------------------- uci commands


def test_uci_commands_wiki() -> None:
    res = parse_uci_commands(body("firewall-openwrtwiki-flowoffload-1.txt"))
    assert res.value == {
        "firewall.@defaults[0].flow_offloading": "1",
        "firewall.@defaults[0].flow_offloading_hw": "1",
    }
    # 8 non-blank lines: 3 are uci commands (2 set + commit) -> 5 skipped
    assert res.unparsed_count == 5


def test_uci_commands_issue_9935() -> None:
    res = parse_uci_commands(body("firewall-openwrt9935-1.txt"))
    assert res.value == {
        "firewall.@defaults[0].flow_offloading": "1",
        "firewall.@defaults[0].flow_offloading_hw": "1",
    }
    # 7 non-blank body lines, 3 start with 'uci ' -> 4 skipped
    assert res.unparsed_count == 4


def test_uci_get_with_its_output_line() -> None:
    res = parse_uci_commands(body("nft-openwrtpr24178-1.txt"))
    # grep -c 'uci -q get' -> 2, each followed by its output '1'
    assert res.value == {
        "firewall.@defaults[0].flow_offloading": "1",
        "firewall.@defaults[0].flow_offloading_hw": "1",
    }
    # 34 non-blank lines - 2 commands - 2 outputs consumed = 30 skipped
    assert res.unparsed_count == 30


def test_uci_commands_lists_delete_and_chains() -> None:
    res = parse_uci_commands(
        "uci add_list firewall.@zone[1].network='wan'; uci add_list firewall.@zone[1].network=wg\n"
        "uci set sqm.eth1.enabled=1 && uci commit sqm\n"
        "uci del_list firewall.@zone[1].network=wan\n"
        "uci set sqm.eth1=queue\n"
        "uci delete sqm.eth1\n"
        'uci -q set "network.wan.proto=pppoe" 2>/dev/null\n'
    )
    assert res.ok
    assert res.value == {"firewall.@zone[1].network": "wg", "network.wan.proto": "pppoe"}


# --------------------------------------------------------------------------- properties

NAME = st.from_regex(r"[A-Za-z0-9_]{1,8}", fullmatch=True)
TYPE = st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True)
VALUE = st.text(
    alphabet=st.characters(codec="ascii", exclude_categories=("Cc",)) | st.sampled_from("\t\n"),
    max_size=12,
)


@st.composite
def configs(draw: st.DrawFn) -> list[tuple[str, str | None, dict[str, str], dict[str, list]]]:
    out = []
    names = draw(st.lists(NAME, unique=True, max_size=4))
    for i in range(draw(st.integers(0, 5))):
        name = names[i] if i < len(names) else None
        keys = draw(st.lists(NAME, unique=True, max_size=5))
        split = draw(st.integers(0, len(keys)))
        opts = {k: draw(VALUE.filter(bool)) for k in keys[:split]}
        lists = {k: draw(st.lists(VALUE, min_size=1, max_size=3)) for k in keys[split:]}
        out.append((draw(TYPE), name, opts, lists))
    return out


def q(value: str) -> str:
    """libuci uci_escape(): a quote becomes '\\''."""
    return "'" + value.replace("'", "'\\''") + "'"


def export(cfg: list) -> str:
    """Render like libuci uci_export_package()."""
    out = ["package p\n"]
    for type_, name, opts, lists in cfg:
        out.append(f"\nconfig {type_}" + (f" {q(name)}" if name else "") + "\n")
        out += [f"\toption {k} {q(v)}\n" for k, v in opts.items()]
        out += [f"\tlist {k} {q(v)}\n" for k, vs in lists.items() for v in vs]
    return "".join(out)


def show(cfg: list) -> str:
    """Render like `uci show p` (cli.c): anonymous sections as @type[N]."""
    out, seen = [], {}
    for type_, name, opts, lists in cfg:
        ref = name or f"@{type_}[{seen.get(type_, 0)}]"
        seen[type_] = seen.get(type_, 0) + 1
        out.append(f"p.{ref}={type_}\n")
        out += [f"p.{ref}.{k}={q(v)}\n" for k, v in opts.items()]
        out += [f"p.{ref}.{k}=" + " ".join(q(v) for v in vs) + "\n" for k, vs in lists.items()]
    return "".join(out)


@settings(max_examples=150)
@given(configs())
def test_export_round_trip(cfg: list) -> None:
    res = parse_uci(export(cfg), "p")
    assert res.ok, res.unparsed
    got = [(s.type, s.name, s.options, s.lists) for s in res.value.sections]
    assert got == [(t, n, o, lst) for t, n, o, lst in cfg]


@settings(max_examples=150)
@given(configs())
def test_show_round_trip(cfg: list) -> None:
    res = parse_uci_show(show(cfg))
    secs = res.value.get("p", UciConfig("p")).sections
    assert len(secs) == len(cfg)
    for sec, (t, n, o, lists) in zip(secs, cfg, strict=True):
        assert (sec.type, sec.name) == (t, n)
        for k, v in o.items():
            assert sec.options[k] == v
        for k, vs in lists.items():
            # a one-element list prints like an option; an empty one is unreadable
            if len(vs) > 1:
                assert sec.lists[k] == vs
            elif vs[0]:
                assert sec.options[k] == vs[0]


@settings(max_examples=300)
@given(st.text(max_size=300))
def test_fuzz_never_raises(text: str) -> None:
    for res in (parse_uci(text, "p"), parse_uci_show(text), parse_uci_commands(text)):
        assert res.unparsed_count >= len(res.unparsed)
    cfg = parse_uci(text, "p").value
    fw4_settings(cfg)
    wireless_radios(cfg)
    sqm_queues(cfg)
    network_devices(cfg)


REAL_LINES = [
    line
    for name in (
        "openwrt-default-firewall.txt",
        "openwrt-default-network-netifd.txt",
        "openwrt-default-wireless-netifd.txt",
        "firewall-openwrtwiki-flowoffload-1.txt",
    )
    for line in body(name).splitlines()
    if line.strip()
]


@settings(max_examples=300)
@given(
    st.lists(st.sampled_from(REAL_LINES), min_size=1, max_size=30),
    st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from("'\"\\#; \n\tx")), max_size=5),
)
def test_fuzz_mutated_real_lines(lines: list[str], edits: list[tuple[int, str]]) -> None:
    text = "\n".join(lines)
    for pos, ch in edits:
        p = pos % (len(text) + 1)
        text = text[:p] + ch + text[p:]
    res = parse_uci(text, "p")
    # every line is either read or recorded; never more records than lines
    assert res.unparsed_count <= len(text.split("\n"))
    assert all(1 <= u.line_no <= len(text.split("\n")) for u in res.unparsed)
    fw4_settings(res.value)
    parse_uci_show(text)
    parse_uci_commands(text)


def test_parsers_do_no_io_and_never_import_textual() -> None:
    import offtui.parsers.firewalld
    import offtui.parsers.iplink
    import offtui.parsers.tc
    import offtui.parsers.uci

    for mod in (
        offtui.parsers.uci,
        offtui.parsers.firewalld,
        offtui.parsers.tc,
        offtui.parsers.iplink,
    ):
        src = Path(mod.__file__).read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import|from)\s+(textual|subprocess|socket|os)\b", src, re.M)
        assert "open(" not in src and "Path(" not in src


def test_uci_show_unterminated_quote_keeps_following_lines() -> None:
    res = parse_uci_show(
        "network.lan=interface\nnetwork.lan.proto='static\nnetwork.lan.mtu='1500'\n"
    )
    assert res.unparsed_count == 1 and res.unparsed[0].line_no == 2
    assert res.value["network"].sections[0].options == {"mtu": "1500"}
