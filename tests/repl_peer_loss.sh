#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=240 disks=128M,128M
#
# Peer loss in sync mode (Timeout = 2s): fio writes on the primary at a
# steady 200 IOPS (about 15 s); after about 3 s the secondary's link goes
# down. The primary keeps serving: fio finishes on time without errors, no
# write waits longer than the timeout plus 1 s, fio's data verifies, the
# peer is no longer Connected and what was written since is counted as out
# of sync. When B then comes back (disconnect, link up, connect), its
# wake-up makes A dial at once (A logs it), and the two resync.
. "${0%/*}/lib.sh"

ktap_print_header
ktap_set_plan 6

TIMEOUT_MS=2000
repl_setup sync Timeout=2s

timeout_reported() {
	[ "$(repl_peer nsa timeout_ms)" = $TIMEOUT_MS ] && [ "$(repl_peer nsa connection)" = Connected ]
}
ktap_test_result "connected_with_timeout_2000ms" timeout_reported

# 3072 writes of 4 KiB at 200 per second: 15.4 s. No --runtime: a job cut
# short by its runtime skips the verify phase.
FIO="fio --name=loss --filename=/dev/mapper/r0a --ioengine=libaio --direct=1
	--iodepth=4 --bs=4k --rw=randwrite --size=12M --rate_iops=200
	--randrepeat=1 --randseed=77 --verify=crc32c --verify_fatal=1 --do_verify=1
	--output-format=json --output=/tmp/fio.json"
t0=$(awk '{ printf "%d", $1 * 1000 }' /proc/uptime)
timeout 120 $FIO >/tmp/fio.err 2>&1 &
FIOPID=$!
sleep 3
run ip -n nsb link set veth-b down
wait $FIOPID
FIORC=$?
t1=$(awk '{ printf "%d", $1 * 1000 }' /proc/uptime)
ELAPSED=$((t1 - t0))
log "fio exit $FIORC after ${ELAPSED} ms"

fio_ok() {
	errs=$(fio_json /tmp/fio.json '.jobs[0].error')
	bytes=$(fio_json /tmp/fio.json '.jobs[0].write.io_bytes')
	vbytes=$(fio_json /tmp/fio.json '.jobs[0].read.io_bytes')
	log "fio error $errs, wrote $bytes bytes, verified $vbytes bytes"
	[ $FIORC -eq 0 ] && [ "$errs" = 0 ] && [ "$bytes" = $((12 << 20)) ] &&
		[ "$vbytes" = $((12 << 20)) ] || { sed 's/^/# /' /tmp/fio.err; return 1; }
}
ktap_test_result "fio_completes_and_verifies" fio_ok

on_time() {
	# 15.4 s of writes, at most one timeout of stall, the verify pass, slack
	[ $ELAPSED -lt $((15400 + TIMEOUT_MS + 15000)) ]
}
ktap_test_result "fio_finishes_on_time" on_time

no_long_wait() {
	clat=$(repl_num "$(fio_json /tmp/fio.json '.jobs[0].write.clat_ns.max')")
	lat=$(repl_num "$(fio_json /tmp/fio.json '.jobs[0].write.lat_ns.max')")
	log "longest write: completion ${clat} ns, total ${lat} ns (limit $(((TIMEOUT_MS + 1000) * 1000000)))"
	[ "$clat" -gt 0 ] && [ "$lat" -gt 0 ] &&
		[ "$lat" -lt $(((TIMEOUT_MS + 1000) * 1000000)) ]
}
ktap_test_result "no_write_waited_longer_than_timeout" no_long_wait

peer_lost() {
	repl_dump nsa
	conn=$(repl_peer nsa connection)
	oos=$(repl_num "$(repl_peer nsa oos_bytes)")
	log "A: peer $conn, out of sync $oos bytes"
	[ "$conn" != Connected ] && [ "$conn" != null ] && [ -n "$conn" ] &&
		[ "$(repl_status nsa connection)" != Connected ] &&
		[ "$(repl_status nsa role)" = Primary ] && [ "$(repl_status nsa disk)" = UpToDate ] &&
		[ "$oos" -gt 0 ] && [ "$oos" -le $((12 << 20)) ] &&
		! dmsetup status r0a | grep -q ' Connected'
}
ktap_test_result "peer_disconnected_writes_out_of_sync" peer_lost

# By now A has dialled B for over 15 s and waits up to 5 s between
# attempts. B comes back as after a reboot (disconnect, link up, connect):
# its wake-up makes A dial at once instead of after its backoff.
repl_ctl nsb disconnect r0 >/dev/null || die "B: disconnect failed"
ip -n nsb link set veth-b up
# A's last dial may wait in its ARP queue for B's address: resolved by any
# packet from B (the wake-up's SYN too), it would connect A by itself
# before the wake-up is read. Resolve it now (that dial then fails).
ip netns exec nsa ping -c 1 -W 2 192.0.2.2 >/dev/null 2>&1 || log "A cannot ping B"
WAKES=$(dmesg | grep -c 'r0: peer 192.0.2.2:7789 says it is listening')
t0=$(awk '{ printf "%d", $1 * 1000 }' /proc/uptime)
repl_ctl nsb connect r0 >/dev/null || die "B: connect failed"
wait_for '[ "$(repl_peer nsb connection)" != Connecting ] && [ "$(repl_peer nsa connection)" != Connecting ]' 20
t1=$(awk '{ printf "%d", $1 * 1000 }' /proc/uptime)

# ktime PATTERN: the kernel timestamp (ms) of the last log line matching PATTERN
ktime() {
	dmesg | grep -- "$1" | tail -n 1 | sed -n 's/^\[ *\([0-9]*\)\.\([0-9]\{3\}\).*/\1\2/p'
}

woken() {
	log "B connected again $((t1 - t0)) ms after its CONNECT: A $(repl_peer nsa connection), B $(repl_peer nsb connection)"
	dmesg | grep 'harepl: r0:' | tail -n 8 | sed 's/^/# /'
	# from B's listener to A's connection, in kernel time (without the
	# wake-up A's next attempt would come 0 - 5 s later)
	tl=$(repl_num "$(ktime 'r0: listening on 192.0.2.2:7789')")
	tc=$(repl_num "$(ktime 'r0: peer 192.0.2.2:7789: connected')")
	log "kernel log: B listening at $tl ms, A connected at $tc ms"
	[ "$(dmesg | grep -c 'r0: peer 192.0.2.2:7789 says it is listening (from 192.0.2.2:[0-9]*): connecting to it now')" \
		-gt "$WAKES" ] && [ "$tl" -gt 0 ] && [ "$tc" -ge "$tl" ] && [ $((tc - tl)) -lt 1000 ] &&
		repl_wait_synced 60
}
ktap_test_result "returning_peer_wakes_the_dialer" woken

repl_down
check_dmesg
ktap_finished
