// SPDX-License-Identifier: GPL-2.0
/*
 * Receiving: everything a peer sends is checked before use; a bad packet
 * drops the connection with a logged reason. The secondary applies writes
 * to its data device in epoch order; the primary completes requests on ACK.
 */

#include <linux/crc32c.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <net/sock.h>
#include <net/tcp.h>
#include "peer.h"
#include "receive.h"
#include "req.h"
#include "resource.h"
#include "sync.h"

/* Writes received and not yet completed on our disk, per peer */
#define HAREPL_MAX_APPLYING	128

/**
 * harepl_recv_msg() - fill @msg's buffers completely
 * @sock: the connection, whose receive timeout is a short slice
 * @msg: its iterator says where to and how many bytes
 * @deadline: jiffies by which a started read must have completed
 * @started: part of the packet was read already (a payload)
 *
 * Return: 0; -EAGAIN when a slice passed before the first byte of a new
 * packet; -ETIMEDOUT when a started packet did not complete by @deadline;
 * -ECONNRESET when the peer closed; another negative errno.
 */
static int harepl_recv_msg(struct socket *sock, struct msghdr *msg,
			   unsigned long deadline, bool started)
{
	int ret;

	while (msg_data_left(msg)) {
		ret = sock_recvmsg(sock, msg, MSG_WAITALL);
		if (ret == -EAGAIN && !started)
			return -EAGAIN;
		if (ret == -EAGAIN && time_before(jiffies, deadline))
			continue;	/* a packet is arriving: give it time */
		if (ret == -EAGAIN)
			return -ETIMEDOUT;
		if (ret <= 0)
			return ret ? ret : -ECONNRESET;
		started = true;
	}
	return 0;
}

/* Reads exactly @len bytes into @buf; see harepl_recv_msg(). */
int harepl_recv_full(struct socket *sock, void *buf, size_t len,
		     unsigned long deadline, bool started)
{
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	struct kvec iov = { .iov_base = buf, .iov_len = len };

	iov_iter_kvec(&msg.msg_iter, ITER_DEST, &iov, 1, len);
	return harepl_recv_msg(sock, &msg, deadline, started);
}

/* How long the rest of a packet may take to arrive */
static unsigned long harepl_packet_deadline(struct harepl_peer *peer)
{
	return jiffies + msecs_to_jiffies(peer->conf.timeout_ms);
}

static u32 harepl_wire_max_len(u16 type)
{
	switch (type) {
	case HAREPL_WIRE_HELLO:
		return sizeof(struct harepl_wire_hello);
	case HAREPL_WIRE_AUTH:
		return HAREPL_WIRE_MAC_LEN;
	case HAREPL_WIRE_STATE:
		return sizeof(struct harepl_wire_state);
	case HAREPL_WIRE_ERROR:
		return sizeof(struct harepl_wire_error);
	case HAREPL_WIRE_DATA:
	case HAREPL_WIRE_RS_DATA:
		return HAREPL_WIRE_MAX_DATA;
	case HAREPL_WIRE_GENS:
	case HAREPL_WIRE_RS_DONE:
		return sizeof(struct harepl_wire_gens);
	case HAREPL_WIRE_BITMAP:
		return HAREPL_WIRE_BITMAP_RUNS * 2 * sizeof(__be64);
	case HAREPL_WIRE_CSUM:
		return HAREPL_WIRE_CSUM_MAX_CHUNKS * HAREPL_WIRE_CSUM_LEN;
	case HAREPL_WIRE_CSUM_REPLY:
		return HAREPL_WIRE_CSUM_MAX_CHUNKS / 8;
	default:
		return 0;
	}
}

/* The flags a packet of @type may carry */
static u16 harepl_wire_flags(u16 type)
{
	switch (type) {
	case HAREPL_WIRE_DATA:
	case HAREPL_WIRE_DISCARD:
	case HAREPL_WIRE_WRITE_ZEROES:
	case HAREPL_WIRE_FLUSH:
		return HAREPL_WIRE_F_FUA | HAREPL_WIRE_F_PREFLUSH | HAREPL_WIRE_F_ACK;
	case HAREPL_WIRE_BITMAP:
		return HAREPL_WIRE_F_LAST;
	case HAREPL_WIRE_CSUM:
	case HAREPL_WIRE_RS_DONE:
		return HAREPL_WIRE_F_VERIFY;
	case HAREPL_WIRE_GENS:
		return HAREPL_WIRE_F_FULL | HAREPL_WIRE_F_START;
	case HAREPL_WIRE_HELLO:
		return HAREPL_WIRE_F_WAKE;
	default:
		return 0;
	}
}

/*
 * Checks a header: magic, checksum, type, the flags its type may carry
 * and the length it allows. On failure *@why says what was wrong.
 */
static int harepl_hdr_check(struct harepl_wire_hdr *hdr, const char **why)
{
	u32 csum, len;
	u16 type;

	if (be32_to_cpu(hdr->magic) != HAREPL_WIRE_MAGIC) {
		*why = "bad magic";
		return -EPROTO;
	}
	csum = be32_to_cpu(hdr->hdr_csum);
	hdr->hdr_csum = 0;
	if (crc32c(~0U, hdr, sizeof(*hdr)) != csum) {
		*why = "header checksum mismatch";
		return -EPROTO;
	}
	type = be16_to_cpu(hdr->type);
	len = be32_to_cpu(hdr->length);
	if (!type || type >= __HAREPL_WIRE_TYPE_MAX) {
		*why = "unknown packet type";
		return -EPROTO;
	}
	if (be16_to_cpu(hdr->flags) & ~harepl_wire_flags(type)) {
		*why = "unknown flags";
		return -EPROTO;
	}
	if (hdr->reserved) {
		*why = "reserved field not zero";
		return -EPROTO;
	}
	if (len > harepl_wire_max_len(type)) {
		*why = "packet length too large for its type";
		return -EPROTO;
	}
	return 0;
}

/* Reads and checks a header (the handshake's); see harepl_hdr_check(). */
int harepl_recv_hdr(struct socket *sock, struct harepl_wire_hdr *hdr,
		    unsigned long deadline, bool started, const char **why)
{
	int ret;

	ret = harepl_recv_full(sock, hdr, sizeof(*hdr), deadline, started);
	if (ret) {
		*why = ret == -ECONNRESET ? "connection closed" :
		       ret == -ETIMEDOUT ? "timed out in the middle of a packet" :
					   "receive error";
		return ret;
	}
	return harepl_hdr_check(hdr, why);
}

/* Reads a payload of exactly @len bytes into the @nr buffers of @vec. */
static int harepl_recv_vec(struct harepl_peer *peer, struct kvec *vec,
			   unsigned int nr, u32 len)
{
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	int ret;

	iov_iter_kvec(&msg.msg_iter, ITER_DEST, vec, nr, len);
	ret = harepl_recv_msg(peer->sock, &msg, harepl_packet_deadline(peer),
			      true);
	if (!ret)
		atomic64_add(len, &peer->bytes_recv);
	return ret;
}

/* Reads a payload of exactly @len bytes into @buf. */
int harepl_recv_payload(struct harepl_peer *peer, void *buf, u32 len)
{
	int ret = harepl_recv_full(peer->sock, buf, len,
				   harepl_packet_deadline(peer), true);

	if (!ret)
		atomic64_add(len, &peer->bytes_recv);
	return ret;
}

static void harepl_queue_rs_ack(struct harepl_peer *peer, struct harepl_rreq *rr);

static void harepl_rreq_endio(struct bio *bio)
{
	struct harepl_rreq *rr = bio->bi_private;
	struct harepl_peer *peer = rr->peer;
	struct bio_vec *bv;
	struct bvec_iter_all iter;

	rr->status = blk_status_to_errno(bio->bi_status);
	bio_for_each_segment_all(bv, bio, iter)
		__free_page(bv->bv_page);
	bio_put(bio);
	if (rr->al_held)
		harepl_al_put(peer->res, rr->sector, rr->size >> SECTOR_SHIFT);
	if (rr->status && !rr->aborted)
		pr_err_ratelimited("%s: replicated write at sector %llu failed: %d\n",
				   peer->res->name, rr->sector, rr->status);
	if (rr->type == HAREPL_WIRE_RS_ACK && !rr->aborted)
		harepl_queue_rs_ack(peer, rr);
	else if (rr->ack)
		harepl_queue_ack(peer, rr);
	else
		kfree(rr);
	if (atomic_dec_return(&peer->applying) < HAREPL_MAX_APPLYING)
		wake_up(&peer->apply_wq);
}

/*
 * An RS_ACK waits for the other resync writes in flight, so that one cache
 * flush in ack_work covers them all.
 */
static void harepl_queue_rs_ack(struct harepl_peer *peer, struct harepl_rreq *rr)
{
	unsigned long flags;
	bool last;

	spin_lock_irqsave(&peer->ack_lock, flags);
	list_add_tail(&rr->node, &peer->acks);
	peer->acks_queued++;
	last = atomic_dec_and_test(&peer->rs_applying);
	spin_unlock_irqrestore(&peer->ack_lock, flags);
	if (last)
		mod_delayed_work(system_highpri_wq, &peer->ack_work, 0);
}

/*
 * Hands an answer to ack_work, which sends it. Any context. The ACK of
 * a plain write from a peer that replicates to us asynchronously waits
 * for up to HAREPL_LAZY_ACK_DELAY, or until HAREPL_LAZY_ACK_BATCH are
 * queued, so that several share a packet: under emulation each packet,
 * interrupt and wakeup costs more host CPU than the write
 * (Documentation/performance.md, host CPU per write). Other answers
 * (CSUM replies, FLUSH, FUA and PREFLUSH writes: an unmount or a demotion
 * waits for those) go at once, and take the waiting ACKs with them.
 */
void harepl_queue_ack(struct harepl_peer *peer, struct harepl_rreq *rr)
{
	unsigned long flags;
	u32 queued;

	spin_lock_irqsave(&peer->ack_lock, flags);
	list_add_tail(&rr->node, &peer->acks);
	queued = ++peer->acks_queued;
	spin_unlock_irqrestore(&peer->ack_lock, flags);
	if (READ_ONCE(peer->lazy_acks) && rr->type == HAREPL_WIRE_ACK &&
	    !rr->urgent && queued < HAREPL_LAZY_ACK_BATCH)
		queue_delayed_work(system_highpri_wq, &peer->ack_work,
				   HAREPL_LAZY_ACK_DELAY);
	else
		mod_delayed_work(system_highpri_wq, &peer->ack_work, 0);
}

/*
 * Dispatches the writes held in the receive thread's plug now, before it
 * sleeps: the flush schedule() does would hand them to kblockd, one more
 * thread hop on a write's path. Only the receive thread calls it (its
 * plug; FUA and flush writes bypass plugs, which is fine within an epoch).
 */
static void harepl_unplug(void)
{
	struct blk_plug *plug = current->plug;

	if (plug) {
		blk_finish_plug(plug);
		blk_start_plug(plug);
	}
}

/* Waits until everything of earlier epochs (or everything) is on disk. */
void harepl_wait_applied(struct harepl_peer *peer, int below)
{
	if (atomic_read(&peer->applying) < below)
		return;
	harepl_unplug();
	wait_event(peer->apply_wq, atomic_read(&peer->applying) < below);
}

static blk_opf_t harepl_wire_opf(u16 type, u16 flags)
{
	blk_opf_t opf = REQ_OP_WRITE;

	if (type == HAREPL_WIRE_DISCARD)
		opf = REQ_OP_DISCARD;
	else if (type == HAREPL_WIRE_WRITE_ZEROES)
		opf = REQ_OP_WRITE_ZEROES | REQ_NOUNMAP;
	else if (type == HAREPL_WIRE_FLUSH)
		opf |= REQ_PREFLUSH;
	if (flags & HAREPL_WIRE_F_FUA)
		opf |= REQ_FUA;
	if (flags & HAREPL_WIRE_F_PREFLUSH)
		opf |= REQ_PREFLUSH;
	return opf | REQ_SYNC;
}

/* Is the request inside the device and aligned to its blocks? */
static const char *harepl_check_range(struct harepl_resource *res, u16 type,
				      u64 sector, u32 size, u32 len)
{
	unsigned int lbs = bdev_logical_block_size(res->data_bdev);
	u64 end;

	if (type == HAREPL_WIRE_FLUSH)
		return size || len || sector ? "flush with data" : NULL;
	if (!size || size % lbs || (sector << SECTOR_SHIFT) % lbs)
		return "misaligned or empty request";
	if (size > HAREPL_WIRE_MAX_DATA)
		return "request larger than a packet may carry";
	if (type == HAREPL_WIRE_DATA ? len != size : len != 0)
		return "payload length does not match the request";
	if (check_add_overflow(sector, (u64)(size >> SECTOR_SHIFT), &end) ||
	    end > res->md.data_sectors)
		return "request beyond the device";
	return NULL;
}

/*
 * Records a replicated write's extents in the write-intent log before it
 * is submitted (harepl_al_begin_peer()). When every entry of the hot set is
 * in use, the writes in flight complete first: then none is.
 */
static int harepl_recv_al_begin(struct harepl_peer *peer,
				struct harepl_rreq *rr)
{
	u64 sectors = rr->size >> SECTOR_SHIFT;
	int ret;

	ret = harepl_al_begin_peer(peer->res, rr->sector, sectors);
	if (ret == -EAGAIN) {
		harepl_wait_applied(peer, 1);
		ret = harepl_al_begin_peer(peer->res, rr->sector, sectors);
	}
	if (ret)
		pr_err_ratelimited("%s: write-intent log: replicated write at sector %llu refused: %d\n",
				   peer->res->name, rr->sector, ret);
	else
		rr->al_held = true;
	return ret;
}

static int harepl_recv_write(struct harepl_peer *peer,
			     const struct harepl_wire_hdr *hdr, const char **why)
{
	struct harepl_resource *res = peer->res;
	u16 type = be16_to_cpu(hdr->type), flags = be16_to_cpu(hdr->flags);
	u64 sector = be64_to_cpu(hdr->sector);
	u32 size = be32_to_cpu(hdr->size), len = be32_to_cpu(hdr->length);
	u32 epoch = be32_to_cpu(hdr->epoch);
	bool resync = type == HAREPL_WIRE_RS_DATA;
	unsigned int nr = DIV_ROUND_UP(len, PAGE_SIZE), i, n;
	struct harepl_rreq *rr;
	struct page *page;
	struct bio *bio;
	int ret;

	if (resync && harepl_peer_state(peer) != HAREPL_CONN_SYNC_TARGET) {
		*why = "resync data while not sync target";
		return -EPROTO;
	}
	if (!resync && (READ_ONCE(res->role) != HAREPL_ROLE_SECONDARY ||
			READ_ONCE(peer->peer_role) != HAREPL_ROLE_PRIMARY)) {
		*why = "write from a peer that is not primary, or to a primary";
		return -EPROTO;
	}
	*why = harepl_check_range(res, resync ? HAREPL_WIRE_DATA : type, sector,
				  size, len);
	if (*why)
		return -EPROTO;

	rr = kzalloc(sizeof(*rr), GFP_NOIO);
	bio = bio_alloc_bioset(res->data_bdev, nr,
			       resync ? REQ_OP_WRITE | REQ_SYNC :
					harepl_wire_opf(type, flags),
			       GFP_NOIO, &res->bs);
	if (!rr) {
		bio_put(bio);
		*why = "out of memory";
		return -ENOMEM;
	}
	rr->peer = peer;
	rr->seq = be64_to_cpu(hdr->seq);
	rr->sector = sector;
	rr->size = size;
	rr->ack = resync || (flags & HAREPL_WIRE_F_ACK);
	rr->type = resync ? HAREPL_WIRE_RS_ACK : HAREPL_WIRE_ACK;
	rr->urgent = type == HAREPL_WIRE_FLUSH ||
		     (flags & (HAREPL_WIRE_F_FUA | HAREPL_WIRE_F_PREFLUSH));
	bio->bi_iter.bi_sector = sector;
	bio->bi_private = rr;
	bio->bi_end_io = harepl_rreq_endio;
	/* the whole payload in one receive call */
	for (i = 0; i < nr; i++) {
		n = min_t(u32, len - i * PAGE_SIZE, PAGE_SIZE);
		page = alloc_page(GFP_NOIO);
		if (!page)
			break;
		__bio_add_page(bio, page, n, 0);
		peer->rx_vec[i].iov_base = page_address(page);
		peer->rx_vec[i].iov_len = n;
	}
	ret = i < nr ? -ENOMEM : harepl_recv_vec(peer, peer->rx_vec, nr, len);
	if (ret) {
		*why = ret == -ENOMEM ? "out of memory" : "truncated payload";
		rr->ack = false;
		rr->aborted = true;
		bio->bi_status = BLK_STS_IOERR;
		atomic_inc(&peer->applying);
		bio_endio(bio);
		return ret;
	}
	if (type != HAREPL_WIRE_DATA && !resync)
		bio->bi_iter.bi_size = size;

	if (resync) {
		/*
		 * After every write received before it and before every one
		 * received after it; resync writes among themselves never
		 * overlap (the source sends a chunk again only after the ACK).
		 */
		atomic64_add(len, &peer->rs_bytes);
		atomic64_add(len, &peer->rs_done);
		/* the target's view of the rate */
		harepl_rs_rate(peer, &peer->rs_tgt_report, &peer->rs_tgt_done,
			       false);
		if (!peer->rs_barrier)
			harepl_wait_applied(peer, 1);
		peer->rs_barrier = true;
		harepl_wait_applied(peer, HAREPL_MAX_APPLYING);
		atomic_inc(&peer->applying);
		atomic_inc(&peer->rs_applying);
		submit_bio(bio);
		return 0;
	}
	if (peer->rs_barrier) {
		harepl_wait_applied(peer, 1);
		peer->rs_barrier = false;
	}

	/* nothing of a new epoch before all of the previous one is on disk */
	if (epoch != peer->apply_epoch || type == HAREPL_WIRE_FLUSH) {
		harepl_wait_applied(peer, 1);
		peer->apply_epoch = epoch;
	}
	harepl_wait_applied(peer, HAREPL_MAX_APPLYING);
	if (type != HAREPL_WIRE_FLUSH && harepl_recv_al_begin(peer, rr))
		bio->bi_status = BLK_STS_IOERR;	/* answered with the error */
	atomic_inc(&peer->applying);
	if (bio->bi_status)
		bio_endio(bio);
	else
		submit_bio(bio);
	return 0;
}

static int harepl_recv_ack(struct harepl_peer *peer,
			   const struct harepl_wire_hdr *hdr, const char **why)
{
	s32 status = be32_to_cpu(hdr->status);
	struct harepl_req *req;
	void *entry;

	entry = xa_erase_bh(&peer->inflight, be64_to_cpu(hdr->seq));
	if (!entry) {
		*why = "ACK for an unknown request";
		return -EPROTO;
	}
	if (status)
		pr_warn_ratelimited("%s: peer %s: replicated write failed there: %d\n",
				    peer->res->name, peer->addr_str, status);
	if (xa_is_value(entry)) {	/* async: nobody waits */
		harepl_async_done(peer, entry, status);
		return 0;
	}
	req = entry;
	if (status)
		harepl_peer_mark_oos(peer, req->sector, req->sectors);
	harepl_req_put(req);
	return 0;
}

static int harepl_recv_state(struct harepl_peer *peer, u32 len,
			     const char **why)
{
	struct harepl_wire_state st;
	u32 role, disk, was;
	int ret;

	if (len != sizeof(st)) {
		*why = "bad STATE length";
		return -EPROTO;
	}
	ret = harepl_recv_payload(peer, &st, sizeof(st));
	if (ret) {
		*why = "truncated STATE";
		return ret;
	}
	role = be32_to_cpu(st.role);
	disk = be32_to_cpu(st.disk);
	if (role > HAREPL_ROLE_MAX || disk > HAREPL_DISK_MAX) {
		*why = "bad role or disk state";
		return -EPROTO;
	}
	if (role == HAREPL_ROLE_PRIMARY &&
	    READ_ONCE(peer->res->role) == HAREPL_ROLE_PRIMARY) {
		*why = "both nodes are primary";
		return -EPROTO;
	}
	spin_lock(&peer->lock);
	was = peer->peer_role;
	peer->peer_role = role;
	peer->peer_disk = disk;
	peer->have_state = true;
	spin_unlock(&peer->lock);
	harepl_resource_event(peer->res, HAREPL_EVENT_CONN);
	/* our primary demoted: its writes are all here; let them be on disk */
	if (was == HAREPL_ROLE_PRIMARY && role != HAREPL_ROLE_PRIMARY &&
	    READ_ONCE(peer->res->role) == HAREPL_ROLE_SECONDARY) {
		harepl_wait_applied(peer, 1);
		harepl_al_secondary_idle(peer->res);
	}
	return 0;
}

/* GENS or RS_DONE after the handshake */
static int harepl_recv_gens(struct harepl_peer *peer,
			    const struct harepl_wire_hdr *hdr, const char **why)
{
	u16 type = be16_to_cpu(hdr->type), flags = be16_to_cpu(hdr->flags);
	struct harepl_wire_gens w;
	struct harepl_gens g;
	int ret;

	if (be32_to_cpu(hdr->length) != sizeof(w)) {
		*why = "bad GENS length";
		return -EPROTO;
	}
	ret = harepl_recv_payload(peer, &w, sizeof(w));
	if (ret) {
		*why = "truncated GENS";
		return ret;
	}
	*why = harepl_gens_parse(peer->res, &w, &g);
	if (*why)
		return -EPROTO;
	if (type == HAREPL_WIRE_RS_DONE) {
		if (harepl_peer_state(peer) != (flags & HAREPL_WIRE_F_VERIFY ?
						HAREPL_CONN_VERIFY_TARGET :
						HAREPL_CONN_SYNC_TARGET)) {
			*why = "RS_DONE while not a sync or verify target";
			return -EPROTO;
		}
		harepl_sync_done_target(peer, &g, flags & HAREPL_WIRE_F_VERIFY);
		return 0;
	}
	if (flags & (HAREPL_WIRE_F_FULL | HAREPL_WIRE_F_START)) {
		enum harepl_conn_state st = harepl_peer_state(peer);

		if (READ_ONCE(peer->res->role) == HAREPL_ROLE_PRIMARY) {
			*why = "a resync to us while we are primary";
			return -EPROTO;
		}
		if (!(g.flags & HAREPL_GENS_UPTODATE) ||
		    (st != HAREPL_CONN_CONNECTED && st != HAREPL_CONN_SYNC_TARGET)) {
			*why = "a resync from a peer that is not UpToDate, or while busy";
			return -EPROTO;
		}
	}
	harepl_sync_recv_gens(peer, &g, flags);
	return 0;
}

static int harepl_recv_bitmap(struct harepl_peer *peer,
			      const struct harepl_wire_hdr *hdr, const char **why)
{
	u32 len = be32_to_cpu(hdr->length);
	void *buf;
	int ret;

	buf = kmalloc(max(len, 1U), GFP_NOIO);
	if (!buf) {
		*why = "out of memory";
		return -ENOMEM;
	}
	ret = harepl_recv_payload(peer, buf, len);
	if (ret)
		*why = "truncated BITMAP";
	else
		ret = harepl_sync_recv_bitmap(peer, buf, len,
					      be16_to_cpu(hdr->flags), why);
	kfree(buf);
	return ret;
}

static int harepl_recv_error(struct harepl_peer *peer, u32 len)
{
	struct harepl_wire_error err = {};

	if (len == sizeof(err) && !harepl_recv_payload(peer, &err, len)) {
		err.reason[sizeof(err.reason) - 1] = '\0';
		pr_warn("%s: peer %s closed the connection: %s (code %u)\n",
			peer->res->name, peer->addr_str, err.reason,
			be32_to_cpu(err.code));
	}
	return -ECONNRESET;
}

/*
 * Is the peer taking our data? TCP acknowledging it counts as a sign of
 * life: a PING would wait behind megabytes of queued async data.
 */
static bool harepl_tcp_idle(struct harepl_peer *peer)
{
	struct tcp_sock *tp = tcp_sk(peer->sock->sk);
	u32 una = READ_ONCE(tp->snd_una);

	if (una != peer->last_una) {
		peer->last_una = una;
		peer->last_progress = jiffies;
	}
	return una == READ_ONCE(tp->write_seq);
}

/* Disconnect a peer that stopped answering; ping one that is quiet. */
static int harepl_check_timeout(struct harepl_peer *peer, const char **why)
{
	unsigned long timeout = msecs_to_jiffies(peer->conf.timeout_ms);
	unsigned long alive, last_recv;
	struct harepl_req *req;
	bool idle, expired = false;
	unsigned long idx;

	/* under the lock: an ACK parsed meanwhile may complete a request */
	xa_lock_bh(&peer->inflight);
	xa_for_each(&peer->inflight, idx, req) {
		if (!xa_is_value(req) && time_after(jiffies, req->start + timeout)) {
			expired = true;
			break;
		}
	}
	xa_unlock_bh(&peer->inflight);
	if (expired) {
		*why = "timed out waiting for an ACK";
		return -ETIMEDOUT;
	}
	idle = harepl_tcp_idle(peer);
	last_recv = READ_ONCE(peer->last_recv);
	alive = time_after(peer->last_progress, last_recv) ?
		peer->last_progress : last_recv;
	if (time_after(jiffies, alive + timeout)) {
		*why = "peer silent for longer than the timeout";
		return -ETIMEDOUT;
	}
	if (idle && !READ_ONCE(peer->ping_sent) &&
	    time_after(jiffies, last_recv + timeout / 2)) {
		WRITE_ONCE(peer->ping_sent, true);
		harepl_queue_ctl(peer, HAREPL_CTL_PING);
	}
	return 0;
}

static int harepl_dispatch(struct harepl_peer *peer,
			   struct harepl_wire_hdr *hdr, const char **why)
{
	u16 type = be16_to_cpu(hdr->type);
	u32 len = be32_to_cpu(hdr->length);

	switch (type) {
	case HAREPL_WIRE_DATA:
	case HAREPL_WIRE_DISCARD:
	case HAREPL_WIRE_WRITE_ZEROES:
	case HAREPL_WIRE_FLUSH:
	case HAREPL_WIRE_RS_DATA:
		return harepl_recv_write(peer, hdr, why);
	case HAREPL_WIRE_RS_ACK:
		return harepl_recv_rs_ack(peer, hdr, why);
	case HAREPL_WIRE_GENS:
	case HAREPL_WIRE_RS_DONE:
		return harepl_recv_gens(peer, hdr, why);
	case HAREPL_WIRE_BITMAP:
		return harepl_recv_bitmap(peer, hdr, why);
	case HAREPL_WIRE_CSUM:
		return harepl_recv_csum(peer, hdr, why);
	case HAREPL_WIRE_CSUM_REPLY:
		return harepl_recv_csum_reply(peer, hdr, why);
	case HAREPL_WIRE_ACK:
		return harepl_recv_ack(peer, hdr, why);
	case HAREPL_WIRE_STATE:
		return harepl_recv_state(peer, len, why);
	case HAREPL_WIRE_PING:
		harepl_queue_ctl(peer, HAREPL_CTL_PONG);
		return 0;
	case HAREPL_WIRE_PING_ACK:
		return 0;
	case HAREPL_WIRE_ERROR:
		*why = "peer sent an error";
		return harepl_recv_error(peer, len);
	default:
		*why = "unexpected packet type after the handshake";
		return -EPROTO;
	}
}

/*
 * After the handshake, headers are parsed where the data arrives: in the
 * socket's sk_data_ready callback (softirq, or the socket owner's
 * release_sock()). An ACK of a write is handled there and then, without a
 * thread wakeup: that is the primary's whole receive path for replicated
 * writes. Any other header is handed to the worker thread, which reads the
 * payload with recvmsg() and dispatches; while it owns the stream
 * (@rx_thread) the callback parses nothing. The worker hands the stream
 * back with harepl_rx_resume(), under the socket lock.
 */

/* An ACK the callback can complete: a write's, without error */
static bool harepl_rx_ack(struct harepl_peer *peer,
			  const struct harepl_wire_hdr *hdr)
{
	u64 seq = be64_to_cpu(hdr->seq);
	void *entry;

	if (be16_to_cpu(hdr->type) != HAREPL_WIRE_ACK || hdr->length ||
	    hdr->status)
		return false;
	xa_lock_bh(&peer->inflight);
	entry = xa_load(&peer->inflight, seq);
	if (entry)
		__xa_erase(&peer->inflight, seq);
	xa_unlock_bh(&peer->inflight);
	if (!entry)
		return false;	/* the worker says why */
	if (xa_is_value(entry))
		harepl_async_done(peer, entry, false);
	else
		harepl_req_put(entry);
	return true;
}

static int harepl_rx_actor(read_descriptor_t *desc, struct sk_buff *skb,
			   unsigned int offset, size_t len)
{
	struct harepl_peer *peer = desc->arg.data;
	u8 *buf = (u8 *)&peer->rx_hdr;
	size_t used = 0, n;

	while (used < len && desc->count) {
		n = min_t(size_t, len - used, sizeof(peer->rx_hdr) - peer->rx_have);
		if (skb_copy_bits(skb, offset + used, buf + peer->rx_have, n)) {
			peer->rx_err = -EIO;
			peer->rx_why = "receive error";
		} else {
			used += n;
			peer->rx_have += n;
			if (peer->rx_have < sizeof(peer->rx_hdr))
				break;
			peer->rx_have = 0;
			atomic64_add(sizeof(peer->rx_hdr), &peer->bytes_recv);
			WRITE_ONCE(peer->last_recv, jiffies);
			WRITE_ONCE(peer->ping_sent, false);
			peer->rx_err = harepl_hdr_check(&peer->rx_hdr, &peer->rx_why);
			if (!peer->rx_err && harepl_rx_ack(peer, &peer->rx_hdr))
				continue;
		}
		/* the worker's turn: @rx_hdr (or @rx_err) is its packet */
		WRITE_ONCE(peer->rx_thread, true);
		desc->count = 0;
		wake_up(&peer->rx_wq);
	}
	return used;
}

/* Parses what is queued; called with the socket lock held. */
static void harepl_rx_parse(struct harepl_peer *peer, struct sock *sk)
{
	read_descriptor_t desc = { .arg.data = peer, .count = 1 };

	if (!READ_ONCE(peer->rx_thread))
		tcp_read_sock(sk, &desc, harepl_rx_actor);
}

static void harepl_rx_data_ready(struct sock *sk)
{
	void (*ready)(struct sock *sk);
	struct harepl_peer *peer;

	read_lock_bh(&sk->sk_callback_lock);
	peer = sk->sk_user_data;
	if (!peer) {
		ready = sk->sk_data_ready;
	} else {
		harepl_rx_parse(peer, sk);
		ready = peer->rx_saved_data_ready;
	}
	read_unlock_bh(&sk->sk_callback_lock);
	/* wakes the worker's recvmsg() of a payload, if it waits */
	if (ready != harepl_rx_data_ready)
		ready(sk);
}

static void harepl_rx_state_change(struct sock *sk)
{
	void (*change)(struct sock *sk) = NULL;
	struct harepl_peer *peer;

	read_lock_bh(&sk->sk_callback_lock);
	peer = sk->sk_user_data;
	if (peer) {
		change = peer->rx_saved_state_change;
		wake_up(&peer->rx_wq);
	}
	read_unlock_bh(&sk->sk_callback_lock);
	if (change)
		change(sk);
}

static void harepl_rx_start(struct harepl_peer *peer, struct sock *sk)
{
	peer->rx_have = 0;
	peer->rx_err = 0;
	peer->rx_thread = false;
	write_lock_bh(&sk->sk_callback_lock);
	peer->rx_saved_data_ready = sk->sk_data_ready;
	peer->rx_saved_state_change = sk->sk_state_change;
	sk->sk_user_data = peer;
	sk->sk_data_ready = harepl_rx_data_ready;
	sk->sk_state_change = harepl_rx_state_change;
	write_unlock_bh(&sk->sk_callback_lock);
	/* what arrived before */
	lock_sock(sk);
	harepl_rx_parse(peer, sk);
	release_sock(sk);
}

/* After it: no callback of ours runs, none will. */
static void harepl_rx_stop(struct harepl_peer *peer, struct sock *sk)
{
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_data_ready = peer->rx_saved_data_ready;
	sk->sk_state_change = peer->rx_saved_state_change;
	sk->sk_user_data = NULL;
	write_unlock_bh(&sk->sk_callback_lock);
}

/* The worker is done with its packet: the callback parses again. */
static void harepl_rx_resume(struct harepl_peer *peer, struct sock *sk)
{
	lock_sock(sk);
	WRITE_ONCE(peer->rx_thread, false);
	harepl_rx_parse(peer, sk);
	release_sock(sk);
}

static bool harepl_rx_closed(struct sock *sk)
{
	return READ_ONCE(sk->sk_err) ||
	       (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) ||
	       READ_ONCE(sk->sk_state) != TCP_ESTABLISHED;
}

/* The worker's loop while connected; returns when the connection ends. */
void harepl_receive_loop(struct harepl_peer *peer)
{
	struct sock *sk = peer->sock->sk;
	unsigned long next_check = jiffies;
	struct harepl_wire_hdr hdr;
	const char *why = NULL;
	struct blk_plug plug;
	int ret;

	/*
	 * The writes of a burst go to the disk together, one notification
	 * of the device for many: they are dispatched before this thread
	 * waits for data or for an epoch to drain (harepl_unplug()), or once
	 * the plug holds BLK_MAX_REQUEST_COUNT of them.
	 */
	blk_start_plug(&plug);
	peer->last_recv = jiffies;
	peer->last_progress = jiffies;
	peer->last_una = tcp_sk(sk)->snd_una;
	peer->ping_sent = false;
	harepl_rx_start(peer, sk);
	while (!kthread_should_stop()) {
		if (!READ_ONCE(peer->rx_thread))
			harepl_unplug();
		wait_event_interruptible_timeout(peer->rx_wq,
						 READ_ONCE(peer->rx_thread) ||
						 harepl_rx_closed(sk) ||
						 kthread_should_stop(),
						 READ_ONCE(sk->sk_rcvtimeo));
		if (READ_ONCE(peer->hs_rejected)) {
			/* decided on ids we no longer have: nothing counts */
			why = NULL;
			ret = -ECONNABORTED;
		} else if (READ_ONCE(peer->rx_thread)) {
			/* the callback parses nothing until we resume it */
			hdr = peer->rx_hdr;
			why = peer->rx_why;
			ret = peer->rx_err;
			if (!ret)
				ret = harepl_dispatch(peer, &hdr, &why);
			if (!ret)
				harepl_rx_resume(peer, sk);
		} else if (harepl_rx_closed(sk)) {
			why = "connection closed";
			ret = -ECONNRESET;
		} else {
			ret = -EAGAIN;
		}
		/* also under steady traffic: a stuck request must not wait */
		if ((!ret || ret == -EAGAIN) && time_after(jiffies, next_check)) {
			next_check = jiffies + HZ / 4;
			ret = harepl_check_timeout(peer, &why);
		}
		if (ret == -EAGAIN)
			continue;
		if (ret)
			break;
	}
	blk_finish_plug(&plug);
	harepl_rx_stop(peer, sk);
	if (why)
		pr_warn("%s: peer %s: disconnecting: %s\n", peer->res->name,
			peer->addr_str, why);
}
