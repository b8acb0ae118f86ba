// SPDX-License-Identifier: GPL-2.0
/*
 * Sending: packets, replicated writes (zero-copy for sync peers, copied into
 * the socket's bounded buffer for async ones) and batched ACKs.
 */

#include <linux/blkdev.h>
#include <linux/crc32c.h>
#include <linux/highmem.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <net/sock.h>
#include <net/tcp.h>
#include "al.h"
#include "fence.h"
#include "peer.h"
#include "receive.h"
#include "req.h"
#include "resource.h"
#include "sync.h"

static void harepl_hdr_fill(struct harepl_wire_hdr *hdr, u16 type, u16 flags,
			    u32 epoch, u64 seq, u64 sector, u32 size,
			    s32 status, u32 len)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->magic = cpu_to_be32(HAREPL_WIRE_MAGIC);
	hdr->type = cpu_to_be16(type);
	hdr->flags = cpu_to_be16(flags);
	hdr->length = cpu_to_be32(len);
	hdr->epoch = cpu_to_be32(epoch);
	hdr->seq = cpu_to_be64(seq);
	hdr->sector = cpu_to_be64(sector);
	hdr->size = cpu_to_be32(size);
	hdr->status = cpu_to_be32(status);
	hdr->hdr_csum = cpu_to_be32(crc32c(~0U, hdr, sizeof(*hdr)));
}

/* Writes all of @buf, or fails; @more: more follows at once. */
static int harepl_send_buf(struct harepl_peer *peer, struct socket *sock,
			   const void *buf, size_t len, bool more)
{
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL | (more ? MSG_MORE : 0) };
	struct kvec iov;
	int ret;

	while (len) {
		iov.iov_base = (void *)buf;
		iov.iov_len = len;
		ret = kernel_sendmsg(sock, &msg, &iov, 1, len);
		if (ret <= 0)
			return ret ? ret : -EPIPE;
		atomic64_add(ret, &peer->bytes_sent);
		buf += ret;
		len -= ret;
	}
	return 0;
}

static int harepl_send_page(struct harepl_peer *peer, struct socket *sock,
			    struct page *page, unsigned int off,
			    unsigned int len, bool more, bool copy)
{
	int flags = MSG_NOSIGNAL | (more ? MSG_MORE : 0);
	void *addr;
	int ret;

	if (copy || !sendpage_ok(page)) {
		addr = kmap_local_page(page);
		ret = harepl_send_buf(peer, sock, addr + off, len, more);
		kunmap_local(addr);
		return ret;
	}
	while (len) {
		ret = kernel_sendpage(sock, page, off, len, flags);
		if (ret <= 0)
			return ret ? ret : -EPIPE;
		atomic64_add(ret, &peer->bytes_sent);
		off += ret;
		len -= ret;
	}
	return 0;
}

static u16 harepl_bio_wire_type(struct bio *bio)
{
	switch (bio_op(bio)) {
	case REQ_OP_DISCARD:
		return HAREPL_WIRE_DISCARD;
	case REQ_OP_WRITE_ZEROES:
		return HAREPL_WIRE_WRITE_ZEROES;
	default:
		return bio_sectors(bio) ? HAREPL_WIRE_DATA : HAREPL_WIRE_FLUSH;
	}
}

struct workqueue_struct *harepl_send_wq;

static void harepl_sq_free_pages(struct page **pages, u32 len)
{
	unsigned int i;

	if (!pages)
		return;
	for (i = 0; i < DIV_ROUND_UP(len, PAGE_SIZE); i++)
		__free_page(pages[i]);
	kfree(pages);
}

/* A copy of the bio's @len bytes of data, or NULL */
static struct page **harepl_sq_copy(struct bio *bio, u32 len)
{
	unsigned int nr = DIV_ROUND_UP(len, PAGE_SIZE), i;
	struct bvec_iter iter;
	struct page **pages;
	struct bio_vec bv;
	u32 off = 0, done, n;
	void *src;

	pages = kmalloc_array(nr, sizeof(*pages), GFP_NOIO | __GFP_NOWARN);
	if (!pages)
		return NULL;
	for (i = 0; i < nr; i++) {
		pages[i] = alloc_page(GFP_NOIO | __GFP_NOWARN);
		if (!pages[i]) {
			harepl_sq_free_pages(pages, i * PAGE_SIZE);
			return NULL;
		}
	}
	bio_for_each_segment(bv, bio, iter) {
		src = bvec_kmap_local(&bv);
		for (done = 0; done < bv.bv_len; done += n, off += n) {
			n = min_t(u32, bv.bv_len - done, PAGE_SIZE - off % PAGE_SIZE);
			memcpy(page_address(pages[off / PAGE_SIZE]) + off % PAGE_SIZE,
			       src + done, n);
		}
		kunmap_local(src);
	}
	return pages;
}

/* The entry's header and data; called with the send mutex held. */
static int harepl_sq_send(struct harepl_peer *peer, struct harepl_sq_ent *e,
			  bool more)
{
	bool copy = peer->conf.mode != HAREPL_MODE_SYNC;
	struct harepl_wire_hdr hdr;
	struct bvec_iter iter;
	struct bio_vec bv;
	u32 left = e->len, off, n;
	int ret;

	harepl_hdr_fill(&hdr, e->type, e->flags, e->epoch, e->seq, e->sector,
			e->sectors << SECTOR_SHIFT, 0, e->len);
	ret = harepl_send_buf(peer, peer->sock, &hdr, sizeof(hdr), e->len || more);
	if (ret || !e->len)
		return ret;
	if (e->pages) {
		for (off = 0; !ret && off < e->len; off += n) {
			n = min_t(u32, PAGE_SIZE, e->len - off);
			ret = harepl_send_page(peer, peer->sock, e->pages[off / PAGE_SIZE],
					       0, n, off + n < e->len || more, false);
		}
		return ret;
	}
	bio_for_each_segment(bv, e->req->bio, iter) {
		left -= bv.bv_len;
		ret = harepl_send_page(peer, peer->sock, bv.bv_page, bv.bv_offset,
				       bv.bv_len, left || more, copy);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * A new epoch whenever @req started in another write epoch of the
 * resource than the request queued before it (harepl_req_complete()): the
 * secondary then applies nothing of it before all of the last one. A write
 * started after another completed has a later write epoch than the one
 * that completed had, and the values differ somewhere between the two in
 * the queue, so it lands in a later epoch here. (Not "only when larger":
 * a write of an older write epoch queued after a newer one must not share
 * its epoch.) Only async peers need this: a write to a sync peer completes
 * only once that peer has it on disk, so whatever depends on it, issued
 * later, can never overtake it there; and the secondary's draining between
 * epochs would serialise a sync peer's writes for nothing. Under @sq_lock.
 */
static void harepl_peer_epoch(struct harepl_peer *peer, struct harepl_req *req)
{
	if (peer->conf.mode == HAREPL_MODE_SYNC)
		return;

	if (req->epoch != peer->epoch_seen) {
		peer->epoch++;
		peer->epoch_seen = req->epoch;
	}
}

/*
 * What the peer's ACK will find in @inflight: the request itself for a sync
 * peer (it waits), its range for an async one (recorded out of sync if the
 * connection ends before the ACK).
 */
static void *harepl_inflight_entry(struct harepl_peer *peer,
				   struct harepl_sq_ent *e)
{
	if (peer->conf.mode == HAREPL_MODE_SYNC)
		return e->req;
	if (e->sector >= HAREPL_ASYNC_MAX_SECTOR ||
	    e->sectors >= 1U << HAREPL_ASYNC_LEN_BITS)
		return NULL;
	return xa_mk_value((unsigned long)e->sector << HAREPL_ASYNC_LEN_BITS |
			   e->sectors);
}

/* What an entry holds besides its place in @inflight: the copy, a hold */
static void harepl_sq_release(struct harepl_peer *peer, struct harepl_sq_ent *e)
{
	harepl_sq_free_pages(e->pages, e->len);
	e->pages = NULL;
	if (e->req)
		harepl_req_put(e->req);
}

/* An entry that will not be sent: out of sync, and let everything go. */
static void harepl_sq_drop(struct harepl_peer *peer, struct harepl_sq_ent *e)
{
	harepl_peer_mark_oos(peer, e->sector, e->sectors);
	if (peer->conf.mode == HAREPL_MODE_SYNC)
		harepl_req_put(e->req);		/* the ACK's count */
	else if (e->sectors)
		harepl_al_put(peer->res, e->sector, e->sectors);
	harepl_sq_release(peer, e);
}

/* Takes the oldest entry off the queue; false if there is none. */
static bool harepl_sq_pop(struct harepl_peer *peer, struct harepl_sq_ent *e,
			  bool *more)
{
	spin_lock(&peer->sq_lock);
	if (peer->sq_head == peer->sq_tail) {
		spin_unlock(&peer->sq_lock);
		return false;
	}
	*e = peer->sq[peer->sq_head % HAREPL_SQ_SIZE];
	peer->sq_head++;
	if (e->pages)
		peer->sq_bytes -= e->len;
	*more = peer->sq_head != peer->sq_tail;
	spin_unlock(&peer->sq_lock);
	if (wq_has_sleeper(&peer->sq_wq))
		wake_up(&peer->sq_wq);
	return true;
}

/* Fails every queued entry: the connection is gone (teardown). */
void harepl_sq_fail(struct harepl_peer *peer)
{
	struct harepl_sq_ent e;
	bool more;

	while (harepl_sq_pop(peer, &e, &more))
		harepl_sq_drop(peer, &e);
}

/* Writes queued and not yet sent */
u32 harepl_sq_count(struct harepl_peer *peer)
{
	u32 n;

	spin_lock(&peer->sq_lock);
	n = peer->sq_tail - peer->sq_head;
	spin_unlock(&peer->sq_lock);
	return n;
}

#define HAREPL_SQ_BATCH	64	/* entries per turn of send_work */

/* A queued write whose send failed, as harepl_sq_run() leaves it */
struct harepl_sq_failed {
	struct harepl_sq_ent e;
	void *entry;			/* its place in @inflight */
	struct socket *sock;		/* the connection it failed on */
};

/*
 * Sends up to @max queued writes back to back, each packet but the last
 * with MSG_MORE, so that a burst of small writes leaves in few segments;
 * the last too if @then (the caller's packet follows at once). Called with
 * the send mutex held. Returns how many were taken off the queue, or the
 * error of a failed send, with the write in *@f for harepl_sq_fail_one()
 * once the mutex is released.
 */
static int harepl_sq_run(struct harepl_peer *peer, unsigned int max, bool then,
			 struct harepl_sq_failed *f)
{
	bool more = false, corked = false;
	unsigned int n;
	int ret;

	for (n = 0; n < max && harepl_sq_pop(peer, &f->e, &more); n++) {
		more = then || (more && n + 1 < max);
		f->entry = peer->sock ? harepl_inflight_entry(peer, &f->e) : NULL;
		if (!f->entry ||
		    xa_insert_bh(&peer->inflight, f->e.seq, f->entry, GFP_NOIO)) {
			harepl_sq_drop(peer, &f->e);
			continue;
		}
		ret = harepl_sq_send(peer, &f->e, more);
		if (ret) {
			f->sock = peer->sock;
			return ret;
		}
		corked = more;
		harepl_sq_release(peer, &f->e);
	}
	/* what went with MSG_MORE must not wait for a write that was dropped */
	if (corked && !then && peer->sock)
		tcp_sock_set_cork(peer->sock->sk, false);
	return n;
}

/* After a failed send: no ACK will come; the connection goes. */
static void harepl_sq_fail_one(struct harepl_peer *peer,
			       struct harepl_sq_failed *f)
{
	bool same;

	/* not a connection installed since: its teardown fenced already */
	spin_lock(&peer->lock);
	same = peer->sock == f->sock;
	spin_unlock(&peer->lock);
	/* before anything waiting for the peer completes without it */
	if (same)
		harepl_fence_peer_lost(peer);
	harepl_sq_release(peer, &f->e);
	/* the write is ours to release, if still listed */
	if (xa_erase_bh(&peer->inflight, f->e.seq) == f->entry)
		harepl_inflight_lost(peer, f->entry);
	harepl_peer_drop_sock(peer, f->sock, "send failed");
}

/*
 * Sends what is queued. Runs on harepl_send_wq (unbound): the writer goes
 * on meanwhile, and an async write completes without waiting for the
 * network.
 */
void harepl_send_work(struct work_struct *work)
{
	struct harepl_peer *peer = container_of(work, struct harepl_peer, send_work);
	struct harepl_sq_failed f;
	int ret;

	mutex_lock(&peer->send_mutex);
	ret = harepl_sq_run(peer, HAREPL_SQ_BATCH, false, &f);
	mutex_unlock(&peer->send_mutex);
	if (ret < 0)
		harepl_sq_fail_one(peer, &f);
	else if (ret == HAREPL_SQ_BATCH)
		queue_work(harepl_send_wq, &peer->send_work);
}

/*
 * Takes the send mutex for a packet other than an ACK and first sends the
 * writes queued before it: a STATE announcing a demotion must not
 * overtake them. Returns 0 with the mutex held, or an error without it
 * (not connected; a failed send, the write failed and the connection
 * dropped).
 */
static int harepl_send_begin(struct harepl_peer *peer)
{
	struct harepl_sq_failed f;
	int ret;

	mutex_lock(&peer->send_mutex);
	if (!peer->sock) {
		mutex_unlock(&peer->send_mutex);
		return -ENOTCONN;
	}
	ret = harepl_sq_run(peer, HAREPL_SQ_SIZE, true, &f);
	if (ret >= 0)
		return 0;
	mutex_unlock(&peer->send_mutex);
	harepl_sq_fail_one(peer, &f);
	return ret;
}

/* One packet with an optional flat payload, after the queued writes */
int harepl_send_packet(struct harepl_peer *peer, u16 type, u16 flags,
		       u64 seq, u64 sector, u32 size, s32 status,
		       const void *payload, u32 len)
{
	struct harepl_wire_hdr hdr;
	int ret = harepl_send_begin(peer);

	if (ret)
		return ret;
	harepl_hdr_fill(&hdr, type, flags, READ_ONCE(peer->epoch), seq, sector,
			size, status, len);
	ret = harepl_send_buf(peer, peer->sock, &hdr, sizeof(hdr), len);
	if (!ret && len)
		ret = harepl_send_buf(peer, peer->sock, payload, len, false);
	mutex_unlock(&peer->send_mutex);
	return ret;
}

/* A packet whose payload is @len bytes in @pages (resync data). */
int harepl_send_pages(struct harepl_peer *peer, u16 type, u64 seq, u64 sector,
		      struct page **pages, u32 len)
{
	struct harepl_wire_hdr hdr;
	int ret = harepl_send_begin(peer);
	u32 off, n;

	if (ret)
		return ret;
	harepl_hdr_fill(&hdr, type, 0, READ_ONCE(peer->epoch), seq, sector, len, 0, len);
	ret = harepl_send_buf(peer, peer->sock, &hdr, sizeof(hdr), len);
	for (off = 0; !ret && off < len; off += n) {
		n = min_t(u32, PAGE_SIZE, len - off);
		ret = harepl_send_page(peer, peer->sock, pages[off / PAGE_SIZE],
				       0, n, off + n < len, false);
	}
	mutex_unlock(&peer->send_mutex);
	return ret;
}

/* Room in the queue for an entry with @bytes of copied data? */
static bool harepl_sq_room(struct harepl_peer *peer, u32 bytes)
{
	u32 limit = peer->conf.sndbuf / 2;

	return peer->sq_tail - peer->sq_head < HAREPL_SQ_SIZE &&
	       (!bytes || !peer->sq_bytes || peer->sq_bytes + bytes <= limit);
}

static bool harepl_sq_has_room(struct harepl_peer *peer, u32 bytes)
{
	bool room;

	spin_lock(&peer->sq_lock);
	room = !peer->sock || harepl_sq_room(peer, bytes);
	spin_unlock(&peer->sq_lock);
	return room;
}

/*
 * An async peer with OnCongestion = ahead and a full queue: no more writes
 * are sent to it on this connection. The state shows Ahead, or once a
 * resync or verify it is the source of has ended.
 */
static void harepl_peer_go_ahead(struct harepl_peer *peer)
{
	bool first;

	spin_lock(&peer->lock);
	first = peer->sock && !peer->ahead;
	peer->ahead = true;
	if (peer->state == HAREPL_CONN_CONNECTED)
		peer->state = HAREPL_CONN_AHEAD;
	spin_unlock(&peer->lock);
	if (!first)
		return;
	pr_warn("%s: peer %s: send buffer full, going Ahead\n",
		peer->res->name, peer->addr_str);
	harepl_queue_ctl(peer, HAREPL_CTL_EVENT);
}

/* Appends @e, for @req, to the queue; under @sq_lock, with room for it */
static void harepl_sq_add(struct harepl_peer *peer, struct harepl_req *req,
			  struct harepl_sq_ent *e)
{
	bool sync = peer->conf.mode == HAREPL_MODE_SYNC;

	harepl_peer_epoch(peer, req);
	e->epoch = peer->epoch;
	/* one count until sent (the bio's pages); a sync peer's ACK has its own */
	if (sync || (e->len && !e->pages)) {
		e->req = req;
		atomic_add(sync ? 2 : 1, &req->pending);
	}
	peer->sq[peer->sq_tail % HAREPL_SQ_SIZE] = *e;
	peer->sq_tail++;
}

/*
 * Sends a write from the writer's context, when nothing is queued before
 * it, nobody else is sending, and (async) the socket has room for it: no
 * hop to the sender. Under TCG that hop cost a sync 4K qd1 write a third
 * of its IOPS (performance.md). Returns false when the write is to be
 * queued instead.
 */
static bool harepl_send_now(struct harepl_peer *peer, struct harepl_req *req,
			    struct harepl_sq_ent *e)
{
	int need = sizeof(struct harepl_wire_hdr) + e->len;
	struct harepl_sq_failed f;
	bool now;
	int ret;

	if (!mutex_trylock(&peer->send_mutex))
		return false;
	spin_lock(&peer->sq_lock);
	now = peer->sock && peer->sq_head == peer->sq_tail &&
	      (peer->conf.mode == HAREPL_MODE_SYNC ||
	       sk_stream_wspace(peer->sock->sk) >= need);
	if (now)
		harepl_sq_add(peer, req, e);
	spin_unlock(&peer->sq_lock);
	/* with the mutex held and nothing before it, it is the next one out */
	ret = now ? harepl_sq_run(peer, 1, false, &f) : 0;
	mutex_unlock(&peer->send_mutex);
	if (ret < 0)
		harepl_sq_fail_one(peer, &f);
	return now;
}

/*
 * Queues a write for one peer, or records it out of sync for it (not
 * connected, Ahead). Waits for room in the queue, except for an async peer
 * with OnCongestion = ahead, which goes Ahead instead.
 */
static void harepl_replicate_one(struct harepl_peer *peer,
				 struct harepl_req *req)
{
	bool sync = peer->conf.mode == HAREPL_MODE_SYNC;
	struct harepl_sq_ent e = {
		.seq = req->seq,
		.sector = req->sector,
		.sectors = req->sectors,
		.type = harepl_bio_wire_type(req->bio),
		.flags = HAREPL_WIRE_F_ACK,
	};
	u32 need;

	if (req->bio->bi_opf & REQ_FUA)
		e.flags |= HAREPL_WIRE_F_FUA;
	if (req->bio->bi_opf & REQ_PREFLUSH)
		e.flags |= HAREPL_WIRE_F_PREFLUSH;
	if (e.type == HAREPL_WIRE_DATA)
		e.len = req->bio->bi_iter.bi_size;
	if (!READ_ONCE(peer->sock) || READ_ONCE(peer->ahead))
		goto oos;
	/* the extent stays in the log until the peer has the write */
	if (!sync && e.sectors)
		harepl_al_get(peer->res, e.sector, e.sectors);
	if (harepl_send_now(peer, req, &e))
		return;

	/*
	 * Room first, then the copy: what waits holds no memory. The wait
	 * is bounded by Timeout: a send that makes no progress for that
	 * long drops the connection, and teardown empties the queue.
	 */
	need = sync ? 0 : e.len;
	spin_lock(&peer->sq_lock);
	while (peer->sock && !harepl_sq_room(peer, need)) {
		spin_unlock(&peer->sq_lock);
		if (!sync && peer->conf.on_congestion == HAREPL_CONGESTION_AHEAD) {
			harepl_peer_go_ahead(peer);
			goto undo;
		}
		wait_event(peer->sq_wq, harepl_sq_has_room(peer, need));
		spin_lock(&peer->sq_lock);
	}
	if (!peer->sock) {
		spin_unlock(&peer->sq_lock);
		goto undo;
	}
	peer->sq_bytes += need;
	spin_unlock(&peer->sq_lock);
	if (need)
		e.pages = harepl_sq_copy(req->bio, e.len);

	spin_lock(&peer->sq_lock);
	if (!e.pages)
		peer->sq_bytes -= need;	/* without a copy, the entry holds @req */
	/* short of slots only if a thousand writers raced in between */
	while (peer->sock && peer->sq_tail - peer->sq_head >= HAREPL_SQ_SIZE) {
		spin_unlock(&peer->sq_lock);
		wait_event(peer->sq_wq, harepl_sq_has_room(peer, 0));
		spin_lock(&peer->sq_lock);
	}
	if (!peer->sock) {
		if (e.pages)
			peer->sq_bytes -= need;
		spin_unlock(&peer->sq_lock);
		goto undo;
	}
	harepl_sq_add(peer, req, &e);
	spin_unlock(&peer->sq_lock);
	queue_work(harepl_send_wq, &peer->send_work);
	return;

undo:
	if (!sync && e.sectors)
		harepl_al_put(peer->res, e.sector, e.sectors);
	harepl_sq_free_pages(e.pages, e.len);
oos:
	harepl_peer_mark_oos(peer, req->sector, req->sectors);
}

/*
 * Queues a write for every peer, or records it out of sync for it; and for
 * every bitmap slot whose peer is not configured now (before CONNECT,
 * after DISCONNECT), records it in that slot.
 */
void harepl_replicate(struct harepl_resource *res, struct harepl_req *req)
{
	unsigned long covered = 0;
	unsigned int i;

	down_read(&res->peers_rwsem);
	for (i = 0; i < res->npeers; i++) {
		harepl_replicate_one(res->peers[i], req);
		covered |= BIT(res->peers[i]->slot);
	}
	up_read(&res->peers_rwsem);
	if (!req->sectors)
		return;
	for (i = 0; i < res->md.max_peers; i++)
		if (!(covered & BIT(i)) &&
		    READ_ONCE(res->md.slots[i].node_id) != HAREPL_MD_SLOT_FREE)
			harepl_bm_set(res, i, req->sector, req->sectors);
}

/*
 * Off the receive thread, which must never wait behind a writer holding
 * the send mutex: pings, answers to pings, state reports, and the
 * secondary's ACKs for completed writes, batched while more are queued.
 */
void harepl_ack_work(struct work_struct *work)
{
	struct harepl_peer *peer = container_of(to_delayed_work(work),
						struct harepl_peer, ack_work);
	struct harepl_rreq *rr, *tmp;
	struct harepl_wire_hdr hdr;
	bool flushed = false;
	int ret = 0, flush_err = 0;
	LIST_HEAD(acks);

	if (test_and_clear_bit(HAREPL_CTL_EVENT, &peer->ctl))
		harepl_resource_event(peer->res, HAREPL_EVENT_CONN);
	if (test_and_clear_bit(HAREPL_CTL_PONG, &peer->ctl))
		ret = harepl_send_packet(peer, HAREPL_WIRE_PING_ACK, 0, 0, 0, 0, 0,
					 NULL, 0);
	if (test_and_clear_bit(HAREPL_CTL_PING, &peer->ctl))
		ret = harepl_send_packet(peer, HAREPL_WIRE_PING, 0, 0, 0, 0, 0,
					 NULL, 0);
	if (test_and_clear_bit(HAREPL_CTL_STATE, &peer->ctl) && !ret)
		ret = harepl_send_state(peer);
	if (test_and_clear_bit(HAREPL_CTL_GENS, &peer->ctl) && !ret)
		ret = harepl_send_gens(peer, HAREPL_WIRE_GENS, 0, 0);
	if (ret == -ENOTCONN)
		ret = 0;
	if (test_and_clear_bit(HAREPL_CTL_DECIDE, &peer->ctl) && !ret)
		harepl_sync_decide(peer);

	spin_lock_irq(&peer->ack_lock);
	list_splice_init(&peer->acks, &acks);
	peer->acks_queued = 0;
	spin_unlock_irq(&peer->ack_lock);

	/*
	 * Resync writes are acknowledged only once on stable storage (the
	 * source then clears their bits): one cache flush for the batch.
	 */
	list_for_each_entry(rr, &acks, node) {
		if (rr->type != HAREPL_WIRE_RS_ACK || rr->status)
			continue;
		if (!flushed)
			flush_err = blkdev_issue_flush(peer->res->data_bdev);
		flushed = true;
		rr->status = flush_err;
	}

	mutex_lock(&peer->send_mutex);
	list_for_each_entry_safe(rr, tmp, &acks, node) {
		if (peer->sock && !ret) {
			harepl_hdr_fill(&hdr, rr->type, 0, 0, rr->seq, rr->sector,
					rr->size, rr->status, rr->plen);
			ret = harepl_send_buf(peer, peer->sock, &hdr, sizeof(hdr),
					      rr->plen || !list_is_last(&rr->node, &acks));
			if (!ret && rr->plen)
				ret = harepl_send_buf(peer, peer->sock, rr->payload,
						      rr->plen,
						      !list_is_last(&rr->node, &acks));
		}
		list_del(&rr->node);
		kfree(rr);
	}
	mutex_unlock(&peer->send_mutex);
	if (ret)
		harepl_peer_drop(peer, "sending an ACK failed");
}
