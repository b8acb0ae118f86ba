#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# bench-hostcpu.py TESTDIR OUT - the host CPU each qemu thread of a bench
# VM pair spends while node 0's fio runs (scripts/bench-trace.sh --hostcpu).
#
# Started before scripts/run-tests.sh boots the VMs. Finds the qemu
# processes of the test in TESTDIR (build/check/bench/trace-qd1: their
# command line names harepl_test=bench/trace-qd1 and harepl_node=N), waits
# for node 0's console (TESTDIR/console0.log) to print "# hostcpu: start",
# reads every qemu thread's utime+stime (/proc/PID/task/TID/stat), reads
# them again at "# hostcpu: end" and writes per node and thread name the
# CPU seconds used in between, with the wall time, to OUT (JSON). Gives up
# when the VMs are gone. Under TCG a vCPU thread ("CPU n/TCG") runs the
# guest and the device emulation it traps into; the main thread
# ("qemu-system-x86") runs the event loop: the socket netdev, timers and
# the completion of disk I/O; "worker" threads do the disk I/O itself.
import json
import os
import sys
import time

testdir, out = sys.argv[1:3]
tag = "harepl_test=" + os.path.relpath(testdir, os.path.join(testdir, "..", ".."))
console = os.path.join(testdir, "console0.log")
HZ = os.sysconf("SC_CLK_TCK")


def vms():
    found = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if not args or b"qemu-system" not in os.path.basename(args[0]):
            continue
        line = b" ".join(args).decode(errors="replace")
        if tag + " " not in line:
            continue
        for w in line.split():
            if w.startswith("harepl_node="):
                found[int(w.split("=")[1])] = int(pid)
    return found


def threads(pid):
    cpu = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return cpu
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                s = f.read()
        except OSError:
            continue
        comm = s[s.index("(") + 1:s.rindex(")")]
        fields = s[s.rindex(")") + 2:].split()
        # utime and stime are fields 14 and 15 of stat, 12 and 13 here
        cpu[tid] = (comm, (int(fields[11]) + int(fields[12])) / HZ)
    return cpu


def seen(marker):
    try:
        with open(console, errors="replace") as f:
            return marker in f.read()
    except OSError:
        return False


def process(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return 0.0
    fields = s[s.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def snapshot(pids):
    # a process's times include those of its threads that have exited
    return (time.monotonic(), {n: threads(p) for n, p in pids.items()},
            {n: process(p) for n, p in pids.items()})


pids = {}
deadline = time.monotonic() + 120
while len(pids) < 2:
    if time.monotonic() > deadline:
        sys.exit("bench-hostcpu: the two VMs of %s never started" % tag)
    time.sleep(0.1)
    pids = vms()
before = after = None
while after is None:
    time.sleep(0.05)
    if not all(os.path.exists("/proc/%d" % p) for p in pids.values()):
        sys.exit("bench-hostcpu: the VMs ended before the end marker")
    if before is None and seen("# hostcpu: start"):
        before = snapshot(pids)
    elif before is not None and seen("# hostcpu: end"):
        after = snapshot(pids)

res = {"wall": after[0] - before[0], "nodes": {}}
for n in sorted(pids):
    per = {}
    for tid, (comm, t) in after[1][n].items():
        t0 = before[1][n].get(tid, (comm, 0.0))[1]
        # worker threads come and go: group threads by name
        name = "worker" if comm.startswith("worker") else comm
        per[name] = per.get(name, 0.0) + t - t0
    total = after[2][n] - before[2][n]
    if total - sum(per.values()) >= 0.01:
        per["threads that exited"] = total - sum(per.values())
    per["total"] = total
    res["nodes"][str(n)] = per
with open(out, "w") as f:
    json.dump(res, f, indent=1)
