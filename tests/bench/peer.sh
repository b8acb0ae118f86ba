#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Node 1's handler for one request of the bench (tests/bench/bench-lib.sh):
# busybox "nc -ll -e" runs it with the connection on stdin and stdout. It
# reads one line, does what it asks, and writes one reply line; everything
# else it prints goes to the console.
. /tests/lib.sh
. /tests/bench/bench-lib.sh
bench_settings
exec 3>&1 >&2
IFS= read -r BENCH_REQ || exit 0
log "node 1: request '$BENCH_REQ'"
peer_request "$BENCH_REQ"
