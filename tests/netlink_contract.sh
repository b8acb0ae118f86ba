#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=240 disks=64M,64M,64M
#
# The netlink contract (tests/nl_contract.c: bad requests get an errno and
# an extack message, an unprivileged caller is refused), hareplctl's view
# of it, and network namespaces: a resource is visible only in the
# namespace that created it, and each namespace may have its own r0.
. "${0%/*}/lib.sh"

ktap_print_header
ktap_set_plan 6

load_module
write_conf r0 /dev/vdb internal
run hareplctl create-md r0 >/dev/null || die "create-md failed"
run hareplctl up r0 || die "up failed"

contract() {
	/tests/bin/nl_contract >/tmp/nl.out 2>&1
	rc=$?
	sed 's/^/# /' /tmp/nl.out
	[ $rc -eq 0 ]
}
ktap_test_result "nl_contract" contract

unprivileged_ctl() {
	out=$(setpriv --inh-caps=-net_admin --bounding-set=-net_admin \
		hareplctl primary r0 2>&1)
	rc=$?
	log "exit $rc: $out"
	[ $rc -eq 5 ] && echo "$out" | grep -q 'r0' &&
		[ "$(hareplctl status --json r0 | jq -r .role)" = Secondary ]
}
ktap_test_result "unprivileged_hareplctl_refused" unprivileged_ctl

unknown_resource() {
	out=$(hareplctl primary nosuch 2>&1)
	rc=$?
	log "exit $rc: $out"
	[ $rc -eq 4 ] && echo "$out" | grep -q 'nosuch.*no such resource'
}
ktap_test_result "unknown_resource_named" unknown_resource

two_ns_setup
CONF=/etc/harepl/r0-a.conf write_conf r0 /dev/vdc internal Device=r0a
CONF=/etc/harepl/r0-b.conf write_conf r0 /dev/vdd internal Device=r0b NodeId=1
run hareplctl -c /etc/harepl/r0-a.conf create-md r0 >/dev/null || die "create-md a failed"
run hareplctl -c /etc/harepl/r0-b.conf create-md r0 >/dev/null || die "create-md b failed"

same_name_in_both() {
	run ip netns exec nsa hareplctl -c /etc/harepl/r0-a.conf up r0 || return 1
	run ip netns exec nsb hareplctl -c /etc/harepl/r0-b.conf up r0 || return 1
	[ "$(ip netns exec nsa hareplctl status --json | jq -r '.[].device')" = r0a ] &&
		[ "$(ip netns exec nsb hareplctl status --json | jq -r '.[].device')" = r0b ] &&
		[ "$(hareplctl status --json | jq -r '.[].device')" = r0 ]
}
ktap_test_result "same_name_in_two_namespaces" same_name_in_both

isolated() {
	run ip netns exec nsa hareplctl primary --force r0 || return 1
	[ "$(ip netns exec nsa hareplctl status --json r0 | jq -r .role)" = Primary ] &&
		[ "$(ip netns exec nsb hareplctl status --json r0 | jq -r .role)" = Secondary ] &&
		[ "$(hareplctl status --json r0 | jq -r .role)" = Secondary ] &&
		dmsetup status r0a | grep -q 'Primary' && dmsetup status r0b | grep -q 'Secondary'
}
ktap_test_result "namespaces_isolated" isolated

ns_gone() {
	# a namespace that dies leaves its resources working but unlisted
	run ip netns del nsb
	sleep 1
	dmsetup status r0b | grep -q 'harepl Secondary' || return 1
	run dmsetup remove r0b || return 1
	run ip netns exec nsa hareplctl -c /etc/harepl/r0-a.conf down r0 || return 1
	run hareplctl down r0 || return 1
	[ "$(hareplctl status --json | jq length)" = 0 ]
}
ktap_test_result "namespace_deleted_with_resource" ns_gone

ip netns del nsa 2>/dev/null
unload_module
check_dmesg
ktap_finished
