#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=300 disks=256M,256M
#
# An interrupted resync resumes where it stopped: 96 MiB written while
# disconnected, resync at 8 MiB/s; at about half way the link is cut
# again. The target stays Inconsistent, the source's out-of-sync count has
# shrunk by what was acknowledged; after the link is back the resync completes
# having sent less than 1.3x the out-of-sync amount in all (nothing is
# sent twice but what was in flight at the cut), and the data areas are
# identical.
. "${0%/*}/lib.sh"

ktap_print_header
ktap_set_plan 7

repl_setup sync Timeout=2s ResyncRate=8M
log "data area: $REPL_SECTORS sectors"

BULK="--name=bulk --ioengine=libaio --direct=1 --iodepth=8 --bs=1M --rw=write
	--offset=16M --size=96M --verify=crc32c --verify_fatal=1"

repl_link down
WRITTEN=0
ktap_test_result "bulk_write_while_disconnected" fio_writes /dev/mapper/r0a "$BULK"
OOS=$(repl_pnum nsa oos_bytes)
log "A: $OOS bytes out of sync for B"

repl_link up
T_UP=$(awk '{ printf "%d", $1 }' /proc/uptime)
# progress NS: resync_done * 100 / resync_total of NS's peer (-1 when unknown)
progress() {
	_p=$(repl_jq "$1" '"\(.peers[0].resync_done) \(.peers[0].resync_total)"')
	_d=$(repl_num "${_p% *}")
	_t=$(repl_num "${_p#* }")
	[ "$_t" -gt 0 ] && [ "$_d" -ge 0 ] || { echo -1; return; }
	echo $((_d * 100 / _t))
}
half_way() {
	[ "$(repl_peer nsa connection)" = SyncSource ] || return 1
	PCT=$(progress nsa)
	[ "$PCT" -ge 45 ] || return 1
	# cut at once: every status call in between lets the resync run on
	ip -n nsa link set veth-a down && ip -n nsb link set veth-b down
}
if ! wait_for half_way 90; then
	repl_dump nsa nsb
	die "the resync did not get half way within 90 s"
fi
T_CUT=$(awk '{ printf "%d", $1 * 1000 }' /proc/uptime)
log "cut the link at $PCT % of the resync, $((T_CUT / 1000 - T_UP)) s after the link came up"
repl_link down # waits until both see the peer gone
log "both saw the peer gone $(($(awk '{ printf "%d", $1 * 1000 }' /proc/uptime) - T_CUT)) ms after the cut (Timeout 2 s)"

interrupted() {
	repl_dump nsa nsb
	oos=$(repl_pnum nsa oos_bytes)
	done=$(repl_pnum nsa resync_done)
	log "after the cut: A $oos bytes out of sync for B ($((oos * 100 / OOS)) % of $OOS)," \
		"resync_done $done, resync_rate $(repl_pnum nsa resync_rate), resync_bytes $(repl_pnum nsa resync_bytes)"
	# what was acknowledged is clear, the rest still set: the two add up to what was out of sync;
	# the cut came at >= 45 %, so less than 70 % is left (how much less
	# depends on how long the link took to go down on a loaded machine)
	[ "$OOS" -eq $((96 << 20)) ] && [ $((oos + done)) -eq "$OOS" ] &&
		[ "$oos" -gt 0 ] && [ "$oos" -lt $((OOS * 7 / 10)) ]
}
ktap_test_result "source_keeps_what_was_not_acknowledged" interrupted

b_inconsistent() {
	# and it stays so while disconnected
	sleep 3
	d=$(repl_status nsb disk)
	log "B's disk while the resync is interrupted: $d"
	[ "$d" = Inconsistent ] && ! repl_peer_live nsb
}
ktap_test_result "target_stays_inconsistent" b_inconsistent

b_refuses_promotion() {
	# an Inconsistent node must not become primary without --force
	out=$(repl_ctl nsb primary r0 2>&1)
	rc=$?
	log "B primary: exit $rc: $out"
	[ $rc -ne 0 ] && [ "$(repl_status nsb role)" = Secondary ]
}
ktap_test_result "inconsistent_target_not_promoted" b_refuses_promotion

repl_link up
ktap_test_result "resync_resumes_and_completes" repl_wait_synced 150

not_restarted() {
	sent=$(repl_pnum nsa resync_bytes)
	recv=$(repl_pnum nsb resync_bytes)
	log "resync moved $sent bytes in all (B received $recv) for $OOS out of sync; cut at $PCT %"
	[ "$sent" -ge "$OOS" ] && [ "$sent" -lt $((OOS * 13 / 10)) ]
}
ktap_test_result "total_resync_bytes_below_1.3x" not_restarted

identical() {
	repl_same_data "$REPL_SECTORS" || return 1
	run repl_ctl nsb down r0 || return 1
	fio_verify_only /dev/vdc "$BULK"
}
ktap_test_result "data_areas_identical_and_b_verifies" identical

repl_down
check_dmesg
ktap_finished
