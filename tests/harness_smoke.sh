#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=60
#
# Proves the test harness itself: disks, tools, modules, namespaces.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"

ktap_print_header
ktap_set_plan 6

# disks: the header's default disks=256M,64M appear as vdb and vdc
disks_ok() {
	[ -b /dev/vdb ] || { log "/dev/vdb missing"; return 1; }
	[ -b /dev/vdc ] || { log "/dev/vdc missing"; return 1; }
	_b=$(blockdev --getsize64 /dev/vdb)
	_c=$(blockdev --getsize64 /dev/vdc)
	log "vdb $_b bytes, vdc $_c bytes"
	[ "$_b" -eq $((256 << 20)) ] && [ "$_c" -eq $((64 << 20)) ]
}
if disks_ok; then ktap_test_pass disks; else ktap_test_fail disks; fi

# tools: every packed dynamic binary finds its libraries and runs
tools_ok() {
	_rc=0
	for _cmd in "ip -V" "tc -V" "fio --version" "dmsetup --version" "mke2fs -V" \
		"e2fsck -V" "setpriv --version" "kmod --version" "jq --version"; do
		$_cmd >/dev/null 2>&1 || { log "'$_cmd' does not run"; _rc=1; }
	done
	if [ -x /usr/sbin/hareplctl ]; then
		log "hareplctl is packed"
	fi
	run mkfs.ext4 -q -F /dev/vdc || _rc=1
	run fsck.ext4 -n /dev/vdc >/dev/null || _rc=1
	echo '{"a":1}' | jq -e '.a == 1' >/dev/null || _rc=1
	setpriv --reuid=65534 --regid=65534 --clear-groups id -u | grep -qx 65534 || _rc=1
	return "$_rc"
}
if tools_ok; then ktap_test_pass tools; else ktap_test_fail tools; fi

# modules: everything the tests rely on loads
modules_ok() {
	_rc=0
	for _m in dm-mod dm-flakey dm-delay dm-log-writes veth sch_netem libcrc32c \
		crc32c_generic null_blk loop drbd; do
		modprobe "$_m" || { log "modprobe $_m failed"; _rc=1; }
	done
	for _m in dm_mod veth; do
		[ -d /sys/module/$_m ] || { log "/sys/module/$_m missing"; _rc=1; }
	done
	run dmsetup create smoke --table "0 8192 linear /dev/vdb 0" || _rc=1
	_a=$(disk_md5 /dev/mapper/smoke 8192)
	_b=$(disk_md5 /dev/vdb 8192)
	[ "$_a" = "$_b" ] || { log "md5 of dm-linear $_a != vdb $_b"; _rc=1; }
	run dmsetup remove smoke || _rc=1
	return "$_rc"
}
if modules_ok; then ktap_test_pass modules; else ktap_test_fail modules; fi

# netns: two namespaces joined by veth, with netem delay
netns_ok() {
	two_ns_setup
	_rc=0
	run ip netns exec nsa ping -c 2 -W 2 192.0.2.2 >/dev/null || _rc=1
	run tc -n nsb qdisc add dev veth-b root netem delay 20ms || _rc=1
	ip netns exec nsb ping -c 1 -W 2 192.0.2.1 >/dev/null || _rc=1
	two_ns_cleanup
	return "$_rc"
}
if netns_ok; then ktap_test_pass netns; else ktap_test_fail netns; fi

# wait_for polls and times out
wait_ok() {
	( sleep 0.5; touch /tmp/flag ) &
	wait_for "[ -e /tmp/flag ]" 5 || return 1
	! wait_for false 0.3
}
if wait_ok; then ktap_test_pass wait_for; else ktap_test_fail wait_for; fi

# the results disk: the host unpacks this into build/check/harness_smoke/node0-results/
echo "$(hostname) $(uname -r)" >/tmp/smoke.txt
if save_results -C /tmp smoke.txt; then ktap_test_pass results_disk; else ktap_test_fail results_disk; fi

check_dmesg
kmemleak_scan
ktap_finished
