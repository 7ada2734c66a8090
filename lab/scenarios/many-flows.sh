# many-flows: 10,000 concurrent UDP flows through routed-sfo's router, for the benchmarks.
# They are real packets made by the kernel's pktgen on the client's veth (source ports
# 10000-19999 to 10.0.2.2:6000, two packets each, then one per flow every 5 s), so no process
# per flow. The second packet of each flow is offloaded: expect about 10,000 [OFFLOAD] lines.
scenario_run() {
    topo_routed
    run sysctl -w net.netfilter.nf_conntrack_max=65536
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
	chain srcnat {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "veth-b" masquerade
	}
}
NFT
    traffic
    pktgen_flows "${LAB_FLOWS:-10000}"
    sample_twice
    log "nf_conntrack_count=$(cat /proc/sys/net/netfilter/nf_conntrack_count)"
}
