#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=2 timeout=300 disks=96M,96M,96M mem=1024 smp=2
#
# Smoke test of `make bench` (and what `make bench QUICK=1` runs): the whole
# bench in two VMs, one 3 s point of two workloads per system, a 32 MiB
# resync of harepl and DRBD, one write-intent point (raw and harepl
# --al-extents 8, qd32). Passes when the link and every system (raw, harepl
# sync/async, DRBD protocol C/A) produced nonzero numbers without an error,
# node 1's disk held node 0's data after each replicated system and after
# each resync, and the write-intent points have IOPS and log counts. See
# tests/bench/bench-lib.sh.
. "${0%/*}/lib.sh"
. "${0%/*}/bench/bench-lib.sh"
# shellcheck disable=SC2034 # read by bench-lib.sh
BENCH_MODE=quick
bench_main
