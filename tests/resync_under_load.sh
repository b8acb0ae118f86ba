#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=300 disks=256M,256M
#
# Application writes during a resync, on the very region being resynced:
# with the link cut the primary writes 128 MiB sequentially; the link comes
# back and, while the (rate-limited) resync of those 128 MiB runs, fio
# writes distinct random 4-16 KiB blocks all over the same 128 MiB with
# crc32c verification. A resync read never sends data older than a write
# the target already has, so at the end: fio's verification passes on the
# primary, the resync has finished, the data areas are identical and the
# secondary's disk alone passes fio's verification (it holds the
# application's writes, not older resync data).
. "${0%/*}/lib.sh"

ktap_print_header
ktap_set_plan 6

# 8 MiB/s at most: 128 MiB take >= 16 s, more while fio writes (fio overlaps most of it)
repl_setup sync Timeout=2s ResyncRate=8M
log "data area: $REPL_SECTORS sectors"

BULK="--name=bulk --ioengine=libaio --direct=1 --iodepth=8 --bs=1M --rw=write
	--offset=0 --size=128M"
LOAD="--name=load --ioengine=libaio --direct=1 --iodepth=8 --bsrange=4k-16k
	--rw=randwrite --offset=0 --size=128M --io_size=24M --randseed=31337
	--verify=crc32c --verify_fatal=1"

repl_link down
WRITTEN=0
ktap_test_result "bulk_write_while_disconnected" fio_writes /dev/mapper/r0a "$BULK"
OOS=$(repl_pnum nsa oos_bytes)
log "A: $OOS bytes out of sync for B"

repl_link up
# fio starts once the resync runs
if ! wait_for '[ "$(repl_peer nsa connection)" = SyncSource ]' 30; then
	repl_dump nsa nsb
	die "no resync started within 30 s of the link coming back"
fi
DONE0=$(repl_pnum nsa resync_done)
TOTAL=$(repl_pnum nsa resync_total)
log "resync running: $DONE0 of $TOTAL bytes done when fio starts"

load_during_resync() {
	WRITTEN=0
	fio_writes /dev/mapper/r0a "$LOAD" || return 1
	conn=$(repl_peer nsa connection)
	done=$(repl_pnum nsa resync_done)
	log "when fio ended: A's peer is $conn, resync $done of $TOTAL bytes done"
	# overlapped the resync at least while it started
	[ "$DONE0" -lt "$TOTAL" ]
}
ktap_test_result "fio_verify_clean_during_resync" load_during_resync

ktap_test_result "resync_completes" repl_wait_synced 150

moved() {
	sent=$(repl_pnum nsa resync_bytes)
	log "resync moved $sent bytes for $OOS out of sync at the reconnection; resync_total $TOTAL"
	# chunks fio rewrote during the resync (<= 24 MiB) may be skipped
	[ "$OOS" -eq $((128 << 20)) ] && [ "$TOTAL" -ge "$OOS" ] &&
		[ "$sent" -ge $(((128 - 24) << 20)) ] && [ "$sent" -le $((256 << 20)) ]
}
ktap_test_result "resynced_the_bulk_write" moved

ktap_test_result "data_areas_identical" repl_same_data "$REPL_SECTORS"

b_verifies() {
	run repl_ctl nsb down r0 || return 1
	fio_verify_only /dev/vdc "$LOAD"
}
ktap_test_result "b_holds_the_application_writes" b_verifies

repl_down
check_dmesg
ktap_finished
