#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=180 disks=64M,64M
#
# A peer with the wrong secret is refused: both sides log "authentication
# failed" naming the other's address, neither gets past Connecting, not a
# byte of data goes to it (the primary's 1 MiB write stays home), the
# secret itself is never logged; with the right secret the pair connects.
. "${0%/*}/lib.sh"

ktap_print_header
ktap_set_plan 6

REPL_SECRET_A=s3cret-A7f
REPL_SECRET_B=wr0ng-B9q

load_module
two_ns_setup
repl_conf nsa sync Timeout=2s
repl_conf nsb sync Timeout=2s
for ns in nsa nsb; do
	repl_ctl $ns create-md --force r0 >/dev/null || die "$ns: create-md failed"
done
SECTORS=$(repl_ctl nsa dump-md --json r0 | jq -r .data_sectors)
kmsg_mark auth
for ns in nsa nsb; do
	run repl_ctl $ns up r0 || { repl_dump $ns; die "$ns: up failed"; }
done
run repl_ctl nsa primary --force r0 || die "primary --force failed"

# auth_line PEER-IP: a harepl: r0: line saying "authentication failed" that names PEER-IP
auth_line() {
	dmesg_since auth | grep 'harepl: r0: .*authentication failed' | grep -F "$1"
}

both_logged() {
	if ! wait_for 'auth_line 192.0.2.2 >/dev/null && auth_line 192.0.2.1 >/dev/null' 10; then
		dmesg_since auth | grep harepl | tail -n 10 | sed 's/^/# dmesg: /'
		return 1
	fi
	auth_line 192.0.2.2 | head -n 1 | sed 's/^/# A: /'
	auth_line 192.0.2.1 | head -n 1 | sed 's/^/# B: /'
}
ktap_test_result "both_sides_log_authentication_failed" both_logged

# never_connected NS: over 3 s, NS's peer is only ever Connecting or StandAlone
never_connected() {
	i=0
	while [ $i -lt 6 ]; do
		c=$(repl_peer "$1" connection)
		case $c in
		Connecting | StandAlone) ;;
		*) log "$1: peer is '$c'"; return 1 ;;
		esac
		[ "$(repl_status "$1" connection)" != Connected ] || return 1
		sleep 0.5
		i=$((i + 1))
	done
}
ktap_test_result "primary_not_connected" never_connected nsa
ktap_test_result "secondary_not_connected" never_connected nsb

no_data_sent() {
	s0=$(repl_num "$(repl_peer nsa bytes_sent)")
	dd if=/dev/urandom of=/dev/mapper/r0a bs=64k count=16 oflag=direct 2>/dev/null || return 1
	sync
	sleep 2
	s1=$(repl_num "$(repl_peer nsa bytes_sent)")
	log "A's bytes_sent: $s0 before the 1 MiB write, $s1 after"
	# handshake attempts only: HELLO and AUTH, a few hundred bytes each
	[ "$s0" -ge 0 ] && [ $((s1 - s0)) -lt 1024 ] && [ "$s1" -lt 65536 ]
}
ktap_test_result "no_data_sent" no_data_sent

untouched() {
	got=$(disk_md5 /dev/vdc "$SECTORS")
	want=$(zero_md5 "$SECTORS")
	log "vdc data area md5 $got, all zero $want"
	[ "$got" = "$want" ]
}
ktap_test_result "secondary_disk_untouched" untouched

secret_not_logged() {
	! dmesg | grep -e "$REPL_SECRET_A" -e "$REPL_SECRET_B"
}

right_secret_connects() {
	secret_not_logged || { log "a secret is in the kernel log"; return 1; }
	REPL_SECRET_B=$REPL_SECRET_A
	repl_conf nsb sync Timeout=2s
	run repl_ctl nsb disconnect r0 && run repl_ctl nsb connect r0 || return 1
	# connected (or resyncing): past the handshake
	wait_for 'c=$(repl_status nsa connection); [ -n "$c" ] && [ "$c" != Connecting ] &&
		[ "$c" != StandAlone ] && [ "$c" != null ]' 20 || { repl_dump nsa nsb; return 1; }
	repl_dump nsa
}
ktap_test_result "secret_not_logged_and_right_secret_connects" right_secret_connects

repl_down
check_dmesg
ktap_finished
