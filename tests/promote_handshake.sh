#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=240 disks=64M,64M
#
# A promotion while the connection's handshake is under way: node A's
# handshake sent its ids as a secondary, then A became primary (a new
# current id, the old one as bitmap id for B) before the connection was
# installed. Both nodes must end in sync, with what A wrote meanwhile on
# B's disk. (Before the fix, A's GENS with the new ids found no connection
# to go on, A decided to be B's sync source while B, which had only seen
# the handshake, decided there was nothing to do: A waited as SyncSource
# for a BITMAP that never came, and its writes stayed out of sync.)
#
# The data segments (TCP PSH) of both directions are delayed by 1 s, the
# SYN and ACKs are not (the connect has a 1 s timeout), so the handshake's
# four exchanges take about 4 s from the TCP connection on, and A's GENS
# goes out about 3 s in: the promotion is timed for 3.4 s.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"

ktap_print_header
ktap_set_plan 4

load_module
two_ns_setup
for m in sch_prio cls_u32; do
	modprobe $m || die "modprobe $m failed"
done
repl_conf nsa sync Timeout=30s
repl_conf nsb sync Timeout=30s
for ns in nsa nsb; do
	repl_ctl $ns create-md --uuid "$REPL_UUID" --skip-initial-sync --force r0 >/dev/null ||
		die "$ns: create-md failed"
done
SECTORS=$(repl_ctl nsa dump-md --json r0 | jq -r .data_sectors)

# delay_data NS DEV: TCP segments with PSH leave DEV 1 s late, the rest at once
delay_data() {
	tc -n "$1" qdisc add dev "$2" root handle 1: prio bands 3 \
		priomap 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 &&
		tc -n "$1" qdisc add dev "$2" parent 1:3 handle 30: netem delay 1s &&
		tc -n "$1" filter add dev "$2" parent 1: protocol ip prio 1 u32 \
			match ip protocol 6 0xff match u8 0x08 0x08 at 33 flowid 1:3
}

# established NS: NS has an established TCP connection to port 7789
established() {
	ip netns exec "$1" cat /proc/net/tcp | awk '$4 == "01" && $3 ~ /:1E6D$/ { f = 1 } END { exit !f }'
}

run repl_ctl nsb up r0 || die "nsb: up failed"
delay_data nsa veth-a || die "nsa: tc cannot delay the data segments"
delay_data nsb veth-b || die "nsb: tc cannot delay the data segments"
# A has the lower node id: it dials B as soon as it is up
run repl_ctl nsa up r0 || die "nsa: up failed"
wait_for "established nsa" 10 || { repl_dump nsa nsb; die "no TCP connection within 10 s"; }
sleep 3.4
promoted_in_handshake() {
	[ "$(repl_status nsa connection)" = Connecting ] || {
		log "A's connection was installed before the promotion: $(repl_status nsa connection)"
		return 1
	}
	run repl_ctl nsa primary r0
}
ktap_test_result "promoted_during_the_handshake" promoted_in_handshake

# written right away: the first of them may reach only A's bitmap
dd if=/dev/urandom of=/tmp/data bs=64k count=64 2>/dev/null
dd if=/tmp/data of=/dev/mapper/r0a bs=64k seek=128 oflag=direct 2>/dev/null ||
	die "the write on the new primary failed"

# the rest at full speed, once the connection is installed (or given up)
wait_for '[ "$(repl_status nsa connection)" != Connecting ]' 10 || true
for ns in nsa nsb; do
	tc -n $ns qdisc del dev "veth-${ns#ns}" root || die "$ns: cannot remove the delay"
done
if dmesg | grep -q 'changed during the handshake'; then
	log "A's ids changed during the handshake: it reconnected"
else
	log "no reconnect: the promotion landed outside A's GENS-to-install window"
fi

ktap_test_result "both_in_sync" repl_wait_synced 60
ktap_test_result "same_data_on_both_disks" repl_same_data "$SECTORS"
on_b() {
	dd if=/dev/vdc bs=64k skip=128 count=64 iflag=direct 2>/dev/null | cmp -s - /tmp/data
}
ktap_test_result "the_new_primary_writes_on_the_peer" on_b

repl_down || log "down failed"
check_dmesg
ktap_finished
