#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest side of `make bench` (tests/bench/full.sh) and of its smoke
# test (tests/bench_quick.sh): two VMs, node 0 measures, node 1 is the peer.
# Sourced after tests/lib.sh; defines functions only, bench_main runs it all.
#
# Systems, each measured with the same fio workloads on node 0:
#   raw           node 0's /dev/vdb, no replication
#   harepl-sync   /dev/mapper/r0 on vdc, replicated synchronously to node 1
#   harepl-async  the same, Mode = async
#   drbd-C        DRBD 8.4 (in-kernel drbd, drbdsetup-84) protocol C on vdd
#   drbd-A        the same, protocol A
#   drbd-C-noflush, drbd-A-noflush (only when asked for, bench_systems=):
#                 the same with disk-flushes and md-flushes off, so that
#                 node 1 drains, but does not flush, at each epoch boundary
# plus the link alone (iperf3 TCP throughput, ping -A round-trip times,
# median of 50 at 56 and 4096 bytes) and node 1's raw disk (for the physical floor
# of a replicated write). Both nodes have the same three disks: vdb for the
# raw measurements, vdc for harepl, vdd for DRBD: replicated disks start
# identical on both nodes (neither system resyncs them here) and a wedged
# harepl cannot take DRBD down with it. The measured region of each is
# written once before anything is measured (the disk images are sparse
# files: a first write allocates on the host), and written again on both
# nodes after a system left them different.
#
# Order: rounds; each round measures the link, node 1's disk, then every
# system (set up, every workload once, check node 1 holds the same data,
# tear down). Rounds interleave the systems, so drift on a shared host hits
# them alike. Each fio runs under a deadline; a point that fails (fio
# error, timeout, the peer disconnected during the run) is recorded as an
# error and the run goes on.
#
# Node 0 drives node 1 over the link with busybox nc: node 1 serves
# "nc -ll -p 9000 -e /tests/bench/peer.sh"; each request is one line, the
# reply one line "ok [VALUES]" or "fail REASON".
#
# Output (node 0, save_results -> build/check/<test>/node0-results/):
#   results.csv   system,workload,metric,value,run  (metric "error": value
#                 is the reason; failures keep the point visible)
#   meta.txt      key=value: date, kernel, versions, MTU, sizes, settings
#   fio/          every fio JSON output; dmesg.txt
# Settings (kernel command line, as HAREPL_APPEND from scripts/bench.sh):
#   bench_mtu=N   eth0 MTU on both nodes (default 9000, see
#                 Documentation/performance.md: why not 1500)

ME=$HAREPL_NODE
PEER=$((1 - ME))
PEER_IP=192.0.2.$((PEER + 1))
MY_IP=192.0.2.$((ME + 1))
CTL_PORT=9000
RES_DIR=/tmp/bench
export PATH="$PATH:/usr/lib/drbd"

# --- settings per mode ----------------------------------------------------
bench_settings() {
	case ${BENCH_MODE:-full} in
	quick)
		RUNS=1 RUNTIME=3 RAMP=0 REGION_MB=64 PINGS=20 IPERF_S=2
		WORKLOADS="randwrite-4k-qd1 seqwrite-1m-qd8"
		PEER_RAW=0
		;;
	*)
		RUNS=3 RUNTIME=5 RAMP=1 REGION_MB=128 PINGS=50 IPERF_S=4
		WORKLOADS="seqwrite-1m-qd8 randwrite-4k-qd1 randwrite-4k-qd32 randrw70-4k-qd16 syncwrite-4k-qd1"
		PEER_RAW=1
		;;
	esac
	SYSTEMS="raw harepl-sync harepl-async drbd-C drbd-A"
	MTU=9000
	FIO_EXTRA=
	for _a in $(cat /proc/cmdline); do
		case $_a in
		bench_norandommap=1) FIO_EXTRA=--norandommap ;;
		bench_mtu=*) MTU=${_a#*=} ;;
		bench_runs=*) RUNS=${_a#*=} ;;
		bench_runtime=*) RUNTIME=${_a#*=} ;;
		bench_systems=*) SYSTEMS=$(echo "${_a#*=}" | tr , ' ') ;;
		bench_workloads=*) WORKLOADS=$(echo "${_a#*=}" | tr , ' ') ;;
		esac
	done
	REGION_SECTORS=$((REGION_MB * 2048))
}

# --- small helpers --------------------------------------------------------
now_s() {
	read -r _ns_up _ns_idle </proc/uptime
	echo "${_ns_up%.*}"
}

# run_bounded SECS CMD...: run CMD; 124 if it outlives SECS (it is killed;
# if it cannot die, in D state behind a stuck device, it is left behind)
run_bounded() {
	_rb_t=$1
	shift
	"$@" &
	_rb_pid=$!
	_rb_end=$(($(now_s) + _rb_t))
	while kill -0 "$_rb_pid" 2>/dev/null; do
		if [ "$(now_s)" -ge "$_rb_end" ]; then
			log "timeout after ${_rb_t}s: $*" >&2
			kill -TERM "$_rb_pid" 2>/dev/null
			sleep 2
			kill -KILL "$_rb_pid" 2>/dev/null
			return 124
		fi
		sleep 0.25
	done
	wait "$_rb_pid"
}

# median of the numbers on stdin (one a line)
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# csv SYSTEM WORKLOAD METRIC VALUE RUN
csv() { echo "$1,$2,$3,$4,$5" >>"$RES_DIR/results.csv"; }

# --- node 1 control (node 0 side) -------------------------------------------
# rpc TIMEOUT_S REQUEST...: send one request line to node 1, print its reply; 0 if it begins with "ok"
rpc() {
	_rpc_t=$1
	shift
	_rpc_r=$(printf '%s\n' "$*" | timeout "$_rpc_t" nc "$PEER_IP" "$CTL_PORT" 2>/dev/null)
	echo "$_rpc_r"
	case $_rpc_r in
	ok*) return 0 ;;
	*)
		log "node 1: '$*' -> '${_rpc_r:-no reply}'"
		return 1
		;;
	esac
}

# --- disks ----------------------------------------------------------------
# precondition DEV...: write the measured region of each device once
precondition() {
	for _pc in "$@"; do
		dd if=/dev/zero of="$_pc" bs=1M count="$REGION_MB" oflag=direct conv=fsync 2>/dev/null ||
			die "preconditioning $_pc failed"
	done
}

# region_md5 DEV: md5 of the measured region of DEV
region_md5() { disk_md5 "$1" "$REGION_SECTORS"; }

# --- harepl ---------------------------------------------------------------
harepl_conf() {
	vm_conf /dev/vdc bench "$1"
}

hfield() { hareplctl status --json r0 2>/dev/null | jq -r ".$1" 2>/dev/null; }

# harepl_up MODE: config, create-md, up (this node only)
harepl_up() {
	[ -d /sys/module/harepl ] || modprobe harepl || return 1
	harepl_conf "$1"
	run_bounded 60 hareplctl create-md --force r0 >/dev/null || return 1
	run_bounded 60 hareplctl up r0 || return 1
}

harepl_down() {
	[ -e /dev/mapper/r0 ] || return 0
	run_bounded 60 hareplctl down r0 >/dev/null
}

# hstate: "connection inflight bytes_sent oos_bytes" of the first peer, one status call
hstate() {
	hareplctl status --json r0 2>/dev/null |
		jq -r '.peers[0] | "\(.connection) \(.inflight) \(.bytes_sent) \(.oos_bytes)"' 2>/dev/null
}

# harepl_healthy: still connected, nothing out of sync
harepl_healthy() {
	# shellcheck disable=SC2046 # the four fields
	set -- $(hstate)
	[ "${1:-}" = Connected ] && [ "$(repl_num "${4:-}")" -eq 0 ]
}

# harepl_drained TIMEOUT_S: nothing in flight and bytes_sent steady
harepl_drained() {
	_hd_end=$(($(now_s) + $1))
	_hd_prev=-1
	while :; do
		# shellcheck disable=SC2046 # the four fields
		set -- $(hstate)
		[ "$(repl_num "${2:-}")" -eq 0 ] && [ "${3:-}" = "$_hd_prev" ] && return 0
		_hd_prev=${3:-}
		[ "$(now_s)" -lt "$_hd_end" ] || return 1
		sleep 0.3
	done
}

# --- DRBD 8.4 -------------------------------------------------------------
# drbd_up PROTOCOL [noflush]: metadata, resource, minor 0, attach vdd, connect (this node only)
drbd_up() {
	_du_opts=
	[ "${2:-}" != noflush ] || _du_opts="--disk-flushes=no --md-flushes=no"
	mkdir -p /var/lib/drbd /var/run/drbd /var/lock
	[ -e /proc/drbd ] || modprobe drbd || return 1
	run_bounded 60 drbdmeta --force 0 v08 /dev/vdd internal create-md </dev/null >/dev/null 2>&1 || return 1
	run_bounded 30 drbdsetup-84 new-resource r0 || return 1
	run_bounded 30 drbdsetup-84 new-minor r0 0 0 || return 1
	run_bounded 60 drbdsetup-84 attach 0 /dev/vdd /dev/vdd internal $_du_opts || return 1
	run_bounded 30 drbdsetup-84 connect r0 "ipv4:$MY_IP:7790" "ipv4:$PEER_IP:7790" \
		--protocol="$1" || return 1
}

drbd_down() {
	grep -q '^ *0:' /proc/drbd 2>/dev/null || return 0
	run_bounded 30 drbdsetup-84 secondary 0
	run_bounded 60 drbdsetup-84 down r0
}

# drbd_field NAME: NAME's value (cs, ds, ns, pe, oos, ...) for minor 0 in /proc/drbd
drbd_field() { tr ' ' '\n' </proc/drbd | sed -n "s/^$1://p" | head -n 1; }

drbd_healthy() {
	[ "$(drbd_field cs)" = Connected ] && [ "$(drbd_field ds)" = UpToDate/UpToDate ] &&
		[ "$(drbd_field oos)" = 0 ]
}

# drbd_drained TIMEOUT_S: nothing pending, unacked or local, and "ns" steady
drbd_drained() {
	_dd_end=$(($(now_s) + $1))
	_dd_prev=-1
	while :; do
		_dd=$(tr ' ' '\n' </proc/drbd | sed -n -E 's/^(ns|pe|ua|ap|lo):/\1 /p' | tr '\n' ' ')
		case " $_dd" in
		*" pe 0 ua 0 ap 0 "*) _dd_idle=1 ;;
		*) _dd_idle=0 ;;
		esac
		case " $_dd" in *" lo 0 "*) ;; *) _dd_idle=0 ;; esac
		_dd_ns=${_dd#ns }
		_dd_ns=${_dd_ns%% *}
		[ $_dd_idle = 1 ] && [ "$_dd_ns" = "$_dd_prev" ] && return 0
		_dd_prev=$_dd_ns
		[ "$(now_s)" -lt "$_dd_end" ] || return 1
		sleep 0.3
	done
}

# --- fio workloads ----------------------------------------------------------
# fio_args WORKLOAD: the workload's own options
fio_args() {
	case $1 in
	seqwrite-1m-qd8) echo "--rw=write --bs=1M --iodepth=8" ;;
	randwrite-4k-qd1) echo "--rw=randwrite --bs=4k --iodepth=1" ;;
	randwrite-4k-qd32) echo "--rw=randwrite --bs=4k --iodepth=32" ;;
	randrw70-4k-qd16) echo "--rw=randrw --rwmixread=70 --bs=4k --iodepth=16" ;;
	# a database's log: 4 KiB appends, each followed by fdatasync
	syncwrite-4k-qd1) echo "--rw=write --bs=4k --iodepth=1 --fdatasync=1" ;;
	*) return 1 ;;
	esac
}

# fio_metrics WORKLOAD JSON: "metric value" lines
fio_metrics() {
	_fm_j=$2
	_q() { fio_json "$_fm_j" "$1"; }
	case $1 in
	seqwrite-1m-qd8)
		echo "MBps $(_q '.jobs[0].write.bw_bytes / 1000000')"
		echo "p99_ms $(_q '.jobs[0].write.clat_ns.percentile["99.000000"] / 1000000')"
		;;
	randwrite-4k-qd1)
		echo "iops $(_q '.jobs[0].write.iops')"
		echo "p50_us $(_q '.jobs[0].write.clat_ns.percentile["50.000000"] / 1000')"
		echo "p99_us $(_q '.jobs[0].write.clat_ns.percentile["99.000000"] / 1000')"
		;;
	randwrite-4k-qd32)
		echo "iops $(_q '.jobs[0].write.iops')"
		echo "p99_us $(_q '.jobs[0].write.clat_ns.percentile["99.000000"] / 1000')"
		;;
	randrw70-4k-qd16)
		echo "iops $(_q '.jobs[0].read.iops + .jobs[0].write.iops')"
		echo "read_p50_us $(_q '.jobs[0].read.clat_ns.percentile["50.000000"] / 1000')"
		echo "write_p50_us $(_q '.jobs[0].write.clat_ns.percentile["50.000000"] / 1000')"
		;;
	syncwrite-4k-qd1)
		echo "iops $(_q '.jobs[0].write.iops')"
		echo "fdatasync_p50_us $(_q '.jobs[0].sync.lat_ns.percentile["50.000000"] / 1000')"
		;;
	esac
}

# fio_point SYSTEM WORKLOAD RUN DEV: run one point, record its metrics or its error; 1 if it failed
fio_point() {
	_fp_json=$RES_DIR/fio/$1.$2.$3.json
	_fp_err=$RES_DIR/fio/$1.$2.$3.err
	# shellcheck disable=SC2046 # the workload's options
	run_bounded $((RAMP + RUNTIME + 40)) fio --name="$2" --filename="$4" \
		--ioengine=libaio --direct=1 --offset=0 --size="${REGION_MB}M" \
		--time_based --runtime="$RUNTIME" --ramp_time="$RAMP" \
		--randrepeat=0 $FIO_EXTRA --group_reporting \
		$(fio_args "$2") --output-format=json --output="$_fp_json" >"$_fp_err" 2>&1
	_fp_rc=$?
	if [ $_fp_rc -eq 124 ]; then
		csv "$1" "$2" error timeout "$3"
		return 1
	fi
	_fp_e=$(fio_json "$_fp_json" '.jobs[0].error' 2>/dev/null)
	if [ $_fp_rc -ne 0 ] || [ "$_fp_e" != 0 ]; then
		sed 's/^/# fio: /' "$_fp_err" | tail -n 5
		csv "$1" "$2" error "fio-exit-$_fp_rc-error-${_fp_e:-none}" "$3"
		return 1
	fi
	fio_metrics "$2" "$_fp_json" >"$RES_DIR/point.txt"
	_fp_ok=0
	while read -r _fp_m _fp_v; do
		case $_fp_v in
		'' | null) _fp_ok=1 ;;
		*) csv "$1" "$2" "$_fp_m" "$_fp_v" "$3" ;;
		esac
	done <"$RES_DIR/point.txt"
	log "$1 $2 run $3 (up $(now_s) s): $(tr '\n' ' ' <"$RES_DIR/point.txt")"
	if [ $_fp_ok -ne 0 ]; then
		csv "$1" "$2" error no-metrics "$3"
		return 1
	fi
}

# --- the link ---------------------------------------------------------------
# ping_median SIZE COUNT: median round trip in microseconds of COUNT pings of SIZE data bytes
ping_median() {
	ping -c "$2" -A -s "$1" "$PEER_IP" 2>/dev/null |
		sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' | median | awk '{ if ($1 != "") printf "%.0f\n", $1 * 1000 }'
}

measure_link() {
	_ml_r=$1
	_ml_j=$RES_DIR/fio/link.iperf3.$_ml_r.json
	if run_bounded $((IPERF_S + 30)) iperf3 -c "$PEER_IP" -t "$IPERF_S" -O 1 -Z -J >"$_ml_j" 2>"$_ml_j.err"; then
		_ml_bw=$(jq -r '.end.sum_received.bits_per_second / 8000000' "$_ml_j" 2>/dev/null)
		csv link tcp MBps "$_ml_bw" "$_ml_r"
		log "link: TCP $_ml_bw MB/s"
	else
		csv link tcp error iperf3-failed "$_ml_r"
	fi
	for _ml_s in 56 4096; do
		_ml_rtt=$(ping_median "$_ml_s" "$PINGS")
		if [ -n "$_ml_rtt" ]; then
			csv link "ping-$_ml_s" rtt_us "$_ml_rtt" "$_ml_r"
			log "link: ping -s $_ml_s median ${_ml_rtt}us"
		else
			csv link "ping-$_ml_s" error ping-failed "$_ml_r"
		fi
	done
}

# --- one system, one round ---------------------------------------------------
# setup_system SYSTEM: bring it up on both nodes, node 0 primary; prints the device
setup_system() {
	case $1 in
	raw) echo /dev/vdb ;;
	harepl-*)
		rpc 120 harepl-up "${1#harepl-}" >/dev/null || return 1
		harepl_up "${1#harepl-}" >&2 || return 1
		if ! wait_for '[ "$(hfield connection)" = Connected ]' 60; then
			hareplctl status r0 | sed 's/^/# /' >&2
			return 1
		fi
		run_bounded 30 hareplctl primary --force r0 >&2 || return 1
		[ "$(hfield role)" = Primary ] || return 1
		echo /dev/mapper/r0
		;;
	drbd-*)
		_ss_p=${1#drbd-}
		_ss_f=
		case $_ss_p in *-noflush) _ss_p=${_ss_p%-noflush} _ss_f=noflush ;; esac
		rpc 120 drbd-up $_ss_p $_ss_f >/dev/null || return 1
		drbd_up $_ss_p $_ss_f >&2 || return 1
		if ! wait_for '[ "$(drbd_field cs)" = Connected ]' 60; then
			sed 's/^/# /' /proc/drbd >&2
			return 1
		fi
		# both Inconsistent: declare them in sync instead of a full resync
		run_bounded 30 drbdsetup-84 new-current-uuid --clear-bitmap 0 >&2 || return 1
		wait_for '[ "$(drbd_field ds)" = UpToDate/UpToDate ]' 30 || return 1
		run_bounded 30 drbdsetup-84 primary 0 >&2 || return 1
		echo /dev/drbd0
		;;
	esac
}

teardown_system() {
	case $1 in
	harepl-*)
		harepl_down || log "harepl down failed on node 0"
		rpc 90 harepl-down >/dev/null
		;;
	drbd-*)
		drbd_down || log "drbd down failed on node 0"
		rpc 90 drbd-down >/dev/null
		;;
	esac
}

# system_ok SYSTEM: the replication is still whole after a point
system_ok() {
	case $1 in
	harepl-*) harepl_healthy ;;
	drbd-*) drbd_healthy ;;
	*) true ;;
	esac
}

# drain SYSTEM: wait until everything written reached node 1 (async: the
# queue empties; sync: every completed write was acknowledged already)
drain() {
	case $1 in
	harepl-async) harepl_drained 120 ;;
	drbd-A*) drbd_drained 120 ;;
	*) true ;;
	esac
}

# same_data SYSTEM RUN: node 1's backing disk holds what node 0's does (measured region)
same_data() {
	case $1 in
	harepl-*) _sd_dev=/dev/vdc ;;
	drbd-*) _sd_dev=/dev/vdd ;;
	*) return 0 ;;
	esac
	rpc 120 md5 $_sd_dev >"$RES_DIR/md5.reply" &
	_sd_pid=$!
	_sd_mine=$(region_md5 $_sd_dev)
	wait $_sd_pid
	_sd_theirs=$(sed -n 's/^ok //p' "$RES_DIR/md5.reply")
	log "$1: md5 of the region: node 0 $_sd_mine, node 1 ${_sd_theirs:-?}"
	if [ -n "$_sd_mine" ] && [ "$_sd_mine" = "$_sd_theirs" ]; then
		csv "$1" data same 1 "$2"
		return 0
	fi
	csv "$1" data error differs "$2"
	# the next system on this disk starts from equal disks again
	precondition $_sd_dev
	rpc 120 zero $_sd_dev >/dev/null
	return 1
}

# SYSTEM_STATUS_<name>: "ok" or why the last round failed (for the KTAP summary)
measure_system() {
	_ms_s=$1 _ms_r=$2
	log "---- $_ms_s, round $_ms_r (up $(now_s) s) ----"
	if ! _ms_dev=$(setup_system "$_ms_s"); then
		log "$_ms_s: setup failed"
		for _ms_w in $WORKLOADS; do
			csv "$_ms_s" "$_ms_w" error setup-failed "$_ms_r"
		done
		teardown_system "$_ms_s"
		return 1
	fi
	_ms_rc=0
	for _ms_w in $WORKLOADS; do
		if [ $_ms_rc -ne 0 ]; then
			csv "$_ms_s" "$_ms_w" error skipped-after-failure "$_ms_r"
			continue
		fi
		fio_point "$_ms_s" "$_ms_w" "$_ms_r" "$_ms_dev" || _ms_rc=1
		if [ $_ms_rc -eq 0 ] && ! system_ok "$_ms_s"; then
			log "$_ms_s: replication broke during $_ms_w; the point does not count"
			hareplctl status r0 2>/dev/null | sed 's/^/# /'
			sed 's/^/# /' /proc/drbd 2>/dev/null
			sed -i "/^$_ms_s,$_ms_w,.*,$_ms_r\$/d" "$RES_DIR/results.csv"
			csv "$_ms_s" "$_ms_w" error disconnected "$_ms_r"
			_ms_rc=1
		fi
		# let an async queue empty before the next point
		if [ $_ms_rc -eq 0 ] && ! drain "$_ms_s"; then
			log "$_ms_s: did not drain within 120 s after $_ms_w"
			csv "$_ms_s" "$_ms_w" error no-drain "$_ms_r"
			_ms_rc=1
		fi
	done
	if [ $_ms_rc -eq 0 ]; then
		same_data "$_ms_s" "$_ms_r" || _ms_rc=1
	fi
	teardown_system "$_ms_s"
	return $_ms_rc
}

# --- node 1 -----------------------------------------------------------------
# peer_request LINE: what node 1 does for one request (from peer.sh, with
# stdout on the console); the reply line goes to fd 3, the connection
peer_request() {
	set -- $1
	case $1 in
	hello) _pr_ok=1 _pr_out=node1 ;;
	harepl-up) harepl_up "$2" && _pr_ok=1 || _pr_out="harepl up $2 failed" ;;
	harepl-down) harepl_down && _pr_ok=1 || _pr_out="harepl down failed" ;;
	drbd-up) drbd_up "$2" "${3:-}" && _pr_ok=1 || _pr_out="drbd up $2 failed" ;;
	drbd-down) drbd_down && _pr_ok=1 || _pr_out="drbd down failed" ;;
	md5)
		_pr_out=$(region_md5 "$2")
		[ -n "$_pr_out" ] && _pr_ok=1
		;;
	zero) precondition "$2" && _pr_ok=1 ;;
	trace)
		# trace on|off: tracefs recording (tests/bench/trace-qd1.sh)
		mkdir -p /tmp/bench1
		_pr_t=/sys/kernel/tracing
		[ -e $_pr_t/trace ] || _pr_t=/sys/kernel/debug/tracing
		[ "$2" = on ] && : >$_pr_t/trace && echo 1 >$_pr_t/tracing_on && _pr_ok=1
		[ "$2" = off ] && echo 0 >$_pr_t/tracing_on && cp $_pr_t/trace /tmp/bench1/trace.txt && _pr_ok=1
		;;
	fio)
		# fio WORKLOAD RUN: a raw point on this node's vdb; the reply lists METRIC,VALUE pairs
		RES_DIR=/tmp/bench1
		mkdir -p $RES_DIR/fio
		: >$RES_DIR/results.csv
		fio_point raw-node1 "$2" "$3" /dev/vdb && _pr_ok=1
		_pr_out=$(cut -d, -f3,4 $RES_DIR/results.csv | tr '\n' ' ')
		;;
	quit)
		touch /tmp/bench-quit
		_pr_ok=1
		;;
	*) _pr_out="unknown request $1" ;;
	esac
	if [ "${_pr_ok:-0}" = 1 ]; then
		echo "ok ${_pr_out:-}" >&3
	else
		echo "fail ${_pr_out:-}" >&3
	fi
}

peer_main() {
	ip link set eth0 mtu "$MTU" || die "cannot set MTU $MTU"
	modprobe harepl || die "modprobe harepl failed"
	modprobe drbd || die "modprobe drbd failed"
	precondition /dev/vdb /dev/vdc /dev/vdd
	iperf3 -s >/tmp/iperf3.log 2>&1 &
	IPERF_PID=$!
	export BENCH_MODE HAREPL_NODE
	nc -ll -p "$CTL_PORT" -e /tests/bench/peer.sh &
	NC_PID=$!
	log "node 1 serves on port $CTL_PORT"
	wait_for '[ -e /tmp/bench-quit ]' $((HAREPL_TIMEOUT - 40)) || log "node 0 never said quit"
	kill "$NC_PID" "$IPERF_PID" 2>/dev/null
	harepl_down
	drbd_down
	mkdir -p /tmp/bench1/fio
	dmesg >/tmp/bench1/dmesg-node1.txt
	_pm_files="dmesg-node1.txt fio"
	[ ! -f /tmp/bench1/trace.txt ] || _pm_files="$_pm_files trace.txt"
	(cd /tmp/bench1 && save_results $_pm_files)
	check_dmesg
	ktap_test_pass "peer_served"
}

# --- node 0 -----------------------------------------------------------------
write_meta() {
	{
		echo "mode=${BENCH_MODE:-full}"
		echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "kernel=$(uname -r)"
		echo "fio=$(fio --version)"
		echo "drbd=$(sed -n 's/^version: \([^ ]*\).*/\1/p' /proc/drbd)"
		echo "harepl_srcversion=$(cat /sys/module/harepl/srcversion 2>/dev/null)"
		echo "vcpus=$(nproc)"
		echo "mem_mib=$(awk '/MemTotal/ { printf "%d", $2 / 1024 }' /proc/meminfo)"
		echo "mtu=$MTU"
		echo "disk_mib=$(($(cat /sys/block/vdb/size) / 2048))"
		echo "region_mib=$REGION_MB"
		echo "runs=$RUNS"
		echo "runtime_s=$RUNTIME"
		echo "ramp_s=$RAMP"
		echo "workloads=$WORKLOADS"
		echo "systems=$SYSTEMS"
	} >"$RES_DIR/meta.txt"
}

# SYS_FAILED: systems with a failed point in any round
SYS_FAILED=
bench_node0() {
	ip link set eth0 mtu "$MTU" || die "cannot set MTU $MTU"
	mkdir -p "$RES_DIR/fio"
	: >"$RES_DIR/results.csv"
	modprobe harepl || die "modprobe harepl failed"
	modprobe drbd || die "modprobe drbd failed"
	precondition /dev/vdb /dev/vdc /dev/vdd
	wait_for "rpc 10 hello >/dev/null 2>&1" 300 || die "node 1 never answered on port $CTL_PORT"
	write_meta
	_t0=$(now_s)
	_r=1
	while [ $_r -le "$RUNS" ]; do
		log "==== round $_r of $RUNS ($(($(now_s) - _t0)) s) ===="
		measure_link "$_r"
		if [ "$PEER_RAW" = 1 ]; then
			for _w in randwrite-4k-qd1 syncwrite-4k-qd1; do
				_pr=$(rpc $((RAMP + RUNTIME + 60)) fio "$_w" "$_r")
				case $_pr in
				ok*)
					for _mv in ${_pr#ok }; do
						csv raw-node1 "$_w" "${_mv%,*}" "${_mv#*,}" "$_r"
					done
					;;
				*) csv raw-node1 "$_w" error "node1-fio-failed" "$_r" ;;
				esac
			done
		fi
		for _s in $SYSTEMS; do
			if ! measure_system "$_s" "$_r"; then
				case " $SYS_FAILED " in *" $_s "*) ;; *) SYS_FAILED="$SYS_FAILED $_s" ;; esac
			fi
		done
		_r=$((_r + 1))
	done
	log "measured in $(($(now_s) - _t0)) s"
	rpc 30 quit >/dev/null || log "node 1 did not take quit"
	dmesg >"$RES_DIR/dmesg.txt"
	(cd "$RES_DIR" && save_results results.csv meta.txt dmesg.txt fio)
}

# nonzero SYSTEM WORKLOAD METRIC: every run of that point has a value > 0
nonzero() {
	_nz=$(grep -c "^$1,$2,$3," "$RES_DIR/results.csv")
	_nz_pos=$(awk -F, -v s="$1" -v w="$2" -v m="$3" '$1 == s && $2 == w && $3 == m && $4 + 0 > 0' \
		"$RES_DIR/results.csv" | wc -l)
	[ "$_nz" -ge 1 ] && [ "$_nz" -eq "$_nz_pos" ] && [ "$_nz" -eq "$RUNS" ]
}

# system_measured SYSTEM: each workload has its main metric (> 0) in every round, and no error
system_measured() {
	if grep "^$1,.*,error," "$RES_DIR/results.csv" | sed 's/^/# /' | grep .; then
		return 1
	fi
	for _sm_w in $WORKLOADS; do
		case $_sm_w in
		seqwrite*) nonzero "$1" "$_sm_w" MBps || return 1 ;;
		*) nonzero "$1" "$_sm_w" iops || return 1 ;;
		esac
	done
}

# same_in_every_round SYSTEM: node 1 held node 0's data after every round
same_in_every_round() { [ "$(grep -c "^$1,data,same,1," "$RES_DIR/results.csv")" -eq "$RUNS" ]; }

link_measured() { nonzero link tcp MBps && nonzero link ping-56 rtt_us && nonzero link ping-4096 rtt_us; }

bench_main() {
	bench_settings
	ktap_print_header
	wait_for "ping -c 1 -W 1 $PEER_IP >/dev/null 2>&1" 60 || die "peer unreachable"
	if [ "$ME" != 0 ]; then
		ktap_set_plan 1
		peer_main
		ktap_finished
	fi
	_n=1
	for _s in $SYSTEMS; do
		case $_s in raw) _n=$((_n + 1)) ;; *) _n=$((_n + 2)) ;; esac
	done
	ktap_set_plan $_n
	bench_node0
	ktap_test_result "link_measured" link_measured
	for _s in $SYSTEMS; do
		ktap_test_result "${_s}_measured" system_measured "$_s"
		case $_s in
		raw) ;;
		*) ktap_test_result "${_s}_peer_has_same_data" same_in_every_round "$_s" ;;
		esac
	done
	check_dmesg
	ktap_finished
}
