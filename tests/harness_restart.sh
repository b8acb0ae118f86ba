#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=2 timeout=300 disks=64M
#
# Proves kill-restart (vm_kill_restart in tests/lib.sh): two rounds of
#   node0 writes round R's pattern to the first 2 MiB of /dev/vdb, flushes it,
#   tells node1 "synced R MD5" (port 9000) and rewrites another region of vdb
#   in a loop; node1 waits 1-3 s and asks the runner to kill node0's qemu
#   (SIGKILL) and boot it again; node0 comes back in boot R+1, checks that
#   vdb still holds round R's pattern, pings node1 and tells it
#   "back node0 boot<R+1> MD5" (port 9100); node1 checks the MD5 and pings
#   node0.
# node0's boots 1 and 2 are killed, so their KTAP results are lost: node1
# reports each round, node0's boot 3 reports the last one again; then node1
# tells node0 "done" (port 9200) so neither stops before the other pinged.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"

ROUNDS=2
SECTORS=4096 # the pattern: 2 MiB at the start of vdb
PEER_IP=192.0.2.$((2 - HAREPL_NODE))

# pattern ROUND: the 2 MiB node0 writes in round ROUND (64-byte lines, each different)
pattern() {
	awk -v r="$1" 'BEGIN {
		for (i = 0; i < 32768; i++)
			printf "%-63s\n", sprintf("harepl-restart round %d line %d", r, i)
	}'
}

# rtt: log the ping round trip to the other VM
rtt() { log "rtt to $PEER_IP: $(ping -c 10 -i 0.2 "$PEER_IP" 2>&1 | tail -n 1)"; }

ktap_print_header
BOOT=$(vm_boot)

if [ "$HAREPL_NODE" = 0 ]; then
	if [ "$BOOT" -eq 1 ]; then
		ktap_set_plan 1
	elif [ "$BOOT" -le "$ROUNDS" ]; then
		ktap_set_plan 3
	else
		ktap_set_plan 2
	fi
	log "node0: boot $BOOT"

	if [ "$BOOT" -gt 1 ]; then
		R=$((BOOT - 1))
		want=$(pattern $R | md5sum | cut -d' ' -f1)
		got=$(disk_md5 /dev/vdb $SECTORS)
		log "round $R: vdb's first $SECTORS sectors: md5 $got, want $want"
		ktap_test_result "boot${BOOT}_holds_round${R}_pattern" [ "$got" = "$want" ]
		ktap_test_result "boot${BOOT}_ping_node1" vm_peer_up 60
		vm_back 9100 "$got" || die "node1 did not listen on port 9100"
	fi

	if [ "$BOOT" -le "$ROUNDS" ]; then
		pattern "$BOOT" >/tmp/pattern
		written() {
			dd if=/tmp/pattern of=/dev/vdb bs=65536 oflag=direct conv=fsync 2>/dev/null &&
				sync && [ "$(disk_md5 /dev/vdb "$SECTORS")" = "$(md5sum </tmp/pattern | cut -d' ' -f1)" ]
		}
		ktap_test_result "round${BOOT}_pattern_written_and_flushed" written
		vm_tell 9000 "synced $BOOT $(disk_md5 /dev/vdb $SECTORS)" ||
			die "node1 did not listen on port 9000"
		# busy until the runner kills this VM: rewrite 4 MiB after the pattern
		end=$(($(cut -d. -f1 /proc/uptime) + 120))
		n=0
		while [ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ]; do
			dd if=/dev/zero of=/dev/vdb bs=65536 seek=64 count=64 oflag=direct 2>/dev/null
			n=$((n + 1))
			[ $((n % 10)) -ne 0 ] || log "busy: $n passes"
		done
		die "not killed within 120 s"
	fi

	# the last boot: wait until node1 is done with its checks
	msg=$(vm_hear 9200 120)
	log "node1: ${msg:-nothing}"
else
	ktap_set_plan $((4 * ROUNDS))
	vm_peer_up 60 || die "node0 unreachable"
	rtt
	R=1
	while [ "$R" -le "$ROUNDS" ]; do
		msg=$(vm_hear 9000 120)
		log "node0: ${msg:-nothing}"
		want=$(pattern $R | md5sum | cut -d' ' -f1)
		ktap_test_result "round${R}_node0_synced_pattern" [ "$msg" = "synced $R $want" ]
		# node0 is now in its write loop: kill it 1-3 s later
		sleep "$(awk 'BEGIN { srand(); printf "%.1f", 1 + 2 * rand() }')"
		vm_kill_restart 0
		t0=$(cut -d' ' -f1 /proc/uptime)
		back=0
		got=$(vm_wait_back 9100 0 $((R + 1)) 120) || back=1
		ktap_test_result "round${R}_node0_back_in_boot$((R + 1))" [ $back -eq 0 ]
		log "round $R: node0 back $(awk -v t="$t0" '{ printf "%.1f", $1 - t }' /proc/uptime)s after the request, md5 ${got:-?}"
		ktap_test_result "round${R}_flushed_data_survived" [ "$got" = "$want" ]
		ktap_test_result "round${R}_ping_node0" vm_peer_up 30
		rtt
		R=$((R + 1))
	done
	vm_tell 9200 "done" || log "node0 did not listen on port 9200"
fi

check_dmesg
ktap_finished
