"""``/proc/stat``, ``/proc/softirqs``, ``/proc/interrupts``, ``/proc/modules`` and ``lsmod``.

Shapes, from the kernel's ``seq_printf`` calls:

- ``/proc/stat`` (``fs/proc/stat.c``): ``cpu`` then one ``cpuN`` line per *online* CPU (so
  numbers can have gaps), each with as many jiffy columns as the kernel knows (4 on 2.4,
  7/8/9/10 as iowait, irq, softirq, steal, guest, guest_nice were added). Then ``intr``,
  ``ctxt``, ``btime``, ``processes``, ``procs_running``, ``procs_blocked``, ``softirq``.
- ``/proc/softirqs`` (``fs/proc/softirqs.c``): a header of ``CPU%d`` labels for every
  *possible* CPU, then ``%12s:`` rows (``NET_RX:``...) with one ``%10u`` per CPU.
- ``/proc/interrupts`` (``kernel/irq/proc.c`` and arch ``arch_show_interrupts``): a header of
  ``CPU%d`` for *online* CPUs, rows ``%*d:`` / ``NMI:`` with one count per CPU then the chip,
  hwirq, trigger and action names; ``ERR:`` and ``MIS:`` (x86) carry a single count.
- ``/proc/modules`` (``kernel/module/procfs.c`` ``m_show``): ``name size refcount deps state
  0x%px [taints]`` where deps is ``-`` or a list ending in ``,`` and refcount is ``-`` without
  CONFIG_MODULE_UNLOAD.
- ``lsmod``: kmod prints a ``Module Size Used by`` header and ``%-19s %8lu  %d`` rows; OpenWrt's
  ubox ``lsmod`` prints ``%-20s%8d%3d %s`` with no header, so a use count of 100 or more
  runs into the size (``217088165``): see :func:`_split_ubox_columns`.
"""

from __future__ import annotations

import re

from offtui.model import CpuTimes, InterruptLine, Module, ProcStat, Softirqs
from offtui.parsers.common import Parsed, is_shell_prompt

_CPU_FIELDS = (
    "user",
    "nice",
    "system",
    "idle",
    "iowait",
    "irq",
    "softirq",
    "steal",
    "guest",
    "guest_nice",
)
#: ``/proc/stat`` lines that are understood and deliberately not kept (btime is kept).
_STAT_KNOWN = frozenset(
    {"intr", "ctxt", "processes", "procs_running", "procs_blocked", "softirq", "page", "swap"}
)
_CPU_NAME = re.compile(r"^cpu\d*$")
_CPU_LABEL = re.compile(r"^CPU\d+$")


def parse_proc_stat(text: str) -> Parsed[ProcStat]:
    """Parse ``/proc/stat``. Fields past the tenth (a future kernel) are ignored."""
    result: Parsed[ProcStat] = Parsed(ProcStat(cpus=(), total=None))
    cpus: list[CpuTimes] = []
    total: CpuTimes | None = None
    btime: int | None = None
    for line_no, raw in enumerate(text.splitlines(), 1):
        parts = raw.split()
        if not parts:
            continue
        name = parts[0]
        if _CPU_NAME.match(name):
            nums = parts[1:]
            if len(nums) < 4 or not all(n.isdecimal() for n in nums):
                result.skip(line_no, raw, "cpu line needs at least 4 numeric jiffy fields")
                continue
            times = CpuTimes(name, *(int(n) for n in nums[: len(_CPU_FIELDS)]))
            if name == "cpu":
                total = times
            else:
                cpus.append(times)
        elif name == "btime" and len(parts) == 2 and parts[1].isdecimal():
            btime = int(parts[1])
        elif name in _STAT_KNOWN and all(p.isdecimal() for p in parts[1:]):
            continue
        elif is_shell_prompt(raw):
            result.skip(line_no, raw, "shell prompt")
        else:
            result.skip(line_no, raw, "not a /proc/stat line")
    result.value = ProcStat(cpus=tuple(cpus), total=total, btime=btime)
    return result


def _cpu_header(parts: list[str]) -> bool:
    return bool(parts) and all(_CPU_LABEL.match(p) for p in parts)


def parse_softirqs(text: str) -> Parsed[Softirqs]:
    """Parse ``/proc/softirqs`` ({name: per-CPU counts}, CPU labels as in the header).

    A row whose count of numbers differs from the header's CPU count (a cut paste) is
    skipped rather than guessed at.
    """
    result: Parsed[Softirqs] = Parsed(Softirqs(cpus=(), counts={}))
    labels: tuple[str, ...] | None = None
    counts: dict[str, tuple[int, ...]] = {}
    for line_no, raw in enumerate(text.splitlines(), 1):
        parts = raw.split()
        if not parts:
            continue
        if labels is None and _cpu_header(parts):
            labels = tuple(parts)
            continue
        if parts[0].endswith(":") and len(parts[0]) > 1:
            name = parts[0][:-1]
            nums = parts[1:]
            if not all(n.isdecimal() for n in nums):
                result.skip(line_no, raw, "softirq row with non-numeric counts")
            elif labels is None:
                result.skip(line_no, raw, "softirq row before the CPU header")
            elif len(nums) != len(labels):
                result.skip(
                    line_no, raw, f"softirq row has {len(nums)} counts for {len(labels)} CPUs"
                )
            else:
                counts[name] = tuple(int(n) for n in nums)
            continue
        result.skip(line_no, raw, "shell prompt" if is_shell_prompt(raw) else "not a softirq row")
    result.value = Softirqs(cpus=labels or (), counts=counts)
    return result


def parse_interrupts(text: str) -> Parsed[list[InterruptLine]]:
    """Parse ``/proc/interrupts``: per-CPU counts and the description text after them.

    Counts are read up to the header's CPU count; ``ERR:``/``MIS:`` rows with one count are
    read as that one count. The description (chip, hwirq, trigger, handlers) is kept as one
    whitespace-normalised string.
    """
    result: Parsed[list[InterruptLine]] = Parsed([])
    ncpu: int | None = None
    for line_no, raw in enumerate(text.splitlines(), 1):
        parts = raw.split()
        if not parts:
            continue
        if ncpu is None and _cpu_header(parts):
            ncpu = len(parts)
            continue
        head = parts[0]
        if not head.endswith(":") or len(head) < 2:
            reason = "shell prompt" if is_shell_prompt(raw) else "not an interrupt row"
            result.skip(line_no, raw, reason)
            continue
        if ncpu is None:
            result.skip(line_no, raw, "interrupt row before the CPU header")
            continue
        counts: list[int] = []
        rest = parts[1:]
        while rest and len(counts) < ncpu and rest[0].isdecimal():
            counts.append(int(rest.pop(0)))
        if not counts:
            result.skip(line_no, raw, "interrupt row without counts")
            continue
        result.value.append(InterruptLine(head[:-1], tuple(counts), " ".join(rest)))
    return result


# --------------------------------------------------------------------------- modules

_PROC_MODULES = re.compile(
    r"^(?P<name>\S+) (?P<size>\d+) (?P<ref>-?\d+|-) (?P<deps>\S+) "
    r"(?P<state>Live|Loading|Unloading) (?P<addr>0x[0-9a-fA-F]+)(?: \((?P<taint>[A-Z+\-]*)\))?$"
)
_LSMOD_HEADER = re.compile(r"^Module\s+Size\s+Used by\b")
_LSMOD_ROW = re.compile(r"^(?P<name>\S+)\s+(?P<size>\d+)\s+(?P<ref>-?\d+)(?:\s+(?P<deps>\S+))?$")
_UBOX_RUN_TOGETHER = re.compile(r"^(?P<name>\S+)\s+(?P<num>\d+)(?:\s+(?P<deps>\S+))?$")
_MODULE_NAME = re.compile(r"^[A-Za-z0-9_\-]+$")


def _deps(field: str | None) -> tuple[str, ...]:
    if not field or field == "-":
        return ()
    return tuple(d for d in field.split(",") if d and d != "[permanent]")


def _split_ubox_columns(line: str) -> tuple[int, int] | None:
    """Split the size/use-count columns of an ubox ``lsmod`` row that ran together.

    ubox ``kmodloader.c`` ``main_lsmod()`` prints ``"%-20s%8d%3d %s"``: when the name is
    shorter than 20 characters the size ends at column 28 and the use count at column 31,
    whatever the digits. This reads those columns; any other layout returns ``None``.
    """
    name = line.split()[0]
    if len(name) >= 20 or len(line) < 31 or line[20:31].strip() == "":
        return None
    size_col, ref_col = line[20:28], line[28:31]
    if line[len(name) : 20].strip() or not re.fullmatch(r" *\d+", size_col):
        return None
    if not re.fullmatch(r" *\d+", ref_col) or (len(line) > 31 and line[31] != " "):
        return None
    return int(size_col), int(ref_col)


def parse_modules(text: str) -> Parsed[dict[str, Module]]:
    """Parse ``/proc/modules`` or ``lsmod`` output (kmod/busybox with header, ubox without).

    ``used_by`` is the module's holders (the ``deps`` column). Taint flags of
    ``/proc/modules`` have no place in :class:`Module` and are dropped. An ubox row whose
    size and use count ran together is split at the columns of ubox's format string
    (``nf_tables  217088165`` -> size 217088, used by 165); a run-together number that does
    not sit in those columns is skipped with that reason.
    """
    result: Parsed[dict[str, Module]] = Parsed({})
    for line_no, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not line.strip():
            continue
        if _LSMOD_HEADER.match(line):
            continue
        if is_shell_prompt(line):
            result.skip(line_no, raw, "shell prompt")
            continue
        m = _PROC_MODULES.match(line)
        if m:
            ref = None if m["ref"] == "-" else int(m["ref"])
            result.value[m["name"]] = Module(
                m["name"], int(m["size"]), ref, _deps(m["deps"]), m["state"]
            )
            continue
        m = _LSMOD_ROW.match(line)
        if m and _MODULE_NAME.match(m["name"]):
            result.value[m["name"]] = Module(
                m["name"], int(m["size"]), int(m["ref"]), _deps(m["deps"]), None
            )
            continue
        m = _UBOX_RUN_TOGETHER.match(line)
        if m and _MODULE_NAME.match(m["name"]):
            cols = _split_ubox_columns(line)
            if cols is None:
                result.skip(line_no, raw, "size and use count run together, columns unclear")
                continue
            result.value[m["name"]] = Module(m["name"], cols[0], cols[1], _deps(m["deps"]), None)
            continue
        result.skip(line_no, raw, "not a module line")
    return result


_LINKED_IN = re.compile(r"Modules linked in:(?P<list>.*)$")
_LINKED_MODULE = re.compile(r"^(?P<name>[A-Za-z0-9_\-]+)(?:\((?P<flags>[A-Z+\-]*)\))?$")
_BRACKETED = re.compile(r"\[[^\]]*\]")


def parse_modules_linked_in(text: str) -> Parsed[dict[str, Module]]:
    """Modules named in a kernel oops/WARNING ``Modules linked in:`` line.

    ``print_modules()`` (kernel/module/main.c) prints `` %s%s`` per module: the name and
    ``module_flags()``, i.e. taint letters plus ``+`` (loading) / ``-`` (unloading) in
    parentheses, then `` [last unloaded: ...]`` / `` [unloaded tainted modules: ...]``,
    which are not loaded and are left out. State becomes ``Loading``/``Unloading`` from the
    flag, else ``Live``. Only the first such line is read (later traces repeat it). Other
    lines of the text are not this parser's business and are not counted as unparsed; a
    ``Modules linked in:`` token it cannot read is.
    """
    result: Parsed[dict[str, Module]] = Parsed({})
    for line_no, raw in enumerate(text.splitlines(), 1):
        m = _LINKED_IN.search(raw)
        if not m:
            continue
        for tok in _BRACKETED.sub(" ", m["list"]).split():
            mm = _LINKED_MODULE.match(tok)
            if not mm:
                result.skip(line_no, tok, "not a module name in 'Modules linked in:'")
                continue
            flags = mm["flags"] or ""
            state = "Unloading" if "-" in flags else "Loading" if "+" in flags else "Live"
            result.value[mm["name"]] = Module(mm["name"], None, None, (), state)
        break
    return result
