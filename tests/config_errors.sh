#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=120 disks=64M
#
# A broken configuration file makes hareplctl exit 3 with a line naming the
# file, the line and the problem; nothing is created.
. "${0%/*}/lib.sh"

load_module
C=/etc/harepl/r0.conf

# broken NAME EXPECTED-REGEX: `hareplctl up r0` with the config in /tmp/conf
# exits 3 and prints a line matching EXPECTED-REGEX
broken() {
	cp /tmp/conf "$C"
	out=$(hareplctl up r0 2>&1)
	rc=$?
	log "exit $rc: $out"
	if [ $rc -eq 3 ] && echo "$out" | grep -Eq "$2" && ! dmsetup info r0 >/dev/null 2>&1; then
		ktap_test_pass "$1"
	else
		ktap_test_fail "$1"
	fi
}

ktap_print_header
ktap_set_plan 9

printf '[Resource]\nDisk = /dev/vdb\nNodeId = 0\nFrobnicate = yes\n' >/tmp/conf
broken unknown_key "^hareplctl: (r0: )?$C:4: unknown key 'Frobnicate'"

printf '[Resource]\nNodeId = 0\nMetaDisk = internal\n' >/tmp/conf
broken missing_disk_key "$C.*missing.*Disk"

printf '[Resource]\nDisk = /dev/nonexistent\nNodeId = 0\n' >/tmp/conf
broken missing_disk_device "$C:2: .*/dev/nonexistent.*No such file or directory"

printf '[Resource]\nDisk = /dev/vdb\nNodeId = 0\n\n[Peer]\nNodeId = 1\nAddress = 192.0.2.300:7789\n' >/tmp/conf
broken bad_address "$C:7: bad Address '192.0.2.300:7789'"

printf '[Resource]\nDisk = /dev/vdb\nNodeId = 0\n[Peer]\nNodeId = 1\nAddress = 192.0.2.2\n' >/tmp/conf
broken address_without_port "$C:6: bad Address"

printf '[Resource]\nDisk = /dev/vdb\nNodeId = 99\n' >/tmp/conf
broken node_id_out_of_range "$C:3: .*NodeId"

printf '[Resurce]\nDisk = /dev/vdb\n' >/tmp/conf
broken unknown_section "$C:1: unknown section"

printf '[Resource]\nDisk = /dev/vdb\nNodeId = 0\nMode = sometimes\n' >/tmp/conf
broken bad_mode "$C:4: .*Mode"

missing_file() {
	rm -f "$C"
	out=$(hareplctl up r0 2>&1)
	rc=$?
	log "exit $rc: $out"
	[ $rc -eq 3 ] && echo "$out" | grep -q "r0: cannot read $C"
}
ktap_test_result "missing_config_file" missing_file

check_dmesg
ktap_finished
