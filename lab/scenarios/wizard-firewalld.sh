# wizard-firewalld: the firewalld router (trixie rootfs) with NftablesFlowtable=off and
# traffic flowing, for `offtui offload` to change for real (lab/run wizard-firewalld --ssh).
# Same topology, zones and traffic as the firewalld scenario; nothing is offloaded at start.
. /lab/scenarios/firewalld.sh
scenario_run() {
    COLLECT_EXTRA="-f /var/log/firewalld"
    topo_routed
    conf=/etc/firewalld/firewalld.conf
    sed -i 's/^NftablesFlowtable=.*/NftablesFlowtable=off/' $conf
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
