#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=600 disks=32M,32M
#
# Manual split-brain resolution with connect --discard-my-data. A connected
# pair (default policy: disconnect) loses its link; B is promoted; both
# write (A 1 MiB at 8 MiB, B at 16 MiB); A is demoted; the link comes back:
# refused (policy disconnect), both SplitBrain. Then, each time after
# disconnect and connect on both nodes:
#   both with --discard-my-data -> refused (both asked), nothing copied;
#   --discard-my-data on B, which is primary -> refused (a primary is
#     never a sync target), nothing copied;
#   --discard-my-data on A -> A is SyncTarget, ends UpToDate with B's data
#     (md5 of both data areas equal B's before), exactly 2 MiB resynced
#     (A's and B's changes), split-brain events on both naming the victim;
#   and, the pair in sync, --discard-my-data without a split brain is
#     ignored: nothing resynced, the log says so.
# events --json printed one object per line with seq and time throughout,
# for role, connection, disk, resync and split-brain changes.
. "${0%/*}/lib.sh"
. "${0%/*}/split_brain_lib.sh"

ktap_print_header
ktap_set_plan 8
MIB=$((1 << 20))

load_module
two_ns_setup

sb_setup
apart() {
	sb_split a && sb_write nsa /tmp/a_own 8 && sb_write nsb /tmp/b_own 16 && sb_demote nsa &&
		sb_remember nsb && [ "$(repl_peer nsa after_split_brain)" = disconnect ]
}
ktap_test_result "both_wrote_while_apart" apart
repl_link up
default_refused() { sb_refused "policy disconnect" && sb_kept_own yes; }
ktap_test_result "default_policy_refuses" default_refused

# sb_again [A_ARGS] [B_ARGS]: disconnect both, connect B then A
sb_again() {
	repl_ctl nsa disconnect r0 >/dev/null && repl_ctl nsb disconnect r0 >/dev/null || return 1
	sb_events_keep
	repl_events_start nsa nsb
	run repl_ctl nsb connect $2 r0 && run repl_ctl nsa connect $1 r0
}

both_asked() {
	sb_again --discard-my-data --discard-my-data &&
		sb_refused "both nodes asked to discard their data" && sb_kept_own yes
}
ktap_test_result "discard_my_data_on_both_refuses" both_asked

primary_asked() {
	sb_again "" --discard-my-data &&
		sb_refused "(this node|the peer) asked to discard its data.*refused: (this node|the peer) is primary" &&
		sb_kept_own yes
}
ktap_test_result "discard_my_data_on_a_primary_refuses" primary_asked

a_asked() {
	sb_again --discard-my-data "" || return 1
	sb_resolved nsa nsb "(this node|the peer) asked to discard its data" $((2 * MIB)) $((2 * MIB))
}
ktap_test_result "discard_my_data_on_a_resolves" a_asked

survivor_kept() {
	sb_holds /dev/vdb 16 "$(sb_md5 /tmp/b_own)" && sb_holds /dev/vdc 16 "$(sb_md5 /tmp/b_own)" &&
		sb_holds /dev/vdb 8 "$SB_ZERO_1M" && [ "$(repl_status nsb role)" = Primary ]
}
ktap_test_result "survivor_writes_kept_victim_writes_gone" survivor_kept

ignored() {
	kmsg_mark ignored
	before=$(repl_pnum nsa resync_bytes)
	sb_again --discard-my-data "" || return 1
	repl_wait_synced 30 || return 1
	sleep 2
	repl_wait_synced 10 || return 1
	dmesg_since ignored | grep -q 'discard-my-data ignored: no split brain' || return 1
	log "A: resync_bytes $(repl_pnum nsa resync_bytes) after reconnecting, split_brain $(repl_peer nsa split_brain)"
	[ "$(repl_pnum nsa resync_bytes)" -eq 0 ] && [ "$(repl_peer nsa split_brain)" = none ] &&
		repl_same_data "$REPL_SECTORS"
}
ktap_test_result "discard_my_data_without_split_brain_is_ignored" ignored
sb_done

# events --json: every line one JSON object with seq, time and time_ns; the
# victim saw role, connection, disk, resync and split-brain events
events_json() {
	for ns in nsa nsb; do
		n=$(wc -l <"/tmp/events-all-$ns.json")
		good=$(jq -c 'select(type == "object" and (.seq | type) == "number" and
			(.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")) and
			(.time_ns | type) == "number" and (.event | type) == "string")' \
			"/tmp/events-all-$ns.json" | wc -l)
		log "$ns: $n event lines, $good well-formed"
		[ "$n" -gt 0 ] && [ "$n" -eq "$good" ] || return 1
	done
	for ev in role connection disk resync split-brain; do
		jq -c "select(.event == \"$ev\")" /tmp/events-all-nsa.json 2>/dev/null | grep -q . ||
			{ log "nsa: no $ev event"; return 1; }
	done
}
ktap_test_result "events_json_one_object_per_line_with_time" events_json

check_dmesg
ktap_finished
