# routed-none: the same router and traffic as routed-sfo, without a flowtable. Expect no
# [OFFLOAD] and slow-path counters rising with the traffic.
scenario_run() {
    topo_routed
    labcount
    nft_load <<'NFT'
table inet fw4 {
	chain forward {
		type filter hook forward priority filter; policy drop;
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
