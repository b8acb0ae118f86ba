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
# and, once per round after the systems, a resync (harepl-sync and drbd-C:
# measure_resync) and the write-intent points (measure_wi), described there;
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
		RESYNC_MB=32 RESYNC_TIMEOUT=90
		WI_RUNTIME=3 WI_RAMP=0 WI_CASES="raw harepl-al8" WI_QDS=32
		;;
	*)
		RUNS=3 RUNTIME=5 RAMP=1 REGION_MB=128 PINGS=50 IPERF_S=4
		WORKLOADS="seqwrite-1m-qd8 randwrite-4k-qd1 randwrite-4k-qd32 randrw70-4k-qd16 syncwrite-4k-qd1"
		PEER_RAW=1
		RESYNC_MB=256 RESYNC_TIMEOUT=240
		WI_RUNTIME=8 WI_RAMP=1 WI_CASES="raw harepl-al256 harepl-al8" WI_QDS="1 32"
		;;
	esac
	SYSTEMS="raw harepl-sync harepl-async drbd-C drbd-A"
	# resync: harepl-sync and drbd-C, each RESYNC_MB out of sync, per round
	RESYNC_SYSTEMS="harepl-sync drbd-C"
	# write-intent log cost: standalone harepl on node 0's vdb against the raw vdb
	WI=1
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
		bench_resync=0) RESYNC_SYSTEMS= ;;
		bench_resync_mb=*) RESYNC_MB=${_a#*=} ;;
		bench_wi=0) WI=0 ;;
		esac
	done
	[ "$WI" = 1 ] || WI_CASES=
	REGION_SECTORS=$((REGION_MB * 2048))
	RESYNC_SECTORS=$((RESYNC_MB * 2048))
}

# --- small helpers --------------------------------------------------------
now_s() {
	read -r _ns_up _ns_idle </proc/uptime
	echo "${_ns_up%.*}"
}

# now_cs: uptime in centiseconds (the resolution of /proc/uptime)
now_cs() {
	read -r _nc_up _nc_idle </proc/uptime
	_nc_f=${_nc_up#*.}
	echo "$((${_nc_up%.*} * 100 + ${_nc_f#0}))"
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

# precondition_all DEV...: write all of each device once (the write-intent
# points write over the whole disk, the resync over its first RESYNC_MB)
precondition_all() {
	for _pa in "$@"; do
		dd if=/dev/zero of="$_pa" bs=1M count=$(($(cat "/sys/block/${_pa#/dev/}/size") / 2048)) \
			oflag=direct conv=fsync 2>/dev/null || die "preconditioning $_pa failed"
	done
}

# region_md5 DEV [SECTORS]: md5 of the measured region of DEV (or of its first SECTORS)
region_md5() { disk_md5 "$1" "${2:-$REGION_SECTORS}"; }

# --- harepl ---------------------------------------------------------------
# Both nodes' disks start equal (zeroed, or equal after the last system), so
# create-md declares them in sync: the same uuid, --skip-initial-sync (see
# Documentation/resync.rst); same_data checks that they were
BENCH_UUID=6d3c1f0a-5b2e-4c7d-9e8f-0a1b2c3d4e5f

# harepl_conf MODE [Key=Value...]: r0.conf for vdc, the pairs go into [Peer]
harepl_conf() {
	vm_conf /dev/vdc bench "$@"
}

hfield() { hareplctl status --json r0 2>/dev/null | jq -r ".$1" 2>/dev/null; }

# hjq FILTER: jq -r FILTER on r0's status --json
hjq() { hareplctl status --json r0 2>/dev/null | jq -r "$1" 2>/dev/null; }

# harepl_up MODE [Key=Value...]: config, create-md, up (this node only)
harepl_up() {
	[ -d /sys/module/harepl ] || modprobe harepl || return 1
	harepl_conf "$@"
	run_bounded 60 hareplctl create-md --uuid $BENCH_UUID --skip-initial-sync --force r0 \
		>/dev/null || return 1
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
# drbd_up PROTOCOL [noflush] [resync]: metadata, resource, minor 0, attach
# vdd, connect (this node only). noflush: no disk or md flushes; resync: the
# fixed resync rate at its maximum (4 GiB/s) instead of the dynamic
# controller (c-plan-ahead 20, c-max-rate 100 MiB/s)
drbd_up() {
	_du_p=$1
	_du_opts=
	shift
	for _du_o; do
		case $_du_o in
		noflush) _du_opts="$_du_opts --disk-flushes=no --md-flushes=no" ;;
		resync) _du_opts="$_du_opts $DRBD_RESYNC_OPTS" ;;
		esac
	done
	set -- "$_du_p"
	mkdir -p /var/lib/drbd /var/run/drbd /var/lock
	[ -e /proc/drbd ] || modprobe drbd || return 1
	run_bounded 60 drbdmeta --force 0 v08 /dev/vdd internal create-md </dev/null >/dev/null 2>&1 || return 1
	run_bounded 30 drbdsetup-84 new-resource r0 || return 1
	run_bounded 30 drbdsetup-84 new-minor r0 0 0 || return 1
	run_bounded 60 drbdsetup-84 attach 0 /dev/vdd /dev/vdd internal $_du_opts || return 1
	run_bounded 30 drbdsetup-84 connect r0 $DRBD_CONNECT_OPTS --protocol="$1" || return 1
}

DRBD_RESYNC_OPTS="--c-plan-ahead=0 --resync-rate=4194304"
DRBD_CONNECT_OPTS="ipv4:$MY_IP:7790 ipv4:$PEER_IP:7790"

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
# fio_args WORKLOAD: the workload's own options (wi-X: X over the whole disk,
# for the write-intent points)
fio_args() {
	case ${1#wi-} in
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
	case ${1#wi-} in
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

# fio_point SYSTEM WORKLOAD RUN DEV [SIZE_MB RUNTIME RAMP]: run one point,
# record its metrics or its error; 1 if it failed. SIZE_MB etc. default to
# the measured region, RUNTIME and RAMP
fio_point() {
	_fp_json=$RES_DIR/fio/$1.$2.$3.json
	_fp_err=$RES_DIR/fio/$1.$2.$3.err
	_fp_rt=${6:-$RUNTIME} _fp_ramp=${7:-$RAMP}
	# shellcheck disable=SC2046 # the workload's options
	run_bounded $((_fp_ramp + _fp_rt + 40)) fio --name="$2" --filename="$4" \
		--ioengine=libaio --direct=1 --offset=0 --size="${5:-$REGION_MB}M" \
		--time_based --runtime="$_fp_rt" --ramp_time="$_fp_ramp" \
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
# setup_system SYSTEM [resync]: bring it up on both nodes, node 0 primary;
# prints the device. resync: with the resync rate at its maximum
setup_system() {
	_ss_hk='' _ss_do=''
	if [ "${2:-}" = resync ]; then
		_ss_hk=ResyncRate=4G _ss_do=resync
	fi
	case $1 in
	raw) echo /dev/vdb ;;
	harepl-*)
		rpc 120 harepl-up "${1#harepl-}" $_ss_hk >/dev/null || return 1
		harepl_up "${1#harepl-}" $_ss_hk >&2 || return 1
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
		rpc 120 drbd-up $_ss_p $_ss_f $_ss_do >/dev/null || return 1
		drbd_up $_ss_p $_ss_f $_ss_do >&2 || return 1
		if ! wait_for '[ "$(drbd_field cs)" = Connected ]' 60; then
			sed 's/^/# /' /proc/drbd >&2
			return 1
		fi
		# both Inconsistent: declare them in sync instead of a full resync
		if ! run_bounded 30 drbdsetup-84 new-current-uuid --clear-bitmap 0 >&2 ||
			! wait_for '[ "$(drbd_field ds)" = UpToDate/UpToDate ]' 30 ||
			! run_bounded 30 drbdsetup-84 primary 0 >&2; then
			log "drbd: new-current-uuid, UpToDate or primary failed" >&2
			sed 's/^/# /' /proc/drbd >&2
			return 1
		fi
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
	# the next system on this disk starts from equal disks again (all of
	# them: create-md --skip-initial-sync declares the whole disk equal)
	precondition_all $_sd_dev
	rpc 120 zero-all $_sd_dev >/dev/null
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

# --- resync -------------------------------------------------------------------
# Each round, for harepl-sync and drbd-C: set up (both in sync, node 0
# primary, the resync rate at its maximum), node 1 disconnects (node 0 keeps
# its peer and waits for it: harepl drops a peer's state on a local
# disconnect), write RESYNC_MB sequentially (fio, 1M, qd8; new data every
# round) on node 0, check that exactly that much is out of sync for the peer,
# node 1 connects again; time from that request until
# node 0 sees the peer connected, UpToDate and nothing out of sync. Then check
# node 1's state and that both backing disks hold the same RESYNC_MB.
# Metrics (workload "resync"): MBps (RESYNC_MB / connect..in sync),
# sync_MBps (RESYNC_MB / first SyncSource seen..in sync), s, connect_s
# (connect..first SyncSource seen), sent_MiB (harepl: resync_bytes; DRBD:
# growth of "ns", everything sent)

# rstate SYSTEM: "connection disk-of-peer oos sent" as node 0 sees them
# (oos in bytes; sent: harepl's resync_bytes, DRBD's ns in bytes)
rstate() {
	case $1 in
	harepl-*)
		hareplctl status --json r0 2>/dev/null | jq -r '.peers[0] |
			"\(.connection) \(.disk) \(.oos_bytes) \(.resync_bytes // 0)"' 2>/dev/null
		;;
	drbd-*)
		_rs_ds=$(drbd_field ds)
		echo "$(drbd_field cs) ${_rs_ds#*/} $(($(drbd_field oos) * 1024)) $(($(drbd_field ns) * 1024))"
		;;
	esac
}

# rdisconnect SYSTEM, rconnect SYSTEM: node 1 leaves or rejoins (node 0 waits for it)
rdisconnect() {
	rpc 60 disconnect "${1%%-*}" >/dev/null || return 1
	case $1 in
	harepl-*) wait_for '[ "$(hfield "peers[0].connection")" = Connecting ]' 30 ;;
	drbd-*) wait_for '[ "$(drbd_field cs)" = WFConnection ]' 30 ;;
	esac
}

rconnect() { rpc 60 connect "${1%%-*}" >/dev/null; }

# resync_fail SYSTEM RUN REASON: record the failure, dump the state
resync_fail() {
	log "$1: resync round $2: $3"
	csv "$1" resync error "$3" "$2"
	hareplctl status r0 2>/dev/null | sed 's/^/# /'
	sed 's/^/# /' /proc/drbd 2>/dev/null
	dmesg | grep -E 'harepl|drbd' | tail -n 12 | sed 's/^/# dmesg: /'
}

# measure_resync SYSTEM RUN: one resync point; 1 if it failed
measure_resync() {
	_mr_s=$1 _mr_r=$2
	_mr_b=$((RESYNC_MB * 1048576))
	log "---- $_mr_s: resync of $RESYNC_MB MiB, round $_mr_r (up $(now_s) s) ----"
	case $_mr_s in
	harepl-*) _mr_disk=/dev/vdc ;;
	*) _mr_disk=/dev/vdd ;;
	esac
	if ! _mr_dev=$(setup_system "$_mr_s" resync); then
		resync_fail "$_mr_s" "$_mr_r" setup-failed
		teardown_system "$_mr_s"
		return 1
	fi
	_mr_rc=1
	if ! rdisconnect "$_mr_s"; then
		resync_fail "$_mr_s" "$_mr_r" disconnect-failed
	elif ! run_bounded 120 fio --name=resync-fill --filename="$_mr_dev" --ioengine=libaio \
		--direct=1 --rw=write --bs=1M --iodepth=8 --offset=0 --size="${RESYNC_MB}M" \
		--randseed=$((_mr_r * 7919 + $(now_s))) --output="$RES_DIR/fio/$_mr_s.resync-fill.$_mr_r.txt" \
		>/dev/null 2>&1; then
		resync_fail "$_mr_s" "$_mr_r" fill-failed
	else
		# shellcheck disable=SC2046 # the four fields
		set -- $(rstate "$_mr_s")
		_mr_sent0=${4:-0}
		log "$_mr_s: disconnected and written: $*"
		if [ "${3:-}" != "$_mr_b" ]; then
			resync_fail "$_mr_s" "$_mr_r" "oos-${3:-none}-not-$_mr_b"
		else
			_mr_rc=0
		fi
	fi
	if [ $_mr_rc -eq 0 ]; then
		_mr_t0=$(now_cs)
		_mr_t1=
		_mr_end=$((_mr_t0 + RESYNC_TIMEOUT * 100))
		_mr_seen=
		if ! rconnect "$_mr_s"; then
			resync_fail "$_mr_s" "$_mr_r" connect-failed
			_mr_rc=1
		fi
		while [ $_mr_rc -eq 0 ]; do
			# shellcheck disable=SC2046 # the four fields
			set -- $(rstate "$_mr_s")
			_mr_t=$(now_cs)
			case " $_mr_seen " in *" ${1:-?} "*) ;; *) _mr_seen="$_mr_seen ${1:-?}" ;; esac
			[ -n "$_mr_t1" ] || [ "${1:-}" != SyncSource ] || _mr_t1=$_mr_t
			[ "${1:-}" = Connected ] && [ "${2:-}" = UpToDate ] && [ "${3:-}" = 0 ] && break
			if [ "$_mr_t" -ge "$_mr_end" ]; then
				resync_fail "$_mr_s" "$_mr_r" "not-in-sync-after-${RESYNC_TIMEOUT}s"
				_mr_rc=1
				break
			fi
			sleep 0.1
		done
	fi
	if [ $_mr_rc -eq 0 ]; then
		_mr_dt=$((_mr_t - _mr_t0))
		[ "$_mr_dt" -gt 0 ] || _mr_dt=1
		_mr_sent=$(((${4:-0} - _mr_sent0) / 1048576))
		csv "$_mr_s" resync MBps "$(awk -v b=$_mr_b -v t=$_mr_dt 'BEGIN { print b / 1e6 / (t / 100) }')" "$_mr_r"
		csv "$_mr_s" resync s "$(awk -v t=$_mr_dt 'BEGIN { print t / 100 }')" "$_mr_r"
		if [ -n "$_mr_t1" ] && [ "$_mr_t" -gt "$_mr_t1" ]; then
			csv "$_mr_s" resync sync_MBps "$(awk -v b=$_mr_b -v t=$((_mr_t - _mr_t1)) \
				'BEGIN { print b / 1e6 / (t / 100) }')" "$_mr_r"
			csv "$_mr_s" resync connect_s "$(awk -v t=$((_mr_t1 - _mr_t0)) 'BEGIN { print t / 100 }')" "$_mr_r"
		fi
		csv "$_mr_s" resync sent_MiB "$_mr_sent" "$_mr_r"
		log "$_mr_s: resync of $RESYNC_MB MiB in $_mr_dt cs (SyncSource first seen at +$((${_mr_t1:-$_mr_t0} - _mr_t0)) cs), sent $_mr_sent MiB, states:$_mr_seen"
		# node 1's own view, then the data
		case $_mr_s in
		harepl-*)
			_mr_p=$(rpc 30 hstatus)
			if [ "$_mr_p" != "ok UpToDate Connected" ]; then
				resync_fail "$_mr_s" "$_mr_r" "node1-${_mr_p#ok }"
				_mr_rc=1
			fi
			;;
		esac
	fi
	if [ $_mr_rc -eq 0 ]; then
		rpc 120 md5 $_mr_disk $RESYNC_SECTORS >"$RES_DIR/md5.reply" &
		_mr_pid=$!
		_mr_mine=$(region_md5 $_mr_disk $RESYNC_SECTORS)
		wait $_mr_pid
		_mr_theirs=$(sed -n 's/^ok //p' "$RES_DIR/md5.reply")
		log "$_mr_s: md5 of the first $RESYNC_MB MiB: node 0 $_mr_mine, node 1 ${_mr_theirs:-?}"
		if [ -n "$_mr_mine" ] && [ "$_mr_mine" = "$_mr_theirs" ]; then
			csv "$_mr_s" resync-data same 1 "$_mr_r"
		else
			sed -i "/^$_mr_s,resync,.*,$_mr_r\$/d" "$RES_DIR/results.csv"
			resync_fail "$_mr_s" "$_mr_r" data-differs
			_mr_rc=1
		fi
	fi
	teardown_system "$_mr_s"
	if [ $_mr_rc -ne 0 ]; then
		# the next system on this disk starts from equal disks again
		precondition_all $_mr_disk
		rpc 120 zero-all $_mr_disk >/dev/null
	fi
	return $_mr_rc
}

# --- write-intent log cost ------------------------------------------------------
# Node 0 alone, on its vdb: 4 KiB random writes over the whole disk (less 4
# MiB for harepl's metadata), qd1 and qd32, WI_RUNTIME s each:
#   raw            /dev/vdb
#   harepl-alN     harepl without peers (up, primary --force) on vdb, created
#                  with --al-extents N: 256 (1 GiB) covers the disk, so only
#                  the first write to each 4 MiB extent waits for a log
#                  transaction; 8 (32 MiB) is far smaller than the working
#                  set, so most writes need one
# Metrics (workload wi-randwrite-4k-qdN): fio's, plus al_tx (write-intent
# transactions during the run, ramp included: al_writes of status) and
# writes (the device's writes, same span).

# measure_wi CASE RUN: one case, every queue depth; 1 if a point failed
measure_wi() {
	_mw_c=$1 _mw_r=$2
	_mw_size=$(($(cat /sys/block/vdb/size) / 2048 - 4))
	log "---- write-intent: $_mw_c, round $_mw_r (up $(now_s) s) ----"
	_mw_dev=/dev/vdb
	case $_mw_c in
	harepl-al*)
		write_conf r0 /dev/vdb internal
		if ! run_bounded 60 hareplctl create-md --al-extents "${_mw_c#harepl-al}" --force r0 >/dev/null ||
			! run_bounded 60 hareplctl up r0 >&2 ||
			! run_bounded 30 hareplctl primary --force r0 >&2; then
			for _mw_q in $WI_QDS; do
				csv "$_mw_c" "wi-randwrite-4k-qd$_mw_q" error setup-failed "$_mw_r"
			done
			harepl_down
			return 1
		fi
		_mw_dev=/dev/mapper/r0
		;;
	esac
	_mw_rc=0
	for _mw_q in $WI_QDS; do
		_mw_w=wi-randwrite-4k-qd$_mw_q
		_mw_0=$(hjq '"\(.al_writes) \(.writes)"')
		fio_point "$_mw_c" "$_mw_w" "$_mw_r" "$_mw_dev" "$_mw_size" "$WI_RUNTIME" "$WI_RAMP" || {
			_mw_rc=1
			continue
		}
		[ "$_mw_dev" != /dev/vdb ] || continue
		_mw_1=$(hjq '"\(.al_writes) \(.writes)"')
		# shellcheck disable=SC2086 # two numbers each
		set -- $_mw_0 $_mw_1
		if [ $# -eq 4 ] && [ "$(repl_num "$1")" -ge 0 ] && [ "$(repl_num "$3")" -ge 0 ]; then
			csv "$_mw_c" "$_mw_w" al_tx $(($3 - $1)) "$_mw_r"
			csv "$_mw_c" "$_mw_w" writes $(($4 - $2)) "$_mw_r"
			log "$_mw_c $_mw_w: $(($3 - $1)) write-intent transactions for $(($4 - $2)) writes"
		else
			csv "$_mw_c" "$_mw_w" error "no-al_writes-in-status" "$_mw_r"
			_mw_rc=1
		fi
	done
	[ "$_mw_dev" = /dev/vdb ] || harepl_down || log "harepl down failed (write-intent)"
	return $_mw_rc
}

# --- node 1 -----------------------------------------------------------------
# peer_request LINE: what node 1 does for one request (from peer.sh, with
# stdout on the console); the reply line goes to fd 3, the connection
peer_request() {
	set -- $1
	case $1 in
	hello) _pr_ok=1 _pr_out=node1 ;;
	harepl-up)
		shift
		harepl_up "$@" && _pr_ok=1 || _pr_out="harepl up $* failed"
		;;
	harepl-down) harepl_down && _pr_ok=1 || _pr_out="harepl down failed" ;;
	hstatus)
		# hstatus: "disk connection" of this node's r0 and its peer
		_pr_out=$(hareplctl status --json r0 2>/dev/null | jq -r '"\(.disk) \(.peers[0].connection)"')
		_pr_ok=1
		;;
	drbd-up)
		shift
		drbd_up "$@" && _pr_ok=1 || _pr_out="drbd up $* failed"
		;;
	drbd-down) drbd_down && _pr_ok=1 || _pr_out="drbd down failed" ;;
	md5)
		# md5 DEV [SECTORS]
		_pr_out=$(region_md5 "$2" "${3:-}")
		[ -n "$_pr_out" ] && _pr_ok=1
		;;
	zero) precondition "$2" && _pr_ok=1 ;;
	zero-all) precondition_all "$2" && _pr_ok=1 ;;
	disconnect)
		# disconnect harepl|drbd: leave the peer (the resync points)
		case $2 in
		harepl) run_bounded 30 hareplctl disconnect r0 && _pr_ok=1 ;;
		drbd) run_bounded 30 drbdsetup-84 disconnect $DRBD_CONNECT_OPTS && _pr_ok=1 ;;
		esac
		;;
	connect)
		# connect harepl|drbd: rejoin it
		case $2 in
		harepl) run_bounded 30 hareplctl connect r0 && _pr_ok=1 ;;
		drbd) run_bounded 30 drbdsetup-84 connect r0 $DRBD_CONNECT_OPTS --protocol=C && _pr_ok=1 ;;
		esac
		;;
	trace)
		# trace on|off: tracefs recording (tests/bench/trace-qd1.sh)
		mkdir -p /tmp/bench1
		_pr_t=/sys/kernel/tracing
		[ -e $_pr_t/trace ] || _pr_t=/sys/kernel/debug/tracing
		[ "$2" = on ] && : >$_pr_t/trace && echo 1 >$_pr_t/tracing_on && _pr_ok=1
		[ "$2" = off ] && echo 0 >$_pr_t/tracing_on && cp $_pr_t/trace /tmp/bench1/trace.txt && _pr_ok=1
		;;
	profile)
		# profile on|off: perf recording of the whole node (bench-profile.sh)
		mkdir -p /tmp/bench1
		[ "$2" = on ] && profile_start /tmp/bench1 && _pr_ok=1
		[ "$2" = off ] && profile_stop /tmp/bench1 && _pr_ok=1
		;;
	counters)
		# counters on|off: /proc/net/dev, /proc/interrupts and /proc/stat
		# now, into counters-before.txt or counters-after.txt (bench-trace.sh --hostcpu)
		mkdir -p /tmp/bench1
		[ "$2" = on ] && cat /proc/net/dev /proc/interrupts /proc/stat >/tmp/bench1/counters-before.txt && _pr_ok=1
		[ "$2" = off ] && cat /proc/net/dev /proc/interrupts /proc/stat >/tmp/bench1/counters-after.txt && _pr_ok=1
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

# profile_start DIR: sample every CPU of this node (kernel and user, with
# call chains) into DIR/perf.data until profile_stop DIR, which writes the
# flat profile DIR/profile.txt, the call chains DIR/profile-callers.txt
# (the CPU's, and those of tasks going to sleep) and the time spent in
# each function and what it called, DIR/profile-inclusive.txt; and
# /proc/net/dev and /proc/interrupts from the start and the stop, in
# DIR/counters-before.txt and counters-after.txt (scripts/bench-profile.sh;
# needs perf packed)
profile_start() {
	command -v perf >/dev/null || return 1
	perf record -a -g -e cpu-clock -F 1999 -e sched:sched_switch --no-buildid -o "$1/perf.data" \
		>"$1/perf-record.log" 2>&1 &
	echo $! >"$1/perf.pid"
	sleep 1
	kill -0 "$(cat "$1/perf.pid")" 2>/dev/null || return 1
	cat /proc/net/dev /proc/interrupts >"$1/counters-before.txt"
}

profile_stop() {
	cat /proc/net/dev /proc/interrupts >"$1/counters-after.txt"
	kill -INT "$(cat "$1/perf.pid")" 2>/dev/null || return 1
	wait_for "! kill -0 $(cat "$1/perf.pid") 2>/dev/null" 60 || return 1
	# one section per event: cpu-clock (where the CPU went), then
	# sched_switch (who went to sleep, how often)
	perf report -i "$1/perf.data" --stdio --no-children -g none \
		--sort comm,dso,sym --percent-limit 0.3 >"$1/profile.txt" 2>/dev/null || return 1
	perf report -i "$1/perf.data" --stdio --no-children -G \
		--sort comm,sym --percent-limit 1.5 >"$1/profile-callers.txt" 2>/dev/null
	perf report -i "$1/perf.data" --stdio --children -g none \
		--sort comm,sym --percent-limit 0.5 >"$1/profile-inclusive.txt" 2>/dev/null
	rm -f "$1/perf.data"
}

peer_main() {
	ip link set eth0 mtu "$MTU" || die "cannot set MTU $MTU"
	modprobe harepl || die "modprobe harepl failed"
	modprobe drbd || die "modprobe drbd failed"
	precondition_all /dev/vdb /dev/vdc /dev/vdd
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
	[ ! -f /tmp/bench1/profile.txt ] || _pm_files="$_pm_files profile*.txt"
	[ ! -f /tmp/bench1/counters-after.txt ] || _pm_files="$_pm_files counters-*.txt"
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
		echo "resync_systems=$RESYNC_SYSTEMS"
		echo "resync_mib=$RESYNC_MB"
		echo "drbd_resync_opts=$DRBD_RESYNC_OPTS"
		echo "harepl_resync_rate=4G"
		echo "wi_cases=$WI_CASES"
		echo "wi_qds=$WI_QDS"
		echo "wi_runtime_s=$WI_RUNTIME"
		echo "wi_ramp_s=$WI_RAMP"
		echo "wi_size_mib=$(($(cat /sys/block/vdb/size) / 2048 - 4))"
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
	precondition_all /dev/vdb /dev/vdc /dev/vdd
	wait_for "rpc 10 hello >/dev/null 2>&1" 300 || die "node 1 never answered on port $CTL_PORT"
	write_meta
	_t0=$(now_s)
	_r=1
	while [ $_r -le "$RUNS" ]; do
		log "==== round $_r of $RUNS ($(($(now_s) - _t0)) s) ===="
		measure_link "$_r"
		# node 1's disk (for the floor) in the first round only: it is
		# not replicated, and the time goes to the resync points
		if [ "$PEER_RAW" = 1 ] && [ "$_r" = 1 ]; then
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
		for _s in $RESYNC_SYSTEMS; do
			measure_resync "$_s" "$_r"
		done
		for _s in $WI_CASES; do
			measure_wi "$_s" "$_r"
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

# resync_measured SYSTEM: a resync time in every round, the data equal after each, no error
resync_measured() {
	if grep "^$1,resync,error," "$RES_DIR/results.csv" | sed 's/^/# /' | grep .; then
		return 1
	fi
	nonzero "$1" resync MBps && [ "$(grep -c "^$1,resync-data,same,1," "$RES_DIR/results.csv")" -eq "$RUNS" ]
}

# wi_measured CASE: IOPS (and for harepl write-intent counts) at every queue depth in every round
wi_measured() {
	if grep "^$1,wi-.*,error," "$RES_DIR/results.csv" | sed 's/^/# /' | grep .; then
		return 1
	fi
	for _wm_q in $WI_QDS; do
		nonzero "$1" "wi-randwrite-4k-qd$_wm_q" iops || return 1
		[ "$1" = raw ] || [ "$(grep -c "^$1,wi-randwrite-4k-qd$_wm_q,al_tx," "$RES_DIR/results.csv")" -eq "$RUNS" ] ||
			return 1
	done
}

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
	for _s in $RESYNC_SYSTEMS $WI_CASES; do
		_n=$((_n + 1))
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
	for _s in $RESYNC_SYSTEMS; do
		ktap_test_result "${_s}_resync_measured" resync_measured "$_s"
	done
	for _s in $WI_CASES; do
		ktap_test_result "write_intent_${_s}_measured" wi_measured "$_s"
	done
	check_dmesg
	ktap_finished
}
