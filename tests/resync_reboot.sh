#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=300 disks=256M,256M
#
# The out-of-sync record survives a reboot of both nodes: with the link
# cut the primary writes 40 MiB (32 MiB sequential, 8 MiB of distinct
# 4 KiB random blocks); then both nodes are taken down, the module is
# unloaded and loaded again (nothing in memory survives, only the disks)
# and both come up again with the link still cut. The primary's on-disk
# bitmap slot for the peer holds exactly what was written (dump-md), the
# reloaded node reports it, and once the link is back a bitmap resync
# (not a full one) makes the data areas identical.
. "${0%/*}/lib.sh"

ktap_print_header
ktap_set_plan 7

repl_setup sync Timeout=2s
log "data area: $REPL_SECTORS sectors"

SEQ="--name=seq --ioengine=libaio --direct=1 --iodepth=8 --bs=1M --rw=write
	--offset=0 --size=32M --verify=crc32c --verify_fatal=1"
# distinct 4 KiB blocks (random map, io_size < size), disjoint from SEQ
RAND="--name=rand --ioengine=libaio --direct=1 --iodepth=16 --bs=4k --rw=randwrite
	--offset=64M --size=128M --io_size=8M --randseed=99 --verify=crc32c --verify_fatal=1"

repl_link down
WRITTEN=0
writes() {
	fio_writes /dev/mapper/r0a "$SEQ" && fio_writes /dev/mapper/r0a "$RAND" &&
		[ "$WRITTEN" -eq $((40 << 20)) ]
}
ktap_test_result "writes_while_disconnected" writes

OOS_BEFORE=$(repl_pnum nsa oos_bytes)
log "A: $OOS_BEFORE bytes out of sync for B before the reboot ($WRITTEN written)"
GEN_A=$(repl_status nsa gen_current)
GEN_B=$(repl_status nsb gen_current)
log "gen_current before the reboot: A $GEN_A, B $GEN_B; A's bitmap id for B $(repl_peer nsa gen_bitmap)"

run repl_down || die "down failed"
unload_module

# slot_oos NS NODE: oos_bytes of the on-disk bitmap slot of peer NODE in NS's metadata
slot_oos() {
	repl_ctl "$1" dump-md --json r0 >"/tmp/md-$1.json" || return 1
	jq -c '.slots' "/tmp/md-$1.json" | sed "s/^/# $1 slots: /" >&2
	repl_num "$(jq -r ".slots[] | select(.node_id == $2) | .oos_bytes" "/tmp/md-$1.json")"
}

persisted() {
	a=$(slot_oos nsa 1)
	b=$(slot_oos nsb 0)
	log "on disk after down: A's slot for B $a bytes, B's slot for A $b bytes"
	[ "$a" -eq "$WRITTEN" ] && [ "$b" -eq 0 ]
}
ktap_test_result "dump_md_slot_holds_oos_after_down" persisted

load_module
for ns in nsa nsb; do
	run repl_ctl $ns up r0 || { repl_dump $ns; die "$ns: up after the reboot failed"; }
done

reloaded() {
	repl_dump nsa nsb
	oos=$(repl_pnum nsa oos_bytes)
	log "A after the reboot: $oos bytes out of sync for B, gen $(repl_status nsa gen_current), bitmap id $(repl_peer nsa gen_bitmap)"
	[ "$oos" -eq "$WRITTEN" ] && [ "$(repl_status nsa disk)" = UpToDate ] &&
		! repl_peer_live nsa && ! repl_peer_live nsb
}
ktap_test_result "bitmap_loaded_after_reboot" reloaded

b_still_old_generation() {
	# B missed the writes: its generation is the one A recorded as its bitmap id for B
	gb=$(repl_status nsb gen_current)
	bm=$(repl_peer nsa gen_bitmap)
	log "B gen_current $gb (before the reboot $GEN_B), A's bitmap id for B $bm"
	[ -n "$gb" ] && [ "$gb" = "$GEN_B" ] && [ "$bm" = "$gb" ] &&
		[ "$(repl_status nsa gen_current)" != "$gb" ]
}
ktap_test_result "generations_kept_across_reboot" b_still_old_generation

repl_link up
ktap_test_result "resync_completes" repl_wait_synced 150

bitmap_not_full() {
	sent=$(repl_pnum nsa resync_bytes)
	recv=$(repl_pnum nsb resync_bytes)
	log "resync moved $sent bytes (B received $recv) for $WRITTEN written; data area $((REPL_SECTORS * 512)) bytes"
	[ "$sent" -gt 0 ] && [ "$sent" -ge "$WRITTEN" ] && [ "$sent" -le $((2 * WRITTEN)) ] &&
		[ "$recv" -eq "$sent" ]
}
ktap_test_result "resync_bytes_between_1x_and_2x_written" bitmap_not_full

identical() {
	repl_same_data "$REPL_SECTORS" || return 1
	run repl_ctl nsb down r0 || return 1
	fio_verify_only /dev/vdc "$SEQ" "$RAND"
}
ktap_test_result "data_areas_identical_and_b_verifies" identical

repl_down
check_dmesg
ktap_finished
