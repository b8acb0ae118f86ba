#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=2 timeout=420 disks=64M,192M,192M mem=1024 smp=2
#
# Where a replicated 4 KiB qd1 write's time goes (scripts/bench-trace.sh;
# scripts/bench-profile.sh for a perf profile instead, bench_profile=1):
# one system (kernel command line bench_trace=harepl-sync, the default, or
# drbd-C, or any system of tests/bench/bench-lib.sh) is set up as in
# `make bench`, then node 0 runs 3 s of fio randwrite 4k qd1 while both
# nodes record block, net and scheduler trace events; each node saves its
# trace (node<N>-results/trace.txt) and the host pairs the events up.
. "${0%/*}/../lib.sh"
. "${0%/*}/bench-lib.sh"
# shellcheck disable=SC2034 # read by bench-lib.sh
BENCH_MODE=quick
bench_settings
SYS=harepl-sync
RW="--rw=randwrite"
QD=1
for _a in $(cat /proc/cmdline); do
	case $_a in
	bench_trace=*) SYS=${_a#*=} ;;
	# bench_trace_rw=sync: 4 KiB appends each followed by fdatasync
	bench_trace_rw=sync) RW="--rw=write --fdatasync=1" ;;
	# bench_trace_qd=N: N writes in flight instead of 1
	bench_trace_qd=*) QD=${_a#*=} ;;
	# bench_trace_rate=N: at most N writes per second (1: next to idle)
	bench_trace_rate=*) RW="$RW --rate_iops=${_a#*=}" ;;
	# bench_profile=1: a perf profile of both nodes instead of a trace
	bench_profile=1) PROFILE=1 ;;
	# bench_hostcpu=1: neither; the host measures its qemu threads' CPU
	# between the markers (scripts/bench-hostcpu.py)
	bench_hostcpu=1) HOSTCPU=1 ;;
	esac
done

T=/sys/kernel/tracing
[ -e $T/trace ] || T=/sys/kernel/debug/tracing
trace_setup() {
	[ -e $T/trace ] || mount -t tracefs tracefs $T 2>/dev/null || die "no tracefs"
	echo 0 >$T/tracing_on
	echo 16384 >$T/buffer_size_kb
	for _e in block/block_bio_queue block/block_bio_complete block/block_rq_issue \
		block/block_rq_complete net/net_dev_xmit net/netif_receive_skb \
		sched/sched_wakeup sched/sched_switch; do
		echo 1 >$T/events/$_e/enable || die "cannot enable $_e"
	done
}

ktap_print_header
ktap_set_plan 1
wait_for "ping -c 1 -W 1 $PEER_IP >/dev/null 2>&1" 60 || die "peer unreachable"
[ "${PROFILE:-0}" = 1 ] || [ "${HOSTCPU:-0}" = 1 ] || trace_setup
if [ "$ME" = 1 ]; then
	peer_main
	ktap_finished
fi

ip link set eth0 mtu "$MTU" || die "cannot set MTU $MTU"
mkdir -p "$RES_DIR/fio"
: >"$RES_DIR/results.csv"
modprobe harepl
modprobe drbd
precondition /dev/vdb /dev/vdc /dev/vdd
wait_for "rpc 10 hello >/dev/null 2>&1" 300 || die "node 1 never answered"
DEV=$(setup_system "$SYS") || die "$SYS: setup failed"
RUNTIME=3
if [ "${PROFILE:-0}" = 1 ]; then
	RUNTIME=10
	rpc 30 profile on >/dev/null || die "node 1 cannot profile (perf not packed?)"
	profile_start /tmp || die "cannot profile (perf not packed?)"
	hareplctl status --json >/tmp/status-before.json 2>/dev/null || :
elif [ "${HOSTCPU:-0}" = 1 ]; then
	RUNTIME=10
	hareplctl status --json >/tmp/status-before.json 2>/dev/null || :
	rpc 10 counters on >/dev/null || die "node 1 cannot read its counters"
	cat /proc/net/dev /proc/interrupts /proc/stat >/tmp/counters-before.txt
	log "hostcpu: start"
else
	# node 1 records from now on, we from the first write on
	rpc 10 trace on >/dev/null || die "node 1 cannot trace"
	sleep 1
	: >$T/trace
	echo 1 >$T/tracing_on
fi
# shellcheck disable=SC2086 # $RW is two words
fio --name=trace --filename="$DEV" --ioengine=libaio --direct=1 $RW --bs=4k \
	--iodepth="$QD" --offset=0 --size="${REGION_MB}M" --time_based --runtime=$RUNTIME \
	--output-format=json --output=/tmp/trace-fio.json >/dev/null 2>&1
if [ "${PROFILE:-0}" = 1 ]; then
	hareplctl status --json >/tmp/status-after.json 2>/dev/null || :
	profile_stop /tmp || die "perf report failed"
	rpc 300 profile off >/dev/null || die "node 1: perf report failed"
elif [ "${HOSTCPU:-0}" = 1 ]; then
	log "hostcpu: end"
	cat /proc/net/dev /proc/interrupts /proc/stat >/tmp/counters-after.txt
	rpc 10 counters off >/dev/null || die "node 1 cannot read its counters"
	hareplctl status --json >/tmp/status-after.json 2>/dev/null || :
else
	echo 0 >$T/tracing_on
	rpc 10 trace off >/dev/null
fi
log "$SYS: fio p50 $(fio_json /tmp/trace-fio.json '.jobs[0].write.clat_ns.percentile["50.000000"]') ns"
log "devices: $DEV $(stat -L -c '%t:%T' "$DEV") vdc $(stat -L -c '%t:%T' /dev/vdc) vdd $(stat -L -c '%t:%T' /dev/vdd)"
teardown_system "$SYS"
rpc 30 quit >/dev/null
cp /tmp/trace-fio.json /tmp/fio.json
if [ "${PROFILE:-0}" = 1 ]; then
	(cd /tmp && save_results profile*.txt fio.json status-*.json counters-*.txt)
elif [ "${HOSTCPU:-0}" = 1 ]; then
	(cd /tmp && save_results fio.json status-*.json counters-*.txt)
else
	cp $T/trace /tmp/trace.txt
	(cd /tmp && save_results trace.txt fio.json)
fi
ktap_test_pass "traced_$SYS"
ktap_finished
