#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=900 disks=32M,32M
#
# Split-brain policies (AfterSplitBrain, Documentation/split-brain.rst):
# each resolves the case it is made for and refuses the others. In every
# scenario a connected, in-sync pair (A primary) loses its link, B is
# promoted, the nodes write (1 MiB regions: A at 8 MiB, B at 16 and 24
# MiB), the node that is to be discarded is demoted, and the link comes
# back.
#   discard-zero-changes: only B wrote -> A is SyncTarget, ends UpToDate
#     with B's data (1 MiB resynced); both wrote -> refused.
#   discard-younger-primary: A was primary at the split, B promoted after
#     -> B is discarded (2 MiB resynced: both nodes' changes); both promoted
#     after the split (A demoted before it) -> refused.
#   discard-least-changes: A wrote 1 MiB, B 2 MiB -> A is discarded (3 MiB
#     resynced); equal -> refused.
#   policies differ (A discard-zero-changes, B disconnect) -> refused even
#     where A's policy alone would resolve.
# Resolved: the victim went SyncTarget and ended UpToDate/Connected, both
# data areas equal the survivor's before the reconnection (md5), the
# victim received exactly the union of both nodes' changes, both nodes
# emitted a split-brain event naming who was discarded and why. Refused:
# both SplitBrain with result "refused" and the reason, events, no resync
# byte, each disk still holds exactly its own writes.
. "${0%/*}/lib.sh"
. "${0%/*}/split_brain_lib.sh"

ktap_print_header
ktap_set_plan 14
MIB=$((1 << 20))

load_module
two_ns_setup

# --- discard-zero-changes
sb_setup AfterSplitBrain=discard-zero-changes
zc_split() {
	sb_split a && sb_write nsb /tmp/b_own 16 && sb_demote nsa && sb_remember nsb &&
		[ "$(repl_pnum nsa oos_bytes)" -eq 0 ] && [ "$(repl_pnum nsb oos_bytes)" -eq $MIB ] &&
		[ "$(repl_peer nsa after_split_brain)" = discard-zero-changes ]
}
ktap_test_result "zero_changes_only_b_wrote_while_apart" zc_split
repl_link up
ktap_test_result "zero_changes_discards_a_which_wrote_nothing" \
	sb_resolved nsa nsb "discard-zero-changes: (this node|the peer) wrote nothing" $MIB $MIB
sb_done

sb_setup AfterSplitBrain=discard-zero-changes
zc_both() {
	sb_split a && sb_write nsa /tmp/a_own 8 && sb_write nsb /tmp/b_own 16 && sb_demote nsa
}
ktap_test_result "zero_changes_both_wrote_while_apart" zc_both
repl_link up
zc_refused() { sb_refused "discard-zero-changes: both nodes wrote" && sb_kept_own yes; }
ktap_test_result "zero_changes_refuses_when_both_wrote" zc_refused
sb_done

# --- discard-younger-primary
sb_setup AfterSplitBrain=discard-younger-primary
yp_split() {
	sb_split a && sb_write nsa /tmp/a_own 8 && sb_write nsb /tmp/b_own 16 && sb_demote nsb &&
		sb_remember nsa
}
ktap_test_result "younger_primary_a_primary_at_split_b_promoted" yp_split
repl_link up
ktap_test_result "younger_primary_discards_b_promoted_after_split" \
	sb_resolved nsb nsa "discard-younger-primary: (this node|the peer) became primary after the split" \
	$((2 * MIB)) $((2 * MIB))
sb_done

sb_setup AfterSplitBrain=discard-younger-primary
yp_none() {
	sb_split none && sb_write nsa /tmp/a_own 8 && sb_write nsb /tmp/b_own 16 && sb_demote nsb
}
ktap_test_result "younger_primary_both_promoted_after_split" yp_none
repl_link up
yp_refused() { sb_refused "discard-younger-primary: cannot tell.*neither was primary" && sb_kept_own yes; }
ktap_test_result "younger_primary_refuses_when_undecidable" yp_refused
sb_done

# --- discard-least-changes
sb_setup AfterSplitBrain=discard-least-changes
lc_split() {
	sb_split a && sb_write nsa /tmp/a_own 8 && sb_write nsb /tmp/b_own 16 &&
		sb_write nsb /tmp/b_more 24 && sb_demote nsa && sb_remember nsb
}
ktap_test_result "least_changes_a_wrote_1m_b_2m" lc_split
repl_link up
ktap_test_result "least_changes_discards_a_with_fewer_changes" \
	sb_resolved nsa nsb "discard-least-changes: (this node|the peer) changed fewer chunks .256 vs 512." \
	$((3 * MIB)) $((3 * MIB))
sb_done

sb_setup AfterSplitBrain=discard-least-changes
lc_equal() {
	sb_split a && sb_write nsa /tmp/a_own 8 && sb_write nsb /tmp/b_own 16 && sb_demote nsa
}
ktap_test_result "least_changes_both_wrote_1m" lc_equal
repl_link up
lc_refused() { sb_refused "discard-least-changes: both nodes changed 256 chunks" && sb_kept_own yes; }
ktap_test_result "least_changes_refuses_when_equal" lc_refused
sb_done

# --- policies differ: A discard-zero-changes, B the default (disconnect)
sb_setup AfterSplitBrain=discard-zero-changes
mm_split() {
	sb_reconf nsb || return 1
	log "B: after_split_brain $(repl_peer nsb after_split_brain), A: $(repl_peer nsa after_split_brain)"
	[ "$(repl_peer nsb after_split_brain)" = disconnect ] &&
		sb_split a && sb_write nsb /tmp/b_own 16 && sb_demote nsa
}
ktap_test_result "mismatch_only_b_wrote_while_apart" mm_split
repl_link up
mm_refused() { sb_refused "split-brain policies differ" && sb_kept_own no; }
ktap_test_result "mismatched_policies_refuse" mm_refused
sb_done

check_dmesg
ktap_finished
