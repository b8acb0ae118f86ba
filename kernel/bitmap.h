/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HAREPL_BITMAP_H
#define _HAREPL_BITMAP_H

#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <uapi/linux/harepl.h>

struct harepl_resource;

/*
 * The out-of-sync bitmaps of a resource, one per slot in use, in memory as
 * on disk (Documentation/resync.rst). Bits change with atomic little-endian
 * bit operations from any context; a change sets the page's bit in @dirty
 * after the bit itself, so a writeback that cleared @dirty before copying
 * the page either sees the change or leaves the page dirty again.
 * @io_mutex serialises writebacks. @bits[i] and @dirty[i] are allocated
 * when slot i is first used and freed with the resource.
 */
struct harepl_bm {
	unsigned long nbits;		/* chunks in the data area */
	unsigned int chunk_shift;	/* log2 of chunk sectors */
	unsigned int slot_pages;	/* 4 KiB pages per slot on disk */
	void *bits[HAREPL_MD_MAX_PEERS];
	unsigned long *dirty[HAREPL_MD_MAX_PEERS];
	atomic64_t count[HAREPL_MD_MAX_PEERS];
	struct mutex io_mutex;		/* see above */
};

int harepl_bm_load(struct harepl_resource *res, char **error);
void harepl_bm_free(struct harepl_resource *res);
int harepl_bm_slot_for(struct harepl_resource *res, u32 node_id);
unsigned long harepl_bm_set(struct harepl_resource *res, int slot,
			    sector_t sector, u64 sectors);
unsigned long harepl_bm_clear(struct harepl_resource *res, int slot,
			      sector_t sector, u64 sectors);
void harepl_bm_set_all(struct harepl_resource *res, int slot);
void harepl_bm_clear_all(struct harepl_resource *res, int slot);
bool harepl_bm_test(struct harepl_resource *res, int slot, unsigned long chunk);
unsigned long harepl_bm_next(struct harepl_resource *res, int slot,
			     unsigned long from);
u64 harepl_bm_count(struct harepl_resource *res, int slot);
int harepl_bm_flush(struct harepl_resource *res);
int harepl_bm_flush_range(struct harepl_resource *res, sector_t sector,
			  u64 sectors);

#endif
