# bridged-br-netfilter: as bridged, plus br_netfilter with bridge-nf-call-iptables=1 (br0
# has no address). The inet forward hook now sees bridged packets, conntrack entries appear
# and get [OFFLOAD], yet the flow tuples are keyed on br0, not the ports the flowtable hooks:
# every packet still takes the slow path (counters rising).
scenario_run() {
    topo_bridged
    mods br_netfilter
    run sysctl -w net.bridge.bridge-nf-call-iptables=1
    labcount
    nft_load <<'NFT'
table inet fw4 {
	flowtable ft {
		hook ingress priority filter
		devices = { veth-a, veth-b }
		counter
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		meta l4proto { tcp, udp } flow offload @ft
	}
}
NFT
    traffic
    sample_twice
}
