#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side tests of hareplctl that need no kernel module: configuration
# parsing, create-md/dump-md on regular files (checked by an independent
# implementation in check_md.py), usage and exit codes. KTAP output.
#
# usage: tests/host.sh [path/to/hareplctl]

set -u
HCTL=$(realpath "${1:-./hareplctl}")
DIR=$(dirname "$(realpath "$0")")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
failed=0

ok() { # ok CONDITION-EXIT-CODE NAME
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		failed=$((failed + 1))
	fi
}

# expect RC STDERR-REGEX NAME -- COMMAND...
expect() {
	local rc=$1 re=$2 name=$3 got
	shift 4
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" -eq "$rc" ] && grep -Eq -- "$re" "$T/err"; then
		ok 0 "$name"
	else
		ok 1 "$name"
		echo "# expected exit $rc and /$re/, got exit $got:"
		sed 's/^/# /' "$T/err"
	fi
}

conf() { # conf NAME LINES...: writes $T/NAME.conf
	local f="$T/$1.conf"
	shift
	printf '%s\n' "$@" >"$f"
}

echo "TAP version 13"

echo "1..70"

truncate -s 64M "$T/disk"
conf r0 "[Resource]" "Name = r0   # comment" "Disk = $T/disk" "NodeId = 0" \
	"Address = 192.0.2.1:7789" "" "[Peer]" "NodeId = 1" "Address = 192.0.2.2:7789" "Mode = async"
"$HCTL" -c "$T/r0.conf" create-md r0 >"$T/out" 2>&1
ok $? "create-md internal"
python3 "$DIR/check_md.py" "$T/disk" >"$T/out" 2>&1
ok $? "internal superblock, checksum and layout"
"$HCTL" -c "$T/r0.conf" dump-md r0 | grep -q '^data_sectors *63 MiB (129024 sectors)'
ok $? "dump-md internal"
"$HCTL" dump-md -c "$T/r0.conf" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(d["data_sectors"] != 129024 or d["name"] != "r0")'
ok $? "dump-md --json"
expect 1 "already holds a harepl superblock.*--force" "create-md refuses a valid superblock" -- \
	"$HCTL" -c "$T/r0.conf" create-md r0
"$HCTL" -c "$T/r0.conf" create-md --force --chunk-size 64K --max-peers 4 r0 >/dev/null 2>&1 &&
	python3 "$DIR/check_md.py" "$T/disk" >"$T/out" 2>&1
ok $? "create-md --force --chunk-size 64K --max-peers 4"

U=6f1c3a52-94d0-4b7e-8a21-3c5d7e9f0b14
"$HCTL" -c "$T/r0.conf" create-md --force --uuid "${U^^}" --skip-initial-sync --al-extents 1016 r0 \
	>/dev/null 2>&1 && python3 "$DIR/check_md.py" --uuid $U --skip-initial-sync --al-extents 1016 \
	"$T/disk" >"$T/out" 2>&1
ok $? "create-md --uuid --skip-initial-sync --al-extents: UpToDate, gen from the uuid"
expect 2 "^hareplctl: r0: --skip-initial-sync needs --uuid" "create-md --skip-initial-sync without --uuid" -- \
	"$HCTL" -c "$T/r0.conf" create-md --force --skip-initial-sync r0
expect 2 "bad --uuid '6f1c3a5294d04b7e8a213c5d7e9f0b14'" "create-md: bad --uuid" -- \
	"$HCTL" -c "$T/r0.conf" create-md --force --uuid 6f1c3a5294d04b7e8a213c5d7e9f0b14 r0
expect 2 "bad --max-peers '9': expected 1 to 8" "create-md: --max-peers 9 refused" -- \
	"$HCTL" -c "$T/r0.conf" create-md --force --max-peers 9 r0
expect 2 "bad --al-extents '1017': expected 4 to 1016" "create-md: bad --al-extents" -- \
	"$HCTL" -c "$T/r0.conf" create-md --force --al-extents 1017 r0


# Two nodes of one resource on freshly zeroed disks: same uuid, same generation
gen() { "$HCTL" -c "$T/$1.conf" dump-md --json | python3 -c \
	'import json,sys; d=json.load(sys.stdin); print(d["gen_current"], d["flags"], d["uuid"])'; }
truncate -s 16M "$T/n0" "$T/n1"
conf n0 "[Resource]" "Name = r9" "Disk = $T/n0" "NodeId = 0"
conf n1 "[Resource]" "Name = r9" "Disk = $T/n1" "NodeId = 1"
"$HCTL" -c "$T/n0.conf" create-md --uuid $U --skip-initial-sync >/dev/null &&
	"$HCTL" -c "$T/n1.conf" create-md --uuid $U --skip-initial-sync >/dev/null &&
	[ "$(gen n0)" = "$(gen n1)" ] && [ "$(gen n0)" = "0x6a404fea0f063de5 19 $U" ]
ok $? "create-md --skip-initial-sync on two nodes: same gen_current, UpToDate"
"$HCTL" -c "$T/n0.conf" create-md --force --uuid $U >/dev/null &&
	"$HCTL" -c "$T/n1.conf" create-md --force --uuid $U >/dev/null &&
	[ "$(gen n0)" != "$(gen n1)" ] && gen n0 | grep -q " 16 $U\$"
ok $? "create-md without --skip-initial-sync: random gen_current, Inconsistent"
python3 "$DIR/poke_md.py" "$T/n0" &&
	"$HCTL" -c "$T/n0.conf" dump-md --json | python3 -c 'import json,sys
d = json.load(sys.stdin)
sys.exit(d["slots"] != [{"index": 1, "node_id": 2, "gen_bitmap": "0x1122334455667788",
	"primary_at_split": False, "oos_chunks": 4, "oos_bytes": 16384}] or d["al"] != {"seq": 7, "extents": [3, 4, 5]})'
ok $? "dump-md --json: slot in use, its out-of-sync chunks, current write-intent block"
"$HCTL" -c "$T/n0.conf" dump-md >"$T/out" &&
	grep -q '^slot 1 *node 2, gen_bitmap 0x1122334455667788, out of sync 4 chunks (16.0 KiB)$' "$T/out" &&
	grep -q '^write-intent *seq 7, 3 active extents$' "$T/out"
ok $? "dump-md: slot and write-intent lines"
"$HCTL" -c "$T/n1.conf" dump-md >"$T/out" && grep -q '^slots *none in use$' "$T/out" &&
	grep -q '^write-intent *empty$' "$T/out"
ok $? "dump-md: no slot in use, empty write-intent log"

head -c 2M /dev/urandom >"$T/meta"
truncate -s 100M "$T/data"
conf r1 "[resource]" "disk = $T/data" "METADISK = $T/meta" "nodeid = 2"
"$HCTL" -c "$T/r1.conf" create-md >/dev/null 2>&1 &&
	python3 "$DIR/check_md.py" "$T/data" "$T/meta" >"$T/out" 2>&1
ok $? "create-md external, bitmap zeroed"
"$HCTL" -c "$T/r1.conf" dump-md | grep -q '^flags *0x00000000 (none)'
ok $? "dump-md external"
truncate -s 100K "$T/meta"
expect 1 "r1: .*/meta is too small for the metadata.*need 268 KiB \(536 sectors\)" \
	"create-md refuses a small meta disk" -- "$HCTL" -c "$T/r1.conf" create-md --force
truncate -s 1M "$T/small"
conf rs "[Resource]" "Disk = $T/small" "NodeId = 0"
expect 1 "rs: .*/small is too small" "create-md refuses a small disk" -- \
	"$HCTL" -c "$T/rs.conf" create-md

cp "$T/disk" "$T/bad"
conf bad "[Resource]" "Name = r0" "Disk = $T/bad" "NodeId = 0"
printf '\001' | dd of="$T/bad" bs=1 seek=$((131064 * 512 + 200)) conv=notrunc status=none
expect 1 "r0: .*/bad: no valid harepl superblock \(bad checksum" "dump-md: bad checksum" -- \
	"$HCTL" -c "$T/bad.conf" dump-md
printf '\002' | dd of="$T/bad" bs=1 seek=$((131064 * 512 + 8)) conv=notrunc status=none
expect 1 "no valid harepl superblock \(unsupported version 2" "dump-md: bad version" -- \
	"$HCTL" -c "$T/bad.conf" dump-md
printf 'X' | dd of="$T/bad" bs=1 seek=$((131064 * 512)) conv=notrunc status=none
expect 1 "no valid harepl superblock \(bad magic\)" "dump-md: bad magic" -- \
	"$HCTL" -c "$T/bad.conf" dump-md

conf c1 "[Resource]" "Disk = $T/disk" "Foo = 1" "NodeId = 0"
expect 3 "c1.conf:3: unknown key 'Foo' in \[Resource\]" "config: unknown key" -- \
	"$HCTL" -c "$T/c1.conf" dump-md
conf c2 "[Resource]" "NodeId = 0"
expect 3 "c2.conf: missing required key 'Disk' in \[Resource\]" "config: missing Disk" -- \
	"$HCTL" -c "$T/c2.conf" dump-md
conf c3 "[Resource]" "Disk = $T/disk" "NodeId = 0" "[Peer]" "NodeId = 1" \
	"Address = 192.0.2.300:7789"
expect 3 "c3.conf:6: bad Address '192.0.2.300:7789': expected IPv4:port or \[IPv6\]:port" \
	"config: bad address" -- "$HCTL" -c "$T/c3.conf" dump-md
conf c4 "[Resource]" "Disk = $T/disk" "Disk = $T/disk" "NodeId = 9" "[Bogus]"
expect 3 "c4.conf:3: duplicate key 'Disk'.*" "config: duplicate key" -- "$HCTL" -c "$T/c4.conf" up
expect 3 "c4.conf:4: NodeId 9 out of range 0..8" "config: value out of range" -- \
	"$HCTL" -c "$T/c4.conf" up
expect 3 "c4.conf:5: unknown section '\[Bogus\]'" "config: unknown section" -- \
	"$HCTL" -c "$T/c4.conf" up
conf c5 "[Resource]" "Name = r/0" "Disk = $T/disk" "NodeId = 0"
expect 3 "c5.conf:2: bad Name 'r/0'" "config: bad Name" -- "$HCTL" -c "$T/c5.conf" up
conf c6 "[Resource]" "Name = r0" "Disk = /dev/nope" "NodeId = 0"
expect 3 "^hareplctl: r0: .*c6.conf:3: Disk '/dev/nope': No such file or directory" \
	"config: nonexistent Disk" -- "$HCTL" -c "$T/c6.conf" up r0
expect 3 "^hareplctl: no-such-res: cannot read /etc/harepl/no-such-res.conf: No such file or directory" \
	"config: missing file" -- "$HCTL" dump-md no-such-res
conf c7 "[Resource]" "Disk = $T/disk" "NodeId = 0" "[Peer]" "NodeId = 0" "Address = [2001:db8::1]:1"
expect 3 "c7.conf:5: peer NodeId 0 is the resource's own" "config: peer NodeId" -- \
	"$HCTL" -c "$T/c7.conf" up

# Replication keys: every key, and each error once
conf k1 "[Resource]" "Name = r0" "Disk = $T/disk" "NodeId = 0" "Address = 192.0.2.1:7789" \
	"Secret = a secret, with spaces!  # comment" "Mode = async" \
	"[Peer]" "NodeId = 1" "Address = 192.0.2.2:7789" "Mode = sync" "Timeout = 100ms" \
	"[Peer]" "NodeId = 2" "Address = 192.0.2.3:7789" "Timeout = 600s" "SendBuffer = 256M" \
	"OnCongestion = ahead" \
	"[Peer]" "NodeId = 3" "Address = 192.0.2.4:1" "Timeout = 5000" "SendBuffer = 65536" \
	"onCongestion = Block"
chmod 600 "$T/k1.conf"
"$HCTL" -c "$T/k1.conf" dump-md >/dev/null 2>"$T/err" && [ ! -s "$T/err" ]
ok $? "config: every replication key"
conf k2 "[Resource]" "Disk = $T/disk" "NodeId = 0" "Address = 192.0.2.1:7789" \
	"[Peer]" "NodeId = 1" "Address = 192.0.2.2:7789" "Timeout = 99ms" "Timeout = 1"
expect 3 "k2.conf:8: Timeout 99ms out of range 100ms..600s" "config: Timeout out of range" -- \
	"$HCTL" -c "$T/k2.conf" connect
expect 3 "k2.conf:9: duplicate key 'Timeout'" "config: duplicate Timeout" -- \
	"$HCTL" -c "$T/k2.conf" connect
conf k3 "[Resource]" "Disk = $T/disk" "NodeId = 0" "Address = 192.0.2.1:7789" \
	"[Peer]" "NodeId = 1" "Address = 192.0.2.2:7789" "Timeout = 5 s"
expect 3 "k3.conf:8: bad Timeout '5 s'" "config: bad Timeout" -- "$HCTL" -c "$T/k3.conf" connect
conf k4 "[Resource]" "Disk = $T/disk" "NodeId = 0" "Address = 192.0.2.1:7789" "Mode = async" \
	"[Peer]" "NodeId = 1" "Address = 192.0.2.2:7789" "SendBuffer = 257M" \
	"[Peer]" "NodeId = 2" "Address = 192.0.2.3:7789" "SendBuffer = 4G" \
	"[Peer]" "NodeId = 3" "Address = 192.0.2.4:7789" "SendBuffer = 63K"
expect 3 "k4.conf:9: SendBuffer 257M out of range 64K..256M" "config: SendBuffer too big" -- \
	"$HCTL" -c "$T/k4.conf" connect
expect 3 "k4.conf:13: SendBuffer 4G out of range" "config: SendBuffer in GiB" -- "$HCTL" -c "$T/k4.conf" connect
expect 3 "k4.conf:17: SendBuffer 63K out of range" "config: SendBuffer too small" -- \
	"$HCTL" -c "$T/k4.conf" connect
conf k14 "[Resource]" "Disk = $T/disk" "NodeId = 0" "Address = 192.0.2.1:7789" \
	"[Peer]" "NodeId = 1" "Address = 192.0.2.2:7789" "ResyncRate = 63K" "Csums = maybe" \
	"[Peer]" "NodeId = 2" "Address = 192.0.2.3:7789" "ResyncRate = 5 M" "Csums = TRUE" \
	"[Peer]" "NodeId = 3" "Address = 192.0.2.4:7789" "ResyncRate = 5G" "Csums = 0" \
	"[Peer]" "NodeId = 4" "Address = 192.0.2.5:7789" "resyncrate = 4G" "Csums = off" \
	"[Peer]" "NodeId = 5" "Address = 192.0.2.6:7789" "ResyncRate = 65536"
"$HCTL" -c "$T/k14.conf" connect >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 3 ] && grep -q "k14.conf:8: ResyncRate 63K out of range 64K..4G" "$T/err" &&
	grep -q "k14.conf:9: bad Csums 'maybe': expected yes or no" "$T/err" &&
	grep -q "k14.conf:13: bad ResyncRate '5 M': expected bytes per second" "$T/err" &&
	grep -q "k14.conf:18: ResyncRate 5G out of range" "$T/err" &&
	[ "$(wc -l <"$T/err")" -eq 4 ]
ok $? "config: ResyncRate and Csums"
conf k15 "[Resource]" "Disk = $T/disk" "NodeId = 0" "Address = 192.0.2.1:7789" \
	"[Peer]" "NodeId = 1" "Address = 192.0.2.2:7789" "AfterSplitBrain = discard-older-primary"
expect 3 "k15.conf:8: bad AfterSplitBrain 'discard-older-primary': expected disconnect, discard-zero-changes, discard-younger-primary or discard-least-changes" \
	"config: bad AfterSplitBrain" -- "$HCTL" -c "$T/k15.conf" connect
conf k5 "[Resource]" "Disk = $T/disk" "NodeId = 0" "Address = 192.0.2.1:7789" \
	"[Peer]" "NodeId = 1" "Address = 192.0.2.2:7789" "SendBuffer = 8M" \
	"[Peer]" "NodeId = 2" "Address = 192.0.2.3:7789" "Mode = sync" "OnCongestion = ahead"
expect 3 "k5.conf:8: SendBuffer is for async peers only, and this peer's Mode is sync \(the \[Resource\]'s\)" \
	"config: SendBuffer on a sync peer" -- "$HCTL" -c "$T/k5.conf" connect
expect 3 "k5.conf:13: OnCongestion is for async peers only" "config: OnCongestion on a sync peer" -- \
	"$HCTL" -c "$T/k5.conf" connect
conf k6 "[Resource]" "Disk = $T/disk" "NodeId = 0" "Address = 192.0.2.1:7789" \
	"[Peer]" "NodeId = 1" "Address = 192.0.2.2:7789" "Mode = async" "OnCongestion = later"
expect 3 "k6.conf:9: bad OnCongestion 'later': expected block or ahead" "config: bad OnCongestion" -- \
	"$HCTL" -c "$T/k6.conf" connect
conf k7 "[Resource]" "Disk = $T/disk" "NodeId = 0" \
	"Secret = $(printf 'x%.0s' $(seq 65))"
expect 3 "k7.conf:4: Secret is 65 bytes long, at most 64" "config: Secret too long" -- \
	"$HCTL" -c "$T/k7.conf" dump-md
conf k8 "[Resource]" "Disk = $T/disk" "NodeId = 0" "Secret = abc#def"
expect 3 "k8.conf:4: Secret contains '#'" "config: '#' in a Secret" -- "$HCTL" -c "$T/k8.conf" dump-md
# Fencing keys
conf f1 "[Resource]" "Disk = $T/disk" "NodeId = 0" "Address = 192.0.2.1:7789" \
	"Fencing = resource-and-stonith" "FenceHandler = /usr/lib/harepl/harepl-fence-peer" \
	"[Peer]" "NodeId = 1" "Address = 192.0.2.2:7789"
"$HCTL" -c "$T/f1.conf" dump-md >/dev/null 2>"$T/err" && [ ! -s "$T/err" ]
ok $? "config: Fencing and FenceHandler"
conf f2 "[Resource]" "Disk = $T/disk" "NodeId = 0" "Address = 192.0.2.1:7789" \
	"Fencing = resource-only" "[Peer]" "NodeId = 1" "Address = 192.0.2.2:7789"
expect 3 "f2.conf:5: Fencing resource-only needs a FenceHandler in \[Resource\]" \
	"config: Fencing without FenceHandler" -- "$HCTL" -c "$T/f2.conf" connect
conf f3 "[Resource]" "Disk = $T/disk" "NodeId = 0" "Fencing = stonith"
expect 3 "f3.conf:4: bad Fencing 'stonith': expected none, resource-only or resource-and-stonith" \
	"config: bad Fencing" -- "$HCTL" -c "$T/f3.conf" dump-md
conf f4 "[Resource]" "Disk = $T/disk" "NodeId = 0" "Fencing = none" "FenceHandler = fence.sh"
expect 3 "f4.conf:5: bad FenceHandler 'fence.sh': expected an absolute path" \
	"config: relative FenceHandler" -- "$HCTL" -c "$T/f4.conf" dump-md
conf f5 "[Resource]" "Disk = $T/disk" "NodeId = 0" "FenceHandler = /$(printf 'x%.0s' $(seq 256))"
expect 3 "f5.conf:4: FenceHandler is 257 bytes long, at most 255" \
	"config: FenceHandler too long" -- "$HCTL" -c "$T/f5.conf" dump-md
"$HCTL" resume-io --help | grep -q "^Usage: hareplctl resume-io \[--fail\] RES"
ok $? "resume-io --help"

peers=()
for i in 0 1 2 3 4 5 6 7 8; do
	peers+=("[Peer]" "NodeId = $i" "Address = 192.0.2.$((i + 10)):7789")
done
conf k9 "[Resource]" "Disk = $T/disk" "NodeId = 8" "Address = 192.0.2.1:7789" "${peers[@]}"
expect 3 "k9.conf:29: too many \[Peer\] sections \(at most 8\)" "config: too many peers" -- \
	"$HCTL" -c "$T/k9.conf" connect
conf k10 "[Resource]" "Disk = $T/disk" "NodeId = 0" "[Peer]" "NodeId = 1" \
	"Address = 192.0.2.2:7789"
expect 3 "k10.conf:1: missing key 'Address' in \[Resource\]" "config: Address needed with peers" -- \
	"$HCTL" -c "$T/k10.conf" up
conf k11 "[Resource]" "Disk = $T/disk" "NodeId = 0" "Address = [2001:db8::1]:7789" \
	"[Peer]" "NodeId = 1" "Address = 192.0.2.2:7789"
expect 3 "k11.conf:7: peer Address is IPv4, but the local Address \(line 4\) is IPv6" \
	"config: address families differ" -- "$HCTL" -c "$T/k11.conf" connect
conf k12 "[Resource]" "Name = r0" "Disk = $T/disk" "NodeId = 0" "Secret = abc"
chmod 644 "$T/k12.conf"
expect 0 "warning: .*k12.conf holds a Secret and is accessible to all users" \
	"config: readable Secret warned about" -- "$HCTL" -c "$T/k12.conf" dump-md
conf k13 "[Resource]" "Disk = $T/disk" "NodeId = 0"
expect 3 "k13.conf has no \[Peer\] section: nothing to connect to" "connect without peers" -- \
	"$HCTL" -c "$T/k13.conf" connect k13
expect 2 "bad resource name '-x'" "disconnect: bad name" -- "$HCTL" disconnect -- -x

all=0
for cmd in create-md dump-md up down primary secondary connect disconnect status events \
	resync verify invalidate resume-io; do
	"$HCTL" "$cmd" --help | grep -q "^Usage: hareplctl $cmd" || all=1
done
ok $all "--help on every command"
"$HCTL" --help | grep -q "create-md" && [ "$("$HCTL" --help | grep -c '^  [a-z-]*  ')" -eq 14 ]
ok $? "--help lists the commands"
expect 2 "unknown command 'frob'" "unknown command" -- "$HCTL" frob
expect 2 "^hareplctl: verify: bad --peer '9': expected a node id from 0 to 8" "verify: bad --peer" -- \
	"$HCTL" verify --peer 9 r0
expect 2 "^hareplctl: invalidate: unknown option '--wait'" "invalidate takes no --wait" -- \
	"$HCTL" invalidate --wait r0
expect 2 "^hareplctl: resync: missing resource name" "resync: missing resource" -- \
	"$HCTL" resync --wait
expect 2 "unknown option '--frob'" "unknown option" -- "$HCTL" status --frob

if "$HCTL" status >/dev/null 2>&1 || [ $? -ne 6 ]; then
	echo "ok $((n + 1)) status without the module # SKIP harepl is loaded"
	echo "ok $((n + 2)) events without the module # SKIP harepl is loaded"
	echo "ok $((n + 3)) connect without the module # SKIP harepl is loaded"
	echo "ok $((n + 4)) verify without the module # SKIP harepl is loaded"
	n=$((n + 4))
else
	expect 6 "^hareplctl: harepl kernel module not loaded \(genetlink family 'harepl' not found\)" \
		"status without the module" -- "$HCTL" status
	expect 6 "harepl kernel module not loaded" "events without the module" -- \
		"$HCTL" events --count 1
	expect 6 "harepl kernel module not loaded" "connect without the module" -- \
		"$HCTL" -c "$T/k1.conf" connect
	expect 6 "harepl kernel module not loaded" "verify without the module" -- \
		"$HCTL" -c "$T/k1.conf" verify --wait
fi

echo "# $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
