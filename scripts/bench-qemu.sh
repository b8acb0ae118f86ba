#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-qemu.sh ARGS...: qemu-system-x86_64 with TCP_NODELAY on its sockets
# (build/bench/nodelay.so from tests/bench/nodelay.c); the bench scripts run
# the VMs with QEMU=this. bench-qemu.sh --build: build nodelay.so first
# (scripts/bench.sh, bench-trace.sh and bench-profile.sh do). Its threads
# carry names (-name debug-threads=on).
SRC=$(cd "$(dirname "$0")/.." && pwd)
SO=${BENCH_NODELAY_SO:-$SRC/build/bench/nodelay.so}
if [ "${1:-}" = --build ]; then
	mkdir -p "$(dirname "$SO")" &&
		exec cc -O2 -Wall -Wextra -Werror -shared -fPIC -o "$SO" "$SRC/tests/bench/nodelay.c" -ldl
fi
[ -f "$SO" ] || { echo "bench-qemu: $SO missing (run scripts/bench-qemu.sh --build)" >&2; exit 1; }
# debug-threads: the vCPU threads are named "CPU n/TCG" (bench-hostcpu.py)
LD_PRELOAD="$SO${LD_PRELOAD:+:$LD_PRELOAD}" exec "${BENCH_QEMU:-qemu-system-x86_64}" "$@" \
	-name debug-threads=on
