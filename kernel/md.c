// SPDX-License-Identifier: GPL-2.0
/*
 * On-disk metadata: reading and validating the superblock. The layout is
 * described in include/uapi/linux/harepl.h; hareplctl create-md writes it.
 */

#include <linux/bio.h>
#include <linux/crc32c.h>
#include <linux/log2.h>
#include <linux/overflow.h>
#include <linux/random.h>
#include "md.h"
#include "resource.h"

/* CRC32C of a 4 KiB metadata block whose last 4 bytes are its checksum */
u32 harepl_md_csum(const void *block)
{
	static const u8 zero[4];
	u32 crc;

	crc = crc32c(~0U, block, HAREPL_MD_SB_SIZE - sizeof(zero));
	return crc32c(crc, zero, sizeof(zero));
}

static bool harepl_sb_csum_ok(const struct harepl_md_sb *sb)
{
	return harepl_md_csum(sb) == le32_to_cpu(sb->checksum);
}

/**
 * harepl_md_io() - synchronous metadata I/O of whole pages
 * @bdev: the metadata device
 * @sector: where
 * @page: the data, @len bytes from offset 0
 * @len: a multiple of 512, at most PAGE_SIZE
 * @opf: REQ_OP_READ or REQ_OP_WRITE, with flags
 *
 * Return: 0 or a negative errno.
 */
int harepl_md_io(struct block_device *bdev, sector_t sector, struct page *page,
		 unsigned int len, blk_opf_t opf)
{
	struct bio *bio;
	int ret;

	bio = bio_alloc(bdev, 1, opf | REQ_SYNC | REQ_META, GFP_NOIO);
	bio->bi_iter.bi_sector = sector;
	__bio_add_page(bio, page, len, 0);
	ret = submit_bio_wait(bio);
	bio_put(bio);
	return ret;
}

static int harepl_md_read_sb(struct block_device *bdev, sector_t sector,
			     struct page *page)
{
	return harepl_md_io(bdev, sector, page, HAREPL_MD_SB_SIZE, REQ_OP_READ);
}

/* Is [start, start + len) inside [lo, hi)? Overflow-safe. */
static bool harepl_md_range_ok(u64 start, u64 len, u64 lo, u64 hi)
{
	u64 end;

	if (check_add_overflow(start, len, &end))
		return false;
	return start >= lo && end <= hi && len > 0;
}

static bool harepl_md_disjoint(u64 a, u64 alen, u64 b, u64 blen)
{
	return a + alen <= b || b + blen <= a;
}

/* Checks every field of @sb read at @sb_sector of a device of @dev_sectors. */
static const char *harepl_md_check(const struct harepl_md_sb *sb, bool internal,
				   sector_t sb_sector, sector_t dev_sectors)
{
	u32 flags = le32_to_cpu(sb->flags);
	u32 chunk = le32_to_cpu(sb->chunk_sectors);
	u32 peers = le32_to_cpu(sb->max_peers);
	u64 md_start = le64_to_cpu(sb->md_start);
	u64 md_sectors = le64_to_cpu(sb->md_sectors);
	u64 data = le64_to_cpu(sb->data_sectors);
	u64 al = le64_to_cpu(sb->al_sector), al_len = le64_to_cpu(sb->al_sectors);
	u64 bm = le64_to_cpu(sb->bm_sector), bm_len = le64_to_cpu(sb->bm_sectors);
	u64 md_end, bits;
	int i;

	if (le64_to_cpu(sb->magic) != HAREPL_MD_MAGIC)
		return "No valid harepl superblock (bad magic; run hareplctl create-md)";
	if (le32_to_cpu(sb->version) != HAREPL_MD_VERSION)
		return "Unsupported harepl metadata version";
	if (!harepl_sb_csum_ok(sb))
		return "No valid harepl superblock (checksum mismatch)";
	if (flags & ~__HAREPL_MDF_ALL)
		return "Superblock has unknown flags";
	if (!!(flags & HAREPL_MDF_INTERNAL) != internal)
		return internal ?
			"Superblock is for external metadata, table says internal" :
			"Superblock is for internal metadata, table names a metadata device";
	if (strnlen(sb->name, HAREPL_NAME_MAX) == HAREPL_NAME_MAX)
		return "Superblock resource name is not terminated";
	if (le32_to_cpu(sb->node_id) > HAREPL_MD_MAX_PEERS)
		return "Superblock node id out of range";
	if (!peers || peers > HAREPL_MD_MAX_PEERS)
		return "Superblock max_peers out of range";
	if (!is_power_of_2(chunk) || chunk < HAREPL_MD_CHUNK_MIN_SECTORS ||
	    chunk > HAREPL_MD_CHUNK_MAX_SECTORS)
		return "Superblock bitmap chunk size invalid";
	if (le64_to_cpu(sb->sb_sector) != sb_sector)
		return "Superblock location does not match where it was found";
	if (check_add_overflow(md_start, md_sectors, &md_end) || md_end > dev_sectors)
		return "Device smaller than its metadata";
	if (!harepl_md_range_ok(sb_sector, HAREPL_MD_SB_SECTORS, md_start, md_end) ||
	    !harepl_md_range_ok(al, al_len, md_start, md_end) ||
	    !harepl_md_range_ok(bm, bm_len, md_start, md_end) ||
	    !harepl_md_disjoint(sb_sector, HAREPL_MD_SB_SECTORS, al, al_len) ||
	    !harepl_md_disjoint(sb_sector, HAREPL_MD_SB_SECTORS, bm, bm_len) ||
	    !harepl_md_disjoint(al, al_len, bm, bm_len))
		return "Superblock metadata areas overlap or exceed the metadata area";
	if (!data)
		return "Superblock data size is zero";
	if (le32_to_cpu(sb->al_extents) < HAREPL_AL_MIN_EXTENTS ||
	    le32_to_cpu(sb->al_extents) > HAREPL_AL_MAX_EXTENTS)
		return "Superblock write-intent hot set size out of range";
	if (al_len < 2 * HAREPL_MD_SB_SECTORS)
		return "Superblock write-intent area too small";
	for (i = 0; i < HAREPL_MD_MAX_PEERS; i++) {
		u32 node = le32_to_cpu(sb->slots[i].node_id);

		if (node != HAREPL_MD_SLOT_FREE &&
		    (node > HAREPL_MD_MAX_PEERS || i >= peers))
			return "Superblock bitmap slot invalid";
		if (le32_to_cpu(sb->slots[i].flags) & ~__HAREPL_MD_SLOTF_ALL)
			return "Superblock bitmap slot has unknown flags";
	}
	if (internal && data > md_start)
		return "Superblock data area overlaps the metadata area";
	bits = data / chunk + !!(data % chunk);
	if (check_mul_overflow(bits, (u64)peers, &bits) ||
	    bm_len > U64_MAX / 4096 || bm_len * 4096 < bits)
		return "Superblock bitmap too small for the data area";
	return NULL;
}

static void harepl_md_unpack(const struct harepl_md_sb *sb, struct harepl_md *md)
{
	int i;

	memcpy(md->uuid, sb->uuid, sizeof(md->uuid));
	memcpy(md->name, sb->name, sizeof(md->name));
	md->flags = le32_to_cpu(sb->flags);
	md->node_id = le32_to_cpu(sb->node_id);
	md->max_peers = le32_to_cpu(sb->max_peers);
	md->chunk_sectors = le32_to_cpu(sb->chunk_sectors);
	md->gen_current = le64_to_cpu(sb->gen_current);
	md->al_extents = le32_to_cpu(sb->al_extents);
	for (i = 0; i < HAREPL_MD_MAX_PEERS; i++) {
		md->slots[i].node_id = le32_to_cpu(sb->slots[i].node_id);
		md->slots[i].flags = le32_to_cpu(sb->slots[i].flags);
		md->slots[i].gen_bitmap = le64_to_cpu(sb->slots[i].gen_bitmap);
	}
	md->created = le64_to_cpu(sb->created);
	for (i = 0; i < HAREPL_MD_HISTORY; i++)
		md->gen_history[i] = le64_to_cpu(sb->gen_history[i]);
	md->data_sectors = le64_to_cpu(sb->data_sectors);
	md->md_start = le64_to_cpu(sb->md_start);
	md->md_sectors = le64_to_cpu(sb->md_sectors);
	md->sb_sector = le64_to_cpu(sb->sb_sector);
	md->al_sector = le64_to_cpu(sb->al_sector);
	md->al_sectors = le64_to_cpu(sb->al_sectors);
	md->bm_sector = le64_to_cpu(sb->bm_sector);
	md->bm_sectors = le64_to_cpu(sb->bm_sectors);
}

/**
 * harepl_md_read() - read and validate the superblock
 * @meta: the metadata device (the data device when @internal)
 * @internal: metadata at the end of the data device
 * @md: filled in on success
 * @sb_page: on success, a page holding the superblock, the caller's to free
 * @error: on failure, a static string saying why, for ti->error
 *
 * Return: 0, or a negative errno with @error set.
 */
int harepl_md_read(struct block_device *meta, bool internal,
		   struct harepl_md *md, struct page **sb_page, char **error)
{
	sector_t dev_sectors = bdev_nr_sectors(meta);
	sector_t sb_sector;
	struct page *page;
	const char *why;
	int ret;

	if (dev_sectors < HAREPL_MD_SB_SECTORS * 2) {
		*error = "Metadata device too small for a superblock";
		return -EINVAL;
	}
	sb_sector = internal ? round_down(dev_sectors, HAREPL_MD_SB_SECTORS) -
			       HAREPL_MD_SB_SECTORS : 0;

	page = alloc_page(GFP_KERNEL);
	if (!page) {
		*error = "Cannot allocate memory for the superblock";
		return -ENOMEM;
	}
	ret = harepl_md_read_sb(meta, sb_sector, page);
	if (ret) {
		*error = "Cannot read the superblock";
		goto out;
	}
	why = harepl_md_check(page_address(page), internal, sb_sector, dev_sectors);
	if (why) {
		*error = (char *)why;
		ret = -EINVAL;
		goto out;
	}
	harepl_md_unpack(page_address(page), md);
	*sb_page = page;
	return 0;
out:
	__free_page(page);
	return ret;
}

/* @md as status shows it from now on; the caller holds @res->md_mutex */
static void harepl_md_publish(struct harepl_resource *res)
{
	struct harepl_md_shown *shown = &res->md_shown;
	const struct harepl_md *md = &res->md;
	int i;

	lockdep_assert_held(&res->md_mutex);
	spin_lock(&res->md_shown_lock);
	shown->flags = md->flags;
	shown->al_extents = md->al_extents;
	shown->gen_current = md->gen_current;
	memcpy(shown->gen_history, md->gen_history, sizeof(shown->gen_history));
	for (i = 0; i < HAREPL_MD_MAX_PEERS; i++)
		shown->gen_bitmap[i] = md->slots[i].gen_bitmap;
	spin_unlock(&res->md_shown_lock);
}

/* Releases @res->md_mutex, publishing what changed under it. */
void harepl_md_unlock(struct harepl_resource *res)
{
	harepl_md_publish(res);
	mutex_unlock(&res->md_mutex);
}

/* A copy of what status shows of the superblock; never sleeps. */
void harepl_md_get_shown(struct harepl_resource *res,
			 struct harepl_md_shown *shown)
{
	spin_lock(&res->md_shown_lock);
	*shown = res->md_shown;
	spin_unlock(&res->md_shown_lock);
}

/**
 * harepl_md_write() - write the superblock with the current generation ids,
 * flags and slots
 * @res: the resource; the caller holds @res->md_mutex
 *
 * Written with a preflush and FUA: on stable storage when this returns 0.
 *
 * Return: 0 or a negative errno (logged).
 */
int harepl_md_write(struct harepl_resource *res)
{
	struct harepl_md_sb *sb = page_address(res->sb_page);
	struct harepl_md *md = &res->md;
	int i, ret;

	lockdep_assert_held(&res->md_mutex);
	harepl_md_publish(res);
	sb->flags = cpu_to_le32(md->flags);
	sb->gen_current = cpu_to_le64(md->gen_current);
	for (i = 0; i < HAREPL_MD_HISTORY; i++)
		sb->gen_history[i] = cpu_to_le64(md->gen_history[i]);
	for (i = 0; i < HAREPL_MD_MAX_PEERS; i++) {
		sb->slots[i].node_id = cpu_to_le32(md->slots[i].node_id);
		sb->slots[i].flags = cpu_to_le32(md->slots[i].flags);
		sb->slots[i].gen_bitmap = cpu_to_le64(md->slots[i].gen_bitmap);
	}
	sb->checksum = cpu_to_le32(harepl_md_csum(sb));
	ret = harepl_md_io(res->meta_bdev, md->sb_sector, res->sb_page,
			   HAREPL_MD_SB_SIZE,
			   REQ_OP_WRITE | REQ_PREFLUSH | REQ_FUA);
	if (ret)
		pr_err("%s: cannot write the superblock: %d\n", res->name, ret);
	return ret;
}

/* A new current generation id: the old one goes into the history. */
void harepl_md_new_current(struct harepl_resource *res)
{
	u64 gen;

	lockdep_assert_held(&res->md_mutex);
	do {
		gen = get_random_u64();
	} while (!gen);
	harepl_md_set_current(res, gen);
}

/* Takes @gen as current generation id, keeping the old one in the history. */
void harepl_md_set_current(struct harepl_resource *res, u64 gen)
{
	struct harepl_md *md = &res->md;

	lockdep_assert_held(&res->md_mutex);
	harepl_gen_push(&md->gen_current, md->gen_history, gen);
}
