// SPDX-License-Identifier: GPL-2.0
/*
 * Replication connections: the HAREPL_CMD_CONNECT request built from the
 * configuration, and HAREPL_CMD_DISCONNECT.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netlink/attr.h>

#include "conn.h"
#include "util.h"

static int put_addr(struct nl_msg *msg, int type, const struct addr *a)
{
	return nla_put(msg, type, (int)a->len, &a->sa);
}

/* One nested attribute of type 0 in HAREPL_A_RES_PEERS */
static int put_peer(struct nl_msg *msg, const struct conf_peer *p)
{
	struct nlattr *nest = nla_nest_start(msg, NLA_F_NESTED);

	if (!nest || nla_put_u32(msg, HAREPL_PEER_A_NODE_ID, p->node_id) ||
	    put_addr(msg, HAREPL_PEER_A_ADDR, &p->addr) ||
	    nla_put_u32(msg, HAREPL_PEER_A_MODE, p->mode) ||
	    nla_put_u32(msg, HAREPL_PEER_A_TIMEOUT_MS, p->timeout_ms) ||
	    nla_put_u32(msg, HAREPL_PEER_A_SNDBUF, p->sndbuf) ||
	    nla_put_u32(msg, HAREPL_PEER_A_ON_CONGESTION, p->on_congestion) ||
	    (p->resync_rate_line &&
	     nla_put_u32(msg, HAREPL_PEER_A_RESYNC_RATE_MAX, p->resync_rate)) ||
	    (p->csums_line && nla_put_u32(msg, HAREPL_PEER_A_CSUMS, p->csums)) ||
	    (p->after_sb_line &&
	     nla_put_u32(msg, HAREPL_PEER_A_AFTER_SB, p->after_sb)))
		return -ENOMEM;
	return nla_nest_end(msg, nest) ? -ENOMEM : 0;
}

int conn_put(struct nl_msg *msg, const struct conf *c)
{
	struct nlattr *peers;
	unsigned int i;

	if (nla_put_string(msg, HAREPL_A_RES_NAME, c->name) ||
	    put_addr(msg, HAREPL_A_RES_LOCAL_ADDR, &c->addr) ||
	    (c->secret_len &&
	     nla_put(msg, HAREPL_A_RES_SECRET, (int)c->secret_len, c->secret)) ||
	    (c->discard_my_data &&
	     nla_put_u32(msg, HAREPL_A_CONNECT_FLAGS, HAREPL_CONNECT_F_DISCARD_MY_DATA)) ||
	    (c->fencing_line && nla_put_u32(msg, HAREPL_A_RES_FENCING, c->fencing)) ||
	    (c->fence_handler &&
	     nla_put_string(msg, HAREPL_A_RES_FENCE_HANDLER, c->fence_handler)))
		return -ENOMEM;
	peers = nla_nest_start(msg, HAREPL_A_RES_PEERS | NLA_F_NESTED);
	if (!peers)
		return -ENOMEM;
	for (i = 0; i < c->npeers; i++) {
		if (put_peer(msg, &c->peers[i]))
			return -ENOMEM;
	}
	return nla_nest_end(msg, peers) ? -ENOMEM : 0;
}

#define NO_REPL "the harepl kernel module does not replicate (too old?)"
#define NO_JOBS "the harepl kernel module cannot resync, verify or invalidate (too old?)"

/* Sends msg unless building it failed (err); EOPNOTSUPP is explained as unsupported */
static int request(struct genl *g, struct nl_msg *msg, int err, struct genl_reply *r,
		   const char *unsupported)
{
	if (!msg || err) {
		nlmsg_free(msg);
		memset(r, 0, sizeof(*r));
		r->error = -ENOMEM;
		snprintf(r->msg, sizeof(r->msg), "cannot build the request");
		return r->error;
	}
	err = genl_call(g, msg, NULL, NULL, r);
	if (err == -EOPNOTSUPP && !r->msg[0])
		snprintf(r->msg, sizeof(r->msg), "%s", unsupported);
	return err;
}

int conn_connect(struct genl *g, const struct conf *c, struct genl_reply *r)
{
	struct nl_msg *msg = genl_new(g, HAREPL_CMD_CONNECT, 0);
	int err = msg ? conn_put(msg, c) : 0;

	err = request(g, msg, err, r, NO_REPL);
	if (err == -EBUSY && !r->msg[0])
		snprintf(r->msg, sizeof(r->msg), "already connected; disconnect first");
	return err;
}

int conn_disconnect(struct genl *g, const char *name, struct genl_reply *r)
{
	struct nl_msg *msg = genl_new(g, HAREPL_CMD_DISCONNECT, 0);
	int err = msg ? nla_put_string(msg, HAREPL_A_RES_NAME, name) : 0;

	return request(g, msg, err, r, NO_REPL);
}

int conn_job(struct genl *g, uint8_t cmd, const char *name, const uint32_t *peer,
	     struct genl_reply *r)
{
	struct nl_msg *msg = genl_new(g, cmd, 0);
	int err = msg ? nla_put_string(msg, HAREPL_A_RES_NAME, name) : 0;

	if (msg && !err && peer)
		err = nla_put_u32(msg, HAREPL_A_PEER_ID, *peer);
	return request(g, msg, err, r, NO_JOBS);
}

void conn_print_connecting(const struct conf *c)
{
	char a[ADDR_BUF];

	printf("%s: connecting to %u peer%s from %s\n", c->name, c->npeers,
	       c->npeers == 1 ? "" : "s", addr_fmt(a, &c->addr));
}
