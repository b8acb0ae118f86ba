#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=2 timeout=300 disks=256M
#
# Synchronous replication between two VMs: node 0 is primary and writes
# with fio (random writes with crc32c verification, O_SYNC writes with
# fsyncs); then node 1 computes the md5 of its data area and sends it to
# node 0 over the link (busybox nc), which compares it with its own. Node 1
# also verifies fio's data on its own disk.
#
# Messages: node 0 -> node 1 port 9000 "done SECTORS" once its writes are
# complete; node 1 -> node 0 port 9001 "md5 SUM".
. "${0%/*}/lib.sh"

ME=$HAREPL_NODE
PEER=$((1 - ME))
PEER_IP=192.0.2.$((PEER + 1))

ktap_print_header
if [ "$ME" = 0 ]; then ktap_set_plan 5; else ktap_set_plan 3; fi

vm_conf /dev/vdb s3cret sync Timeout=5s

FIO_RAND="--name=rand --ioengine=libaio --direct=1 --iodepth=16 --bsrange=4k-64k
	--rw=randwrite --offset=0 --size=32M --randrepeat=1 --randseed=4244
	--verify=crc32c --verify_fatal=1"
FIO_FUA="--name=fua --ioengine=libaio --direct=1 --offset=40M --size=4M --bs=4k
	--rw=write --sync=1 --fsync=8 --verify=crc32c --verify_fatal=1"

field() { hareplctl status --json r0 | jq -r ".$1"; }

# send PORT MESSAGE: one line to the peer (vm_send retries while it does not listen yet)
send() {
	echo "$2" >/tmp/send.msg
	vm_send "$1" /tmp/send.msg
}

wait_for "ping -c 1 -W 1 $PEER_IP >/dev/null 2>&1" 60 || die "peer unreachable"
load_module
# fresh zero disks on both VMs: the same data, no initial sync needed
run hareplctl create-md --uuid 0b8e6c1a-2f4d-4e5b-8a7c-9d0e1f2a3b4c --skip-initial-sync r0 \
	>/dev/null || die "create-md failed"
run hareplctl up r0 || die "up failed"
SECTORS=$(hareplctl dump-md --json r0 | jq -r .data_sectors)
# the other VM may boot a little later
if ! wait_for '[ "$(field connection)" = Connected ]' 60; then
	hareplctl status r0 | sed 's/^/# /'
	die "not Connected after 60 s"
fi

if [ "$ME" = 0 ]; then
	run hareplctl primary --force r0 || die "primary --force failed"

	states() {
		hareplctl status r0 | sed 's/^/# /'
		[ "$(field role)" = Primary ] && [ "$(field 'peers[0].connection')" = Connected ] &&
			wait_for '[ "$(field "peers[0].role")" = Secondary ]' 5 &&
			dmsetup status r0 | grep -q ' harepl Primary UpToDate Connected'
	}
	ktap_test_result "primary_connected_to_secondary" states

	WRITTEN=0
	ktap_test_result "fio_randwrite_verify" fio_writes /dev/mapper/r0 "$FIO_RAND"
	ktap_test_result "fio_fua_fsync_verify" fio_writes /dev/mapper/r0 "$FIO_FUA"

	acked() {
		wait_for '[ "$(field "peers[0].inflight")" = 0 ]' 2 || return 1
		sent=$(repl_num "$(field 'peers[0].bytes_sent')")
		log "written $WRITTEN, sent $sent"
		[ "$WRITTEN" -ge $((36 << 20)) ] && [ "$sent" -gt "$WRITTEN" ] &&
			[ "$(field 'peers[0].connection')" = Connected ]
	}
	ktap_test_result "nothing_in_flight_and_all_sent" acked

	same() {
		mine=$(disk_md5 /dev/vdb "$SECTORS")
		vm_receive 9001 180 /tmp/peer.msg &
		rx=$!
		send 9000 "done $SECTORS" || { log "node 1 never listened on 9000"; kill $rx; return 1; }
		wait $rx || { log "no answer from node 1 on 9001"; return 1; }
		theirs=$(sed -n 's/^md5 \([0-9a-f]*\)$/\1/p' /tmp/peer.msg)
		log "md5 of $SECTORS sectors: node 0 $mine, node 1 ${theirs:-?}"
		[ -n "$mine" ] && [ "$mine" = "$theirs" ]
	}
	ktap_test_result "data_identical_across_vms" same
else
	secondary() {
		hareplctl status r0 | sed 's/^/# /'
		[ "$(field role)" = Secondary ] &&
			wait_for '[ "$(field "peers[0].role")" = Primary ]' 120
	}
	ktap_test_result "secondary_of_a_primary" secondary

	report() {
		# node 0's writes have all completed (sync: acknowledged) when it says done
		vm_receive 9000 240 /tmp/done.msg || { log "no word from node 0"; return 1; }
		log "node 0: $(cat /tmp/done.msg)"
		[ "$(cat /tmp/done.msg)" = "done $SECTORS" ] || log "data area sizes differ"
		mine=$(disk_md5 /dev/vdb "$SECTORS")
		log "md5 of $SECTORS sectors: $mine"
		send 9001 "md5 $mine"
	}
	ktap_test_result "reported_md5" report

	own_disk() {
		run hareplctl down r0 || return 1
		fio_verify_only /dev/vdb "$FIO_RAND" "$FIO_FUA"
	}
	ktap_test_result "own_disk_verifies" own_disk
fi

hareplctl down r0 >/dev/null 2>&1
check_dmesg
ktap_finished
