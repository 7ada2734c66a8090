# flow-add-input: the `flow add` statement put in the input chain instead of forward.
# The kernel only offloads from the forward hook (nft_flow_offload_validate); this scenario
# records what nft answers for the rule in a base input chain (scenario log), then loads a
# ruleset the kernel accepts with the flow add rule in a regular chain named "input_flow" that
# no forward chain reaches, so routed traffic is never offloaded.
scenario_run() {
    topo_routed
    labcount
    log "trying: flow add in the base input chain"
    nft_load <<'NFT' || log "nft refused flow add in the input hook (see scenario log)"
table inet fw4 {
	flowtable ft {
		hook ingress priority filter
		devices = { veth-a, veth-b }
		counter
	}
	chain input {
		type filter hook input priority filter; policy accept;
		meta l4proto { tcp, udp } flow add @ft
	}
}
NFT
    if ! nft list chain inet fw4 input >/dev/null 2>&1; then
        nft delete table inet fw4 2>/dev/null
        log "loading the accepted form: flow add in regular chain input_flow, jumped to from input"
        nft_load <<'NFT' || { log "jump refused too; flow add stays in an unreferenced chain"; nft delete table inet fw4 2>/dev/null; nft_load <<'NFT2'; }
table inet fw4 {
	flowtable ft {
		hook ingress priority filter
		devices = { veth-a, veth-b }
		counter
	}
	chain input_flow {
		meta l4proto { tcp, udp } flow add @ft
	}
	chain input {
		type filter hook input priority filter; policy accept;
		jump input_flow
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
	}
	chain srcnat {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "veth-b" masquerade
	}
}
NFT
table inet fw4 {
	flowtable ft {
		hook ingress priority filter
		devices = { veth-a, veth-b }
		counter
	}
	chain input_flow {
		meta l4proto { tcp, udp } flow add @ft
	}
	chain input {
		type filter hook input priority filter; policy accept;
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
	}
	chain srcnat {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "veth-b" masquerade
	}
}
NFT2
    fi
    traffic
    sample_twice
}
