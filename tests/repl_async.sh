#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=300 disks=128M,128M
#
# Asynchronous replication over a slow, lossy link (netem: 20 ms each way,
# 1 % loss): fio random writes with crc32c verification and O_SYNC writes
# with fsyncs on the primary; once the queue has drained the secondary's
# data area is identical to the primary's.
. "${0%/*}/lib.sh"

ktap_print_header
ktap_set_plan 6

load_module
two_ns_setup
run tc -n nsa qdisc add dev veth-a root netem delay 20ms loss 1% || die "netem on veth-a failed"
run tc -n nsb qdisc add dev veth-b root netem delay 20ms loss 1% || die "netem on veth-b failed"
repl_setup async
log "data area: $REPL_SECTORS sectors"

FIO_RAND="--name=rand --ioengine=libaio --direct=1 --iodepth=16 --bsrange=4k-64k
	--rw=randwrite --offset=0 --size=32M --randrepeat=1 --randseed=4243
	--verify=crc32c --verify_fatal=1"
FIO_FUA="--name=fua --ioengine=libaio --direct=1 --offset=40M --size=2M --bs=4k
	--rw=write --sync=1 --fsync=8 --verify=crc32c --verify_fatal=1"

async_states() {
	repl_dump nsa nsb
	[ "$(repl_status nsa role)" = Primary ] && [ "$(repl_status nsa connection)" = Connected ] &&
		[ "$(repl_peer nsa mode)" = async ] && [ "$(repl_peer nsa connection)" = Connected ] &&
		[ "$(repl_peer nsb mode)" = async ] && [ "$(repl_status nsb role)" = Secondary ] &&
		[ "$(repl_num "$(repl_peer nsa send_buffer)")" -gt 0 ]
}
ktap_test_result "states_when_connected" async_states

WRITTEN=0
ktap_test_result "fio_randwrite_verify" fio_writes /dev/mapper/r0a "$FIO_RAND" median
ktap_test_result "fio_fua_fsync_verify" fio_writes /dev/mapper/r0a "$FIO_FUA" median

drained() {
	if ! repl_wait_drained nsa 120; then
		repl_dump nsa
		return 1
	fi
	sent=$(repl_num "$(repl_peer nsa bytes_sent)")
	log "written $WRITTEN, A sent $sent"
	[ "$sent" -gt "$WRITTEN" ] && [ "$(repl_peer nsa connection)" = Connected ]
}
ktap_test_result "queue_drained" drained

identical() {
	sleep 1
	repl_same_data "$REPL_SECTORS" && return 0
	# not yet? the last writes may still be on their way: one more chance
	sleep 5
	repl_same_data "$REPL_SECTORS"
}
ktap_test_result "data_areas_identical" identical

secondary_verifies() {
	run repl_ctl nsb down r0 || return 1
	fio_verify_only /dev/vdc "$FIO_RAND" "$FIO_FUA"
}
ktap_test_result "secondary_disk_verifies" secondary_verifies

repl_down
check_dmesg
ktap_finished
