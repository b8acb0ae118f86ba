#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=240 disks=64M,64M
#
# A reconnecting node is not shown Connected before the connection's first
# decision. B's disk is a dm-delay device; B is cut off, A writes 1 MiB,
# then every write to B's disk (and every cache flush) is held 2 s, so B's
# decision (the superblock write, a flush then a FUA write, that marks it
# Inconsistent before it turns SyncTarget) takes about 4 s; B's worker reads
# nothing meanwhile, so the peers' Timeout is 10 s.
# Meanwhile B's status (polled with 0.1 s between calls, which take about
# 0.3 s here; the way the OCF agent reads it)
# must show the peer and the resource Connecting, never Connected while B
# is still UpToDate: that is the state that earns a promotion score. Then
# B turns SyncTarget, the resync completes and the data areas match.
# - window_shows_connecting: during the decision B's status says
#   Connecting (peer and resource) with B's disk still UpToDate, and dm
#   status says Connecting for the peer
# - never_connected_uptodate_before_sync_target: no sample before the first
#   SyncTarget shows B Connected and UpToDate
# - status_does_not_wait_for_metadata_io: no status call took half the
#   delay (status reads a copy of the ids, not the superblock being
#   written under its mutex)
# - resync_completes_data_identical
. "${0%/*}/lib.sh"

ktap_print_header
ktap_set_plan 4

DELAY_MS=2000
SLOW=slowb
SECTORS=$(blockdev --getsz /dev/vdc) || die "no size for /dev/vdc"

# slow_b MS: every write to B's disk held MS ms (reads at once)
slow_b() {
	dmsetup suspend "$SLOW" &&
		dmsetup reload "$SLOW" --table "0 $SECTORS delay /dev/vdc 0 0 /dev/vdc 0 $1" &&
		dmsetup resume "$SLOW" || die "dm-delay reload to $1 ms failed"
	log "writes to B's disk delayed $1 ms"
}

load_module
modprobe dm-delay || die "no dm-delay module"
dmsetup create "$SLOW" --table "0 $SECTORS delay /dev/vdc 0 0" || die "dmsetup create $SLOW failed"
two_ns_setup
REPL_DISK_B=/dev/mapper/$SLOW repl_setup sync Timeout=10s

repl_link down
WRITTEN=0
fio_writes /dev/mapper/r0a "--name=stale --ioengine=libaio --direct=1 --iodepth=4 --bs=64k
	--rw=write --offset=0 --size=1M" || die "fio on A failed"
log "B: $(repl_jq nsb '"\(.disk) \(.connection) \(.peers[0].connection)"')"
slow_b $DELAY_MS

# samples "PEERCONN DISK RESCONN PEERROLE" of B, 0.1 s apart, until its peer is SyncTarget or 30 s
# passed (the peer's role is there from the install on: null before), and one dm status line taken
# while a sample showed the decision's window
: >/tmp/samples
: >/tmp/durations
DM_LINE=
MAX_MS=0
repl_link up
end=$(($(now_ms) + 30000))
while [ "$(now_ms)" -lt "$end" ]; do
	t0=$(now_ms)
	s=$(repl_jq nsb '"\(.peers[0].connection) \(.disk) \(.connection) \(.peers[0].role)"')
	t1=$(now_ms)
	[ $((t1 - t0)) -le "$MAX_MS" ] || MAX_MS=$((t1 - t0))
	echo "$((t1 - t0)) $s" >>/tmp/durations
	echo "$s" >>/tmp/samples
	case $s in
	SyncTarget*) break ;;
	"Connecting UpToDate Connecting Primary")
		case $DM_LINE in
		*" 0 Connecting sync "*) ;;
		*) DM_LINE=$(dmsetup status r0b) ;;
		esac ;;
	esac
	sleep 0.1
done
slow_b 0
uniq -c /tmp/samples | sed 's/^/# B: /'
log "dm status then: $DM_LINE"
log "slowest status call: $MAX_MS ms; the five slowest (ms, sample):"
sort -rn /tmp/durations | head -n 5 | sed 's/^/#   /'

window() {
	grep -q '^Connecting UpToDate Connecting Primary$' /tmp/samples &&
		grep -q '^SyncTarget ' /tmp/samples &&
		case $DM_LINE in *" 0 Connecting sync "*) true ;; *) false ;; esac
}
ktap_test_result "window_shows_connecting" window

never_connected_uptodate() {
	! sed '/^SyncTarget /,$d' /tmp/samples | grep -q '^Connected UpToDate'
}
ktap_test_result "never_connected_uptodate_before_sync_target" never_connected_uptodate

ktap_test_result "status_does_not_wait_for_metadata_io" [ "$MAX_MS" -lt $((DELAY_MS / 2)) ]

synced() {
	repl_wait_synced 60 && repl_same_data "$REPL_SECTORS"
}
ktap_test_result "resync_completes_data_identical" synced

repl_down
dmsetup remove "$SLOW" || log "dmsetup remove $SLOW failed"
check_dmesg
ktap_finished
