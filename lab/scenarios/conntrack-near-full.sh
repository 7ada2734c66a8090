# conntrack-near-full: routed-sfo's router with net.netfilter.nf_conntrack_max=256, filled by
# real packets: the four traffic flows plus 250 UDP flows from pktgen. count/max >= 90 %
# (the kernel logs "nf_conntrack: table full, dropping packet" once it is full).
scenario_run() {
    topo_routed
    run sysctl -w net.netfilter.nf_conntrack_max=256
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
    sleep 1
    pktgen_flows 250
    sample_twice
    log "nf_conntrack_count=$(cat /proc/sys/net/netfilter/nf_conntrack_count) max=$(cat /proc/sys/net/netfilter/nf_conntrack_max)"
}
