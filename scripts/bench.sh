#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [--quick] - `make bench`: boot two VMs and measure, in one run,
# the raw disk, the link, harepl sync and async and DRBD 8.4 protocol C and
# A with the same fio workloads, a resync of 256 MiB (harepl sync, DRBD C)
# and the write-intent log's cost (standalone harepl against the raw disk);
# then write the tables (scripts/bench-report.sh).
#
#   full (default): tests/bench/full.sh, 3 rounds x (5 workloads x 5
#       systems, 2 resyncs, 3 x 2 write-intent points), about 19 minutes;
#       build/bench/results.txt, and updates Documentation/performance.md
#       and Documentation/performance.png
#   --quick: tests/bench_quick.sh (the smoke test `make check` also runs),
#       one 3 s point of 2 workloads per system, a 32 MiB resync each, one
#       write-intent point; build/bench/quick/results.txt
#
# The VMs are those of scripts/run-tests.sh (two VMs joined by a qemu socket
# netdev on 127.0.0.1), except that qemu runs with TCP_NODELAY on that
# socket (scripts/bench-qemu.sh + tests/bench/nodelay.c) and eth0 has MTU
# 9000: see Documentation/performance.md for why.
#
# Environment: BENCH_NODELAY=0 (plain qemu), BENCH_MTU (default 9000),
# BENCH_NORANDOMMAP=1 (fio may overwrite a block while it is in flight),
# BENCH_RUNS, BENCH_RUNTIME (seconds per point), BENCH_SYSTEMS and
# BENCH_WORKLOADS (comma-separated subsets), BENCH_RESYNC=0 (no resync
# points), BENCH_RESYNC_MB, BENCH_WI=0 (no write-intent points), BENCH_NO_DOC=1 (full run
# without touching Documentation/), BENCH_OUT (another output directory),
# and what run-tests.sh takes (KERNEL, INITRAMFS, ...).
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC"

QUICK=0
case ${1:-} in
--quick) QUICK=1 ;;
"") ;;
*)
	echo "usage: $0 [--quick]" >&2
	exit 2
	;;
esac

if [ $QUICK -eq 1 ]; then
	TEST=bench_quick
	OUT=${BENCH_OUT:-build/bench/quick}
else
	TEST=bench/full
	OUT=${BENCH_OUT:-build/bench}
fi
mkdir -p "$OUT"
rm -rf "$OUT/node0" "$OUT/node1" "$OUT/results.txt" "$OUT/results.md"

# TCP_NODELAY for qemu's socket netdev
NODELAY=${BENCH_NODELAY:-1}
if [ "$NODELAY" = 1 ]; then
	scripts/bench-qemu.sh --build
	export QEMU=$SRC/scripts/bench-qemu.sh
fi

append=""
[ -z "${BENCH_MTU:-}" ] || append="$append bench_mtu=$BENCH_MTU"
[ "${BENCH_NORANDOMMAP:-0}" = 0 ] || append="$append bench_norandommap=1"
[ -z "${BENCH_RUNS:-}" ] || append="$append bench_runs=$BENCH_RUNS"
[ -z "${BENCH_RUNTIME:-}" ] || append="$append bench_runtime=$BENCH_RUNTIME"
[ -z "${BENCH_SYSTEMS:-}" ] || append="$append bench_systems=$BENCH_SYSTEMS"
[ -z "${BENCH_WORKLOADS:-}" ] || append="$append bench_workloads=$BENCH_WORKLOADS"
[ "${BENCH_RESYNC:-1}" != 0 ] || append="$append bench_resync=0"
[ -z "${BENCH_RESYNC_MB:-}" ] || append="$append bench_resync_mb=$BENCH_RESYNC_MB"
[ "${BENCH_WI:-1}" != 0 ] || append="$append bench_wi=0"
export HAREPL_APPEND="${HAREPL_APPEND:-}$append"

# Other VMs share the 2 host CPUs with ours: say so, the numbers suffer
others=$(pgrep -c -f 'qemu-system-x86_64' || true)
if [ "${others:-0}" -gt 0 ]; then
	echo "bench: warning: $others other qemu process(es) running; they compete for the CPUs" >&2
fi
load0=$(cut -d' ' -f1-3 /proc/loadavg)

# the tree the module and tools were built from, not the one at the end
GIT_AT_START=$(git describe --always --dirty 2>/dev/null || echo unknown)
t0=$(date +%s)
# the published figures use the qemu TCP socket link with the TCP_NODELAY
# shim (scripts/bench-qemu.sh); the tests' default is unix datagrams
HAREPL_NET=${HAREPL_NET:-tcp} scripts/run-tests.sh "$TEST" 2>&1 | tee "$OUT/run.log"
rc=${PIPESTATUS[0]}
t1=$(date +%s)

CHECK=build/check/$TEST
for n in 0 1; do
	if [ -d "$CHECK/node$n-results" ]; then
		cp -r "$CHECK/node$n-results" "$OUT/node$n"
	fi
done
{
	echo "wall_s=$((t1 - t0))"
	echo "git=$GIT_AT_START"
	echo "qemu=$(qemu-system-x86_64 --version | head -n 1)"
	echo "vm_header=$(grep -m1 '^# harepl-test:' "tests/$TEST.sh" | sed 's/^# harepl-test: *//')"
	echo "host_cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "host_cpus=$(nproc)"
	echo "host_mem_gib=$(awk '/MemTotal/ { printf "%d", $2 / 1048576 }' /proc/meminfo)"
	echo "other_qemu_at_start=${others:-0}"
	echo "loadavg_start=$load0"
	echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "nodelay=$NODELAY"
	echo "disk_cache=$(grep -q 'cache=writeback' "$OUT/run.log" && echo writeback || echo none)"
	echo "run_tests_rc=$rc"
} >"$OUT/host.txt"

if [ ! -s "$OUT/node0/results.csv" ]; then
	echo "bench: no results from the VMs (see $CHECK/console0.log)" >&2
	exit 1
fi

report_args=()
[ $QUICK -eq 1 ] || [ "${BENCH_NO_DOC:-0}" = 1 ] || report_args+=(--doc)
scripts/bench-report.sh "${report_args[@]}" "$OUT"
echo
cat "$OUT/results.txt"
echo
echo "bench: $(basename "$TEST") took $((t1 - t0)) s; table in $OUT/results.txt"
if [ "$rc" -ne 0 ]; then
	echo "bench: the VM run reported failures (see above and $CHECK/console0.log);" \
		"failed points are marked in the table" >&2
	exit 1
fi
