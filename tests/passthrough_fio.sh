#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=600 disks=160M
#
# Pass-through integrity: fio writes with crc32c verification through
# /dev/mapper/r0, then the same job verifies the backing disk directly, and
# the data region of the backing disk has the checksum of the dm device.
. "${0%/*}/lib.sh"

ktap_print_header
ktap_set_plan 5

load_module
write_conf r0 /dev/vdb internal
run hareplctl create-md r0 >/dev/null || die "create-md failed"
run hareplctl up r0 || die "up failed"
run hareplctl primary --force r0 || die "primary failed"
SECTORS=$(blockdev --getsz /dev/mapper/r0)
log "r0 has $SECTORS sectors; vdb has $(blockdev --getsz /dev/vdb)"

# One job, run twice: writing through dm, then verifying the raw disk.
FIO="fio --name=pt --ioengine=libaio --direct=1 --iodepth=16 --bsrange=4k-64k
	--rw=randwrite --size=64M --randrepeat=1 --randseed=4242 --verify=crc32c
	--verify_fatal=1"

write_verify() {
	$FIO --filename=/dev/mapper/r0 --do_verify=1 >/tmp/fio.out 2>&1 ||
		{ cat /tmp/fio.out | sed 's/^/# /'; return 1; }
}
ktap_test_result "fio_write_verify_through_dm" write_verify

sync_fua() {
	# O_SYNC direct writes are FUA; fsync every 8 writes sends PREFLUSH
	fio --name=fua --filename=/dev/mapper/r0 --offset=80M --size=8M --bs=4k \
		--rw=write --direct=1 --sync=1 --fsync=8 --verify=crc32c \
		--do_verify=1 --verify_fatal=1 >/tmp/fua.out 2>&1 ||
		{ sed 's/^/# /' /tmp/fua.out; return 1; }
}
ktap_test_result "fua_and_flush_writes" sync_fua

same_md5() {
	a=$(disk_md5 /dev/mapper/r0 "$SECTORS")
	b=$(disk_md5 /dev/vdb "$SECTORS")
	log "dm $a, backing $b"
	[ "$a" = "$b" ]
}
ktap_test_result "backing_data_region_matches" same_md5

raw_verify() {
	run hareplctl down r0 || return 1
	$FIO --filename=/dev/vdb --verify_only=1 >/tmp/fio2.out 2>&1 ||
		{ sed 's/^/# /' /tmp/fio2.out; return 1; }
	# the metadata at the end of the disk is untouched
	hareplctl dump-md r0 >/dev/null
}
ktap_test_result "backing_disk_verifies" raw_verify

discard() {
	run hareplctl up r0 && run hareplctl primary --force r0 || return 1
	dm=$(dmsetup info -c --noheadings -o blkdevname r0)
	for q in discard_max_bytes write_zeroes_max_bytes; do
		log "$q: vdb $(cat /sys/block/vdb/queue/$q) $dm $(cat /sys/block/$dm/queue/$q)"
	done
	# write-zeroes passes through: the region reads back as zeroes
	dd if=/dev/urandom of=/dev/mapper/r0 bs=1M count=4 oflag=direct 2>/dev/null
	run blkdiscard -z -o 0 -l 4194304 /dev/mapper/r0 || return 1
	z=$(dd if=/dev/vdb bs=1M count=4 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
	e=$(dd if=/dev/zero bs=1M count=4 2>/dev/null | md5sum | cut -d' ' -f1)
	[ "$z" = "$e" ] || { log "zeroed region not zero on the backing disk"; return 1; }
	if [ "$(cat /sys/block/vdb/queue/discard_max_bytes)" != 0 ]; then
		run blkdiscard -o 8388608 -l 1048576 /dev/mapper/r0 || return 1
	fi
	run hareplctl down r0
}
ktap_test_result "discard_and_write_zeroes" discard

check_dmesg
ktap_finished
