#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=2 timeout=300 disks=256M
#
# `make demo`: two nodes in two VMs joined by a qemu socket network. Both
# bring resource r0 up; node 0 becomes primary and puts a filesystem on it.
# (Replication between the nodes comes with the replication issue; for now
# each node shows its own resource.)
. "${0%/*}/lib.sh"

ME=$HAREPL_NODE
PEER=$((1 - ME))
say() { printf '\n=== node%s: %s\n' "$ME" "$*"; }

say "configuration /etc/harepl/r0.conf"
cat >/etc/harepl/r0.conf <<CONF
[Resource]
Name = r0
Disk = /dev/vdb
MetaDisk = internal
NodeId = $ME
Address = 192.0.2.$((ME + 1)):7789
Mode = sync

[Peer]
NodeId = $PEER
Address = 192.0.2.$((PEER + 1)):7789
CONF
cat /etc/harepl/r0.conf

say "the peer answers on the replication network"
wait_for "ping -c 1 -W 1 192.0.2.$((PEER + 1)) >/dev/null 2>&1" 30 || die "peer unreachable"
ping -c 3 192.0.2.$((PEER + 1)) | tail -n 1

say "hareplctl create-md r0"
run hareplctl create-md r0 || die "create-md failed"
run hareplctl dump-md r0 || die "dump-md failed"

say "hareplctl up r0"
load_module
run hareplctl up r0 || die "up failed"
run hareplctl status r0 || die "status failed"
run dmsetup table r0
run dmsetup status r0

if [ "$ME" = 0 ]; then
	say "promote and use a filesystem"
	run hareplctl primary --force r0 || die "primary failed"
	run mkfs.ext4 -q /dev/mapper/r0 || die "mkfs failed"
	mkdir -p /mnt/r0
	run mount /dev/mapper/r0 /mnt/r0 || die "mount failed"
	for i in 1 2 3; do
		dd if=/dev/urandom of=/mnt/r0/file$i bs=1M count=4 2>/dev/null
	done
	echo "hello from node0" >/mnt/r0/README
	sync
	(cd /mnt/r0 && md5sum file1 file2 file3 README)
	df -h /mnt/r0 | sed 's/^/  /'
	run umount /mnt/r0
	run fsck.ext4 -n -f /dev/mapper/r0 || die "fsck found errors"
else
	say "stays secondary: its device is read-only and refuses I/O"
	blockdev --getro /dev/mapper/r0 | sed 's/^1$/  read-only: yes/'
	dd if=/dev/mapper/r0 of=/dev/null bs=4k count=1 iflag=direct 2>&1 | tail -n 1 | sed 's/^/  /'
fi
run hareplctl status r0
say "hareplctl down r0"
run hareplctl down r0 || die "down failed"
check_dmesg
say "done"
