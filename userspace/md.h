/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HAREPLCTL_MD_H
#define HAREPLCTL_MD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/harepl.h>

#include "crc32c.h"

/* create-md refuses a device whose data area would be smaller: 1 MiB */
#define MD_MIN_DATA_SECTORS	2048

/* Where the metadata goes: inputs first, then what md_layout_*() fill in */
struct md_layout {
	bool internal;
	uint64_t dev_sectors;		/* data device */
	uint32_t chunk_sectors;
	uint32_t max_peers;

	uint64_t data_sectors;
	uint64_t md_start, md_sectors;
	uint64_t sb_sector;
	uint64_t al_sector, al_sectors;
	uint64_t bm_sector, bm_sectors;
};


int md_internal_sb_sector(uint64_t dev_sectors, uint64_t *sector);
int md_layout_internal(struct md_layout *l);
void md_layout_external(struct md_layout *l);

/* Who a new superblock belongs to and what it says about the data */
struct md_ident {
	const char *name;
	uint32_t node_id;
	uint8_t uuid[HAREPL_UUID_LEN];
	uint64_t gen_current;
	uint32_t al_extents;
	bool uptodate;		/* data known good: CONSISTENT | UPTODATE */
	uint64_t created;	/* seconds since the epoch */
};

void md_sb_init(struct harepl_md_sb *sb, const struct md_layout *l,
		const struct md_ident *id);
uint32_t md_sb_checksum(const struct harepl_md_sb *sb);

/*
 * The gen_current of create-md --skip-initial-sync, the same on every node
 * of a resource: the uuid's two halves, read as little-endian, xored; never 0.
 */
uint64_t md_gen_from_uuid(const uint8_t uuid[HAREPL_UUID_LEN]);

/*
 * A write-intent block: magic and CRC32C (as the superblock's) match, and
 * it uses no more than HAREPL_AL_MAX_EXTENTS entries
 */
bool md_al_valid(const struct harepl_al_block *b);
/*
 * The valid block with the highest seq of a write-intent area of n blocks,
 * or NULL when none is valid (an empty log).
 */
const struct harepl_al_block *md_al_current(const struct harepl_al_block *blocks,
					    size_t n);

/* Bits set among the first nbits of an on-disk bitmap (bit n of byte b: b * 8 + n) */
uint64_t md_bits_set(const uint8_t *bm, uint64_t nbits);

/* NULL when valid, else why not ("bad magic") in buf */
const char *md_sb_invalid(const struct harepl_md_sb *sb, char *buf, size_t len);
/*
 * NULL when the layout fields of a valid superblock read at sb_sector make
 * sense for a metadata device of meta_sectors and a data device of
 * data_dev_sectors, else what is wrong in buf.
 */
const char *md_sb_bad_layout(const struct harepl_md_sb *sb, uint64_t sb_sector,
			     uint64_t meta_sectors, uint64_t data_dev_sectors,
			     char *buf, size_t len);

#endif
