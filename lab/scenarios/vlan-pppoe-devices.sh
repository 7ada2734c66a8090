# vlan-pppoe-devices: the WAN side is VLAN 7 on veth-b (router device veth-b.7).
#   --variant lower (default): flowtable devices { veth-a, veth-b }   (the VLAN's lower device)
#   --variant upper:           flowtable devices { veth-a, veth-b.7 } (the VLAN device itself)
# PPPoE is not part of it: Debian's cloud kernel is built without CONFIG_PPP/CONFIG_PPPOE, and
# busybox has neither a PPPoE server nor pppd (see lab/README.md).
scenario_run() {
    topo_routed vlan
    case "$VARIANT" in upper) WANDEV=veth-b.7 ;; *) WANDEV=veth-b ;; esac
    labcount
    nft_load <<NFT
table inet fw4 {
	flowtable ft {
		hook ingress priority filter
		devices = { veth-a, $WANDEV }
		counter
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		meta l4proto { tcp, udp } flow offload @ft
		ct state established,related accept
		iifname "veth-a" oifname "veth-b.7" accept
	}
	chain srcnat {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "veth-b.7" masquerade
	}
}
NFT
    traffic
    sample_twice
}
