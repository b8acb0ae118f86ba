/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HAREPL_PEER_H
#define _HAREPL_PEER_H

#include <linux/kthread.h>
#include <linux/socket.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <uapi/linux/harepl.h>
#include <uapi/linux/harepl_wire.h>

struct harepl_resource;
struct harepl_req;
struct netlink_ext_ack;
struct sock;
struct socket;

#define HAREPL_HANDSHAKE_TIMEOUT	(5 * HZ)
/* an async primary's ACKs wait this long, or for this many (lazy_acks) */
#define HAREPL_LAZY_ACK_DELAY	max(1UL, msecs_to_jiffies(2))
#define HAREPL_LAZY_ACK_BATCH	16
#define HAREPL_RECV_SLICE		(HZ / 4)

/* Generation ids as exchanged in GENS, in CPU order */
struct harepl_gens {
	u64 current_gen;
	u64 bitmap_gen;			/* the sender's slot for the receiver */
	u64 history[HAREPL_MD_HISTORY];
	u64 oos_chunks;
	u32 flags;			/* enum harepl_wire_gens_flag */
	u32 after_sb;			/* enum harepl_after_sb */
};

/* What a handshake told the peer of us, and the peer's ids it got */
struct harepl_hs_sent {
	struct harepl_gens gens;	/* our GENS */
	struct harepl_gens his;		/* the peer's GENS */
	enum harepl_role role;		/* our STATE */
	enum harepl_disk_state disk;
};

/* What CONNECT asks for one peer */
struct harepl_peer_conf {
	u32 node_id;
	struct sockaddr_storage addr;
	int addrlen;
	enum harepl_mode mode;
	u32 timeout_ms;
	u32 sndbuf;
	enum harepl_congestion on_congestion;
	u32 resync_rate;		/* KiB/s */
	bool csums;
	enum harepl_after_sb after_sb;
	bool discard_my_data;		/* HAREPL_CONNECT_F_DISCARD_MY_DATA */
};

/*
 * A write queued for one peer (peer->sq). A sync peer's entry holds its
 * request (one count of @pending, which the peer's ACK gives back) and is
 * sent from the bio's pages. An async peer's entry carries a copy of the
 * data in @pages, so that the request completes at the local disk's pace;
 * only if that copy cannot be allocated does it hold the request (@req),
 * until sent. An async entry also holds its write-intent extent until the
 * peer's ACK.
 */
struct harepl_sq_ent {
	struct harepl_req *req;		/* held, or NULL */
	struct page **pages;		/* the async copy, or NULL */
	u64 seq;
	sector_t sector;
	u32 sectors;
	u32 len;			/* payload bytes */
	u32 epoch;
	u16 type;
	u16 flags;
};

/*
 * One remote node of a resource, with at most one connection.
 *
 * Locking: @lock (spinlock) protects @state, @deciding, @peer_role,
 * @peer_disk, @have_state, @stopping, @fence_triggered, @ahead, @tearing_down,
 * @peer_gens, @split_brain,
 * @discard_my_data, @sb_result, @sb_reason and the resync flags
 * (@rs_full, @rs_csums, @rs_verify, @rs_got_bitmap, @rs_running,
 * @rs_thread). @rs_reqs (own lock) maps resync request ids to ranges.
 * @send_mutex serialises everything written to @sock and protects @sock:
 * it is installed and removed with both @send_mutex and @lock held, so
 * either suffices to read it. @sq_lock (spinlock, process context only)
 * protects the send queue (@sq, @sq_head, @sq_tail, @sq_bytes), @epoch and
 * @epoch_seen; it nests inside @send_mutex and @lock. @inflight
 * (xarray, own lock, taken with bottom halves off: ACKs are parsed in
 * softirq) maps request ids to primary requests awaiting this peer's ACK.
 * @ack_lock protects @acks and @acks_queued. @lazy_acks is written at
 * install under @lock and @send_mutex and read with READ_ONCE(). The
 * receive side (the @rx_* fields) belongs to the socket's sk_data_ready
 * callback, under the socket lock, and to the worker thread while
 * @rx_thread is set; see receive.c. @woken and
 * @last_wake have no lock: the listener sets them, the worker clears
 * @woken (READ_ONCE/WRITE_ONCE; a race costs at most one early dial).
 */
struct harepl_peer {
	struct harepl_resource *res;
	struct harepl_peer_conf conf;
	char addr_str[56];		/* "192.0.2.2:7789", for messages */

	spinlock_t lock;		/* see above */
	enum harepl_conn_state state;
	enum harepl_role peer_role;
	enum harepl_disk_state peer_disk;
	bool have_state;
	bool stopping;			/* install no more connections */
	bool fence_triggered;		/* this connection's loss is fenced */
	bool ahead;			/* writes not sent, see harepl_peer_go_ahead() */
	bool tearing_down;		/* install no connection until teardown ends */

	struct mutex send_mutex;	/* see above */
	struct mutex drop_mutex;	/* harepl_peer_drop() vs teardown */
	struct socket *sock;

	/*
	 * Writes to send, in order: the submitter queues them and send_work
	 * sends them, back to back (see send.c). Bounded: @sq has
	 * HAREPL_SQ_SIZE entries and an async peer's copies take at most
	 * half its SendBuffer (@sq_bytes); a writer waits on @sq_wq for room.
	 */
	spinlock_t sq_lock;		/* see above */
	struct harepl_sq_ent *sq;
	u32 sq_head, sq_tail;		/* free-running; sq_tail - sq_head queued */
	u32 sq_bytes;			/* of copied data queued */
	wait_queue_head_t sq_wq;
	struct work_struct send_work;
	u32 epoch;
	s64 epoch_seen;			/* write epoch of the last queued write */

	struct task_struct *worker;	/* connects, handshakes, receives */
	wait_queue_head_t wq;		/* worker waits for a socket here */
	bool woken;			/* a wake-up came: dial now */
	unsigned long last_wake;	/* jiffies of the last one honoured */
	unsigned long last_recv;	/* jiffies: a header arrived */
	unsigned long last_progress;	/* jiffies: TCP acked our data */
	u32 last_una;			/* TCP snd_una seen then */
	bool ping_sent;

	/* receive side, see above */
	struct harepl_wire_hdr rx_hdr;	/* being parsed, or the worker's */
	u32 rx_have;			/* bytes of @rx_hdr so far */
	int rx_err;			/* @rx_hdr is bad: why */
	const char *rx_why;
	bool rx_thread;			/* the worker owns the stream */
	wait_queue_head_t rx_wq;	/* the worker waits for its turn */
	void (*rx_saved_data_ready)(struct sock *sk);
	void (*rx_saved_state_change)(struct sock *sk);
	struct kvec *rx_vec;		/* a write's payload pages */

	/*
	 * seq -> struct harepl_req for a sync peer; for an async one, an
	 * xa_mk_value() of the range (harepl_async_entry()), so that what
	 * the peer never acknowledged can be recorded out of sync
	 */
	struct xarray inflight;

	/* secondary side: writes received and not yet on our disk */
	atomic_t applying;
	wait_queue_head_t apply_wq;
	u32 apply_epoch;
	bool rs_barrier;		/* resync writes in flight: drain first */
	atomic_t rs_applying;		/* resync writes in flight */
	spinlock_t ack_lock;		/* see above */
	struct list_head acks;
	unsigned long ctl;		/* HAREPL_CTL_* to do in ack_work */
	struct delayed_work ack_work;	/* sends ACKs, pings; reports */
	/*
	 * The peer replicates to us in async mode (the mode of its STATE in
	 * the handshake): nobody waits for our ACKs of its plain writes, so
	 * they may wait up to HAREPL_LAZY_ACK_DELAY to share a packet.
	 */
	bool lazy_acks;
	u32 acks_queued;		/* on @acks, under @ack_lock */

	atomic64_t bytes_sent;
	atomic64_t bytes_recv;
	int slot;			/* our bitmap slot for it */
	struct crypto_shash *sha;	/* sha256, for CSUM */

	/* what the peer told us of its generation ids (under @lock) */
	struct harepl_gens peer_gens;
	/*
	 * What the handshake sent (under @lock), checked by the first
	 * decision on the connection while @hs_check is set: the peer
	 * decides on it (harepl_gens_recheck()).
	 */
	struct harepl_hs_sent hs_sent;
	bool hs_check;
	bool hs_rejected;		/* that check failed: no decision, no dispatch */
	/* installed, first decision not made: status shows Connecting */
	bool deciding;
	struct mutex decide_mutex;	/* one decision at a time */
	bool split_brain;		/* reconnect only after CONNECT */
	bool discard_my_data;		/* until the first decision */
	enum harepl_sb_result sb_result; /* the last split-brain decision */
	char sb_reason[160];		/* and why, for HAREPL_PEER_A_SB_REASON */

	/* resync and verify, see resync.c */
	struct task_struct *rs_thread;	/* the source's sender */
	bool rs_full;			/* every chunk */
	bool rs_csums;			/* checksums first */
	bool rs_verify;			/* compare only */
	bool rs_got_bitmap;		/* the target's BITMAP is merged */
	bool rs_running;		/* @rs_thread has work */
	atomic_t rs_inflight;
	wait_queue_head_t rs_wq;
	struct xarray rs_reqs;		/* seq -> xa_mk_value(range) */
	spinlock_t rs_lock;		/* bits marked vs bits cleared by ACKs */
	u64 rs_seq;
	atomic64_t rs_total;		/* bytes, at the start */
	atomic64_t rs_done;
	atomic64_t rs_bytes;		/* payload bytes since CONNECT */
	atomic64_t verify_diff;
	u64 rs_rate;			/* bytes/s, recent */
	unsigned long rs_tgt_report;	/* target: last rate update, jiffies */
	u64 rs_tgt_done;		/* target: @rs_done then */
	unsigned long rs_start;
};

int harepl_connect(struct harepl_resource *res,
		   const struct sockaddr_storage *local, int local_len,
		   const u8 *secret, unsigned int secret_len,
		   const struct harepl_peer_conf *confs, unsigned int n,
		   struct netlink_ext_ack *extack);
void harepl_disconnect(struct harepl_resource *res);

enum harepl_conn_state harepl_peer_state(struct harepl_peer *peer);
enum harepl_conn_state harepl_peer_shown_state(struct harepl_peer *peer);

/* harepl_peer_shown_state() for a caller that holds @peer->lock */
static inline enum harepl_conn_state
harepl_peer_shown_state_locked(struct harepl_peer *peer)
{
	lockdep_assert_held(&peer->lock);
	if (peer->state == HAREPL_CONN_CONNECTED && peer->deciding)
		return HAREPL_CONN_CONNECTING;
	return peer->state;
}

struct harepl_peer *harepl_peer_find(struct harepl_resource *res, u32 id);
u32 harepl_peer_inflight(struct harepl_peer *peer);
s64 harepl_peer_oos_bytes(struct harepl_peer *peer);
bool harepl_peers_have_primary(struct harepl_resource *res);
bool harepl_peers_syncing_to_us(struct harepl_resource *res);
void harepl_peers_send_state(struct harepl_resource *res);
int harepl_send_state(struct harepl_peer *peer);
void harepl_peer_mark_oos(struct harepl_peer *peer, sector_t sector,
			  unsigned int sectors);
void harepl_peer_drop(struct harepl_peer *peer, const char *why);
void harepl_peer_drop_sock(struct harepl_peer *peer, struct socket *sock,
			   const char *why);

/* Connected, or Ahead for a peer that went Ahead on this connection; @lock held */
static inline enum harepl_conn_state harepl_peer_idle_state(struct harepl_peer *peer)
{
	return peer->ahead ? HAREPL_CONN_AHEAD : HAREPL_CONN_CONNECTED;
}

/* Done by ack_work, off the receive thread */
enum harepl_ctl {
	HAREPL_CTL_PING,	/* send a PING */
	HAREPL_CTL_PONG,	/* answer one */
	HAREPL_CTL_EVENT,	/* report a state change */
	HAREPL_CTL_DECIDE,	/* compare generation ids again */
	HAREPL_CTL_STATE,	/* send our STATE */
	HAREPL_CTL_GENS,	/* send our GENS */
};

/* @rs_reqs marks: a write made since, keep its bits; a CSUM request */
#define HAREPL_RS_STALE		XA_MARK_0
#define HAREPL_RS_CSUM		XA_MARK_1

/* An async entry in @inflight: sector << HAREPL_ASYNC_LEN_BITS | sectors */
#define HAREPL_ASYNC_LEN_BITS	23
#define HAREPL_ASYNC_MAX_SECTOR	(1ULL << (BITS_PER_LONG - 2 - HAREPL_ASYNC_LEN_BITS))

void harepl_queue_ctl(struct harepl_peer *peer, int what);
void harepl_async_done(struct harepl_peer *peer, void *entry, bool failed);
void harepl_inflight_lost(struct harepl_peer *peer, void *entry);

/* send.c */
int harepl_send_packet(struct harepl_peer *peer, u16 type, u16 flags,
		       u64 seq, u64 sector, u32 size, s32 status,
		       const void *payload, u32 len);
int harepl_send_pages(struct harepl_peer *peer, u16 type, u64 seq, u64 sector,
		      struct page **pages, u32 len);
void harepl_replicate(struct harepl_resource *res, struct harepl_req *req);
void harepl_send_work(struct work_struct *work);
void harepl_sq_fail(struct harepl_peer *peer);
u32 harepl_sq_count(struct harepl_peer *peer);
void harepl_ack_work(struct work_struct *work);

#define HAREPL_SQ_SIZE	1024	/* entries in a peer's send queue */
extern struct workqueue_struct *harepl_send_wq;

/* receive.c */
int harepl_recv_full(struct socket *sock, void *buf, size_t len,
		     unsigned long deadline, bool started);
int harepl_recv_hdr(struct socket *sock, struct harepl_wire_hdr *hdr,
		    unsigned long deadline, bool started, const char **why);
void harepl_receive_loop(struct harepl_peer *peer);
int harepl_recv_payload(struct harepl_peer *peer, void *buf, u32 len);
void harepl_wait_applied(struct harepl_peer *peer, int below);
struct harepl_rreq;
void harepl_queue_ack(struct harepl_peer *peer, struct harepl_rreq *rr);

/* handshake.c */
/* What the handshake learnt about the peer */
struct harepl_hs_result {
	struct harepl_peer *peer;
	enum harepl_role role;
	enum harepl_disk_state disk;
	u32 mode;			/* the peer's enum harepl_mode to us */
	struct harepl_gens gens;
	struct harepl_hs_sent sent;	/* what we told it */
};

int harepl_handshake(struct harepl_resource *res, struct socket *sock,
		     struct harepl_peer *expect, struct harepl_hs_result *hs,
		     const char *addr);
int harepl_send_wake(struct harepl_resource *res, struct socket *sock,
		     struct harepl_peer *peer);
bool harepl_peer_dials(struct harepl_peer *peer);
bool harepl_peer_wake(struct harepl_peer *peer);

#endif
