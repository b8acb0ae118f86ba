#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-profile.sh [SYSTEM [QD]] - where the CPU goes while one system takes
# 4 KiB random writes.
#
# Boots the two bench VMs (as scripts/bench.sh does) from an initramfs with
# perf packed (build/initramfs-perf.cpio), sets up SYSTEM (harepl-async by
# default; harepl-sync, drbd-A, drbd-C, ... as in make bench), and samples
# both nodes with `perf record -a -g -e cpu-clock` during 10 s of fio
# randwrite 4k at QD writes in flight (default 32) on node 0. Prints the
# top of each node's flat profile; the full ones, and the callers of the
# top symbols, stay in build/check/bench/trace-qd1/node<N>-results/.
# Under TCG there is no PMU: cpu-clock samples emulated time, which is what
# the benchmark pays for.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC"
SYS=${1:-harepl-async}
QD=${2:-32}
command -v perf >/dev/null || { echo "bench-profile: perf not found (apt-get install linux-perf)" >&2; exit 2; }
make -s all tests-bin
mkdir -p build/bench
EXTRA_TOOLS=perf scripts/mkinitramfs.sh build/initramfs-perf.cpio
export INITRAMFS=build/initramfs-perf.cpio
if [ "${BENCH_NODELAY:-1}" = 1 ]; then
	cc -O2 -Wall -Wextra -Werror -shared -fPIC -o build/bench/nodelay.so tests/bench/nodelay.c -ldl
	export QEMU=$SRC/scripts/bench-qemu.sh
fi
export HAREPL_APPEND="${HAREPL_APPEND:-} bench_trace=$SYS bench_trace_qd=$QD bench_profile=1${BENCH_MTU:+ bench_mtu=$BENCH_MTU}"
scripts/run-tests.sh bench/trace-qd1
D=build/check/bench/trace-qd1
for n in 0 1; do
	echo "== node $n ($([ $n = 0 ] && echo primary || echo secondary)): $SYS, 4k randwrite qd$QD"
	grep -v '^#' "$D/node$n-results/profile.txt" | grep -v '^$' | head -n "${PROFILE_LINES:-30}"
done
