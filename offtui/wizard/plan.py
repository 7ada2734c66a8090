"""Step 2-3: from a status and an intent to a plan, and the plan's preview.

Pure: nothing here touches the target. A :class:`Plan` holds everything the apply step
will do (file contents, commands, the nft script), what the rollback restores, the
devices with the reason for each, and the warnings the rules raise about the *intended*
state (the snapshot is projected to it and the rules run on both).
"""

from __future__ import annotations

import copy
import difflib
import re
from dataclasses import dataclass, field
from enum import StrEnum

from offtui.model import Backend, Flowtable, OffloadMode, Snapshot, Table
from offtui.parsers.uci_write import UciEditError, uci_delete, uci_export, uci_get, uci_set
from offtui.wizard.devices import DeviceChoice, choose_devices
from offtui.wizard.status import FIREWALLD_CONF, FW4_CONFIG, NFTABLES_CONF, TargetStatus

__all__ = [
    "OFFTUI_TABLE",
    "Action",
    "FileChange",
    "Intent",
    "Plan",
    "PlanError",
    "RuleWarning",
    "make_plan",
    "nft_table_script",
    "preview_text",
]

OFFTUI_TABLE = ("inet", "offtui")
FT_NAME = "ft"
_MARK_BEGIN = "# >>> offtui flow offloading (offtui offload); remove this block to undo"
_MARK_END = "# <<< offtui flow offloading"


class PlanError(Exception):
    """The intent cannot be planned on this target (one line for the user)."""


class Action(StrEnum):
    ENABLE = "enable"
    DISABLE = "disable"


@dataclass(slots=True)
class Intent:
    action: Action
    hw: bool = False
    backend: str = "auto"  # auto | fw4 | firewalld | nftables
    devices: list[str] | None = None
    #: nftables: "table" (offtui's own ``inet offtui``) or "conf" (patch /etc/nftables.conf)
    nft_mode: str = "table"
    #: fw4: "uci" (uci set + uci commit, as LuCI) or "file" (edit the file in place);
    #: "auto" picks uci when the target has it.
    fw4_writer: str = "auto"
    #: Plan even with devices the target does not have (only to test a failing apply).
    allow_missing_devices: bool = False


@dataclass(slots=True)
class FileChange:
    path: str
    before: bytes | None  # None: the file does not exist
    after: bytes | None  # None: the file is removed
    note: str = ""

    def diff(self) -> str:
        a = (self.before or b"").decode("utf-8", "replace").splitlines(keepends=True)
        b = (self.after or b"").decode("utf-8", "replace").splitlines(keepends=True)
        lines = difflib.unified_diff(a, b, f"a{self.path}", f"b{self.path}")
        return "".join(
            x if x.endswith("\n") else x + "\n\\ No newline at end of file\n" for x in lines
        )


@dataclass(slots=True, frozen=True)
class RuleWarning:
    rule_id: str
    severity: str
    message: str


@dataclass(slots=True)
class Plan:
    target: str
    backend: Backend
    intent: Intent
    files: list[FileChange] = field(default_factory=list)
    #: Shell lines run in order on the target; ``$D`` is the session's rollback directory.
    commands: list[str] = field(default_factory=list)
    #: Shell lines the rollback runs after putting the files back.
    restore_commands: list[str] = field(default_factory=list)
    #: nft script written to ``$D/apply.nft`` before the commands run (nftables backend).
    nft_script: str | None = None
    #: Save ``nft list table inet offtui`` for the rollback (nftables table mode).
    save_offtui_table: bool = False
    #: Save the whole ruleset and restore it with ``flush ruleset`` (nftables conf mode).
    restore_whole_ruleset: bool = False
    devices: list[DeviceChoice] = field(default_factory=list)
    warnings: list[RuleWarning] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ruleset_before: str | None = None
    ruleset_after: str | None = None  # exact where offtui writes the ruleset itself
    expected_flowtable: Flowtable | None = None  # what verify looks for (None: none)
    #: Table whose flowtable verify checks, e.g. ("inet", "fw4").
    expected_table: tuple[str, str] | None = None
    noop: bool = False
    #: False when the commands write the files themselves (fw4: ``uci commit``).
    write_files: bool = True

    @property
    def device_names(self) -> list[str]:
        return [d.name for d in self.devices if d.included]

    @property
    def touched_paths(self) -> list[str]:
        return [f.path for f in self.files]


# --------------------------------------------------------------------------- helpers


def nft_table_script(devices: list[str], hw: bool) -> str:
    """offtui's own table: a flowtable and one ``flow add`` rule after the other filters.

    The chain runs at ``filter + 10`` (as firewalld's), after forward chains at the usual
    priorities, so only packets every other forward chain accepted can be offloaded.
    ``table``+``delete table`` first makes the load atomic and repeatable.
    """
    devs = ", ".join(devices)
    flags = "\t\tflags offload\n" if hw else ""
    return (
        "table inet offtui\n"
        "delete table inet offtui\n"
        "table inet offtui {\n"
        f"\tflowtable {FT_NAME} {{\n"
        "\t\thook ingress priority filter\n"
        f"\t\tdevices = {{ {devs} }}\n"
        f"{flags}"
        "\t\tcounter\n"
        "\t}\n"
        "\n"
        "\tchain forward {\n"
        "\t\ttype filter hook forward priority filter + 10; policy accept;\n"
        f'\t\tmeta l4proto {{ tcp, udp }} flow add @{FT_NAME} comment "offtui offload"\n'
        "\t}\n"
        "}\n"
    )


def _listed_table(script: str) -> str:
    """The table as ``nft list ruleset`` prints what :func:`nft_table_script` loads."""
    body = script.split("delete table inet offtui\n", 1)[1]
    return body


def _decode(b: bytes | None) -> str:
    return (b or b"").decode("utf-8", "surrogateescape")


def _encode(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _project(snap: Snapshot, plan: Plan) -> Snapshot:
    """The snapshot as it will look once the plan is applied (for the rules)."""
    p = copy.copy(snap)
    p.settings = copy.deepcopy(snap.settings)
    p.ruleset = copy.deepcopy(snap.ruleset)
    ft = plan.expected_flowtable
    if p.ruleset is not None and plan.expected_table is not None:
        fam, name = plan.expected_table
        table = p.ruleset.table(fam, name)
        if table is None and ft is not None:
            table = Table(fam, name)
            p.ruleset.tables.append(table)
        if table is not None:
            table.flowtables = [ft] if ft is not None else []
    if plan.intent.action == Action.ENABLE:
        p.offload_mode = OffloadMode.HARDWARE if plan.intent.hw else OffloadMode.SOFTWARE
    else:
        p.offload_mode = OffloadMode.OFF
    if p.settings.fw4 is not None and plan.backend == Backend.FW4:
        on = plan.intent.action == Action.ENABLE
        p.settings.fw4.flow_offloading = on
        p.settings.fw4.flow_offloading_hw = on and plan.intent.hw
    return p


def _warnings(snap: Snapshot, plan: Plan) -> list[RuleWarning]:
    from offtui.engine import run_rules

    now = {(f.id, f.subject) for f in run_rules(snap).findings}
    out = []
    for f in run_rules(_project(snap, plan)).findings:
        if (f.id, f.subject) not in now:
            out.append(RuleWarning(f.id, f.severity.value, f.message))
    return out


# --------------------------------------------------------------------------- backends


def _pick_backend(st: TargetStatus, intent: Intent) -> Backend:
    if intent.backend == "auto":
        b = st.backend
        if b == Backend.UNKNOWN:
            raise PlanError(
                "cannot tell which firewall runs on the target (no nft, uci, firewalld)"
            )
        return b
    try:
        return Backend(intent.backend)
    except ValueError as exc:
        raise PlanError(f"unknown backend {intent.backend!r}") from exc


def _plan_fw4(st: TargetStatus, intent: Intent, plan: Plan) -> None:
    raw = st.files.get(FW4_CONFIG)
    if raw is None:
        raise PlanError(f"{FW4_CONFIG} does not exist on the target")
    text = _decode(raw)
    ref = "@defaults[0]"
    writer = intent.fw4_writer
    if writer == "auto":
        writer = "uci" if "uci" in st.tools else "file"
    cur_on = uci_get(text, "firewall", ref, "flow_offloading")
    cur_hw = uci_get(text, "firewall", ref, "flow_offloading_hw")
    want: dict[str, str | None]
    if intent.action == Action.ENABLE:
        # LuCI removes an unchecked flag rather than writing '0'
        want = {"flow_offloading": "1", "flow_offloading_hw": "1" if intent.hw else None}
    else:
        want = {"flow_offloading": None, "flow_offloading_hw": None}
    cur = {"flow_offloading": cur_on, "flow_offloading_hw": cur_hw}
    new = text
    uci_cmds: list[str] = []
    try:
        for opt, val in want.items():
            if cur[opt] == val:
                continue
            if val is None:
                new = uci_delete(new, "firewall", ref, opt)
                uci_cmds.append(f"uci delete firewall.{ref}.{opt}")
            else:
                new = uci_set(new, "firewall", ref, opt, val)
                uci_cmds.append(f"uci set firewall.{ref}.{opt}='{val}'")
    except UciEditError as exc:
        raise PlanError(f"{FW4_CONFIG}: {exc}") from exc
    if new == text:
        plan.noop = True
        return
    reload = "fw4 reload" if "fw4" in st.tools or not st.tools else "/etc/init.d/firewall restart"
    if writer == "uci":
        committed = uci_export(new, "firewall")
        plan.commands += [*uci_cmds, "uci commit firewall", reload]
        plan.write_files = False
        note = ""
        if committed != new:
            note = "uci commit rewrites the whole file in uci's own format (comments are dropped)"
        plan.files.append(FileChange(FW4_CONFIG, raw, _encode(committed), note))
    else:
        plan.files.append(FileChange(FW4_CONFIG, raw, _encode(new), "edited in place"))
        plan.commands.append(reload)
        if "uci" not in st.tools and st.tools:
            plan.notes.append("the target has no `uci`: the file is edited in place")
    plan.restore_commands.append(reload)
    plan.expected_table = ("inet", "fw4")
    if intent.action == Action.ENABLE:
        plan.expected_flowtable = Flowtable(
            "inet", "fw4", "ft", "ingress", 0, "filter", plan.device_names, intent.hw, True
        )
        plan.notes.append(
            "fw4 chooses the flowtable's devices itself at reload (the devices of every zone, "
            "resolved to their lower devices); the list below is offtui's prediction"
        )
        if intent.hw:
            plan.notes.append(
                "if no device supports hardware offload, fw4 logs 'Hardware flow offloading "
                "unavailable, falling back to software offloading' and keeps software offload; "
                "verify reports it"
            )


def _firewalld_set(text: str, value: str) -> str:
    """Set the *first* NftablesFlowtable= (firewalld keeps the first definition)."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        s = line.strip()
        if s and s[0] not in "#;" and s.split("=", 1)[0].strip() == "NftablesFlowtable":
            end = line[len(line.rstrip("\r\n")) :]
            indent = line[: len(line) - len(line.lstrip())]
            lines[i] = f"{indent}NftablesFlowtable={value}{end}"
            return "".join(lines)
    sep = "" if not text or text.endswith("\n") else "\n"
    return f"{text}{sep}NftablesFlowtable={value}\n"


def _plan_firewalld(st: TargetStatus, intent: Intent, plan: Plan) -> None:
    raw = st.files.get(FIREWALLD_CONF)
    if raw is None:
        raise PlanError(f"{FIREWALLD_CONF} does not exist on the target")
    if intent.hw:
        raise PlanError("firewalld has no setting for hardware offload (flags offload)")
    value = " ".join(plan.device_names) if intent.action == Action.ENABLE else "off"
    if intent.action == Action.ENABLE and not plan.device_names:
        raise PlanError("no device to put in the flowtable (give --devices)")
    text = _decode(raw)
    new = _firewalld_set(text, value)
    if new == text:
        plan.noop = True
        return
    plan.files.append(FileChange(FIREWALLD_CONF, raw, _encode(new)))
    plan.commands.append("firewall-cmd --reload")
    plan.restore_commands.append("firewall-cmd --reload")
    plan.expected_table = ("inet", "firewalld")
    if intent.action == Action.ENABLE:
        plan.expected_flowtable = Flowtable(
            "inet", "firewalld", "fastpath", "ingress", 10, "filter + 10",
            plan.device_names, False, False,
        )  # fmt: skip
        plan.notes.append(
            "firewalld refuses the whole ruleset when a listed device does not exist "
            "(the reload fails and table inet firewalld is left empty): offtui then rolls "
            "back at once"
        )


def _strip_block(text: str) -> str:
    pat = re.compile(re.escape(_MARK_BEGIN) + r".*?" + re.escape(_MARK_END) + r"\n?", re.S)
    return pat.sub("", text)


def _plan_nftables(st: TargetStatus, intent: Intent, plan: Plan) -> None:
    if st.tools and "nft" not in st.tools:
        raise PlanError("the target has no `nft`")
    script = (
        nft_table_script(plan.device_names, intent.hw) if intent.action == Action.ENABLE else None
    )
    if intent.action == Action.ENABLE and not plan.device_names:
        raise PlanError("no device to put in the flowtable (give --devices)")
    before = st.ruleset_text or ""
    has_table = st.snapshot.ruleset is not None and st.snapshot.ruleset.table(*OFFTUI_TABLE)
    plan.expected_table = OFFTUI_TABLE
    if intent.action == Action.ENABLE:
        plan.expected_flowtable = Flowtable(
            "inet", "offtui", FT_NAME, "ingress", 0, "filter", plan.device_names, intent.hw, True
        )
    others = [ft for ft in st.snapshot.flowtables if (ft.family, ft.table) != OFFTUI_TABLE]
    if others and intent.action == Action.DISABLE:
        names = ", ".join(f"{ft.family} {ft.table} {ft.name}" for ft in others)
        plan.notes.append(f"not offtui's and left as they are: flowtable {names}")
    if intent.nft_mode == "conf":
        raw = st.files.get(NFTABLES_CONF)
        if raw is None:
            raise PlanError(f"{NFTABLES_CONF} does not exist on the target")
        text = _strip_block(_decode(raw))
        if script is not None:
            sep = "" if not text or text.endswith("\n") else "\n"
            text = f"{text}{sep}{_MARK_BEGIN}\n{script}{_MARK_END}\n"
        if text == _decode(raw):
            plan.noop = True
            return
        plan.files.append(FileChange(NFTABLES_CONF, raw, _encode(text)))
        plan.commands.append(f"nft -c -f {NFTABLES_CONF}")
        plan.commands.append(f"nft -f {NFTABLES_CONF}")
        plan.restore_whole_ruleset = True
        plan.notes.append(
            f"{NFTABLES_CONF} is loaded as a whole (usually it starts with `flush ruleset`); "
            "the rollback restores the file and the saved ruleset"
        )
        return
    if script is None:
        if not has_table:
            plan.noop = True
            return
        plan.nft_script = "table inet offtui\ndelete table inet offtui\n"
    else:
        plan.nft_script = script
    plan.commands.append('nft -c -f "$D/apply.nft"')
    plan.commands.append('nft -f "$D/apply.nft"')
    plan.save_offtui_table = True
    plan.ruleset_before = before
    plan.ruleset_after = _ruleset_with_table(before, script)


def _ruleset_with_table(before: str, script: str | None) -> str:
    """``nft list ruleset`` with offtui's table replaced/added/removed (it lists last)."""
    pat = re.compile(r"^table inet offtui \{\n.*?^\}\n", re.S | re.M)
    out = pat.sub("", before)
    if script is not None:
        out += _listed_table(script)
    return out


def make_plan(st: TargetStatus, intent: Intent) -> Plan:
    """Plan the intent on the target described by ``st`` (raises PlanError)."""
    backend = _pick_backend(st, intent)
    plan = Plan(st.target, backend, intent, ruleset_before=st.ruleset_text)
    if intent.action == Action.ENABLE and st.snapshot.flowtable_support is False:
        # Nothing to enable: the ruleset would load no flowtable (nft refuses it) and the
        # user would be left guessing why. Say the kernel's fact instead.
        raise PlanError("this kernel cannot offload flows: " + st.snapshot.flowtable_support_reason)
    if intent.action == Action.ENABLE:
        devices, errors = choose_devices(st.snapshot, intent.devices)
        if errors and not intent.allow_missing_devices:
            raise PlanError("; ".join(errors))
        for e in errors:
            name = e.split(":", 1)[0]
            devices.append(DeviceChoice(name, "chosen by you; NOT on the target (test only)"))
        plan.devices = devices
    if backend == Backend.FW4:
        _plan_fw4(st, intent, plan)
    elif backend == Backend.FIREWALLD:
        _plan_firewalld(st, intent, plan)
    elif backend == Backend.NFTABLES:
        _plan_nftables(st, intent, plan)
    else:
        raise PlanError(f"backend {backend} cannot be changed by offtui")
    if not plan.noop:
        plan.warnings = _warnings(st.snapshot, plan)
    return plan


# --------------------------------------------------------------------------- preview


def preview_text(plan: Plan) -> str:
    """Everything the apply step will do, for the user to read before confirming."""
    i = plan.intent
    what = "disable offload"
    if i.action == Action.ENABLE:
        what = f"enable {'hardware' if i.hw else 'software'} offload"
    out = [f"Plan: {what} on {plan.target} (backend {plan.backend.value})"]
    if plan.noop:
        out.append("Nothing to change: the target is already in the intended state.")
        return "\n".join(out) + "\n"
    if plan.devices:
        out.append("\nDevices in the flowtable:")
        for d in plan.devices:
            mark = "+" if d.included else "-"
            out.append(f"  {mark} {d.name:<16} {d.reason}")
    if plan.warnings:
        out.append("\nWarnings (rules on the intended state):")
        for w in plan.warnings:
            out.append(f"  [{w.severity}] {w.rule_id}: {w.message}")
    if plan.notes:
        out.append("\nNotes:")
        out += [f"  - {n}" for n in plan.notes]
    out.append("\nCommands (in order, on the target):")
    if plan.write_files:
        out += [f"  write {f.path}  (diff below)" for f in plan.files]
    if plan.nft_script is not None:
        out.append("  write $D/apply.nft  (below)")
    out += [f"  {c}" for c in plan.commands]
    for f in plan.files:
        out.append(f"\n--- {f.path}" + (f" ({f.note})" if f.note else ""))
        out.append(f.diff().rstrip("\n"))
    if plan.nft_script is not None:
        out.append("\n--- $D/apply.nft")
        out.append(plan.nft_script.rstrip("\n"))
    if plan.ruleset_after is not None and plan.ruleset_before is not None:
        rd = difflib.unified_diff(
            plan.ruleset_before.splitlines(keepends=True),
            plan.ruleset_after.splitlines(keepends=True),
            "nft list ruleset (now)",
            "nft list ruleset (after)",
        )
        out.append("\n--- ruleset")
        out.append("".join(rd).rstrip("\n"))
    elif plan.expected_table:
        out.append(
            f"\n--- ruleset: {plan.backend.value} regenerates table "
            f"{' '.join(plan.expected_table)} at reload; the real diff is shown after apply"
        )
    out.append(
        "\nRollback: every file above and the ruleset are saved on the target first "
        "($D = /tmp/offtui-rollback-<session>); a job on the target restores them unless "
        "you confirm in time."
    )
    return "\n".join(out) + "\n"
