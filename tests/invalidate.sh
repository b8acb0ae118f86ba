#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=300 disks=128M,128M
#
# hareplctl invalidate on the secondary throws its data away and fetches
# everything again: a connected, in-sync pair, 32 MiB written on the
# primary; invalidate is refused on the primary; on the secondary it makes
# the disk Inconsistent and SyncTarget, a full sync of the
# whole data area follows (resync_bytes about the data area size), and B
# ends UpToDate with A's generation and identical data.
. "${0%/*}/lib.sh"

ktap_print_header
ktap_set_plan 6

load_module
two_ns_setup
repl_events_start nsb
repl_setup sync Timeout=2s
AREA=$((REPL_SECTORS * 512))
log "data area: $REPL_SECTORS sectors"

FILL="--name=fill --ioengine=libaio --direct=1 --iodepth=16 --bsrange=4k-64k
	--rw=randwrite --offset=0 --size=32M --randseed=808 --verify=crc32c --verify_fatal=1"

WRITTEN=0
written_in_sync() {
	fio_writes /dev/mapper/r0a "$FILL" || return 1
	repl_same_data "$REPL_SECTORS" && [ "$(repl_pnum nsa oos_bytes)" -eq 0 ] &&
		[ "$(repl_pnum nsa resync_bytes)" -eq 0 ]
}
ktap_test_result "written_and_in_sync" written_in_sync

primary_refuses() {
	out=$(repl_ctl nsa invalidate r0 2>&1)
	rc=$?
	log "invalidate on the primary: exit $rc: $out"
	[ $rc -ne 0 ] && [ "$(repl_status nsa disk)" = UpToDate ] &&
		[ "$(repl_peer nsa connection)" = Connected ] && [ "$(repl_pnum nsa resync_bytes)" -eq 0 ]
}
ktap_test_result "invalidate_refused_on_primary" primary_refuses

invalidated() {
	run repl_ctl nsb invalidate r0 || return 1
	# right after the command: B's data is no longer trusted
	d=$(repl_status nsb disk)
	g=$(repl_status nsb gen_current)
	log "B right after invalidate: disk $d, gen_current $g, peer $(repl_peer nsb connection)"
	[ "$d" = Inconsistent ] || repl_event_seen nsb '.disk == "Inconsistent"'
}
ktap_test_result "b_inconsistent_after_invalidate" invalidated

ktap_test_result "full_sync_completes" repl_wait_synced 200

full_sync() {
	repl_events_stop nsb
	repl_events_log nsb
	sent=$(repl_pnum nsa resync_bytes)
	recv=$(repl_pnum nsb resync_bytes)
	log "invalidate: resync moved $sent bytes (B received $recv) for a data area of $AREA bytes ($WRITTEN written by fio)"
	{ repl_seen nsb SyncTarget || repl_event_seen nsb '.peers[0].connection == "SyncTarget"'; } ||
		{ log "B was never seen as SyncTarget"; return 1; }
	[ "$sent" -ge "$AREA" ] && [ "$sent" -le $((AREA + AREA / 20)) ] && [ "$recv" -eq "$sent" ]
}
ktap_test_result "full_sync_of_the_data_area" full_sync

identical() {
	ga=$(repl_status nsa gen_current)
	gb=$(repl_status nsb gen_current)
	log "gen_current: A $ga, B $gb"
	[ "$(repl_status nsb disk)" = UpToDate ] && [ -n "$ga" ] && [ "$ga" = "$gb" ] &&
		repl_same_data "$REPL_SECTORS" || return 1
	run repl_ctl nsb down r0 || return 1
	fio_verify_only /dev/vdc "$FILL"
}
ktap_test_result "b_uptodate_same_generation_identical" identical

repl_down
check_dmesg
ktap_finished
