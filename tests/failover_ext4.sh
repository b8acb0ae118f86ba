#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=2 timeout=1200 disks=128M
#
# Failover with ext4 under power loss, rejoin and switchback (issue 8,
# tests 1 and 2). Two VMs, sync mode, ext4 on a 127 MiB device, a
# write-intent hot set of 8 extents (32 MiB). Each round:
#
# 1. node 0 (primary, ext4 mounted) writes a plan of files (4 KiB..1 MiB of
#    random data, new names and overwrites of earlier ones): each goes to
#    NAME.tmp with dd conv=fsync, is renamed over NAME, then sync(1); only
#    after that does node 0 send "done SEQ" to node 1, which appends it to
#    a log in its RAM (node 1 is never killed). The whole plan (SEQ NAME
#    MD5 of every write) went to node 1 before the first write.
# 2. once K files are logged (K random in 2..30 of 60), node 1 waits a
#    random 0..0.3 s and has node 0's qemu killed (power loss) while it
#    writes (asserted): a random kill point per round.
# 3. node 1 promotes itself with a plain `hareplctl primary` (no --force:
#    asserted), mounts (journal replay) and unmounts, runs e2fsck -fn
#    (must be clean), mounts and checks every file ever logged: it must
#    hold the logged checksum or the checksum of a later write of the plan
#    (one whose "done" was still in flight), never anything else; a file
#    never logged may be missing. It then writes files of its own while
#    node 0 is away, unmounts and notes how much is out of sync with node 0.
# 4. node 0 boots again, comes up as secondary and resyncs from node 1
#    (SyncTarget): resync bytes must be > 0 and at most what node 1 had out
#    of sync plus node 0's hot set; then both data areas must be identical.
# 5. planned switchback: node 1 `secondary`, node 0 `primary` (no --force),
#    mounts and checks every file node 1 verified or wrote (md5). The next
#    round starts from there.
#
# Five rounds, five kill points. node 1 reports every result (node 0's
# boots are killed, their KTAP lines are lost); node 0's last boot reports
# the last rejoin and switchback again.
#
# Messages: node 0 -> node 1 port 9000: the plan, first line "plan R
# PRIMARY_RC VERIFIED FAILED" (the switchback of round R-1), or "final
# PRIMARY_RC VERIFIED FAILED" after the last round; node 1 -> node 0 port
# 9300 "go" once it listens on 9400 for the "done SEQ" lines; node 0 (new
# boot) -> node 1 port 9100 "back node0 bootB RESYNC_BYTES MARKED MD5
# SYNCTARGET_SEEN"; node 1 -> node 0 port 9200 the list of files ("NAME
# MD5") after it demoted.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"

ROUNDS=5
PLAN_FILES=60 # writes planned per round; the kill comes after 2..30 of them
NAMES=30      # file names f00..f29: later writes overwrite earlier files
AL_EXTENTS=8
HOT_SET=$((AL_EXTENTS * 4 << 20))
UUID=0d6f4b8e-2a3c-4e51-9f7a-5b1c8e2d4a60
BOOT=$(vm_boot)
PEER_IP=192.0.2.$((2 - HAREPL_NODE))
MNT=/mnt/r0

uptime_s() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v t="$1" '{ printf "%.1f", $1 - t }' /proc/uptime; }

# fsck_clean: e2fsck -fn of the (unmounted) device finds nothing to fix
fsck_clean() {
	e2fsck -fn /dev/mapper/r0 >/tmp/fsck.out 2>&1
	_rc=$?
	[ $_rc -eq 0 ] || sed 's/^/# e2fsck: /' /tmp/fsck.out
	log "e2fsck -fn: exit $_rc"
	[ $_rc -eq 0 ]
}

# verify_list LIST: md5 of every file "NAME MD5" of LIST under $MNT; sets VERIFIED and FAILED
verify_list() {
	VERIFIED=0 FAILED=0
	while read -r _name _sum; do
		_got=$(md5sum "$MNT/$_name" 2>/dev/null | cut -d' ' -f1)
		if [ -n "$_got" ] && [ "$_got" = "$_sum" ]; then
			VERIFIED=$((VERIFIED + 1))
		else
			FAILED=$((FAILED + 1))
			log "$_name: md5 ${_got:-missing}, want $_sum"
		fi
	done <"$1"
}

ktap_print_header
vm_conf /dev/vdb s3cret sync Timeout=2s
vm_peer_up 60 || die "the other VM is unreachable"
load_module
mkdir -p $MNT

if [ "$HAREPL_NODE" = 1 ]; then
	# the survivor: never killed; keeps the log and the list of files
	ktap_set_plan $((7 * ROUNDS))
	run hareplctl create-md --force --uuid $UUID --skip-initial-sync \
		--al-extents $AL_EXTENTS r0 >/dev/null || die "create-md failed"
	run hareplctl up r0 || die "up failed"
	: >/tmp/state # NAME MD5 of every file the filesystem must hold
	rb_before=0
	R=1
	while [ "$R" -le "$ROUNDS" ]; do
		vm_receive 9000 600 /tmp/plan || { r0_dump; die "round $R: no plan from node0"; }
		# shellcheck disable=SC2046
		set -- $(head -n 1 /tmp/plan)
		[ "$1 $2" = "plan $R" ] || die "round $R: node0 sent '$*' instead of its plan"
		if [ "$R" -gt 1 ]; then
			prc=$3 ver=$(repl_num "$4") bad=$5
			log "round $((R - 1)): node0 back as primary: primary exit $prc, files verified $ver of $(wc -l </tmp/state), failed $bad"
			nstate=$(wc -l </tmp/state)
			ktap_test_result "round$((R - 1))_switchback_files_match" \
				eval '[ "$prc" = 0 ] && [ "$ver" -gt 0 ] && [ "$ver" = "$nstate" ] && [ "$bad" = 0 ]'
		fi
		sed 1d /tmp/plan >/tmp/plan.list
		[ "$(wc -l </tmp/plan.list)" = $PLAN_FILES ] ||
			die "round $R: the plan has $(wc -l </tmp/plan.list) writes, not $PLAN_FILES"
		# nc quits once its stdin ends: hold it open with a fifo
		rm -f /tmp/done /tmp/hold
		mkfifo /tmp/hold
		nc -l -p 9400 </tmp/hold >/tmp/done &
		ncpid=$!
		exec 3>/tmp/hold
		sleep 0.5
		vm_tell 9300 go || die "round $R: node0 did not listen on 9300"

		# kill node0 at a random moment: 0..0.3 s after its K-th file, K
		# random in 2..30 (at least 30 of the 60 writes are still to come)
		# shellcheck disable=SC2046
		set -- $(awk -v r="$R" 'BEGIN { srand(); srand(srand() + r)
			printf "%d %.2f\n", 2 + int(29 * rand()), 0.3 * rand() }')
		k=$1 delay=$2
		wait_for "[ \"\$(grep -c '^done ' /tmp/done)\" -ge $k ]" 300 ||
			{ r0_dump; die "round $R: node0 logged fewer than $k files in 300 s"; }
		sleep "$delay"
		t_kill=$(uptime_s)
		vm_kill_restart 0
		sleep 1
		kill "$ncpid" 2>/dev/null
		wait "$ncpid" 2>/dev/null
		exec 3>&-
		logged=$(grep -c '^done [0-9]*$' /tmp/done)
		errors=$(grep -c '^error ' /tmp/done)
		ended=$(grep -c '^end$' /tmp/done)
		log "round $R: kill ${delay}s after file $k; $logged files logged before it, $errors write errors, writer finished: $ended"
		ktap_test_result "round${R}_killed_while_writing" [ "$ended" = 0 ]

		# promote: no --force, the primary is gone and this disk is UpToDate
		wait_for '[ "$(r0_pfield connection)" != Connected ]' 60 ||
			{ r0_dump; die "round $R: node0 still Connected 60 s after the kill"; }
		run hareplctl primary r0
		rc=$?
		t_prom=$(since "$t_kill")
		log "round $R: primary exit $rc, role $(r0_field role), disk $(r0_field disk), peer $(r0_pfield connection), ${t_prom}s after the kill"
		ktap_test_result "round${R}_promoted_without_force" \
			eval '[ $rc = 0 ] && [ "$(r0_field role)" = Primary ]'
		[ $rc = 0 ] || { r0_dump; die "round $R: cannot promote"; }

		# the journal replay, then a forced fsck
		run mount -t ext4 /dev/mapper/r0 $MNT && run umount $MNT || die "round $R: mount failed"
		ktap_test_result "round${R}_fsck_clean_after_replay" fsck_clean

		# every logged file holds its last logged md5, or that of a later write
		last=$(sed -n 's/^done \([0-9]*\)$/\1/p' /tmp/done | tail -n 1)
		awk -v d="${last:-0}" '$1 <= d { print $2, $3 }' /tmp/plan.list >/tmp/committed
		awk -v d="${last:-0}" '$1 > d { print $2, $3 }' /tmp/plan.list >/tmp/later
		cat /tmp/state /tmp/committed | awk '{ s[$1] = $2 } END { for (n in s) print n, s[n] }' |
			sort >/tmp/want
		run mount -t ext4 /dev/mapper/r0 $MNT || die "round $R: mount failed"
		checked=0 bad=0 landed=0
		: >/tmp/state.new
		for name in $(cut -d' ' -f1 /tmp/want /tmp/later | sort -u); do
			want=$(awk -v n="$name" '$1 == n { print $2 }' /tmp/want)
			got=$(md5sum "$MNT/$name" 2>/dev/null | cut -d' ' -f1)
			[ -z "$want" ] || checked=$((checked + 1))
			if [ -n "$want" ] && [ "$got" = "$want" ]; then
				echo "$name $got" >>/tmp/state.new
			elif [ -z "$want" ] && [ -z "$got" ]; then
				: # never logged, never renamed into place
			elif [ -n "$got" ] && grep -q "^$name $got\$" /tmp/later; then
				landed=$((landed + 1))
				log "$name: holds a write whose 'done' was not logged yet (md5 $got)"
				echo "$name $got" >>/tmp/state.new
			else
				bad=$((bad + 1))
				log "$name: md5 ${got:-missing}, want ${want:-a planned write or nothing}"
				[ -z "$want" ] || echo "$name $want" >>/tmp/state.new
			fi
		done
		log "round $R: $logged files logged this round, $checked logged files checked, $bad wrong, $landed unlogged writes landed"
		ktap_test_result "round${R}_logged_files_intact" \
			eval '[ "$logged" -gt 0 ] && [ "$checked" -gt 0 ] && [ "$bad" -eq 0 ] && [ "$errors" -eq 0 ]'

		# write while node0 is away (the resync must bring these over)
		i=1
		while [ $i -le 4 ]; do
			dd if=/dev/urandom of=$MNT/n1-$R-$i bs=65536 count=$((i * 2)) conv=fsync 2>/dev/null ||
				die "round $R: writing on the new primary failed"
			echo "n1-$R-$i $(md5sum <$MNT/n1-$R-$i | cut -d' ' -f1)" >>/tmp/state.new
			i=$((i + 1))
		done
		run umount $MNT || die "round $R: umount failed"
		sort /tmp/state.new >/tmp/state
		oos=$(repl_num "$(r0_pfield oos_bytes)")
		log "round $R: out of sync with node0 before it returns: $oos bytes"
		# node0 reboots meanwhile and waits for this word before it comes up
		n=0
		until vm_tell 9500 rejoin; do
			n=$((n + 1))
			[ $n -lt 5 ] || die "round $R: node0 did not wait for the word to rejoin"
		done

		# node0 rejoins and resyncs
		got=$(vm_wait_back 9100 0 $((R + 1)) 600) || { r0_dump; die "round $R: node0 did not come back"; }
		# shellcheck disable=SC2086
		set -- $got
		rb0=$1 marked=$2 md5_0=$3 seen=$4
		wait_for r0_synced 120 || { r0_dump; die "round $R: not in sync with node0"; }
		# resync_bytes adds up over reconnections (since `up`): this round's share
		rb_all=$(repl_num "$(r0_pfield resync_bytes)")
		rb1=$((rb_all - rb_before)) rb_before=$rb_all
		rb0=$(repl_num "$rb0")
		total=$(repl_num "$(r0_pfield resync_total)")
		bound=$((oos + HOT_SET))
		log "round $R: resync bytes node1 sent $rb1 (resync_total $total), node0 received $rb0 (node0's log marked $marked); bound $bound; SyncTarget seen by node0: $seen"
		ktap_test_result "round${R}_resync_bounded" eval '[ "$rb1" -gt 0 ] && [ "$rb1" -le "$bound" ] &&
			[ "$rb0" -gt 0 ] && [ "$rb0" -le "$bound" ] && [ "$total" -le "$bound" ] && [ "$seen" = 1 ]'
		md5_1=$(r0_data_md5)
		log "round $R: data md5 node0 $md5_0, node1 $md5_1; $(since "$t_kill")s from kill to identical data"
		ktap_test_result "round${R}_data_identical" eval '[ -n "$md5_1" ] && [ "$md5_0" = "$md5_1" ]'

		# planned switchback: node0 becomes primary again
		run hareplctl secondary r0 || die "round $R: secondary failed"
		vm_send 9200 /tmp/state || die "round $R: node0 did not take the file list"
		R=$((R + 1))
	done
	msg=$(vm_hear 9000 600) || die "no final word from node0"
	# shellcheck disable=SC2086
	set -- $msg
	# shellcheck disable=SC2034 # read by eval
	word=$1 prc=$2 ver=$(repl_num "$3") bad=$4
	nstate=$(wc -l </tmp/state)
	log "round $ROUNDS: node0 back as primary: primary exit $prc, files verified $ver of $nstate, failed $bad"
	ktap_test_result "round${ROUNDS}_switchback_files_match" \
		eval '[ "$word" = final ] && [ "$prc" = 0 ] && [ "$ver" -gt 0 ] && [ "$ver" = "$nstate" ] && [ "$bad" = 0 ]'
	check_dmesg
	ktap_finished
fi

# node 0: primary at the start of every round, killed while writing
if [ "$BOOT" -eq 1 ]; then
	ktap_set_plan 1
	run hareplctl create-md --force --uuid $UUID --skip-initial-sync \
		--al-extents $AL_EXTENTS r0 >/dev/null || die "create-md failed"
	run hareplctl up r0 || die "up failed"
	wait_for r0_synced 60 || { r0_dump; die "not connected to node1"; }
	run hareplctl primary r0 || die "primary failed"
	run mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 /dev/mapper/r0 ||
		die "mkfs failed"
	run mount -t ext4 /dev/mapper/r0 $MNT || die "mount failed"
	ktap_test_pass "boot1_primary_with_ext4"
	header="plan 1 - - -"
else
	if [ "$BOOT" -gt "$ROUNDS" ]; then ktap_set_plan 4; else ktap_set_plan 1; fi
	# as a cluster manager would, let node1 take over before this node returns
	msg=$(vm_hear 9500 600)
	[ "$msg" = rejoin ] || die "boot $BOOT: no word to rejoin from node1"
	hareplctl events --json --timeout 900 >/tmp/events.json 2>/dev/null &
	sleep 1
	t0=$(uptime_s)
	run hareplctl up r0 || die "up after the crash failed"
	marked=$(dmesg | sed -n 's/.*r0: not stopped cleanly: \([0-9]*\) write-intent extents\{0,1\} (\([0-9]*\) MiB).*/\2/p' | tail -n 1)
	marked=$((${marked:-0} << 20))
	wait_for r0_synced 300 || { r0_dump; die "boot $BOOT: not in sync with node1 within 300 s"; }
	rb=$(repl_num "$(r0_pfield resync_bytes)")
	seen=0
	jq -c -R 'fromjson? | select(.peers[0].connection == "SyncTarget")' /tmp/events.json 2>/dev/null |
		grep -q . && seen=1
	log "boot $BOOT: log marked $marked bytes; resync $rb bytes as SyncTarget ($seen) in $(since "$t0")s"
	md5=$(r0_data_md5)
	vm_back 9100 "$rb $marked $md5 $seen" || die "node1 did not listen on 9100"
	if [ "$BOOT" -gt "$ROUNDS" ]; then
		ktap_test_result "boot${BOOT}_resynced_as_target" \
			eval '[ "$seen" = 1 ] && [ "$rb" -gt 0 ] && [ "$rb" -le $((HOT_SET + (64 << 20))) ]'
	fi

	# planned switchback
	vm_receive 9200 600 /tmp/state || die "boot $BOOT: no file list from node1"
	wait_for '[ "$(r0_pfield role)" = Secondary ]' 30 || { r0_dump; die "boot $BOOT: node1 still primary"; }
	run hareplctl primary r0
	prc=$?
	[ $prc = 0 ] || r0_dump
	run mount -t ext4 /dev/mapper/r0 $MNT || die "boot $BOOT: mount failed"
	verify_list /tmp/state
	log "boot $BOOT: primary exit $prc; $VERIFIED files verified, $FAILED failed"
	if [ "$BOOT" -gt "$ROUNDS" ]; then
		ktap_test_result "boot${BOOT}_primary_without_force" [ $prc = 0 ]
		ktap_test_result "boot${BOOT}_files_match" eval '[ "$VERIFIED" -gt 0 ] && [ "$FAILED" = 0 ]'
		run umount $MNT || die "umount failed"
		ktap_test_result "boot${BOOT}_fsck_clean" fsck_clean
		vm_tell 9000 "final $prc $VERIFIED $FAILED" || die "node1 did not listen on 9000"
		check_dmesg
		ktap_finished
	fi
	ktap_test_result "boot${BOOT}_switchback" eval '[ $prc = 0 ] && [ "$FAILED" = 0 ]'
	header="plan $BOOT $prc $VERIFIED $FAILED"
fi

# this round's plan: SEQ NAME MD5, the contents in /tmp/plan/SEQ
R=$BOOT
rm -rf /tmp/plan
mkdir -p /tmp/plan
awk -v r="$R" -v n=$PLAN_FILES -v names=$NAMES 'BEGIN {
	srand(r * 104729)
	split("1 2 4 8 16 32 64 128 256", blocks, " ")
	for (i = 1; i <= n; i++)
		printf "%d f%02d %d\n", r * 1000 + i, int(rand() * names), blocks[1 + int(rand() * 9)]
}' | while read -r seq name blocks; do
	dd if=/dev/urandom of=/tmp/plan/"$seq" bs=4096 count="$blocks" 2>/dev/null
	echo "$seq $name $(md5sum </tmp/plan/"$seq" | cut -d' ' -f1)"
done >/tmp/plan.list
{ echo "$header"; cat /tmp/plan.list; } >/tmp/plan.msg
log "round $R: $(wc -l </tmp/plan.list) writes planned, $(du -sk /tmp/plan | cut -f1) KiB"
vm_send 9000 /tmp/plan.msg || die "round $R: node1 did not take the plan"
msg=$(vm_hear 9300 120)
[ "$msg" = go ] || die "round $R: no go from node1"

# write: NAME.tmp with fsync, rename over NAME, sync; only then "done SEQ"
while read -r seq name _; do
	dd if=/tmp/plan/"$seq" of=$MNT/"$name".tmp bs=65536 conv=fsync 2>/dev/null ||
		{ echo "error $seq"; break; }
	mv $MNT/"$name".tmp $MNT/"$name" && sync || { echo "error $seq"; break; }
	echo "done $seq"
done </tmp/plan.list | { cat; echo end; } | nc $PEER_IP 9400
log "round $R: all $PLAN_FILES writes done before the kill"
sleep 300
die "round $R: not killed"
