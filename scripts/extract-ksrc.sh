#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Extract from Debian's linux-source-6.1 the few files the build uses:
# checkpatch.pl (make style) and kselftest_harness.h (C tests).
set -eu
dest=${1:?usage: extract-ksrc.sh DESTDIR}
tarball=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -n 1)
[ -n "$tarball" ] || { echo "extract-ksrc: linux-source-6.1 is not installed (scripts/install-deps.sh)" >&2; exit 1; }
mkdir -p "$dest"
tar -C "$dest" -xf "$tarball" \
	linux-source-6.1/scripts/checkpatch.pl \
	linux-source-6.1/scripts/spelling.txt \
	linux-source-6.1/scripts/const_structs.checkpatch \
	linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
	linux-source-6.1/tools/testing/selftests/kselftest.h
touch "$dest/linux-source-6.1/.done"
