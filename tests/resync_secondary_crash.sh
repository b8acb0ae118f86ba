#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=2 timeout=600 disks=128M
#
# Secondary power loss. A secondary acknowledges a replicated write once
# its disk has completed it, which may be into the disk's volatile cache;
# the primary then forgets the write. So the secondary records the extents
# of the writes it applies in its own write-intent log; after a crash it
# marks them out of sync, its disk is Outdated, and the next connection
# resyncs them from the other node.
#
# Round 1: node 0 (primary) writes 8 MiB of random data at 40 MiB with
# O_DIRECT and no flush, then has node 1's qemu killed. qemu's cache=none
# keeps what the guest's disk completed, so the test plays the volatile
# cache's part: node 1's next boot zeroes that region of its disk before
# `up`, as a power loss may have left it (nothing flushed node 1's cache
# since; the hot set of 256 extents covers the device, so its log evicted
# nothing). Node 1 must come up Outdated with the region marked, and after
# the resync both data areas must be identical and hold what node 0 wrote.
# Without the secondary's log, node 1 keeps zeroes while both nodes report
# nothing out of sync.
#
# Round 2: node 0 writes at 80 MiB and demotes. Node 1 then flushes and
# empties its log (its primary is gone), so when it is killed 2 s later
# it has nothing to lose or mark: it comes back UpToDate, nothing is
# resynced, and the data areas are identical.
#
# Messages: node 1 (boot B) -> node 0 port 9100
# "back node1 bootB MARKED DISK MD5" once in sync.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"

UUID=3d9c2b7e-6a41-4f0e-b8d5-1c7a9e2f4b60
REGION_MIB=8
BOOT=$(vm_boot)

# region_mib ROUND: where round ROUND writes
region_mib() { echo $((ROUND * 40)); }

ktap_print_header
vm_conf /dev/vdb s3cret sync Timeout=2s
vm_peer_up 60 || die "the other VM is unreachable"
load_module

if [ "$HAREPL_NODE" = 1 ]; then
	if [ "$BOOT" = 1 ]; then
		# killed by node 0 once it has written; no result survives
		ktap_set_plan 1
		run hareplctl create-md --force --uuid $UUID --skip-initial-sync r0 \
			>/dev/null || die "create-md failed"
		run hareplctl up r0 || die "up failed"
		sleep 300
		die "not killed within 300 s"
	fi
	ROUND=$((BOOT - 1))
	OFFSET_MIB=$(region_mib)
	# round 1's results are lost with this boot: node 0 reports them too
	ktap_set_plan 4
	if [ "$ROUND" = 1 ]; then
		# what the disk's volatile cache lost: the region written last
		run dd if=/dev/zero of=/dev/vdb bs=1M seek="$OFFSET_MIB" count=$REGION_MIB \
			oflag=direct 2>/dev/null || die "cannot zero the region"
	fi
	run hareplctl up r0 || die "up after the crash failed"
	marked=$(dmesg | sed -n 's/.*r0: not stopped cleanly: \([0-9]*\) write-intent extents\{0,1\} (\([0-9]*\) MiB).*/\2/p' | tail -n 1)
	marked=${marked:-0}
	# the resync may have started already: the state is in the log
	if dmesg | grep -q 'r0: .*disk Outdated until a resync'; then
		disk=Outdated
	else
		disk=$(r0_field disk)
	fi
	log "round $ROUND: the log marked $marked MiB out of sync; disk $disk"
	if [ "$ROUND" = 1 ]; then
		ktap_test_result "round1_log_marks_the_written_region" [ "$marked" -ge $REGION_MIB ]
		ktap_test_result "round1_disk_outdated_after_the_crash" [ "$disk" = Outdated ]
	else
		ktap_test_result "round2_log_was_empty" [ "$marked" -eq 0 ]
		ktap_test_result "round2_disk_uptodate_after_the_crash" [ "$disk" = UpToDate ]
	fi
	if ! wait_for r0_synced 120; then
		r0_dump
		die "round $ROUND: not in sync with node 0 within 120 s"
	fi
	ktap_test_result "round${ROUND}_resynced_uptodate" [ "$(r0_field disk)" = UpToDate ]
	nonzero=$(dd if=/dev/vdb bs=1M skip="$OFFSET_MIB" count=$REGION_MIB iflag=direct 2>/dev/null |
		tr -d '\000' | wc -c)
	log "round $ROUND: $nonzero bytes of the region are not zero"
	ktap_test_result "round${ROUND}_region_resynced" [ "$nonzero" -gt 0 ]
	vm_back 9100 "$marked $disk $(r0_data_md5)" || die "node 0 did not listen on 9100"
	if [ "$ROUND" = 2 ]; then
		check_dmesg
		ktap_finished
	fi
	# round 2: node 0 demotes, then kills this node again
	sleep 300
	die "round 2: not killed within 300 s"
fi

# node 0, never killed
ktap_set_plan 11
run hareplctl create-md --force --uuid $UUID --skip-initial-sync r0 >/dev/null ||
	die "create-md failed"
run hareplctl up r0 || die "up failed"
# promoting while node 1's connection is being set up once left node 1
# Inconsistent (not the subject here; see the issue 6 note of 2026-11-27)
wait_for '[ "$(r0_pfield connection)" = Connected ]' 60 || die "node 1 never connected"
run hareplctl primary r0 || die "primary failed"
for ROUND in 1 2; do
	OFFSET_MIB=$(region_mib)
	if ! wait_for r0_synced 120; then
		r0_dump
		die "round $ROUND: node 1 not in sync within 120 s"
	fi
	sent0=$(repl_num "$(r0_pfield resync_bytes)")
	dd if=/dev/urandom of=/tmp/region bs=1M count=$REGION_MIB 2>/dev/null
	run dd if=/tmp/region of=/dev/mapper/r0 bs=1M seek="$OFFSET_MIB" oflag=direct 2>/dev/null ||
		die "round $ROUND: writing the region failed"
	ktap_test_result "round${ROUND}_region_acknowledged" \
		eval '[ "$(r0_pfield connection)" = Connected ] &&
			[ "$(repl_num "$(r0_pfield oos_bytes)")" -eq 0 ]'
	if [ "$ROUND" = 2 ]; then
		run hareplctl secondary r0 || die "round 2: secondary failed"
		ktap_test_result "round2_demoted" [ "$(r0_field role)" = Secondary ]
		sleep 2		# node 1 empties its log
	fi
	vm_kill_restart 1
	got=$(vm_wait_back 9100 1 $((ROUND + 1)) 240) || { r0_dump; die "round $ROUND: node 1 did not come back"; }
	# shellcheck disable=SC2086
	set -- $got
	marked=$1 disk_1=$2 md5_1=$3
	if ! wait_for r0_synced 60; then
		r0_dump
		die "round $ROUND: not in sync with node 1 within 60 s"
	fi
	sent=$(($(repl_num "$(r0_pfield resync_bytes)") - sent0))
	log "round $ROUND: node 1's log marked $marked MiB (its disk $disk_1); the resync sent $sent bytes"
	if [ "$ROUND" = 1 ]; then
		ktap_test_result "round1_node1_outdated_after_the_crash" [ "$disk_1" = Outdated ]
		ktap_test_result "round1_resync_from_here_covers_the_region" \
			eval '[ "$sent" -ge $((REGION_MIB << 20)) ] && [ "$sent" -le $((marked << 20)) ]'
	else
		ktap_test_result "round2_node1_uptodate_after_the_crash" [ "$disk_1" = UpToDate ]
		ktap_test_result "round2_nothing_resynced" eval '[ "$marked" -eq 0 ] && [ "$sent" -eq 0 ]'
	fi
	md5_0=$(r0_data_md5)
	log "round $ROUND: data md5 node 0 $md5_0, node 1 $md5_1"
	ktap_test_result "round${ROUND}_data_identical" eval '[ -n "$md5_1" ] && [ "$md5_0" = "$md5_1" ]'
	ktap_test_result "round${ROUND}_region_is_what_was_written" \
		eval 'dd if=/dev/vdb bs=1M skip="$OFFSET_MIB" count=$REGION_MIB iflag=direct 2>/dev/null |
			cmp -s - /tmp/region'
done
check_dmesg
ktap_finished
