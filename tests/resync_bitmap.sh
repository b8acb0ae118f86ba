#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=360 disks=256M,256M
#
# Bitmap resync after a disconnect: with the link cut, the primary takes
# 64 MiB of scattered 4 KiB random writes; they are recorded out of sync
# for the peer chunk by chunk (4 KiB chunks: exactly what was written).
# Once the link is back, the peer becomes SyncTarget (Inconsistent), only
# what changed is sent (between 1x and 2x the bytes written, not the
# device), both end Connected and UpToDate with the same generation (and
# A's status shows B's new one), and
# the two data areas are identical (and the primary's passed fio's
# verification). The source reported progress events, and neither node's
# first event after the reconnection shows the peer merely Connected: the
# connection is announced once the ids were compared.
. "${0%/*}/lib.sh"

ktap_print_header
ktap_set_plan 10

load_module
two_ns_setup
repl_events_start nsa nsb
repl_setup sync Timeout=2s
AREA_MIB=$((REPL_SECTORS / 2048))
log "data area: $REPL_SECTORS sectors ($AREA_MIB MiB used by fio)"

# 64 MiB of 4 KiB random writes over the whole data area. fio's random map
# (norandommap=0, the default) hands out every block at most once per pass
# and io_size (64M) is far below size (the area), so the job writes 16384
# distinct 4 KiB blocks, 4 KiB-aligned: with 4 KiB bitmap chunks exactly
# io_bytes (64 MiB) are out of sync, no block counted twice. A fixed seed
# makes the offsets the same on every run.
SCATTER="--name=scatter --ioengine=libaio --direct=1 --iodepth=16 --bs=4k
	--rw=randwrite --norandommap=0 --offset=0 --size=${AREA_MIB}M --io_size=64M
	--randseed=4711 --verify=crc32c --verify_fatal=1"

in_sync_at_start() {
	repl_dump nsa nsb
	[ "$(repl_status nsa disk)" = UpToDate ] && [ "$(repl_status nsb disk)" = UpToDate ] &&
		[ "$(repl_peer nsa connection)" = Connected ] &&
		[ "$(repl_pnum nsa oos_bytes)" -eq 0 ] && [ "$(repl_pnum nsb oos_bytes)" -eq 0 ] &&
		[ "$(repl_pnum nsa resync_bytes)" -eq 0 ] && [ "$(repl_pnum nsb resync_bytes)" -eq 0 ]
}
ktap_test_result "skip_initial_sync_pair_connects_in_sync" in_sync_at_start

repl_link down
WRITTEN=0
ktap_test_result "scattered_writes_while_disconnected" fio_writes /dev/mapper/r0a "$SCATTER"

oos_recorded() {
	oos=$(repl_pnum nsa oos_bytes)
	log "A: $oos bytes out of sync for B after writing $WRITTEN distinct bytes"
	[ "$WRITTEN" -eq $((64 << 20)) ] && [ "$oos" -gt 0 ] &&
		[ "$oos" -le $((REPL_SECTORS * 512)) ] &&
		[ "$oos" -eq "$WRITTEN" ]
}
ktap_test_result "oos_bytes_equal_distinct_bytes_written" oos_recorded

EV_A=$(wc -l </tmp/events-nsa.json)
EV_B=$(wc -l </tmp/events-nsb.json)
repl_link up
t0=$(awk '{ printf "%d", $1 }' /proc/uptime)
ktap_test_result "resync_completes" repl_wait_synced 150
t1=$(awk '{ printf "%d", $1 }' /proc/uptime)

moved_what_changed() {
	sent=$(repl_pnum nsa resync_bytes)
	recv=$(repl_pnum nsb resync_bytes)
	log "resync moved $sent bytes (B received $recv) for $WRITTEN written, in about $((t1 - t0)) s incl. reconnecting"
	[ "$sent" -ge "$WRITTEN" ] && [ "$sent" -le $((2 * WRITTEN)) ] &&
		[ "$recv" -ge "$WRITTEN" ] && [ "$recv" -le $((2 * WRITTEN)) ]
}
ktap_test_result "resync_bytes_between_1x_and_2x_written" moved_what_changed

was_sync_target() {
	repl_events_log nsb
	# either an event or a status sample caught B resyncing
	if repl_event_seen nsb '.disk == "Inconsistent" or .peers[0].connection == "SyncTarget"'; then
		log "events: B was Inconsistent/SyncTarget"
	elif repl_seen nsb SyncTarget || repl_seen nsb Inconsistent; then
		log "status polling: B was Inconsistent/SyncTarget (no event said so)"
	else
		return 1
	fi
	repl_event_seen nsa '.event == "resync"' || log "no resync event on A"
	repl_event_seen nsb '.event == "resync"' || log "no resync event on B"
	repl_event_seen nsa '.event == "resync"' && repl_event_seen nsb '.event == "resync"'
}
ktap_test_result "b_was_sync_target_and_resync_events" was_sync_target

source_progress_events() {
	# resync events at the start, about every second while it runs, and at the end
	repl_events_log nsa
	n=$(jq -c -R 'fromjson? | select(.event == "resync")' /tmp/events-nsa.json 2>/dev/null | wc -l)
	last=$(jq -c -R 'fromjson? | select(.event == "resync")' /tmp/events-nsa.json 2>/dev/null |
		tail -n 1 | jq -r '"\(.peers[0].resync_done) of \(.peers[0].resync_total)"')
	log "A: $n resync events over a resync of about $((t1 - t0)) s; the last one says $last done"
	[ "$n" -ge 3 ] && [ "$last" = "$((64 << 20)) of $((64 << 20))" ]
}
ktap_test_result "source_resync_events_start_progress_end" source_progress_events

# first_link_event NS LINES: the peer's connection in the first event after line LINES of NS's
# recording that shows it connected (not StandAlone or Connecting)
first_link_event() {
	tail -n +$(($2 + 1)) "/tmp/events-$1.json" |
		jq -r -R 'fromjson? | .peers[0].connection // "-" |
			select(IN("-", "StandAlone", "Connecting") | not)' 2>/dev/null | head -n 1
}

# The connection is announced after the nodes compared their ids: an event saying Connected
# while B's disk still said UpToDate would show a stale node as promotable to a cluster manager.
announced_after_decision() {
	fa=$(first_link_event nsa "$EV_A")
	fb=$(first_link_event nsb "$EV_B")
	log "first event after the link came back that shows the peer connected: A $fa, B $fb"
	[ "$fa" = SyncSource ] && [ "$fb" = SyncTarget ]
}
ktap_test_result "first_connected_event_shows_the_resync" announced_after_decision

same_generation() {
	ga=$(repl_status nsa gen_current)
	gb=$(repl_status nsb gen_current)
	log "gen_current: A $ga, B $gb; A's bitmap id for B $(repl_peer nsa gen_bitmap)"
	[ -n "$ga" ] && [ "$ga" != null ] && [ "$ga" = "$gb" ] || return 1
	# and A's view of B's ids is B's new one: the target tells it after RS_DONE
	wait_for '[ "$(repl_peer nsa gen_current)" = "$gb" ]' 5 ||
		{ log "A still sees B at $(repl_peer nsa gen_current), B is at $gb"; return 1; }
}
ktap_test_result "same_generation_after_resync" same_generation

# (A's data passed fio's verification, so identical areas mean B holds fio's data: no separate
# verify of B's disk, the 64 MiB of random reads cost half a minute under TCG)
ktap_test_result "data_areas_identical" repl_same_data "$REPL_SECTORS"

repl_events_stop nsa nsb
repl_down
check_dmesg
ktap_finished
