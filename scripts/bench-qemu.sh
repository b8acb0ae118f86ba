#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-qemu.sh ARGS...: qemu-system-x86_64 with TCP_NODELAY on its sockets
# (build/bench/nodelay.so from tests/bench/nodelay.c, built by
# scripts/bench.sh); scripts/bench.sh runs the VMs with QEMU=this.
SO=${BENCH_NODELAY_SO:-$(cd "$(dirname "$0")/.." && pwd)/build/bench/nodelay.so}
[ -f "$SO" ] || { echo "bench-qemu: $SO missing (scripts/bench.sh builds it)" >&2; exit 1; }
LD_PRELOAD="$SO${LD_PRELOAD:+:$LD_PRELOAD}" exec "${BENCH_QEMU:-qemu-system-x86_64}" "$@"
