# Shared helpers of the lab router's scenarios (POSIX sh; sourced by /lab/init).
#
# Topology (routed):  client netns 10.0.1.2 veth-c == veth-a 10.0.1.1 [router = init netns]
#                     veth-b 10.0.2.1 == veth-s 10.0.2.2 server netns
# (bridged):          client 10.0.3.1 veth-c == veth-a [br0 in the router] veth-b == veth-s
#                     server 10.0.3.2
# Commands are called by path where busybox has an applet of the same name (/sbin/ip), since
# busybox ash runs its applets before PATH.

IP=/sbin/ip
up() { cut -d' ' -f1 /proc/uptime; }
log() { echo "[lab $(up)] $*" | tee -a /run/lab/scenario.log; }
NS() { $IP netns exec "$@"; }
# run: log a command and its output (stdout+stderr) in the scenario log; keep its status
run() {
    echo "\$ $*" >>/run/lab/scenario.log
    "$@" >>/run/lab/scenario.log 2>&1
    _rc=$?
    [ $_rc = 0 ] || { echo "(exit status $_rc)" >>/run/lab/scenario.log; log "failed ($_rc): $*"; }
    return $_rc
}
# nft_load: load a ruleset from stdin, logging it and nft's answer
nft_load() {
    cat >/run/lab/ruleset.tmp
    { echo "--- nft -f (ruleset below)"; cat /run/lab/ruleset.tmp; } >>/run/lab/scenario.log
    run nft -f /run/lab/ruleset.tmp
}

mods() { for m in "$@"; do modprobe "$m" 2>>/run/lab/scenario.log || log "modprobe $m failed"; done; }

base_modules() {
    mods veth bridge 8021q nf_conntrack nf_conntrack_netlink nf_tables nft_ct nf_flow_table \
        nf_flow_table_inet nft_flow_offload nf_nat nft_chain_nat nft_masq
}

netns_pair() {
    for n in client server; do $IP netns add $n; NS $n $IP link set lo up; done
    $IP link set lo up
    $IP link add veth-c netns client type veth peer name veth-a
    $IP link add veth-s netns server type veth peer name veth-b
}

# topo_routed [vlan]: the router forwards between 10.0.1.0/24 and 10.0.2.0/24; with "vlan" the
# server side runs over VLAN 7 on veth-b (router device veth-b.7, server veth-s.7).
topo_routed() {
    base_modules
    netns_pair
    NS client $IP addr add 10.0.1.2/24 dev veth-c
    NS client $IP link set veth-c up
    NS client $IP route add default via 10.0.1.1
    $IP addr add 10.0.1.1/24 dev veth-a
    $IP link set veth-a up
    NS server $IP link set veth-s up
    $IP link set veth-b up
    if [ "$1" = vlan ]; then
        NS server $IP link add link veth-s name veth-s.7 type vlan id 7
        NS server $IP link set veth-s.7 up
        NS server $IP addr add 10.0.2.2/24 dev veth-s.7
        $IP link add link veth-b name veth-b.7 type vlan id 7
        $IP link set veth-b.7 up
        $IP addr add 10.0.2.1/24 dev veth-b.7
    else
        NS server $IP addr add 10.0.2.2/24 dev veth-s
        $IP addr add 10.0.2.1/24 dev veth-b
    fi
    NS server $IP route add default via 10.0.2.1
    sysctl -qw net.ipv4.ip_forward=1
    sysctl -qw net.netfilter.nf_conntrack_acct=1
    SERVER=10.0.2.2
}

topo_bridged() {
    base_modules
    netns_pair
    NS client $IP addr add 10.0.3.1/24 dev veth-c
    NS client $IP link set veth-c up
    NS server $IP addr add 10.0.3.2/24 dev veth-s
    NS server $IP link set veth-s up
    $IP link add br0 type bridge forward_delay 0 stp_state 0
    $IP link set veth-a master br0
    $IP link set veth-b master br0
    $IP link set veth-a up
    $IP link set veth-b up
    $IP link set br0 up
    sysctl -qw net.netfilter.nf_conntrack_acct=1
    SERVER=10.0.3.2
}

# labcount: the lab's own slow-path counters, split by conntrack direction, in a separate table
# whose forward chain runs before the scenario's (priority filter - 5). Offloaded packets skip
# every forward chain, so these counters stay flat for a flow on the fast path.
labcount() {
    nft_load <<'EOF'
table inet labcount {
	chain forward {
		type filter hook forward priority filter - 5; policy accept;
		meta l4proto { tcp, udp } ct direction original counter comment "lab slow path, original direction"
		meta l4proto { tcp, udp } ct direction reply counter comment "lab slow path, reply direction"
	}
}
EOF
}

# traffic: two TCP flows (client -> server :5001, :5003; 64 KiB every 0.1 s) and two UDP echo
# flows (:5002, :5004; 1000 B every 0.2 s both ways). Endless: the VM's power-off ends them.
# The TCP servers' stdin never hits EOF (busybox nc would half-close right after accept).
traffic() {
    for p in 5001 5003; do
        NS server sh -c "sleep 2147483647 | busybox nc -l -p $p >/dev/null" &
    done
    for p in 5002 5004; do
        NS server socat UDP-LISTEN:$p,fork PIPE &
    done
    sleep 0.5
    for p in 5001 5003; do
        NS client sh -c "while :; do dd if=/dev/zero bs=65536 count=1 2>/dev/null; sleep 0.1; done | busybox nc $SERVER $p" &
    done
    for p in 5002 5004; do
        NS client sh -c "while :; do dd if=/dev/zero bs=1000 count=1 2>/dev/null; sleep 0.2; done | socat -b 1000 - UDP:$SERVER:$p >/dev/null" &
    done
    log "traffic started: TCP :5001 :5003, UDP echo :5002 :5004 to $SERVER"
}

# pktgen_flows N [PORT]: N distinct UDP flows (source ports 10000..10000+N-1, to $SERVER:PORT)
# made by the kernel's pktgen on veth-c, two packets each, then one packet per flow every 5 s
# in the background so they stay alive. No process per flow: fast even under TCG.
pktgen_flows() {
    _n=$1 _port=${2:-6000}
    mods pktgen
    _mac=$(cat /sys/class/net/veth-a/address)
    NS client sh -c "
        cd /proc/net/pktgen || exit 1
        echo rem_device_all > kpktgend_0
        echo 'add_device veth-c' > kpktgend_0
        for c in 'clone_skb 0' 'pkt_size 64' 'delay 0' 'dst $SERVER' 'dst_mac $_mac' \
            'src_min 10.0.1.2' 'src_max 10.0.1.2' 'udp_src_min 10000' \
            'udp_src_max $((10000 + _n))' 'udp_dst_min $_port' 'udp_dst_max $_port' \
            'count $((2 * _n))'; do echo \"\$c\" > veth-c; done
        echo start > pgctrl
        echo 'count $_n' > veth-c
        while :; do sleep 5; echo start > pgctrl; done
    " >>/run/lab/scenario.log 2>&1 &
    log "pktgen: $_n UDP flows 10.0.1.2:10000-$((10000 + _n - 1)) -> $SERVER:$_port"
}

# slowpath_sample N: one line of counters into /run/lab/slowpath
slowpath_sample() {
    {
        printf 'sample=%s uptime=%s' "$1" "$(up)"
        nft list chain inet labcount forward 2>/dev/null | awk '
            /ct direction original counter/ { for (i = 1; i < NF; i++) { if ($i == "packets") op = $(i + 1); if ($i == "bytes") ob = $(i + 1) } }
            /ct direction reply counter/    { for (i = 1; i < NF; i++) { if ($i == "packets") rp = $(i + 1); if ($i == "bytes") rb = $(i + 1) } }
            END { printf " slow_original_packets=%s slow_original_bytes=%s slow_reply_packets=%s slow_reply_bytes=%s", op + 0, ob + 0, rp + 0, rb + 0 }'
        awk '/dport=500[1-4] / {
                n++; if (/\[OFFLOAD\]/) o++
                for (i = 1; i <= NF; i++) { if ($i ~ /^packets=/) p += substr($i, 9); if ($i ~ /^bytes=/) b += substr($i, 7) }
            }
            END { printf " ct_flows=%d ct_offload=%d ct_packets=%d ct_bytes=%d", n, o, p, b }' /proc/net/nf_conntrack
        for d in veth-a veth-b; do
            [ -r /sys/class/net/$d/statistics/tx_bytes ] && printf ' tx_bytes_%s=%s' "$d" "$(cat /sys/class/net/$d/statistics/tx_bytes)"
        done
        printf '\n'
    } >>/run/lab/slowpath
}

# sample_twice [WAIT] [GAP]: let traffic settle, then two samples GAP seconds apart
sample_twice() {
    sleep "${1:-3}"
    slowpath_sample 0
    sleep "${2:-3}"
    slowpath_sample 1
    log "slow-path samples: $(tr '\n' '|' </run/lab/slowpath)"
}

start_ssh() {
    mods virtio_pci virtio_net
    i=0; while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    $IP link set eth0 up
    $IP addr add 192.168.100.15/24 dev eth0
    DB=$(command -v dropbear || echo /usr/sbin/dropbear)
    KEY=/etc/dropbear/dropbear_ed25519_host_key
    if [ ! -x "$DB" ] && [ -x /lab/dropbear/dropbear ]; then
        # the firewalld rootfs: dropbear brought along from the initramfs by /lab/init
        DB="env LD_LIBRARY_PATH=/lab/dropbear /lab/dropbear/dropbear"
        KEY=/lab/dropbear/dropbear_ed25519_host_key
    fi
    [ -f $KEY ] || { mkdir -p /etc/dropbear; dropbearkey -t ed25519 -f $KEY >/dev/null 2>&1; }
    $DB -E -s -p 22 -r $KEY 2>>/run/lab/dropbear.log
    log "dropbear started (eth0 192.168.100.15, management only)"
    echo "LAB-SSH-STARTED uptime=$(up)"
}
