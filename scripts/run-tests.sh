#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-tests.sh [-v] [-j JOBS] [TEST...] - boot qemu VMs and run the harepl
# tests in them.
#
# TEST is a name without .sh; by default every tests/*.sh with a header line
#	# harepl-test: vms=1 timeout=120 disks=256M,64M
# (the values shown are the defaults; also mem=MiB smp=N; disks=none for no
# disks). Each VM of a test gets fresh sparse disks vdb, vdc, ... (vda is a
# small results disk: files a test passes to save_results end up in
# build/check/<test>/node<N>-results/) and its console goes to
# build/check/<test>/console<N>.log. Two VMs are joined by a qemu dgram
# netdev over two unix datagram sockets in build/check/<test>/ (either VM can
# be killed and booted again). Output is KTAP; -v also streams the guest
# consoles. Exit status 0 only if no test failed.
#
# One-VM tests run JOBS at a time (-j, or HAREPL_JOBS; default: the host's
# CPUs, at most 2; -v runs one at a time), then the two-VM tests one at a
# time. Tests are numbered in that order and their results are printed in
# it, each test's lines together (build/check/.out/<number> keeps them).
#
# Kill-restart: a guest that writes "HAREPL-REQUEST kill-restart node<N>" to
# its control port (ttyS1, build/check/<test>/control<N>.log; vm_kill_restart
# in tests/lib.sh) makes the runner SIGKILL VM N's qemu and boot it again with
# the same disks, MAC and address, and harepl_boot= one higher (HAREPL_BOOT in
# the guest). The killed boot's logs become console<N>.boot<B>.log,
# qemu<N>.boot<B>.err and control<N>.boot<B>.log; a VM's result is the
# HAREPL-RESULT of its last boot, but an earlier boot that ended with a
# failure (instead of being killed) fails the test too. The test's timeout
# covers all boots.
#
# Environment: INITRAMFS (default build/initramfs.cpio, built when missing),
# KVER, KERNEL (default /boot/vmlinuz-$KVER), QEMU, HAREPL_APPEND (more
# kernel command line, e.g. harepl_loglevel=7), HAREPL_NET (two-VM link:
# unix, the default; udp, a dgram netdev over UDP on 127.0.0.1; tcp, the old
# socket netdev, node0 listening on 127.0.0.1 and node1 connecting; tcp
# cannot restart VMs).
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
# paths given in the environment are relative to where we were started
[ -z "${INITRAMFS:-}" ] || INITRAMFS=$(realpath -m "$INITRAMFS")
[ -z "${KERNEL:-}" ] || KERNEL=$(realpath -m "$KERNEL")
cd "$SRC"
export PATH="$PATH:/usr/sbin:/sbin"

VERBOSE=0
JOBS=${HAREPL_JOBS:-}
usage() { echo "usage: $0 [-v] [-j JOBS] [TEST...]" >&2; exit 2; }
while getopts vj:h opt; do
	case $opt in
	v) VERBOSE=1 ;;
	j) JOBS=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))

die() { echo "run-tests: $*" >&2; exit 2; }

# one-VM tests at a time: one per host CPU, at most two
if [ -z "$JOBS" ]; then
	JOBS=$(nproc 2>/dev/null || echo 1)
	[ "$JOBS" -le 2 ] || JOBS=2
fi
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || die "-j $JOBS: must be a number of tests, 1 or more"
# live consoles of two tests at once would be unreadable
[ "$VERBOSE" -eq 0 ] || JOBS=1

KVER=$("$(dirname "$0")/kver.sh")
KERNEL=${KERNEL:-/boot/vmlinuz-$KVER}
QEMU=${QEMU:-qemu-system-x86_64}
INITRAMFS=${INITRAMFS:-build/initramfs.cpio}
CHECKDIR=build/check

[ -r "$KERNEL" ] || die "cannot read $KERNEL (run as root, or chmod a+r it)"
command -v "$QEMU" >/dev/null || die "$QEMU not found (run scripts/install-deps.sh)"
NET=${HAREPL_NET:-unix}
case $NET in
unix | udp | tcp) ;;
*) die "HAREPL_NET=$NET: must be unix, udp or tcp" ;;
esac
# the dgram netdev is new in qemu 7.2
if [ "$NET" != tcp ] && ! "$QEMU" -netdev help 2>/dev/null | grep -qx dgram; then
	echo "# note: $QEMU has no dgram netdev; two VMs use the tcp socket netdev (no restarts)" >&2
	NET=tcp
fi
if [ ! -f "$INITRAMFS" ]; then
	echo "# $INITRAMFS missing; building it" >&2
	KVER=$KVER scripts/mkinitramfs.sh "$INITRAMFS" >&2
fi

# Which tests
TESTS=()
if [ $# -gt 0 ]; then
	for t in "$@"; do
		t=${t%.sh}
		t=${t#tests/}
		[ -f "tests/$t.sh" ] || die "no such test: tests/$t.sh"
		# once: two runs of a test at once would share its directory
		[[ " ${TESTS[*]} " == *" $t "* ]] || TESTS+=("$t")
	done
else
	for f in tests/*.sh; do
		grep -q '^# harepl-test:' "$f" && TESTS+=("$(basename "$f" .sh)")
	done
fi
[ ${#TESTS[@]} -gt 0 ] || die "no tests found"

stale=$(find tests scripts kernel/harepl.ko userspace/hareplctl -newer "$INITRAMFS" \
	\( -name '*.sh' -o -name '*.conf' -o -name init -o -name harepl.ko -o -name hareplctl \) \
	2>/dev/null | head -n 3 | tr '\n' ' ')
[ -z "$stale" ] || echo "# note: newer than $INITRAMFS: $stale(rebuild with scripts/mkinitramfs.sh)" >&2

mkdir -p "$CHECKDIR"
# O_DIRECT (cache=none) keeps what the guest flushed and nothing else
CACHE=none
if ! dd if=/dev/zero of="$CHECKDIR/.odirect" bs=4096 count=1 oflag=direct 2>/dev/null; then
	CACHE=writeback
	echo "# note: O_DIRECT unsupported under $CHECKDIR; disks use cache=writeback" >&2
fi
rm -f "$CHECKDIR/.odirect"

# Process bookkeeping: kill every VM we started on any exit
PIDS=()
TAILS=()
cleanup() {
	local p
	for p in "${PIDS[@]}" "${TAILS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
}
now_ms() { date +%s%3N; }

# alive PID: is the process still running?
alive() { kill -0 "$1" 2>/dev/null; }

# free_port: a TCP port on 127.0.0.1 that nobody listens on
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		if ! ss -Htln 2>/dev/null | awk '{ print $4 }' | grep -q ":$p\$"; then
			echo "$p"
			return
		fi
	done
}

# listening PORT: does something listen on 127.0.0.1:PORT?
listening() { ss -Htln 2>/dev/null | awk '{ print $4 }' | grep -q "^127.0.0.1:$1\$"; }

# result_of LOG: the guest's exit code, or empty if it printed none
result_of() { tr -d '\r' <"$1" | sed -n 's/.*HAREPL-RESULT \([0-9][0-9]*\).*/\1/p' | tail -n 1; }

# kernel_errors LOG: kernel lines that fail a test whatever the script said
KERNEL_BAD='WARNING:|BUG:|Oops|KASAN|UBSAN|possible circular locking|inconsistent lock state|suspicious RCU usage|general protection fault|Kernel panic|blocked for more than'
kernel_errors() {
	tr -d '\r' <"$1" | grep -v '^#' | grep -E "\[ *[0-9]+\.[0-9]{6}\].*($KERNEL_BAD)" | head -n 5 || true
}

# start_vm TEST DIR NODE VMS TIMEOUT MEM SMP BOOT NETARGS... : boot one VM in
# the background, sets VMPID and PIDS[NODE]
start_vm() {
	local t=$1 dir=$2 node=$3 vms=$4 timeout=$5 mem=$6 smp=$7 boot=$8
	shift 8
	local drives=() img tag=node$node
	[ "$boot" -eq 1 ] || tag="node$node boot$boot"
	for img in "$dir"/node"$node"-vd?.img; do
		[ -f "$img" ] && drives+=(-drive "file=$img,if=virtio,format=raw,cache=$CACHE")
	done
	: >"$dir/console$node.log"
	: >"$dir/control$node.log"
	# no_timer_check: under host load TCG is too slow for the kernel's boot
	# check of the IO-APIC timer, which then panics ("IO-APIC + timer
	# doesn't work!")
	"$QEMU" -accel tcg,thread=multi -cpu max -m "$mem" -smp "$smp" \
		-nodefaults -display none -monitor none -no-reboot \
		-kernel "$KERNEL" -initrd "$INITRAMFS" \
		-append "console=ttyS0 quiet panic=-1 no_timer_check harepl_test=$t harepl_node=$node harepl_vms=$vms harepl_timeout=$timeout harepl_boot=$boot ${HAREPL_APPEND:-}" \
		-serial "file:$dir/console$node.log" \
		-serial "file:$dir/control$node.log" \
		"${drives[@]}" "$@" \
		</dev/null >"$dir/qemu$node.err" 2>&1 &
	VMPID=$!
	PIDS[node]=$VMPID
	if [ "$VERBOSE" -eq 1 ]; then
		(tail --pid="$VMPID" -s 0.2 -n +1 -F "$dir/console$node.log" 2>/dev/null |
			sed -u -e 's/\r$//' -e "s/^/# [$tag] /") &
		TAILS+=($!)
	fi
}

# net_args DIR NODE: the netdev and NIC options of NODE of two VMs (unix, udp), in NETARGS
net_args() {
	local dir=$1 n=$2 p=$((1 - $2))
	case $NET in
	unix)
		NETARGS=(-netdev "dgram,id=n0,local.type=unix,local.path=$dir/net$n.sock,remote.type=unix,remote.path=$dir/net$p.sock") ;;
	udp)
		NETARGS=(-netdev "dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=${UDP_PORTS[n]},remote.type=inet,remote.host=127.0.0.1,remote.port=${UDP_PORTS[p]}") ;;
	esac
	NETARGS+=(-device "virtio-net-pci,netdev=n0,mac=52:54:00:00:00:0$n")
}

# free_udp_port: a UDP port on 127.0.0.1 that nobody has bound
free_udp_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		if ! ss -Huln 2>/dev/null | awk '{ print $4 }' | grep -q ":$p\$"; then
			echo "$p"
			return
		fi
	done
}

# start_node N: boot VM N of the current test (boot number BOOTS[N]) with its network
start_node() {
	local n=$1 left=$timeout
	NETARGS=(-nic none)
	[ "$vms" -eq 1 ] || net_args "$dir" "$n"
	# a restarted VM gets what is left of the test's timeout (at least 10 s)
	if [ "${BOOTS[n]}" -gt 1 ]; then
		left=$((timeout - ($(now_ms) - t0) / 1000))
		[ "$left" -ge 10 ] || left=10
	fi
	start_vm "$t" "$dir" "$n" "$vms" "$left" "$mem" "$smp" "${BOOTS[n]}" "${NETARGS[@]}"
}

# kill_restart N: SIGKILL VM N's qemu, keep its logs as *.boot<B>.*, boot it
# again with the same disks and network; 1 (reason in RESTART_ERR) if it cannot
kill_restart() {
	local n=$1 b=${BOOTS[$1]} f
	if [ "$vms" -gt 1 ] && [ "$NET" = tcp ]; then
		RESTART_ERR="node$n cannot be restarted with HAREPL_NET=tcp (use unix or udp)"
		return 1
	fi
	kill -KILL "${PIDS[n]}" 2>/dev/null || true
	wait "${PIDS[n]}" 2>/dev/null || true
	for f in console control; do
		mv "$dir/$f$n.log" "$dir/$f$n.boot$b.log"
	done
	mv "$dir/qemu$n.err" "$dir/qemu$n.boot$b.err"
	REQS[n]=0
	BOOTS[n]=$((b + 1))
	RESTARTS="$RESTARTS node$n@$((($(now_ms) - t0) / 1000))s"
	start_node "$n"
}

# poll_requests: carry out the first request a VM wrote on its control port
# since the last call; 1 (reason in RESTART_ERR) if one cannot be done
poll_requests() {
	local n i line target
	for ((n = 0; n < vms; n++)); do
		[ -s "$dir/control$n.log" ] || continue
		i=0
		# read skips a last line that has no newline yet
		while IFS= read -r line; do
			i=$((i + 1))
			[ "$i" -gt "${REQS[n]}" ] || continue
			REQS[n]=$i
			line=${line%$'\r'}
			target=${line#HAREPL-REQUEST kill-restart node}
			if [[ $line == "HAREPL-REQUEST kill-restart node"* && $target =~ ^[0-9]+$ ]] &&
				[ "$target" -lt "$vms" ]; then
				[ "$VERBOSE" -eq 0 ] ||
					echo "# [runner] node$n asks: kill-restart node$target (boot ${BOOTS[target]})"
				kill_restart "$target"
				return
			fi
			RESTART_ERR="node$n: bad request on its control port: '$line'"
			return 1
		done <"$dir/control$n.log"
	done
	return 0
}

# parse_header TEST: the test's header fields into vms, timeout, disks, mem
# and smp; 1 (with the header in HEADER) if they are not valid
parse_header() {
	local kv
	vms=1 timeout=120 disks=256M,64M mem=1024 smp=2
	HEADER=$(grep -m1 '^# harepl-test:' "tests/$1.sh" || true)
	for kv in ${HEADER#*:}; do
		case $kv in
		vms=* | timeout=* | disks=* | mem=* | smp=*) declare -g "${kv%%=*}=${kv#*=}" ;;
		*) echo "# $1: unknown header field '$kv' ignored" ;;
		esac
	done
	[[ $vms =~ ^[12]$ && $timeout =~ ^[0-9]+$ ]]
}

# run_one NUM TEST: boot TEST's VMs, wait for them and print its KTAP result
# line (ok NUM TEST, not ok NUM TEST or ok NUM TEST # SKIP) and its notes.
# Runs in a subshell of its own: its VMs die with it.
run_one() {
	local NUM=$1 t=$2
	PIDS=()
	TAILS=()
	trap cleanup EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
	if ! parse_header "$t"; then
		echo "not ok $NUM $t"
		echo "# bad header: '$HEADER' (vms must be 1 or 2, timeout in seconds)"
		return
	fi

	dir=$CHECKDIR/$t
	rm -rf "$dir"
	mkdir -p "$dir"
	for ((n = 0; n < vms; n++)); do
		# vda: the results disk (see save_results in tests/lib.sh)
		truncate -s 32M "$dir/node$n-vda.img"
		letter=b
		if [ "$disks" != none ]; then
			for size in ${disks//,/ }; do
				truncate -s "$size" "$dir/node$n-vd$letter.img"
				letter=$(echo "$letter" | tr a-y b-z)
			done
		fi
	done

	PIDS=()
	TAILS=()
	BOOTS=()
	REQS=()
	RESTARTS=""
	RESTART_ERR=""
	why=""
	for ((n = 0; n < vms; n++)); do
		BOOTS[n]=1
		REQS[n]=0
	done
	t0=$(now_ms)
	if [ "$vms" -eq 1 ] || [ "$NET" = unix ]; then
		for ((n = 0; n < vms; n++)); do
			start_node "$n"
		done
	elif [ "$NET" = udp ]; then
		UDP_PORTS=("$(free_udp_port)" "$(free_udp_port)")
		start_node 0
		start_node 1
	else
		# the listener first; retry if another process grabbed its port
		for _ in 1 2 3 4 5; do
			port=$(free_port)
			start_vm "$t" "$dir" 0 2 "$timeout" "$mem" "$smp" 1 \
				-netdev "socket,id=n0,listen=127.0.0.1:$port" \
				-device virtio-net-pci,netdev=n0,mac=52:54:00:00:00:00
			for ((i = 0; i < 100; i++)); do
				listening "$port" && break
				alive "$VMPID" || break
				sleep 0.1
			done
			listening "$port" && break
			kill -KILL "$VMPID" 2>/dev/null || true
			wait "$VMPID" 2>/dev/null || true
			PIDS=()
			why="node0 did not listen on 127.0.0.1:$port: $(head -c 300 "$dir/qemu0.err")"
		done
		if listening "$port"; then
			why=""
			start_vm "$t" "$dir" 1 2 "$timeout" "$mem" "$smp" 1 \
				-netdev "socket,id=n0,connect=127.0.0.1:$port" \
				-device virtio-net-pci,netdev=n0,mac=52:54:00:00:00:01
		fi
	fi

	# wait for every VM; kill all at timeout+30 s, or 60 s after a VM failed
	deadline=$((t0 + (timeout + 30) * 1000))
	timed_out=0
	while :; do
		# a guest's kill-restart request (a failed one ends the test)
		if ! poll_requests; then
			why=" $RESTART_ERR;"
			for p in "${PIDS[@]}"; do
				kill -KILL "$p" 2>/dev/null || true
			done
			break
		fi
		running=0
		for ((n = 0; n < ${#PIDS[@]}; n++)); do
			if alive "${PIDS[n]}"; then
				running=$((running + 1))
			elif [ "${#PIDS[@]}" -gt 1 ]; then
				r=$(result_of "$dir/console$n.log")
				if [ "$r" != 0 ] && [ "$r" != 4 ]; then
					d=$(($(now_ms) + 60000))
					[ "$d" -ge "$deadline" ] || deadline=$d
				fi
			fi
		done
		[ "$running" -gt 0 ] || break
		if [ "$(now_ms)" -ge "$deadline" ]; then
			timed_out=1
			for p in "${PIDS[@]}"; do
				kill -KILL "$p" 2>/dev/null || true
			done
			break
		fi
		sleep 0.2
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	for p in "${TAILS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	wall=$(($(now_ms) - t0))

	# files the guests saved with save_results
	for ((n = 0; n < vms; n++)); do
		img=$dir/node$n-vda.img
		if [ -s "$img" ] && [ -n "$(tar -tf "$img" 2>/dev/null | head -n 1)" ]; then
			mkdir -p "$dir/node$n-results"
			tar -xf "$img" -C "$dir/node$n-results" 2>/dev/null ||
				echo "# $t: node$n: could not unpack the results disk"
		fi
	done

	# verdict
	results=()
	verdict=pass
	[ -z "$why" ] || verdict=fail
	[ "${#PIDS[@]}" -eq "$vms" ] || verdict=fail
	for ((n = 0; n < vms; n++)); do
		log=$dir/console$n.log
		[ -f "$log" ] || : >"$log"
		r=$(result_of "$log")
		results+=("${r:-none}")
		case $r in
		0) ;;
		4) [ "$verdict" = fail ] || verdict=skip ;;
		124 | 137 | 143)
			verdict=fail
			why="$why node$n: timed out in the guest after ${timeout}s;"
			;;
		"")
			verdict=fail
			if [ $timed_out -eq 1 ]; then
				why="$why node$n: timeout (killed after $((wall / 1000))s);"
			else
				why="$why node$n: no HAREPL-RESULT (crashed or panicked?);"
			fi
			;;
		*)
			verdict=fail
			why="$why node$n: exit code $r;"
			;;
		esac
		# earlier boots: killed (no result) is fine, a failed script is not
		for ((b = 1; b < ${BOOTS[n]:-1}; b++)); do
			r=$(result_of "$dir/console$n.boot$b.log")
			case $r in
			"" | 0 | 4) ;;
			*)
				verdict=fail
				why="$why node$n: boot $b ended with exit code $r before it was restarted;"
				;;
			esac
		done
		errs=$(for log in "$dir/console$n".boot*.log "$dir/console$n.log"; do
			[ -f "$log" ] && kernel_errors "$log"
		done)
		if [ -n "$errs" ]; then
			verdict=fail
			why="$why node$n: kernel reported errors (the test fails even if its script passed): $(echo "$errs" | head -n 1);"
		fi
	done

	case $verdict in
	pass)
		echo "ok $NUM $t"
		rm -f "$dir"/*.img "$dir"/*.sock
		;;
	skip)
		reason=$(tr -d '\r' <"$dir/console0.log" | sed -n 's/^# SKIP: //p' | head -n 1)
		echo "ok $NUM $t # SKIP ${reason:-all test cases skipped}"
		rm -f "$dir"/*.img "$dir"/*.sock
		;;
	*)
		echo "not ok $NUM $t"
		echo "# $t:$why"
		for ((n = 0; n < vms; n++)); do
			for ((b = 1; b < ${BOOTS[n]:-1}; b++)); do
				echo "# ---- node$n: last 10 lines of $dir/console$n.boot$b.log (before its restart) ----"
				tr -d '\r' <"$dir/console$n.boot$b.log" | tail -n 10 | sed 's/^/# /'
			done
			echo "# ---- node$n: last 40 lines of $dir/console$n.log ----"
			tr -d '\r' <"$dir/console$n.log" | tail -n 40 | sed 's/^/# /'
			if [ -s "$dir/qemu$n.err" ]; then
				echo "# ---- node$n: qemu stderr ----"
				tail -n 10 "$dir/qemu$n.err" | sed 's/^/# /'
			fi
		done
		;;
	esac
	boots=""
	for ((n = 0; n < vms; n++)); do
		b=$(tr -d '\r' <"$dir/console$n.log" | sed -n 's/^# harepl: .* up \([0-9.]*\)s$/\1/p' | head -n 1)
		boots="$boots node$n boot ${b:-?}s,"
	done
	[ -z "$RESTARTS" ] || boots="$boots restarts$RESTARTS,"
	echo "# $t: ${boots# } wall $((wall / 1000)).$(printf '%03d' $((wall % 1000)) | cut -c1)s, results ${results[*]}"
	# all waited for: cleanup must not signal their (reusable) pids
	PIDS=()
	TAILS=()
}
NPASS=0
NFAIL=0
NSKIP=0

# Order: the one-VM tests first, JOBS at a time; then the two-VM tests, one
# at a time (two guests already take two host CPUs, and a test that kills
# and restarts a VM is the most sensitive to a loaded host).
ONE=()
TWO=()
for t in "${TESTS[@]}"; do
	if parse_header "$t" >/dev/null && [ "$vms" -eq 2 ]; then
		TWO+=("$t")
	else
		ONE+=("$t")
	fi
done
ORDER=("${ONE[@]}" "${TWO[@]}")

OUTDIR=$CHECKDIR/.out
rm -rf "$OUTDIR"
mkdir -p "$OUTDIR"
declare -A RUNNING=() # subshell pid -> test number
ENDED=()
NEXT=1

# tally NUM: count test NUM's result from its KTAP line
tally() {
	local line
	line=$(grep -m1 -E '^(not )?ok [0-9]+ ' "$OUTDIR/$1" || true)
	case $line in
	"ok "*"# SKIP"*) NSKIP=$((NSKIP + 1)) ;;
	"ok "*) NPASS=$((NPASS + 1)) ;;
	*)
		NFAIL=$((NFAIL + 1))
		# a runner that died before its verdict still counts, and says so
		[ -n "$line" ] || printf 'not ok %s %s\n# %s: the runner died before a verdict\n' \
			"$1" "${ORDER[$1 - 1]}" "${ORDER[$1 - 1]}"
		;;
	esac
}

# flush: print, in order, the results of the tests that ended
flush() {
	while [ "${ENDED[NEXT]:-0}" -eq 1 ]; do
		[ "$JOBS" -eq 1 ] || cat "$OUTDIR/$NEXT"
		tally "$NEXT"
		NEXT=$((NEXT + 1))
	done
}

# ended PID: test PID's subshell ended
ended() {
	ENDED[${RUNNING[$1]}]=1
	unset "RUNNING[$1]"
}

# reap: wait for one running test to end (flush prints it)
reap() {
	local pid="" p
	wait -n -p pid "${!RUNNING[@]}" || true
	if [ -n "${pid:-}" ] && [ -n "${RUNNING[$pid]:-}" ]; then
		ended "$pid"
	else
		# bash reaped it behind wait's back (killed by a signal), or
		# this bash has no wait -p (before 5.1): find it by polling
		local found=0
		for p in "${!RUNNING[@]}"; do
			kill -0 "$p" 2>/dev/null && continue
			wait "$p" 2>/dev/null || true
			ended "$p"
			found=1
		done
		[ "$found" -eq 1 ] || sleep 0.2
	fi
}

stop_all() {
	local p
	# every background job: a test's subshell, or the tail showing it
	for p in "${!RUNNING[@]}" $(jobs -p); do
		kill -TERM "$p" 2>/dev/null || true
	done
	wait
}
trap 'stop_all; cleanup' EXIT
trap 'echo "# interrupted" >&2; exit 130' INT TERM

echo "TAP version 13"
echo "1..${#ORDER[@]}"
num=0
for t in "${ORDER[@]}"; do
	num=$((num + 1))
	vms=1
	[ "$num" -le "${#ONE[@]}" ] || vms=2
	# a two-VM test runs alone, and so does every test with -j 1
	limit=$JOBS
	[ "$vms" -eq 1 ] || limit=1
	while [ "${#RUNNING[@]}" -ge "$limit" ]; do
		reap
		flush
	done
	: >"$OUTDIR/$num"
	(run_one "$num" "$t") >"$OUTDIR/$num" 2>&1 &
	RUNNING[$!]=$num
	if [ "$JOBS" -eq 1 ]; then
		# one at a time: show its lines as they come (-v: the consoles)
		tail --pid="$!" -s 0.2 -n +1 -f "$OUTDIR/$num" &
		TAILPID=$!
		reap
		wait "$TAILPID" 2>/dev/null || true
		flush
	elif [ "$vms" -ne 1 ]; then
		reap
		flush
	fi
done
while [ "${#RUNNING[@]}" -gt 0 ]; do
	reap
	flush
done

summary="$NPASS passed, $NFAIL failed"
[ "$NSKIP" -eq 0 ] || summary="$summary, $NSKIP skipped"
echo "$summary"
[ "$NFAIL" -eq 0 ]
