# bridged: client and server on two ports of br0; the fw4-style flowtable lists both ports.
# Bridged frames never reach the inet forward hook: no conntrack entry, nothing offloaded,
# slow-path counters at zero.
scenario_run() {
    topo_bridged
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
