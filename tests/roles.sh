#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=180 disks=64M
#
# Roles: a resource comes up Secondary; a secondary's device is read-only
# and fails reads and writes; promotion of data that is not UpToDate needs
# --force; primary serves I/O; a read-only table stays read-only as primary;
# role and disk changes are events with consecutive sequence numbers.
. "${0%/*}/lib.sh"

ktap_print_header
ktap_set_plan 7

load_module
write_conf r0 /dev/vdb internal
run hareplctl create-md r0 >/dev/null || die "create-md failed"
hareplctl events --json --count 5 --timeout 60 >/tmp/events.json 2>/tmp/events.err &
EVPID=$!
sleep 1
run hareplctl up r0 || die "up failed"

field() { hareplctl status --json r0 | jq -r ".$1"; }

comes_up_secondary() {
	[ "$(field role)" = Secondary ] && [ "$(field connection)" = StandAlone ] &&
		[ "$(field disk)" = Inconsistent ] &&
		dmsetup status r0 | grep -q 'harepl Secondary Inconsistent StandAlone 0$'
}
ktap_test_result "comes_up_secondary" comes_up_secondary

secondary_refuses() {
	if dd if=/dev/mapper/r0 of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null; then
		log "read succeeded on a secondary"; return 1
	fi
	if dd if=/dev/zero of=/dev/mapper/r0 bs=4k count=1 oflag=direct 2>/dev/null; then
		log "write succeeded on a secondary"; return 1
	fi
	[ "$(blockdev --getro /dev/mapper/r0)" = 1 ] || { log "not read-only"; return 1; }
	hareplctl status --json r0 | jq -e '.reads == 0 and .writes == 0' >/dev/null
}
ktap_test_result "secondary_refuses_io" secondary_refuses

promote_needs_force() {
	out=$(hareplctl primary r0 2>&1)
	rc=$?
	log "exit $rc: $out"
	[ $rc -eq 1 ] && echo "$out" | grep -q "r0: .*not UpToDate" &&
		[ "$(field role)" = Secondary ] && [ "$(field disk)" = Inconsistent ]
}
ktap_test_result "promote_inconsistent_refused_without_force" promote_needs_force

primary_serves() {
	run hareplctl primary --force r0 || return 1
	[ "$(field disk)" = UpToDate ] || return 1
	[ "$(blockdev --getro /dev/mapper/r0)" = 0 ] || { log "still read-only"; return 1; }
	dd if=/dev/urandom of=/tmp/blk bs=4k count=8 2>/dev/null
	dd if=/tmp/blk of=/dev/mapper/r0 bs=4k count=8 oflag=direct 2>/dev/null || return 1
	dd if=/dev/mapper/r0 of=/tmp/back bs=4k count=8 iflag=direct 2>/dev/null || return 1
	cmp /tmp/blk /tmp/back || return 1
	dmsetup status r0 | grep -q 'harepl Primary ' || return 1
	run hareplctl primary r0    # same role again: no-op, no event
}
ktap_test_result "primary_serves_io" primary_serves

# demotion is refused while the device is open (here by the shell, read-write)
demote_while_open() {
	exec 3<>/dev/mapper/r0
	out=$(hareplctl secondary r0 2>&1)
	rc=$?
	exec 3<&-
	log "secondary while open: exit $rc: $out"
	[ "$rc" -ne 0 ] && echo "$out" | grep -q "device is in use" || return 1
	[ "$(field role)" = Primary ] || return 1
	run hareplctl secondary r0 && run hareplctl down r0
}
ktap_test_result "demote_refused_while_open" demote_while_open

readonly_table() {
	# a table loaded read-only stays read-only even as primary
	size=$(hareplctl dump-md --json r0 | jq -r .data_sectors)
	run dmsetup create --readonly r0ro --table "0 $size harepl /dev/vdb internal r0" || return 1
	run hareplctl primary --force r0 || return 1
	ro=$(blockdev --getro /dev/mapper/r0ro)
	dd if=/dev/zero of=/dev/mapper/r0ro bs=4k count=1 oflag=direct 2>/dev/null && ro=written
	dd if=/dev/mapper/r0ro of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null || ro=unreadable
	run dmsetup remove r0ro
	log "read-only table as primary: $ro"
	[ "$ro" = 1 ]
}

events_seen() {
	wait $EVPID || { sed 's/^/# /' /tmp/events.err; return 1; }
	sed 's/^/# /' /tmp/events.json
	[ "$(jq -r .event /tmp/events.json | tr '\n' ' ')" = "created disk role role destroyed " ] || return 1
	[ "$(jq -r .role /tmp/events.json | tr '\n' ' ')" = "Secondary Secondary Primary Secondary Secondary " ] || return 1
	[ "$(jq -r .disk /tmp/events.json | tr '\n' ' ')" = "Inconsistent UpToDate UpToDate UpToDate UpToDate " ] || return 1
	first=$(head -n 1 /tmp/events.json | jq .seq)
	[ "$(jq .seq /tmp/events.json | tr '\n' ' ')" = "$first $((first + 1)) $((first + 2)) $((first + 3)) $((first + 4)) " ]
}
ktap_test_result "role_changes_are_events" events_seen
ktap_test_result "readonly_table_stays_readonly" readonly_table

check_dmesg
ktap_finished
