#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest-side helpers for the harepl tests; every test starts with
#	. "${0%/*}/lib.sh"
# POSIX sh: /bin/sh in the guest is dash, other tools are busybox applets
# except iproute2, fio, dmsetup, e2fsprogs, kmod, jq, setpriv. Output is KTAP: results as "ok N name" /
# "not ok N name", diagnostics as "# ..." lines. Exit codes follow kselftest:
# 0 pass, 1 fail, 4 skip. Helpers that "fail" exit the (sub)shell they run in.
#
# Environment from /init: HAREPL_NODE (0, 1, ...), HAREPL_VMS, HAREPL_TEST,
# HAREPL_BOOT (1, or 2, 3, ... after kill-restarts: vm_boot).
# Disks: /dev/vdb, /dev/vdc, ... as the test header's disks= asks; /dev/vda is
# the results disk (save_results).

HAREPL_NODE=${HAREPL_NODE:-0}
HAREPL_VMS=${HAREPL_VMS:-1}
HAREPL_BOOT=${HAREPL_BOOT:-1}
# the serial port whose lines the runner reads as requests (vm_kill_restart)
HAREPL_CONTROL=${HAREPL_CONTROL:-/dev/ttyS1}
KTAP_TESTNUM=1
KTAP_PLAN=
KTAP_CNT_PASS=0
KTAP_CNT_FAIL=0
KTAP_CNT_SKIP=0

# log MSG...: print a diagnostic line "# MSG"
log() { echo "# $*"; }

# run CMD...: print "# + CMD" (to stderr) then run it, returning its status
run() { echo "# + $*" >&2; "$@"; }

# die REASON...: print the reason, the tail of dmesg, "Bail out!" and exit 1
die() {
	echo "# FAIL: $*"
	dmesg 2>/dev/null | tail -n 15 | sed 's/^/# dmesg: /'
	echo "Bail out! $*"
	exit 1
}

# fail REASON...: same as die
fail() { die "$@"; }

# skip REASON...: skip the whole test (exit 4)
skip() {
	echo "# SKIP: $*"
	exit 4
}

# ktap_print_header: print the KTAP version line
ktap_print_header() { echo "TAP version 13"; }

# ktap_set_plan N: announce N test cases
ktap_set_plan() {
	KTAP_PLAN=$1
	echo "1..$1"
}

# ktap_test_pass NAME: report a passed test case
ktap_test_pass() {
	echo "ok $KTAP_TESTNUM $*"
	KTAP_TESTNUM=$((KTAP_TESTNUM + 1))
	KTAP_CNT_PASS=$((KTAP_CNT_PASS + 1))
}

# ktap_test_fail NAME: report a failed test case
ktap_test_fail() {
	echo "not ok $KTAP_TESTNUM $*"
	KTAP_TESTNUM=$((KTAP_TESTNUM + 1))
	KTAP_CNT_FAIL=$((KTAP_CNT_FAIL + 1))
}

# ktap_test_skip NAME REASON...: report a skipped test case
ktap_test_skip() {
	_name=$1
	shift
	echo "ok $KTAP_TESTNUM $_name # SKIP $*"
	KTAP_TESTNUM=$((KTAP_TESTNUM + 1))
	KTAP_CNT_SKIP=$((KTAP_CNT_SKIP + 1))
}

# ktap_test_result NAME CMD...: run CMD, report NAME as passed or failed by its status.
# CMD is one command: in `ktap_test_result x [ A ] && [ B ]` only A is asserted
# (B runs after the report); write `ktap_test_result x eval '[ A ] && [ B ]'`
ktap_test_result() {
	_name=$1
	shift
	if "$@"; then
		ktap_test_pass "$_name"
	else
		ktap_test_fail "$_name"
	fi
}

# ktap_finished: print totals, exit 0 if all passed, 1 if any failed (or the plan was missed), 4 if all skipped
ktap_finished() {
	_ran=$((KTAP_TESTNUM - 1))
	echo "# Totals: pass:$KTAP_CNT_PASS fail:$KTAP_CNT_FAIL xfail:0 xpass:0 skip:$KTAP_CNT_SKIP error:0"
	if [ -n "$KTAP_PLAN" ] && [ "$_ran" -ne "$KTAP_PLAN" ]; then
		echo "# Planned $KTAP_PLAN tests but ran $_ran"
		exit 1
	fi
	[ "$KTAP_CNT_FAIL" -eq 0 ] || exit 1
	if [ "$KTAP_CNT_SKIP" -gt 0 ] && [ "$KTAP_CNT_PASS" -eq 0 ]; then
		exit 4
	fi
	exit 0
}

# load_module [PARAM=VALUE...]: modprobe harepl, fail if it does not load
load_module() {
	modprobe harepl "$@" || die "modprobe harepl failed"
	[ -d /sys/module/harepl ] || die "harepl is not loaded after modprobe"
}

# unload_module: rmmod harepl, fail if it stays loaded
unload_module() {
	rmmod harepl || die "rmmod harepl failed"
	[ ! -d /sys/module/harepl ] || die "harepl is still loaded after rmmod"
}

# Kernel messages that fail any test.
HAREPL_BAD_DMESG='WARNING:|BUG:|Oops|KASAN|UBSAN|possible circular locking|inconsistent lock state|suspicious RCU usage|general protection fault|kmemleak:.*(new suspected|unreferenced object)'

# check_dmesg: fail if the kernel log has a warning, BUG, oops, sanitizer, lockdep or leak report
check_dmesg() {
	_bad=$(dmesg | grep -E "$HAREPL_BAD_DMESG") || return 0
	echo "$_bad" | sed 's/^/# /'
	die "kernel log has warnings or errors"
}

# kmemleak_scan: when kmemleak is available, scan and fail on any leak not reported before
kmemleak_scan() {
	_kml=/sys/kernel/debug/kmemleak
	if [ ! -w "$_kml" ]; then
		log "kmemleak unavailable, leak check skipped"
		return 0
	fi
	sleep 6 # objects younger than 5 s are never reported
	echo scan >"$_kml"
	echo scan >"$_kml"
	_leaks=$(cat "$_kml")
	echo clear >"$_kml"
	[ -z "$_leaks" ] && return 0
	echo "$_leaks" | sed 's/^/# /'
	die "kmemleak reports leaks"
}

# two_ns_setup: netns nsa (veth-a, 192.0.2.1/24) and nsb (veth-b, 192.0.2.2/24) joined by a veth pair
two_ns_setup() {
	modprobe veth || die "modprobe veth failed"
	ip netns add nsa || die "ip netns add nsa failed"
	ip netns add nsb || die "ip netns add nsb failed"
	ip link add veth-a netns nsa type veth peer name veth-b netns nsb ||
		die "creating the veth pair failed"
	ip -n nsa addr add 192.0.2.1/24 dev veth-a
	ip -n nsb addr add 192.0.2.2/24 dev veth-b
	for _ns in nsa nsb; do
		ip -n "$_ns" link set lo up
	done
	ip -n nsa link set veth-a up
	ip -n nsb link set veth-b up || die "bringing up the veth pair failed"
}

# two_ns_cleanup: delete the two namespaces (and with them the veth pair)
two_ns_cleanup() {
	ip netns del nsa 2>/dev/null
	ip netns del nsb 2>/dev/null
	return 0
}

# now_ms: uptime in milliseconds
now_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }

# wait_for CMD TIMEOUT_S: run the shell command CMD every 0.1 s until it succeeds (0) or TIMEOUT_S passes (1)
wait_for() {
	_wf_end=$(awk -v t="$2" '{ printf "%d", ($1 + t) * 100 }' /proc/uptime)
	while ! eval "$1"; do
		[ "$(awk '{ printf "%d", $1 * 100 }' /proc/uptime)" -lt "$_wf_end" ] || return 1
		sleep 0.1
	done
	return 0
}

# save_results FILE|DIR...: write them to the results disk /dev/vda; the host unpacks them to build/check/TEST/nodeN-results/
save_results() {
	tar -cf /dev/vda "$@" || die "save_results: tar failed"
	sync
}

# disk_md5 DEV SECTORS: md5 of the first SECTORS 512-byte sectors of DEV, read with O_DIRECT
disk_md5() {
	if [ $(($2 % 128)) -eq 0 ]; then
		dd if="$1" bs=65536 count=$(($2 / 128)) iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1
	else
		dd if="$1" bs=512 count="$2" iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1
	fi
}

# write_conf RES DISK META [Key=Value...]: write a harepl config for RES to
# $CONF (default /etc/harepl/RES.conf): NodeId 0 unless given, extra keys go
# into [Resource]
write_conf() {
	_wc_file=${CONF:-/etc/harepl/$1.conf}
	mkdir -p "${_wc_file%/*}"
	{
		echo "[Resource]"
		echo "Name = $1"
		echo "Disk = $2"
		echo "MetaDisk = $3"
		shift 3
		case " $* " in *" NodeId="*) ;; *) echo "NodeId = 0" ;; esac
		for _kv in "$@"; do
			echo "${_kv%%=*} = ${_kv#*=}"
		done
	} >"$_wc_file"
}

# --- replication between two namespaces of one VM -------------------------
# Node a: netns nsa, 192.0.2.1, NodeId 0, disk /dev/vdb, device r0a; node b:
# nsb, 192.0.2.2, NodeId 1, /dev/vdc, r0b. Resource r0, configs
# /etc/harepl/r0-a.conf and r0-b.conf. Helpers take the namespace (nsa|nsb).
REPL_SECRET_A=${REPL_SECRET_A:-s3cret}
REPL_SECRET_B=${REPL_SECRET_B:-s3cret}
REPL_SECTORS=
# The uuid both nodes' metadata get from repl_setup. The test disks are fresh
# zero images, hence identical: repl_setup declares them so (create-md
# --skip-initial-sync, same uuid, same generation, UpToDate). A test that
# wants unrelated data (a full initial sync) sets REPL_CREATE_MD_OPTS to the
# create-md options it wants instead (--force is always passed); set but
# empty means none.
REPL_UUID=${REPL_UUID:-2f0c5c3e-8d0e-4f7e-9b8a-6c1d2e3f4a5b}

# repl_conf NS MODE [Key=Value...]: write NS's config; the pairs go into [Peer]; the secret is $REPL_SECRET_A or _B
# (and the Key=Value pairs of $REPL_RESOURCE_KEYS, split on white space, into [Resource]); A's disk is /dev/vdb,
# B's $REPL_DISK_B (default /dev/vdc)
repl_conf() {
	_rc_ns=$1 _rc_mode=$2
	shift 2
	mkdir -p /etc/harepl
	if [ "$_rc_ns" = nsa ]; then
		set -- 0 1 1 2 /dev/vdb r0a "$REPL_SECRET_A" "$@"
	else
		set -- 1 0 2 1 "${REPL_DISK_B:-/dev/vdc}" r0b "$REPL_SECRET_B" "$@"
	fi
	{
		echo "[Resource]"
		echo "Name = r0"
		echo "Device = $6"
		echo "Disk = $5"
		echo "MetaDisk = internal"
		echo "NodeId = $1"
		echo "Address = 192.0.2.$3:7789"
		echo "Secret = $7"
		echo "Mode = $_rc_mode"
		for _rc_kv in ${REPL_RESOURCE_KEYS:-}; do
			echo "${_rc_kv%%=*} = ${_rc_kv#*=}"
		done
		echo
		echo "[Peer]"
		echo "NodeId = $2"
		echo "Address = 192.0.2.$4:7789"
		shift 7
		for _rc_kv in "$@"; do
			echo "${_rc_kv%%=*} = ${_rc_kv#*=}"
		done
	} >"/etc/harepl/r0-${_rc_ns#ns}.conf"
	chmod 600 "/etc/harepl/r0-${_rc_ns#ns}.conf"
}

# repl_ctl NS ARGS...: run hareplctl ARGS in namespace NS with that node's config
repl_ctl() {
	_ctl_ns=$1
	shift
	ip netns exec "$_ctl_ns" hareplctl -c "/etc/harepl/r0-${_ctl_ns#ns}.conf" "$@"
}

# repl_status NS FIELD: FIELD (a jq path such as role or peers[0].disk) of r0's status --json in NS
repl_status() {
	ip netns exec "$1" hareplctl status --json r0 2>/dev/null | jq -r ".$2" 2>/dev/null
}

# repl_peer NS FIELD: FIELD of the first peer of r0's status --json in NS
repl_peer() { repl_status "$1" "peers[0].$2"; }

# repl_num VALUE: VALUE if it is a non-negative integer, else -1 (so $(( )) cannot fail on "null")
repl_num() {
	case $1 in
	'' | *[!0-9]*) echo -1 ;;
	*) echo "$1" ;;
	esac
}

# repl_dump NS...: log each node's status, dm status and the tail of dmesg (diagnostics)
repl_dump() {
	for _rd_ns; do
		ip netns exec "$_rd_ns" hareplctl status --json r0 2>&1 | sed "s/^/# $_rd_ns: /"
		dmsetup status "r0${_rd_ns#ns}" 2>&1 | sed "s/^/# $_rd_ns: dm: /"
	done
	dmesg | grep 'harepl' | tail -n 8 | sed 's/^/# dmesg: /'
}

# repl_setup MODE [Key=Value...]: (module and namespaces if needed) both configs, create-md (the same uuid
# $REPL_UUID and --skip-initial-sync on both, or $REPL_CREATE_MD_OPTS), up, wait <= 20 s for both Connected,
# A primary --force; sets REPL_SECTORS
repl_setup() {
	_rs_mode=$1
	shift
	[ -d /sys/module/harepl ] || load_module
	[ -e /run/netns/nsa ] || two_ns_setup
	repl_conf nsa "$_rs_mode" "$@"
	repl_conf nsb "$_rs_mode" "$@"
	_rs_md=${REPL_CREATE_MD_OPTS-"--uuid $REPL_UUID --skip-initial-sync"}
	for _rs_ns in nsa nsb; do
		repl_ctl "$_rs_ns" create-md $_rs_md --force r0 >/dev/null ||
			die "$_rs_ns: create-md $_rs_md failed"
	done
	for _rs_ns in nsa nsb; do
		run repl_ctl "$_rs_ns" up r0 || { repl_dump "$_rs_ns"; die "$_rs_ns: up failed"; }
	done
	if ! wait_for '[ "$(repl_status nsa connection)" = Connected ] &&
			[ "$(repl_status nsb connection)" = Connected ]' 20; then
		repl_dump nsa nsb
		die "the nodes did not both become Connected within 20 s"
	fi
	run repl_ctl nsa primary --force r0 || die "nsa: primary --force failed"
	REPL_SECTORS=$(repl_ctl nsa dump-md --json r0 | jq -r .data_sectors)
	[ "$(repl_num "$REPL_SECTORS")" -gt 0 ] || die "no data_sectors from dump-md"
}

# repl_down: take r0 down on both nodes (a node where it is not up is fine); 1 if a down failed
repl_down() {
	_rdn=0
	for _rdn_ns in nsa nsb; do
		repl_ctl "$_rdn_ns" down r0 >/dev/null 2>&1
		case $? in
		0 | 4) ;;
		*) log "$_rdn_ns: down r0 failed"; _rdn=1 ;;
		esac
	done
	return $_rdn
}

# repl_wait_drained NS TIMEOUT_S: wait until NS's first peer has no write in flight and its bytes_sent grew < 512 in the last second
repl_wait_drained() {
	_wd_end=$(awk -v t="$2" '{ printf "%d", $1 + t }' /proc/uptime)
	_wd_prev=-1000000
	while :; do
		_wd_in=$(repl_num "$(repl_peer "$1" inflight)")
		_wd_sent=$(repl_num "$(repl_peer "$1" bytes_sent)")
		[ "$_wd_in" -eq 0 ] && [ $((_wd_sent - _wd_prev)) -lt 512 ] && return 0
		_wd_prev=$_wd_sent
		[ "$(awk '{ printf "%d", $1 }' /proc/uptime)" -lt "$_wd_end" ] || return 1
		sleep 1
	done
}

# repl_same_data SECTORS: log the md5 of the first SECTORS of vdb and vdc; true when they are equal
repl_same_data() {
	_sd_a=$(disk_md5 /dev/vdb "$1")
	_sd_b=$(disk_md5 /dev/vdc "$1")
	log "md5 of $1 sectors: vdb $_sd_a, vdc $_sd_b"
	[ -n "$_sd_a" ] && [ "$_sd_a" = "$_sd_b" ]
}

# zero_md5 SECTORS: the md5 of SECTORS zero sectors (what disk_md5 gives for a never written region)
zero_md5() {
	if [ $(($1 % 128)) -eq 0 ]; then
		dd if=/dev/zero bs=65536 count=$(($1 / 128)) 2>/dev/null | md5sum | cut -d' ' -f1
	else
		dd if=/dev/zero bs=512 count="$1" 2>/dev/null | md5sum | cut -d' ' -f1
	fi
}

# fio_json FILE FILTER: jq -r FILTER on the --output-format=json FILE of fio (skipping warnings before the JSON)
fio_json() { sed -n '/^{/,$p' "$1" | jq -r "$2"; }

# fio_writes DEV JOB [median]: fio JOB (options, word-split) writes and verifies DEV, logs exit, error, bytes (and median completion); true if it wrote without error, adding the bytes to WRITTEN
fio_writes() {
	fio $2 --filename="$1" --do_verify=1 --output-format=json \
		--output=/tmp/fio.json >/tmp/fio.err 2>&1
	_fw_rc=$?
	_fw_errs=$(fio_json /tmp/fio.json '.jobs[0].error')
	_fw_bytes=$(repl_num "$(fio_json /tmp/fio.json '.jobs[0].write.io_bytes')")
	_fw_p50=
	[ "${3:-}" != median ] ||
		_fw_p50=", median completion $(fio_json /tmp/fio.json '.jobs[0].write.clat_ns.percentile["50.000000"]')ns"
	log "fio exit $_fw_rc, error $_fw_errs, wrote $_fw_bytes bytes$_fw_p50"
	[ $_fw_rc -eq 0 ] && [ "$_fw_errs" = 0 ] && [ "$_fw_bytes" -gt 0 ] ||
		{ sed 's/^/# /' /tmp/fio.err; return 1; }
	WRITTEN=$((WRITTEN + _fw_bytes))
}

# fio_verify_only DISK JOB...: fio checks what each JOB (options, word-split) wrote on DISK (output in /tmp/vN.out, logged on failure); true if all verify
fio_verify_only() {
	_fv_disk=$1 _fv_n=0
	shift
	for _fv_job; do
		_fv_n=$((_fv_n + 1))
		fio $_fv_job --filename="$_fv_disk" --verify_only=1 >/tmp/v$_fv_n.out 2>&1 ||
			{ sed 's/^/# /' /tmp/v$_fv_n.out; return 1; }
	done
}

# kmsg_mark NAME: put "harepl-test: mark NAME" into the kernel log (for dmesg_since)
kmsg_mark() { echo "harepl-test: mark $1" >/dev/kmsg; }

# dmesg_since NAME: the kernel log from the line kmsg_mark NAME wrote on (the whole log if it is gone)
dmesg_since() {
	dmesg | awk -v m="harepl-test: mark $1" 'index($0, m) { n = NR } { l[NR] = $0 }
		END { for (i = n ? n : 1; i <= NR; i++) print l[i] }'
}

# vm_send PORT FILE: (two VMs) send FILE to the other VM's PORT, retrying for 60 s until it listens
vm_send() {
	_vs_peer=192.0.2.$((2 - HAREPL_NODE))
	wait_for "timeout 10 nc $_vs_peer $1 <'$2' 2>/dev/null" 60
}

# vm_receive PORT TIMEOUT_S FILE: (two VMs) wait for one connection on PORT, store what it sent in FILE.
# (busybox nc -l with its stdin at EOF quits after its first read from the
# network, so a message of more than one segment was cut: cat takes it all.)
vm_receive() {
	: >"$3"
	timeout "$2" nc -l -p "$1" -e /bin/sh -c "exec cat >'$3'" </dev/null
}

# vm_conf DISK SECRET MODE [Key=Value...]: (two VMs) /etc/harepl/r0.conf for this node and the other, extra keys in [Peer]
vm_conf() {
	_vc_peer=$((1 - HAREPL_NODE))
	mkdir -p /etc/harepl
	{
		printf '[Resource]\nName = r0\nDisk = %s\nMetaDisk = internal\n' "$1"
		printf 'NodeId = %s\nAddress = 192.0.2.%s:7789\n' "$HAREPL_NODE" $((HAREPL_NODE + 1))
		printf 'Secret = %s\nMode = %s\n\n[Peer]\n' "$2" "$3"
		printf 'NodeId = %s\nAddress = 192.0.2.%s:7789\n' "$_vc_peer" $((_vc_peer + 1))
		shift 3
		for _vc_kv in "$@"; do
			echo "${_vc_kv%%=*} = ${_vc_kv#*=}"
		done
	} >/etc/harepl/r0.conf
	chmod 600 /etc/harepl/r0.conf
}

# --- resync between the two namespaces --------------------------------------

# repl_jq NS FILTER: jq -r FILTER on r0's status --json in NS (empty if that fails)
repl_jq() { ip netns exec "$1" hareplctl status --json r0 2>/dev/null | jq -r "$2" 2>/dev/null; }

# repl_pnum NS FIELD: FIELD of NS's first peer as a number (-1 if it is not one)
repl_pnum() { repl_num "$(repl_peer "$1" "$2")"; }

# repl_both_split: nsa and nsb both report their peer as SplitBrain
repl_both_split() {
	[ "$(repl_peer nsa connection)" = SplitBrain ] && [ "$(repl_peer nsb connection)" = SplitBrain ]
}

# repl_peer_live NS: true if NS's first peer has a live connection (Connected, resyncing, verifying, Ahead, Behind)
repl_peer_live() {
	case $(repl_peer "$1" connection) in
	Connected | SyncSource | SyncTarget | VerifySource | VerifyTarget | Ahead | Behind) return 0 ;;
	esac
	return 1
}

# repl_link down|up: set both ends of the nsa-nsb veth pair down or up; "down" then waits <= 20 s
# (Timeout = 2s makes it quick) until neither node's peer connection is live
repl_link() {
	ip -n nsa link set veth-a "$1" && ip -n nsb link set veth-b "$1" || die "ip link set $1 failed"
	log "link $1"
	[ "$1" = down ] || return 0
	if ! wait_for '! repl_peer_live nsa && ! repl_peer_live nsb' 20; then
		repl_dump nsa nsb
		die "the nodes still see each other 20 s after the link went down"
	fi
}

# repl_wait_synced TIMEOUT_S: wait until, on both nodes, the peer is Connected, the disk UpToDate and
# nothing is out of sync for the peer (oos_bytes 0); every state seen meanwhile is appended to
# /tmp/repl-seen as "NS DISK PEERCONNECTION" (see repl_seen). On timeout: dump both nodes, return 1.
repl_wait_synced() {
	_ws_end=$(awk -v t="$1" '{ printf "%d", ($1 + t) * 100 }' /proc/uptime)
	while :; do
		_ws_ok=1
		for _ws_ns in nsa nsb; do
			_ws_st=$(repl_jq "$_ws_ns" '"\(.disk) \(.peers[0].connection) \(.peers[0].oos_bytes)"')
			echo "$_ws_ns ${_ws_st% *}" >>/tmp/repl-seen
			[ "$_ws_st" = "UpToDate Connected 0" ] || _ws_ok=0
		done
		[ $_ws_ok = 1 ] && return 0
		if [ "$(awk '{ printf "%d", $1 * 100 }' /proc/uptime)" -ge "$_ws_end" ]; then
			log "not in sync after $1 s"
			repl_dump nsa nsb
			return 1
		fi
		sleep 0.2
	done
}

# repl_seen NS DISK|PEERCONNECTION: true if repl_wait_synced saw NS in that disk or peer connection state
repl_seen() {
	awk -v ns="$1" -v st="$2" '$1 == ns && ($2 == st || $3 == st) { f = 1 } END { exit !f }' \
		/tmp/repl-seen 2>/dev/null
}

# repl_events_start NS...: record the events of each namespace (hareplctl events --json, at most
# 600 s) in /tmp/events-NS.json, in the background
repl_events_start() {
	for _es_ns; do
		ip netns exec "$_es_ns" hareplctl events --json --timeout 600 \
			>"/tmp/events-$_es_ns.json" 2>"/tmp/events-$_es_ns.err" &
		eval "REPL_EVPID_$_es_ns=$!"
	done
	sleep 1 # until they have joined the multicast group
}

# repl_events_stop NS...: stop the recorders repl_events_start started
repl_events_stop() {
	for _es_ns; do
		eval "_es_pid=\${REPL_EVPID_$_es_ns:-}"
		[ -n "$_es_pid" ] || continue
		kill "$_es_pid" 2>/dev/null
		wait "$_es_pid" 2>/dev/null
		eval "REPL_EVPID_$_es_ns="
	done
	return 0
}

# repl_event_seen NS JQ_CONDITION: true if an event recorded in NS satisfies JQ_CONDITION,
# e.g. '.event == "split-brain"'
repl_event_seen() {
	jq -c -R "fromjson? | select($2)" "/tmp/events-$1.json" 2>/dev/null | grep -q .
}

# repl_events_log NS: log the event, disk and peer connection of every event recorded in NS
repl_events_log() {
	jq -r -R 'fromjson? | "\(.seq) \(.event) \(.disk) \(.peers[0].connection // "-")"' \
		"/tmp/events-$1.json" 2>/dev/null | uniq -c -f1 | sed "s/^/# $1 events: /"
}

# region_md5 DEV OFFSET_KIB SIZE_KIB: md5 of SIZE_KIB KiB of DEV at OFFSET_KIB KiB (4 KiB-aligned), read with O_DIRECT
region_md5() {
	dd if="$1" bs=4096 skip=$(($2 / 4)) count=$(($3 / 4)) iflag=direct 2>/dev/null |
		md5sum | cut -d' ' -f1
}

# --- resource r0, one node per VM (two-VM tests) ---------------------------

# r0_field PATH: a field of `hareplctl status --json r0` (a jq path), empty if none
r0_field() { hareplctl status --json r0 2>/dev/null | jq -r ".$1" 2>/dev/null; }

# r0_pfield PATH: a field of r0's first peer
r0_pfield() { r0_field "peers[0].$1"; }

# r0_synced: this node sees the peer Connected, both disks UpToDate, nothing out of sync
r0_synced() {
	[ "$(r0_pfield connection)" = Connected ] && [ "$(r0_field disk)" = UpToDate ] &&
		[ "$(r0_pfield disk)" = UpToDate ] && [ "$(repl_num "$(r0_pfield oos_bytes)")" -eq 0 ]
}

# r0_dump: r0's status and the last harepl kernel messages, as KTAP comments
r0_dump() {
	hareplctl status --json r0 2>&1 | sed 's/^/# status: /'
	dmesg | grep harepl | tail -n 12 | sed 's/^/# dmesg: /'
}

# r0_data_md5: md5 of this node's data area, read from the backing disk /dev/vdb
r0_data_md5() { disk_md5 /dev/vdb "$(hareplctl dump-md --json r0 | jq -r .data_sectors)"; }

# --- killing and restarting VMs -------------------------------------------
# The runner (scripts/run-tests.sh) reads requests from each VM's control port
# (ttyS1). On "kill-restart" it SIGKILLs that VM's qemu (a power loss: what the
# guest flushed to its disks survives, nothing else) and boots it again with
# the same disks, MAC and address; the same script then runs with
# HAREPL_BOOT one higher and must branch on vm_boot. Only the last boot's
# exit code counts; KTAP results of a killed boot are lost, so report them
# from the other VM (vm_tell) or repeat them in a later boot.

# vm_boot: this VM's boot number: 1, then 2, 3, ... after each kill-restart
vm_boot() { echo "$HAREPL_BOOT"; }

# vm_kill_restart NODE: ask the runner to SIGKILL VM NODE and boot it again;
# returns once the request is written (the kill follows within about a
# second). For this VM's own NODE it never returns (it fails after 60 s).
vm_kill_restart() {
	case $1 in
	'' | *[!0-9]*) die "vm_kill_restart: bad node '$1'" ;;
	esac
	[ "$1" -lt "$HAREPL_VMS" ] || die "vm_kill_restart: no node$1 in $HAREPL_VMS VMs"
	[ "$(cat "/sys/class/tty/${HAREPL_CONTROL##*/}/type" 2>/dev/null)" != 0 ] ||
		die "vm_kill_restart: no control port $HAREPL_CONTROL (an old scripts/run-tests.sh?)"
	log "node$HAREPL_NODE (boot $HAREPL_BOOT): kill-restart node$1 at $(cut -d' ' -f1 /proc/uptime)s"
	echo "HAREPL-REQUEST kill-restart node$1" >"$HAREPL_CONTROL" ||
		die "vm_kill_restart: cannot write to $HAREPL_CONTROL"
	if [ "$1" = "$HAREPL_NODE" ]; then
		sleep 60
		die "vm_kill_restart: still alive 60 s after asking to be killed"
	fi
}

# vm_tell PORT MESSAGE...: (two VMs) send MESSAGE as one line to the other
# VM's PORT, retrying for 60 s while nothing listens (e.g. while it reboots)
vm_tell() {
	_vt_port=$1
	shift
	echo "$*" >/tmp/vm_tell.msg
	vm_send "$_vt_port" /tmp/vm_tell.msg
}

# vm_hear PORT TIMEOUT_S: (two VMs) wait for one connection on PORT and print
# the first line it sent; 1 if none came in time
vm_hear() {
	vm_receive "$1" "$2" /tmp/vm_hear.msg || return 1
	[ -s /tmp/vm_hear.msg ] || return 1
	head -n 1 /tmp/vm_hear.msg
}

# vm_back PORT [WORDS...]: (a restarted VM) tell the other VM on PORT that this
# node is up again: the line "back node<N> boot<B> WORDS..."
vm_back() {
	_vb_port=$1
	shift
	vm_tell "$_vb_port" "back node$HAREPL_NODE boot$HAREPL_BOOT${*:+ $*}"
}

# vm_wait_back PORT NODE BOOT TIMEOUT_S: (the surviving VM) wait until VM NODE
# says on PORT (vm_back) that it runs boot BOOT; prints its WORDS. Messages
# from other boots are logged and skipped.
vm_wait_back() {
	_wb_end=$(awk -v t="$4" '{ printf "%d", $1 + t }' /proc/uptime)
	while :; do
		_wb_left=$((_wb_end - $(awk '{ printf "%d", $1 }' /proc/uptime)))
		[ "$_wb_left" -gt 0 ] || return 1
		_wb_msg=$(vm_hear "$1" "$_wb_left") || return 1
		case "$_wb_msg " in
		"back node$2 boot$3 "*)
			_wb_msg=${_wb_msg#"back node$2 boot$3"}
			echo "${_wb_msg# }"
			return 0
			;;
		esac
		log "vm_wait_back: skipped '$_wb_msg' (waiting for node$2 boot$3)"
	done
}

# vm_peer_up TIMEOUT_S: (two VMs) wait until the other VM answers ping on eth0
vm_peer_up() {
	wait_for "ping -c 1 -W 1 192.0.2.$((2 - HAREPL_NODE)) >/dev/null 2>&1" "$1"
}

# vm_peer_down TIMEOUT_S: (two VMs) wait until the other VM stops answering ping (it was killed)
vm_peer_down() {
	wait_for "! ping -c 1 -W 1 192.0.2.$((2 - HAREPL_NODE)) >/dev/null 2>&1" "$1"
}
