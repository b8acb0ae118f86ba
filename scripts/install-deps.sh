#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything harepl needs to build, test and benchmark on a Debian 12
# machine. Idempotent: does nothing when every package is already present.
set -eu

PKGS="build-essential pkg-config libnl-3-dev libnl-genl-3-dev libdevmapper-dev
linux-image-cloud-amd64 linux-headers-cloud-amd64 qemu-system-x86
busybox-static fio kmod cpio iproute2 dmsetup e2fsprogs util-linux
sparse gawk linux-source-6.1 jq mandoc python3
drbd-utils iperf3 gnuplot-nox resource-agents libxml2-utils"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
