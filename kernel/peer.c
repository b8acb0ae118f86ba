// SPDX-License-Identifier: GPL-2.0
/*
 * Peers and their connections. Each node listens on its address; of two
 * nodes, the one with the lower node id connects to the other. A second
 * connection (a peer that dials anyway) is closed. A worker thread per
 * peer connects (with bounded, jittered backoff) or waits for the
 * listener, then receives on the connection until it ends, then cleans up
 * and starts again. A listener thread per resource
 * accepts and handshakes incoming connections.
 */

#include <crypto/hash.h>
#include <linux/inet.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <net/sock.h>
#include <net/tcp.h>
#include "fence.h"
#include "peer.h"
#include "receive.h"
#include "req.h"
#include "resource.h"
#include "sync.h"

#define HAREPL_CONNECT_TIMEOUT	(HZ)
#define HAREPL_BACKOFF_MIN	(HZ / 10)
#define HAREPL_BACKOFF_MAX	(5 * HZ)
#define HAREPL_WAKE_MIN		HZ	/* between two wake-ups honoured */

enum harepl_conn_state harepl_peer_state(struct harepl_peer *peer)
{
	enum harepl_conn_state st;

	spin_lock(&peer->lock);
	st = peer->state;
	spin_unlock(&peer->lock);
	return st;
}

/*
 * The state status and dm status report: Connecting, not Connected, until
 * the connection's first decision is made. A stale node would otherwise
 * show Connected and UpToDate, what a cluster manager promotes, until it
 * turns SyncTarget (a metadata write later). Events come after the
 * decision anyway.
 */
enum harepl_conn_state harepl_peer_shown_state(struct harepl_peer *peer)
{
	enum harepl_conn_state st;

	spin_lock(&peer->lock);
	st = harepl_peer_shown_state_locked(peer);
	spin_unlock(&peer->lock);
	return st;
}

/* Writes queued for the peer or sent to it, and not yet acknowledged */
u32 harepl_peer_inflight(struct harepl_peer *peer)
{
	unsigned long idx;
	void *entry;
	u32 n = 0;

	xa_for_each(&peer->inflight, idx, entry)
		n++;
	return n + harepl_sq_count(peer);
}

s64 harepl_peer_oos_bytes(struct harepl_peer *peer)
{
	return harepl_bm_count(peer->res, peer->slot) *
	       ((s64)peer->res->md.chunk_sectors << SECTOR_SHIFT);
}

/* Asks ack_work to do @what (enum harepl_ctl). Any context. */
void harepl_queue_ctl(struct harepl_peer *peer, int what)
{
	set_bit(what, &peer->ctl);
	mod_delayed_work(system_highpri_wq, &peer->ack_work, 0);
}

/*
 * An async write the peer acknowledged (@failed: with an error, or never):
 * record it out of sync if need be, then let its write-intent extent go.
 */
void harepl_async_done(struct harepl_peer *peer, void *entry, bool failed)
{
	unsigned long v = xa_to_value(entry);
	sector_t sector = v >> HAREPL_ASYNC_LEN_BITS;
	unsigned int sectors = v & ((1UL << HAREPL_ASYNC_LEN_BITS) - 1);

	if (failed)
		harepl_peer_mark_oos(peer, sector, sectors);
	if (sectors)
		harepl_al_put(peer->res, sector, sectors);
}

/*
 * A write in @inflight (taken out of it by the caller) whose ACK will never
 * come: out of sync, and whoever waits for it stops waiting.
 */
void harepl_inflight_lost(struct harepl_peer *peer, void *entry)
{
	struct harepl_req *req = entry;

	if (xa_is_value(entry)) {
		harepl_async_done(peer, entry, true);
		return;
	}
	harepl_peer_mark_oos(peer, req->sector, req->sectors);
	harepl_req_put(req);
}

/*
 * Records a region out of sync. A resync request in flight on it must not
 * clear those bits when its ACK comes (it carried older data): it is
 * marked stale, under @rs_lock, which ACKs take to clear.
 */
void harepl_peer_mark_oos(struct harepl_peer *peer, sector_t sector,
			  unsigned int sectors)
{
	unsigned long idx, v;
	sector_t s;
	void *entry;

	spin_lock(&peer->rs_lock);
	harepl_bm_set(peer->res, peer->slot, sector, sectors);
	xa_for_each(&peer->rs_reqs, idx, entry) {
		v = xa_to_value(entry);
		s = v >> HAREPL_ASYNC_LEN_BITS;
		if (s < sector + sectors &&
		    sector < s + (v & ((1UL << HAREPL_ASYNC_LEN_BITS) - 1)))
			xa_set_mark(&peer->rs_reqs, idx, HAREPL_RS_STALE);
	}
	spin_unlock(&peer->rs_lock);
}

/*
 * Ends the connection; the worker notices and cleans up. Process context,
 * without @send_mutex: shutting a socket down may sleep, so @drop_mutex
 * (which teardown holds while it takes the socket away), not @lock, keeps
 * the socket alive meanwhile.
 */
void harepl_peer_drop(struct harepl_peer *peer, const char *why)
{
	harepl_peer_drop_sock(peer, NULL, why);
}

/* The same, if the connection is still @sock (NULL: whichever it is) */
void harepl_peer_drop_sock(struct harepl_peer *peer, struct socket *expect,
			   const char *why)
{
	struct socket *sock;

	mutex_lock(&peer->drop_mutex);
	spin_lock(&peer->lock);
	sock = peer->sock;
	spin_unlock(&peer->lock);
	if (sock && (!expect || sock == expect)) {
		pr_warn_ratelimited("%s: peer %s: dropping connection: %s\n",
				    peer->res->name, peer->addr_str, why);
		kernel_sock_shutdown(sock, SHUT_RDWR);
	}
	mutex_unlock(&peer->drop_mutex);
}

bool harepl_peers_have_primary(struct harepl_resource *res)
{
	struct harepl_peer *peer;
	bool primary = false;
	unsigned int i;

	down_read(&res->peers_rwsem);
	for (i = 0; i < res->npeers; i++) {
		peer = res->peers[i];
		spin_lock(&peer->lock);
		primary |= peer->have_state && peer->peer_role == HAREPL_ROLE_PRIMARY;
		spin_unlock(&peer->lock);
	}
	up_read(&res->peers_rwsem);
	return primary;
}

/* Is a peer sending us a resync (we are its SyncTarget)? */
bool harepl_peers_syncing_to_us(struct harepl_resource *res)
{
	bool syncing = false;
	unsigned int i;

	down_read(&res->peers_rwsem);
	for (i = 0; i < res->npeers; i++)
		syncing |= harepl_peer_state(res->peers[i]) == HAREPL_CONN_SYNC_TARGET;
	up_read(&res->peers_rwsem);
	return syncing;
}

/* Tells @peer our role and disk state. */
int harepl_send_state(struct harepl_peer *peer)
{
	struct harepl_resource *res = peer->res;
	struct harepl_wire_state st = {};

	st.role = cpu_to_be32(READ_ONCE(res->role));
	st.disk = cpu_to_be32(READ_ONCE(res->disk));
	st.size = cpu_to_be64(res->md.data_sectors);
	st.mode = cpu_to_be32(peer->conf.mode);
	return harepl_send_packet(peer, HAREPL_WIRE_STATE, 0, 0, 0, 0, 0,
				  &st, sizeof(st));
}

/* The peer with node id @id (caller keeps the peers stable), or NULL */
struct harepl_peer *harepl_peer_find(struct harepl_resource *res, u32 id)
{
	unsigned int i;

	for (i = 0; i < res->npeers; i++)
		if (res->peers[i]->conf.node_id == id)
			return res->peers[i];
	return NULL;
}

/* Tells every connected peer our role and disk state. */
void harepl_peers_send_state(struct harepl_resource *res)
{
	unsigned int i;

	down_read(&res->peers_rwsem);
	for (i = 0; i < res->npeers; i++)
		harepl_send_state(res->peers[i]);
	up_read(&res->peers_rwsem);
}

/* A new connection, for the handshake: short receive slices */
static void harepl_sock_setup(struct socket *sock)
{
	struct sock *sk = sock->sk;

	sk->sk_allocation = GFP_NOIO;
	sk->sk_use_task_frag = false;
	sk->sk_sndtimeo = HAREPL_HANDSHAKE_TIMEOUT;
	sk->sk_rcvtimeo = HAREPL_RECV_SLICE;
	tcp_sock_set_nodelay(sk);
}

/* Settings for an established connection */
static void harepl_sock_connected(struct harepl_peer *peer, struct socket *sock)
{
	struct sock *sk = sock->sk;
	unsigned long timeout = msecs_to_jiffies(peer->conf.timeout_ms);

	lock_sock(sk);
	sk->sk_sndtimeo = timeout;
	/* wake up often enough to notice a silent peer in time */
	sk->sk_rcvtimeo = max_t(long, min_t(long, timeout / 8, HAREPL_RECV_SLICE), 1);
	if (peer->conf.mode == HAREPL_MODE_ASYNC) {
		/* the other half is for copies queued for it (send.c) */
		sk->sk_sndbuf = min_t(u32, peer->conf.sndbuf / 2, INT_MAX / 2);
		sk->sk_userlocks |= SOCK_SNDBUF_LOCK;
	}
	release_sock(sk);
}

/* Installs a handshaken connection unless the peer has one already. */
static bool harepl_peer_install(struct harepl_hs_result *hs, struct socket *sock)
{
	struct harepl_peer *peer = hs->peer;
	bool sent_primary = hs->sent.role == HAREPL_ROLE_PRIMARY &&
			    (hs->sent.gens.flags & HAREPL_GENS_PRIMARY);
	enum harepl_hs_recheck recheck;
	bool frozen, promoted, ok;

	/* the last connection's teardown first (the listener may be early) */
	wait_event_timeout(peer->wq, !READ_ONCE(peer->tearing_down),
			   HAREPL_HANDSHAKE_TIMEOUT);
	/* while frozen, the handler (or the admin) decides first */
	frozen = harepl_fence_frozen(peer->res);
	/* the peer decides on the ids we sent: would we decide the same? */
	recheck = harepl_gens_recheck(peer, &hs->sent);
	if (recheck == HAREPL_HS_REFUSE)
		goto changed;
	harepl_sock_connected(peer, sock);
	mutex_lock(&peer->send_mutex);
	spin_lock(&peer->lock);
	/*
	 * A promotion since the recheck: its STATE found no connection
	 * (harepl_send_state() takes send_mutex), and the peer would take
	 * our writes for a secondary's. Under send_mutex, either that STATE
	 * comes after the install or we see the role here.
	 */
	promoted = !sent_primary &&
		   READ_ONCE(peer->res->role) == HAREPL_ROLE_PRIMARY;
	ok = !peer->sock && !peer->stopping && !peer->split_brain && !frozen &&
	     !peer->tearing_down && !promoted;
	if (ok) {
		peer->fence_triggered = false;
		peer->ahead = false;
		peer->sock = sock;
		peer->state = HAREPL_CONN_CONNECTED;
		peer->deciding = true;
		peer->peer_role = hs->role;
		peer->peer_disk = hs->disk;
		WRITE_ONCE(peer->lazy_acks, hs->mode == HAREPL_MODE_ASYNC);
		peer->peer_gens = hs->gens;
		peer->hs_sent = hs->sent;
		peer->hs_check = true;
		peer->hs_rejected = false;
		peer->rs_got_bitmap = false;
		peer->have_state = true;
		spin_lock(&peer->sq_lock);
		peer->epoch++;
		peer->epoch_seen = atomic64_read(&peer->res->write_epoch);
		spin_unlock(&peer->sq_lock);
	}
	spin_unlock(&peer->lock);
	mutex_unlock(&peer->send_mutex);
	if (promoted)
		goto changed;
	if (!ok)
		return false;
	/* what the handshake said of our role and ids is out of date */
	if (recheck == HAREPL_HS_RESEND) {
		pr_info("%s: peer %s: our role or ids changed during the handshake; sending them again\n",
			peer->res->name, peer->addr_str);
		harepl_queue_ctl(peer, HAREPL_CTL_STATE);
		harepl_queue_ctl(peer, HAREPL_CTL_GENS);
	}
	wake_up(&peer->wq);
	return true;

changed:
	pr_warn_ratelimited("%s: peer %s: our ids or role changed during the handshake; connecting again\n",
			    peer->res->name, peer->addr_str);
	return false;
}

/* After the connection ended: fail what waits for it, back to Connecting. */
static void harepl_peer_teardown(struct harepl_peer *peer)
{
	struct harepl_resource *res = peer->res;
	struct socket *sock;
	unsigned long idx;
	void *entry;

	/* before anything waiting for the peer can complete without it */
	harepl_fence_peer_lost(peer);
	mutex_lock(&peer->drop_mutex);
	mutex_lock(&peer->send_mutex);
	spin_lock(&peer->lock);
	sock = peer->sock;
	peer->sock = NULL;
	/* the listener installs nothing before what follows is done */
	peer->tearing_down = true;
	peer->state = peer->split_brain ? HAREPL_CONN_SPLIT_BRAIN :
					  HAREPL_CONN_CONNECTING;
	peer->have_state = false;
	spin_unlock(&peer->lock);
	mutex_unlock(&peer->send_mutex);
	mutex_unlock(&peer->drop_mutex);
	if (sock) {
		kernel_sock_shutdown(sock, SHUT_RDWR);
		sock_release(sock);
	}
	/* writes not sent yet: out of sync; nothing is queued from now on */
	harepl_sq_fail(peer);
	/* writes we received: let them reach our disk, then drop their ACKs */
	wait_event(peer->apply_wq, !atomic_read(&peer->applying));
	flush_delayed_work(&peer->ack_work);
	if (READ_ONCE(res->role) == HAREPL_ROLE_SECONDARY)
		harepl_al_secondary_idle(res);
	/* writes we sent: the peer will never ACK them */
	xa_for_each(&peer->inflight, idx, entry)
		if (xa_erase_bh(&peer->inflight, idx) == entry)
			harepl_inflight_lost(peer, entry);
	/* a resync: what was not acknowledged stays marked */
	harepl_resync_stop(peer);
	xa_for_each(&peer->rs_reqs, idx, entry)
		xa_erase(&peer->rs_reqs, idx);
	atomic_set(&peer->rs_inflight, 0);
	spin_lock(&peer->lock);
	peer->rs_running = false;
	peer->rs_got_bitmap = false;
	spin_unlock(&peer->lock);
	if (sock && READ_ONCE(res->role) == HAREPL_ROLE_PRIMARY)
		harepl_gens_peer_lost(peer);	/* also writes the bitmap */
	else if (sock)
		harepl_bm_flush(res);
	spin_lock(&peer->lock);
	peer->tearing_down = false;
	spin_unlock(&peer->lock);
	wake_up(&peer->wq);
}

static int harepl_sock_new(struct harepl_resource *res, struct socket **sockp)
{
	int ret = sock_create_kern(res->sock_net, res->local_addr.ss_family,
				   SOCK_STREAM, IPPROTO_TCP, sockp);

	if (!ret)
		harepl_sock_setup(*sockp);
	return ret;
}

/* One attempt to connect to the peer and handshake; 0 when installed. */
static int harepl_peer_try_connect(struct harepl_peer *peer)
{
	struct harepl_resource *res = peer->res;
	struct harepl_hs_result hs;
	struct socket *sock;
	int ret;

	ret = harepl_sock_new(res, &sock);
	if (ret)
		return ret;
	sock->sk->sk_sndtimeo = HAREPL_CONNECT_TIMEOUT;
	ret = kernel_connect(sock, (struct sockaddr *)&peer->conf.addr,
			     peer->conf.addrlen, 0);
	sock->sk->sk_sndtimeo = HAREPL_HANDSHAKE_TIMEOUT;
	if (!ret)
		ret = harepl_handshake(res, sock, peer, &hs, peer->addr_str);
	if (!ret && !harepl_peer_install(&hs, sock))
		ret = -EALREADY;
	if (ret)
		sock_release(sock);
	return ret;
}

/* Of two nodes, the one with the lower id connects to the other. */
bool harepl_peer_dials(struct harepl_peer *peer)
{
	return peer->res->md.node_id < peer->conf.node_id;
}

/* Is the connection being dropped (harepl_peer_drop(), or closed by the peer)? */
static bool harepl_peer_dropping(struct harepl_peer *peer)
{
	struct socket *sock = READ_ONCE(peer->sock);

	return !sock || READ_ONCE(sock->sk->sk_shutdown);
}

/*
 * A wake-up from the peer (handshake): dial it now, not after the backoff.
 * False when ignored: connected (the peer will see that connection end,
 * and we dial again at once then), after a split brain (we wait for
 * CONNECT), or within HAREPL_WAKE_MIN of the last one honoured: a wake-up
 * is not authenticated, so a stranger could send them in a loop.
 */
bool harepl_peer_wake(struct harepl_peer *peer)
{
	unsigned long last = READ_ONCE(peer->last_wake);

	if (READ_ONCE(peer->sock) || READ_ONCE(peer->split_brain) ||
	    (last && time_before(jiffies, last + HAREPL_WAKE_MIN)))
		return false;
	WRITE_ONCE(peer->last_wake, jiffies ?: 1);
	WRITE_ONCE(peer->woken, true);
	wake_up(&peer->wq);
	return true;
}

/*
 * The node that does not dial tells the one that does, once, that it
 * listens now (after CONNECT, e.g. at boot): that node's backoff may have
 * grown to HAREPL_BACKOFF_MAX while we were away. Best effort: a peer
 * that is down, or too old to know the wake-up, dials when its backoff
 * ends, as without it.
 */
static void harepl_peer_send_wake(struct harepl_peer *peer)
{
	struct socket *sock;
	int ret;

	ret = harepl_sock_new(peer->res, &sock);
	if (ret)
		return;
	sock->sk->sk_sndtimeo = HAREPL_CONNECT_TIMEOUT;
	ret = kernel_connect(sock, (struct sockaddr *)&peer->conf.addr,
			     peer->conf.addrlen, 0);
	if (!ret)
		ret = harepl_send_wake(peer->res, sock, peer);
	pr_debug("%s: peer %s: wake-up: %d\n", peer->res->name, peer->addr_str,
		 ret);
	sock_release(sock);
}

static int harepl_peer_worker(void *arg)
{
	struct harepl_peer *peer = arg;
	unsigned long backoff = HAREPL_BACKOFF_MIN, wait;

	if (!harepl_peer_dials(peer) && !harepl_fence_frozen(peer->res))
		harepl_peer_send_wake(peer);
	while (!kthread_should_stop()) {
		/*
		 * Only the node with the lower id dials; the other waits for
		 * its listener. Two connections made at once would each be
		 * installed on one side and closed by the other, over and over,
		 * each time after the generation ids were compared. While I/O
		 * is frozen by fencing, no connection at all: the peer comes
		 * back (and is resynced) after the thaw.
		 */
		if (!READ_ONCE(peer->sock) &&
		    (!harepl_peer_dials(peer) || harepl_fence_frozen(peer->res))) {
			wait_event_interruptible_timeout(peer->wq, READ_ONCE(peer->sock) ||
							 kthread_should_stop(), HZ);
			continue;
		}
		WRITE_ONCE(peer->woken, false);
		if (!READ_ONCE(peer->sock) && harepl_peer_try_connect(peer)) {
			wait = backoff / 2 + get_random_u32_below(backoff / 2 + 1);
			wait_event_interruptible_timeout(peer->wq, READ_ONCE(peer->sock) ||
							 READ_ONCE(peer->woken) ||
							 kthread_should_stop(), wait);
			backoff = min(backoff * 2, (unsigned long)HAREPL_BACKOFF_MAX);
			/* the peer says it listens again: dial at once */
			if (READ_ONCE(peer->woken))
				backoff = HAREPL_BACKOFF_MIN;
			continue;
		}
		backoff = HAREPL_BACKOFF_MIN;
		pr_info("%s: peer %s: connected\n", peer->res->name, peer->addr_str);
		/*
		 * Announce the connection once its first decision is made
		 * (unless that dropped it: teardown reports the end): an
		 * event before it would show a stale node Connected and
		 * UpToDate until it turns SyncTarget.
		 */
		harepl_sync_decide(peer);
		/* dropped: Connecting until teardown, which keeps it so */
		if (!harepl_peer_dropping(peer)) {
			spin_lock(&peer->lock);
			peer->deciding = false;
			spin_unlock(&peer->lock);
			harepl_resource_event(peer->res, HAREPL_EVENT_CONN);
		}
		harepl_receive_loop(peer);
		harepl_peer_teardown(peer);
		harepl_resource_event(peer->res, HAREPL_EVENT_CONN);
		/* after a split brain, only disconnect and connect again */
		wait_event_interruptible(peer->wq, !READ_ONCE(peer->split_brain) ||
					 kthread_should_stop());
	}
	return 0;
}

static int harepl_listener(void *arg)
{
	struct harepl_resource *res = arg;
	struct harepl_hs_result hs;
	struct sockaddr_storage ss;
	char addr[56];
	struct socket *sock;
	int ret;

	while (!kthread_should_stop()) {
		ret = kernel_accept(res->listen_sock, &sock, 0);
		if (ret) {
			if (!kthread_should_stop())
				schedule_timeout_interruptible(HZ / 10);
			continue;
		}
		if (harepl_fence_frozen(res)) {
			sock_release(sock);
			continue;
		}
		harepl_sock_setup(sock);
		if (kernel_getpeername(sock, (struct sockaddr *)&ss) > 0)
			snprintf(addr, sizeof(addr), "%pISpc", &ss);
		else
			strscpy(addr, "?", sizeof(addr));
		if (harepl_handshake(res, sock, NULL, &hs, addr) ||
		    !harepl_peer_install(&hs, sock))
			sock_release(sock);
	}
	return 0;
}

static struct harepl_peer *harepl_peer_new(struct harepl_resource *res,
					   const struct harepl_peer_conf *conf,
					   int slot)
{
	struct harepl_peer *peer = kzalloc(sizeof(*peer), GFP_KERNEL);

	if (!peer)
		return NULL;
	peer->rx_vec = kcalloc(HAREPL_WIRE_MAX_DATA / PAGE_SIZE,
			       sizeof(*peer->rx_vec), GFP_KERNEL);
	peer->sq = kvcalloc(HAREPL_SQ_SIZE, sizeof(*peer->sq), GFP_KERNEL);
	peer->sha = crypto_alloc_shash("sha256", 0, 0);
	if (!peer->rx_vec || !peer->sq || IS_ERR(peer->sha)) {
		if (!IS_ERR(peer->sha))
			crypto_free_shash(peer->sha);
		kvfree(peer->sq);
		kfree(peer->rx_vec);
		kfree(peer);
		return NULL;
	}
	peer->slot = slot;
	xa_init(&peer->rs_reqs);
	spin_lock_init(&peer->rs_lock);
	mutex_init(&peer->decide_mutex);
	mutex_init(&peer->drop_mutex);
	init_waitqueue_head(&peer->rs_wq);
	atomic_set(&peer->rs_inflight, 0);
	peer->res = res;
	peer->conf = *conf;
	peer->discard_my_data = conf->discard_my_data;
	snprintf(peer->addr_str, sizeof(peer->addr_str), "%pISpc", &conf->addr);
	spin_lock_init(&peer->lock);
	peer->state = HAREPL_CONN_CONNECTING;
	mutex_init(&peer->send_mutex);
	init_waitqueue_head(&peer->wq);
	init_waitqueue_head(&peer->rx_wq);
	xa_init_flags(&peer->inflight, XA_FLAGS_LOCK_BH);
	atomic_set(&peer->applying, 0);
	init_waitqueue_head(&peer->apply_wq);
	spin_lock_init(&peer->ack_lock);
	INIT_LIST_HEAD(&peer->acks);
	INIT_DELAYED_WORK(&peer->ack_work, harepl_ack_work);
	spin_lock_init(&peer->sq_lock);
	init_waitqueue_head(&peer->sq_wq);
	INIT_WORK(&peer->send_work, harepl_send_work);
	return peer;
}

static void harepl_peer_free(struct harepl_peer *peer)
{
	cancel_work_sync(&peer->send_work);
	cancel_delayed_work_sync(&peer->ack_work);
	harepl_sq_fail(peer);
	kvfree(peer->sq);
	crypto_free_shash(peer->sha);
	kfree(peer->rx_vec);
	xa_destroy(&peer->rs_reqs);
	xa_destroy(&peer->inflight);
	mutex_destroy(&peer->send_mutex);
	kfree(peer);
}

static void harepl_peer_stop(struct harepl_peer *peer)
{
	spin_lock(&peer->lock);
	peer->stopping = true;
	spin_unlock(&peer->lock);
	if (peer->worker) {
		harepl_peer_drop(peer, "disconnecting");
		kthread_stop(peer->worker);
		put_task_struct(peer->worker);
	}
	harepl_peer_teardown(peer);
}

static int harepl_listen(struct harepl_resource *res,
			 struct netlink_ext_ack *extack)
{
	struct socket *sock;
	int ret;

	ret = harepl_sock_new(res, &sock);
	if (ret) {
		NL_SET_ERR_MSG(extack, "cannot create the listening socket");
		return ret;
	}
	sock_set_reuseaddr(sock->sk);
	ret = kernel_bind(sock, (struct sockaddr *)&res->local_addr,
			  res->local_addrlen);
	if (!ret)
		ret = kernel_listen(sock, 16);
	if (ret) {
		NL_SET_ERR_MSG(extack, "cannot listen on the local address");
		sock_release(sock);
		return ret;
	}
	sock->sk->sk_rcvtimeo = MAX_SCHEDULE_TIMEOUT;
	res->listen_sock = sock;
	return 0;
}

static void harepl_stop_listener(struct harepl_resource *res)
{
	if (res->listener) {
		kernel_sock_shutdown(res->listen_sock, SHUT_RDWR);
		kthread_stop(res->listener);
		put_task_struct(res->listener);
		res->listener = NULL;
	}
	if (res->listen_sock) {
		sock_release(res->listen_sock);
		res->listen_sock = NULL;
	}
}

static struct task_struct *harepl_thread(int (*fn)(void *), void *arg,
					 const char *name)
{
	struct task_struct *t = kthread_create(fn, arg, "%s", name);

	if (!IS_ERR(t)) {
		get_task_struct(t);
		wake_up_process(t);
	}
	return t;
}

/**
 * harepl_connect() - start replicating to the configured peers
 * @res: the resource; caller holds @res->conf_mutex
 * @local: address to listen on
 * @local_len: its length
 * @secret: the shared secret (may be empty)
 * @secret_len: its length
 * @confs: the peers
 * @n: how many
 * @extack: for the reason of a refusal
 *
 * Return: 0 or a negative errno with @extack set.
 */
int harepl_connect(struct harepl_resource *res,
		   const struct sockaddr_storage *local, int local_len,
		   const u8 *secret, unsigned int secret_len,
		   const struct harepl_peer_conf *confs, unsigned int n,
		   struct netlink_ext_ack *extack)
{
	struct harepl_peer *peers[HAREPL_MAX_PEERS] = {};
	char name[TASK_COMM_LEN + 16];
	struct task_struct *t;
	unsigned int i;
	int ret, slot;

	lockdep_assert_held(&res->conf_mutex);
	res->hmac = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (IS_ERR(res->hmac)) {
		ret = PTR_ERR(res->hmac);
		res->hmac = NULL;
		NL_SET_ERR_MSG(extack, "hmac(sha256) is not available");
		return ret;
	}
	ret = crypto_shash_setkey(res->hmac, secret, secret_len);
	if (ret) {
		NL_SET_ERR_MSG(extack, "cannot use the shared secret");
		goto err_hmac;
	}
	res->have_secret = secret_len;
	memcpy(&res->local_addr, local, local_len);
	res->local_addrlen = local_len;
	res->sock_net = get_net(current->nsproxy->net_ns);
	ret = harepl_listen(res, extack);
	if (ret)
		goto err_net;
	for (i = 0; i < n; i++) {
		slot = harepl_bm_slot_for(res, confs[i].node_id);
		if (slot < 0) {
			ret = slot;
			if (ret == -E2BIG)
				NL_SET_ERR_MSG(extack,
					       "no free bitmap slot for a peer (create-md --max-peers)");
			else
				NL_SET_ERR_MSG(extack, "cannot give a peer a bitmap slot");
			goto err_peers;
		}
		peers[i] = harepl_peer_new(res, &confs[i], slot);
		if (!peers[i]) {
			ret = -ENOMEM;
			NL_SET_ERR_MSG(extack, "out of memory for the peers");
			goto err_peers;
		}
	}
	down_write(&res->peers_rwsem);
	memcpy(res->peers, peers, sizeof(peers));
	res->npeers = n;
	for (i = 0; i < n; i++)
		if (confs[i].mode == HAREPL_MODE_SYNC)
			WRITE_ONCE(res->sync_peers, true);
	up_write(&res->peers_rwsem);

	snprintf(name, sizeof(name), "harepl-l/%s", res->name);
	t = harepl_thread(harepl_listener, res, name);
	if (IS_ERR(t))
		goto err_threads;
	res->listener = t;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "harepl-p/%s:%u", res->name,
			 peers[i]->conf.node_id);
		t = harepl_thread(harepl_peer_worker, peers[i], name);
		if (IS_ERR(t))
			goto err_threads;
		peers[i]->worker = t;
	}
	if (!secret_len)
		pr_warn("%s: no shared secret: peers are not authenticated\n", res->name);
	pr_info("%s: listening on %pISpc, %u peer%s\n", res->name,
		&res->local_addr, n, n == 1 ? "" : "s");
	return 0;

err_threads:
	ret = PTR_ERR(t);
	NL_SET_ERR_MSG(extack, "cannot start the replication threads");
	harepl_disconnect(res);
	return ret;
err_peers:
	while (i--)
		harepl_peer_free(peers[i]);
	sock_release(res->listen_sock);
	res->listen_sock = NULL;
err_net:
	put_net(res->sock_net);
	res->sock_net = NULL;
err_hmac:
	crypto_free_shash(res->hmac);
	res->hmac = NULL;
	return ret;
}

/* Stops replicating; caller holds @res->conf_mutex. */
void harepl_disconnect(struct harepl_resource *res)
{
	struct harepl_peer *peers[HAREPL_MAX_PEERS];
	unsigned int i, n;

	lockdep_assert_held(&res->conf_mutex);
	if (!res->sock_net)
		return;
	/* the listener looks peers up: stop it before they go */
	harepl_stop_listener(res);
	/* no new writes start sending; the running ones finish first */
	down_write(&res->peers_rwsem);
	n = res->npeers;
	memcpy(peers, res->peers, sizeof(peers));
	res->npeers = 0;
	WRITE_ONCE(res->sync_peers, false);
	memset(res->peers, 0, sizeof(res->peers));
	up_write(&res->peers_rwsem);
	for (i = 0; i < n; i++)
		harepl_peer_stop(peers[i]);
	for (i = 0; i < n; i++)
		harepl_peer_free(peers[i]);
	put_net(res->sock_net);
	res->sock_net = NULL;
	crypto_free_shash(res->hmac);
	res->hmac = NULL;
	pr_info("%s: disconnected\n", res->name);
	harepl_resource_event(res, HAREPL_EVENT_CONN);
}
