#!/bin/sh
# offtui collector: read a host's flow-offload state and print it as ONE delimited stream on
# stdout (protocol: docs/collector-protocol.md; unpacked by offtui/collector/stream.py).
#
# It must run unchanged under busybox ash (OpenWrt, initramfs), dash and bash, over SSH as
# root or as a plain user: POSIX sh and busybox applets only, nothing installed, nothing
# written but a private temporary directory (removed on exit). Without a writable temporary
# directory it still works, only without per-source stderr and without "empty" detection.
#
# usage: collect.sh [-t SECONDS] [-z] [-L] [-c 'ARGV WORDS']... [-f /ABS/PATH]...
#   -t  per-command time limit where a `timeout` program exists (default 20)
#   -c  one extra command, its words separated by single spaces (captured as
#       commands/<words joined with _>); repeatable
#   -f  one extra file (captured at its path without the leading /); repeatable
#   -z  gzip the big sources (conntrack and PPE tables, rulesets, logs) when gzip exists
#   -L  live: answer one request line per sample on stdin ("tick SEQ [GROUP]...", "quit")

OFFTUI_COLLECT_VERSION=1
LC_ALL=C
export LC_ALL
# A remote plain-user login often lacks the sbin directories where nft, tc and conntrack live.
PATH="${PATH:-/bin:/usr/bin}:/usr/sbin:/sbin:/usr/bin:/bin"
export PATH

TMO=20
ZIP=0
LIVE=0
EXTRA_CMDS=""
EXTRA_FILES=""
NL='
'
while [ $# -gt 0 ]; do
    case "$1" in
        -t) TMO=$2; shift 2 ;;
        -c) EXTRA_CMDS="$EXTRA_CMDS$2$NL"; shift 2 ;;
        -f) EXTRA_FILES="$EXTRA_FILES$2$NL"; shift 2 ;;
        -z) ZIP=1; shift ;;
        -L) LIVE=1; shift ;;
        -h|--help) sed -n '2,18p' "$0" >&2; exit 0 ;;
        *) echo "collect.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done
case "$TMO" in ''|*[!0-9]*) echo "collect.sh: -t needs whole seconds" >&2; exit 2 ;; esac

# What this script cannot do without. A shell without them (csh, fish, a cut-down ash) gets
# one clear line and exit status 3 instead of a garbled stream.
_miss=""
for _p in cat tr; do
    command -v "$_p" >/dev/null 2>&1 || _miss="$_miss $_p"
done
(eval '_x=$((1 + 1)); _y=${_x#2}; [ -z "$_y" ]') 2>/dev/null || _miss="$_miss arithmetic-expansion"
if [ -n "$_miss" ]; then
    echo "offtui-collect: missing sh features:$_miss" >&2
    exit 3
fi

# ---------------------------------------------------------------- boundary and scratch space
B=""
if [ -r /dev/urandom ]; then
    B=$(od -An -tx1 -N12 /dev/urandom 2>/dev/null | tr -d ' \n')
fi
case "$B" in
    ????????????????*) ;;
    *) B="p$$t$(date +%s 2>/dev/null)u$(tr -d ' .' </proc/uptime 2>/dev/null)" ;;
esac
M="--$B"

umask 077
TMP=""
for _d in "${TMPDIR:-/tmp}" /tmp /var/tmp /dev/shm "$HOME"; do
    [ -n "$_d" ] && [ -d "$_d" ] && [ -w "$_d" ] || continue
    TMP=$(mktemp -d "$_d/offtui-collect.XXXXXX" 2>/dev/null) && break
    TMP=""
done
cleanup() { [ -n "$TMP" ] && rm -rf "$TMP"; }
trap cleanup EXIT
trap 'cleanup; trap - EXIT; exit 130' INT TERM HUP

# ---------------------------------------------------------------- clocks
# busybox `date` has whole seconds only; /proc/uptime has centiseconds. The stream carries the
# raw clock readings and the unpacker computes durations, so no shell arithmetic on decimals.
CLOCK=epoch
if read -r _u _ </proc/uptime 2>/dev/null && [ -n "$_u" ]; then CLOCK=uptime; fi
now() {
    if [ "$CLOCK" = uptime ]; then
        read -r NOW _ </proc/uptime 2>/dev/null || NOW=0
    else
        NOW=$(date +%s 2>/dev/null) || NOW=0
    fi
}

# ---------------------------------------------------------------- timeout program
# coreutils and new busybox: `timeout SECS PROG`; busybox before 1.30: `timeout -t SECS PROG`.
TIMEOUT=""
TIMEOUT_STYLE=none
if findcmd_timeout=$(command -v timeout 2>/dev/null) && [ -n "$findcmd_timeout" ]; then
    if timeout 5 true >/dev/null 2>&1; then
        TIMEOUT=timeout; TIMEOUT_STYLE=plain
    elif timeout -t 5 true >/dev/null 2>&1; then
        TIMEOUT=timeout; TIMEOUT_STYLE=dash-t
    fi
fi

# Look a program up in PATH ourselves: busybox ash runs its own applets before PATH, so a
# bare `ip` there is busybox's reduced ip even where iproute2 is installed.
findcmd() {
    FOUND=""
    case "$1" in
        */*) [ -f "$1" ] && [ -x "$1" ] && FOUND=$1; [ -n "$FOUND" ]; return ;;
    esac
    _oifs=$IFS
    IFS=:
    for _d in $PATH; do
        [ -n "$_d" ] || _d=.
        if [ -f "$_d/$1" ] && [ -x "$_d/$1" ]; then FOUND="$_d/$1"; break; fi
    done
    IFS=$_oifs
    [ -n "$FOUND" ]
}

# gzip for the big sources (-z), a checksum program for "unchanged" answers (-L)
GZIP=""
if [ "$ZIP" = 1 ] && [ -n "$TMP" ] && findcmd gzip && echo x | "$FOUND" -1 -c >/dev/null 2>&1; then
    GZIP=$FOUND
fi
SUM=""
if [ "$LIVE" = 1 ] && [ -n "$TMP" ]; then
    for _p in md5sum cksum; do
        if findcmd "$_p"; then SUM=$FOUND; break; fi
    done
fi
Z=0      # gzip the sources collected now (set around the big ones)
DEDUP=0  # answer "unchanged" for a source whose bytes did not change since it was last sent

# ---------------------------------------------------------------- records
COUNT=0
ENC=
end_record() {  # end_record STATUS EXIT START END [DETAIL...]
    _st=$1 _rc=$2 _t0=$3 _t1=$4
    shift 4
    printf '\n%s stderr\n' "$M"
    if [ -n "$TMP" ] && [ -s "$TMP/err" ]; then cat "$TMP/err"; fi
    printf '\n%s end status=%s exit=%s start=%s end=%s' "$M" "$_st" "$_rc" "$_t0" "$_t1"
    if [ "$_st" = timeout-suspect ]; then printf ' limit=%s' "$TMO"; fi
    if [ -n "$ENC" ]; then printf ' enc=%s' "$ENC"; fi
    if [ $# -gt 0 ]; then printf ' detail=%s' "$*"; fi
    printf '\n'
    COUNT=$((COUNT + 1))
    ENC=""
}

# emit_out NAME: print $TMP/out (gzipped when asked: sets ENC), or nothing and return 1 when
# DEDUP is on and the bytes are those last sent for NAME (the caller says "unchanged").
emit_out() {
    if [ "$DEDUP" = 1 ] && [ -n "$SUM" ]; then
        _sum=$("$SUM" <"$TMP/out" 2>/dev/null)
        _sf="$TMP/sums/$1"
        _old=""
        if [ -f "$_sf" ]; then read -r _old <"$_sf"; else mkdir -p "${_sf%/*}" 2>/dev/null; fi
        [ -n "$_sum" ] && [ "$_sum" = "$_old" ] && return 1
        printf '%s\n' "$_sum" >"$_sf" 2>/dev/null
    fi
    if [ "$Z" = 1 ] && [ -n "$GZIP" ] && [ -s "$TMP/out" ] \
        && "$GZIP" -1 -c <"$TMP/out" >"$TMP/out.gz" 2>/dev/null; then
        ENC=gzip
        cat "$TMP/out.gz"
    else
        cat "$TMP/out"
    fi
    return 0
}

# denied STDERR-FILE: true when the failure reads like EACCES/EPERM
denied() {
    [ -n "$TMP" ] && [ -s "$TMP/err" ] \
        && grep -q -i -e 'permission denied' -e 'operation not permitted' "$TMP/err" 2>/dev/null
}

# send_out: the bytes of the source just read from $TMP/out (nothing when there is no $TMP:
# they were streamed already); a source unchanged since it was last sent becomes "unchanged"
send_out() {
    [ -n "$TMP" ] || return 0
    if [ "$_st" = ok ]; then
        emit_out "$_name" || _st=unchanged
    else
        cat "$TMP/out"
    fi
}

# collect_file NAME [PATH]: NAME is the capture path (no leading /), PATH defaults to /NAME
collect_file() {
    _name=$1
    _path=${2:-/$1}
    printf '%s begin file %s %s\n' "$M" "$_name" "$_path"
    now; _t0=$NOW
    if [ ! -e "$_path" ]; then
        [ -n "$TMP" ] && : >"$TMP/err"
        now; end_record missing - "$_t0" "$NOW"
        return
    fi
    if [ -n "$TMP" ]; then
        cat "$_path" >"$TMP/out" 2>"$TMP/err"
        _rc=$?
        now; _t1=$NOW
    else
        cat "$_path" 2>/dev/null
        _rc=$?
        now; _t1=$NOW
    fi
    if [ "$_rc" -eq 0 ]; then
        if [ -n "$TMP" ] && [ ! -s "$TMP/out" ]; then _st=empty; else _st=ok; fi
    elif denied || [ ! -r "$_path" ]; then
        _st=permission-denied
    else
        _st=failed
    fi
    send_out
    end_record "$_st" "$_rc" "$_t0" "$_t1"
}

# collect_cmd WORDS...: capture path commands/<words joined with _>
collect_cmd() {
    _name=commands/$(printf '%s' "$*" | tr ' /' '_-')
    printf '%s begin command %s' "$M" "$_name"
    for _a in "$@"; do printf ' %s' "$_a"; done
    printf '\n'
    now; _t0=$NOW
    if ! findcmd "$1"; then
        [ -n "$TMP" ] && : >"$TMP/err"
        now; end_record missing - "$_t0" "$NOW" "$1 not found in PATH"
        return
    fi
    _prog=$FOUND
    shift
    if [ -n "$TMP" ]; then
        case "$TIMEOUT_STYLE" in
            plain) timeout "$TMO" "$_prog" "$@" </dev/null >"$TMP/out" 2>"$TMP/err" ;;
            dash-t) timeout -t "$TMO" "$_prog" "$@" </dev/null >"$TMP/out" 2>"$TMP/err" ;;
            *) "$_prog" "$@" </dev/null >"$TMP/out" 2>"$TMP/err" ;;
        esac
        _rc=$?
        now; _t1=$NOW
    else
        case "$TIMEOUT_STYLE" in
            plain) timeout "$TMO" "$_prog" "$@" </dev/null 2>/dev/null ;;
            dash-t) timeout -t "$TMO" "$_prog" "$@" </dev/null 2>/dev/null ;;
            *) "$_prog" "$@" </dev/null 2>/dev/null ;;
        esac
        _rc=$?
        now; _t1=$NOW
    fi
    if [ "$_rc" -eq 0 ]; then
        if [ -n "$TMP" ] && [ ! -s "$TMP/out" ]; then _st=empty; else _st=ok; fi
    elif [ "$_rc" -eq 126 ] || denied; then
        _st=permission-denied
    elif [ "$_rc" -eq 127 ]; then
        _st=missing
    elif [ "$TIMEOUT_STYLE" != none ] && { [ "$_rc" -eq 124 ] || [ "$_rc" -eq 137 ] \
            || [ "$_rc" -eq 143 ]; }; then
        # coreutils says 124; busybox's timeout kills its own exec'd program (143, or 137 for
        # KILL). The unpacker decides with the measured duration against the limit.
        _st=timeout-suspect
    else
        _st=failed
    fi
    send_out
    end_record "$_st" "$_rc" "$_t0" "$_t1"
}

meta() {  # meta KEY VALUE...: one line, newlines flattened
    printf '%s meta %s %s\n' "$M" "$1" "$(shift; printf '%s' "$*" | tr '\n\r' '  ')"
}

sample() {  # sample NAME: a CPU sample (proc/stat + proc/softirqs) with its clock readings
    now
    printf '%s sample %s clock=%s at=%s epoch=%s\n' "$M" "$1" "$CLOCK" "$NOW" "$(date +%s 2>/dev/null)"
    if [ "$1" = main ]; then
        collect_file proc/stat
        collect_file proc/softirqs
    else
        collect_file "samples/$1/proc/stat" /proc/stat
        collect_file "samples/$1/proc/softirqs" /proc/softirqs
    fi
    SAMPLE_AT=$NOW
}

# ---------------------------------------------------------------- the sources, by group
# One-shot mode reads every group once, in this order. Live mode (-L) reads the cheap ones
# every sample and the others when the request names their group (see live_loop).

src_identity() {
    collect_file proc/sys/kernel/hostname
    collect_file proc/version
    collect_file etc/os-release
    collect_file etc/openwrt_release
    collect_file etc/openwrt_version
    collect_cmd uname -a
}

src_conntrack() {
    Z=$ZIP
    collect_file proc/net/nf_conntrack
    Z=0
    collect_file proc/net/nf_flowtable
    # the same table again through a process: in live mode only when procfs lacks it
    if [ "$LIVE" = 0 ] || [ ! -e /proc/net/nf_conntrack ]; then
        Z=$ZIP
        collect_cmd conntrack -L
        Z=0
    fi
    collect_cmd conntrack -S
    collect_cmd conntrack -C
}

src_sysctl() {
    for _f in /proc/sys/net/netfilter/*; do
        case "$LIVE:$_f" in  # live mode reads these two with every sample already
            1:*/nf_conntrack_count | 1:*/nf_conntrack_max) continue ;;
        esac
        [ -f "$_f" ] && collect_file "${_f#/}"
    done
    for _f in /proc/sys/net/bridge/*; do
        [ -f "$_f" ] && collect_file "${_f#/}"
    done
    collect_file proc/sys/net/ipv4/ip_forward
    collect_file proc/sys/net/ipv6/conf/all/forwarding
}

src_ruleset() {
    Z=$ZIP
    collect_cmd nft -j list ruleset
    collect_cmd nft list ruleset
    Z=0
}

# hardware flow tables (MediaTek PPE, Airoha): debugfs, root only
src_ppe() {
    Z=$ZIP
    for _f in ppe0/entries ppe0/bind ppe1/entries ppe1/bind ppe2/entries ppe2/bind \
        mtk_ppe/entries mtk_ppe/bind ppe/entries; do
        collect_file "sys/kernel/debug/$_f"
    done
    Z=0
}

src_modparams() {
    for _m in mt7915e mt7996e mt76 mtk_eth_soc mtk_wed nf_conntrack nf_flow_table br_netfilter; do
        for _f in /sys/module/"$_m"/parameters/*; do
            [ -f "$_f" ] && collect_file "${_f#/}"
        done
    done
}

# CPU, interrupts, modules
src_system() {
    collect_file proc/interrupts
    collect_file proc/modules
    collect_file proc/loadavg
    collect_file proc/meminfo
}

# topology and queues
src_topology() {
    collect_cmd ip -j -d link show
    collect_cmd ip -d link show
    collect_cmd ip -j -s link show
    collect_cmd ip -j addr show
    collect_cmd ip -j route show
    collect_cmd ip -j -6 route show
    collect_cmd ip -j rule show
    collect_cmd tc -j qdisc show
    collect_cmd bridge -j link show
}

# settings: OpenWrt UCI, firewalld
src_settings() {
    for _f in firewall network wireless sqm dhcp mwan3 pbr nlbwmon igmpproxy; do
        collect_file "etc/config/$_f"
    done
    collect_file etc/firewalld/firewalld.conf
    for _f in /etc/firewalld/zones/*.xml; do
        [ -f "$_f" ] && collect_file "${_f#/}"
    done
    collect_cmd firewall-cmd --state
}

# processes (bridger, nlbwmon, irqbalance, mwan3track...)
src_processes() {
    collect_cmd ps
}

src_logs() {
    Z=$ZIP
    collect_cmd dmesg
    collect_cmd logread
    Z=0
}

# extra sources asked for on the command line
src_extra() {
    _oifs=$IFS
    IFS=$NL
    for _c in $EXTRA_CMDS; do
        IFS=$_oifs
        [ -n "$_c" ] || continue
        # shellcheck disable=SC2086  # the words are split on purpose
        collect_cmd $_c
    done
    for _f in $EXTRA_FILES; do
        IFS=$_oifs
        case "$_f" in /?*) collect_file "${_f#/}" "$_f" ;; esac
    done
    IFS=$_oifs
}

# ---------------------------------------------------------------- live mode
# tick_file NAME: a small procfs file straight to stdout, without a temporary copy or a clock
# reading of its own (the sample record has the time): the cheap path taken every sample.
tick_file() {
    printf '%s begin file %s /%s\n' "$M" "$1" "$1"
    if cat "/$1" 2>/dev/null; then
        _st=ok _rc=0
    else
        _rc=$?
        if [ -e "/$1" ]; then _st=failed; else _st=missing _rc=-; fi
    fi
    end_record "$_st" "$_rc" "$NOW" "$NOW"
}

# the PPE's bound-entry count: the debugfs bind file lists bound entries only, one a line
tick_ppe_count() {
    for _f in ppe0 ppe1 ppe2 mtk_ppe; do
        _b=/sys/kernel/debug/$_f/bind
        [ -e "$_b" ] || continue
        printf '%s begin command commands/wc_-l_-sys-kernel-debug-%s-bind wc -l %s\n' "$M" "$_f" "$_b"
        if wc -l "$_b" </dev/null 2>/dev/null; then _st=ok _rc=0; else _rc=$? _st=failed; fi
        end_record "$_st" "$_rc" "$NOW" "$NOW"
    done
}

# One request line per sample on stdin: "tick SEQ [GROUP]..." answers with a sample record,
# the cheap sources, then the named groups, and "done" (so each answer is a complete stream
# body); "quit" or the end of stdin (the SSH session closed) ends the collector. Groups:
# flows (conntrack and PPE tables), config (identity, sysctls, ruleset, topology, settings),
# logs (ps, dmesg, logread), epoch (add `date +%s` to the sample record). In config and logs a
# source whose bytes did not change since they were last sent is answered "unchanged".
live_loop() {
    while IFS= read -r _req; do
        set -f
        # shellcheck disable=SC2086  # the request's words are split on purpose
        set -- $_req
        set +f
        case "${1:-}" in
            tick) ;;
            quit) exit 0 ;;
            *) continue ;;
        esac
        _seq=${2:-0}
        if [ $# -ge 2 ]; then shift 2; else set --; fi
        COUNT=0
        _ep=-
        for _g in "$@"; do
            [ "$_g" = epoch ] && _ep=$(date +%s 2>/dev/null)
        done
        now
        printf '%s sample main clock=%s at=%s epoch=%s seq=%s\n' "$M" "$CLOCK" "$NOW" "$_ep" "$_seq"
        tick_file proc/stat
        tick_file proc/softirqs
        # cat, not the shell's read: busybox's and dash's read misread procfs files
        tick_file proc/sys/net/netfilter/nf_conntrack_count
        tick_file proc/sys/net/netfilter/nf_conntrack_max
        tick_ppe_count
        for _g in "$@"; do
            case "$_g" in
                flows) src_conntrack; src_ppe ;;
                config)
                    DEDUP=1
                    src_identity; src_sysctl; src_ruleset; src_modparams; src_system
                    src_topology; src_settings; src_extra
                    DEDUP=0
                    ;;
                logs) DEDUP=1; src_processes; src_logs; DEDUP=0 ;;
            esac
        done
        printf '%s done records=%s\n' "$M" "$COUNT"
    done
    exit 0
}

# ---------------------------------------------------------------- the stream
printf 'offtui-collect/%s boundary=%s\n' "$OFFTUI_COLLECT_VERSION" "$B"
meta collector sh
meta collector_version "$OFFTUI_COLLECT_VERSION"
meta shell "$(readlink /proc/$$/exe 2>/dev/null || echo unknown)"
meta uid "$(id -u 2>/dev/null || echo unknown)"
meta hostname "$(cat /proc/sys/kernel/hostname 2>/dev/null || hostname 2>/dev/null)"
meta clock "$CLOCK"
meta timeout "$TIMEOUT_STYLE $TMO"
meta stderr_captured "$([ -n "$TMP" ] && echo yes || echo no)"

if [ "$LIVE" = 1 ]; then
    meta mode live
    meta gzip "$([ -n "$GZIP" ] && echo yes || echo no)"
    meta unchanged "$([ -n "$SUM" ] && echo "${SUM##*/}" || echo no)"
    meta pid "$$"
    printf '%s done records=0\n' "$M"
    live_loop
fi

sample 0
SAMPLE0_AT=$SAMPLE_AT

src_identity
src_conntrack
src_sysctl
src_ruleset
src_ppe
src_modparams
src_system
src_topology
src_settings
src_processes
src_logs
src_extra

# the later CPU sample: at least about one second after the first
now
if [ "${NOW%.*}" -lt $(( ${SAMPLE0_AT%.*} + 2 )) ] 2>/dev/null; then sleep 1; fi
sample main

printf '%s done records=%s\n' "$M" "$COUNT"
exit 0
