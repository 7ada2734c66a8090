"""Child of bench/conntrack_parse.py, run inside the namespace: read, parse, count.

It does what offtui does on a refresh of the conntrack panel (the local source reads the
file with ``Path.read_bytes()``, then ``parse_conntrack`` counts) and prints JSON: the counts,
the time of each step and the memory the step added.

* one shot (default): a fresh interpreter, so the time includes start-up and imports;
* ``--serve``: imports once, then one refresh per line read on stdin, one JSON line each
  (a running offtui refreshing its panel).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def refresh(path: str, parse: Callable[[bytes], Any]) -> dict:
    t1 = time.perf_counter()
    data = Path(path).read_bytes()
    t2 = time.perf_counter()
    res = parse(data)
    table = res.value
    counts = {
        "total": table.total,
        "offload": table.offload,
        "hw_offload": table.hw_offload,
        "assured": table.assured,
        "unreplied": table.unreplied,
        "by_proto": table.by_proto,
        "unparsed": res.unparsed_count,
    }
    t3 = time.perf_counter()
    return {
        **counts,
        "bytes": len(data),
        "read_s": t2 - t1,
        "parse_s": t3 - t2,
        "refresh_s": t3 - t1,
        "_table": table,
    }


def main() -> None:
    t0 = time.perf_counter()
    from offtui.parsers.conntrack import parse_conntrack

    import_s = time.perf_counter() - t0
    paths = [a for a in sys.argv[1:] if not a.startswith("--")]
    path = paths[0] if paths else "/proc/net/nf_conntrack"
    if "--serve" in sys.argv:
        print(json.dumps({"ready": True, "import_s": import_s}), flush=True)
        for _ in sys.stdin:
            out = refresh(path, parse_conntrack)
            del out["_table"]
            print(json.dumps(out), flush=True)
        return
    rss_before = _status_kb("VmRSS")
    out = refresh(path, parse_conntrack)
    table = out.pop("_table")
    out.update(import_s=import_s, rss_before_kb=rss_before, hwm_after_kb=_status_kb("VmHWM"))
    if "--flows" in sys.argv:
        # Materialising every Flow is not on the refresh path; measured for the record.
        t = time.perf_counter()
        flows = table.flows()
        out["flows_s"] = time.perf_counter() - t
        out["flows_len"] = len(flows)
        out["hwm_flows_kb"] = _status_kb("VmHWM")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
