#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=2 timeout=900 disks=128M
#
# Primary crash (issue 7, test 3). Node 0 is primary, node 1 secondary,
# sync mode, a write-intent hot set of 4 extents (16 MiB) on a 127 MiB
# device. Each round node 0 writes random 4 KiB blocks over the whole
# device with fio; node 1 asks the runner to kill node 0's qemu (power
# loss) at a random moment 1..4 s later. Node 0 boots again: it finds its
# write-intent log not empty, marks those extents out of sync, connects and
# resyncs to node 1 (it was primary, node 1 was never promoted). The resync
# must cover at most the hot set (never the whole device), and afterwards
# both data areas must be identical. Five rounds, five kill points.
#
# Messages: node 0 -> node 1 port 9000 "writing R" once fio runs;
# node 0 (new boot) -> node 1 port 9100 "back node0 bootB SENT MARKED MD5"
# after the resync; node 1 -> node 0 port 9200 "md5 SUM" of its data area.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"

ROUNDS=5
AL_EXTENTS=4
HOT_SET=$((AL_EXTENTS * 4 << 20))
UUID=6b1f3e2a-58c4-4d6b-9a0e-3c2f1e0d9b8a
BOOT=$(vm_boot)
PEER_IP=192.0.2.$((2 - HAREPL_NODE))


ktap_print_header
vm_conf /dev/vdb s3cret sync Timeout=2s
vm_peer_up 60 || die "the other VM is unreachable"
load_module

if [ "$HAREPL_NODE" = 1 ]; then
	# the secondary: set up once, then kill node 0 once per round
	ktap_set_plan $((3 * ROUNDS))
	run hareplctl create-md --force --uuid $UUID --skip-initial-sync \
		--al-extents $AL_EXTENTS r0 >/dev/null || die "create-md failed"
	run hareplctl up r0 || die "up failed"
	R=1
	while [ "$R" -le "$ROUNDS" ]; do
		msg=$(vm_hear 9000 180) || { r0_dump; die "round $R: node0 never started writing"; }
		log "round $R: node0 says '$msg'"
		sleep "$(awk -v r="$R" 'BEGIN { srand(r * 7919); printf "%.1f", 1 + 3 * rand() }')"
		vm_kill_restart 0
		got=$(vm_wait_back 9100 0 $((R + 1)) 300) || { r0_dump; die "round $R: node0 did not come back"; }
		# shellcheck disable=SC2086
		set -- $got
		sent=$1 marked=$2 md5_0=$3
		log "round $R: node0 resynced $sent bytes, its log marked $marked bytes; hot set $HOT_SET"
		marked=$(repl_num "$marked")
		ktap_test_result "round${R}_log_marked_at_most_the_hot_set" \
			eval '[ "$marked" -gt 0 ] && [ "$marked" -le $HOT_SET ]'
		ktap_test_result "round${R}_resync_within_the_hot_set" \
			[ "$(repl_num "$sent")" -le $HOT_SET ]
		md5_1=$(r0_data_md5)
		log "round $R: data md5 node0 $md5_0, node1 $md5_1"
		ktap_test_result "round${R}_data_identical" eval '[ -n "$md5_1" ] && [ "$md5_0" = "$md5_1" ]'
		echo "md5 $md5_1" >/tmp/md5.msg
		vm_send 9200 /tmp/md5.msg || log "node0 did not listen on 9200"
		R=$((R + 1))
	done
	check_dmesg
	ktap_finished
fi

# node 0, the primary that keeps crashing
R=$BOOT
if [ "$BOOT" -eq 1 ]; then
	ktap_set_plan 1
	run hareplctl create-md --force --uuid $UUID --skip-initial-sync \
		--al-extents $AL_EXTENTS r0 >/dev/null || die "create-md failed"
	run hareplctl up r0 || die "up failed"
else
	# the last boot stops before promoting again
	if [ "$BOOT" -gt "$ROUNDS" ]; then ktap_set_plan 3; else ktap_set_plan 4; fi
	run hareplctl up r0 || die "up after the crash failed"
	marked=$(dmesg | sed -n 's/.*r0: not stopped cleanly: \([0-9]*\) write-intent extents\{0,1\} (\([0-9]*\) MiB).*/\2/p' | tail -n 1)
	marked=$((${marked:-0} << 20))
	log "boot $BOOT: the log marked $marked bytes out of sync"
	ktap_test_result "boot${BOOT}_log_replayed" [ "$marked" -gt 0 ]
fi

if ! wait_for r0_synced 240; then
	r0_dump
	die "boot $BOOT: not in sync with node1 within 240 s"
fi
if [ "$BOOT" -gt 1 ]; then
	sent=$(repl_num "$(r0_pfield resync_bytes)")
	log "boot $BOOT: resync sent $sent bytes"
	ktap_test_result "boot${BOOT}_resync_within_the_hot_set" eval '[ "$sent" -ge 0 ] && [ "$sent" -le $HOT_SET ]'
	md5=$(r0_data_md5)
	vm_back 9100 "$sent $marked $md5" || die "node1 did not listen on 9100"
	msg=$(vm_hear 9200 120)
	ktap_test_result "boot${BOOT}_data_identical_with_node1" [ "$msg" = "md5 $md5" ]
	if [ "$BOOT" -gt "$ROUNDS" ]; then
		check_dmesg
		ktap_finished
	fi
fi

run hareplctl primary r0 || { r0_dump; die "boot $BOOT: primary failed"; }
ktap_test_result "boot${BOOT}_primary" [ "$(r0_field role)" = Primary ]
fio --name=crash --filename=/dev/mapper/r0 --ioengine=libaio --direct=1 --rw=randwrite \
	--bs=4k --iodepth=16 --size=127M --time_based --runtime=120 --randseed="$BOOT" \
	--output=/dev/null &
sleep 1
echo "writing $R" >/tmp/writing.msg
vm_send 9000 /tmp/writing.msg || die "node1 did not listen on 9000"
wait
die "boot $BOOT: not killed while writing"
