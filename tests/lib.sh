#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest-side helpers for the harepl tests; every test starts with
#	. "${0%/*}/lib.sh"
# POSIX sh: /bin/sh in the guest is dash, other tools are busybox applets
# except iproute2, fio, dmsetup, e2fsprogs, kmod, jq, setpriv. Output is KTAP: results as "ok N name" /
# "not ok N name", diagnostics as "# ..." lines. Exit codes follow kselftest:
# 0 pass, 1 fail, 4 skip. Helpers that "fail" exit the (sub)shell they run in.
#
# Environment from /init: HAREPL_NODE (0, 1, ...), HAREPL_VMS, HAREPL_TEST.
# Disks: /dev/vdb, /dev/vdc, ... as the test header's disks= asks; /dev/vda is
# the results disk (save_results).

HAREPL_NODE=${HAREPL_NODE:-0}
HAREPL_VMS=${HAREPL_VMS:-1}
KTAP_TESTNUM=1
KTAP_PLAN=
KTAP_CNT_PASS=0
KTAP_CNT_FAIL=0
KTAP_CNT_SKIP=0

# log MSG...: print a diagnostic line "# MSG"
log() { echo "# $*"; }

# run CMD...: print "# + CMD" (to stderr) then run it, returning its status
run() { echo "# + $*" >&2; "$@"; }

# die REASON...: print the reason, the tail of dmesg, "Bail out!" and exit 1
die() {
	echo "# FAIL: $*"
	dmesg 2>/dev/null | tail -n 15 | sed 's/^/# dmesg: /'
	echo "Bail out! $*"
	exit 1
}

# fail REASON...: same as die
fail() { die "$@"; }

# skip REASON...: skip the whole test (exit 4)
skip() {
	echo "# SKIP: $*"
	exit 4
}

# ktap_print_header: print the KTAP version line
ktap_print_header() { echo "TAP version 13"; }

# ktap_set_plan N: announce N test cases
ktap_set_plan() {
	KTAP_PLAN=$1
	echo "1..$1"
}

# ktap_test_pass NAME: report a passed test case
ktap_test_pass() {
	echo "ok $KTAP_TESTNUM $*"
	KTAP_TESTNUM=$((KTAP_TESTNUM + 1))
	KTAP_CNT_PASS=$((KTAP_CNT_PASS + 1))
}

# ktap_test_fail NAME: report a failed test case
ktap_test_fail() {
	echo "not ok $KTAP_TESTNUM $*"
	KTAP_TESTNUM=$((KTAP_TESTNUM + 1))
	KTAP_CNT_FAIL=$((KTAP_CNT_FAIL + 1))
}

# ktap_test_skip NAME REASON...: report a skipped test case
ktap_test_skip() {
	_name=$1
	shift
	echo "ok $KTAP_TESTNUM $_name # SKIP $*"
	KTAP_TESTNUM=$((KTAP_TESTNUM + 1))
	KTAP_CNT_SKIP=$((KTAP_CNT_SKIP + 1))
}

# ktap_test_result NAME CMD...: run CMD, report NAME as passed or failed by its status
ktap_test_result() {
	_name=$1
	shift
	if "$@"; then
		ktap_test_pass "$_name"
	else
		ktap_test_fail "$_name"
	fi
}

# ktap_finished: print totals, exit 0 if all passed, 1 if any failed (or the plan was missed), 4 if all skipped
ktap_finished() {
	_ran=$((KTAP_TESTNUM - 1))
	echo "# Totals: pass:$KTAP_CNT_PASS fail:$KTAP_CNT_FAIL xfail:0 xpass:0 skip:$KTAP_CNT_SKIP error:0"
	if [ -n "$KTAP_PLAN" ] && [ "$_ran" -ne "$KTAP_PLAN" ]; then
		echo "# Planned $KTAP_PLAN tests but ran $_ran"
		exit 1
	fi
	[ "$KTAP_CNT_FAIL" -eq 0 ] || exit 1
	if [ "$KTAP_CNT_SKIP" -gt 0 ] && [ "$KTAP_CNT_PASS" -eq 0 ]; then
		exit 4
	fi
	exit 0
}

# load_module [PARAM=VALUE...]: modprobe harepl, fail if it does not load
load_module() {
	modprobe harepl "$@" || die "modprobe harepl failed"
	[ -d /sys/module/harepl ] || die "harepl is not loaded after modprobe"
}

# unload_module: rmmod harepl, fail if it stays loaded
unload_module() {
	rmmod harepl || die "rmmod harepl failed"
	[ ! -d /sys/module/harepl ] || die "harepl is still loaded after rmmod"
}

# Kernel messages that fail any test.
HAREPL_BAD_DMESG='WARNING:|BUG:|Oops|KASAN|UBSAN|possible circular locking|inconsistent lock state|suspicious RCU usage|general protection fault|kmemleak:.*(new suspected|unreferenced object)'

# check_dmesg: fail if the kernel log has a warning, BUG, oops, sanitizer, lockdep or leak report
check_dmesg() {
	_bad=$(dmesg | grep -E "$HAREPL_BAD_DMESG") || return 0
	echo "$_bad" | sed 's/^/# /'
	die "kernel log has warnings or errors"
}

# kmemleak_scan: when kmemleak is available, scan and fail on any leak not reported before
kmemleak_scan() {
	_kml=/sys/kernel/debug/kmemleak
	if [ ! -w "$_kml" ]; then
		log "kmemleak unavailable, leak check skipped"
		return 0
	fi
	sleep 6 # objects younger than 5 s are never reported
	echo scan >"$_kml"
	echo scan >"$_kml"
	_leaks=$(cat "$_kml")
	echo clear >"$_kml"
	[ -z "$_leaks" ] && return 0
	echo "$_leaks" | sed 's/^/# /'
	die "kmemleak reports leaks"
}

# two_ns_setup: netns nsa (veth-a, 192.0.2.1/24) and nsb (veth-b, 192.0.2.2/24) joined by a veth pair
two_ns_setup() {
	modprobe veth || die "modprobe veth failed"
	ip netns add nsa || die "ip netns add nsa failed"
	ip netns add nsb || die "ip netns add nsb failed"
	ip link add veth-a netns nsa type veth peer name veth-b netns nsb ||
		die "creating the veth pair failed"
	ip -n nsa addr add 192.0.2.1/24 dev veth-a
	ip -n nsb addr add 192.0.2.2/24 dev veth-b
	for _ns in nsa nsb; do
		ip -n "$_ns" link set lo up
	done
	ip -n nsa link set veth-a up
	ip -n nsb link set veth-b up || die "bringing up the veth pair failed"
}

# two_ns_cleanup: delete the two namespaces (and with them the veth pair)
two_ns_cleanup() {
	ip netns del nsa 2>/dev/null
	ip netns del nsb 2>/dev/null
	return 0
}

# wait_for CMD TIMEOUT_S: run the shell command CMD every 0.1 s until it succeeds (0) or TIMEOUT_S passes (1)
wait_for() {
	_wf_end=$(awk -v t="$2" '{ printf "%d", ($1 + t) * 100 }' /proc/uptime)
	while ! eval "$1"; do
		[ "$(awk '{ printf "%d", $1 * 100 }' /proc/uptime)" -lt "$_wf_end" ] || return 1
		sleep 0.1
	done
	return 0
}

# save_results FILE|DIR...: write them to the results disk /dev/vda; the host unpacks them to build/check/TEST/nodeN-results/
save_results() {
	tar -cf /dev/vda "$@" || die "save_results: tar failed"
	sync
}

# disk_md5 DEV SECTORS: md5 of the first SECTORS 512-byte sectors of DEV, read with O_DIRECT
disk_md5() {
	if [ $(($2 % 128)) -eq 0 ]; then
		dd if="$1" bs=65536 count=$(($2 / 128)) iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1
	else
		dd if="$1" bs=512 count="$2" iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1
	fi
}

# write_conf RES DISK META [Key=Value...]: write a harepl config for RES to
# $CONF (default /etc/harepl/RES.conf): NodeId 0 unless given, extra keys go
# into [Resource]
write_conf() {
	_wc_file=${CONF:-/etc/harepl/$1.conf}
	mkdir -p "${_wc_file%/*}"
	{
		echo "[Resource]"
		echo "Name = $1"
		echo "Disk = $2"
		echo "MetaDisk = $3"
		shift 3
		case " $* " in *" NodeId="*) ;; *) echo "NodeId = 0" ;; esac
		for _kv in "$@"; do
			echo "${_kv%%=*} = ${_kv#*=}"
		done
	} >"$_wc_file"
}
