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
	unsigned long start;		/* jiffies, for the peer timeout */
	struct list_head node;		/* in res->inflight_writes while in flight */
};

extern struct workqueue_struct *harepl_wq;

void harepl_req_put(struct harepl_req *req);
void harepl_write(struct harepl_resource *res, struct bio *bio);
void harepl_deferred_work(struct work_struct *work);

#endif
