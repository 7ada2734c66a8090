"""Combine the JSON and the text listing of one ruleset.

The JSON is authoritative for structure (it is complete and unambiguous), but nft's JSON
leaves out facts the text prints: a flowtable's ``counter`` and ``flags offload`` (never in
JSON up to nftables 1.1.x), the name form of priorities (``filter + 10``), and before
nftables 1.0.9 a netdev chain's devices. Those are taken from the text object of the same
family, table and name.
"""

from __future__ import annotations

import copy

from offtui.model import Ruleset


def merge_rulesets(json_rs: Ruleset | None, text_rs: Ruleset | None) -> Ruleset | None:
    """JSON structure completed by the text listing; either side may be ``None``.

    Neither input is modified. With only one side, a copy of it is returned unchanged.
    """
    if json_rs is None:
        return copy.deepcopy(text_rs) if text_rs is not None else None
    merged = copy.deepcopy(json_rs)
    if text_rs is None:
        return merged
    text_fts = {(f.family, f.table, f.name): f for f in text_rs.flowtables}
    for ft in merged.flowtables:
        tft = text_fts.get((ft.family, ft.table, ft.name))
        if tft is None:
            continue
        ft.counter = tft.counter
        ft.hw_offload = tft.hw_offload
        ft.priority_text = tft.priority_text
        if not ft.devices and tft.devices:
            ft.devices = list(tft.devices)
    text_chains = {(c.family, c.table, c.name): c for c in text_rs.chains}
    for chain in merged.chains:
        tchain = text_chains.get((chain.family, chain.table, chain.name))
        if tchain is None:
            continue
        if chain.priority_text is None:
            chain.priority_text = tchain.priority_text
        if not chain.devices and tchain.devices:
            chain.devices = list(tchain.devices)
    merged.source = "json+text"
    merged.truncated = json_rs.truncated
    return merged
