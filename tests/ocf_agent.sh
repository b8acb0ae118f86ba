#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=360 disks=64M,64M
#
# The OCF resource agent ocf:harepl:harepl (userspace/ocf/harepl) in one VM
# with two namespaces: node b is brought up by hand in nsb, node a is driven
# by the agent in nsa. Debian's ocf-tester must pass against it; then each
# action is run directly, with exact OCF exit codes (7 not running, 0
# Secondary, 8 Primary, 5/6 for validate-all) and the promotion score it
# hands to a stand-in crm_attribute: 10000 when UpToDate and connected,
# 1000 when UpToDate without a peer, none while Inconsistent (and promote
# then refuses, never forcing), and notify reconnects a StandAlone resource.
. "${0%/*}/lib.sh"

AGENT=/usr/lib/ocf/resource.d/harepl/harepl
CONF_A=/etc/harepl/r0-a.conf
FAKE=/tmp/crm # a stand-in crm_attribute that records the promotion scores
SCORES=$FAKE/scores.log

ktap_print_header
ktap_set_plan 12

[ -x "$AGENT" ] || die "$AGENT is not in the initramfs"
command -v ocf-tester >/dev/null || die "ocf-tester is not in the initramfs"

load_module
two_ns_setup
# ResyncRate keeps the full sync after invalidate slow enough to look at
repl_conf nsa sync Timeout=2s ResyncRate=4M
repl_conf nsb sync Timeout=2s ResyncRate=4M
for ns in nsa nsb; do
	repl_ctl "$ns" create-md --uuid "$REPL_UUID" --skip-initial-sync --force r0 >/dev/null ||
		die "$ns: create-md failed"
done
run repl_ctl nsb up r0 || die "nsb: up failed"
SECTORS=$(repl_ctl nsa dump-md --json r0 | jq -r .data_sectors)
[ "$(repl_num "$SECTORS")" -gt 0 ] || die "no data_sectors from dump-md"

mkdir -p "$FAKE"
cat >"$FAKE/crm_attribute" <<EOF
#!/bin/sh
echo "\$*" >>$SCORES
EOF
chmod 755 "$FAKE/crm_attribute"

# agent ACTION [VAR=VALUE...]: run the agent's ACTION in nsa as Pacemaker would
# (parameters in the environment; VAR=VALUE override them), output in /tmp/agent.out
agent() {
	_ag_act=$1
	shift
	ip netns exec nsa env OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=harepl_a \
		OCF_RESKEY_resource=r0 OCF_RESKEY_config=$CONF_A \
		OCF_RESKEY_CRM_meta_timeout=30000 OCF_RESKEY_CRM_meta_interval=0 \
		HA_SBIN_DIR=$FAKE PATH="$FAKE:$PATH" "$@" \
		"$AGENT" "$_ag_act" >/tmp/agent.out 2>&1
}

# expect RC ACTION [VAR=VALUE...]: the agent's ACTION exits RC (its output is logged if not)
expect() {
	_ex_want=$1
	shift
	agent "$@"
	_ex_rc=$?
	log "agent $*: exit $_ex_rc (want $_ex_want)"
	[ "$_ex_rc" -eq "$_ex_want" ] && return 0
	sed 's/^/#   /' /tmp/agent.out
	return 1
}

# score_is VALUE|none: the last promotion score the agent set is VALUE, or it removed it
score_is() {
	_si_last=$(tail -n 1 "$SCORES" 2>/dev/null)
	if [ "$1" = none ]; then _si_want="-p -D"; else _si_want="-p -v $1"; fi
	log "last crm_attribute call: '$_si_last' (want '$_si_want')"
	[ "$_si_last" = "$_si_want" ]
}

# a_is ROLE: node a is up with that role
a_is() {
	_ai=$(repl_status nsa role)
	[ "$_ai" = "$1" ] || { log "nsa role is '$_ai', not $1"; return 1; }
}

# a_down: node a's resource is not up (hareplctl status exits 4)
a_down() {
	ip netns exec nsa hareplctl status r0 >/dev/null 2>&1
	_ad=$?
	[ $_ad -eq 4 ] || { log "status in nsa: exit $_ad, not 4"; return 1; }
}

both_connected() {
	wait_for '[ "$(repl_peer nsa connection)" = Connected ] &&
		[ "$(repl_peer nsb connection)" = Connected ]' 30 || { repl_dump nsa nsb; return 1; }
}

meta_data() {
	agent meta-data || return 1
	(cd /usr/share/resource-agents && xmllint --noout --valid - </tmp/agent.out) || return 1
	for a in start stop promote demote notify monitor validate-all meta-data; do
		grep -q "<action name=\"$a\"" /tmp/agent.out || { log "no $a action"; return 1; }
	done
	grep -q 'role="Promoted"' /tmp/agent.out &&
		grep -q '<parameter name="resource" unique="1" required="1">' /tmp/agent.out
}
ktap_test_result "meta_data_is_valid_ocf_xml" meta_data

tester() {
	ip netns exec nsa ocf-tester -v -n harepl_a -o resource=r0 -o config=$CONF_A "$AGENT" \
		>/tmp/ocf-tester.out 2>&1
	_ot=$?
	sed 's/^/# ocf-tester: /' /tmp/ocf-tester.out
	log "ocf-tester: exit $_ot"
	[ $_ot -eq 0 ] && grep -q "$AGENT passed all tests" /tmp/ocf-tester.out &&
		grep -q 'no Pacemaker command line tools: promotion score 10000 not set' \
			/tmp/ocf-tester.out &&
		a_down
}
ktap_test_result "ocf_tester_passes" tester

start_twice() {
	expect 7 monitor && expect 0 start && a_is Secondary && expect 0 start &&
		both_connected && expect 0 monitor OCF_RESKEY_CRM_meta_interval=20000 &&
		a_is Secondary && score_is 10000
}
ktap_test_result "start_twice_then_monitor_secondary_0" start_twice

promote() {
	expect 0 promote && a_is Primary && expect 8 monitor OCF_RESKEY_CRM_meta_interval=10000 &&
		score_is 10000 && expect 0 promote || return 1
	# the promoted device takes writes and they reach node b's disk
	dd if=/dev/urandom of=/tmp/blk bs=64k count=16 2>/dev/null
	dd if=/tmp/blk of=/dev/mapper/r0a bs=64k count=16 oflag=direct 2>/dev/null || return 1
	dd if=/dev/vdc bs=64k count=16 iflag=direct 2>/dev/null | cmp -s - /tmp/blk ||
		{ log "the write is not on vdc"; return 1; }
}
ktap_test_result "promote_then_monitor_8_and_replicates" promote

demote() {
	expect 0 demote && a_is Secondary && expect 0 monitor && expect 0 demote &&
		score_is 10000
}
ktap_test_result "demote_then_monitor_0" demote

notify() {
	run repl_ctl nsa disconnect r0 || return 1
	wait_for '[ "$(repl_status nsa connection)" = StandAlone ]' 10 || return 1
	expect 0 notify OCF_RESKEY_CRM_meta_notify_type=post \
		OCF_RESKEY_CRM_meta_notify_operation=start || return 1
	both_connected
}
ktap_test_result "notify_reconnects_standalone" notify

unknown_peer() {
	run repl_ctl nsb down r0 || return 1
	wait_for '! repl_peer_live nsa' 20 || { repl_dump nsa; return 1; }
	expect 0 monitor && score_is 1000 || return 1
	run repl_ctl nsb up r0 || return 1
	both_connected && expect 0 monitor && score_is 10000
}
ktap_test_result "score_1000_without_peer_10000_connected" unknown_peer

inconsistent() {
	run repl_ctl nsa invalidate r0 || return 1
	d=$(repl_status nsa disk)
	log "nsa after invalidate: disk $d, peer $(repl_peer nsa connection)"
	[ "$d" = Inconsistent ] || return 1
	expect 0 monitor && score_is none || return 1
	expect 1 promote || return 1
	grep -q 'not UpToDate' /tmp/agent.out || { log "promote did not say why"; return 1; }
	a_is Secondary && [ "$(repl_status nsa disk)" = Inconsistent ] || return 1
	# once the full sync is done, the node is promotable again
	repl_wait_synced 200 || return 1
	expect 0 monitor && score_is 10000 && repl_same_data "$SECTORS"
}
ktap_test_result "inconsistent_no_score_promote_refused" inconsistent

stop_primary() {
	expect 0 promote && a_is Primary || return 1
	expect 0 stop && score_is none && a_down && expect 7 monitor && expect 0 stop || return 1
	# node b saw a clean departure and stays a Secondary with its data
	wait_for '! repl_peer_live nsb' 20 || return 1
	[ "$(repl_status nsb role)" = Secondary ] && [ "$(repl_status nsb disk)" = UpToDate ]
}
ktap_test_result "stop_demotes_a_primary_first" stop_primary

validate() {
	mkdir -p /etc/harepl
	sed 's/^Name = r0$/Name = r1/' $CONF_A >/etc/harepl/other.conf
	expect 0 validate-all &&
		expect 5 validate-all OCF_RESKEY_config=/etc/harepl/missing.conf &&
		grep -q 'missing.conf.*missing' /tmp/agent.out &&
		expect 6 validate-all OCF_RESKEY_config=/etc/harepl/other.conf &&
		expect 6 validate-all OCF_RESKEY_resource= &&
		expect 6 validate-all OCF_RESKEY_resource=-bad &&
		expect 5 validate-all OCF_RESKEY_hareplctl=/nonexistent/hareplctl &&
		expect 5 start OCF_RESKEY_config=/etc/harepl/missing.conf && a_down &&
		expect 7 monitor OCF_RESKEY_config=/etc/harepl/missing.conf
}
ktap_test_result "validate_all_exit_codes" validate

unimplemented() {
	expect 3 reload && expect 3 migrate_to && expect 0 usage
}
ktap_test_result "unimplemented_actions_3" unimplemented

repl_down
ktap_test_result "kernel_log_clean" check_dmesg
ktap_finished
