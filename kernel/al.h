/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HAREPL_AL_H
#define _HAREPL_AL_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

struct harepl_resource;
struct harepl_req;

/*
 * The write-intent log (Documentation/resync.rst): the hot set of extents
 * that may have writes in flight, recorded on disk before those writes
 * reach the data device.
 *
 * Locking: @lock (spinlock, taken from bio completion) protects @ext,
 * @refs, @held, @last_use, @pending, @hash, @node, @waiting, @tick,
 * @disabled and @clean_wanted.
 * @io_mutex serialises transactions (@work, harepl_al_begin_peer() and
 * harepl_al_clean()) and protects @seq, @next, @page and the scratch
 * arrays; @peer_writes changes under it and res->md_mutex, and is read
 * without a lock by harepl_al_begin_peer()'s fast path. Nothing allocates
 * memory after harepl_al_load().
 */
struct harepl_al {
	unsigned int nr;		/* hot set size */
	u32 *ext;			/* extent per entry, U32_MAX: none */
	unsigned int *refs;		/* writes in flight per entry */
	unsigned long held;		/* sum of @refs */
	u64 *last_use;			/* @tick at last use, for LRU */
	unsigned long *pending;		/* entries not yet on disk */
	struct hlist_head *hash;	/* extent -> entry, @nr buckets */
	struct hlist_node *node;	/* per entry, in @hash while used */
	u32 *scratch_ext;		/* @nr each, for the writer */
	u32 *scratch_evicted;
	u64 tick;
	spinlock_t lock;		/* see above */
	struct mutex io_mutex;		/* see above */
	struct list_head waiting;	/* harepl_req.al_node: need a transaction */
	struct work_struct work;
	struct page *page;
	u64 seq;			/* of the last transaction */
	unsigned int next;		/* ring block for the next one */
	unsigned int blocks;		/* ring size */
	atomic64_t transactions;
	bool disabled;			/* an I/O error: writes fail */
	bool peer_writes;		/* HAREPL_MDF_PEER_WRITES is on disk */
	/* a clean-up found writes in flight: @clean_work when the last ends */
	bool clean_wanted;
	struct work_struct clean_work;
};

int harepl_al_load(struct harepl_resource *res, char **error);
int harepl_al_recover(struct harepl_resource *res);
void harepl_al_free(struct harepl_resource *res);
int harepl_al_begin(struct harepl_resource *res, struct harepl_req *req);
int harepl_al_begin_peer(struct harepl_resource *res, sector_t sector,
			 u64 sectors);
void harepl_al_get(struct harepl_resource *res, sector_t sector, u64 sectors);
void harepl_al_put(struct harepl_resource *res, sector_t sector, u64 sectors);
int harepl_al_clean(struct harepl_resource *res);
void harepl_al_clean_later(struct harepl_resource *res);
void harepl_al_clean_cancel(struct harepl_resource *res, bool sync);
void harepl_al_secondary_idle(struct harepl_resource *res);

#endif
