#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=240 disks=128M,128M
#
# Online verify finds exactly one silently corrupted 4 KiB block: the pair
# is connected and in sync, the primary writes 16 MiB of random data, then
# one block of the secondary's backing disk is overwritten behind harepl's
# back. hareplctl verify --wait on the primary reports 4096 bytes
# different (verify_diff and oos_bytes 4096, nothing copied), resync
# --wait sends exactly that block, the data areas are identical again and
# a second verify finds nothing.
. "${0%/*}/lib.sh"

ktap_print_header
ktap_set_plan 6

repl_setup sync
log "data area: $REPL_SECTORS sectors"

FILL="--name=fill --ioengine=libaio --direct=1 --iodepth=8 --bs=1M --rw=write
	--offset=0 --size=16M --verify=crc32c --verify_fatal=1"
BAD_BLOCK=1283 # 4 KiB block number: offset 5 MiB + 12 KiB, inside FILL

WRITTEN=0
written_in_sync() {
	fio_writes /dev/mapper/r0a "$FILL" || return 1
	repl_same_data "$REPL_SECTORS" && [ "$(repl_pnum nsa oos_bytes)" -eq 0 ]
}
ktap_test_result "written_and_in_sync" written_in_sync

corrupt() {
	# 4 KiB of fresh random bytes: not what fio wrote there
	dd if=/dev/urandom of=/tmp/bad bs=4096 count=1 2>/dev/null
	[ -s /tmp/bad ] || return 1
	run dd if=/tmp/bad of=/dev/vdc bs=4096 seek=$BAD_BLOCK count=1 oflag=direct conv=notrunc 2>/dev/null ||
		return 1
	! repl_same_data "$REPL_SECTORS"
}
ktap_test_result "b_block_corrupted_behind_harepl" corrupt

# verify_reports BYTES RESYNCED: verify --wait on A says BYTES differ, A's peer counters agree and
# resync_bytes is still RESYNCED (verify copies nothing)
verify_reports() {
	out=$(repl_ctl nsa verify --wait r0 2>&1)
	rc=$?
	log "verify exit $rc: $out"
	diff=$(repl_pnum nsa verify_diff)
	oos=$(repl_pnum nsa oos_bytes)
	rs=$(repl_pnum nsa resync_bytes)
	log "verify_diff $diff, oos_bytes $oos, resync_bytes $rs, A's peer $(repl_peer nsa connection)"
	[ $rc -eq 0 ] && echo "$out" | grep -q "r0: verify with peer 1 done: $1 bytes differ" &&
		[ "$diff" -eq "$1" ] && [ "$oos" -eq "$1" ] && [ "$rs" -eq "$2" ] &&
		[ "$(repl_peer nsa connection)" = Connected ]
}
ktap_test_result "verify_finds_exactly_4096_bytes" verify_reports 4096 0

still_different() {
	# verify copies nothing
	! repl_same_data "$REPL_SECTORS" &&
		[ "$(region_md5 /dev/vdc $((BAD_BLOCK * 4)) 4)" = "$(md5sum </tmp/bad | cut -d' ' -f1)" ]
}
ktap_test_result "verify_copied_nothing" still_different

repaired() {
	run repl_ctl nsa resync --wait r0 || { repl_dump nsa nsb; return 1; }
	sent=$(repl_pnum nsa resync_bytes)
	recv=$(repl_pnum nsb resync_bytes)
	log "resync moved $sent bytes (B received $recv) for 4096 found different"
	[ "$sent" -eq 4096 ] && [ "$recv" -eq 4096 ] && [ "$(repl_pnum nsa oos_bytes)" -eq 0 ] &&
		repl_same_data "$REPL_SECTORS" &&
		[ "$(repl_status nsb disk)" = UpToDate ] && [ "$(repl_peer nsa connection)" = Connected ]
}
ktap_test_result "resync_repairs_the_block" repaired

ktap_test_result "second_verify_finds_nothing" verify_reports 0 4096

repl_down
check_dmesg
ktap_finished
