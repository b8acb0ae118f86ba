#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Fills the bitmap slots and write-intent log of an internal-metadata
image that hareplctl create-md wrote, as harepl.ko would, for dump-md to
report. Independent of hareplctl's C code.

usage: poke_md.py DISK

Gives slot 1 to node 2 (gen_bitmap 0x1122334455667788) with chunks 0, 9,
10 and the last one out of sync (and a stray bit past the data, which is
not a chunk), and writes write-intent blocks: seq 5 and 7 valid, seq 9
with a bad checksum. dump-md must then report 4 chunks for slot 1 and
the log at seq 7 with extents 3, 4, 5.
"""
import os
import struct
import sys

from check_md import FIELDS, FMT, crc32c

AL_MAGIC = 0x4C414C5045524148
AL_MAX = 1016


def al_block(seq, extents, good=True):
    body = struct.pack("<QQII", AL_MAGIC, seq, len(extents), 0)
    body += struct.pack("<%dI" % AL_MAX, *(extents + [0] * (AL_MAX - len(extents))))
    body += struct.pack("<I", 0)
    crc = crc32c(body + b"\0\0\0\0")
    return body + struct.pack("<I", crc if good else crc ^ 1)


def main():
    disk = sys.argv[1]
    dev_sectors = os.path.getsize(disk) // 512
    sb_at = ((dev_sectors // 8) * 8 - 8) * 512
    with open(disk, "r+b") as f:
        f.seek(sb_at)
        sb = dict(zip(FIELDS, struct.unpack(FMT, f.read(4096))))
        slots = bytearray(sb["slots"])
        struct.pack_into("<IIQ", slots, 32, 2, 0, 0x1122334455667788)
        sb["slots"] = bytes(slots)
        raw = struct.pack(FMT, *(sb[k] for k in FIELDS))
        raw = raw[:4092] + struct.pack("<I", crc32c(raw[:4092] + b"\0\0\0\0"))
        f.seek(sb_at)
        f.write(raw)

        chunks = -(-sb["data_sectors"] // sb["chunk_sectors"])
        slot_bytes = sb["bm_sectors"] // sb["max_peers"] * 512
        bm = bytearray(slot_bytes)
        for c in (0, 9, 10, chunks - 1, chunks):
            bm[c // 8] |= 1 << (c % 8)
        f.seek(sb["bm_sector"] * 512 + slot_bytes)
        f.write(bm)

        f.seek(sb["al_sector"] * 512)
        f.write(al_block(5, [1, 2]) + al_block(7, [3, 4, 5]) + al_block(9, [6], False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
