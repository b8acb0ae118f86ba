#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=180 disks=64M
#
# The module loads and unloads cleanly, also after devices were created and
# removed; it cannot be unloaded while a device uses it; the dm target
# autoloads it.
. "${0%/*}/lib.sh"

ktap_print_header
ktap_set_plan 4

idle() {
	load_module
	grep -q '^harepl ' /proc/modules || return 1
	dmsetup targets | grep -q '^harepl ' || { log "target not registered"; return 1; }
	hareplctl status >/dev/null || { log "netlink family not usable"; return 1; }
	unload_module
}
ktap_test_result "load_unload_idle" idle

with_devices() {
	write_conf r0 /dev/vdb internal
	run hareplctl create-md r0 >/dev/null || return 1
	load_module
	for i in 1 2 3; do
		run hareplctl up r0 || return 1
		run hareplctl primary --force r0 || return 1
		dd if=/dev/urandom of=/dev/mapper/r0 bs=64k count=16 oflag=direct 2>/dev/null ||
			return 1
		run hareplctl down r0 || return 1
	done
	[ -z "$(dmsetup ls | grep -v 'No devices')" ] || { log "dm devices left"; return 1; }
	unload_module
	kmemleak_scan
}
ktap_test_result "load_unload_after_devices" with_devices

busy() {
	load_module
	run hareplctl up r0 || return 1
	if rmmod harepl 2>/dev/null; then
		log "rmmod succeeded while r0 was up"
		return 1
	fi
	run hareplctl down r0 || return 1
	unload_module
}
ktap_test_result "unload_refused_while_in_use" busy

autoload() {
	[ ! -d /sys/module/harepl ] || return 1
	# dm asks for "dm-harepl" when a table names the target
	run hareplctl up r0 || return 1
	[ -d /sys/module/harepl ] || { log "module not autoloaded"; return 1; }
	run hareplctl down r0 || return 1
	unload_module
}
ktap_test_result "autoload_by_dm_table" autoload

check_dmesg
ktap_finished
