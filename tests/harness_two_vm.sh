#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=2 timeout=60
#
# Proves the two-VM topology: each node reaches the other over eth0.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"

ktap_print_header
ktap_set_plan 2

me=192.0.2.$((HAREPL_NODE + 1))
peer=192.0.2.$((2 - HAREPL_NODE))
log "I am $(hostname) ($me), peer is $peer"

if ip -4 addr show dev eth0 | grep -q "inet $me/24"; then
	ktap_test_pass eth0
else
	ktap_test_fail eth0
fi

# the peer may boot later: retry for about 20 s
if wait_for "ping -c 1 -W 1 $peer >/dev/null 2>&1" 20; then
	ktap_test_pass "ping $peer"
else
	ktap_test_fail "ping $peer"
fi
# stay up a little so the peer's own ping can still get an answer
sleep 3

check_dmesg
ktap_finished
