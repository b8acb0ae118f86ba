/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HAREPL_MD_H
#define _HAREPL_MD_H

#include <linux/blkdev.h>
#include <uapi/linux/harepl.h>

/* The superblock's fields, validated and in CPU byte order */
struct harepl_md {
	u8 uuid[HAREPL_UUID_LEN];
	char name[HAREPL_NAME_MAX];
	u32 flags;
	u32 node_id;
	u32 max_peers;
	u32 chunk_sectors;
	u64 gen_current;
	u32 al_extents;
	struct {
		u32 node_id;		/* HAREPL_MD_SLOT_FREE when unused */
		u32 flags;		/* enum harepl_md_slot_flag */
		u64 gen_bitmap;
	} slots[HAREPL_MD_MAX_PEERS];
	u64 created;
	u64 gen_history[HAREPL_MD_HISTORY];
	sector_t data_sectors;
	sector_t md_start;
	sector_t md_sectors;
	sector_t sb_sector;
	sector_t al_sector;
	sector_t al_sectors;
	sector_t bm_sector;
	sector_t bm_sectors;
};

/*
 * What status and events show of @md (struct harepl_resource.md_shown): its
 * state as of the last release of md_mutex, or of the superblock write in
 * progress, so that they never wait for a superblock write.
 */
struct harepl_md_shown {
	u32 flags;
	u32 al_extents;
	u64 gen_current;
	u64 gen_history[HAREPL_MD_HISTORY];
	u64 gen_bitmap[HAREPL_MD_MAX_PEERS];	/* per slot */
};

struct harepl_resource;

void harepl_md_unlock(struct harepl_resource *res);
void harepl_md_get_shown(struct harepl_resource *res,
			 struct harepl_md_shown *shown);

u32 harepl_md_csum(const void *block);
int harepl_md_io(struct block_device *bdev, sector_t sector, struct page *page,
		 unsigned int len, blk_opf_t opf);
int harepl_md_read(struct block_device *meta, bool internal,
		   struct harepl_md *md, struct page **sb_page, char **error);
int harepl_md_write(struct harepl_resource *res);
void harepl_md_new_current(struct harepl_resource *res);
void harepl_md_set_current(struct harepl_resource *res, u64 gen);

/*
 * @gen becomes the current id *@current_gen, the old one (if any) the newest
 * of @history (HAREPL_MD_HISTORY ids): the rule of harepl_md_set_current()
 */
static inline void harepl_gen_push(u64 *current_gen, u64 *history, u64 gen)
{
	if (*current_gen == gen)
		return;
	if (*current_gen) {
		memmove(&history[1], &history[0],
			sizeof(history[0]) * (HAREPL_MD_HISTORY - 1));
		history[0] = *current_gen;
	}
	*current_gen = gen;
}

#endif
