#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=180 disks=64M,64M
#
# Roles across a connected pair: the secondary's device refuses reads and
# writes; it cannot be promoted while the peer is primary (hareplctl says
# why); once the primary steps down it can, and then writes flow the other
# way.
. "${0%/*}/lib.sh"

ktap_print_header
ktap_set_plan 6

repl_setup sync
dd if=/dev/urandom of=/tmp/blkA bs=64k count=4 2>/dev/null
dd if=/dev/urandom of=/tmp/blkB bs=64k count=4 2>/dev/null

# refuses_io DEV: reads and writes of DEV fail and it is read-only
refuses_io() {
	if dd if="$1" of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null; then
		log "read of $1 succeeded"
		return 1
	fi
	if dd if=/tmp/blkB of="$1" bs=4k count=1 oflag=direct 2>/dev/null; then
		log "write to $1 succeeded"
		return 1
	fi
	[ "$(blockdev --getro "$1")" = 1 ] || { log "$1 is not read-only"; return 1; }
}

# region_is FILE DEV: the first 256 KiB of DEV are FILE
region_is() {
	dd if="$2" bs=64k count=4 iflag=direct 2>/dev/null | cmp -s - "$1"
}

secondary_refuses() {
	refuses_io /dev/mapper/r0b || return 1
	[ "$(repl_status nsb role)" = Secondary ] &&
		ip netns exec nsb hareplctl status --json r0 |
		jq -e '.reads == 0 and .writes == 0' >/dev/null
}
ktap_test_result "secondary_device_refuses_io" secondary_refuses

replicates() {
	# a primary's write is on the secondary's disk when it completes
	dd if=/tmp/blkA of=/dev/mapper/r0a bs=64k count=4 oflag=direct 2>/dev/null || return 1
	region_is /tmp/blkA /dev/vdc || { log "the write is not on vdc"; return 1; }
	region_is /tmp/blkA /dev/vdb
}
ktap_test_result "primary_write_reaches_secondary" replicates

# refused_promotion NS: primary --force in NS fails, says the peer is primary, and changes nothing
refused_promotion() {
	wait_for "[ \"\$(repl_peer $1 role)\" = Primary ]" 5 || { repl_dump "$1"; return 1; }
	out=$(repl_ctl "$1" primary --force r0 2>&1)
	rc=$?
	log "exit $rc: $out"
	[ $rc -ne 0 ] && echo "$out" | grep -q 'r0' && echo "$out" | grep -qi 'peer.*primary' &&
		[ "$(repl_status "$1" role)" = Secondary ] &&
		[ "$(repl_peer "$1" connection)" = Connected ]
}
ktap_test_result "promotion_refused_while_peer_is_primary" refused_promotion nsb

switch_over() {
	run repl_ctl nsa secondary r0 || return 1
	[ "$(repl_status nsa role)" = Secondary ] || return 1
	wait_for '[ "$(repl_peer nsb role)" = Secondary ]' 5 || { repl_dump nsb; return 1; }
	# B's disk never was made UpToDate (no resync yet), so it needs --force
	run repl_ctl nsb primary --force r0 || return 1
	[ "$(repl_status nsb role)" = Primary ] && [ "$(repl_status nsb disk)" = UpToDate ] &&
		[ "$(blockdev --getro /dev/mapper/r0b)" = 0 ] &&
		dmsetup status r0b | grep -q ' harepl Primary UpToDate Connected'
}
ktap_test_result "promotion_after_peer_stepped_down" switch_over

reverse() {
	# still connected: B's writes now reach A's disk, and A refuses I/O
	[ "$(repl_peer nsb connection)" = Connected ] || return 1
	dd if=/tmp/blkB of=/dev/mapper/r0b bs=64k count=4 oflag=direct 2>/dev/null || return 1
	region_is /tmp/blkB /dev/vdb || { log "B's write is not on vdb"; return 1; }
	refuses_io /dev/mapper/r0a
}
ktap_test_result "writes_flow_from_the_new_primary" reverse

ktap_test_result "old_primary_cannot_promote_now" refused_promotion nsa

repl_down
check_dmesg
ktap_finished
