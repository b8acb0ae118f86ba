#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=180 disks=128M,16M,64M,16M,16M,16M
#
# The constructor refuses bad table lines, says why in the kernel log, and
# leaves nothing behind. vdb: r0 internal; vdc: held by another dm device;
# vdd + vde: r2 with external metadata; vdf: blank; vdg: a second r0.
. "${0%/*}/lib.sh"

load_module
write_conf r0 /dev/vdb internal
write_conf r2 /dev/vdd /dev/vde
run hareplctl create-md r0 >/dev/null || die "create-md r0 failed"
run hareplctl create-md r2 >/dev/null || die "create-md r2 failed"
CONF=/etc/harepl/r0-copy.conf write_conf r0 /dev/vdg internal
run hareplctl -c /etc/harepl/r0-copy.conf create-md r0 >/dev/null || die "create-md r0 copy failed"
R0=$(hareplctl dump-md --json r0 | jq -r .data_sectors)
R2=$(hareplctl dump-md --json r2 | jq -r .data_sectors)
log "r0 data area $R0 sectors, r2 $R2"
# a mounted filesystem holds vdc exclusively
mkdir -p /mnt/hold
run mkfs.ext4 -q /dev/vdc && run mount /dev/vdc /mnt/hold || die "cannot hold vdc"
run dmsetup create half --table "0 $((R2 / 2)) linear /dev/vdd 0" || die "cannot make half"

# refused NAME TABLE MESSAGE: creating dm device "bad" with TABLE fails and
# the kernel log gets "harepl: MESSAGE"
refused() {
	_name=$1 _table=$2 _msg=$3
	dmesg -C
	if dmsetup create bad --table "$_table" 2>/dev/null; then
		log "accepted: $_table"
		dmsetup remove bad
		ktap_test_fail "$_name"
		return
	fi
	if ! dmesg | grep -qF "harepl: $_msg"; then
		log "table: $_table"
		log "expected: $_msg"
		dmesg | tail -n 3 | sed 's/^/# got: /'
		ktap_test_fail "$_name"
		return
	fi
	if dmsetup info bad >/dev/null 2>&1; then
		log "device 'bad' left behind"
		ktap_test_fail "$_name"
		return
	fi
	ktap_test_pass "$_name"
}

ktap_print_header
ktap_set_plan 17

LONG=abcdefghijklmnopqrstuvwxyz0123456789
refused too_few_args "0 1024 harepl /dev/vdb internal" "Requires <data-dev>"
refused bad_name_chars "0 1024 harepl /dev/vdb internal bad/name" "Invalid resource name"
refused bad_name_leading_dash "0 1024 harepl /dev/vdb internal -r0" "Invalid resource name"
refused name_too_long "0 1024 harepl /dev/vdb internal $LONG" "Invalid resource name"
refused missing_device "0 1024 harepl /dev/nonexistent internal r0" "Data device not found"
refused busy_device "0 1024 harepl /dev/vdc internal r0" "Data device is busy"
refused missing_meta_device "0 1024 harepl /dev/vdd /dev/nonexistent r2" "Metadata device not found"
refused meta_is_data "0 1024 harepl /dev/vdb /dev/vdb r0" "Metadata device is the data device"
refused no_superblock "0 1024 harepl /dev/vdf internal r0" "No valid harepl superblock (bad magic"
refused wrong_resource "0 1024 harepl /dev/vdb internal r1" "Superblock belongs to another resource"
refused table_too_long "0 $((R0 + 8)) harepl /dev/vdb internal r0" "Table length exceeds the data area"
refused data_smaller_than_md "0 1024 harepl /dev/mapper/half /dev/vde r2" "Data device smaller than the superblock's data area"
refused unknown_feature "0 1024 harepl /dev/vdb internal r0 1 frobnicate" "Unknown feature argument"
refused bad_feature_count "0 1024 harepl /dev/vdb internal r0 2 no_discard_passdown" "Invalid number of feature arguments"

# r0's internal superblock copied to the start of vdf, named as external
SB=$(hareplctl dump-md --json r0 | jq -r .sb_sector)
dd if=/dev/vdb of=/dev/vdf bs=512 skip="$SB" count=8 conv=notrunc 2>/dev/null
refused internal_as_external "0 1024 harepl /dev/vdd /dev/vdf r0" "Superblock is for internal metadata, table names a metadata device"

# a corrupted superblock: flip a byte inside the padding
dd if=/dev/vdb of=/tmp/sb bs=512 skip="$SB" count=8 2>/dev/null
printf 'X' | dd of=/dev/vdb bs=1 seek=$((SB * 512 + 1000)) conv=notrunc 2>/dev/null
refused bad_checksum "0 1024 harepl /dev/vdb internal r0" "No valid harepl superblock (checksum mismatch)"
dd if=/tmp/sb of=/dev/vdb bs=512 seek="$SB" count=8 conv=notrunc 2>/dev/null

# the same name twice in one namespace
run dmsetup create first --table "0 1024 harepl /dev/vdb internal r0" || die "valid table refused"
refused duplicate_name "0 1024 harepl /dev/vdg internal r0" "Resource name already exists in this network namespace"
run dmsetup remove first

nothing_left=$(hareplctl status --json | jq length)
[ "$nothing_left" = 0 ] || die "resources left: $(hareplctl status)"
run dmsetup remove half
run umount /mnt/hold
check_dmesg
ktap_finished
