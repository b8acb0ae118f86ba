#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-tests.sh [-v] [TEST...] - boot qemu VMs and run the harepl tests in them.
#
# TEST is a name without .sh; by default every tests/*.sh with a header line
#	# harepl-test: vms=1 timeout=120 disks=256M,64M
# (the values shown are the defaults; also mem=MiB smp=N; disks=none for no
# disks). Each VM of a test gets fresh sparse disks vdb, vdc, ... (vda is a
# small results disk: files a test passes to save_results end up in
# build/check/<test>/node<N>-results/) and its console goes to
# build/check/<test>/console<N>.log. Two VMs are joined by a
# qemu socket netdev on 127.0.0.1. Output is KTAP; -v also streams the guest
# consoles. Exit status 0 only if no test failed.
#
# Environment: INITRAMFS (default build/initramfs.cpio, built when missing),
# KVER, KERNEL (default /boot/vmlinuz-$KVER), QEMU, HAREPL_APPEND (more
# kernel command line, e.g. harepl_loglevel=7).
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
# paths given in the environment are relative to where we were started
[ -z "${INITRAMFS:-}" ] || INITRAMFS=$(realpath -m "$INITRAMFS")
[ -z "${KERNEL:-}" ] || KERNEL=$(realpath -m "$KERNEL")
cd "$SRC"
export PATH="$PATH:/usr/sbin:/sbin"

VERBOSE=0
usage() { echo "usage: $0 [-v] [TEST...]" >&2; exit 2; }
while getopts vh opt; do
	case $opt in
	v) VERBOSE=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))

die() { echo "run-tests: $*" >&2; exit 2; }

KVER=$("$(dirname "$0")/kver.sh")
KERNEL=${KERNEL:-/boot/vmlinuz-$KVER}
QEMU=${QEMU:-qemu-system-x86_64}
INITRAMFS=${INITRAMFS:-build/initramfs.cpio}
CHECKDIR=build/check

[ -r "$KERNEL" ] || die "cannot read $KERNEL (run as root, or chmod a+r it)"
command -v "$QEMU" >/dev/null || die "$QEMU not found (run scripts/install-deps.sh)"
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
		TESTS+=("$t")
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
trap cleanup EXIT
trap 'echo "# interrupted" >&2; exit 130' INT TERM

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

# start_vm TEST DIR NODE VMS TIMEOUT MEM SMP NETARGS... : boot one VM in the background, sets VMPID
start_vm() {
	local t=$1 dir=$2 node=$3 vms=$4 timeout=$5 mem=$6 smp=$7
	shift 7
	local drives=() img
	for img in "$dir"/node"$node"-vd?.img; do
		[ -f "$img" ] && drives+=(-drive "file=$img,if=virtio,format=raw,cache=$CACHE")
	done
	: >"$dir/console$node.log"
	"$QEMU" -accel tcg,thread=multi -cpu max -m "$mem" -smp "$smp" \
		-nodefaults -display none -monitor none -no-reboot \
		-kernel "$KERNEL" -initrd "$INITRAMFS" \
		-append "console=ttyS0 quiet panic=-1 harepl_test=$t harepl_node=$node harepl_vms=$vms harepl_timeout=$timeout ${HAREPL_APPEND:-}" \
		-serial "file:$dir/console$node.log" \
		"${drives[@]}" "$@" \
		</dev/null >"$dir/qemu$node.err" 2>&1 &
	VMPID=$!
	PIDS+=("$VMPID")
	if [ "$VERBOSE" -eq 1 ]; then
		(tail --pid="$VMPID" -s 0.2 -n +1 -F "$dir/console$node.log" 2>/dev/null |
			sed -u -e 's/\r$//' -e "s/^/# [node$node] /") &
		TAILS+=($!)
	fi
}

NPASS=0
NFAIL=0
NSKIP=0
NUM=0
echo "TAP version 13"
echo "1..${#TESTS[@]}"

for t in "${TESTS[@]}"; do
	NUM=$((NUM + 1))
	vms=1 timeout=120 disks=256M,64M mem=1024 smp=2
	header=$(grep -m1 '^# harepl-test:' "tests/$t.sh" || true)
	for kv in ${header#*:}; do
		case $kv in
		vms=* | timeout=* | disks=* | mem=* | smp=*) declare "${kv%%=*}=${kv#*=}" ;;
		*) echo "# $t: unknown header field '$kv' ignored" ;;
		esac
	done
	if ! [[ $vms =~ ^[12]$ && $timeout =~ ^[0-9]+$ ]]; then
		echo "not ok $NUM $t"
		echo "# bad header: '$header' (vms must be 1 or 2, timeout in seconds)"
		NFAIL=$((NFAIL + 1))
		continue
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
	why=""
	t0=$(now_ms)
	if [ "$vms" -eq 1 ]; then
		start_vm "$t" "$dir" 0 1 "$timeout" "$mem" "$smp" -nic none
	else
		# the listener first; retry if another process grabbed its port
		for _ in 1 2 3 4 5; do
			port=$(free_port)
			start_vm "$t" "$dir" 0 2 "$timeout" "$mem" "$smp" \
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
			start_vm "$t" "$dir" 1 2 "$timeout" "$mem" "$smp" \
				-netdev "socket,id=n0,connect=127.0.0.1:$port" \
				-device virtio-net-pci,netdev=n0,mac=52:54:00:00:00:01
		fi
	fi

	# wait for every VM; kill all at timeout+30 s, or 60 s after a VM failed
	deadline=$((t0 + (timeout + 30) * 1000))
	timed_out=0
	while :; do
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
		errs=$(kernel_errors "$log")
		if [ -n "$errs" ]; then
			verdict=fail
			why="$why node$n: kernel reported errors (the test fails even if its script passed): $(echo "$errs" | head -n 1);"
		fi
	done

	case $verdict in
	pass)
		echo "ok $NUM $t"
		NPASS=$((NPASS + 1))
		rm -f "$dir"/*.img
		;;
	skip)
		reason=$(tr -d '\r' <"$dir/console0.log" | sed -n 's/^# SKIP: //p' | head -n 1)
		echo "ok $NUM $t # SKIP ${reason:-all test cases skipped}"
		NSKIP=$((NSKIP + 1))
		rm -f "$dir"/*.img
		;;
	*)
		echo "not ok $NUM $t"
		echo "# $t:$why"
		for ((n = 0; n < vms; n++)); do
			echo "# ---- node$n: last 40 lines of $dir/console$n.log ----"
			tr -d '\r' <"$dir/console$n.log" | tail -n 40 | sed 's/^/# /'
			if [ -s "$dir/qemu$n.err" ]; then
				echo "# ---- node$n: qemu stderr ----"
				tail -n 10 "$dir/qemu$n.err" | sed 's/^/# /'
			fi
		done
		NFAIL=$((NFAIL + 1))
		;;
	esac
	boots=""
	for ((n = 0; n < vms; n++)); do
		b=$(tr -d '\r' <"$dir/console$n.log" | sed -n 's/^# harepl: .* up \([0-9.]*\)s$/\1/p' | head -n 1)
		boots="$boots node$n boot ${b:-?}s,"
	done
	echo "# $t: ${boots# } wall $((wall / 1000)).$(printf '%03d' $((wall % 1000)) | cut -c1)s, results ${results[*]}"
	PIDS=()
	TAILS=()
done

summary="$NPASS passed, $NFAIL failed"
[ "$NSKIP" -eq 0 ] || summary="$summary, $NSKIP skipped"
echo "$summary"
[ "$NFAIL" -eq 0 ]
