// SPDX-License-Identifier: GPL-2.0
/*
 * The handshake on a new connection, the same on both ends: HELLO (version
 * range, node ids, nonce), AUTH (HMAC-SHA256 over the peer's nonce with the
 * shared secret: the secret never crosses the wire), STATE (role, disk,
 * size). Whoever refuses says why in an ERROR packet and in its log.
 */

#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <linux/crc32c.h>
#include <linux/random.h>
#include <net/sock.h>
#include "peer.h"
#include "sync.h"
#include "resource.h"

static const char harepl_auth_label[] = "harepl-auth-v1";

static int harepl_mac(struct harepl_resource *res, const u8 *nonce, u32 node,
		      u8 *mac)
{
	SHASH_DESC_ON_STACK(desc, res->hmac);
	__be32 id = cpu_to_be32(node);
	int ret;

	desc->tfm = res->hmac;
	ret = crypto_shash_init(desc) ?:
	      crypto_shash_update(desc, harepl_auth_label, sizeof(harepl_auth_label) - 1) ?:
	      crypto_shash_update(desc, nonce, HAREPL_WIRE_NONCE_LEN) ?:
	      crypto_shash_update(desc, (u8 *)&id, sizeof(id)) ?:
	      crypto_shash_final(desc, mac);
	shash_desc_zero(desc);
	return ret;
}

/* Sends one handshake packet on a socket that has no peer yet. */
static int harepl_hs_send_flags(struct socket *sock, u16 type, u16 flags,
				const void *p, u32 len)
{
	struct {
		struct harepl_wire_hdr hdr;
		u8 payload[MAX(sizeof(struct harepl_wire_hello),
			       sizeof(struct harepl_wire_gens))];
	} __packed buf = {};
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	struct kvec iov = { .iov_base = &buf, .iov_len = sizeof(buf.hdr) + len };
	int ret;

	if (WARN_ON_ONCE(len > sizeof(buf.payload)))
		return -EINVAL;
	buf.hdr.magic = cpu_to_be32(HAREPL_WIRE_MAGIC);
	buf.hdr.type = cpu_to_be16(type);
	buf.hdr.flags = cpu_to_be16(flags);
	buf.hdr.length = cpu_to_be32(len);
	buf.hdr.hdr_csum = cpu_to_be32(crc32c(~0U, &buf.hdr, sizeof(buf.hdr)));
	memcpy(buf.payload, p, len);
	ret = kernel_sendmsg(sock, &msg, &iov, 1, iov.iov_len);
	return ret == iov.iov_len ? 0 : (ret < 0 ? ret : -EPIPE);
}

static int harepl_hs_send(struct socket *sock, u16 type, const void *p, u32 len)
{
	return harepl_hs_send_flags(sock, type, 0, p, len);
}

static void harepl_hs_refuse(struct socket *sock, u32 code, const char *reason)
{
	struct harepl_wire_error err = { .code = cpu_to_be32(code) };

	strscpy(err.reason, reason, sizeof(err.reason));
	harepl_hs_send(sock, HAREPL_WIRE_ERROR, &err, sizeof(err));
}

/* The peer's reason for refusing us, kept for the log */
struct harepl_hs {
	unsigned long deadline;		/* for the whole handshake */
	u16 flags;			/* of the last packet received */
	bool woken;			/* it was a wake-up (F_WAKE) */
	struct harepl_wire_error err;
};

/* Receives a handshake packet of @type and exactly @len bytes. */
static int harepl_hs_recv(struct socket *sock, struct harepl_hs *hs, u16 type,
			  void *p, u32 len, const char **why)
{
	struct harepl_wire_hdr hdr;
	int ret;

	ret = harepl_recv_hdr(sock, &hdr, hs->deadline, true, why);
	if (ret)
		return ret;
	if (be16_to_cpu(hdr.type) == HAREPL_WIRE_ERROR &&
	    be32_to_cpu(hdr.length) == sizeof(hs->err) &&
	    !harepl_recv_full(sock, &hs->err, sizeof(hs->err), hs->deadline, true)) {
		hs->err.reason[sizeof(hs->err.reason) - 1] = '\0';
		*why = hs->err.reason[0] ? hs->err.reason : "refused by the peer";
		return -ECONNREFUSED;
	}
	if (be16_to_cpu(hdr.type) != type || be32_to_cpu(hdr.length) != len) {
		*why = "unexpected packet during the handshake";
		return -EPROTO;
	}
	hs->flags = be16_to_cpu(hdr.flags);
	ret = harepl_recv_full(sock, p, len, hs->deadline, true);
	if (ret)
		*why = "truncated handshake packet";
	return ret;
}

static void harepl_hello_fill(struct harepl_resource *res,
			      struct harepl_peer *expect, u8 *nonce,
			      struct harepl_wire_hello *me)
{
	memset(me, 0, sizeof(*me));
	me->version_min = cpu_to_be32(HAREPL_WIRE_VERSION_MIN);
	me->version_max = cpu_to_be32(HAREPL_WIRE_VERSION_MAX);
	me->node_id = cpu_to_be32(res->md.node_id);
	me->peer_node_id = cpu_to_be32(expect ? expect->conf.node_id : U32_MAX);
	get_random_bytes(nonce, HAREPL_WIRE_NONCE_LEN);
	memcpy(me->nonce, nonce, HAREPL_WIRE_NONCE_LEN);
	strscpy(me->resource, res->name, sizeof(me->resource));
}

static int harepl_hs_hello(struct harepl_resource *res, struct socket *sock,
			   struct harepl_hs *hs, struct harepl_peer *expect,
			   struct harepl_peer **found, u8 *nonce, u8 *peer_nonce,
			   const char **why)
{
	struct harepl_wire_hello me, him;
	u32 lo, hi, id;
	int ret;

	harepl_hello_fill(res, expect, nonce, &me);
	ret = harepl_hs_send(sock, HAREPL_WIRE_HELLO, &me, sizeof(me)) ?:
	      harepl_hs_recv(sock, hs, HAREPL_WIRE_HELLO, &him, sizeof(him), why);
	if (ret)
		return ret;

	lo = max_t(u32, HAREPL_WIRE_VERSION_MIN, be32_to_cpu(him.version_min));
	hi = min_t(u32, HAREPL_WIRE_VERSION_MAX, be32_to_cpu(him.version_max));
	if (lo > hi) {
		*why = "no common protocol version";
		harepl_hs_refuse(sock, HAREPL_WIRE_E_VERSION, *why);
		return -EPROTO;
	}
	him.resource[sizeof(him.resource) - 1] = '\0';
	id = be32_to_cpu(him.node_id);
	*found = expect ? expect : harepl_peer_find(res, id);
	if (strcmp(him.resource, res->name) || !*found ||
	    (*found)->conf.node_id != id ||
	    (be32_to_cpu(him.peer_node_id) != U32_MAX &&
	     be32_to_cpu(him.peer_node_id) != res->md.node_id)) {
		*why = "unknown resource or node id";
		harepl_hs_refuse(sock, HAREPL_WIRE_E_PEER, *why);
		return -EPROTO;
	}
	if (hs->flags & HAREPL_WIRE_F_WAKE) {
		/*
		 * Unauthenticated, and all it does is make us dial the peer
		 * it names, as we would anyway: at most one dial per wake-up,
		 * the worker backs off again if that fails.
		 */
		if (expect || !harepl_peer_dials(*found)) {
			*why = "a wake-up from a peer that should connect itself";
			harepl_hs_refuse(sock, HAREPL_WIRE_E_PROTOCOL, *why);
			return -EPROTO;
		}
		*why = harepl_peer_wake(*found) ? "woken" : NULL;
		hs->woken = true;
		return -ECANCELED;
	}
	memcpy(peer_nonce, him.nonce, HAREPL_WIRE_NONCE_LEN);
	return 0;
}

/**
 * harepl_send_wake() - tell a peer that dials us to do so now
 * @res: the resource
 * @sock: a connection to @peer's address
 * @peer: a peer with the lower node id, which dials us
 *
 * Sends a HELLO with %HAREPL_WIRE_F_WAKE, reads the peer's HELLO and then
 * waits for the peer to close, or for its ERROR if it refuses the wake-up
 * (logged); a second in all, plus a receive slice.
 *
 * Return: 0 when the peer closed after its HELLO, else a negative errno.
 */
int harepl_send_wake(struct harepl_resource *res, struct socket *sock,
		     struct harepl_peer *peer)
{
	struct harepl_hs hs = { .deadline = jiffies + HZ };
	struct harepl_wire_hello me, him;
	u8 nonce[HAREPL_WIRE_NONCE_LEN];
	const char *why;
	int ret;

	harepl_hello_fill(res, peer, nonce, &me);
	ret = harepl_hs_send_flags(sock, HAREPL_WIRE_HELLO, HAREPL_WIRE_F_WAKE,
				   &me, sizeof(me)) ?:
	      harepl_hs_recv(sock, &hs, HAREPL_WIRE_HELLO, &him, sizeof(him),
			     &why);
	if (ret)
		return ret;
	/* nothing more follows but an ERROR: EOF is the answer we want */
	ret = harepl_hs_recv(sock, &hs, HAREPL_WIRE_HELLO, &him, sizeof(him),
			     &why);
	if (ret == -ECONNREFUSED)
		pr_warn_ratelimited("%s: peer %s refused our wake-up: %s\n",
				    res->name, peer->addr_str, why);
	return ret == -ECONNRESET ? 0 : ret;
}

static int harepl_hs_auth(struct harepl_resource *res, struct socket *sock,
			  struct harepl_hs *hs, struct harepl_peer *peer,
			  const u8 *nonce, const u8 *peer_nonce, const char **why)
{
	u8 mac[HAREPL_WIRE_MAC_LEN], his[HAREPL_WIRE_MAC_LEN];
	int ret;

	ret = harepl_mac(res, peer_nonce, res->md.node_id, mac) ?:
	      harepl_hs_send(sock, HAREPL_WIRE_AUTH, mac, sizeof(mac)) ?:
	      harepl_hs_recv(sock, hs, HAREPL_WIRE_AUTH, his, sizeof(his), why) ?:
	      harepl_mac(res, nonce, peer->conf.node_id, mac);
	if (!ret && crypto_memneq(mac, his, sizeof(mac))) {
		*why = "authentication failed (wrong shared secret?)";
		harepl_hs_refuse(sock, HAREPL_WIRE_E_AUTH, "authentication failed");
		ret = -EACCES;
	}
	memzero_explicit(mac, sizeof(mac));
	return ret;
}

static int harepl_hs_state(struct harepl_resource *res, struct socket *sock,
			   struct harepl_hs *hs, struct harepl_hs_result *out,
			   const char **why)
{
	struct harepl_peer *peer = out->peer;
	struct harepl_wire_state me = {}, him;
	u32 role, disk;
	int ret;

	out->sent.role = READ_ONCE(res->role);
	out->sent.disk = READ_ONCE(res->disk);
	me.role = cpu_to_be32(out->sent.role);
	me.disk = cpu_to_be32(out->sent.disk);
	me.mode = cpu_to_be32(peer->conf.mode);
	me.size = cpu_to_be64(res->md.data_sectors);
	ret = harepl_hs_send(sock, HAREPL_WIRE_STATE, &me, sizeof(me)) ?:
	      harepl_hs_recv(sock, hs, HAREPL_WIRE_STATE, &him, sizeof(him), why);
	if (ret)
		return ret;
	role = be32_to_cpu(him.role);
	disk = be32_to_cpu(him.disk);
	if (role > HAREPL_ROLE_MAX || disk > HAREPL_DISK_MAX ||
	    be32_to_cpu(him.mode) > HAREPL_MODE_MAX) {
		*why = "bad role, disk state or mode";
		harepl_hs_refuse(sock, HAREPL_WIRE_E_PROTOCOL, *why);
		return -EPROTO;
	}
	if (be64_to_cpu(him.size) < res->md.data_sectors) {
		*why = "peer's device is smaller than ours";
		harepl_hs_refuse(sock, HAREPL_WIRE_E_SIZE, *why);
		return -EPROTO;
	}
	if (role == HAREPL_ROLE_PRIMARY && READ_ONCE(res->role) == HAREPL_ROLE_PRIMARY) {
		/* both wrote without the other: a split brain */
		*why = "both nodes are primary (split brain)";
		harepl_hs_refuse(sock, HAREPL_WIRE_E_ROLE, *why);
		harepl_sync_note_split(peer);
		return -EPROTO;
	}
	out->role = role;
	out->disk = disk;
	out->mode = be32_to_cpu(him.mode);
	return 0;
}

static int harepl_hs_gens(struct harepl_resource *res, struct socket *sock,
			  struct harepl_hs *hs, struct harepl_hs_result *out,
			  const char **why)
{
	struct harepl_wire_gens me, him;
	int ret;

	harepl_gens_fill(out->peer, &me, 0, &out->sent.gens);
	ret = harepl_hs_send(sock, HAREPL_WIRE_GENS, &me, sizeof(me)) ?:
	      harepl_hs_recv(sock, hs, HAREPL_WIRE_GENS, &him, sizeof(him), why);
	if (ret)
		return ret;
	*why = harepl_gens_parse(res, &him, &out->gens);
	if (*why) {
		harepl_hs_refuse(sock, HAREPL_WIRE_E_PROTOCOL, *why);
		return -EPROTO;
	}
	out->sent.his = out->gens;
	return 0;
}

/**
 * harepl_handshake() - authenticate a new connection and find its peer
 * @res: the resource, with @res->conf_mutex's peers stable (the caller is
 *	one of the resource's threads, stopped before the peers change)
 * @sock: the connection, with send and receive timeouts set
 * @expect: the peer we connected to, or NULL for an accepted connection
 * @out: the peer and its state on success
 * @addr: the remote address, for messages
 *
 * The whole handshake must complete within HAREPL_HANDSHAKE_TIMEOUT.
 *
 * Return: 0, or a negative errno after logging why; -ECANCELED for a wake-up
 * (%HAREPL_WIRE_F_WAKE) from a peer we dial, logged if it made us dial.
 */
int harepl_handshake(struct harepl_resource *res, struct socket *sock,
		     struct harepl_peer *expect, struct harepl_hs_result *out,
		     const char *addr)
{
	u8 nonce[HAREPL_WIRE_NONCE_LEN], peer_nonce[HAREPL_WIRE_NONCE_LEN];
	struct harepl_hs hs = { .deadline = jiffies + HAREPL_HANDSHAKE_TIMEOUT };
	const char *why = "send failed";
	int ret;

	memset(out, 0, sizeof(*out));
	ret = harepl_hs_hello(res, sock, &hs, expect, &out->peer, nonce,
			      peer_nonce, &why) ?:
	      harepl_hs_auth(res, sock, &hs, out->peer, nonce, peer_nonce, &why) ?:
	      harepl_hs_state(res, sock, &hs, out, &why) ?:
	      harepl_hs_gens(res, sock, &hs, out, &why);
	if (hs.woken) {
		/* no reason: ignored (see harepl_peer_wake()) */
		if (why)
			pr_info_ratelimited("%s: peer %s says it is listening (from %s): connecting to it now\n",
					    res->name, out->peer->addr_str, addr);
	} else if (ret == -ECONNREFUSED) {
		pr_warn_ratelimited("%s: peer %s refused the connection: %s\n",
				    res->name, addr, why);
	} else if (ret) {
		pr_warn_ratelimited("%s: peer %s: handshake failed: %s\n",
				    res->name, addr, why);
	}
	return ret;
}
