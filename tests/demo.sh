#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=2 timeout=300 disks=256M
#
# `make demo`: two nodes in two VMs joined by a qemu socket network.
# Both bring resource r0 up and connect; node 0 becomes primary (--force:
# a new pair), which starts a full sync to node 1 in the background, puts
# a filesystem on it and writes files, which replicate synchronously to
# node 1; once the sync is done the roles switch (planned switchover) and
# node 1 mounts the filesystem and finds the same files.
. "${0%/*}/lib.sh"

ME=$HAREPL_NODE
PEER=$((1 - ME))
say() { printf '\n=== node%s: %s\n' "$ME" "$*"; }
field() { hareplctl status --json r0 | jq -r ".$1"; }

say "configuration /etc/harepl/r0.conf"
vm_conf /dev/vdb demo-secret sync
sed 's/^Secret = .*/Secret = (hidden)/' /etc/harepl/r0.conf

say "the peer answers on the replication network"
wait_for "ping -c 1 -W 1 192.0.2.$((PEER + 1)) >/dev/null 2>&1" 60 || die "peer unreachable"
ping -c 3 192.0.2.$((PEER + 1)) | tail -n 1

say "hareplctl create-md r0; hareplctl up r0"
load_module
run hareplctl create-md r0 >/dev/null || die "create-md failed"
run hareplctl up r0 || die "up failed"
wait_for '[ "$(field connection)" = Connected ]' 60 || die "not connected"
run hareplctl status r0

mkdir -p /mnt/r0
if [ "$ME" = 0 ]; then
	say "promote (--force: a new pair), make a filesystem, write files"
	run hareplctl primary --force r0 || die "primary failed"
	run mkfs.ext4 -q /dev/mapper/r0 || die "mkfs failed"
	run mount /dev/mapper/r0 /mnt/r0 || die "mount failed"
	for i in 1 2 3; do
		dd if=/dev/urandom of=/mnt/r0/file$i bs=1M count=4 2>/dev/null
	done
	echo "hello from node0" >/mnt/r0/README
	(cd /mnt/r0 && md5sum file1 file2 file3 README) | tee /tmp/sums
	run umount /mnt/r0
	run hareplctl status r0
	run dmsetup status r0

	say "the initial full sync to node1 runs in the background; wait for it"
	if ! wait_for '[ "$(field "peers[0].connection")" = Connected ] &&
			[ "$(field "peers[0].disk")" = UpToDate ]' 240; then
		hareplctl status r0
		die "the initial sync did not finish"
	fi
	run hareplctl status r0

	say "planned switchover: demote, hand over to node1"
	run hareplctl secondary r0 || die "secondary failed"
	vm_send 9000 /tmp/sums || die "node1 did not take the checksums"
	vm_receive 9001 120 /tmp/verdict || die "no word from node1"
	say "node1 says: $(cat /tmp/verdict)"
	grep -q '^same files$' /tmp/verdict || die "node1 saw different data"
else
	say "secondary: the device is read-only and refuses I/O while node0 writes"
	blockdev --getro /dev/mapper/r0 | sed 's/^1$/  read-only: yes/'
	vm_receive 9000 180 /tmp/sums || die "no checksums from node0"
	say "node0 handed over; promote and mount"
	wait_for '[ "$(field "peers[0].role")" = Secondary ]' 10 || die "node0 still primary"
	# no --force: the initial sync made node1's disk UpToDate
	run hareplctl primary r0 || die "promotion failed"
	run mount /dev/mapper/r0 /mnt/r0 || die "mount failed"
	(cd /mnt/r0 && md5sum -c /tmp/sums) && verdict="same files" || verdict="different data"
	cat /mnt/r0/README
	run umount /mnt/r0
	run fsck.ext4 -n -f /dev/mapper/r0 || verdict="fsck failed"
	echo "$verdict" >/tmp/verdict
	vm_send 9001 /tmp/verdict || die "node0 did not take the verdict"
	run hareplctl status r0
	[ "$verdict" = "same files" ] || die "$verdict"
fi
say "hareplctl down r0"
sleep 2
run hareplctl down r0 || die "down failed"
check_dmesg
say "done"
