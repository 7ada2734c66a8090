# device-missing: the flowtable lists veth-a (LAN) but not veth-b (WAN). nft accepts it, both
# directions of each flow show [OFFLOAD], but only packets arriving on veth-a take the fast
# path: the reply direction (arriving on veth-b) keeps going through the forward chain.
scenario_run() {
    topo_routed
    labcount
    nft_load <<'NFT'
table inet fw4 {
	flowtable ft {
		hook ingress priority filter
		devices = { veth-a }
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
