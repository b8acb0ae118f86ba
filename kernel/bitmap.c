// SPDX-License-Identifier: GPL-2.0
/*
 * The out-of-sync bitmaps: loaded with the resource, changed in memory,
 * written back page by page (Documentation/resync.rst says when).
 */

#include <linux/bitops.h>
#include <linux/blkdev.h>
#include <linux/highmem.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include "bitmap.h"
#include "md.h"
#include "resource.h"

#define HAREPL_BM_PAGE_BITS	(HAREPL_MD_SB_SIZE * 8)

static sector_t harepl_bm_slot_sector(struct harepl_resource *res, int slot)
{
	return res->md.bm_sector +
	       (res->md.bm_sectors / res->md.max_peers) * slot;
}

static int harepl_bm_alloc_slot(struct harepl_resource *res, int slot)
{
	struct harepl_bm *bm = &res->bm;

	if (bm->bits[slot])
		return 0;
	bm->bits[slot] = vzalloc(bm->slot_pages * HAREPL_MD_SB_SIZE);
	bm->dirty[slot] = bitmap_zalloc(bm->slot_pages, GFP_KERNEL);
	if (!bm->bits[slot] || !bm->dirty[slot]) {
		vfree(bm->bits[slot]);
		bitmap_free(bm->dirty[slot]);
		bm->bits[slot] = NULL;
		bm->dirty[slot] = NULL;
		return -ENOMEM;
	}
	atomic64_set(&bm->count[slot], 0);
	return 0;
}

/* Reads slot @slot from disk; bits beyond the data area are ignored. */
static int harepl_bm_read_slot(struct harepl_resource *res, int slot,
			       struct page *page)
{
	struct harepl_bm *bm = &res->bm;
	sector_t sector = harepl_bm_slot_sector(res, slot);
	unsigned int i, tail;
	u8 *dst;
	int ret;

	for (i = 0; i < bm->slot_pages; i++) {
		ret = harepl_md_io(res->meta_bdev, sector + i * HAREPL_MD_SB_SECTORS,
				   page, HAREPL_MD_SB_SIZE, REQ_OP_READ);
		if (ret)
			return ret;
		dst = bm->bits[slot] + i * HAREPL_MD_SB_SIZE;
		memcpy(dst, page_address(page), HAREPL_MD_SB_SIZE);
	}
	/* clear what lies beyond the last chunk */
	dst = bm->bits[slot];
	for (i = bm->nbits; i < round_up(bm->nbits, 8); i++)
		__clear_bit_le(i, dst);
	tail = DIV_ROUND_UP(bm->nbits, 8);
	memset(dst + tail, 0, bm->slot_pages * HAREPL_MD_SB_SIZE - tail);
	atomic64_set(&bm->count[slot], memweight(dst, tail));
	return 0;
}

/**
 * harepl_bm_load() - read the bitmaps of the slots in use
 * @res: a new resource, its superblock read
 * @error: on failure, why, for ti->error
 *
 * Return: 0 or a negative errno.
 */
int harepl_bm_load(struct harepl_resource *res, char **error)
{
	struct harepl_bm *bm = &res->bm;
	struct page *page;
	int i, ret = 0;

	mutex_init(&bm->io_mutex);
	bm->chunk_shift = ilog2(res->md.chunk_sectors);
	bm->nbits = DIV_ROUND_UP_ULL(res->md.data_sectors, res->md.chunk_sectors);
	bm->slot_pages = res->md.bm_sectors / res->md.max_peers /
			 HAREPL_MD_SB_SECTORS;
	if ((u64)bm->slot_pages * HAREPL_BM_PAGE_BITS < bm->nbits) {
		*error = "Superblock bitmap slots too small";
		return -EINVAL;
	}
	/* the little-endian bit operations take an int */
	if (bm->nbits > INT_MAX) {
		*error = "Too many bitmap chunks (create-md with a larger --chunk-size)";
		return -EINVAL;
	}
	page = alloc_page(GFP_KERNEL);
	if (!page) {
		*error = "Cannot allocate memory for the bitmap";
		return -ENOMEM;
	}
	for (i = 0; i < res->md.max_peers && !ret; i++) {
		if (res->md.slots[i].node_id == HAREPL_MD_SLOT_FREE)
			continue;
		ret = harepl_bm_alloc_slot(res, i);
		if (ret) {
			*error = "Cannot allocate memory for the bitmap";
			break;
		}
		ret = harepl_bm_read_slot(res, i, page);
		if (ret)
			*error = "Cannot read the bitmap";
	}
	__free_page(page);
	if (ret)
		harepl_bm_free(res);
	return ret;
}

void harepl_bm_free(struct harepl_resource *res)
{
	int i;

	for (i = 0; i < HAREPL_MD_MAX_PEERS; i++) {
		vfree(res->bm.bits[i]);
		bitmap_free(res->bm.dirty[i]);
		res->bm.bits[i] = NULL;
		res->bm.dirty[i] = NULL;
	}
}

/**
 * harepl_bm_slot_for() - the slot of a peer, given one if it has none
 * @res: the resource
 * @node_id: the peer
 *
 * A new slot starts empty and is recorded in the superblock at once.
 *
 * Return: the slot index, or -E2BIG when no slot is free, or another
 * negative errno.
 */
int harepl_bm_slot_for(struct harepl_resource *res, u32 node_id)
{
	struct harepl_md *md = &res->md;
	int i, free = -1, ret;

	mutex_lock(&res->md_mutex);
	for (i = 0; i < md->max_peers; i++) {
		if (md->slots[i].node_id == node_id) {
			harepl_md_unlock(res);
			return i;
		}
		if (free < 0 && md->slots[i].node_id == HAREPL_MD_SLOT_FREE)
			free = i;
	}
	ret = -E2BIG;
	if (free >= 0) {
		ret = harepl_bm_alloc_slot(res, free);
		if (!ret) {
			md->slots[free].node_id = node_id;
			md->slots[free].gen_bitmap = 0;
			md->slots[free].flags = 0;
			ret = harepl_md_write(res);
			if (ret)
				md->slots[free].node_id = HAREPL_MD_SLOT_FREE;
		}
	}
	harepl_md_unlock(res);
	return ret ? ret : free;
}

/* The chunks [*first, *last] that [sector, sector + sectors) touches */
static bool harepl_bm_range(struct harepl_bm *bm, sector_t sector, u64 sectors,
			    unsigned long *first, unsigned long *last)
{
	if (!sectors || sector >= (sector_t)bm->nbits << bm->chunk_shift)
		return false;
	*first = sector >> bm->chunk_shift;
	*last = min_t(u64, (sector + sectors - 1) >> bm->chunk_shift,
		      bm->nbits - 1);
	return true;
}

static void harepl_bm_dirty(struct harepl_bm *bm, int slot, unsigned long bit)
{
	set_bit(bit / HAREPL_BM_PAGE_BITS, bm->dirty[slot]);
}

/*
 * Sets (@set) or clears the bits of every chunk the range touches; returns
 * how many changed.
 */
static unsigned long harepl_bm_change(struct harepl_resource *res, int slot,
				      sector_t sector, u64 sectors, bool set)
{
	struct harepl_bm *bm = &res->bm;
	unsigned long bit, last, n = 0;
	bool changed;

	if (slot < 0 || !bm->bits[slot] ||
	    !harepl_bm_range(bm, sector, sectors, &bit, &last))
		return 0;
	for (; bit <= last; bit++) {
		changed = set ? !test_and_set_bit_le(bit, bm->bits[slot]) :
				test_and_clear_bit_le(bit, bm->bits[slot]);
		if (changed) {
			harepl_bm_dirty(bm, slot, bit);
			n++;
		}
	}
	if (set)
		atomic64_add(n, &bm->count[slot]);
	else
		atomic64_sub(n, &bm->count[slot]);
	return n;
}

/* Sets the bits of every chunk the range touches; returns how many were new. */
unsigned long harepl_bm_set(struct harepl_resource *res, int slot,
			    sector_t sector, u64 sectors)
{
	return harepl_bm_change(res, slot, sector, sectors, true);
}

/* Clears the bits of the chunks the range touches; returns how many were set. */
unsigned long harepl_bm_clear(struct harepl_resource *res, int slot,
			      sector_t sector, u64 sectors)
{
	return harepl_bm_change(res, slot, sector, sectors, false);
}

void harepl_bm_set_all(struct harepl_resource *res, int slot)
{
	harepl_bm_set(res, slot, 0, (u64)res->bm.nbits << res->bm.chunk_shift);
}

void harepl_bm_clear_all(struct harepl_resource *res, int slot)
{
	harepl_bm_clear(res, slot, 0, (u64)res->bm.nbits << res->bm.chunk_shift);
}

bool harepl_bm_test(struct harepl_resource *res, int slot, unsigned long chunk)
{
	return slot >= 0 && res->bm.bits[slot] && chunk < res->bm.nbits &&
	       test_bit_le(chunk, res->bm.bits[slot]);
}

/* The first set chunk at or after @from, or res->bm.nbits */
unsigned long harepl_bm_next(struct harepl_resource *res, int slot,
			     unsigned long from)
{
	struct harepl_bm *bm = &res->bm;

	if (slot < 0 || !bm->bits[slot] || from >= bm->nbits)
		return bm->nbits;
	return find_next_bit_le(bm->bits[slot], bm->nbits, from);
}

u64 harepl_bm_count(struct harepl_resource *res, int slot)
{
	if (slot < 0 || !res->bm.bits[slot])
		return 0;
	return atomic64_read(&res->bm.count[slot]);
}

/* Writes the dirty pages [first, last] of every slot, then flushes. */
static int harepl_bm_write(struct harepl_resource *res, unsigned long first,
			   unsigned long last)
{
	struct harepl_bm *bm = &res->bm;
	struct page *page;
	unsigned long pg;
	int i, ret = 0;
	bool wrote = false;

	page = alloc_page(GFP_NOIO);
	if (!page)
		return -ENOMEM;
	mutex_lock(&bm->io_mutex);
	for (i = 0; i < HAREPL_MD_MAX_PEERS && !ret; i++) {
		if (!bm->bits[i])
			continue;
		for (pg = first; pg <= last && pg < bm->slot_pages && !ret; pg++) {
			if (!test_and_clear_bit(pg, bm->dirty[i]))
				continue;
			memcpy(page_address(page),
			       bm->bits[i] + pg * HAREPL_MD_SB_SIZE,
			       HAREPL_MD_SB_SIZE);
			ret = harepl_md_io(res->meta_bdev,
					   harepl_bm_slot_sector(res, i) +
					   pg * HAREPL_MD_SB_SECTORS,
					   page, HAREPL_MD_SB_SIZE, REQ_OP_WRITE);
			if (ret)
				set_bit(pg, bm->dirty[i]);
			wrote = true;
		}
	}
	if (!ret && wrote)
		ret = blkdev_issue_flush(res->meta_bdev);
	mutex_unlock(&bm->io_mutex);
	__free_page(page);
	if (ret)
		pr_err_ratelimited("%s: cannot write the bitmap: %d\n", res->name, ret);
	return ret;
}

/* Every dirty page of every slot, on stable storage when it returns 0 */
int harepl_bm_flush(struct harepl_resource *res)
{
	return harepl_bm_write(res, 0, ULONG_MAX);
}

/* The dirty pages holding the bits of [sector, sector + sectors) */
int harepl_bm_flush_range(struct harepl_resource *res, sector_t sector,
			  u64 sectors)
{
	struct harepl_bm *bm = &res->bm;
	unsigned long first, last;

	if (!harepl_bm_range(bm, sector, sectors, &first, &last))
		return 0;
	return harepl_bm_write(res, first / HAREPL_BM_PAGE_BITS,
			       last / HAREPL_BM_PAGE_BITS);
}
