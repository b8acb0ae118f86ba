#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=2 timeout=900 disks=256M
#
# `make demo`: two nodes in two VMs joined by a qemu network, the whole
# failover story:
#  1. both bring resource r0 up and connect; node 0 becomes primary
#     (--force: a new pair), which starts a full sync to node 1 in the
#     background, puts ext4 on it and writes files (each with fsync), which
#     replicate synchronously to node 1; it waits for the initial sync;
#  2. node 0 sends node 1 the checksums of the files and keeps writing;
#     node 1 has node 0's qemu killed (a power loss);
#  3. node 1 promotes itself (no --force: its disk is UpToDate), mounts the
#     filesystem (journal replay), finds the same files, fsck is clean; it
#     writes a file of its own while node 0 is down;
#  4. node 0 boots again, comes up as secondary and resyncs from node 1:
#     at most its write-intent hot set plus what node 1 wrote (the
#     progress is shown); both data areas are then identical;
#  5. planned switchback: node 1 demotes, node 0 promotes (no --force) and
#     finds every file, node 1's too; fsck is clean; both go down.
# Any failed check fails the demo (make demo exits non-zero).
. "${0%/*}/lib.sh"

ME=$HAREPL_NODE
PEER=$((1 - ME))
BOOT=$(vm_boot)
say() { printf '\n=== node%s: %s\n' "$ME" "$*"; }
# fsck_clean: fsck.ext4 -n -f of the unmounted device finds nothing to fix
fsck_clean() { run fsck.ext4 -n -f /dev/mapper/r0; }

mkdir -p /mnt/r0
if [ "$BOOT" -gt 1 ]; then
	# node 0 after the power loss
	say "boot $BOOT: back after the power loss"
	vm_conf /dev/vdb demo-secret sync Timeout=2s
	load_module
	say "wait until node1 has taken over (a cluster manager keeps a failed node out until then)"
	msg=$(vm_hear 9500 600)
	oos=${msg#rejoin }
	[ "$msg" = "rejoin $oos" ] && [ "$(repl_num "$oos")" -ge 0 ] || die "no word from node1"
	say "hareplctl up r0: rejoin as secondary"
	run hareplctl up r0 || die "up failed"
	dmesg | sed -n 's/.*\(r0: not stopped cleanly.*\)/  kernel: \1/p'
	say "resync from node1 (this node is SyncTarget)"
	end=$(($(cut -d. -f1 /proc/uptime) + 300))
	while ! r0_synced; do
		[ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ] || { hareplctl status r0; die "no resync"; }
		line=$(hareplctl status r0 | sed -n 's/^ *\(resync .*\)/\1/p')
		echo "  $(r0_pfield connection), disk $(r0_field disk)${line:+: $line}"
		sleep 1
	done
	run hareplctl status r0
	rb=$(repl_num "$(r0_pfield resync_bytes)")
	bound=$(((16 << 22) + oos))
	say "resynced $((rb >> 10)) KiB: at most the hot set (64 MiB) + what node1 wrote ($((oos >> 10)) KiB)"
	[ "$rb" -gt 0 ] && [ "$rb" -le "$bound" ] || die "resync of $rb bytes, bound $bound"
	md5=$(r0_data_md5)
	say "data area md5 $md5"
	vm_back 9100 "$md5" || die "node1 did not listen"

	say "wait for node1 to hand back (planned switchback)"
	vm_receive 9200 300 /tmp/sums || die "no checksums from node1"
	wait_for '[ "$(r0_pfield role)" = Secondary ]' 30 || die "node1 still primary"
	run hareplctl primary r0 || die "promotion failed"
	run mount /dev/mapper/r0 /mnt/r0 || die "mount failed"
	(cd /mnt/r0 && md5sum -c /tmp/sums) && verdict="same files" || verdict="different data"
	cat /mnt/r0/NODE1
	run umount /mnt/r0
	fsck_clean || verdict="fsck failed"
	echo "$verdict" >/tmp/verdict
	vm_send 9001 /tmp/verdict || die "node1 did not take the verdict"
	run hareplctl status r0
	[ "$verdict" = "same files" ] || die "$verdict"
	say "hareplctl down r0"
	run hareplctl down r0 || die "down failed"
	check_dmesg
	say "done"
	exit 0
fi

say "configuration /etc/harepl/r0.conf"
vm_conf /dev/vdb demo-secret sync Timeout=2s
sed 's/^Secret = .*/Secret = (hidden)/' /etc/harepl/r0.conf

say "the peer answers on the replication network"
wait_for "ping -c 1 -W 1 192.0.2.$((PEER + 1)) >/dev/null 2>&1" 60 || die "peer unreachable"
ping -c 3 192.0.2.$((PEER + 1)) | tail -n 1

say "hareplctl create-md --al-extents 16 r0; hareplctl up r0"
load_module
# a write-intent hot set of 16 extents (64 MiB): what a crashed primary resyncs at most
run hareplctl create-md --al-extents 16 r0 >/dev/null || die "create-md failed"
run hareplctl up r0 || die "up failed"
wait_for '[ "$(r0_field connection)" = Connected ]' 60 || die "not connected"
run hareplctl status r0

if [ "$ME" = 0 ]; then
	say "promote (--force: a new pair), make a filesystem, write files"
	run hareplctl primary --force r0 || die "primary failed"
	run mkfs.ext4 -q -E lazy_itable_init=0,lazy_journal_init=0 /dev/mapper/r0 || die "mkfs failed"
	run mount /dev/mapper/r0 /mnt/r0 || die "mount failed"
	for i in 1 2 3; do
		dd if=/dev/urandom of=/mnt/r0/file$i bs=1M count=4 conv=fsync 2>/dev/null
	done
	echo "hello from node0" >/mnt/r0/README
	sync
	(cd /mnt/r0 && md5sum file1 file2 file3 README) | tee /tmp/sums
	run hareplctl status r0
	run dmsetup status r0

	say "the initial full sync to node1 runs in the background; wait for it"
	if ! wait_for '[ "$(r0_field "peers[0].connection")" = Connected ] &&
			[ "$(r0_field "peers[0].disk")" = UpToDate ]' 240; then
		hareplctl status r0
		die "the initial sync did not finish"
	fi
	run hareplctl status r0

	say "the files are on both disks (fsync, sync mode): tell node1 their checksums"
	vm_send 9000 /tmp/sums || die "node1 did not take the checksums"
	say "keep writing until the power goes out"
	i=0
	while :; do
		i=$((i + 1))
		dd if=/dev/urandom of=/mnt/r0/busy$i bs=64k count=16 2>/dev/null
		[ $((i % 10)) -ne 0 ] || echo "  wrote busy1..busy$i"
	done
fi

say "secondary: the device is read-only and refuses I/O while node0 writes"
blockdev --getro /dev/mapper/r0 | sed 's/^1$/  read-only: yes/'
vm_receive 9000 400 /tmp/sums || die "no checksums from node0"
sed 's/^/  node0 wrote: /' /tmp/sums
run hareplctl status r0
sleep 2
say "power loss: kill node0's qemu while it writes"
vm_kill_restart 0
wait_for '[ "$(r0_pfield connection)" != Connected ]' 60 || die "node0 still connected"
run hareplctl status r0

say "failover: promote node1 and mount (the journal replays)"
# no --force: the initial sync made node1's disk UpToDate
run hareplctl primary r0 || die "promotion failed"
run mount /dev/mapper/r0 /mnt/r0 || die "mount failed"
(cd /mnt/r0 && md5sum -c /tmp/sums) && verdict="same files" || verdict="different data"
cat /mnt/r0/README
n=0
for f in /mnt/r0/busy*; do
	[ ! -e "$f" ] || n=$((n + 1))
done
echo "  $n busy files are there (written without fsync: like on a local disk, the last ones may be lost)"
run umount /mnt/r0
fsck_clean || verdict="fsck failed"
say "node1 finds: $verdict"
[ "$verdict" = "same files" ] || die "$verdict"

say "node1 writes while node0 is down"
run mount /dev/mapper/r0 /mnt/r0 || die "mount failed"
echo "written on node1 while node0 was down" >/mnt/r0/NODE1
dd if=/dev/urandom of=/mnt/r0/file4 bs=1M count=4 conv=fsync 2>/dev/null
(cd /mnt/r0 && md5sum file4 NODE1) | tee -a /tmp/sums
run umount /mnt/r0
run hareplctl status r0

say "node0 may rejoin"
n=0
until vm_tell 9500 "rejoin $(r0_pfield oos_bytes)"; do
	n=$((n + 1))
	[ $n -lt 5 ] || die "node0 did not come back"
done
md5_0=$(vm_wait_back 9100 0 2 600) || die "node0 did not resync"
wait_for r0_synced 60 || { hareplctl status r0; die "not in sync"; }
run hareplctl status r0
md5_1=$(r0_data_md5)
say "data area md5: node0 $md5_0, node1 $md5_1"
[ -n "$md5_1" ] && [ "$md5_0" = "$md5_1" ] || die "the data areas differ"

say "planned switchback: demote, hand over to node0"
run hareplctl secondary r0 || die "secondary failed"
vm_send 9200 /tmp/sums || die "node0 did not take the checksums"
vm_receive 9001 120 /tmp/verdict || die "no word from node0"
say "node0 says: $(cat /tmp/verdict)"
grep -q '^same files$' /tmp/verdict || die "node0 saw different data"
say "hareplctl down r0"
sleep 2
run hareplctl down r0 || die "down failed"
check_dmesg
say "done"
