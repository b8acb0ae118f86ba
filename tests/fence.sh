#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=900 disks=64M,64M
#
# Fencing on the loss of a sync peer while primary (Timeout = 2s). A writer
# on the primary writes 64 blocks of 4 KiB with O_DIRECT, one every 0.2 s,
# counting the blocks done in /tmp/progress; about 1 s in, the secondary's
# link goes down. The fence handler is a script that writes its environment
# to /tmp/fence-env, then waits until /tmp/fence-release exists and exits
# with the number in it.
#   resource-and-stonith: the writer stops while the handler runs (its count
#     stands still for 3 s, status says io_frozen/fencing), the handler saw
#     the resource and the peer; after release (exit 0) the writer finishes,
#     the primary's disk holds exactly what was written, and once the link
#     is up again the peer resyncs to the same data.
#   handler failing (exit 1): I/O stays frozen (fence-failed, exit 1 in
#     status) and no connection is made though the link is back, until
#     hareplctl resume-io, which completes the writes; the peer then
#     reconnects and resyncs.
#   resource-only: the handler runs, the writer never stops.
#   none: no handler runs, the writer never stops.
#   down while frozen: refused (the writer holds the device open), no hang;
#     resume-io --fail fails the frozen write with EIO.
. "${0%/*}/lib.sh"

ktap_print_header
ktap_set_plan 14

HANDLER=/tmp/fence-handler
BLOCKS=64
cat >$HANDLER <<'SH'
#!/bin/sh
env >/tmp/fence-env.tmp && mv /tmp/fence-env.tmp /tmp/fence-env
while [ ! -e /tmp/fence-release ]; do sleep 0.1; done
exit "$(cat /tmp/fence-release)"
SH
chmod 755 $HANDLER
dd if=/dev/urandom of=/tmp/pattern bs=4096 count=$BLOCKS 2>/dev/null
PATTERN_MD5=$(md5sum </tmp/pattern | cut -d' ' -f1)

# setup FENCING: both nodes up with that policy, A primary, handler state fresh
setup() {
	rm -f /tmp/fence-env /tmp/fence-release /tmp/progress
	REPL_RESOURCE_KEYS="Fencing=$1 FenceHandler=$HANDLER"
	repl_setup sync Timeout=2s
	log "fencing $(repl_status nsa fencing), handler $(repl_status nsa fence_handler)"
}

# writer: block i of /tmp/pattern to block i of r0a, O_DIRECT, every 0.2 s
start_writer() {
	(
		i=0
		while [ $i -lt $BLOCKS ]; do
			dd if=/tmp/pattern of=/dev/mapper/r0a bs=4096 skip=$i seek=$i count=1 \
				oflag=direct conv=notrunc 2>/dev/null || exit 1
			i=$((i + 1))
			echo $i >/tmp/progress
			sleep 0.2
		done
	) &
	WRITER=$!
}

progress() { repl_num "$(cat /tmp/progress 2>/dev/null)"; }

# cut: start the writer, take the secondary's link down about 1 s later
cut_link() {
	start_writer
	sleep 1
	run ip -n nsb link set veth-b down
}

writer_done() {
	wait $WRITER
	_wrc=$?
	log "writer exit $_wrc, $(progress) blocks"
	[ $_wrc -eq 0 ] && [ "$(progress)" -eq $BLOCKS ]
}

# the first BLOCKS blocks of DEV are the pattern
data_ok() {
	_md5=$(region_md5 "$1" 0 $((BLOCKS * 4)))
	log "$1: md5 $_md5, pattern $PATTERN_MD5"
	[ "$_md5" = "$PATTERN_MD5" ]
}

teardown() {
	[ -e /tmp/fence-release ] || echo 0 >/tmp/fence-release
	ip -n nsb link set veth-b up
	repl_down
}

# --- resource-and-stonith, handler succeeds ---------------------------------
setup resource-and-stonith
repl_events_start nsa
cut_link

frozen_while_handler_runs() {
	wait_for '[ -e /tmp/fence-env ]' 30 || { log "no handler ran"; repl_dump nsa; return 1; }
	p1=$(progress)
	sleep 3
	p2=$(progress)
	frozen=$(repl_status nsa io_frozen)
	reason=$(repl_status nsa io_frozen_reason)
	state=$(repl_status nsa fence_state)
	log "progress $p1 -> $p2 of $BLOCKS, io_frozen $frozen ($reason), handler $state"
	[ "$p1" -ge 1 ] && [ "$p1" -lt $BLOCKS ] && [ "$p1" = "$p2" ] &&
		kill -0 $WRITER 2>/dev/null &&
		[ "$frozen" = true ] && [ "$reason" = fencing ] && [ "$state" = running ]
}
ktap_test_result "stonith_write_frozen_while_handler_runs" frozen_while_handler_runs

handler_env() {
	sed 's/^/# env: /' /tmp/fence-env | grep HAREPL_
	grep -qx 'HAREPL_RESOURCE=r0' /tmp/fence-env &&
		grep -qx 'HAREPL_PEER_ADDRESS=192.0.2.2:7789' /tmp/fence-env &&
		grep -qx 'HAREPL_PEER_NODE_ID=1' /tmp/fence-env &&
		grep -qx 'HAREPL_NODE_ID=0' /tmp/fence-env &&
		grep -qx 'HAREPL_FENCING=resource-and-stonith' /tmp/fence-env &&
		grep -q '^PATH=/' /tmp/fence-env
}
ktap_test_result "stonith_handler_environment" handler_env

echo 0 >/tmp/fence-release
thawed() {
	writer_done && [ "$(repl_status nsa io_frozen)" = false ] &&
		[ "$(repl_status nsa fence_state)" = succeeded ] &&
		[ "$(repl_status nsa fence_exit)" = 0 ] &&
		[ "$(repl_status nsa fence_peer)" = 1 ] && data_ok /dev/mapper/r0a && data_ok /dev/vdb
}
ktap_test_result "stonith_handler_success_thaws_writes_on_disk" thawed

resyncs() {
	run ip -n nsb link set veth-b up
	repl_wait_synced 60 && data_ok /dev/vdc
}
ktap_test_result "stonith_peer_resyncs_after_thaw" resyncs

repl_events_stop nsa
fence_events() {
	jq -r -R 'fromjson? | select(.event == "fence") |
		"\(.seq) \(.io_frozen_reason) \(.fence_state) \(.fence_exit // "-")"' \
		/tmp/events-nsa.json | sed 's/^/# fence event: /'
	repl_event_seen nsa '.event == "fence" and .io_frozen == true and .fence_state == "running"' &&
		repl_event_seen nsa '.event == "fence" and .io_frozen == false and .fence_state == "succeeded" and .fence_exit == 0' &&
		repl_event_seen nsa '.event == "fence" and (.time | length) > 0'
}
ktap_test_result "stonith_fence_events" fence_events
teardown

# --- resource-and-stonith, handler fails ------------------------------------
setup resource-and-stonith
cut_link
wait_for '[ -e /tmp/fence-env ]' 30 || log "no handler ran"
echo 1 >/tmp/fence-release

stays_frozen() {
	wait_for '[ "$(repl_status nsa fence_state)" = failed ]' 10
	p1=$(progress)
	sleep 3
	p2=$(progress)
	log "progress $p1 -> $p2, io_frozen $(repl_status nsa io_frozen) ($(repl_status nsa io_frozen_reason)), exit $(repl_status nsa fence_exit)"
	[ "$p1" = "$p2" ] && [ "$p1" -lt $BLOCKS ] && kill -0 $WRITER 2>/dev/null &&
		[ "$(repl_status nsa io_frozen)" = true ] &&
		[ "$(repl_status nsa io_frozen_reason)" = fence-failed ] &&
		[ "$(repl_status nsa fence_exit)" = 1 ] &&
		dmesg | grep -q 'r0: peer 192.0.2.2:7789: fence handler /tmp/fence-handler failed with exit status 1'
}
ktap_test_result "stonith_handler_failure_stays_frozen" stays_frozen

no_connection_while_frozen() {
	run ip -n nsb link set veth-b up
	sleep 6
	log "A: peer $(repl_peer nsa connection), B: peer $(repl_peer nsb connection), progress $(progress)"
	! repl_peer_live nsa && ! repl_peer_live nsb && kill -0 $WRITER 2>/dev/null &&
		[ "$(repl_status nsa io_frozen)" = true ]
}
ktap_test_result "stonith_no_connection_while_frozen" no_connection_while_frozen

resume_io() {
	run repl_ctl nsa resume-io r0 &&
		writer_done && [ "$(repl_status nsa io_frozen)" = false ] &&
		[ "$(repl_status nsa fence_state)" = failed ] && data_ok /dev/mapper/r0a
}
ktap_test_result "resume_io_thaws" resume_io

ktap_test_result "stonith_peer_resyncs_after_resume_io" resyncs

resume_idle() {
	run repl_ctl nsa resume-io r0 >/dev/null && [ "$(repl_status nsa io_frozen)" = false ]
}
ktap_test_result "resume_io_when_not_frozen_succeeds" resume_idle
teardown

# --- resource-only -----------------------------------------------------------
setup resource-only
cut_link

only_runs_handler() {
	wait_for '[ -e /tmp/fence-env ]' 30 || { log "no handler ran"; return 1; }
	grep -qx 'HAREPL_FENCING=resource-only' /tmp/fence-env &&
		grep -qx 'HAREPL_PEER_ADDRESS=192.0.2.2:7789' /tmp/fence-env
}
ktap_test_result "resource_only_runs_handler" only_runs_handler

never_frozen() {
	# the handler is still waiting for its release file
	writer_done && [ ! -e /tmp/fence-release ] &&
		[ "$(repl_status nsa fence_state)" = running ] &&
		[ "$(repl_status nsa io_frozen)" = false ] && data_ok /dev/mapper/r0a
}
ktap_test_result "resource_only_io_never_frozen" never_frozen
teardown

# --- none --------------------------------------------------------------------
setup none
cut_link
none_no_handler() {
	writer_done || return 1
	wait_for '! repl_peer_live nsa' 20
	sleep 2
	[ ! -e /tmp/fence-env ] && [ "$(repl_status nsa fencing)" = none ] &&
		[ "$(repl_status nsa fence_state)" = idle ] && [ "$(repl_status nsa io_frozen)" = false ] &&
		data_ok /dev/mapper/r0a
}
ktap_test_result "none_runs_no_handler" none_no_handler
teardown

# --- down while frozen --------------------------------------------------------
down_while_frozen() {
	setup resource-and-stonith
	cut_link
	wait_for '[ -e /tmp/fence-env ]' 30 || return 1
	out=$(repl_ctl nsa down r0 2>&1)
	rc=$?
	log "down while frozen: exit $rc: $out"
	# the writer holds the device open: down refuses, it does not hang
	[ $rc -ne 0 ] && [ "$(repl_status nsa io_frozen)" = true ] || return 1
	run repl_ctl nsa resume-io --fail r0 || return 1
	wait $WRITER
	wrc=$?
	log "writer exit $wrc after resume-io --fail, $(progress) blocks"
	[ $wrc -ne 0 ] && [ "$(progress)" -lt $BLOCKS ] && [ "$(repl_status nsa io_frozen)" = false ]
}
ktap_test_result "down_while_frozen_refused_resume_fail_fails_writes" down_while_frozen
teardown
two_ns_cleanup
unload_module
kmemleak_scan
check_dmesg
ktap_finished
