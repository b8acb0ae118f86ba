// SPDX-License-Identifier: GPL-2.0
/*
 * The primary's write path: a clone goes to the local disk while the data
 * goes to the peers; the original completes when the local write and every
 * sync peer's ACK are in. A write overlapping one in flight waits for it,
 * so that overlapping writes reach every disk in the same order.
 */

#include <linux/device-mapper.h>
#include "peer.h"
#include "req.h"
#include "resource.h"

struct workqueue_struct *harepl_wq;

static void harepl_req_complete(struct harepl_req *req)
{
	struct harepl_resource *res = req->res;
	unsigned long flags;
	bool kick = false;

	if (req->sectors) {
		spin_lock_irqsave(&res->write_lock, flags);
		list_del(&req->node);
		kick = !bio_list_empty(&res->deferred);
		spin_unlock_irqrestore(&res->write_lock, flags);
	}
	/* later writes start a new epoch: they may depend on this one */
	atomic64_inc(&res->completions);
	req->bio->bi_status = req->status;
	bio_endio(req->bio);
	if (kick)
		queue_work(harepl_wq, &res->deferred_work);
}

void harepl_req_put(struct harepl_req *req)
{
	if (atomic_dec_and_test(&req->pending))
		harepl_req_complete(req);
}

static void harepl_clone_endio(struct bio *clone)
{
	struct harepl_req *req = clone->bi_private;

	if (clone->bi_status) {
		req->status = clone->bi_status;
		pr_err_ratelimited("%s: local write at sector %llu failed: %d\n",
				   req->res->name, (unsigned long long)req->sector,
				   blk_status_to_errno(clone->bi_status));
	}
	bio_put(clone);
	harepl_req_put(req);
}

static void harepl_write_start(struct harepl_resource *res,
			       struct harepl_req *req)
{
	struct bio *clone;

	req->seq = atomic64_inc_return(&res->next_seq);
	req->start = jiffies;
	clone = bio_alloc_clone(res->data_bdev, req->bio, GFP_NOIO, &res->bs);
	clone->bi_iter.bi_sector = req->sector;
	clone->bi_end_io = harepl_clone_endio;
	clone->bi_private = req;
	atomic_inc(&req->pending);
	submit_bio_noacct(clone);
	harepl_replicate(res, req);
	harepl_req_put(req);
}

static bool harepl_overlaps(struct harepl_resource *res, struct harepl_req *req)
{
	struct harepl_req *w;

	list_for_each_entry(w, &res->inflight_writes, node)
		if (req->sector < w->sector + w->sectors &&
		    w->sector < req->sector + req->sectors)
			return true;
	return false;
}

/* Takes over a write bio (already remapped to the data device's sectors). */
void harepl_write(struct harepl_resource *res, struct bio *bio)
{
	struct harepl_req *req = dm_per_bio_data(bio, sizeof(*req));
	bool defer = false;

	req->res = res;
	req->bio = bio;
	req->status = BLK_STS_OK;
	atomic_set(&req->pending, 1);
	req->sectors = bio_sectors(bio);
	req->sector = req->sectors ? bio->bi_iter.bi_sector : 0;
	INIT_LIST_HEAD(&req->node);
	if (req->sectors) {
		spin_lock_irq(&res->write_lock);
		/* behind an overlap, or behind anything already waiting */
		defer = !bio_list_empty(&res->deferred) || harepl_overlaps(res, req);
		if (defer)
			bio_list_add(&res->deferred, bio);
		else
			list_add_tail(&req->node, &res->inflight_writes);
		spin_unlock_irq(&res->write_lock);
	}
	if (!defer)
		harepl_write_start(res, req);
}

void harepl_deferred_work(struct work_struct *work)
{
	struct harepl_resource *res = container_of(work, struct harepl_resource,
						   deferred_work);
	struct harepl_req *req;
	struct bio *bio;

	spin_lock_irq(&res->write_lock);
	while ((bio = bio_list_peek(&res->deferred))) {
		req = dm_per_bio_data(bio, sizeof(*req));
		if (harepl_overlaps(res, req))
			break;
		bio_list_pop(&res->deferred);
		list_add_tail(&req->node, &res->inflight_writes);
		spin_unlock_irq(&res->write_lock);
		harepl_write_start(res, req);
		spin_lock_irq(&res->write_lock);
	}
	spin_unlock_irq(&res->write_lock);
}
