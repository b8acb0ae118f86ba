// SPDX-License-Identifier: GPL-2.0
/*
 * The on-disk metadata of harepl.h: where it goes, filling in and checking
 * the superblock. No I/O here.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "md.h"

_Static_assert(sizeof(struct harepl_md_sb) == HAREPL_MD_SB_SIZE,
	       "struct harepl_md_sb is not HAREPL_MD_SB_SIZE bytes");
_Static_assert(offsetof(struct harepl_md_sb, checksum) + 4 == HAREPL_MD_SB_SIZE,
	       "checksum is not the last field");
_Static_assert(sizeof(struct harepl_al_block) == HAREPL_MD_SB_SIZE,
	       "struct harepl_al_block is not 4 KiB");
_Static_assert(offsetof(struct harepl_al_block, checksum) + 4 == HAREPL_MD_SB_SIZE,
	       "write-intent checksum is not the last field");

static uint64_t div_round_up(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

/* max_peers slots, each one bit per chunk rounded up to 4 KiB */
static uint64_t bm_sectors(uint64_t dev_sectors, uint32_t chunk, uint32_t peers)
{
	uint64_t bits = div_round_up(dev_sectors, chunk);
	uint64_t slot = div_round_up(div_round_up(bits, 8), HAREPL_MD_SB_SIZE);

	return peers * slot * HAREPL_MD_SB_SECTORS;
}

/* The last 4 KiB-aligned 4 KiB of the device */
int md_internal_sb_sector(uint64_t dev_sectors, uint64_t *sector)
{
	uint64_t end = dev_sectors & ~(uint64_t)(HAREPL_MD_SB_SECTORS - 1);

	if (end < HAREPL_MD_SB_SECTORS)
		return -ENOSPC;
	*sector = end - HAREPL_MD_SB_SECTORS;
	return 0;
}

/*
 * From the end of the data device down: superblock, write-intent area,
 * bitmap; the metadata area starts at the bitmap rounded down to
 * HAREPL_MD_ALIGN_SECTORS and the replicated device is everything below.
 */
int md_layout_internal(struct md_layout *l)
{
	l->internal = true;
	l->al_sectors = HAREPL_MD_AL_SECTORS;
	l->bm_sectors = bm_sectors(l->dev_sectors, l->chunk_sectors, l->max_peers);
	l->data_sectors = 0;
	if (md_internal_sb_sector(l->dev_sectors, &l->sb_sector) ||
	    l->sb_sector < l->al_sectors + l->bm_sectors)
		return -ENOSPC;
	l->al_sector = l->sb_sector - l->al_sectors;
	l->bm_sector = l->al_sector - l->bm_sectors;
	l->md_start = l->bm_sector / HAREPL_MD_ALIGN_SECTORS * HAREPL_MD_ALIGN_SECTORS;
	l->md_sectors = l->dev_sectors - l->md_start;
	l->data_sectors = l->md_start;
	return l->data_sectors < MD_MIN_DATA_SECTORS ? -ENOSPC : 0;
}

/* Superblock at sector 0 of the metadata device, then AL, then bitmap */
void md_layout_external(struct md_layout *l)
{
	l->internal = false;
	l->data_sectors = l->dev_sectors & ~(uint64_t)(HAREPL_MD_SB_SECTORS - 1);
	l->md_start = 0;
	l->sb_sector = 0;
	l->al_sector = HAREPL_MD_SB_SECTORS;
	l->al_sectors = HAREPL_MD_AL_SECTORS;
	l->bm_sector = l->al_sector + l->al_sectors;
	l->bm_sectors = bm_sectors(l->dev_sectors, l->chunk_sectors, l->max_peers);
	l->md_sectors = l->bm_sector + l->bm_sectors;
}

/* CRC32C of a 4 KiB block whose last 4 bytes are its checksum, zeroed */
static uint32_t block_checksum(const void *block)
{
	static const uint8_t zero[4];
	uint32_t crc = crc32c(~0U, block, HAREPL_MD_SB_SIZE - sizeof(zero));

	return crc32c(crc, zero, sizeof(zero));
}

uint32_t md_sb_checksum(const struct harepl_md_sb *sb)
{
	return block_checksum(sb);
}

void md_sb_init(struct harepl_md_sb *sb, const struct md_layout *l,
		const struct md_ident *id)
{
	uint32_t flags = l->internal ? HAREPL_MDF_INTERNAL : 0;

	/* a new disk is Inconsistent, unless declared identical everywhere */
	if (id->uptodate)
		flags |= HAREPL_MDF_CONSISTENT | HAREPL_MDF_UPTODATE;
	memset(sb, 0, sizeof(*sb));
	sb->magic = htole64(HAREPL_MD_MAGIC);
	sb->version = htole32(HAREPL_MD_VERSION);
	sb->flags = htole32(flags);
	memcpy(sb->uuid, id->uuid, HAREPL_UUID_LEN);
	strncpy(sb->name, id->name, sizeof(sb->name) - 1);
	sb->node_id = htole32(id->node_id);
	sb->max_peers = htole32(l->max_peers);
	sb->chunk_sectors = htole32(l->chunk_sectors);
	sb->data_sectors = htole64(l->data_sectors);
	sb->md_sectors = htole64(l->md_sectors);
	sb->md_start = htole64(l->md_start);
	sb->sb_sector = htole64(l->sb_sector);
	sb->al_sector = htole64(l->al_sector);
	sb->al_sectors = htole64(l->al_sectors);
	sb->bm_sector = htole64(l->bm_sector);
	sb->bm_sectors = htole64(l->bm_sectors);
	sb->created = htole64(id->created);
	sb->gen_current = htole64(id->gen_current);
	sb->al_extents = htole32(id->al_extents);
	for (int i = 0; i < HAREPL_MD_MAX_PEERS; i++)
		sb->slots[i].node_id = htole32(HAREPL_MD_SLOT_FREE);
	sb->checksum = htole32(md_sb_checksum(sb));
}

uint64_t md_gen_from_uuid(const uint8_t uuid[HAREPL_UUID_LEN])
{
	uint64_t lo, hi, g;

	memcpy(&lo, uuid, sizeof(lo));
	memcpy(&hi, uuid + sizeof(lo), sizeof(hi));
	g = le64toh(lo) ^ le64toh(hi);
	return g ? g : 1;
}

bool md_al_valid(const struct harepl_al_block *b)
{
	return le64toh(b->magic) == HAREPL_AL_MAGIC &&
	       le32toh(b->checksum) == block_checksum(b) &&
	       le32toh(b->n) <= HAREPL_AL_MAX_EXTENTS;
}

const struct harepl_al_block *md_al_current(const struct harepl_al_block *blocks,
					    size_t n)
{
	const struct harepl_al_block *best = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (md_al_valid(&blocks[i]) &&
		    (!best || le64toh(blocks[i].seq) > le64toh(best->seq)))
			best = &blocks[i];
	}
	return best;
}

uint64_t md_bits_set(const uint8_t *bm, uint64_t nbits)
{
	uint64_t i, n = 0;

	for (i = 0; i < nbits / 8; i++)
		n += (uint64_t)__builtin_popcount(bm[i]);
	if (nbits % 8)
		n += (uint64_t)__builtin_popcount(bm[i] & ((1U << (nbits % 8)) - 1));
	return n;
}

const char *md_sb_invalid(const struct harepl_md_sb *sb, char *buf, size_t len)
{
	uint32_t stored = le32toh(sb->checksum), crc = md_sb_checksum(sb);

	if (le64toh(sb->magic) != HAREPL_MD_MAGIC)
		snprintf(buf, len, "bad magic");
	else if (le32toh(sb->version) != HAREPL_MD_VERSION)
		snprintf(buf, len, "unsupported version %u, expected %u",
			 le32toh(sb->version), HAREPL_MD_VERSION);
	else if (stored != crc)
		snprintf(buf, len, "bad checksum: stored 0x%08x, computed 0x%08x",
			 stored, crc);
	else
		return NULL;
	return buf;
}

/* [start, start + len) lies within [lo, hi) */
static bool inside(uint64_t start, uint64_t len, uint64_t lo, uint64_t hi)
{
	return start >= lo && start <= hi && len <= hi - start;
}

static bool disjoint(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a + alen <= b || b + blen <= a;
}

#define BAD(...) (snprintf(buf, len, __VA_ARGS__), buf)

static const char *bad_params(const struct harepl_md_sb *sb, char *buf, size_t len)
{
	uint32_t flags = le32toh(sb->flags), chunk = le32toh(sb->chunk_sectors);
	uint32_t peers = le32toh(sb->max_peers), node = le32toh(sb->node_id);

	if (flags & ~(uint32_t)__HAREPL_MDF_ALL)
		return BAD("unknown flags 0x%x", flags & ~(uint32_t)__HAREPL_MDF_ALL);
	if (chunk < HAREPL_MD_CHUNK_MIN_SECTORS || chunk > HAREPL_MD_CHUNK_MAX_SECTORS ||
	    (chunk & (chunk - 1)))
		return BAD("bad chunk_sectors %u", chunk);
	if (peers < 1 || peers > HAREPL_MD_MAX_PEERS)
		return BAD("bad max_peers %u", peers);
	if (node > HAREPL_MD_MAX_PEERS)
		return BAD("bad node_id %u", node);
	if (memchr(sb->name, '\0', sizeof(sb->name)) == NULL)
		return BAD("name not NUL-terminated");
	return NULL;
}

const char *md_sb_bad_layout(const struct harepl_md_sb *sb, uint64_t sb_sector,
			     uint64_t meta_sectors, uint64_t data_dev_sectors,
			     char *buf, size_t len)
{
	uint64_t data = le64toh(sb->data_sectors), start = le64toh(sb->md_start);
	uint64_t msec = le64toh(sb->md_sectors), al = le64toh(sb->al_sector);
	uint64_t als = le64toh(sb->al_sectors), bm = le64toh(sb->bm_sector);
	uint64_t bms = le64toh(sb->bm_sectors), sbs = le64toh(sb->sb_sector);
	uint32_t peers = le32toh(sb->max_peers), chunk = le32toh(sb->chunk_sectors);
	bool internal = le32toh(sb->flags) & HAREPL_MDF_INTERNAL;

	if (bad_params(sb, buf, len))
		return buf;
	if (sbs != sb_sector)
		return BAD("sb_sector is %llu, but the superblock is at sector %llu",
			   (unsigned long long)sbs, (unsigned long long)sb_sector);
	if (!inside(start, msec, 0, meta_sectors))
		return BAD("metadata area (sector %llu, %llu sectors) beyond the end of the device (%llu sectors)",
			   (unsigned long long)start, (unsigned long long)msec,
			   (unsigned long long)meta_sectors);
	if (!inside(sbs, HAREPL_MD_SB_SECTORS, start, start + msec) ||
	    !inside(al, als, start, start + msec) || !inside(bm, bms, start, start + msec))
		return BAD("superblock, write-intent area or bitmap outside the metadata area");
	if (!disjoint(sbs, HAREPL_MD_SB_SECTORS, al, als) ||
	    !disjoint(sbs, HAREPL_MD_SB_SECTORS, bm, bms) || !disjoint(al, als, bm, bms))
		return BAD("superblock, write-intent area and bitmap overlap");
	if (data == 0 || data > (internal ? start : data_dev_sectors))
		return BAD("data_sectors %llu does not fit the data device",
			   (unsigned long long)data);
	if (bms % peers ||
	    bms / peers < div_round_up(div_round_up(data, chunk), 8 * 512))
		return BAD("bitmap of %llu sectors too small for %u slots of %llu chunks",
			   (unsigned long long)bms, peers,
			   (unsigned long long)div_round_up(data, chunk));
	return NULL;
}
