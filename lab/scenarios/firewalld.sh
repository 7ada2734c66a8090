# firewalld: real firewalld (Debian trixie, >= 2.0) with NftablesFlowtable=veth-a veth-b and
# both veths in zone internal (which forwards). firewalld creates `table inet firewalld` with
# flowtable fastpath (no counter). Runs in the trixie rootfs (lab/run passes lab.root).
#   --variant bad-device: NftablesFlowtable also names nosuch0; firewalld is started with the
#   good list, then the config is changed and `firewall-cmd --reload` fails, leaving an empty
#   `table inet firewalld`.
fw_state() {
    dbus-send --system --print-reply=literal --dest=org.fedoraproject.FirewallD1 \
        /org/fedoraproject/FirewallD1 org.freedesktop.DBus.Properties.Get \
        string:org.fedoraproject.FirewallD1 string:state 2>/dev/null | awk '{print $NF}'
}
fw_wait() {
    i=0
    while [ $i -lt 600 ]; do
        case "$(fw_state)" in RUNNING|FAILED) return 0 ;; esac
        sleep 0.2; i=$((i + 1))
    done
    return 1
}
# fw_start VALUE: the routed topology, firewalld started with NftablesFlowtable=VALUE and both
# veths in zone internal, the slow-path counters and traffic (shared with wizard-firewalld).
fw_start() {
    COLLECT_EXTRA="-f /var/log/firewalld"
    topo_routed
    conf=/etc/firewalld/firewalld.conf
    sed -i "s/^NftablesFlowtable=.*/NftablesFlowtable=$1/" $conf
    { sed '/<\/zone>/d' /usr/lib/firewalld/zones/internal.xml
      echo '  <interface name="veth-a"/>'; echo '  <interface name="veth-b"/>'; echo '</zone>'
    } >/etc/firewalld/zones/internal.xml
    mkdir -p /run/dbus
    run dbus-daemon --system --fork
    firewalld --nofork --nopid --log-target=file --log-file=/var/log/firewalld >/run/lab/firewalld.out 2>&1 &
    fw_wait
    log "firewalld state: $(fw_state)"
    labcount
    traffic
}
scenario_run() {
    fw_start "veth-a veth-b"
    if [ "$VARIANT" = bad-device ]; then
        sleep 3
        sed -i 's/^NftablesFlowtable=.*/NftablesFlowtable=veth-a veth-b nosuch0/' $conf
        log "NftablesFlowtable now names nosuch0; firewall-cmd --reload"
        run firewall-cmd --reload
        log "firewalld state after reload: $(fw_state)"
    fi
    sample_twice
    cp /var/log/firewalld /run/lab/firewalld.log 2>/dev/null
}
