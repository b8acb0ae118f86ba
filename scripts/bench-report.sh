#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-report.sh [--doc] DIR - turn a `make bench` run into one table.
#
# DIR holds node0/results.csv (system,workload,metric,value,run; metric
# "error" marks a failed point), node0/meta.txt and host.txt, as
# scripts/bench.sh leaves them. Writes DIR/results.txt (plain text),
# DIR/results.md (the Markdown section) and DIR/performance.png (gnuplot,
# when gnuplot is installed). With --doc, also replaces the generated
# section of Documentation/performance.md (between its bench-report
# markers) and copies the figure to Documentation/performance.png.
#
# Each point: the median of its runs, with min..max. Ratios are plain
# quotients, so for a latency >1 is slower and for a throughput <1 is slower:
#   x raw    the same metric on the raw disk of node 0
#   x limit  seq write MB/s / the link's TCP MB/s (iperf3); for sync
#            replication, qd1 p50 latency / the physical floor
#            max(local p50, RTT + node 1's p50), and commits/s / the commit
#            rate of the floor max(local commit, 2 RTT + node 1's commit);
#            RTT is that of a 4 KiB message one way and a small one back,
#            estimated as the mean of the 56 B and 4 KiB ping medians
#   x DRBD   harepl sync / DRBD protocol C, harepl async / protocol A
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
DOC=0
if [ "${1:-}" = --doc ]; then
	DOC=1
	shift
fi
[ $# -eq 1 ] || { echo "usage: $0 [--doc] DIR" >&2; exit 2; }
DIR=$1
[ -s "$DIR/node0/results.csv" ] || { echo "bench-report: $DIR/node0/results.csv missing" >&2; exit 1; }

python3 - "$DIR" "$DOC" "$SRC" <<'PYEOF'
import csv
import os
import shutil
import statistics
import subprocess
import sys

DIR, DOC, SRC = sys.argv[1], sys.argv[2] == "1", sys.argv[3]


def keyvals(path):
    d = {}
    if os.path.exists(path):
        for line in open(path):
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                d[k] = v
    return d


meta = keyvals(os.path.join(DIR, "node0", "meta.txt"))
host = keyvals(os.path.join(DIR, "host.txt"))
RUNS = int(meta.get("runs", "1"))

vals = {}    # (system, workload, metric) -> [values]
errors = {}  # (system, workload) -> [(run, reason)]
with open(os.path.join(DIR, "node0", "results.csv")) as f:
    for row in csv.reader(f):
        if len(row) != 5:
            continue
        s, w, m, v, r = row
        if m == "error":
            errors.setdefault((s, w), []).append((r, v))
            continue
        try:
            vals.setdefault((s, w, m), []).append(float(v))
        except ValueError:
            errors.setdefault((s, w), []).append((r, "bad value " + v))

WL = {
    "seqwrite-1m-qd8": ("seq write 1M qd8", [("MBps", "MB/s", 1), ("p99_ms", "p99 ms", 0)]),
    "randwrite-4k-qd1": ("rand write 4K qd1",
                         [("iops", "IOPS", 1), ("p50_us", "p50 us", 0), ("p99_us", "p99 us", 0)]),
    "randwrite-4k-qd32": ("rand write 4K qd32", [("iops", "IOPS", 1), ("p99_us", "p99 us", 0)]),
    "randrw70-4k-qd16": ("rand 70/30 r/w 4K qd16",
                         [("iops", "IOPS", 1), ("read_p50_us", "read p50 us", 0),
                          ("write_p50_us", "write p50 us", 0)]),
    "syncwrite-4k-qd1": ("4K write+fdatasync qd1",
                         [("iops", "commits/s", 1), ("fdatasync_p50_us", "fdatasync p50 us", 0)]),
}
SHORT = {"seqwrite-1m-qd8": "seq 1M qd8", "randwrite-4k-qd1": "rand 4K qd1",
         "randwrite-4k-qd32": "rand 4K qd32", "randrw70-4k-qd16": "70/30 r/w qd16",
         "syncwrite-4k-qd1": "4K+fdatasync"}
workloads = [w for w in meta.get("workloads", " ".join(WL)).split() if w in WL]
systems = meta.get("systems", "raw harepl-sync harepl-async drbd-C drbd-A").split()
SYNC = {"harepl-sync", "drbd-C", "drbd-C-noflush"}
DRBD_OF = {"harepl-sync": "drbd-C", "harepl-async": "drbd-A"}


def stat(s, w, m):
    v = vals.get((s, w, m))
    if not v:
        return None
    return statistics.median(v), min(v), max(v), len(v)


def med(s, w, m):
    st = stat(s, w, m)
    return st[0] if st else None


# the link and the floors
link_mbps = med("link", "tcp", "MBps")
rtt56 = med("link", "ping-56", "rtt_us")
rtt4k_ping = med("link", "ping-4096", "rtt_us")
rtt4k = (rtt56 + rtt4k_ping) / 2 if rtt56 is not None and rtt4k_ping is not None else None
local_p50 = med("raw", "randwrite-4k-qd1", "p50_us")
remote_p50 = med("raw-node1", "randwrite-4k-qd1", "p50_us")
remote_src = "node 1's disk"
if remote_p50 is None:
    remote_p50, remote_src = local_p50, "node 0's disk (node 1 not measured)"
floor_p50 = max(local_p50, rtt4k + remote_p50) if None not in (local_p50, remote_p50, rtt4k) else None
local_commit_iops = med("raw", "syncwrite-4k-qd1", "iops")
remote_commit_iops = med("raw-node1", "syncwrite-4k-qd1", "iops") or local_commit_iops
floor_commit_us = None
if local_commit_iops and remote_commit_iops and rtt4k is not None:
    # two round trips: the write, then the flush, each waited for by fio
    floor_commit_us = max(1e6 / local_commit_iops, 2 * rtt4k + 1e6 / remote_commit_iops)


def limit_of(s, w, m):
    if s == "raw":
        return None
    if w == "seqwrite-1m-qd8" and m == "MBps":
        return link_mbps
    if s in SYNC and w == "randwrite-4k-qd1" and m == "p50_us":
        return floor_p50
    if s in SYNC and w == "syncwrite-4k-qd1" and m == "iops" and floor_commit_us:
        return 1e6 / floor_commit_us
    return None


def fmt(x):
    if x is None:
        return "-"
    a = abs(x)
    if a >= 100:
        return "%.0f" % x
    if a >= 10:
        return "%.1f" % x
    return "%.2f" % x


def ratio(a, b):
    if a is None or not b:
        return "-"
    return "%.2f" % (a / b)


rows = []  # (workload label, metric label, system, median, range, xraw, xlimit, xdrbd, note)
for w in workloads:
    wlabel, metrics = WL[w]
    for m, mlabel, _hib in metrics:
        for s in systems:
            st = stat(s, w, m)
            errs = errors.get((s, w), [])
            note = ""
            if errs:
                note = "%d/%d failed: %s" % (len(errs), RUNS,
                                             ", ".join(sorted(set(e[1] for e in errs))))
            if st is None:
                rows.append((wlabel, mlabel, s, "FAIL" if errs else "-", "", "", "", "", note))
                continue
            md, lo, hi, n = st
            rows.append((wlabel, mlabel, s, fmt(md), "%s..%s" % (fmt(lo), fmt(hi)),
                         ratio(md, med("raw", w, m)) if s != "raw" else "1",
                         ratio(md, limit_of(s, w, m)),
                         ratio(md, med(DRBD_OF[s], w, m)) if s in DRBD_OF else "-",
                         note))

# resync: RESYNC_MB out of sync, node 0 disconnected while writing it
RS_SYS = [x for x in meta.get("resync_systems", "").split()]
RESYNC_MB = meta.get("resync_mib", "?")
rs_rows = []  # system, MB/s, range, x link, x DRBD, s, sync MB/s, connect s, sent MiB, note
for s in RS_SYS:
    st = stat(s, "resync", "MBps")
    errs = errors.get((s, "resync"), [])
    note = ("%d/%d failed: %s" % (len(errs), RUNS, ", ".join(sorted(set(e[1] for e in errs))))
            if errs else "")
    if st is None:
        rs_rows.append((s, "FAIL" if errs else "-", "", "", "", "", "", "", "", note))
        continue
    md_, lo, hi, n = st
    rs_rows.append((s, fmt(md_), "%s..%s" % (fmt(lo), fmt(hi)), ratio(md_, link_mbps),
                    ratio(md_, med(DRBD_OF[s], "resync", "MBps")) if s in DRBD_OF else "-",
                    fmt(med(s, "resync", "s")), fmt(med(s, "resync", "sync_MBps")),
                    fmt(med(s, "resync", "connect_s")), fmt(med(s, "resync", "sent_MiB")), note))
RS_HDR = ("system", "MB/s", "min..max", "x link", "x DRBD", "seconds", "MB/s in SyncSource",
          "connect->SyncSource s", "sent MiB", "notes")

# write-intent log: standalone harepl on vdb vs the raw vdb, whole disk
WI_CASES = meta.get("wi_cases", "").split()
WI_QDS = meta.get("wi_qds", "").split()
wi_rows = []  # workload, system, IOPS, range, x raw, loss, latency, tx/run, tx per 1000 writes, note
for q in WI_QDS:
    w = "wi-randwrite-4k-qd" + q
    raw_iops = med("raw", w, "iops")
    for s in WI_CASES:
        st = stat(s, w, "iops")
        errs = errors.get((s, w), [])
        note = ("%d/%d failed: %s" % (len(errs), RUNS, ", ".join(sorted(set(e[1] for e in errs))))
                if errs else "")
        if st is None:
            wi_rows.append(("4K rand write qd" + q, s, "FAIL" if errs else "-", "", "", "", "", "",
                            "", note))
            continue
        md_, lo, hi, n = st
        lat = med(s, w, "p50_us" if q == "1" else "p99_us")
        tx = med(s, w, "al_tx")
        per = None
        txs, wrs = vals.get((s, w, "al_tx")), vals.get((s, w, "writes"))
        if txs and wrs and sum(wrs):
            per = 1000.0 * sum(txs) / sum(wrs)
        wi_rows.append(("4K rand write qd" + q, s, fmt(md_), "%s..%s" % (fmt(lo), fmt(hi)),
                        ratio(md_, raw_iops) if s != "raw" else "1",
                        ("%.1f%%" % (100.0 * (1 - md_ / raw_iops))) if s != "raw" and raw_iops else "-",
                        ("p50 " if q == "1" else "p99 ") + fmt(lat) if lat is not None else "-",
                        fmt(tx) if s != "raw" else "-", fmt(per) if per is not None else "-", note))
WI_HDR = ("workload", "system", "IOPS", "min..max", "x raw", "loss", "latency us", "log tx/run",
          "log tx/1000 writes", "notes")

data_notes = []
for s in systems:
    if s == "raw":
        continue
    same = len(vals.get((s, "data", "same"), []))
    bad = [e for e in errors.get((s, "data"), [])]
    if bad or same < RUNS:
        data_notes.append("%s: node 1's data matched node 0's after %d of %d rounds" % (s, same, RUNS))

for s in RS_SYS:
    same = len(vals.get((s, "resync-data", "same"), []))
    if same < RUNS:
        data_notes.append("%s: node 1's data matched node 0's after %d of %d resyncs" % (s, same, RUNS))

failures = []
for (s, w), errs in sorted(errors.items()):
    for r, why in errs:
        failures.append("%s %s run %s: %s" % (s, w, r, why))


def f_us(x):
    return "-" if x is None else ("%.2f ms" % (x / 1000) if x >= 1000 else "%.0f us" % x)


date = meta.get("date", "?")
vm_mem = meta.get("mem_mib", "?") + " (MemTotal)"
for kv in host.get("vm_header", "").split():
    if kv.startswith("mem="):
        vm_mem = kv[4:]
setup = [
    "date: %s, harepl %s" % (date, host.get("git", "?")),
    "mode: %s, %s run(s) of %s s per point (%s s ramp), region %s MiB of a %s MiB disk" % (
        meta.get("mode", "?"), meta.get("runs", "?"), meta.get("runtime_s", "?"),
        meta.get("ramp_s", "?"), meta.get("region_mib", "?"), meta.get("disk_mib", "?")),
    "VMs: 2 x qemu TCG (%s), %s vCPU, %s MiB each, kernel %s, fio %s, DRBD %s" % (
        host.get("qemu", "?").replace("QEMU emulator version ", ""), meta.get("vcpus", "?"),
        vm_mem, meta.get("kernel", "?"), meta.get("fio", "?").replace("fio-", ""),
        meta.get("drbd", "?")),
    "disks: raw sparse image files, virtio-blk, cache=%s (O_DIRECT on the host), written once before measuring" % (
        host.get("disk_cache", "none")),
    "link: qemu -netdev socket over host TCP on 127.0.0.1%s, guest MTU %s" % (
        " with TCP_NODELAY (scripts/bench-qemu.sh)" if host.get("nodelay") == "1" else " (Nagle on)",
        meta.get("mtu", "?")),
    "host: %s x %s, %s GiB; other qemu VMs at start: %s; load average %s -> %s" % (
        host.get("host_cpus", "?"), host.get("host_cpu", "?"), host.get("host_mem_gib", "?"),
        host.get("other_qemu_at_start", "?"), host.get("loadavg_start", "?"), host.get("loadavg_end", "?")),
    "wall time of the run: %s s" % host.get("wall_s", "?"),
]
linkinfo = [
    "link TCP throughput (iperf3): %s MB/s" % fmt(link_mbps),
    "ping RTT (median, ping -A): 56 B %s, 4 KiB %s; 4 KiB one way + ack: %s" % (
        f_us(rtt56), f_us(rtt4k_ping), f_us(rtt4k)),
    "qd1 4K write p50: node 0 %s, node 1 %s -> floor for a sync write: %s" % (
        f_us(local_p50), f_us(med("raw-node1", "randwrite-4k-qd1", "p50_us")), f_us(floor_p50)),
    "4K write+fdatasync commit: node 0 %s, node 1 %s -> floor for a sync commit: %s" % (
        f_us(1e6 / local_commit_iops) if local_commit_iops else "-",
        f_us(1e6 / remote_commit_iops) if remote_commit_iops else "-", f_us(floor_commit_us)),
]
n1 = len(vals.get(("raw-node1", "randwrite-4k-qd1", "p50_us"), []))
if 0 < n1 < RUNS:
    linkinfo.append("node 1's disk measured in %d of %d rounds" % (n1, RUNS))
if remote_src != "node 1's disk":
    linkinfo.append("(node 1's disk was not measured: its latency is taken to be node 0's)")

HDR = ("workload", "metric", "system", "median", "min..max", "x raw", "x limit", "x DRBD", "")

# plain text
widths = [max(len(str(r[i])) for r in rows + [HDR]) for i in range(len(HDR))]
out = ["harepl bench (make bench)", ""] + ["  " + x for x in setup] + [""] + \
      ["  " + x for x in linkinfo] + [""]
def fmtrow(r):
    return "  ".join(str(c).ljust(widths[i]) if i < 3 else str(c).rjust(widths[i])
                     for i, c in enumerate(r[:8])) + ("  " + r[8] if r[8] else "")


out.append(fmtrow(HDR))
lastw = lastm = None
for r in rows:
    r = list(r)
    if r[0] == lastw:
        if r[1] == lastm:
            r[1] = ""
        else:
            lastm = r[1]
        r[0] = ""
    else:
        out.append("")
        lastw, lastm = r[0], r[1]
    out.append(fmtrow(r))


def table_txt(hdr, rws, left):
    wd = [max(len(str(r[i])) for r in rws + [hdr]) for i in range(len(hdr))]
    lines = []
    for r in [hdr] + rws:
        lines.append("  ".join(str(c).ljust(wd[i]) if i < left else str(c).rjust(wd[i])
                               for i, c in enumerate(r[:-1])) + ("  " + r[-1] if r[-1] else ""))
    return lines


if rs_rows:
    out += ["", "Resync of %s MiB (written sequentially on node 0 while node 1 was disconnected; timed "
            "from node 1's connect until node 0 sees it Connected, UpToDate, nothing out of sync):" % RESYNC_MB, ""]
    out += table_txt(RS_HDR, rs_rows, 1)
if wi_rows:
    out += ["", "Write-intent log (node 0 alone, 4K random writes over %s MiB of vdb, %s s per point; "
            "harepl standalone primary, --al-extents N):" % (meta.get("wi_size_mib", "?"),
                                                            meta.get("wi_runtime_s", "?")), ""]
    out += table_txt(WI_HDR, wi_rows, 2)
out += ["",
        "x raw: / the raw disk; x limit: seq MB/s / link MB/s, sync qd1 p50 / floor, sync",
        "commits/s / floor rate; x DRBD: harepl-sync / drbd-C, harepl-async / drbd-A.",
        "Latency ratios > 1 are slower; throughput ratios < 1 are slower."]
if data_notes:
    out += [""] + data_notes
if failures:
    out += ["", "Failed points:"] + ["  " + f for f in failures]
else:
    out += ["", "No point failed; node 1 held node 0's data after every replicated system."]
open(os.path.join(DIR, "results.txt"), "w").write("\n".join(out) + "\n")

# Markdown
md = ["## Latest run", "", "Generated by `make bench` (scripts/bench-report.sh); do not edit by hand.", ""]
md += ["- " + x for x in setup] + [""]
md += ["- " + x for x in linkinfo] + [""]
md.append("| " + " | ".join(HDR[:8]) + " | notes |")
md.append("|" + "|".join(["---"] * 3 + ["---:"] * 5 + ["---"]) + "|")
for r in rows:
    md.append("| " + " | ".join(str(c) for c in r) + " |")
md += ["", "x raw: ratio to the raw disk; x limit: seq MB/s to the link's TCP MB/s, sync qd1 p50 "
       "latency to the floor, sync commits/s to the floor's rate; x DRBD: harepl sync to "
       "protocol C, harepl async to protocol A. Latency ratios above 1 are slower, "
       "throughput ratios below 1 are slower.", ""]


def table_md(hdr, rws, left):
    t = ["| " + " | ".join(hdr) + " |",
         "|" + "|".join(["---"] * left + ["---:"] * (len(hdr) - left - 1) + ["---"]) + "|"]
    t += ["| " + " | ".join(str(c) for c in r) + " |" for r in rws]
    return t


if rs_rows:
    md += ["### Resync", "",
           "%s MiB out of sync: node 1 (secondary) disconnects, node 0 (primary) writes %s MiB "
           "sequentially (fio 1M qd8, new data every round), node 1 connects again; timed from "
           "that connect (requested from node 0 over the control channel) until node 0 "
           "sees the peer Connected, UpToDate and nothing out of sync (polled every 0.1 s), then "
           "node 1's state and the md5 of both disks' first %s MiB are checked. harepl: "
           "`ResyncRate = %s`; DRBD: `%s`. x link: to the link's TCP MB/s (iperf3, same run); "
           "x DRBD: harepl to DRBD protocol C. \"MB/s in SyncSource\" leaves out the reconnection "
           "(connect until SyncSource is first seen); \"sent MiB\": harepl's resync_bytes, "
           "DRBD's growth of `ns` (all it sent)." % (
               RESYNC_MB, RESYNC_MB, RESYNC_MB, meta.get("harepl_resync_rate", "?"),
               meta.get("drbd_resync_opts", "?")), ""]
    md += table_md(RS_HDR, rs_rows, 1) + [""]
if wi_rows:
    md += ["### Write-intent log", "",
           "Node 0 alone (no peer), 4 KiB random writes (fio libaio, O_DIRECT) over %s MiB of its "
           "vdb, %s s after %s s of ramp per point: the raw disk, and harepl as a standalone "
           "primary on the same disk, its metadata created with `--al-extents 256` (1 GiB: covers "
           "the disk, a log transaction only at the first write to each 4 MiB extent) or "
           "`--al-extents 8` (32 MiB: most writes need a transaction). \"log tx\": `al_writes` "
           "of `hareplctl status --json` after the point minus before it (ramp included); "
           "per 1000 writes: over the device's `writes` in the same span. Latency: p50 at qd1, "
           "p99 at qd32." % (meta.get("wi_size_mib", "?"), meta.get("wi_runtime_s", "?"),
                             meta.get("wi_ramp_s", "?")), ""]
    md += table_md(WI_HDR, wi_rows, 2) + [""]
if data_notes:
    md += ["- " + x for x in data_notes] + [""]
if failures:
    md += ["Failed points:", ""] + ["- " + f for f in failures] + [""]
md += ["![IOPS and throughput relative to the raw disk; qd1 write latency](performance.png)", ""]
open(os.path.join(DIR, "results.md"), "w").write("\n".join(md))

# the figure
png = os.path.join(DIR, "performance.png")
repl = [s for s in systems if s != "raw"]
main_metric = {w: WL[w][1][0][0] for w in workloads}
dat = os.path.join(DIR, "plot-ratio.dat")
with open(dat, "w") as f:
    f.write("# workload " + " ".join("%s %s-min %s-max" % (s, s, s) for s in repl) + "\n")
    for w in workloads:
        m = main_metric[w]
        raw = med("raw", w, m)
        cells = []
        for s in repl:
            st = stat(s, w, m)
            if st is None or not raw:
                cells += ["?", "?", "?"]
            else:
                cells += ["%g" % (st[0] / raw), "%g" % (st[1] / raw), "%g" % (st[2] / raw)]
        f.write('"%s\\n(%s)" %s\n' % (SHORT[w], dict((a, b) for a, b, _ in WL[w][1])[m],
                                      " ".join(cells)))
lat = os.path.join(DIR, "plot-lat.dat")
with open(lat, "w") as f:
    for s in systems:
        st = stat(s, "randwrite-4k-qd1", "p50_us")
        if st:
            f.write('"%s" %g %g %g\n' % (s, st[0] / 1000, st[1] / 1000, st[2] / 1000))
        else:
            f.write('"%s" ? ? ?\n' % s)
# resync MB/s next to the link's, and write-intent IOPS / raw
extra = ""
if rs_rows:
    rsd = os.path.join(DIR, "plot-resync.dat")
    with open(rsd, "w") as f:
        for name, s, w, m in [("link TCP (iperf3)", "link", "tcp", "MBps")] + \
                [(x + " resync", x, "resync", "MBps") for x in RS_SYS]:
            st = stat(s, w, m)
            f.write('"%s" %s\n' % (name, ("%g %g %g" % st[:3]) if st else "? ? ?"))
    extra += """set yrange [0:*]
set title 'Resync of %(mb)s MiB (connect until in sync)'
set ylabel 'MB/s'
set key off
plot '%(rsd)s' using 2:3:4:xtic(1) lc rgb '#228833' notitle
""" % {"mb": RESYNC_MB, "rsd": rsd}
wi_h = [x for x in WI_CASES if x != "raw"]
if wi_h and WI_QDS:
    wid = os.path.join(DIR, "plot-wi.dat")
    with open(wid, "w") as f:
        for q in WI_QDS:
            w = "wi-randwrite-4k-qd" + q
            raw = med("raw", w, "iops")
            cells = []
            for x in wi_h:
                st = stat(x, w, "iops")
                cells += (["%g" % (v / raw) for v in st[:3]] if st and raw else ["?"] * 3)
            f.write('"4K rand write qd%s" %s\n' % (q, " ".join(cells)))
    wplots = ", ".join("'%s' using %d:%d:%d%s title '%s'" % (
        wid, 2 + 3 * i, 3 + 3 * i, 4 + 3 * i, ":xtic(1)" if i == 0 else "", x)
        for i, x in enumerate(wi_h))
    extra += """set yrange [0:1.2]
set title 'Write-intent log: standalone harepl IOPS / raw disk'
set ylabel 'IOPS / raw (bars: median, whiskers: min..max)'
set key bottom right opaque box
plot %(p)s, 1 notitle lc rgb 'black' dt 2, 0.9 title '-10%%' lc rgb 'red' dt 2
""" % {"p": wplots}
layout = "2,2" if extra else "1,2"
size = "1400,1000" if extra else "1400,560"
gp = os.path.join(DIR, "plot.gp")
plots = []
for i, s in enumerate(repl):
    c = 2 + 3 * i
    plots.append("'%s' using %d:%d:%d%s title '%s'" % (dat, c, c + 1, c + 2,
                                                       ":xtic(1)" if i == 0 else "", s))
with open(gp, "w") as f:
    f.write("""set terminal pngcairo size %(size)s font ',10'
set output '%(png)s'
set datafile missing '?'
set multiplot layout %(layout)s title "harepl vs DRBD 8.4, qemu TCG, %(date)s"
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.8 border -1
set logscale y
set grid ytics
set key top right opaque box
set ylabel 'throughput / raw disk (log; bars: median, whiskers: min..max)'
set title 'Throughput relative to the raw disk'
set xtics font ',8'
set bmargin 4
set yrange [*:2]
plot %(plots)s, 1 notitle lc rgb 'black' dt 2
unset logscale y
set yrange [0:*]
set title '4 KiB random write, qd1: p50 completion latency'
set ylabel 'ms'
set style histogram errorbars gap 1 lw 1
set key top left opaque box
plot '%(lat)s' using 2:3:4:xtic(1) lc rgb '#4477aa' notitle%(floor)s
%(extra)s
unset multiplot
""" % {"png": png, "size": size, "layout": layout, "extra": extra, "date": date[:10], "plots": ", ".join(plots), "lat": lat,
       "floor": (", %g title 'floor of a sync write' lc rgb 'red' lw 2" % (floor_p50 / 1000)) if floor_p50 else ""})
if shutil.which("gnuplot"):
    r = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    if r.returncode != 0:
        print("bench-report: gnuplot failed:\n" + r.stderr, file=sys.stderr)
else:
    print("bench-report: gnuplot not installed; no figure", file=sys.stderr)

# Documentation/performance.md
if DOC:
    docdir = os.path.join(SRC, "Documentation")
    path = os.path.join(docdir, "performance.md")
    BEGIN, END = "<!-- bench-report:begin -->", "<!-- bench-report:end -->"
    text = open(path).read() if os.path.exists(path) else \
        "# harepl performance\n\n%s\n%s\n" % (BEGIN, END)
    if BEGIN not in text or END not in text:
        text = text.rstrip("\n") + "\n\n%s\n%s\n" % (BEGIN, END)
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    open(path, "w").write(head + BEGIN + "\n" + "\n".join(md) + "\n" + END + tail)
    if os.path.exists(png):
        shutil.copy(png, os.path.join(docdir, "performance.png"))
    print("bench-report: updated Documentation/performance.md and performance.png")
PYEOF
