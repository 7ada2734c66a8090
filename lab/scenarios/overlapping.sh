# overlapping: two flowtables hook the same two devices: fw4's ft (priority filter) and a second
# table's ft2 at priority filter - 1 (the zapret2 report's layout). Both forward chains add
# flows; the lower-priority flowtable's ingress hook runs first and takes the packets.
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
		type filter hook forward priority filter; policy accept;
		meta l4proto { tcp, udp } flow offload @ft
	}
	chain srcnat {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "veth-b" masquerade
	}
}
table inet other {
	flowtable ft2 {
		hook ingress priority filter - 1
		devices = { veth-a, veth-b }
		counter
	}
	chain forward {
		type filter hook forward priority filter - 1; policy accept;
		meta l4proto { tcp, udp } flow add @ft2
	}
}
NFT
    traffic
    sample_twice
}
