"""mwan3-failover-flows-pinned with mwan3's real default config and the lab's routed capture."""

from __future__ import annotations

from pathlib import Path

from tests.rules._net import evidence_text, fires, lab, lab_variant, passes

ID = "mwan3-failover-flows-pinned"

#: openwrt/packages net/mwan3/files/etc/config/mwan3
#: @3d2b5b7b77b7c2f7034859cbd314034c3af08868, verbatim: the config mwan3 installs
#: (only `wan` enabled).
MWAN3_DEFAULT = """# For full documentation of mwan3 configuration:
# https://openwrt.org/docs/guide-user/network/wan/multiwan/mwan3#mwan3_configuration

config globals 'globals'
\toption mmx_mask '0x3F00'

config interface 'wan'
\toption enabled '1'
\tlist track_ip '1.0.0.1'
\tlist track_ip '1.1.1.1'
\tlist track_ip '208.67.222.222'
\tlist track_ip '208.67.220.220'
\toption family 'ipv4'
\toption reliability '2'

config interface 'wan6'
\toption enabled '0'
\tlist track_ip '2606:4700:4700::1001'
\tlist track_ip '2606:4700:4700::1111'
\tlist track_ip '2620:0:ccd::2'
\tlist track_ip '2620:0:ccc::2'
\toption family 'ipv6'
\toption reliability '2'

config interface 'wanb'
\toption enabled '0'
\tlist track_ip '1.0.0.1'
\tlist track_ip '1.1.1.1'
\tlist track_ip '208.67.222.222'
\tlist track_ip '208.67.220.220'
\toption family 'ipv4'
\toption reliability '1'

config interface 'wanb6'
\toption enabled '0'
\tlist track_ip '2606:4700:4700::1001'
\tlist track_ip '2606:4700:4700::1111'
\tlist track_ip '2620:0:ccd::2'
\tlist track_ip '2620:0:ccc::2'
\toption family 'ipv6'
\toption reliability '1'

config member 'wan_m1_w3'
\toption interface 'wan'
\toption metric '1'
\toption weight '3'

config member 'wan_m2_w3'
\toption interface 'wan'
\toption metric '2'
\toption weight '3'

config member 'wanb_m1_w2'
\toption interface 'wanb'
\toption metric '1'
\toption weight '2'

config member 'wanb_m1_w3'
\toption interface 'wanb'
\toption metric '1'
\toption weight '3'

config member 'wanb_m2_w2'
\toption interface 'wanb'
\toption metric '2'
\toption weight '2'

config member 'wan6_m1_w3'
\toption interface 'wan6'
\toption metric '1'
\toption weight '3'

config member 'wan6_m2_w3'
\toption interface 'wan6'
\toption metric '2'
\toption weight '3'

config member 'wanb6_m1_w2'
\toption interface 'wanb6'
\toption metric '1'
\toption weight '2'

config member 'wanb6_m1_w3'
\toption interface 'wanb6'
\toption metric '1'
\toption weight '3'

config member 'wanb6_m2_w2'
\toption interface 'wanb6'
\toption metric '2'
\toption weight '2'

config policy 'wan_only'
\tlist use_member 'wan_m1_w3'
\tlist use_member 'wan6_m1_w3'

config policy 'wanb_only'
\tlist use_member 'wanb_m1_w2'
\tlist use_member 'wanb6_m1_w2'

config policy 'balanced'
\tlist use_member 'wan_m1_w3'
\tlist use_member 'wanb_m1_w3'
\tlist use_member 'wan6_m1_w3'
\tlist use_member 'wanb6_m1_w3'

config policy 'wan_wanb'
\tlist use_member 'wan_m1_w3'
\tlist use_member 'wanb_m2_w2'
\tlist use_member 'wan6_m1_w3'
\tlist use_member 'wanb6_m2_w2'

config policy 'wanb_wan'
\tlist use_member 'wan_m2_w3'
\tlist use_member 'wanb_m1_w2'
\tlist use_member 'wan6_m2_w3'
\tlist use_member 'wanb6_m1_w2'

config rule 'https'
\toption sticky '1'
\toption dest_port '443'
\toption proto 'tcp'
\toption use_policy 'balanced'

config rule 'default_rule_v4'
\toption dest_ip '0.0.0.0/0'
\toption use_policy 'balanced'
\toption family 'ipv4'

config rule 'default_rule_v6'
\toption dest_ip '::/0'
\toption use_policy 'balanced'
\toption family 'ipv6'
"""

WANB_ON = MWAN3_DEFAULT.replace(
    "config interface 'wanb'\n\toption enabled '0'", "config interface 'wanb'\n\toption enabled '1'"
)


def test_fires_with_two_uplinks_and_no_flush(tmp_path: Path) -> None:
    # Edit: `wanb` enabled ('0' -> '1'), the second uplink of a failover setup.
    assert WANB_ON != MWAN3_DEFAULT
    snap = lab_variant(tmp_path, "routed-sfo", add={"etc/config/mwan3": WANB_ON})
    res = fires(snap, ID)
    (f,) = res.findings
    assert "mwan3 fails over between wan, wanb" in f.message
    ev = evidence_text(res)
    assert "etc/config/mwan3: config interface 'wan': enabled, no flush_conntrack" in ev
    assert "etc/config/mwan3: config interface 'wanb': enabled, no flush_conntrack" in ev
    assert "flowtable inet fw4 ft" in ev
    assert "uci add_list mwan3.wanb.flush_conntrack='disconnected'" in f.fix


def test_passes_with_flush_conntrack(tmp_path: Path) -> None:
    # Edit on top: `list flush_conntrack 'disconnected'` added to interface wan.
    cfg = WANB_ON.replace(
        "config interface 'wan'\n",
        "config interface 'wan'\n\tlist flush_conntrack 'disconnected'\n",
    )
    snap = lab_variant(tmp_path, "routed-sfo", add={"etc/config/mwan3": cfg})
    res = passes(snap, ID)
    assert "flush_conntrack set on wan" in res.reason


def test_passes_with_the_default_single_uplink(tmp_path: Path) -> None:
    snap = lab_variant(tmp_path, "routed-sfo", add={"etc/config/mwan3": MWAN3_DEFAULT})
    res = passes(snap, ID)
    assert "1 enabled mwan3 interface" in res.reason


def test_passes_when_mwan3_is_not_installed() -> None:
    # routed-sfo's manifest records /etc/config/mwan3 as missing.
    assert "not installed" in passes(lab("routed-sfo"), ID).reason
