#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the kernel version to build and test against: the newest one that
# has both headers (/usr/lib/modules/<ver>/build) and a bootable image
# (/boot/vmlinuz-<ver>). $KVER, when set, wins. Prints nothing if none.
set -eu
if [ -n "${KVER:-}" ]; then
	echo "$KVER"
	exit 0
fi
best=""
for d in /usr/lib/modules/*/build; do
	[ -e "$d" ] || continue
	v=${d%/build}
	v=${v##*/}
	[ -f "/boot/vmlinuz-$v" ] || continue
	if [ -z "$best" ] || [ "$(printf '%s\n%s\n' "$best" "$v" | sort -V | tail -n1)" = "$v" ]; then
		best=$v
	fi
done
echo "$best"
