#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=420 disks=64M,64M
#
# A hostile peer: tests/hostile_peer connects to node A from the peer's
# address more than 10,000 times, each time with one kind of bad input
# (wrong magic, checksum, type, flags or length, truncated packets, random
# bytes, bad HELLOs, a wake-up from a node A does not dial, a wrong AUTH,
# packets before the handshake; after a
# good handshake: two primaries, a STATE too small, requests to a primary,
# unknown ACKs; against a secondary: requests beyond the device or over
# 1 MiB, overflowing sectors, bad lengths and sizes). A must close every
# such connection, log why, never oops, never write to its disk; afterwards
# it still serves I/O and connects to a real peer.
#
# A is node 1 and the tool claims to be node 0: the lower id, whose
# connection is the one that survives, so A must handshake with it.
. "${0%/*}/lib.sh"

ktap_print_header
ktap_set_plan 10

HP=/tests/bin/hostile_peer
N1=${N1:-450}	# connections per category against the primary (21 categories)
N2=${N2:-150}	# against the secondary (9 categories)
[ -x $HP ] || die "$HP missing"
$HP -T >/dev/null || die "hostile_peer's crc32c/SHA-256/HMAC self-test failed"

load_module
two_ns_setup
mkdir -p /etc/harepl
cat >/etc/harepl/r0-a.conf <<EOF
[Resource]
Name = r0
Device = r0a
Disk = /dev/vdb
MetaDisk = internal
NodeId = 1
Address = 192.0.2.1:7789
Secret = s3cret
Mode = sync

[Peer]
NodeId = 0
Address = 192.0.2.2:7789
Timeout = 10s
EOF
chmod 600 /etc/harepl/r0-a.conf
repl_ctl nsa create-md --force r0 >/dev/null || die "create-md failed"
run repl_ctl nsa up r0 || die "up failed"
run repl_ctl nsa primary --force r0 || die "primary --force failed"
SECTORS=$(repl_ctl nsa dump-md --json r0 | jq -r .data_sectors)
SB=$(repl_ctl nsa dump-md --json r0 | jq -r .sb_sector)
log "A: $SECTORS data sectors, superblock at $SB"
dd if=/dev/urandom of=/dev/mapper/r0a bs=1M count=4 oflag=direct 2>/dev/null || die "write failed"
MD5_BEFORE=$(disk_md5 /dev/vdb "$SECTORS")

# hp N CATEGORY...: run the tool from nsb against A, N connections per category
hp() {
	_n=$1
	shift
	ip netns exec nsb $HP -n "$_n" -s s3cret -r r0 -i 0 -p 1 -S "$SECTORS" -M "$SB" \
		-t 3000 -d 200 192.0.2.1:7789 "$@"
}

# The reason each category's refusal should name (extended regex, any case)
reason() {
	case $1 in
	bad_magic | random | hello_then_garbage) echo 'magic|checksum' ;;
	bad_csum) echo 'checksum' ;;
	unknown_type) echo 'type' ;;
	bad_flags) echo 'flag|reserved' ;;
	oversize_length | data_oversize) echo 'too large|length' ;;
	short_length) echo 'length|size|short|truncated|unexpected' ;;
	data_before_handshake | hello_then_data) echo 'unexpected|handshake' ;;
	truncated) echo '' ;;
	hello_bad_version) echo 'version' ;;
	hello_wrong_resource) echo 'resource' ;;
	hello_bad_node) echo 'node' ;;
	hello_wake) echo 'wake-up from a peer that should connect itself' ;;
	bad_auth) echo 'authentication failed' ;;
	two_primaries) echo 'primary|primaries' ;;
	state_small) echo 'small|size' ;;
	bad_state) echo 'state|role|disk' ;;
	data_to_primary) echo 'primary|unexpected' ;;
	ack_bogus) echo 'ack|unknown|unexpected' ;;
	data_beyond | discard_beyond) echo 'beyond the device' ;;
	data_overflow | zeroes_overflow) echo 'beyond the device|overflow' ;;
	data_len_mismatch | discard_with_payload) echo 'length|payload|match' ;;
	data_misaligned) echo 'align|size|empty' ;;
	discard_oversize) echo 'larger than a packet' ;;
	flush_with_payload) echo 'flush|length|payload|too large' ;;
	*) echo "no reason known for $1" ;;
	esac
}

# logged_pass GROUP: one connection of each category of GROUP, paced so
# that a rate limit of 10 messages in 5 s lets all through; each must be
# closed and its reason logged
logged_pass() {
	_bad=
	for c in $($HP -l | awk -v g="$1" '$2 == g || (g == "primary" && $2 == "pre") { print $1 }'); do
		kmsg_mark "$c"
		if ! hp 1 "$c" >/tmp/one.out 2>&1; then
			sed "s/^/# $c: /" /tmp/one.out | grep -v ' 1 closed'
			_bad="$_bad $c(open)"
			continue
		fi
		r=$(reason "$c")
		if [ -n "$r" ] && ! wait_for "dmesg_since $c | grep -Eiq 'harepl: r0: .*($r)'" 3; then
			dmesg_since "$c" | grep 'harepl' | tail -n 2 | sed "s/^/# $c: dmesg: /"
			_bad="$_bad $c(log)"
		fi
		sleep 0.6
	done
	[ -z "$_bad" ] || { log "failed:$_bad"; return 1; }
	dmesg | grep -Ei 'harepl: r0: .*(magic|checksum|unexpected|too large|length)' |
		tail -n 3 | sed 's/^/# dmesg: /'
}

TOTAL=0
# bulk N GROUP: N connections of each category of GROUP, all must be closed
bulk() {
	t0=$(awk '{ printf "%d", $1 }' /proc/uptime)
	hp "$1" "$2" >/tmp/bulk.out 2>&1
	rc=$?
	sed 's/^/# /' /tmp/bulk.out
	n=$(sed -n 's/^total: \([0-9]*\) connections.*/\1/p' /tmp/bulk.out)
	TOTAL=$((TOTAL + $(repl_num "$n")))
	log "$n connections in $(($(awk '{ printf "%d", $1 }' /proc/uptime) - t0)) s, exit $rc"
	check_dmesg
	[ $rc -eq 0 ] && [ "$(repl_status nsa role)" = "$3" ]
}

ktap_test_result "primary_logs_each_refusal" logged_pass primary
ktap_test_result "primary_closes_every_hostile_connection" bulk "$N1" primary Primary

silent() {
	# a connection that never says a word is dropped (handshake timeout)
	hp 1 silent >/tmp/silent.out 2>&1
	rc=$?
	sed 's/^/# /' /tmp/silent.out
	[ $rc -eq 0 ]
}
ktap_test_result "silent_connection_dropped" silent

run repl_ctl nsa secondary r0 || die "secondary failed"
sleep 6 # a new rate-limit window
ktap_test_result "secondary_logs_each_refusal" logged_pass secondary
ktap_test_result "secondary_closes_every_hostile_connection" bulk "$N2" secondary Secondary

ten_thousand() {
	log "$TOTAL hostile connections in the bulk runs"
	[ "$TOTAL" -ge 10000 ]
}
ktap_test_result "at_least_10000_connections" ten_thousand

unchanged() {
	after=$(disk_md5 /dev/vdb "$SECTORS")
	log "data area md5 before $MD5_BEFORE, after $after"
	[ "$after" = "$MD5_BEFORE" ] || return 1
	# the superblock (a request beyond the device aimed at it) is intact
	repl_ctl nsa dump-md --json r0 >/tmp/md.json || return 1
	[ "$(jq -r .data_sectors /tmp/md.json)" = "$SECTORS" ] &&
		[ "$(jq -r .sb_sector /tmp/md.json)" = "$SB" ]
}
ktap_test_result "data_and_superblock_unchanged" unchanged

still_works() {
	run repl_ctl nsa primary r0 || return 1
	[ "$(repl_status nsa role)" = Primary ] && [ "$(repl_status nsa disk)" = UpToDate ] || return 1
	fio --name=after --filename=/dev/mapper/r0a --ioengine=libaio --direct=1 --iodepth=8 \
		--bsrange=4k-64k --rw=randwrite --offset=8M --size=16M --verify=crc32c \
		--verify_fatal=1 --do_verify=1 >/tmp/fio.out 2>&1 || { sed 's/^/# /' /tmp/fio.out; return 1; }
}
ktap_test_result "primary_still_serves_io" still_works

real_peer() {
	# a real node 0 on B connects after all this
	cat >/etc/harepl/r0-b.conf <<EOF
[Resource]
Name = r0
Device = r0b
Disk = /dev/vdc
MetaDisk = internal
NodeId = 0
Address = 192.0.2.2:7789
Secret = s3cret
Mode = sync

[Peer]
NodeId = 1
Address = 192.0.2.1:7789
EOF
	chmod 600 /etc/harepl/r0-b.conf
	repl_ctl nsb create-md --force r0 >/dev/null || return 1
	run repl_ctl nsb up r0 || return 1
	wait_for '[ "$(repl_status nsa connection)" = Connected ] &&
		[ "$(repl_status nsb connection)" = Connected ]' 20 || { repl_dump nsa nsb; return 1; }
}
ktap_test_result "real_peer_connects_afterwards" real_peer

no_oops() {
	check_dmesg
	dmesg | grep -c 'harepl: r0: ' | sed 's/^/# harepl: r0: lines in the kernel log: /'
}
ktap_test_result "no_kernel_warnings" no_oops

repl_down
check_dmesg
ktap_finished
