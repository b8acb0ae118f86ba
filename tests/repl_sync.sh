#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=300 disks=128M,128M
#
# Synchronous replication between two namespaces: fio random writes with
# crc32c verification, then O_SYNC (FUA) writes with an fsync every 8, on
# the primary; afterwards nothing is in flight, the peer was sent more than
# was written, and the secondary's data area is identical to the primary's
# and passes fio's verification on its own.
. "${0%/*}/lib.sh"

ktap_print_header
ktap_set_plan 7

repl_setup sync
log "data area: $REPL_SECTORS sectors"

FIO_RAND="--name=rand --ioengine=libaio --direct=1 --iodepth=16 --bsrange=4k-64k
	--rw=randwrite --offset=0 --size=32M --randrepeat=1 --randseed=4242
	--verify=crc32c --verify_fatal=1"
FIO_FUA="--name=fua --ioengine=libaio --direct=1 --offset=40M --size=4M --bs=4k
	--rw=write --sync=1 --fsync=8 --verify=crc32c --verify_fatal=1"

connected_states() {
	repl_dump nsa nsb
	[ "$(repl_status nsa role)" = Primary ] && [ "$(repl_status nsa disk)" = UpToDate ] &&
		[ "$(repl_status nsa connection)" = Connected ] &&
		[ "$(repl_peer nsa node_id)" = 1 ] &&
		[ "$(repl_peer nsa address)" = 192.0.2.2:7789 ] &&
		[ "$(repl_peer nsa mode)" = sync ] &&
		[ "$(repl_peer nsa connection)" = Connected ] &&
		[ "$(repl_peer nsa role)" = Secondary ] &&
		[ "$(repl_status nsb role)" = Secondary ] &&
		[ "$(repl_peer nsb node_id)" = 0 ] &&
		[ "$(repl_peer nsb connection)" = Connected ] &&
		wait_for '[ "$(repl_peer nsb role)" = Primary ]' 5 &&
		dmsetup status r0a | grep -q ' harepl Primary UpToDate Connected' &&
		dmsetup status r0b | grep -q ' harepl Secondary [A-Za-z]* Connected'
}
ktap_test_result "states_when_connected" connected_states

WRITTEN=0
ktap_test_result "fio_randwrite_verify" fio_writes /dev/mapper/r0a "$FIO_RAND"
ktap_test_result "fio_fua_fsync_verify" fio_writes /dev/mapper/r0a "$FIO_FUA"

all_acked() {
	# every write completed, so every write was acknowledged
	wait_for '[ "$(repl_peer nsa inflight)" = 0 ]' 2 || { repl_dump nsa; return 1; }
	sent=$(repl_num "$(repl_peer nsa bytes_sent)")
	recv=$(repl_num "$(repl_peer nsb bytes_received)")
	log "written $WRITTEN, A sent $sent, B received $recv"
	[ "$WRITTEN" -ge $((36 << 20)) ] && [ "$sent" -gt "$WRITTEN" ] && [ "$recv" -gt "$WRITTEN" ]
}
ktap_test_result "nothing_in_flight_and_all_sent" all_acked

ktap_test_result "data_areas_identical" repl_same_data "$REPL_SECTORS"

still_connected() {
	[ "$(repl_peer nsa connection)" = Connected ] && [ "$(repl_num "$(repl_peer nsa oos_bytes)")" -eq 0 ]
}
ktap_test_result "connected_throughout_nothing_out_of_sync" still_connected

secondary_verifies() {
	# the secondary's disk on its own holds what fio wrote (same offsets: internal metadata)
	run repl_ctl nsb down r0 || return 1
	fio_verify_only /dev/vdc "$FIO_RAND" "$FIO_FUA"
}
ktap_test_result "secondary_disk_verifies" secondary_verifies

repl_down
check_dmesg
ktap_finished
