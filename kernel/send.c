// SPDX-License-Identifier: GPL-2.0
/*
 * Sending: packets, replicated writes (zero-copy for sync peers, copied into
 * the socket's bounded buffer for async ones) and batched ACKs.
 */

#include <linux/blkdev.h>
#include <linux/crc32c.h>
#include <linux/highmem.h>
#include <linux/net.h>
#include <net/sock.h>
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

/* One packet with an optional flat payload; takes the send mutex. */
int harepl_send_packet(struct harepl_peer *peer, u16 type, u16 flags,
		       u64 seq, u64 sector, u32 size, s32 status,
		       const void *payload, u32 len)
{
	struct harepl_wire_hdr hdr;
	int ret = -ENOTCONN;

	mutex_lock(&peer->send_mutex);
	if (peer->sock) {
		harepl_hdr_fill(&hdr, type, flags, peer->epoch, seq, sector,
				size, status, len);
		ret = harepl_send_buf(peer, peer->sock, &hdr, sizeof(hdr), len);
		if (!ret && len)
			ret = harepl_send_buf(peer, peer->sock, payload, len, false);
	}
	mutex_unlock(&peer->send_mutex);
	return ret;
}

/* A packet whose payload is @len bytes in @pages (resync data). */
int harepl_send_pages(struct harepl_peer *peer, u16 type, u64 seq, u64 sector,
		      struct page **pages, u32 len)
{
	struct harepl_wire_hdr hdr;
	u32 off, n;
	int ret = -ENOTCONN;

	mutex_lock(&peer->send_mutex);
	if (peer->sock) {
		harepl_hdr_fill(&hdr, type, 0, peer->epoch, seq, sector, len, 0, len);
		ret = harepl_send_buf(peer, peer->sock, &hdr, sizeof(hdr), len);
		for (off = 0; !ret && off < len; off += n) {
			n = min_t(u32, PAGE_SIZE, len - off);
			ret = harepl_send_page(peer, peer->sock, pages[off / PAGE_SIZE],
					       0, n, off + n < len, false);
		}
	}
	mutex_unlock(&peer->send_mutex);
	return ret;
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

/* The request's header and data; called with the send mutex held. */
static int harepl_send_req(struct harepl_peer *peer, struct harepl_req *req,
			   u16 flags, bool copy)
{
	struct bio *bio = req->bio;
	u16 type = harepl_bio_wire_type(bio);
	u32 len = type == HAREPL_WIRE_DATA ? bio->bi_iter.bi_size : 0;
	struct harepl_wire_hdr hdr;
	struct bvec_iter iter;
	struct bio_vec bv;
	u32 left = len;
	int ret;

	if (bio->bi_opf & REQ_FUA)
		flags |= HAREPL_WIRE_F_FUA;
	if (bio->bi_opf & REQ_PREFLUSH)
		flags |= HAREPL_WIRE_F_PREFLUSH;
	harepl_hdr_fill(&hdr, type, flags, peer->epoch, req->seq, req->sector,
			req->sectors << SECTOR_SHIFT, 0, len);
	ret = harepl_send_buf(peer, peer->sock, &hdr, sizeof(hdr), len);
	if (ret || !len)
		return ret;
	bio_for_each_segment(bv, bio, iter) {
		left -= bv.bv_len;
		ret = harepl_send_page(peer, peer->sock, bv.bv_page, bv.bv_offset,
				       bv.bv_len, left, copy);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * A new epoch whenever a write completed since the last request went out:
 * the secondary then applies nothing of it before all of the last one.
 * Only async peers need this: a write to a sync peer completes only once
 * that peer has it on disk, so whatever depends on it, issued later, can
 * never overtake it there; and the secondary's draining between epochs
 * would serialise a sync peer's writes for nothing.
 */
static void harepl_peer_epoch(struct harepl_peer *peer)
{
	s64 done = atomic64_read(&peer->res->completions);

	if (peer->conf.mode == HAREPL_MODE_SYNC)
		return;

	if (done != peer->epoch_completions) {
		peer->epoch++;
		peer->epoch_completions = done;
	}
}

/* An async peer with the Ahead policy and no room: record, don't send. */
static bool harepl_peer_full(struct harepl_peer *peer, struct harepl_req *req)
{
	int need = sizeof(struct harepl_wire_hdr);

	if (harepl_bio_wire_type(req->bio) == HAREPL_WIRE_DATA)
		need += req->sectors << SECTOR_SHIFT;

	if (peer->conf.mode != HAREPL_MODE_ASYNC ||
	    peer->conf.on_congestion != HAREPL_CONGESTION_AHEAD)
		return false;
	if (READ_ONCE(peer->state) == HAREPL_CONN_AHEAD)
		return true;
	if (sk_stream_wspace(peer->sock->sk) >= need)
		return false;
	spin_lock(&peer->lock);
	peer->state = HAREPL_CONN_AHEAD;
	spin_unlock(&peer->lock);
	pr_warn("%s: peer %s: send buffer full, going Ahead\n",
		peer->res->name, peer->addr_str);
	harepl_queue_ctl(peer, HAREPL_CTL_EVENT);
	return true;
}

/*
 * What the peer's ACK will find in @inflight: the request itself for a sync
 * peer (it waits), its range for an async one (recorded out of sync if the
 * connection ends before the ACK).
 */
static void *harepl_inflight_entry(struct harepl_peer *peer,
				   struct harepl_req *req)
{
	if (peer->conf.mode == HAREPL_MODE_SYNC)
		return req;
	if (req->sector >= HAREPL_ASYNC_MAX_SECTOR ||
	    req->sectors >= 1U << HAREPL_ASYNC_LEN_BITS)
		return NULL;
	return xa_mk_value((unsigned long)req->sector << HAREPL_ASYNC_LEN_BITS |
			   req->sectors);
}

static void harepl_replicate_one(struct harepl_peer *peer,
				 struct harepl_req *req)
{
	bool sync = peer->conf.mode == HAREPL_MODE_SYNC;
	void *entry;
	int ret;

	mutex_lock(&peer->send_mutex);
	if (!peer->sock || harepl_peer_full(peer, req)) {
		mutex_unlock(&peer->send_mutex);
		harepl_peer_mark_oos(peer, req->sector, req->sectors);
		return;
	}
	harepl_peer_epoch(peer);
	entry = harepl_inflight_entry(peer, req);
	if (sync)
		atomic_inc(&req->pending);
	if (!entry || xa_insert_bh(&peer->inflight, req->seq, entry, GFP_NOIO)) {
		if (sync)
			atomic_dec(&req->pending);
		mutex_unlock(&peer->send_mutex);
		harepl_peer_mark_oos(peer, req->sector, req->sectors);
		return;
	}
	/* an async write's extent stays in the log until the peer has it */
	if (!sync && req->sectors)
		harepl_al_get(peer->res, req->sector, req->sectors);
	ret = harepl_send_req(peer, req, HAREPL_WIRE_F_ACK, !sync);
	mutex_unlock(&peer->send_mutex);
	if (!ret)
		return;
	/* no ACK will come: the request is ours to release, if still listed */
	harepl_fence_peer_lost(peer);
	if (xa_erase_bh(&peer->inflight, req->seq) == entry) {
		if (sync)
			harepl_req_put(req);
		else
			harepl_async_done(peer, entry, false);
	}
	harepl_peer_mark_oos(peer, req->sector, req->sectors);
	harepl_peer_drop(peer, "send failed");
}

/*
 * Sends a write to every peer, or records it out of sync for it; and for
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
	struct harepl_peer *peer = container_of(work, struct harepl_peer, ack_work);
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
