/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HAREPL_REQ_H
#define _HAREPL_REQ_H

#include <linux/bio.h>
#include <linux/list.h>

struct harepl_resource;

/*
 * A write on the primary, in the per-bio data of the original bio. It
 * completes when @pending drops to zero: one count for the local write,
 * one per sync peer that must ACK, one held by the submitter.
 */
struct harepl_req {
	struct harepl_resource *res;
	struct bio *bio;
	atomic_t pending;
	blk_status_t status;
	sector_t sector;		/* on the data device */
	unsigned int sectors;
	u64 seq;
	s64 epoch;			/* res->write_epoch when started */
	unsigned long start;		/* jiffies, for the peer timeout */
	struct list_head node;		/* in res->inflight_writes while in flight */
	struct list_head al_node;	/* waiting for the write-intent log */
	bool al_held;			/* holds write-intent references */
};

/* A range held against application writes while it is read for resync */
struct harepl_range {
	sector_t sector;
	u64 sectors;
	struct list_head node;		/* in res->resync_ranges */
};

extern struct workqueue_struct *harepl_wq;

bool harepl_writes_idle(struct harepl_resource *res);
bool harepl_range_trylock(struct harepl_resource *res, struct harepl_range *r);
void harepl_range_lock(struct harepl_resource *res, struct harepl_range *r);
void harepl_range_unlock(struct harepl_resource *res, struct harepl_range *r);

void harepl_req_put(struct harepl_req *req);
void harepl_write(struct harepl_resource *res, struct bio *bio);
void harepl_deferred_work(struct work_struct *work);
void harepl_write_go(struct harepl_resource *res, struct harepl_req *req);

#endif
