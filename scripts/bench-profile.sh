#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-profile.sh [SYSTEM [QD]] - where the CPU goes while one system takes
# 4 KiB random writes.
#
# Boots the two bench VMs (as scripts/bench.sh does) from an initramfs with
# perf packed (build/initramfs-perf.cpio), sets up SYSTEM (harepl-async by
# default; harepl-sync, drbd-A, drbd-C, ... as in make bench), and samples
# both nodes with `perf record -a -g -e cpu-clock` during 10 s of fio
# randwrite 4k at QD writes in flight (default 32) on node 0. Prints the
# top of each node's flat profile, then per write the packets on eth0 and
# the virtio interrupts of each node; the full profiles, and the callers of
# the top symbols, stay in build/check/bench/trace-qd1/node<N>-results/.
# Under TCG there is no PMU: cpu-clock samples emulated time, which is what
# the benchmark pays for.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC"
SYS=${1:-harepl-async}
QD=${2:-32}
command -v perf >/dev/null || { echo "bench-profile: perf not found (apt-get install linux-perf)" >&2; exit 2; }
make -s all tests-bin
mkdir -p build/bench
EXTRA_TOOLS=perf scripts/mkinitramfs.sh build/initramfs-perf.cpio
export INITRAMFS=build/initramfs-perf.cpio
if [ "${BENCH_NODELAY:-1}" = 1 ]; then
	scripts/bench-qemu.sh --build
	export QEMU=$SRC/scripts/bench-qemu.sh
fi
export HAREPL_APPEND="${HAREPL_APPEND:-} bench_trace=$SYS bench_trace_qd=$QD bench_profile=1${BENCH_MTU:+ bench_mtu=$BENCH_MTU}"
scripts/run-tests.sh bench/trace-qd1
D=build/check/bench/trace-qd1
for n in 0 1; do
	echo "== node $n ($([ $n = 0 ] && echo primary || echo secondary)): $SYS, 4k randwrite qd$QD"
	grep -v '^#' "$D/node$n-results/profile.txt" | grep -v '^$' | head -n "${PROFILE_LINES:-30}"
done
# per write: packets on eth0 and virtio interrupts, on each node
python3 - "$D" <<'PYEOF'
import json
import re
import sys

d = sys.argv[1]
fio = json.load(open(d + "/node0-results/fio.json"))
writes = fio["jobs"][0]["write"]["total_ios"]
print("== per write (%d writes, %.0f IOPS)" % (writes, fio["jobs"][0]["write"]["iops"]))


def counters(path):
    c = {}
    for line in open(path):
        m = re.match(r"\s*eth0:\s*(.*)", line)
        if m:
            f = [int(x) for x in m.group(1).split()]
            c["eth0 rx packets"] = f[1]
            c["eth0 tx packets"] = f[9]
            continue
        m = re.match(r"\s*\d+:\s+([\d\s]+?)\s+\S+.*?(virtio\S*)", line)
        if m:
            name = re.sub(r"\.\d+$", "", m.group(2))
            c["irq " + name] = c.get("irq " + name, 0) + sum(int(x) for x in m.group(1).split())
    return c


for n in (0, 1):
    try:
        a = counters("%s/node%d-results/counters-before.txt" % (d, n))
        b = counters("%s/node%d-results/counters-after.txt" % (d, n))
    except OSError:
        continue
    row = ["%s %.2f" % (k, (b[k] - a.get(k, 0)) / writes) for k in sorted(b) if b[k] != a.get(k, 0)]
    print("node %d: %s" % (n, ", ".join(row)))
PYEOF
