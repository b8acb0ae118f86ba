#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Helpers of the split-brain resolution tests (split_brain_policies.sh,
# split_brain_discard.sh), sourced after lib.sh. Node A is nsa (/dev/vdb,
# node 0, primary after repl_setup), B is nsb (/dev/vdc, node 1). Every
# write is 1 MiB of its own random data at a fixed offset:
#	A's own at 8 MiB, B's own at 16 MiB, B's second at 24 MiB.

for _sbl_f in a_own b_own b_more; do
	dd if=/dev/urandom of=/tmp/$_sbl_f bs=64k count=16 2>/dev/null || die "making /tmp/$_sbl_f failed"
done
SB_ZERO_1M=$(zero_md5 2048)

sb_md5() { md5sum <"$1" | cut -d' ' -f1; }

# sb_write NS FILE OFFSET_MIB: 1 MiB of FILE through NS's device
sb_write() {
	dd if="$2" of="/dev/mapper/r0${1#ns}" bs=64k seek=$(($3 * 16)) count=16 \
		oflag=direct conv=notrunc 2>/dev/null || { log "$1: write at $3 MiB failed"; return 1; }
}

# sb_holds DEV OFFSET_MIB MD5: 1 MiB of DEV at OFFSET_MIB has MD5
sb_holds() {
	_sbh=$(region_md5 "$1" $(($2 * 1024)) 1024)
	[ "$_sbh" = "$3" ] && return 0
	log "$1 at $2 MiB: $_sbh, want $3"
	return 1
}

# sb_setup [KEY=VALUE...]: a connected, in-sync pair, A primary, both with
# the [Peer] keys given, nothing written at 8..25 MiB; events recorded from
# here on
sb_setup() {
	repl_events_stop nsa nsb
	# the regions written, from 8 to 25 MiB, zeroed: the disks are reused
	for _sbs_dev in /dev/vdb /dev/vdc; do
		dd if=/dev/zero of=$_sbs_dev bs=1M seek=8 count=17 oflag=direct conv=notrunc 2>/dev/null ||
			die "zeroing $_sbs_dev failed"
	done
	repl_setup sync Timeout=2s "$@"
	repl_events_start nsa nsb
	log "--- scenario: $* (data area $REPL_SECTORS sectors)"
}

# sb_reconnect NS [--discard-my-data]: disconnect and connect NS
sb_reconnect() {
	_sbr_ns=$1
	shift
	repl_ctl "$_sbr_ns" disconnect r0 >/dev/null && run repl_ctl "$_sbr_ns" connect "$@" r0 >/dev/null
}

# sb_reconf NS KEY=VALUE...: NS reconnects with these [Peer] keys
sb_reconf() {
	_sbc_ns=$1
	shift
	repl_conf "$_sbc_ns" sync Timeout=2s "$@"
	sb_reconnect "$_sbc_ns" && repl_wait_synced 30
}

# sb_split ROLES_AT_SPLIT: cut the link; "a" (only A primary, as after
# sb_setup) or "none" (A demoted first); then B is promoted
sb_split() {
	if [ "$1" = none ]; then
		repl_ctl nsa secondary r0 >/dev/null || return 1
	fi
	repl_link down
	if [ "$1" = none ]; then
		repl_ctl nsa primary r0 >/dev/null || { log "A: primary failed"; return 1; }
	fi
	repl_ctl nsb primary r0 >/dev/null || { log "B: primary failed"; return 1; }
	[ "$(repl_status nsa role)" = Primary ] && [ "$(repl_status nsb role)" = Primary ]
}

# sb_demote NS: NS becomes secondary
sb_demote() {
	repl_ctl "$1" secondary r0 >/dev/null || { log "$1: secondary failed"; return 1; }
	[ "$(repl_status "$1" role)" = Secondary ]
}

# sb_remember NS: the md5 of the data area of NS's disk, the one that is
# to survive, as SB_KEEP (taken while no writes run)
sb_remember() {
	if [ "$1" = nsa ]; then SB_KEEP_DEV=/dev/vdb; else SB_KEEP_DEV=/dev/vdc; fi
	SB_KEEP=$(disk_md5 "$SB_KEEP_DEV" "$REPL_SECTORS")
	log "survivor $1: data area md5 $SB_KEEP"
}

# sb_refused PATTERN: both report SplitBrain (within 30 s) with result
# refused and a reason matching PATTERN (a jq regex), stay so for 3 s, and
# emitted a split-brain event saying so; no resync byte moved
sb_refused() {
	if ! wait_for repl_both_split 30; then
		repl_dump nsa nsb
		return 1
	fi
	sleep 3
	for _sbf_ns in nsa nsb; do
		_sbf=$(repl_jq "$_sbf_ns" '"\(.peers[0].split_brain) \(.peers[0].resync_bytes) \(.peers[0].split_brain_reason)"')
		log "$_sbf_ns: $(repl_peer "$_sbf_ns" connection): $_sbf"
		case $_sbf in
		"refused 0 "*) ;;
		*) return 1 ;;
		esac
		repl_jq "$_sbf_ns" ".peers[0].split_brain_reason | test(\"$1\")" | grep -qx true || return 1
		repl_event_seen "$_sbf_ns" ".event == \"split-brain\" and .peers[0].split_brain == \"refused\" and (.peers[0].split_brain_reason | test(\"$1\"))" ||
			{ log "$_sbf_ns: no split-brain event with result refused"; return 1; }
	done
	repl_both_split
}

# sb_resolved VICTIM SURVIVOR PATTERN MIN_BYTES MAX_BYTES: the victim was
# SyncTarget and ended UpToDate and Connected, both data areas equal the
# survivor's before the resync (SB_KEEP), the victim received between
# MIN_BYTES and MAX_BYTES of resync payload; both emitted a split-brain
# event naming the discarded node (discarded-local on the victim,
# discarded-peer on the survivor) and a reason matching PATTERN
sb_resolved() {
	repl_wait_synced 90 || return 1
	_sbv_bytes=$(repl_pnum "$1" resync_bytes)
	log "victim $1: resync_bytes $_sbv_bytes (want $4..$5); gen A $(repl_status nsa gen_current), B $(repl_status nsb gen_current)"
	log "$1: $(repl_peer "$1" split_brain): $(repl_peer "$1" split_brain_reason)"
	log "$2: $(repl_peer "$2" split_brain): $(repl_peer "$2" split_brain_reason)"
	[ "$_sbv_bytes" -ge "$4" ] && [ "$_sbv_bytes" -le "$5" ] || return 1
	[ "$(repl_status nsa gen_current)" = "$(repl_status nsb gen_current)" ] || return 1
	repl_event_seen "$1" '.event == "resync" and .peers[0].connection == "SyncTarget"' ||
		{ log "$1: never SyncTarget"; return 1; }
	repl_event_seen "$1" ".event == \"split-brain\" and .peers[0].split_brain == \"discarded-local\" and (.peers[0].split_brain_reason | test(\"$3\"))" ||
		{ log "$1: no split-brain event discarded-local"; return 1; }
	repl_event_seen "$2" ".event == \"split-brain\" and .peers[0].split_brain == \"discarded-peer\" and (.peers[0].split_brain_reason | test(\"$3\"))" ||
		{ log "$2: no split-brain event discarded-peer"; return 1; }
	_sbv_a=$(disk_md5 /dev/vdb "$REPL_SECTORS")
	_sbv_b=$(disk_md5 /dev/vdc "$REPL_SECTORS")
	log "data areas: vdb $_sbv_a, vdc $_sbv_b, the survivor's was $SB_KEEP"
	[ "$_sbv_a" = "$SB_KEEP" ] && [ "$_sbv_b" = "$SB_KEEP" ]
}

# sb_kept_own: after a refusal each disk holds exactly its own writes
# (A's at 8 MiB when $1 is yes, B's at 16 MiB), not the other's
sb_kept_own() {
	_sbk_a=$SB_ZERO_1M
	[ "$1" = yes ] && _sbk_a=$(sb_md5 /tmp/a_own)
	sb_holds /dev/vdb 8 "$_sbk_a" && sb_holds /dev/vdb 16 "$SB_ZERO_1M" &&
		sb_holds /dev/vdc 16 "$(sb_md5 /tmp/b_own)" && sb_holds /dev/vdc 8 "$SB_ZERO_1M"
}

# sb_events_keep: stop the event listeners, keeping what they printed in
# /tmp/events-all-NS.json (repl_events_start truncates /tmp/events-NS.json)
sb_events_keep() {
	repl_events_stop nsa nsb
	for _sbe_ns in nsa nsb; do
		cat "/tmp/events-$_sbe_ns.json" >>"/tmp/events-all-$_sbe_ns.json" 2>/dev/null
	done
	return 0
}

sb_done() {
	repl_events_log nsa
	repl_events_log nsb
	sb_events_keep
	repl_down
}
