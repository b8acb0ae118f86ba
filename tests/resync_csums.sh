#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=420 disks=128M,128M
#
# Checksum-based full sync: both disks hold the same pseudo-random data
# except three 4 KiB blocks, but their metadata is created without
# --skip-initial-sync (unrelated generations), so making A primary with
# --force starts a full sync to B. With Csums = yes only the differing
# chunks are sent (12 KiB, well under 64 KiB, for a ~127 MiB device);
# with Csums off the same situation sends the whole data area. Either way
# the data areas end identical.
. "${0%/*}/lib.sh"

ktap_print_header
ktap_set_plan 6

load_module
two_ns_setup
repl_events_start nsb

# Same data on both disks: random on vdb, copied to vdc (the whole disks;
# create-md then writes its metadata at the end).
run dd if=/dev/urandom of=/dev/vdb bs=1M count=128 oflag=direct 2>/dev/null || die "filling vdb failed"
run dd if=/dev/vdb of=/dev/vdc bs=1M count=128 iflag=direct oflag=direct 2>/dev/null || die "copying vdb to vdc failed"
BLOCKS="100 7777 20000" # 4 KiB block numbers made different on B

# differ_blocks: overwrite BLOCKS on vdc with fresh random data
differ_blocks() {
	for _b in $BLOCKS; do
		dd if=/dev/urandom of=/dev/vdc bs=4096 seek="$_b" count=1 oflag=direct conv=notrunc \
			2>/dev/null || return 1
	done
}

# blocks_differ: each of BLOCKS differs between vdb and vdc
blocks_differ() {
	for _b in $BLOCKS; do
		[ "$(region_md5 /dev/vdb $((_b * 4)) 4)" != "$(region_md5 /dev/vdc $((_b * 4)) 4)" ] ||
			{ log "block $_b is the same on both disks"; return 1; }
	done
}

# full_sync_setup [Key=Value...]: configs with these [Peer] keys, metadata without
# --skip-initial-sync on both (unrelated generations), up A, primary --force on A, up B:
# A is the only UpToDate node, B gets a full sync
full_sync_setup() {
	REPL_SECTORS=
	repl_down
	EV_MARK=$(wc -l </tmp/events-nsb.json)
	rm -f /tmp/repl-seen
	repl_conf nsa sync Timeout=2s "$@"
	repl_conf nsb sync Timeout=2s "$@"
	for ns in nsa nsb; do
		repl_ctl $ns create-md --force r0 >/dev/null || { log "$ns: create-md failed"; return 1; }
	done
	run repl_ctl nsa up r0 && run repl_ctl nsa primary --force r0 && run repl_ctl nsb up r0 ||
		{ repl_dump nsa nsb; return 1; }
	REPL_SECTORS=$(repl_ctl nsa dump-md --json r0 | jq -r .data_sectors)
	[ "$(repl_num "$REPL_SECTORS")" -gt 0 ] || { REPL_SECTORS=; return 1; }
	log "data area: $REPL_SECTORS sectors; gen_current A $(repl_status nsa gen_current), B $(repl_status nsb gen_current)"
}

# synced_full: the full sync completed, B was SyncTarget on the way, data identical
synced_full() {
	[ -n "$REPL_SECTORS" ] || return 1 # the setup failed
	t0=$(awk '{ printf "%d", $1 }' /proc/uptime)
	repl_wait_synced 200 || return 1
	t1=$(awk '{ printf "%d", $1 }' /proc/uptime)
	SENT=$(repl_pnum nsa resync_bytes)
	RECV=$(repl_pnum nsb resync_bytes)
	log "full sync took about $((t1 - t0)) s: resync_bytes A $SENT, B $RECV, resync_total $(repl_pnum nsa resync_total)"
	# (the events cover both cases; polling is what tells this one)
	{ repl_seen nsb SyncTarget || repl_event_seen nsb '.peers[0].connection == "SyncTarget"'; } ||
		{ log "B never seen as SyncTarget"; return 1; }
	repl_same_data "$REPL_SECTORS" || return 1
	# one resync, start to end: since the setup B's disk became UpToDate once and never fell
	# back to Inconsistent. (Connecting more than once, from up, is logged, not failed: both
	# nodes dial, and the crossing connections can close each other before one is kept.)
	sleep 2 # a drop right after the end counts too
	tail -n +$((EV_MARK + 1)) /tmp/events-nsb.json >/tmp/ev-case
	ups=$(jq -c -R 'fromjson? | select(.event == "disk" and .disk == "UpToDate")' /tmp/ev-case | wc -l)
	downs=$(jq -c -R 'fromjson? | select(.event == "disk" and .disk != "UpToDate")' /tmp/ev-case | wc -l)
	drops=$(jq -c -R 'fromjson? | select(.event == "connection" and .peers[0].connection == "Connecting")' \
		/tmp/ev-case | wc -l)
	log "B since the setup: UpToDate $ups times, fell back $downs times, Connecting $drops times"
	[ "$ups" -eq 1 ] && [ "$downs" -eq 0 ]
}

case1() {
	differ_blocks && blocks_differ || return 1
	full_sync_setup Csums=yes
}
ktap_test_result "csums_pair_differs_in_3_blocks" case1
ktap_test_result "csums_full_sync_completes_identical" synced_full

csums_sent_little() {
	[ -n "$REPL_SECTORS" ] || return 1
	log "Csums: resync moved $SENT bytes (B received $RECV) for 3 differing blocks; data area $((REPL_SECTORS * 512)) bytes"
	[ "$SENT" -ge $((3 * 4096)) ] && [ "$SENT" -lt $((64 << 10)) ] && [ "$RECV" -eq "$SENT" ]
}
ktap_test_result "csums_sent_only_differing_chunks" csums_sent_little

case2() {
	differ_blocks && blocks_differ || return 1
	full_sync_setup # Csums off: the default
}
ktap_test_result "plain_pair_differs_in_3_blocks" case2
ktap_test_result "plain_full_sync_completes_identical" synced_full

plain_sent_all() {
	[ -n "$REPL_SECTORS" ] || return 1
	area=$((REPL_SECTORS * 512))
	log "no Csums: resync moved $SENT bytes (B received $RECV) for a data area of $area bytes"
	[ "$SENT" -ge "$area" ] && [ "$SENT" -le $((area + area / 20)) ] && [ "$RECV" -eq "$SENT" ]
}
ktap_test_result "plain_full_sync_sent_whole_area" plain_sent_all

repl_events_stop nsb
repl_events_log nsb
repl_down
check_dmesg
ktap_finished
