// SPDX-License-Identifier: GPL-2.0
/*
 * Resync and online verify. The sync source's thread walks its bitmap for
 * the peer and sends the data (RS_DATA) or checksums (CSUM) of runs of
 * chunks, with at most HAREPL_RS_WINDOW requests in flight (one while
 * application writes are) and at most the configured rate; the target
 * writes or compares and answers. A range being read for resync is held
 * against application writes until its data is sent (write.c).
 */

#include <crypto/hash.h>
#include <linux/blkdev.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#include "bitmap.h"
#include "peer.h"
#include "receive.h"
#include "req.h"
#include "resource.h"
#include "sync.h"

#define HAREPL_RS_WINDOW	32
#define HAREPL_RS_MAX_PAGES	(HAREPL_WIRE_MAX_DATA / PAGE_SIZE)
#define HAREPL_RS_PASSES	8

static void *harepl_rs_entry(sector_t sector, u32 sectors)
{
	return xa_mk_value((unsigned long)sector << HAREPL_ASYNC_LEN_BITS | sectors);
}

static void harepl_rs_decode(void *entry, sector_t *sector, u32 *sectors)
{
	unsigned long v = xa_to_value(entry);

	*sector = v >> HAREPL_ASYNC_LEN_BITS;
	*sectors = v & ((1UL << HAREPL_ASYNC_LEN_BITS) - 1);
}

static void harepl_rs_free_pages(struct page **pages, unsigned int nr)
{
	while (nr--)
		__free_page(pages[nr]);
}

/**
 * harepl_rs_read() - read part of our data device into new pages
 * @res: the resource
 * @sector: where
 * @bytes: how much, at most HAREPL_WIRE_MAX_DATA
 * @pages: HAREPL_RS_MAX_PAGES slots, filled
 * @nr: how many pages were used
 *
 * Return: 0 or a negative errno (no pages left allocated).
 */
int harepl_rs_read(struct harepl_resource *res, sector_t sector, u32 bytes,
		   struct page **pages, unsigned int *nr)
{
	unsigned int n = DIV_ROUND_UP(bytes, PAGE_SIZE), i;
	struct bio *bio;
	int ret;

	bio = bio_alloc(res->data_bdev, n, REQ_OP_READ, GFP_NOIO);
	bio->bi_iter.bi_sector = sector;
	for (i = 0; i < n; i++) {
		pages[i] = alloc_page(GFP_NOIO);
		if (!pages[i]) {
			harepl_rs_free_pages(pages, i);
			bio_put(bio);
			return -ENOMEM;
		}
		__bio_add_page(bio, pages[i], min_t(u32, PAGE_SIZE, bytes - i * PAGE_SIZE), 0);
	}
	ret = submit_bio_wait(bio);
	bio_put(bio);
	if (ret)
		harepl_rs_free_pages(pages, n);
	else
		*nr = n;
	return ret;
}

/* A SHA-256 per chunk of @bytes in @pages, into @out */
int harepl_rs_digests(struct crypto_shash *tfm, struct page **pages, u32 bytes,
		      u32 chunk, u8 *out)
{
	SHASH_DESC_ON_STACK(desc, tfm);
	u32 off, o, len;
	int ret = 0;

	desc->tfm = tfm;
	for (off = 0; off < bytes && !ret; off += chunk, out += HAREPL_WIRE_CSUM_LEN) {
		len = min(chunk, bytes - off);
		ret = crypto_shash_init(desc);
		for (o = off; o < off + len && !ret; o += PAGE_SIZE)
			ret = crypto_shash_update(desc,
						  page_address(pages[o / PAGE_SIZE]),
						  min_t(u32, PAGE_SIZE, off + len - o));
		if (!ret)
			ret = crypto_shash_final(desc, out);
	}
	shash_desc_zero(desc);
	return ret;
}

/* Like harepl_range_lock(), but gives up when the thread is stopped. */
static int harepl_rs_range_lock(struct harepl_resource *res,
				struct harepl_range *r)
{
	while (!kthread_should_stop()) {
		if (wait_event_timeout(res->range_wq, harepl_range_trylock(res, r),
				       HZ / 10))
			return 0;
	}
	return -EINTR;
}

struct harepl_rs {
	struct harepl_peer *peer;
	struct page *pages[HAREPL_RS_MAX_PAGES];
	u8 *digests;
	struct crypto_shash *tfm;
	unsigned long win_start;	/* rate limit window */
	u64 win_bytes;
	unsigned long last_report;
	u64 last_done;
};

/* Sends data or checksums of [sector, sector + sectors) to the target. */
static int harepl_rs_send(struct harepl_rs *rs, sector_t sector, u32 sectors,
			  bool csum, bool verify)
{
	struct harepl_peer *peer = rs->peer;
	struct harepl_resource *res = peer->res;
	struct harepl_range r = { .sector = sector, .sectors = sectors };
	u32 bytes = sectors << SECTOR_SHIFT;
	u32 chunk = res->md.chunk_sectors << SECTOR_SHIFT;
	unsigned int nr = 0;
	u64 seq;
	int ret;

	if (sector >= HAREPL_ASYNC_MAX_SECTOR)
		return -EFBIG;	/* beyond what an in-flight entry can hold */
	ret = harepl_rs_range_lock(res, &r);
	if (ret)
		return ret;
	ret = harepl_rs_read(res, sector, bytes, rs->pages, &nr);
	if (ret) {
		pr_err("%s: peer %s: resync cannot read sector %llu: %d\n", res->name,
		       peer->addr_str, (unsigned long long)sector, ret);
		goto unlock;
	}
	if (csum)
		ret = harepl_rs_digests(rs->tfm, rs->pages, bytes, chunk, rs->digests);
	if (ret)
		goto unlock;
	seq = ++peer->rs_seq;
	ret = xa_insert(&peer->rs_reqs, seq, harepl_rs_entry(sector, sectors),
			GFP_NOIO);
	if (ret)
		goto unlock;
	if (csum)
		xa_set_mark(&peer->rs_reqs, seq, HAREPL_RS_CSUM);
	atomic_inc(&peer->rs_inflight);
	if (csum)
		ret = harepl_send_packet(peer, HAREPL_WIRE_CSUM,
					 verify ? HAREPL_WIRE_F_VERIFY : 0, seq,
					 sector, bytes, 0, rs->digests,
					 DIV_ROUND_UP(bytes, chunk) * HAREPL_WIRE_CSUM_LEN);
	else
		ret = harepl_send_pages(peer, HAREPL_WIRE_RS_DATA, seq, sector,
					rs->pages, bytes);
	if (ret) {
		xa_erase(&peer->rs_reqs, seq);
		atomic_dec(&peer->rs_inflight);
	} else if (!csum) {
		atomic64_add(bytes, &peer->rs_bytes);
	}
unlock:
	harepl_range_unlock(res, &r);
	harepl_rs_free_pages(rs->pages, nr);
	return ret;
}

/* At most the configured rate, averaged over about a second */
static void harepl_rs_throttle(struct harepl_rs *rs, u32 bytes)
{
	u64 rate = (u64)rs->peer->conf.resync_rate << 10;
	unsigned long elapsed = jiffies - rs->win_start, need;

	rs->win_bytes += bytes;
	need = div64_u64(rs->win_bytes * HZ, rate);
	if (need > elapsed)
		schedule_timeout_interruptible(need - elapsed);
	if (jiffies - rs->win_start > HZ) {
		rs->win_start = jiffies;
		rs->win_bytes = 0;
	}
}

/**
 * harepl_rs_rate() - update @peer->rs_rate, about once a second
 * @peer: the peer, source or target of a resync
 * @last: jiffies of the last update, the caller's
 * @last_done: @peer->rs_done then, the caller's
 * @force: even if less than a second passed
 *
 * Return: whether it updated (and moved @last and @last_done on).
 */
bool harepl_rs_rate(struct harepl_peer *peer, unsigned long *last,
		    u64 *last_done, bool force)
{
	unsigned long dt = jiffies - *last;
	u64 done = atomic64_read(&peer->rs_done);

	if (!force && dt < HZ)
		return false;
	if (dt)
		WRITE_ONCE(peer->rs_rate, div64_u64((done - *last_done) * HZ, dt));
	*last = jiffies;
	*last_done = done;
	return true;
}

/* Rate and an event, about once a second */
static void harepl_rs_progress(struct harepl_rs *rs, bool force)
{
	if (harepl_rs_rate(rs->peer, &rs->last_report, &rs->last_done, force))
		harepl_resource_event(rs->peer->res, HAREPL_EVENT_RESYNC);
}

static unsigned int harepl_rs_window(struct harepl_resource *res)
{
	/* application writes lately: yield to them */
	return time_before(jiffies, READ_ONCE(res->last_write) + HZ / 10) ?
	       1 : HAREPL_RS_WINDOW;
}

/* Waits until fewer than @max requests are in flight; false when stopped. */
static bool harepl_rs_wait(struct harepl_rs *rs, unsigned int max, bool adaptive)
{
	struct harepl_peer *peer = rs->peer;

	for (;;) {
		if (adaptive)
			max = harepl_rs_window(peer->res);
		if (atomic_read(&peer->rs_inflight) < max)
			return true;
		if (kthread_should_stop())
			return false;
		wait_event_interruptible_timeout(peer->rs_wq,
						 atomic_read(&peer->rs_inflight) < max ||
						 kthread_should_stop(), HZ / 10);
		harepl_rs_progress(rs, false);
	}
}

/* One pass over the bitmap (or, to verify, the whole device). */
static int harepl_rs_pass(struct harepl_rs *rs, bool csum, bool verify)
{
	struct harepl_peer *peer = rs->peer;
	struct harepl_resource *res = peer->res;
	unsigned long nbits = res->bm.nbits, chunk = 0, end, max;
	unsigned int shift = res->bm.chunk_shift;
	sector_t sector;
	u32 sectors;
	int ret;

	/* at most 1 MiB of data per request, and 256 checksums */
	max = max(1UL, (HAREPL_WIRE_MAX_DATA >> SECTOR_SHIFT) >> shift);
	if (csum)
		max = min_t(unsigned long, max, HAREPL_WIRE_CSUM_MAX_CHUNKS);
	for (;;) {
		if (!harepl_rs_wait(rs, 0, true))
			return -EINTR;
		if (verify) {
			if (chunk >= nbits)
				break;
			end = min(chunk + max, nbits);
		} else {
			chunk = harepl_bm_next(res, peer->slot, chunk);
			if (chunk >= nbits)
				break;
			for (end = chunk + 1; end < nbits && end - chunk < max &&
			     harepl_bm_test(res, peer->slot, end); end++)
				;
		}
		sector = (sector_t)chunk << shift;
		sectors = min_t(u64, (u64)(end - chunk) << shift,
				res->md.data_sectors - sector);
		ret = harepl_rs_send(rs, sector, sectors, csum, verify);
		if (ret)
			return ret;
		harepl_rs_throttle(rs, sectors << SECTOR_SHIFT);
		harepl_rs_progress(rs, false);
		chunk = end;
	}
	return harepl_rs_wait(rs, 1, false) ? 0 : -EINTR;
}

static int harepl_rs_run(struct harepl_rs *rs, bool verify, bool csums)
{
	struct harepl_peer *peer = rs->peer;
	struct harepl_resource *res = peer->res;
	u64 left, before;
	int i, ret = 0;

	if (verify || csums)
		ret = harepl_rs_pass(rs, true, verify);
	for (i = 0; !ret && !verify && i < HAREPL_RS_PASSES; i++) {
		before = harepl_bm_count(res, peer->slot);
		if (!before)
			break;
		ret = harepl_rs_pass(rs, false, false);
		left = harepl_bm_count(res, peer->slot);
		if (!ret && left && left >= before)
			ret = -EIO;	/* no progress: the target fails them */
	}
	if (!ret && !verify && harepl_bm_count(res, peer->slot))
		ret = -EIO;
	return ret;
}

static void harepl_rs_finish_verify(struct harepl_peer *peer)
{
	struct harepl_resource *res = peer->res;

	harepl_bm_flush(res);
	if (harepl_send_gens(peer, HAREPL_WIRE_RS_DONE, HAREPL_WIRE_F_VERIFY, 0))
		harepl_peer_drop(peer, "cannot send RS_DONE");
	spin_lock(&peer->lock);
	if (peer->state == HAREPL_CONN_VERIFY_SOURCE)
		peer->state = harepl_peer_idle_state(peer);
	spin_unlock(&peer->lock);
	pr_info("%s: peer %s: verify done: %lld bytes differ%s\n", res->name,
		peer->addr_str, atomic64_read(&peer->verify_diff),
		atomic64_read(&peer->verify_diff) ?
		" (marked out of sync: hareplctl resync copies them)" : "");
	harepl_resource_event(res, HAREPL_EVENT_RESYNC);
}

static int harepl_rs_thread(void *arg)
{
	struct harepl_peer *peer = arg;
	struct harepl_resource *res = peer->res;
	u64 chunk = (u64)res->md.chunk_sectors << SECTOR_SHIFT;
	struct harepl_rs *rs;
	bool verify, csums;
	int ret = -ENOMEM;

	spin_lock(&peer->lock);
	verify = peer->rs_verify;
	csums = peer->rs_csums;
	spin_unlock(&peer->lock);
	atomic64_set(&peer->rs_total, verify ? res->md.data_sectors << SECTOR_SHIFT :
			harepl_bm_count(res, peer->slot) * chunk);
	atomic64_set(&peer->rs_done, 0);
	peer->rs_rate = 0;
	peer->rs_start = jiffies;

	rs = kzalloc(sizeof(*rs), GFP_KERNEL);
	if (rs)
		rs->digests = kmalloc_array(HAREPL_WIRE_CSUM_MAX_CHUNKS,
					    HAREPL_WIRE_CSUM_LEN, GFP_KERNEL);
	if (rs && rs->digests) {
		rs->peer = peer;
		rs->tfm = peer->sha;
		rs->win_start = jiffies;
		rs->last_report = jiffies;
		ret = harepl_rs_run(rs, verify, csums);
		harepl_rs_progress(rs, true);
	}
	if (!ret && verify)
		harepl_rs_finish_verify(peer);
	else if (!ret)
		harepl_sync_done_source(peer);
	else if (ret != -EINTR)
		harepl_peer_drop(peer, ret == -EIO ? "resync made no progress" :
				 "resync failed");
	if (rs)
		kfree(rs->digests);
	kfree(rs);
	spin_lock(&peer->lock);
	peer->rs_running = false;
	spin_unlock(&peer->lock);
	/* stay until harepl_resync_stop() reaps us */
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
	return 0;
}

/* Stops and reaps the resync thread, if any (teardown). */
void harepl_resync_stop(struct harepl_peer *peer)
{
	struct task_struct *t;

	spin_lock(&peer->lock);
	t = peer->rs_thread;
	peer->rs_thread = NULL;
	spin_unlock(&peer->lock);
	if (!t)
		return;
	wake_up(&peer->rs_wq);
	kthread_stop(t);
	put_task_struct(t);
}

/*
 * Starts the source's thread; a finished one of an earlier run is reaped
 * first. Caller set peer->rs_running (under peer->lock) and got @old.
 */
static void harepl_resync_spawn(struct harepl_peer *peer, struct task_struct *old)
{
	struct task_struct *t;
	bool ok;

	if (old) {
		kthread_stop(old);
		put_task_struct(old);
	}
	t = kthread_create(harepl_rs_thread, peer, "harepl-rs/%s:%u",
			   peer->res->name, peer->conf.node_id);
	if (IS_ERR(t)) {
		spin_lock(&peer->lock);
		peer->rs_running = false;
		spin_unlock(&peer->lock);
		harepl_peer_drop(peer, "cannot start the resync thread");
		return;
	}
	get_task_struct(t);
	spin_lock(&peer->lock);
	/* teardown clears @sock before it reaps: publish only before that */
	ok = peer->sock && peer->rs_running;
	if (ok)
		peer->rs_thread = t;
	spin_unlock(&peer->lock);
	if (ok) {
		wake_up_process(t);
		return;
	}
	kthread_stop(t);	/* never ran */
	put_task_struct(t);
}

/* Starts the source's thread once we are SyncSource and the target's bitmap is merged. */
void harepl_resync_maybe_start(struct harepl_peer *peer)
{
	struct task_struct *old = NULL;
	bool go;

	spin_lock(&peer->lock);
	go = peer->state == HAREPL_CONN_SYNC_SOURCE && peer->rs_got_bitmap &&
	     !peer->rs_running;
	if (go) {
		peer->rs_running = true;
		old = peer->rs_thread;
		peer->rs_thread = NULL;
	}
	spin_unlock(&peer->lock);
	if (go)
		harepl_resync_spawn(peer, old);
}

/*
 * From netlink: a verify, or a resync of what is marked, with a connected
 * peer. Returns 0, or a negative errno with *@why set.
 */
static int harepl_resync_start_cmd(struct harepl_peer *peer, bool verify,
				   const char **why)
{
	struct harepl_resource *res = peer->res;
	struct task_struct *old;

	spin_lock(&peer->lock);
	if (peer->state != HAREPL_CONN_CONNECTED || peer->rs_running) {
		*why = peer->sock ? "a resync or verify with the peer is running" :
				    "the peer is not connected";
		spin_unlock(&peer->lock);
		return peer->sock ? -EBUSY : -ENOTCONN;
	}
	if (!verify && (peer->peer_role == HAREPL_ROLE_PRIMARY ||
			READ_ONCE(res->disk) != HAREPL_DISK_UPTODATE)) {
		*why = peer->peer_role == HAREPL_ROLE_PRIMARY ?
		       "the peer is primary: resync from there" :
		       "local data is not UpToDate: resync from the peer";
		spin_unlock(&peer->lock);
		return -EBUSY;
	}
	peer->state = verify ? HAREPL_CONN_VERIFY_SOURCE : HAREPL_CONN_SYNC_SOURCE;
	peer->rs_verify = verify;
	peer->rs_csums = false;
	peer->rs_full = false;
	peer->rs_running = true;
	old = peer->rs_thread;
	peer->rs_thread = NULL;
	spin_unlock(&peer->lock);
	if (verify)
		atomic64_set(&peer->verify_diff, 0);
	pr_info("%s: peer %s: %s starts\n", res->name, peer->addr_str,
		verify ? "online verify" : "resync of the marked chunks");
	if (!verify && harepl_send_gens(peer, HAREPL_WIRE_GENS, HAREPL_WIRE_F_START, 0))
		harepl_peer_drop(peer, "cannot send GENS");
	harepl_resource_event(res, HAREPL_EVENT_RESYNC);
	harepl_resync_spawn(peer, old);
	return 0;
}

int harepl_resync_start_verify(struct harepl_peer *peer, const char **why)
{
	return harepl_resync_start_cmd(peer, true, why);
}

int harepl_resync_start_bitmap(struct harepl_peer *peer, const char **why)
{
	if (!harepl_bm_count(peer->res, peer->slot)) {
		*why = "nothing is out of sync with the peer";
		return -ENODATA;
	}
	return harepl_resync_start_cmd(peer, false, why);
}

/* RS_ACK: the target wrote a resync request; its chunks are in sync. */
int harepl_recv_rs_ack(struct harepl_peer *peer,
		       const struct harepl_wire_hdr *hdr, const char **why)
{
	struct harepl_resource *res = peer->res;
	s32 status = be32_to_cpu(hdr->status);
	u64 seq = be64_to_cpu(hdr->seq);
	sector_t sector;
	bool stale;
	u32 sectors;
	void *entry;

	spin_lock(&peer->rs_lock);
	entry = xa_load(&peer->rs_reqs, seq);
	if (!entry || xa_get_mark(&peer->rs_reqs, seq, HAREPL_RS_CSUM)) {
		spin_unlock(&peer->rs_lock);
		*why = "RS_ACK for an unknown request";
		return -EPROTO;
	}
	stale = xa_get_mark(&peer->rs_reqs, seq, HAREPL_RS_STALE);
	xa_erase(&peer->rs_reqs, seq);
	harepl_rs_decode(entry, &sector, &sectors);
	/* a write marked since keeps its bits: the data sent was older */
	if (!status && !stale)
		harepl_bm_clear(res, peer->slot, sector, sectors);
	spin_unlock(&peer->rs_lock);
	if (status)
		pr_warn_ratelimited("%s: peer %s: resync write at sector %llu failed there: %d\n",
				    res->name, peer->addr_str,
				    (unsigned long long)sector, status);
	else
		atomic64_add((u64)sectors << SECTOR_SHIFT, &peer->rs_done);
	atomic_dec(&peer->rs_inflight);
	wake_up(&peer->rs_wq);
	return 0;
}

/* CSUM_REPLY: which chunks of a CSUM request differ on the target */
int harepl_recv_csum_reply(struct harepl_peer *peer,
			   const struct harepl_wire_hdr *hdr, const char **why)
{
	struct harepl_resource *res = peer->res;
	u32 len = be32_to_cpu(hdr->length), sectors, n, i;
	u64 chunk = res->md.chunk_sectors;
	u8 diff[HAREPL_WIRE_CSUM_MAX_CHUNKS / 8];
	u64 seq = be64_to_cpu(hdr->seq);
	sector_t sector, s;
	void *entry;
	bool stale;
	int ret;

	entry = xa_load(&peer->rs_reqs, seq);
	if (!entry || !xa_get_mark(&peer->rs_reqs, seq, HAREPL_RS_CSUM)) {
		*why = "CSUM_REPLY for an unknown request";
		return -EPROTO;
	}
	harepl_rs_decode(entry, &sector, &sectors);
	n = DIV_ROUND_UP(sectors, chunk);
	if (be64_to_cpu(hdr->sector) != sector ||
	    be32_to_cpu(hdr->size) != sectors << SECTOR_SHIFT ||
	    len != DIV_ROUND_UP(n, 8)) {
		*why = "CSUM_REPLY does not match its request";
		return -EPROTO;
	}
	ret = harepl_recv_payload(peer, diff, len);
	if (ret) {
		*why = "truncated CSUM_REPLY";
		return ret;
	}
	spin_lock(&peer->rs_lock);
	stale = xa_get_mark(&peer->rs_reqs, seq, HAREPL_RS_STALE);
	xa_erase(&peer->rs_reqs, seq);
	for (i = 0; !peer->rs_verify && !stale && i < n; i++)
		if (!(diff[i / 8] & (1U << (i % 8))))
			harepl_bm_clear(res, peer->slot, sector + i * chunk, chunk);
	spin_unlock(&peer->rs_lock);
	for (i = 0; i < n; i++) {
		s = sector + i * chunk;
		if (!(diff[i / 8] & (1U << (i % 8))))
			continue;
		if (peer->rs_verify) {
			harepl_bm_set(res, peer->slot, s, chunk);
			atomic64_add(min_t(u64, chunk, sector + sectors - s) << SECTOR_SHIFT,
				     &peer->verify_diff);
			pr_info_ratelimited("%s: peer %s: verify: sector %llu differs\n",
					    res->name, peer->addr_str,
					    (unsigned long long)s);
		}
	}
	if (peer->rs_verify) {
		atomic64_add((u64)sectors << SECTOR_SHIFT, &peer->rs_done);
	} else {
		/* equal chunks are done; differing ones count when sent */
		for (i = 0; i < n; i++)
			if (!(diff[i / 8] & (1U << (i % 8))))
				atomic64_add(min_t(u64, chunk, sector + sectors -
						   (sector + i * chunk)) << SECTOR_SHIFT,
					     &peer->rs_done);
	}
	atomic_dec(&peer->rs_inflight);
	wake_up(&peer->rs_wq);
	return 0;
}

/* CSUM on the target: compare with our data, answer which chunks differ. */
int harepl_recv_csum(struct harepl_peer *peer,
		     const struct harepl_wire_hdr *hdr, const char **why)
{
	struct harepl_resource *res = peer->res;
	u16 flags = be16_to_cpu(hdr->flags);
	bool verify = flags & HAREPL_WIRE_F_VERIFY;
	u64 sector = be64_to_cpu(hdr->sector), end;
	u32 size = be32_to_cpu(hdr->size), len = be32_to_cpu(hdr->length);
	u32 chunk = res->md.chunk_sectors << SECTOR_SHIFT, n, i;
	struct page **pages = NULL;
	enum harepl_conn_state st;
	struct harepl_rreq *rr;
	struct blk_plug *plug;
	unsigned int nr = 0;
	u8 *theirs, *ours;
	int ret;

	st = harepl_peer_state(peer);
	if (!(verify && st == HAREPL_CONN_CONNECTED) &&
	    st != (verify ? HAREPL_CONN_VERIFY_TARGET : HAREPL_CONN_SYNC_TARGET)) {
		*why = "CSUM in the wrong state";
		return -EPROTO;
	}
	n = DIV_ROUND_UP(size, chunk);
	if (!size || size > HAREPL_WIRE_MAX_DATA ||
	    size > HAREPL_WIRE_CSUM_MAX_CHUNKS * chunk ||
	    size % SECTOR_SIZE || sector % res->md.chunk_sectors ||
	    len != n * HAREPL_WIRE_CSUM_LEN ||
	    check_add_overflow(sector, (u64)(size >> SECTOR_SHIFT), &end) ||
	    end > res->md.data_sectors) {
		*why = "bad CSUM range or length";
		return -EPROTO;
	}
	if (verify && st == HAREPL_CONN_CONNECTED) {
		spin_lock(&peer->lock);
		peer->state = HAREPL_CONN_VERIFY_TARGET;
		spin_unlock(&peer->lock);
		atomic64_set(&peer->rs_total, res->md.data_sectors << SECTOR_SHIFT);
		atomic64_set(&peer->rs_done, 0);
		peer->rs_start = jiffies;
		harepl_queue_ctl(peer, HAREPL_CTL_EVENT);
	}
	theirs = kmalloc(2 * len, GFP_NOIO);
	pages = kmalloc_array(HAREPL_RS_MAX_PAGES, sizeof(*pages), GFP_NOIO);
	rr = kzalloc(sizeof(*rr), GFP_NOIO);
	if (!theirs || !pages || !rr) {
		ret = -ENOMEM;
		*why = "out of memory";
		goto out;
	}
	ours = theirs + len;
	ret = harepl_recv_payload(peer, theirs, len);
	if (ret) {
		*why = "truncated CSUM";
		goto out;
	}
	/* compare with everything received before it */
	harepl_wait_applied(peer, 1);
	/* past the receive thread's plug, which would leave the read to kblockd */
	plug = current->plug;
	if (plug)
		blk_finish_plug(plug);
	ret = harepl_rs_read(res, sector, size, pages, &nr);
	if (plug)
		blk_start_plug(plug);
	if (!ret) {
		ret = harepl_rs_digests(peer->sha, pages, size, chunk, ours);
		harepl_rs_free_pages(pages, nr);
	}
	if (ret) {
		*why = "cannot read or checksum our data for CSUM";
		goto out;
	}
	rr->peer = peer;
	rr->type = HAREPL_WIRE_CSUM_REPLY;
	rr->seq = be64_to_cpu(hdr->seq);
	rr->sector = sector;
	rr->size = size;
	rr->plen = DIV_ROUND_UP(n, 8);
	for (i = 0; i < n; i++)
		if (memcmp(theirs + i * HAREPL_WIRE_CSUM_LEN,
			   ours + i * HAREPL_WIRE_CSUM_LEN, HAREPL_WIRE_CSUM_LEN))
			rr->payload[i / 8] |= 1U << (i % 8);
	atomic64_add(size, &peer->rs_done);
	harepl_queue_ack(peer, rr);
	rr = NULL;
out:
	kfree(rr);
	kfree(pages);
	kfree(theirs);
	return ret;
}
