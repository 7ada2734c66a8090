# routed-sfo: fw4-style software flow offload. table inet fw4 with flowtable ft on both routed
# veths (counter), `meta l4proto { tcp, udp } flow offload @ft` first in forward, masquerade
# on the WAN side (veth-b). Expect [OFFLOAD] flows and flat slow-path counters.
scenario_run() {
    topo_routed
    labcount
    nft_load <<'NFT'
table inet fw4 {
	flowtable ft {
		hook ingress priority filter
		devices = { veth-a, veth-b }
		counter
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		meta l4proto { tcp, udp } flow offload @ft
		ct state established,related accept
		iifname "veth-a" oifname "veth-b" accept
	}
	chain srcnat {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "veth-b" masquerade
	}
}
NFT
    traffic
    sample_twice
}
