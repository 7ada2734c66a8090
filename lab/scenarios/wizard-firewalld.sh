# wizard-firewalld: the firewalld router (trixie rootfs) with NftablesFlowtable=off and
# traffic flowing, for `offtui offload` to change for real (lab/run wizard-firewalld --ssh).
# Same topology, zones and traffic as the firewalld scenario; nothing is offloaded at start.
. /lab/scenarios/firewalld.sh
scenario_run() {
    fw_start off
}
