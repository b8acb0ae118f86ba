#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=330 disks=64M,64M
#
# Write ordering: the secondary only ever holds a state the primary could
# have held. tests/seqwriter writes a chain of dependent 4 KiB blocks
# (each issued after the previous one completed, an fdatasync every 16)
# round-robin over 256 slots of the primary's device; at a random moment
# the link is cut (veth down, or netem dropping everything), and then the
# secondary's disk must hold a prefix of that history. In sync mode the
# prefix also holds every write that had completed before the cut. Each
# round starts afresh (down, create-md, up) and tags its blocks with its
# own run number, so blocks of earlier rounds count as "before the
# history".
. "${0%/*}/lib.sh"

ktap_print_header
ktap_set_plan 4

NBLOCKS=256
ROUNDS=${ROUNDS:-10}
SW=/tests/bin/seqwriter
[ -x $SW ] || die "$SW missing"

load_module
two_ns_setup

# rand_between MIN MAX: a random integer from MIN to MAX
rand_between() {
	_r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	echo $(($1 + _r % ($2 - $1 + 1)))
}
# sleep_ms MS
sleep_ms() { sleep "$(awk -v m="$1" 'BEGIN { printf "%.3f", m / 1000 }')"; }

BAD_PREFIX_SYNC=0
BAD_PREFIX_ASYNC=0
LOST_SYNC=0
BAD_WRITER=0

# round MODE RUN: one history on the primary, cut off at a random moment
round() {
	mode=$1 run=$2
	method=link
	[ $((run % 2)) -eq 0 ] && method=netem
	repl_setup "$mode" Timeout=2s
	# async: a slow link, so that the secondary lags behind
	[ "$mode" = async ] && tc -n nsa qdisc add dev veth-a root netem delay 10ms
	: >/tmp/sw.out
	$SW write /dev/mapper/r0a $NBLOCKS "$run" 16 >/tmp/sw.out 2>&1 &
	sw=$!
	sleep_ms "$(rand_between 800 2500)"
	kill -USR1 $sw
	if ! wait_for 'grep -q "^mark" /tmp/sw.out' 10; then
		sed 's/^/# writer: /' /tmp/sw.out
		die "round $run: the writer did not answer SIGUSR1 within 10 s"
	fi
	mark=$(sed -n 's/^mark //p' /tmp/sw.out | head -n 1)
	conn=$(repl_peer nsa connection)
	case $method in
	link) ip -n nsa link set veth-a down ;;
	netem)
		tc -n nsa qdisc replace dev veth-a root netem loss 100%
		tc -n nsb qdisc replace dev veth-b root netem loss 100%
		;;
	esac
	sleep_ms "$(rand_between 300 1500)"
	kill -TERM $sw
	# a sync writer waits for the peer's timeout (2 s) at most
	if ! wait_for 'grep -q "^last" /tmp/sw.out' 15; then
		repl_dump nsa
		die "round $run: the writer still waits 15 s after the cut"
	fi
	wait $sw
	swrc=$?
	last=$(sed -n 's/^last //p' /tmp/sw.out)
	grep '^error' /tmp/sw.out | sed 's/^/# writer: /'
	[ $swrc -eq 0 ] || BAD_WRITER=$((BAD_WRITER + 1))
	sleep 1 # what the secondary received reaches its disk
	min=-1
	[ "$mode" = sync ] && min=$mark
	$SW check /dev/vdc $NBLOCKS "$run" -1 "$last" >/tmp/check.out 2>&1
	crc=$?
	s=$(sed -n 's/^prefix \(-*[0-9]*\) .*/\1/p' /tmp/check.out)
	log "round $run ($mode, cut by $method): mark $mark ($conn), last $last, secondary at ${s:-?}, writer exit $swrc, check exit $crc"
	if [ $crc -ne 0 ]; then
		sed 's/^/#   /' /tmp/check.out
		if [ "$mode" = sync ]; then
			BAD_PREFIX_SYNC=$((BAD_PREFIX_SYNC + 1))
		else
			BAD_PREFIX_ASYNC=$((BAD_PREFIX_ASYNC + 1))
		fi
	elif [ "$(repl_num "$s")" -lt "$min" ]; then
		log "  lost: write $mark had completed before the cut, the secondary stops at $s"
		LOST_SYNC=$((LOST_SYNC + 1))
	fi
	repl_down || die "round $run: down failed"
	tc -n nsa qdisc del dev veth-a root 2>/dev/null
	tc -n nsb qdisc del dev veth-b root 2>/dev/null
	ip -n nsa link set veth-a up
}

i=1
while [ $i -le "$ROUNDS" ]; do
	round sync $i
	i=$((i + 1))
done
while [ $i -le $((2 * ROUNDS)) ]; do
	round async $i
	i=$((i + 1))
done

ktap_test_result "sync_secondary_holds_a_prefix" [ $BAD_PREFIX_SYNC -eq 0 ]
ktap_test_result "sync_completed_writes_reached_the_secondary" [ $LOST_SYNC -eq 0 ]
ktap_test_result "async_secondary_holds_a_prefix" [ $BAD_PREFIX_ASYNC -eq 0 ]
ktap_test_result "writer_never_failed" [ $BAD_WRITER -eq 0 ]

check_dmesg
ktap_finished
