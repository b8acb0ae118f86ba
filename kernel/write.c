// SPDX-License-Identifier: GPL-2.0
/*
 * The primary's write path: a clone goes to the local disk while the data
 * goes to the peers; the original completes when the local write and every
 * sync peer's ACK are in. A write overlapping one in flight waits for it,
 * so that overlapping writes reach every disk in the same order.
 */

#include <linux/device-mapper.h>
#include "al.h"
#include "fence.h"
#include "peer.h"
#include "req.h"
#include "resource.h"

struct workqueue_struct *harepl_wq;

static void harepl_req_complete(struct harepl_req *req)
{
	struct harepl_resource *res = req->res;
	unsigned long flags;
	bool kick = false;

	/*
	 * A write of the current write epoch completed: later writes may
	 * depend on it, so they start in a new one. One of an older epoch
	 * changes nothing: the epoch has moved since it started, so every
	 * write started after it completes has a later one already. An async
	 * peer gets a new epoch of its own wherever the write epoch changes
	 * in its queue (harepl_peer_epoch()). As in DRBD's transfer log, an
	 * epoch thus lasts until the first write started in it completes
	 * (which may include a wait for room in a full send queue), instead
	 * of nearly one write each under load: the secondary drains between
	 * epochs. Before the write leaves @inflight_writes: an overlapping
	 * write waiting for it must start in a later epoch (write_lock's
	 * release orders the two), or the secondary could apply the two in
	 * either order.
	 */
	atomic64_cmpxchg(&res->write_epoch, req->epoch, req->epoch + 1);
	if (req->sectors) {
		spin_lock_irqsave(&res->write_lock, flags);
		list_del(&req->node);
		kick = !bio_list_empty(&res->deferred);
		spin_unlock_irqrestore(&res->write_lock, flags);
		if (wq_has_sleeper(&res->range_wq))
			wake_up(&res->range_wq);
	}
	if (req->al_held)
		harepl_al_put(res, req->sector, req->sectors);
	req->bio->bi_status = req->status;
	if (!harepl_fence_park(res, req->bio))
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

/* Starts a write whose extents are in the write-intent log. */
void harepl_write_go(struct harepl_resource *res, struct harepl_req *req)
{
	struct bio *clone;

	req->seq = atomic64_inc_return(&res->next_seq);
	req->epoch = atomic64_read(&res->write_epoch);
	req->start = jiffies;
	clone = bio_alloc_clone(res->data_bdev, req->bio, GFP_NOIO, &res->bs);
	clone->bi_iter.bi_sector = req->sector;
	clone->bi_end_io = harepl_clone_endio;
	clone->bi_private = req;
	atomic_inc(&req->pending);
	/*
	 * A sync peer's round trip is the longer path: queue it first. An
	 * async peer's copy had better overlap the local write, which is
	 * then all the writer waits for.
	 */
	if (READ_ONCE(res->sync_peers)) {
		harepl_replicate(res, req);
		submit_bio_noacct(clone);
	} else {
		submit_bio_noacct(clone);
		harepl_replicate(res, req);
	}
	harepl_req_put(req);
}

static void harepl_write_start(struct harepl_resource *res,
			       struct harepl_req *req)
{
	int ret = req->sectors ? harepl_al_begin(res, req) : 1;

	if (ret > 0) {
		harepl_write_go(res, req);
	} else if (ret < 0) {
		req->status = BLK_STS_IOERR;
		harepl_req_put(req);
	}
}

static bool harepl_overlap(sector_t a, u64 alen, sector_t b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

/* Does @req overlap a write in flight or a range being read for resync? */
static bool harepl_overlaps(struct harepl_resource *res, struct harepl_req *req)
{
	struct harepl_range *r;
	struct harepl_req *w;

	list_for_each_entry(w, &res->inflight_writes, node)
		if (harepl_overlap(req->sector, req->sectors, w->sector, w->sectors))
			return true;
	list_for_each_entry(r, &res->resync_ranges, node)
		if (harepl_overlap(req->sector, req->sectors, r->sector, r->sectors))
			return true;
	return false;
}

/* No application write in flight or waiting */
bool harepl_writes_idle(struct harepl_resource *res)
{
	bool idle;

	spin_lock_irq(&res->write_lock);
	idle = list_empty(&res->inflight_writes) && bio_list_empty(&res->deferred);
	spin_unlock_irq(&res->write_lock);
	return idle;
}

/* Holds the range if no application write is in flight on it or waiting. */
bool harepl_range_trylock(struct harepl_resource *res, struct harepl_range *r)
{
	struct harepl_req *w;
	bool ok;

	spin_lock_irq(&res->write_lock);
	/*
	 * writes waiting go first, so that a resync cannot starve them;
	 * unless frozen: they wait for the thaw, not for the resync
	 */
	ok = bio_list_empty(&res->deferred) || res->frozen != HAREPL_FREEZE_NONE;
	list_for_each_entry(w, &res->inflight_writes, node)
		if (ok && harepl_overlap(r->sector, r->sectors, w->sector, w->sectors))
			ok = false;
	if (ok)
		list_add_tail(&r->node, &res->resync_ranges);
	spin_unlock_irq(&res->write_lock);
	return ok;
}

/**
 * harepl_range_lock() - hold a range against application writes
 * @res: the resource
 * @r: the range, not held
 *
 * Waits until no application write is in flight on the range (nor
 * waiting at all); until harepl_range_unlock() new writes on it wait.
 */
void harepl_range_lock(struct harepl_resource *res, struct harepl_range *r)
{
	wait_event(res->range_wq, harepl_range_trylock(res, r));
}

void harepl_range_unlock(struct harepl_resource *res, struct harepl_range *r)
{
	bool kick;

	spin_lock_irq(&res->write_lock);
	list_del_init(&r->node);
	kick = !bio_list_empty(&res->deferred);
	spin_unlock_irq(&res->write_lock);
	if (kick)
		queue_work(harepl_wq, &res->deferred_work);
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
	req->al_held = false;
	req->epoch = -1;	/* set when it starts; -1 moves no write epoch */
	INIT_LIST_HEAD(&req->node);
	INIT_LIST_HEAD(&req->al_node);
	WRITE_ONCE(res->last_write, jiffies);
	spin_lock_irq(&res->write_lock);
	if (res->frozen != HAREPL_FREEZE_NONE && !req->sectors) {
		/* an empty flush waits for the thaw too */
		bio_list_add(&res->deferred, bio);
		defer = true;
	} else if (req->sectors) {
		/* frozen, behind an overlap, or behind anything waiting */
		defer = res->frozen != HAREPL_FREEZE_NONE ||
			!bio_list_empty(&res->deferred) || harepl_overlaps(res, req);
		if (defer)
			bio_list_add(&res->deferred, bio);
		else
			list_add_tail(&req->node, &res->inflight_writes);
	}
	spin_unlock_irq(&res->write_lock);
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
		if (res->frozen != HAREPL_FREEZE_NONE || harepl_overlaps(res, req))
			break;
		bio_list_pop(&res->deferred);
		if (req->sectors)
			list_add_tail(&req->node, &res->inflight_writes);
		spin_unlock_irq(&res->write_lock);
		harepl_write_start(res, req);
		spin_lock_irq(&res->write_lock);
	}
	spin_unlock_irq(&res->write_lock);
	/* a resync waits for the queue to drain */
	if (wq_has_sleeper(&res->range_wq))
		wake_up(&res->range_wq);
}
