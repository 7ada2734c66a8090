"""How many FOE entries one PPE holds, and which SoC a capture comes from.

What is cited (the only facts encoded here):

- MediaTek ``mtk_ppe.h``: ``MTK_PPE_ENTRIES = 1024 << MTK_PPE_ENTRIES_SHIFT``. The shift was 3
  (8192 entries) from the PPE's introduction (commit ba37b7caf1ed, "net: ethernet:
  mtk_eth_soc: add support for initializing the PPE", March 2021) until commit ca18300e00d5 "net:
  ethernet: mtk_ppe: Change PPE entries number to 16K" (Shengyu Qu / Elad Yifee, v3 posted
  2024-07-05), which set it to 4 (16384). The netdev patchwork bot reports it applied to
  net-next on 2024-07-06 while mainline was at v6.10-rc7 (linux-next next-20240709 carries
  it), so the first release with 16384 is v6.11. v2 of the patch carried ``Cc: stable`` and
  a Fixes tag; v3 dropped the Fixes tag at the maintainer's request, so no stable backport
  is assumed. The patch states MT7981/7986/7988 support 32768 and MT7620/7621 16384 entries
  in hardware; an RFC for 32768 (shift 5) was not applied.
- No OpenWrt target patch changing the shift was found (searched; not confirmed absent).
- The debugfs ``%05x`` index is the FOE hash index, always ``< MTK_PPE_ENTRIES``; an index
  above 8191 therefore proves a larger table whatever the kernel version says.
- Airoha (``airoha_eth.h``): the table size is built from ``PPE_SRAM_NUM_ENTRIES`` and
  ``PPE_DRAM_NUM_ENTRIES``, which changed between driver versions, so no fixed number is
  given for Airoha SoCs; only index evidence is used there.
"""

from __future__ import annotations

import re
from collections import Counter

_SHIFT3 = 1024 << 3
_SHIFT4 = 1024 << 4
#: First mainline release with MTK_PPE_ENTRIES_SHIFT 4 (see the module docstring).
SHIFT4_SINCE = (6, 11)

_AIROHA = ("an7581", "an7583", "en7581")
_RELEASE = re.compile(r"^\s*(\d+)\.(\d+)")


def _kernel_version(release: str | None) -> tuple[int, int] | None:
    if not release:
        return None
    m = _RELEASE.match(release)
    return (int(m[1]), int(m[2])) if m else None


def _table_size_for_index(index: int) -> int:
    """Smallest ``1024 << shift`` table that holds ``index``."""
    size = 1024
    while size <= index:
        size <<= 1
    return size


def ppe_capacity(
    kernel_release: str | None, soc: str | None, n_ppe: int, max_index_seen: int | None
) -> tuple[int | None, str]:
    """Entries per PPE and a reason a user can read; ``(None, reason)`` when unknown.

    Index evidence (``max_index_seen``, the largest hash index in the PPE tables) wins over
    the kernel version, because a vendor kernel may carry its own table size.
    """
    per = f" per PPE ({n_ppe} PPEs)" if n_ppe > 1 else ""
    airoha = bool(soc) and soc.lower().startswith(_AIROHA)
    if max_index_seen is not None and max_index_seen >= _SHIFT3:
        size = _table_size_for_index(max_index_seen)
        return size, (
            f"{size} entries{per}: index {max_index_seen:#x} > {size // 2 - 1} seen in this table"
        )
    if airoha:
        return None, "unknown: Airoha table size depends on the driver version"
    version = _kernel_version(kernel_release)
    if version is None:
        return None, "unknown: kernel version not known"
    if version >= SHIFT4_SINCE:
        return _SHIFT4, (
            f"{_SHIFT4} entries{per}: kernel {version[0]}.{version[1]} "
            "(MTK_PPE_ENTRIES_SHIFT 4 since 6.11)"
        )
    return _SHIFT3, (
        f"{_SHIFT3} entries{per}: kernel {version[0]}.{version[1]} (MTK_PPE_ENTRIES_SHIFT 3)"
    )


# --------------------------------------------------------------------------- SoC guess

#: SoCs with a MediaTek/Airoha frame engine that offtui can name. Wi-Fi chips (mt7915,
#: mt7916, mt7992, mt7996...) and switches (mt7530, mt7531) are deliberately absent: they
#: appear in logs of boards built on any of these SoCs.
SOCS = (
    "mt7620",
    "mt7621",
    "mt7622",
    "mt7623",
    "mt7628",
    "mt7629",
    "mt7981",
    "mt7986",
    "mt7987",
    "mt7988",
    "an7581",
    "an7583",
    "en7581",
)
_SOC_RE = re.compile(r"(?<![0-9a-z])(" + "|".join(SOCS) + r")[a-z]?(?![0-9a-z])", re.IGNORECASE)
#: OpenWrt targets/subtargets that name a single SoC (``DISTRIB_TARGET``).
_TARGET_SOC = {
    "ramips/mt7621": "mt7621",
    "ramips/mt7620": "mt7620",
    "ramips/mt76x8": "mt7628",
    "mediatek/mt7622": "mt7622",
    "mediatek/mt7623": "mt7623",
    "mediatek/mt7629": "mt7629",
    "airoha/an7581": "an7581",
}
_TARGET_RE = re.compile(r"DISTRIB_TARGET=['\"]?([a-z0-9_\-]+/[a-z0-9_\-]+)")


def _tier(path: str) -> int:
    """Trust order of a capture file for the SoC name (lower is more direct)."""
    p = path.lower()
    if "compatible" in p or "device-tree" in p or "/dt" in p:
        return 0
    if "cpuinfo" in p:
        return 1
    if "openwrt_release" in p or "os-release" in p or "board" in p:
        return 2
    if "dmesg" in p or "logread" in p or "journal" in p or "log" in p:
        return 3
    return 4


def guess_soc(texts: dict[str, str]) -> str | None:
    """The SoC of a capture (``"mt7986"``...), from ``{capture path: text}``, or ``None``.

    Sources, most direct first: the device-tree ``compatible`` (``mediatek,mt7986a``),
    ``/proc/cpuinfo`` (ramips ``system type : MediaTek MT7621 ver:1``), the OpenWrt target
    (``DISTRIB_TARGET='ramips/mt7621'``; ``mediatek/filogic`` names a family, not a SoC) and
    board files, then logs (``mt7986-wmac``, ``mediatek/mt7986_wo_0.bin``), then anything
    else. Within the first tier that names a SoC the most frequent name wins; a tie between
    different SoCs gives ``None`` rather than a guess.
    """
    found: dict[int, Counter[str]] = {}
    for path, text in texts.items():
        tier = _tier(path)
        names = [m.group(1).lower() for m in _SOC_RE.finditer(text)]
        for m in _TARGET_RE.finditer(text):
            if m.group(1) in _TARGET_SOC:
                names.append(_TARGET_SOC[m.group(1)])
        if names:
            found.setdefault(tier, Counter()).update(names)
    for tier in sorted(found):
        ranked = found[tier].most_common()
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            return None
        return ranked[0][0]
    return None
