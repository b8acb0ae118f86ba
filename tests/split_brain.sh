#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=240 disks=128M,128M
#
# Split brain is detected and nothing is overwritten: a connected, in-sync
# pair loses its link; the secondary is promoted (it is UpToDate: no
# --force needed) while the old primary stays primary, and both write,
# each its own regions and one region both. When the link comes back both
# report the peer as SplitBrain within 20 s, both emit a split-brain
# event, no resync byte moves, they stay apart, and each disk still holds
# exactly its own writes.
. "${0%/*}/lib.sh"

ktap_print_header
ktap_set_plan 7

load_module
two_ns_setup
repl_events_start nsa nsb
repl_setup sync Timeout=2s
log "data area: $REPL_SECTORS sectors"
ZERO_1M=$(zero_md5 2048)

# 1 MiB each: A's own at 8 MiB, B's own at 16 MiB, both at 32 MiB
for f in a_own b_own a_both b_both; do
	dd if=/dev/urandom of=/tmp/$f bs=64k count=16 2>/dev/null || die "making /tmp/$f failed"
done
md5() { md5sum <"$1" | cut -d' ' -f1; }

repl_link down

promote_b() {
	if run repl_ctl nsb primary r0; then
		log "B promoted without --force"
	else
		log "NOTE: B (UpToDate, peer not connected) refused plain primary; retrying with --force"
		run repl_ctl nsb primary --force r0 || return 1
		# still report it: the spec says an UpToDate node needs no --force
		[ "$(repl_status nsb role)" = Primary ] || return 1
		return 1
	fi
	[ "$(repl_status nsb role)" = Primary ] && [ "$(repl_status nsa role)" = Primary ]
}
ktap_test_result "b_promoted_while_apart" promote_b

write_at() { # FILE DEV OFFSET_MIB
	dd if="$1" of="$2" bs=64k seek=$(($3 * 16)) count=16 oflag=direct conv=notrunc 2>/dev/null
}
both_write() {
	write_at /tmp/a_own /dev/mapper/r0a 8 && write_at /tmp/a_both /dev/mapper/r0a 32 &&
		write_at /tmp/b_own /dev/mapper/r0b 16 && write_at /tmp/b_both /dev/mapper/r0b 32 || return 1
	log "gen_current: A $(repl_status nsa gen_current), B $(repl_status nsb gen_current);" \
		"bitmap ids: A for B $(repl_peer nsa gen_bitmap), B for A $(repl_peer nsb gen_bitmap)"
	log "oos: A for B $(repl_pnum nsa oos_bytes), B for A $(repl_pnum nsb oos_bytes)"
	[ "$(repl_pnum nsa oos_bytes)" -eq $((2 << 20)) ] && [ "$(repl_pnum nsb oos_bytes)" -eq $((2 << 20)) ]
}
ktap_test_result "both_wrote_while_apart" both_write

repl_link up
detected() {
	if ! wait_for repl_both_split 20; then
		repl_dump nsa nsb
		return 1
	fi
	log "both report SplitBrain"
}
ktap_test_result "both_report_split_brain_within_20s" detected

events() {
	sleep 1
	repl_events_stop nsa nsb
	repl_events_log nsa
	repl_events_log nsb
	repl_event_seen nsa '.event == "split-brain"' && repl_event_seen nsb '.event == "split-brain"' &&
		repl_event_seen nsa '.event == "split-brain" and .peers[0].connection == "SplitBrain"'
}
ktap_test_result "split_brain_events_on_both" events

nothing_moved() {
	# and it stays so: no reconnection, no resync, until disconnect/connect
	sleep 8
	ra=$(repl_pnum nsa resync_bytes)
	rb=$(repl_pnum nsb resync_bytes)
	log "resync_bytes: A $ra, B $rb; peers: A $(repl_peer nsa connection), B $(repl_peer nsb connection)"
	[ "$ra" -eq 0 ] && [ "$rb" -eq 0 ] && repl_both_split &&
		[ "$(repl_status nsa role)" = Primary ] && [ "$(repl_status nsb role)" = Primary ] &&
		[ "$(repl_status nsa disk)" = UpToDate ] && [ "$(repl_status nsb disk)" = UpToDate ]
}
ktap_test_result "no_resync_and_still_apart" nothing_moved

# holds DEV OFFSET_MIB MD5: log and compare the md5 of 1 MiB of DEV at OFFSET_MIB
holds() {
	_h=$(region_md5 "$1" $(($2 * 1024)) 1024)
	log "$1 at $2 MiB: $_h (want $3)"
	[ "$_h" = "$3" ]
}
a_kept() {
	holds /dev/vdb 8 "$(md5 /tmp/a_own)" && holds /dev/vdb 32 "$(md5 /tmp/a_both)" &&
		holds /dev/vdb 16 "$ZERO_1M"
}
ktap_test_result "a_disk_holds_only_a_writes" a_kept
b_kept() {
	holds /dev/vdc 16 "$(md5 /tmp/b_own)" && holds /dev/vdc 32 "$(md5 /tmp/b_both)" &&
		holds /dev/vdc 8 "$ZERO_1M"
}
ktap_test_result "b_disk_holds_only_b_writes" b_kept

repl_events_stop nsa nsb
repl_down
check_dmesg
ktap_finished
