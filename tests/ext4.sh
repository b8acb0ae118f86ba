#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# harepl-test: vms=1 timeout=300 disks=128M
#
# A filesystem on the dm device: mkfs.ext4, mount, write files, sync,
# umount, fsck -n clean, and the contents intact after down/up.
. "${0%/*}/lib.sh"

ktap_print_header
ktap_set_plan 3

load_module
write_conf r0 /dev/vdb internal
run hareplctl create-md r0 >/dev/null || die "create-md failed"
run hareplctl up r0 && run hareplctl primary --force r0 || die "up/primary failed"
mkdir -p /mnt/r0

write_files() {
	run mkfs.ext4 -q -F /dev/mapper/r0 || return 1
	run mount -t ext4 /dev/mapper/r0 /mnt/r0 || return 1
	i=0
	while [ $i -lt 20 ]; do
		dd if=/dev/urandom of=/mnt/r0/f$i bs=4k count=$((i * 7 + 1)) 2>/dev/null || return 1
		i=$((i + 1))
	done
	mkdir -p /mnt/r0/dir/sub && echo hello >/mnt/r0/dir/sub/small || return 1
	(cd /mnt/r0 && find . -type f | sort | xargs md5sum) >/tmp/before || return 1
	sync && run umount /mnt/r0
}
ktap_test_result "mkfs_mount_write" write_files

fsck_clean() {
	run fsck.ext4 -n -f /dev/mapper/r0 >/tmp/fsck.out 2>&1
	rc=$?
	sed 's/^/# /' /tmp/fsck.out
	[ $rc -eq 0 ]
}
ktap_test_result "fsck_clean" fsck_clean

after_down_up() {
	run hareplctl down r0 && run hareplctl up r0 && run hareplctl primary --force r0 || return 1
	run mount -t ext4 /dev/mapper/r0 /mnt/r0 || return 1
	(cd /mnt/r0 && find . -type f | sort | xargs md5sum) >/tmp/after
	run umount /mnt/r0
	cmp /tmp/before /tmp/after || { diff /tmp/before /tmp/after | sed 's/^/# /'; return 1; }
	log "$(wc -l </tmp/after) files intact"
	run hareplctl down r0
}
ktap_test_result "contents_intact_after_down_up" after_down_up

check_dmesg
ktap_finished
