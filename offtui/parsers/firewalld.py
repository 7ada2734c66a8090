"""``/etc/firewalld/firewalld.conf``: ``KEY=value`` lines.

Read the way firewalld itself reads it (``firewalld_conf.read()`` in
``src/firewall/core/io/firewalld_conf.py``), so offtui sees the same settings firewalld
runs with:

* each line is stripped; empty lines and lines starting with ``#`` or ``;`` are ignored;
* a line must split on ``=`` into exactly two parts (a value containing ``=`` is
  rejected), key and value are stripped, an empty value is rejected;
* the *first* definition of a key wins, later ones are ignored ("Duplicate option");
* values are not unquoted: ``NftablesFlowtable="eth0"`` names a device ``"eth0"``.

firewalld rejects keys outside its own list, which grows between versions (older
releases do not know ``NftablesFlowtable``); they are kept in ``options`` here so a
rule can say so, rather than dropped.
"""

from __future__ import annotations

from offtui.model import FirewalldSettings
from offtui.parsers.common import Parsed

__all__ = ["parse_firewalld_conf"]


def parse_firewalld_conf(text: str) -> Parsed[FirewalldSettings]:
    """Parse firewalld.conf.

    ``nftables_flowtable`` is None when the key is absent: "not set", which firewalld
    treats as its default ``off`` (no flowtable). ``options`` holds every key read,
    including ``NftablesFlowtable`` and ``FirewallBackend``.
    """
    options: dict[str, str] = {}
    result: Parsed[FirewalldSettings] = Parsed(FirewalldSettings(nftables_flowtable=None))
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        pair = [part.strip() for part in line.split("=")]
        if len(pair) != 2 or not pair[0]:
            result.skip(line_no, raw, "invalid option definition (not KEY=value)")
            continue
        key, value = pair
        if not value:
            result.skip(line_no, raw, "missing value")
            continue
        if key in options:
            result.skip(line_no, raw, "duplicate option definition (firewalld keeps the first)")
            continue
        options[key] = value
    result.value = FirewalldSettings(
        nftables_flowtable=options.get("NftablesFlowtable"),
        firewall_backend=options.get("FirewallBackend"),
        options=options,
    )
    return result
