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
# goes out about 3 s in: the promotion is timed for 2.9 s after the TCP
# connection is seen (then 2.6 and 3.2 s if it missed; with three misses
# the case is skipped). Then the same for a demotion, which keeps the
# decision (the peer must be told; anywhere between our STATE, about 2 s
# in, and the install: 2.6, 2.2, 3.0 s).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"

ktap_print_header
ktap_set_plan 6

load_module
two_ns_setup
for m in sch_prio cls_u32; do
	modprobe $m || die "modprobe $m failed"
done
repl_conf nsa sync Timeout=30s
repl_conf nsb sync Timeout=30s

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

# delay_both: both directions' data segments 1 s late
delay_both() {
	delay_data nsa veth-a || die "nsa: tc cannot delay the data segments"
	delay_data nsb veth-b || die "nsb: tc cannot delay the data segments"
}

# during_handshake DELAY WHAT CMD...: DELAY s after A's TCP connection to B
# run CMD (WHAT names it); then wait until the connection is installed or
# refused, and lift the delay
during_handshake() {
	_dh_delay=$1 _dh_what=$2
	shift 2
	# A has the lower node id: it dials B (within its back-off, <= 5 s)
	wait_for "established nsa" 15 || { repl_dump nsa nsb; die "no TCP connection within 15 s"; }
	sleep "$_dh_delay"
	log "A's connection before the $_dh_what: $(repl_status nsa connection)"
	"$@" || die "the $_dh_what failed"
	wait_for '[ "$(repl_status nsa connection)" != Connecting ]' 10 || true
	for ns in nsa nsb; do
		tc -n $ns qdisc del dev "veth-${ns#ns}" root || die "$ns: cannot remove the delay"
	done
}

# promote_and_write: A primary, and 4 MiB written on it at once (4
# requests of 1 MiB: seconds even if they wait for a slow peer); the
# first of them may reach only A's bitmap
promote_and_write() {
	run repl_ctl nsa primary r0 || return 1
	dd if=/tmp/data of=/dev/mapper/r0a bs=1M seek=8 oflag=direct 2>/dev/null
}

# attempt DELAY: fresh metadata on both, B up, A up and promoted DELAY s
# after its TCP connection, 4 MiB written on A at once; 0 if the promotion
# landed inside the handshake (A's kernel logged that its ids changed)
attempt() {
	repl_down >/dev/null 2>&1
	for ns in nsa nsb; do
		tc -n $ns qdisc del dev "veth-${ns#ns}" root 2>/dev/null
		repl_ctl $ns create-md --uuid "$REPL_UUID" --skip-initial-sync --force r0 >/dev/null ||
			die "$ns: create-md failed"
	done
	SECTORS=$(repl_ctl nsa dump-md --json r0 | jq -r .data_sectors)
	_seen=$(dmesg | grep -c 'our ids or role changed during the handshake')
	run repl_ctl nsb up r0 || die "nsb: up failed"
	delay_both
	run repl_ctl nsa up r0 || die "nsa: up failed"
	during_handshake "$1" promotion promote_and_write
	[ "$(dmesg | grep -c 'our ids or role changed during the handshake')" -gt "$_seen" ]
}

# in_handshake NAME VERB ATTEMPT DELAY...: ATTEMPT at each DELAY until one
# lands inside the handshake (NAME passes) or none did (NAME is skipped);
# after a miss both nodes must get in sync with the same data
in_handshake() {
	_ih_name=$1 _ih_verb=$2 _ih_fn=$3
	shift 3
	for _ih_delay; do
		if "$_ih_fn" "$_ih_delay"; then
			log "$_ih_verb $_ih_delay s after the TCP connection: inside the handshake"
			ktap_test_pass "$_ih_name"
			return
		fi
		log "$_ih_verb $_ih_delay s after the TCP connection: outside the handshake; again"
		if ! repl_wait_synced 60 || ! repl_same_data "$SECTORS"; then
			die "not in sync after the $_ih_verb outside the handshake"
		fi
	done
	ktap_test_skip "$_ih_name" "$# attempts missed the handshake (slow host?)"
}

dd if=/dev/urandom of=/tmp/data bs=1M count=4 2>/dev/null
# A's GENS goes out about 3 s after the TCP connection, the install about
# 1 s later: aim at the middle, then either side of it
in_handshake promoted_during_the_handshake promoted attempt 2.9 2.6 3.2
ktap_test_result "both_in_sync" repl_wait_synced 60
ktap_test_result "same_data_on_both_disks" repl_same_data "$SECTORS"
on_b() {
	dd if=/dev/vdc bs=1M skip=8 count=4 iflag=direct 2>/dev/null | cmp -s - /tmp/data
}
ktap_test_result "the_new_primary_writes_on_the_peer" on_b

# Case 2: a demotion during the handshake. It keeps the decision (A is
# B's sync source either way), so the connection is installed, and B must
# learn A's new role: else it refuses to be promoted ("peer is primary").
# attempt_demote DELAY: B down and up again, A demoted DELAY s after its
# TCP connection; 0 if that landed inside the handshake
attempt_demote() {
	if [ "$(repl_status nsa role)" != Primary ]; then
		run repl_ctl nsb secondary r0 >/dev/null 2>&1
		run repl_ctl nsa primary r0 || die "nsa: primary failed"
	fi
	run repl_ctl nsb down r0 || die "nsb: down failed"
	dd if=/tmp/data of=/dev/mapper/r0a bs=1M seek=16 oflag=direct 2>/dev/null ||
		die "the write on A failed"
	_seen=$(dmesg | grep -c 'sending them again')
	delay_both
	run repl_ctl nsb up r0 || die "nsb: up failed"
	during_handshake "$1" demotion run repl_ctl nsa secondary r0
	[ "$(dmesg | grep -c 'sending them again')" -gt "$_seen" ]
}

in_handshake demoted_during_the_handshake demoted attempt_demote 2.6 2.2 3.0
b_takes_over() {
	repl_wait_synced 60 || return 1
	wait_for '[ "$(repl_peer nsb role)" = Secondary ]' 5 || {
		log "B still sees A as $(repl_peer nsb role)"
		return 1
	}
	run repl_ctl nsb primary r0
}
ktap_test_result "the_peer_sees_the_demotion_and_takes_over" b_takes_over

repl_down || log "down failed"
check_dmesg
ktap_finished
