#!/bin/sh
# Install the host packages the flowtable lab needs (Debian/Ubuntu, as root). Idempotent:
# packages already present are left alone, and apt-get update runs only when something is
# missing. The CI script calls this before the lab tests.
#
#   qemu-system-x86   boots the router VM (TCG; no KVM needed)
#   busybox-static    the guest userland, and a third shell for the collector tests
#   cpio kmod         build the initramfs (newc archive, depmod/modprobe --show-depends)
#   debootstrap e2fsprogs   the firewalld scenario's Debian trixie rootfs on an ext4 image
#   openssh-client    lab/run --ssh, the remote tests
#   dash              the collector is tested under busybox ash, dash and bash
#   dpkg-dev          not needed: apt-get download + dpkg-deb (from dpkg) extract packages
set -eu
PKGS="qemu-system-x86 busybox-static cpio kmod debootstrap e2fsprogs openssh-client dash gzip
      ca-certificates"
[ "$(id -u)" = 0 ] || { echo "install-host-deps.sh: run as root" >&2; exit 1; }
missing=""
for p in $PKGS; do
    st=$(dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null || true)
    case "$st" in ii*) ;; *) missing="$missing $p" ;; esac
done
if [ -z "$missing" ]; then
    echo "install-host-deps.sh: all present ($(echo $PKGS))"
    exit 0
fi
echo "install-host-deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "install-host-deps.sh: done"
