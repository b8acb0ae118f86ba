#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=2 timeout=2400 disks=288M,288M,288M mem=1024 smp=2
#
# `make bench` (scripts/bench.sh): raw disk, link, harepl sync/async and
# DRBD 8.4 protocol C/A side by side, 3 rounds of 5 fio workloads, a 256 MiB
# resync (harepl sync, DRBD C) and the write-intent log's cost. Not run
# by `make check` (it lives below tests/); tests/bench_quick.sh is its smoke
# test. See tests/bench/bench-lib.sh and Documentation/performance.md.
. "${0%/*}/../lib.sh"
. "${0%/*}/bench-lib.sh"
# shellcheck disable=SC2034 # read by bench-lib.sh
BENCH_MODE=full
bench_main
