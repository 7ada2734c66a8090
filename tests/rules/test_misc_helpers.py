"""Properties of rules/_misc_helpers.py (pure text helpers used by several rules)."""

from __future__ import annotations

import calendar

from hypothesis import given
from hypothesis import strategies as st

from offtui.rules._misc_helpers import (
    is_routable_multicast,
    kernel_build_month,
    kernel_version,
)

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@given(st.text())
def test_helpers_never_raise_on_arbitrary_text(text: str) -> None:
    kernel_build_month(text)
    kernel_version(text)
    is_routable_multicast(text)


@given(
    year=st.integers(1990, 2099),
    month=st.integers(1, 12),
    day=st.integers(1, 28),
    hh=st.integers(0, 23),
    release=st.from_regex(r"\A[3-6]\.[0-9]{1,2}\.[0-9]{1,3}\Z"),
)
def test_kernel_build_month_round_trip(
    year: int, month: int, day: int, hh: int, release: str
) -> None:
    # `uname -a` as OpenWrt prints it: "Linux <host> <release> #0 SMP <Day Mon dd hh:mm:ss yyyy>"
    dow = DAYS[calendar.weekday(year, month, day)]
    mon = calendar.month_abbr[month]
    date = f"{dow} {mon} {day:2d} {hh:02d}:00:00 {year}"
    uname = f"Linux OpenWrt {release} #0 SMP {date} aarch64 GNU/Linux"
    assert kernel_build_month(uname) == (year, month)
    assert kernel_version(release) == tuple(int(x) for x in release.split("."))


def test_kernel_build_month_reads_the_real_dmesg_banner() -> None:
    # dmesg-openwrt23244-1.txt, body line 2
    banner = (
        "[    0.000000] Linux version 6.18.31 (kyoto44@arch) (aarch64-openwrt-linux-musl-gcc "
        "(OpenWrt GCC 14.3.0 r34504-ef7b7579ee) 14.3.0, GNU ld (GNU Binutils) 2.44) #0 SMP "
        "Tue May 19 18:02:54 2026"
    )
    assert kernel_build_month(banner) == (2026, 5)
    # the lab's Debian uname has a package date, not a build time: not read as one
    lab = (
        "Linux lab-router 6.1.0-56-cloud-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 "
        "(2026-11-16) x86_64 GNU/Linux"
    )
    assert kernel_build_month(lab) is None


def test_routable_multicast() -> None:
    assert is_routable_multicast("239.255.0.1")
    assert is_routable_multicast("ff0e::1")
    assert not is_routable_multicast("224.0.0.22")  # IGMPv3 reports: link-local
    assert not is_routable_multicast("ff02::16")  # MLDv2 reports: link-local
    assert not is_routable_multicast("10.0.2.2")
    assert not is_routable_multicast("x.x.x.x")
