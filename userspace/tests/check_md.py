#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Independent check of a harepl superblock written by hareplctl create-md.

usage: check_md.py [--uuid UUID [--skip-initial-sync]] [--al-extents N]
                   DISK [META]   (META given: external metadata)

Recomputes the CRC32C and the layout from the rules of harepl.h and
compares them field by field with what is on disk. Exit 0 when all match.
"""
import argparse
import os
import struct
import sys
import uuid as uuidlib

FMT = "<QII16s32sIIII QII4Q QQQQQQQQQ 256s 3636s I"
FIELDS = ("magic version flags uuid name node_id max_peers chunk_sectors "
          "reserved0 gen_current al_extents reserved1 h0 h1 h2 h3 "
          "data_sectors md_sectors md_start sb_sector al_sector al_sectors "
          "bm_sector bm_sectors created slots pad checksum").split()
assert struct.calcsize(FMT) == 4096
SLOT_FMT = "<IIQ16s"
SLOT_FREE = 0xFFFFFFFF
MAX_PEERS = 8
AL_DEF_EXTENTS = 256


def crc32c(data, crc=0xFFFFFFFF):
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc  # no final inversion, like the kernel's crc32c(~0, ...)


def expected(dev_sectors, chunk, peers, internal):
    bits = -(-dev_sectors // chunk)
    slot = -(-(-(-bits // 8)) // 4096) * 4096
    bm_sectors = peers * slot // 512
    if internal:
        sb = (dev_sectors // 8) * 8 - 8
        al = sb - 512
        bm = al - bm_sectors
        md_start = bm // 2048 * 2048
        return dict(sb_sector=sb, al_sector=al, al_sectors=512, bm_sector=bm,
                    bm_sectors=bm_sectors, md_start=md_start,
                    md_sectors=dev_sectors - md_start, data_sectors=md_start)
    return dict(sb_sector=0, al_sector=8, al_sectors=512, bm_sector=520,
                bm_sectors=bm_sectors, md_start=0,
                md_sectors=520 + bm_sectors, data_sectors=dev_sectors // 8 * 8)


def gen_from_uuid(u):
    """gen_current of --skip-initial-sync: the uuid's halves xored"""
    lo, hi = struct.unpack("<QQ", u)
    return (lo ^ hi) or 1


def check_ids(sb, args, meta):
    """flags, uuid, generation ids, slots, al_extents"""
    bad = []
    flags = 0 if meta else 0x10
    if args.skip_initial_sync:
        flags |= 0x3    # consistent, uptodate
    if sb["flags"] != flags:
        bad.append("flags %#x != %#x" % (sb["flags"], flags))
    if args.uuid and sb["uuid"] != uuidlib.UUID(args.uuid).bytes:
        bad.append("uuid %s != %s" % (sb["uuid"].hex(), args.uuid))
    if args.skip_initial_sync:
        if sb["gen_current"] != gen_from_uuid(sb["uuid"]):
            bad.append("gen_current %#x not derived from the uuid" % sb["gen_current"])
    elif sb["gen_current"] == 0:
        bad.append("gen_current is 0")
    if any(sb[k] for k in ("h0", "h1", "h2", "h3")):
        bad.append("gen_history not 0")
    if sb["al_extents"] != args.al_extents:
        bad.append("al_extents %d != %d" % (sb["al_extents"], args.al_extents))
    for i in range(MAX_PEERS):
        node, sflags, gen, rsv = struct.unpack_from(SLOT_FMT, sb["slots"], i * 32)
        if node != SLOT_FREE or sflags or gen or rsv.strip(b"\0"):
            bad.append("slot %d not free" % i)
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--uuid")
    ap.add_argument("--skip-initial-sync", action="store_true")
    ap.add_argument("--al-extents", type=int, default=AL_DEF_EXTENTS)
    ap.add_argument("disk")
    ap.add_argument("meta", nargs="?")
    args = ap.parse_args()
    disk, meta = args.disk, args.meta
    dev_sectors = os.path.getsize(disk) // 512
    with open(meta or disk, "rb") as f:
        sb_at = 0 if meta else (dev_sectors // 8) * 8 - 8
        f.seek(sb_at * 512)
        raw = f.read(4096)
    sb = dict(zip(FIELDS, struct.unpack(FMT, raw)))
    bad = []
    if sb["magic"] != 0x444D4C5045524148 or raw[:8] != b"HAREPLMD":
        bad.append("magic")
    crc = crc32c(raw[:4092] + b"\0\0\0\0")
    if crc != sb["checksum"]:
        bad.append("checksum %#x != %#x" % (sb["checksum"], crc))
    if sb["version"] != 1:
        bad.append("version")
    bad += check_ids(sb, args, meta)
    exp = expected(dev_sectors, sb["chunk_sectors"], sb["max_peers"], not meta)
    for k, v in exp.items():
        if sb[k] != v:
            bad.append("%s %d != %d" % (k, sb[k], v))
    if sb["pad"] != bytes(3636) or sb["reserved0"] or sb["reserved1"]:
        bad.append("pad/reserved not zero")
    with open(meta or disk, "rb") as f:
        lo, hi = sorted((sb["al_sector"], sb["bm_sector"]))
        hi = max(sb["al_sector"] + 512, sb["bm_sector"] + sb["bm_sectors"])
        f.seek(lo * 512)
        if f.read((hi - lo) * 512).strip(b"\0"):
            bad.append("AL/bitmap not zeroed")
    print("crc32c %#010x, layout %s" % (crc, exp))
    if bad:
        print("MISMATCH: " + "; ".join(bad))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
