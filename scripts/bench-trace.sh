#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-trace.sh [SYSTEM] - where a replicated 4 KiB qd1 write's time goes.
#
# Boots the two bench VMs (as scripts/bench.sh does), sets up SYSTEM
# (harepl-sync by default; drbd-C, harepl-async, ... as in make bench), runs
# 3 s of 4 KiB random writes at qd1 on node 0 while both nodes record
# tracefs events (tests/bench/trace-qd1.sh), and prints the median of each
# step of a write: on node 0 from the bio's arrival to the data leaving
# eth0, to the acknowledgement arriving, to the completion; on node 1 from
# the data arriving to the disk write, its completion and the ack leaving;
# the wire is what node 0 waited minus what node 1 took. Traces stay in
# build/check/bench/trace-qd1/node<N>-results/trace.txt.
#
# bench-trace.sh --profile [SYSTEM [QD]] - the same run as a perf profile
# (scripts/bench-profile.sh, which says more).
#
# bench-trace.sh --hostcpu [SYSTEM [QD]] - the same 10 s of fio at depth QD
# (default 32; SYSTEM default harepl-async) with neither tracing nor perf in
# the guests: scripts/bench-hostcpu.py reads the host CPU of every qemu
# thread of both VMs around fio, and this prints it per write, with node
# 0's guest CPU use. Under TCG the host's CPU is what a write costs.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC"
PROFILE=0
HOSTCPU=0
if [ "${1:-}" = --profile ]; then
	PROFILE=1
	shift
elif [ "${1:-}" = --hostcpu ]; then
	HOSTCPU=1
	shift
fi
mkdir -p build/bench
if [ "${BENCH_NODELAY:-1}" = 1 ]; then
	scripts/bench-qemu.sh --build
	export QEMU=$SRC/scripts/bench-qemu.sh
fi
if [ $PROFILE = 1 ]; then
	SYS=${1:-harepl-async}
	QD=${2:-32}
	command -v perf >/dev/null || { echo "bench-profile: perf not found (apt-get install linux-perf)" >&2; exit 2; }
	make -s all tests-bin
	EXTRA_TOOLS=perf scripts/mkinitramfs.sh build/initramfs-perf.cpio
	export INITRAMFS=build/initramfs-perf.cpio
	HAREPL_APPEND="${HAREPL_APPEND:-} bench_trace_qd=$QD bench_profile=1"
elif [ $HOSTCPU = 1 ]; then
	SYS=${1:-harepl-async}
	QD=${2:-32}
	HAREPL_APPEND="${HAREPL_APPEND:-} bench_trace_qd=$QD bench_hostcpu=1"
else
	SYS=${1:-harepl-sync}
fi
export HAREPL_APPEND="${HAREPL_APPEND:-} bench_trace=$SYS${BENCH_MTU:+ bench_mtu=$BENCH_MTU}"
# per_write_counters: per write on each node, from the guests' counters
# around fio (node<N>-results/counters-{before,after}.txt): packets on
# eth0, virtio interrupts, IPIs, timer interrupts, context switches, and
# the guest CPUs' use when /proc/stat was saved (--hostcpu)
per_write_counters() {
	python3 - "$D" <<'PYEOF'
import json
import re
import sys

d = sys.argv[1]
fio = json.load(open(d + "/node0-results/fio.json"))
writes = fio["jobs"][0]["write"]["total_ios"]
print("== per write (%d writes, %.0f IOPS)" % (writes, fio["jobs"][0]["write"]["iops"]))


def counters(path):
    """guest CPU (busy, total jiffies), then per-write event counts"""
    c = {}
    busy = total = 0
    for line in open(path):
        w = line.split()
        if not w:
            continue
        if w[0] == "cpu":
            f = [int(x) for x in w[1:]]
            busy, total = sum(f) - f[3] - f[4], sum(f)
        elif w[0] == "ctxt":
            c["context switches"] = int(w[1])
        elif w[0] == "eth0:":
            c["eth0 rx packets"] = int(w[2])
            c["eth0 tx packets"] = int(w[10])
        elif w[0] in ("RES:", "CAL:", "LOC:"):
            n = [int(x) for x in w[1:] if x.isdigit()]
            c[{"RES:": "IPI resched", "CAL:": "IPI call", "LOC:": "timer irqs"}[w[0]]] = sum(n)
        elif w[0].rstrip(":").isdigit() and "virtio" in line:
            name = re.sub(r"\.\d+$", "", [x for x in w if "virtio" in x][-1])
            n = [int(x) for x in w[1:] if x.isdigit()]
            c["irq " + name] = c.get("irq " + name, 0) + sum(n)
    return busy, total, c


for n in ("0", "1"):
    try:
        b0, t0, a = counters("%s/node%s-results/counters-before.txt" % (d, n))
        b1, t1, b = counters("%s/node%s-results/counters-after.txt" % (d, n))
    except OSError:
        continue
    row = ["%s %.2f" % (k, (b[k] - a.get(k, 0)) / writes) for k in sorted(b)
           if b[k] != a.get(k, 0)]
    cpu = "guest CPUs busy %.0f %%; " % (100.0 * (b1 - b0) / (t1 - t0)) if t1 > t0 else ""
    print("node %s: %s%s" % (n, cpu, ", ".join(row)))
PYEOF
}

D=build/check/bench/trace-qd1
if [ $HOSTCPU = 1 ]; then
	rm -f "$D/hostcpu.json"
	python3 scripts/bench-hostcpu.py "$D" "$D/hostcpu.json" &
	SAMPLER=$!
fi
scripts/run-tests.sh bench/trace-qd1
if [ $HOSTCPU = 1 ]; then
	wait $SAMPLER || { echo "bench-hostcpu: no measurement" >&2; exit 1; }
	python3 - "$D" "$SYS" "$QD" <<'PYEOF'
import json
import sys

d, sysname, qd = sys.argv[1:4]
fio = json.load(open(d + "/node0-results/fio.json"))["jobs"][0]
h = json.load(open(d + "/hostcpu.json"))
writes = fio["write"]["total_ios"]
# writes between the marks: fio's rate over the marks' wall time (they
# bracket fio's 10 s and a few ms of its start and exit)
wall = h["wall"]
rate = writes / (fio["write"]["runtime"] / 1000.0)
print("== %s, 4k randwrite qd%s: %.0f IOPS; host CPU between the marks (%.1f s)"
      % (sysname, qd, rate, wall))
print("%-6s %-22s %9s %8s %14s" % ("node", "qemu thread", "CPU s", "% core", "us per write"))
for n, per in sorted(h["nodes"].items()):
    for name, t in sorted(per.items(), key=lambda x: (x[0] == "total", -x[1])):
        if t < 0.005 and name != "total":
            continue
        print("%-6s %-22s %9.2f %8.0f %14.0f" % (n, name, t, 100 * t / wall, 1e6 * t / (rate * wall)))
PYEOF
	per_write_counters
	exit 0
fi
if [ $PROFILE = 1 ]; then
	for n in 0 1; do
		echo "== node $n ($([ $n = 0 ] && echo primary || echo secondary)): $SYS, 4k randwrite qd$QD"
		grep -v '^#' "$D/node$n-results/profile.txt" | grep -v '^$' | head -n "${PROFILE_LINES:-30}"
	done
	per_write_counters
	exit 0
fi
devs=$(tr -d '\r' <"$D/console0.log" | sed -n 's/^# devices: //p' | tail -n 1)
python3 - "$SYS" "$D/node0-results/trace.txt" "$D/node1-results/trace.txt" "$devs" <<'PYEOF'
import re
import statistics
import sys

sysname, t0, t1, devs = sys.argv[1:5]
words = devs.split()
# "DEV MAJ:MIN vdc MAJ:MIN vdd MAJ:MIN" in hex
top = words[1]
vdc, vdd = words[3], words[5]


def dec(mm):
    a, b = mm.split(":")
    return "%d,%d" % (int(a, 16), int(b, 16))


top = dec(top)
disk = dec(vdd) if sysname.startswith("drbd") else dec(vdc)
LINE = re.compile(r"\s*(.+?)-(\d+)\s+\[\d+\]\s+\S+\s+([\d.]+):\s+(\w+):\s*(.*)")


def events(path):
    out = []
    for line in open(path):
        if line.startswith("#"):
            continue
        m = LINE.match(line)
        if m:
            out.append((float(m.group(3)) * 1e6, m.group(4), m.group(5)))
    return out


def length(a):
    m = re.search(r"len=(\d+)", a)
    return int(m.group(1)) if m else 0


def sector(a):
    m = re.search(r"(\d+) \+ 8", a)
    return m.group(1) if m else None


def report(title, segs):
    print(title)
    for name, xs in segs.items():
        if xs:
            unit = "   " if "count" in name or "wakeups" in name else " us"
            print("  %-40s %6.0f%s  (n=%d, mean %.1f)" % (name, statistics.median(xs), unit,
                                                         len(xs), statistics.mean(xs)))


e0 = events(t0)
seg0 = {"bio arrives -> data leaves eth0": [], "data leaves -> ack arrives": [],
        "ack arrives -> bio completes": [], "bio arrives -> bio completes": [],
        "local disk write (issue -> complete)": [], "wakeups per write (count)": []}
starts = [i for i, e in enumerate(e0) if e[1] == "block_bio_queue" and e[2].startswith(top + " W")
          and " + 8 " in e[2]]
for k, i in enumerate(starts):
    end = starts[k + 1] if k + 1 < len(starts) else len(e0)
    q = e0[i][0]
    sec = sector(e0[i][2])
    x = c = a = li = lc = None
    wake = 0
    for t, ev, arg in e0[i + 1:end]:
        if ev == "net_dev_xmit" and x is None and length(arg) > 1000:
            x = t
        elif ev == "netif_receive_skb" and c is None:
            a = t
        elif ev == "block_bio_complete" and arg.startswith(top):
            c = t
        elif ev == "block_rq_issue" and arg.startswith(disk) and sector(arg) == sec and li is None:
            li = t
        elif ev == "block_rq_complete" and arg.startswith(disk) and sector(arg) == sec and lc is None:
            lc = t
        elif ev == "sched_wakeup" and c is None:
            wake += 1
    if None in (x, c, a) or a < x:
        continue
    seg0["bio arrives -> data leaves eth0"].append(x - q)
    seg0["data leaves -> ack arrives"].append(a - x)
    seg0["ack arrives -> bio completes"].append(c - a)
    seg0["bio arrives -> bio completes"].append(c - q)
    seg0["wakeups per write (count)"].append(wake)
    if li and lc:
        seg0["local disk write (issue -> complete)"].append(lc - li)

e1 = events(t1)
seg1 = {"data arrives -> disk write issued": [], "flushes before it (count)": [],
        "disk write (issue -> complete)": [], "complete -> ack leaves eth0": [],
        "data arrives -> ack leaves": [], "wakeups per write (count)": []}
rx = [i for i, e in enumerate(e1) if e[1] == "netif_receive_skb" and length(e[2]) > 1000]
for k, i in enumerate(rx):
    end = rx[k + 1] + 40 if k + 1 < len(rx) else len(e1)
    r = e1[i][0]
    iss = cmp = ack = None
    sec = None
    flushes = wake = 0
    for t, ev, arg in e1[i + 1:end]:
        if ev == "block_rq_issue" and arg.startswith(disk):
            if " FF " in arg and iss is None:
                flushes += 1
            elif iss is None and " + 8 " in arg:
                iss, sec = t, sector(arg)
        elif ev == "block_rq_complete" and iss and cmp is None and sector(arg) == sec:
            cmp = t
        elif ev == "net_dev_xmit" and cmp and ack is None and length(arg) > 66:
            ack = t
            break
        elif ev == "sched_wakeup":
            wake += 1
    if None in (iss, cmp, ack):
        continue
    seg1["data arrives -> disk write issued"].append(iss - r)
    seg1["flushes before it (count)"].append(flushes)
    seg1["disk write (issue -> complete)"].append(cmp - iss)
    seg1["complete -> ack leaves eth0"].append(ack - cmp)
    seg1["data arrives -> ack leaves"].append(ack - r)
    seg1["wakeups per write (count)"].append(wake)

print("%s: 4 KiB random writes, qd1 (medians)" % sysname)
report("node 0 (primary):", seg0)
report("node 1 (secondary):", seg1)
if seg0["data leaves -> ack arrives"] and seg1["data arrives -> ack leaves"]:
    print("wire, both ways: %.0f us" % (statistics.median(seg0["data leaves -> ack arrives"]) -
                                         statistics.median(seg1["data arrives -> ack leaves"])))
PYEOF
