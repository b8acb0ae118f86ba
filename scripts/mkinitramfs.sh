#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh OUT.cpio - pack the busybox initramfs the harepl tests boot.
#
# Holds busybox, a few dynamic tools (iproute2, fio, dmsetup, e2fsprogs,
# setpriv, kmod, jq, xmllint) with their libraries, ocf-tester and the OCF
# shell functions, the kernel modules the tests need
# for KVER (plus harepl.ko when built), the tests and tests/lib/init as /init.
# The archive is an uncompressed newc cpio: the fastest to unpack under TCG.
#
# Environment: KVER (kernel version; default: the newest one with both
# /usr/lib/modules/<ver>/build and /boot/vmlinuz-<ver>), HAREPL_KO (default
# kernel/harepl.ko), EXTRA_MODULES (more module names to pack), EXTRA_TOOLS
# (more host programs to pack, e.g. perf for scripts/bench-profile.sh).
set -eu

die() { echo "mkinitramfs: $*" >&2; exit 1; }
warn() { echo "mkinitramfs: warning: $*" >&2; }

[ $# -eq 1 ] || die "usage: $0 OUT.cpio"
OUT=$1
SRC=$(cd "$(dirname "$0")/.." && pwd)
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"

KVER=$("$(dirname "$0")/kver.sh")
MODDIR=/lib/modules/$KVER
[ -d "$MODDIR" ] || die "$MODDIR does not exist"

for tool in busybox cpio ldd modprobe depmod modinfo; do
	command -v "$tool" >/dev/null || die "$tool not found (run scripts/install-deps.sh)"
done

ROOT=$(mktemp -d "${TMPDIR:-/tmp}/harepl-initramfs.XXXXXX")
trap 'rm -rf "$ROOT"' EXIT

# --- skeleton --------------------------------------------------------------
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,lib,etc/harepl,dev,proc,sys,tmp,run,var/tmp,root,tests/bin,mnt}
chmod 1777 "$ROOT/tmp" "$ROOT/var/tmp"
ln -s ../run "$ROOT/var/run"
# /dev/console lets the kernel give /init a console; /init also reopens it.
if [ "$(id -u)" -eq 0 ]; then
	mknod -m 600 "$ROOT/dev/console" c 5 1
	mknod -m 666 "$ROOT/dev/null" c 1 3
fi

# copy_libs BIN: copy BIN's shared libraries and ELF interpreter (as ldd names them)
copy_libs() {
	local out lib
	out=$(ldd "$1" 2>/dev/null) || return 0 # static binary or script
	if grep -q 'not found' <<<"$out"; then
		die "$1: missing libraries: $(grep 'not found' <<<"$out" | tr -s ' \t\n' ' ')"
	fi
	while read -r lib; do
		[ -e "$ROOT$lib" ] && continue
		mkdir -p "$ROOT$(dirname "$lib")"
		cp -L "$lib" "$ROOT$lib"
	done < <(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$out")
}

# remove_applet NAME: drop busybox's applet of that name so the real tool wins
remove_applet() {
	rm -f "$ROOT/bin/$1" "$ROOT/sbin/$1" "$ROOT/usr/bin/$1" "$ROOT/usr/sbin/$1"
}

# install_bin SRC DEST: copy an executable (and its libraries) to DEST in the image
install_bin() {
	remove_applet "$(basename "$2")"
	mkdir -p "$ROOT$(dirname "$2")"
	cp -L "$1" "$ROOT$2"
	chmod 755 "$ROOT$2"
	copy_libs "$1"
}

# host_tool NAME: install the host's NAME at the same path it has on the host
host_tool() {
	local p
	p=$(command -v "$1") || die "$1 not found (run scripts/install-deps.sh)"
	install_bin "$p" "$p"
}

# --- busybox with every applet ---------------------------------------------
BUSYBOX=$(command -v busybox)
if ldd "$BUSYBOX" >/dev/null 2>&1; then
	warn "$BUSYBOX is dynamically linked; install busybox-static"
	copy_libs "$BUSYBOX"
fi
cp -L "$BUSYBOX" "$ROOT/bin/busybox"
for applet in $("$ROOT/bin/busybox" --list-full); do
	[ "$applet" = bin/busybox ] && continue
	mkdir -p "$ROOT/$(dirname "$applet")"
	ln -sf /bin/busybox "$ROOT/$applet"
done

# Debian's busybox runs its own applets before looking at PATH (ash, and any
# applet that execs, e.g. timeout, env, xargs). So /bin/sh is dash, and the
# exec-ing applets are the real tools: then "ip" in a test is iproute2's.
for t in ip tc fio dmsetup mke2fs e2fsck setpriv kmod jq dash timeout env nice \
	nohup xargs setsid nsenter unshare taskset flock blkdiscard dmesg iperf3 drbdmeta; do
	host_tool "$t"
done
for t in ${EXTRA_TOOLS:-}; do
	host_tool "$t"
done
# DRBD 8.4's drbdsetup (drbd-utils), for make bench's side-by-side runs
[ -x /usr/lib/drbd/drbdsetup-84 ] || die "/usr/lib/drbd/drbdsetup-84 not found (run scripts/install-deps.sh)"
install_bin /usr/lib/drbd/drbdsetup-84 /usr/lib/drbd/drbdsetup-84
rm -f "$ROOT/bin/sh"
ln -s "$(command -v dash)" "$ROOT/bin/sh"
# e2fsprogs aliases
E2DIR=$(dirname "$(command -v mke2fs)")
for a in mkfs.ext2 mkfs.ext3 mkfs.ext4; do
	remove_applet "$a"
	ln -s mke2fs "$ROOT$E2DIR/$a"
done
for a in fsck.ext2 fsck.ext3 fsck.ext4; do
	remove_applet "$a"
	ln -s e2fsck "$ROOT$E2DIR/$a"
done
KMOD=$(command -v kmod)
for a in modprobe insmod rmmod lsmod modinfo depmod; do
	remove_applet "$a"
	ln -s "$KMOD" "$ROOT/sbin/$a"
done
# netem distribution tables (tc qdisc ... netem delay X Y distribution normal)
for d in /usr/lib/tc /lib/tc; do
	if [ -d "$d" ] && [ ! -e "$ROOT$d" ]; then
		mkdir -p "$ROOT$(dirname "$d")"
		cp -a "$d" "$ROOT$d"
		break
	fi
done

# OCF: Debian resource-agents' ocf-tester and shell functions, xmllint (the
# tester validates meta-data against ra-api-1.dtd) and our agent, installed
# as ocf:harepl:harepl
OCF_LIB=/usr/lib/ocf/lib/heartbeat
for f in /usr/sbin/ocf-tester $OCF_LIB/ocf-shellfuncs /usr/share/resource-agents/ra-api-1.dtd; do
	[ -f "$f" ] || die "$f not found (run scripts/install-deps.sh: resource-agents)"
done
host_tool xmllint
install_bin /usr/sbin/ocf-tester /usr/sbin/ocf-tester
mkdir -p "$ROOT$OCF_LIB" "$ROOT/usr/share/resource-agents" "$ROOT/usr/lib/ocf/resource.d/harepl"
for f in ocf-shellfuncs ocf-binaries ocf-returncodes ocf-directories ocf-rarun ocf-distro; do
	cp -L "$OCF_LIB/$f" "$ROOT$OCF_LIB/$f"
done
cp /usr/share/resource-agents/ra-api-1.dtd "$ROOT/usr/share/resource-agents/"
install -m 755 "$SRC/userspace/ocf/harepl" "$ROOT/usr/lib/ocf/resource.d/harepl/harepl"

# harepl's own userspace, when built
if [ -x "$SRC/userspace/hareplctl" ]; then
	install_bin "$SRC/userspace/hareplctl" /usr/sbin/hareplctl
fi
if [ -d "$SRC/build/tests/bin" ]; then
	for f in "$SRC"/build/tests/bin/*; do
		if [ ! -f "$f" ] || [ ! -x "$f" ]; then
			continue
		fi
		install_bin "$f" "/tests/bin/$(basename "$f")"
	done
fi

# --- /etc ------------------------------------------------------------------
[ -f /etc/mke2fs.conf ] && cp /etc/mke2fs.conf "$ROOT/etc/"
cat >"$ROOT/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$ROOT/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
echo "hosts: files" >"$ROOT/etc/nsswitch.conf"
printf '127.0.0.1\tlocalhost\n192.0.2.1\tnode0\n192.0.2.2\tnode1\n192.0.2.3\tnode2\n' >"$ROOT/etc/hosts"
: >"$ROOT/etc/fstab"

# --- kernel modules --------------------------------------------------------
# add_module NAME [optional]: pack NAME and everything it depends on
add_module() {
	local out line path
	if ! out=$(modprobe -S "$KVER" --show-depends "$1" 2>&1); then
		if [ "${2:-}" = optional ]; then
			return 0
		fi
		die "module $1 not found for $KVER: $out"
	fi
	while read -r line; do
		case $line in
		insmod\ *)
			path=${line#insmod }
			path=${path%% *}
			[ -e "$ROOT$path" ] && continue
			mkdir -p "$ROOT$(dirname "$path")"
			cp "$path" "$ROOT$path"
			;;
		esac
	done <<<"$out"
}

for m in virtio_pci virtio_blk virtio_net dm-mod dm-flakey dm-delay dm-log-writes \
	veth sch_netem sch_prio cls_u32 libcrc32c crc32c_generic null_blk loop drbd configfs; do
	add_module "$m"
done
# crypto that harepl may request by name, if modular in this kernel
for m in crc32c-intel hmac sha256_generic sha512_generic gcm ghash_generic ctr \
	aesni_intel ghash_clmulni_intel xxhash_generic ${EXTRA_MODULES:-}; do
	add_module "$m" optional
done

HAREPL_KO=${HAREPL_KO:-$SRC/kernel/harepl.ko}
if [ -f "$HAREPL_KO" ]; then
	vermagic=$(modinfo -F vermagic "$HAREPL_KO" 2>/dev/null || true)
	case "$vermagic" in
	"$KVER "*) ;;
	*) warn "$HAREPL_KO was built for '${vermagic%% *}', not $KVER" ;;
	esac
	mkdir -p "$ROOT$MODDIR/extra"
	cp "$HAREPL_KO" "$ROOT$MODDIR/extra/harepl.ko"
	for m in $(modinfo -F depends "$HAREPL_KO" | tr ',' ' ') \
		$(modinfo -F softdep "$HAREPL_KO" | tr ' ' '\n' | grep -v ':$' || true); do
		add_module "$m"
	done
else
	echo "mkinitramfs: note: $HAREPL_KO not built; packing without it" >&2
fi

for f in modules.order modules.builtin modules.builtin.modinfo; do
	[ -f "$MODDIR/$f" ] && cp "$MODDIR/$f" "$ROOT$MODDIR/"
done
depmod -b "$ROOT" "$KVER"

# --- tests and /init -------------------------------------------------------
cp "$SRC/tests/lib/init" "$ROOT/init"
chmod 755 "$ROOT/init"
for f in "$SRC"/tests/*.sh "$SRC"/tests/*.conf "$SRC"/scripts/demo-*.sh; do
	[ -f "$f" ] || continue
	cp "$f" "$ROOT/tests/"
	case $f in *.sh) chmod 755 "$ROOT/tests/$(basename "$f")" ;; esac
done
# make bench's guest side (tests/bench/*.sh, run as harepl_test=bench/NAME)
mkdir -p "$ROOT/tests/bench"
cp "$SRC"/tests/bench/*.sh "$ROOT/tests/bench/"
chmod 755 "$ROOT"/tests/bench/*.sh
echo "$KVER" >"$ROOT/etc/harepl/kver"

# --- pack ------------------------------------------------------------------
mkdir -p "$(dirname "$OUT")"
(cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "mkinitramfs: $OUT ($KVER, $(du -h "$OUT" | cut -f1))" >&2
