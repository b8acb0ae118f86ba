#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=2 timeout=600 disks=128M
#
# Secondary power loss. A secondary acknowledges a replicated write once
# its disk has completed it, which may be into the disk's volatile cache;
# the primary then forgets the write. So the secondary records the extents
# of the writes it applies in its own write-intent log, and after a crash
# marks them out of sync: the next connection resyncs them from the primary.
#
# Node 0 is primary, node 1 secondary, sync mode. Node 0 writes 8 MiB of
# random data at 40 MiB (write-intent extents 10 and 11) with O_DIRECT and
# no flush, then has node 1's qemu killed. qemu's cache=none keeps what the
# guest's disk completed, so the test plays the volatile cache's part: node
# 1's next boot zeroes that region of its disk before `up`, as a power loss
# may have left it (nothing was flushed since; the hot set of 256 extents
# covers the device, so the log evicted nothing). Afterwards both data
# areas must be identical: without the secondary's log they are not, as
# node 0 has nothing of that region out of sync.
#
# Messages: node 1 (boot 2) -> node 0 port 9100 "back node1 boot2 MARKED MD5"
# once resynced.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"

UUID=3d9c2b7e-6a41-4f0e-b8d5-1c7a9e2f4b60
REGION_MIB=8
OFFSET_MIB=40
BOOT=$(vm_boot)

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
	ktap_set_plan 3
	# what the disk's volatile cache lost: the region written last
	run dd if=/dev/zero of=/dev/vdb bs=1M seek=$OFFSET_MIB count=$REGION_MIB \
		oflag=direct 2>/dev/null || die "cannot zero the region"
	run hareplctl up r0 || die "up after the crash failed"
	marked=$(dmesg | sed -n 's/.*r0: not stopped cleanly: \([0-9]*\) write-intent extents\{0,1\} (\([0-9]*\) MiB).*/\2/p' | tail -n 1)
	marked=${marked:-0}
	log "the log marked $marked MiB out of sync"
	ktap_test_result "log_marks_the_written_region" [ "$marked" -ge $REGION_MIB ]
	if ! wait_for r0_synced 120; then
		r0_dump
		die "not in sync with node 0 within 120 s"
	fi
	ktap_test_result "resynced_uptodate" \
		eval '[ "$(r0_field disk)" = UpToDate ] && [ "$(r0_pfield role)" = Primary ]'
	md5=$(r0_data_md5)
	log "data md5 $md5"
	nonzero=$(dd if=/dev/vdb bs=1M skip=$OFFSET_MIB count=$REGION_MIB iflag=direct 2>/dev/null |
		tr -d '\000' | wc -c)
	log "$nonzero bytes of the region are not zero"
	ktap_test_result "region_resynced" [ "$nonzero" -gt 0 ]
	vm_back 9100 "$marked $md5" || die "node 0 did not listen on 9100"
	check_dmesg
	ktap_finished
fi

# node 0: the primary, never killed
ktap_set_plan 4
run hareplctl create-md --force --uuid $UUID --skip-initial-sync r0 >/dev/null ||
	die "create-md failed"
run hareplctl up r0 || die "up failed"
run hareplctl primary r0 || die "primary failed"
if ! wait_for r0_synced 60; then
	r0_dump
	die "node 1 not connected within 60 s"
fi
dd if=/dev/urandom of=/tmp/region bs=1M count=$REGION_MIB 2>/dev/null
run dd if=/tmp/region of=/dev/mapper/r0 bs=1M seek=$OFFSET_MIB oflag=direct 2>/dev/null ||
	die "writing the region failed"
ktap_test_result "region_acknowledged" \
	eval '[ "$(r0_pfield connection)" = Connected ] && [ "$(repl_num "$(r0_pfield oos_bytes)")" -eq 0 ]'
vm_kill_restart 1
got=$(vm_wait_back 9100 1 2 240) || { r0_dump; die "node 1 did not come back"; }
# shellcheck disable=SC2086
set -- $got
marked=$1 md5_1=$2
if ! wait_for r0_synced 60; then
	r0_dump
	die "not in sync with node 1 within 60 s"
fi
sent=$(repl_num "$(r0_pfield resync_bytes)")
log "node 1's log marked $marked MiB; the resync sent $sent bytes"
ktap_test_result "resync_covers_the_region" \
	eval '[ "$sent" -ge $((REGION_MIB << 20)) ] && [ "$sent" -le $((marked << 20)) ]'
md5_0=$(r0_data_md5)
log "data md5 node 0 $md5_0, node 1 $md5_1"
ktap_test_result "data_identical" eval '[ -n "$md5_1" ] && [ "$md5_0" = "$md5_1" ]'
ktap_test_result "region_is_what_was_written" \
	eval 'dd if=/dev/vdb bs=1M skip=$OFFSET_MIB count=$REGION_MIB iflag=direct 2>/dev/null |
		cmp -s - /tmp/region'
check_dmesg
ktap_finished
