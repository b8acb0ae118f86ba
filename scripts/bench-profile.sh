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
# top of each node's flat profile, then per write the packets on eth0 and
# the virtio interrupts of each node; the full profiles, and the callers of
# the top symbols, stay in build/check/bench/trace-qd1/node<N>-results/.
# Under TCG there is no PMU: cpu-clock samples emulated time, which is what
# the benchmark pays for.
exec "$(dirname "$0")/bench-trace.sh" --profile "$@"
