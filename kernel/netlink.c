// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "harepl": commands, policies and events. The
 * UAPI header describes every message; this file only implements it.
 */

#include <linux/device-mapper.h>
#include <linux/timekeeping.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include "fence.h"
#include "netlink.h"
#include "peer.h"
#include "resource.h"
#include "sync.h"

static struct genl_family harepl_genl_family;

/* A resource with HAREPL_MAX_PEERS peers takes more than a page */
#define HAREPL_NL_MSG_SIZE	(2 * NLMSG_DEFAULT_SIZE)

static const struct nla_policy harepl_policy[HAREPL_A_MAX + 1] = {
	[HAREPL_A_RES_NAME]	= { .type = NLA_NUL_STRING, .len = HAREPL_NAME_MAX - 1 },
	[HAREPL_A_RES_ROLE]	= NLA_POLICY_MAX(NLA_U32, HAREPL_ROLE_MAX),
	[HAREPL_A_ROLE_FLAGS]	= NLA_POLICY_MASK(NLA_U32, __HAREPL_ROLE_F_ALL),
	[HAREPL_A_RES_LOCAL_ADDR] = NLA_POLICY_MIN_LEN(sizeof(struct sockaddr_in)),
	[HAREPL_A_RES_SECRET]	= { .type = NLA_BINARY, .len = HAREPL_SECRET_MAX },
	[HAREPL_A_RES_PEERS]	= { .type = NLA_NESTED },
	[HAREPL_A_PEER_ID]	= NLA_POLICY_MAX(NLA_U32, HAREPL_MD_MAX_PEERS),
	[HAREPL_A_CONNECT_FLAGS] = NLA_POLICY_MASK(NLA_U32, __HAREPL_CONNECT_F_ALL),
	[HAREPL_A_RES_FENCING]	= NLA_POLICY_MAX(NLA_U32, HAREPL_FENCING_MAX),
	[HAREPL_A_RES_FENCE_HANDLER] = { .type = NLA_NUL_STRING,
					 .len = HAREPL_FENCE_HANDLER_MAX - 1 },
	[HAREPL_A_RESUME_FLAGS]	= NLA_POLICY_MASK(NLA_U32, __HAREPL_RESUME_F_ALL),
};

static struct netlink_range_validation harepl_rate_range = {
	.min = 64, .max = 4194304,
};

static struct netlink_range_validation harepl_timeout_range = {
	.min = 100, .max = 600000,
};

static struct netlink_range_validation harepl_sndbuf_range = {
	.min = 64 << 10, .max = 256 << 20,
};

static const struct nla_policy harepl_peer_policy[HAREPL_PEER_A_MAX + 1] = {
	[HAREPL_PEER_A_NODE_ID]	= NLA_POLICY_MAX(NLA_U32, HAREPL_MD_MAX_PEERS),
	[HAREPL_PEER_A_ADDR]	= NLA_POLICY_MIN_LEN(sizeof(struct sockaddr_in)),
	[HAREPL_PEER_A_MODE]	= NLA_POLICY_MAX(NLA_U32, HAREPL_MODE_MAX),
	[HAREPL_PEER_A_TIMEOUT_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &harepl_timeout_range),
	[HAREPL_PEER_A_SNDBUF]	= NLA_POLICY_FULL_RANGE(NLA_U32, &harepl_sndbuf_range),
	[HAREPL_PEER_A_ON_CONGESTION] = NLA_POLICY_MAX(NLA_U32, HAREPL_CONGESTION_MAX),
	[HAREPL_PEER_A_RESYNC_RATE_MAX] = NLA_POLICY_FULL_RANGE(NLA_U32, &harepl_rate_range),
	[HAREPL_PEER_A_CSUMS]	= NLA_POLICY_MAX(NLA_U32, 1),
	[HAREPL_PEER_A_AFTER_SB] = NLA_POLICY_MAX(NLA_U32, HAREPL_AFTER_SB_MAX),
};

enum harepl_mcgrp {
	HAREPL_MCGRP_EVENTS_ID,
};

static const struct genl_multicast_group harepl_mcgrps[] = {
	[HAREPL_MCGRP_EVENTS_ID] = { .name = HAREPL_MCGRP_EVENTS },
};

static int harepl_nl_put_u64(struct sk_buff *skb, int type, u64 value)
{
	return nla_put_u64_64bit(skb, type, value, HAREPL_A_PAD);
}

static int harepl_nl_put_peer(struct sk_buff *skb, struct harepl_peer *peer,
			      u64 gen_bitmap)
{
	const struct harepl_peer_conf *c = &peer->conf;
	enum harepl_conn_state st;
	enum harepl_role role;
	enum harepl_disk_state disk;
	struct nlattr *nest;
	enum harepl_sb_result sb_result;
	char sb_reason[sizeof(peer->sb_reason)];
	u64 gen_current;
	bool have;

	spin_lock(&peer->lock);
	sb_result = peer->sb_result;
	memcpy(sb_reason, peer->sb_reason, sizeof(sb_reason));
	st = harepl_peer_shown_state_locked(peer);
	role = peer->peer_role;
	disk = peer->peer_disk;
	have = peer->have_state;
	gen_current = peer->peer_gens.current_gen;
	spin_unlock(&peer->lock);

	nest = nla_nest_start(skb, 0);
	if (!nest ||
	    nla_put_u32(skb, HAREPL_PEER_A_NODE_ID, c->node_id) ||
	    nla_put(skb, HAREPL_PEER_A_ADDR, c->addrlen, &c->addr) ||
	    nla_put_u32(skb, HAREPL_PEER_A_MODE, c->mode) ||
	    nla_put_u32(skb, HAREPL_PEER_A_CONN_STATE, st) ||
	    (have && nla_put_u32(skb, HAREPL_PEER_A_ROLE, role)) ||
	    (have && nla_put_u32(skb, HAREPL_PEER_A_DISK_STATE, disk)) ||
	    nla_put_u32(skb, HAREPL_PEER_A_INFLIGHT, harepl_peer_inflight(peer)) ||
	    nla_put_u64_64bit(skb, HAREPL_PEER_A_BYTES_SENT,
			      atomic64_read(&peer->bytes_sent), HAREPL_PEER_A_PAD) ||
	    nla_put_u64_64bit(skb, HAREPL_PEER_A_BYTES_RECV,
			      atomic64_read(&peer->bytes_recv), HAREPL_PEER_A_PAD) ||
	    nla_put_u64_64bit(skb, HAREPL_PEER_A_OOS_BYTES,
			      harepl_peer_oos_bytes(peer), HAREPL_PEER_A_PAD) ||
	    nla_put_u32(skb, HAREPL_PEER_A_TIMEOUT_MS, c->timeout_ms) ||
	    nla_put_u32(skb, HAREPL_PEER_A_SNDBUF, c->sndbuf) ||
	    nla_put_u32(skb, HAREPL_PEER_A_ON_CONGESTION, c->on_congestion) ||
	    nla_put_u64_64bit(skb, HAREPL_PEER_A_GEN_BITMAP, gen_bitmap,
			      HAREPL_PEER_A_PAD) ||
	    (have && nla_put_u64_64bit(skb, HAREPL_PEER_A_GEN_CURRENT, gen_current,
				       HAREPL_PEER_A_PAD)) ||
	    nla_put_u64_64bit(skb, HAREPL_PEER_A_RESYNC_TOTAL,
			      atomic64_read(&peer->rs_total), HAREPL_PEER_A_PAD) ||
	    nla_put_u64_64bit(skb, HAREPL_PEER_A_RESYNC_DONE,
			      atomic64_read(&peer->rs_done), HAREPL_PEER_A_PAD) ||
	    nla_put_u64_64bit(skb, HAREPL_PEER_A_RESYNC_RATE,
			      READ_ONCE(peer->rs_rate), HAREPL_PEER_A_PAD) ||
	    nla_put_u64_64bit(skb, HAREPL_PEER_A_RESYNC_BYTES,
			      atomic64_read(&peer->rs_bytes), HAREPL_PEER_A_PAD) ||
	    nla_put_u64_64bit(skb, HAREPL_PEER_A_VERIFY_DIFF,
			      atomic64_read(&peer->verify_diff), HAREPL_PEER_A_PAD) ||
	    nla_put_u32(skb, HAREPL_PEER_A_RESYNC_RATE_MAX, c->resync_rate) ||
	    nla_put_u32(skb, HAREPL_PEER_A_CSUMS, c->csums) ||
	    nla_put_u32(skb, HAREPL_PEER_A_AFTER_SB, c->after_sb) ||
	    nla_put_u32(skb, HAREPL_PEER_A_SB_RESULT, sb_result) ||
	    nla_put_string(skb, HAREPL_PEER_A_SB_REASON, sb_reason))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int harepl_nl_put_peers(struct sk_buff *skb, struct harepl_resource *res,
			       const struct harepl_md_shown *md)
{
	struct nlattr *nest;
	unsigned int i;
	int ret = 0;

	down_read(&res->peers_rwsem);
	if (res->sock_net &&
	    nla_put(skb, HAREPL_A_RES_LOCAL_ADDR, res->local_addrlen, &res->local_addr))
		ret = -EMSGSIZE;
	nest = ret ? NULL : nla_nest_start(skb, HAREPL_A_RES_PEERS);
	if (!nest)
		ret = -EMSGSIZE;
	for (i = 0; !ret && i < res->npeers; i++)
		ret = harepl_nl_put_peer(skb, res->peers[i],
					 md->gen_bitmap[res->peers[i]->slot]);
	up_read(&res->peers_rwsem);
	if (!ret)
		nla_nest_end(skb, nest);
	return ret;
}

/* The resource's attributes; called with harepl_lock held. */
static int harepl_nl_put_resource(struct sk_buff *skb,
				  struct harepl_resource *res)
{
	const struct harepl_md *md = &res->md;
	char dm_name[DM_NAME_LEN] = "";
	struct harepl_md_shown gens;

	/* constant fields from @md; the rest without waiting for its I/O */
	harepl_md_get_shown(res, &gens);
	/* Fails once dm has unhashed the device, as when it is destroyed */
	dm_copy_name_and_uuid(res->dm, dm_name, NULL);
	if (nla_put_string(skb, HAREPL_A_RES_NAME, res->name) ||
	    nla_put_string(skb, HAREPL_A_RES_DM_NAME, dm_name) ||
	    nla_put_u32(skb, HAREPL_A_RES_ROLE, res->role) ||
	    nla_put_u32(skb, HAREPL_A_RES_DISK_STATE, res->disk) ||
	    nla_put_u32(skb, HAREPL_A_RES_CONN_STATE, harepl_resource_conn_state(res)) ||
	    harepl_nl_put_u64(skb, HAREPL_A_RES_SIZE, md->data_sectors) ||
	    nla_put_string(skb, HAREPL_A_RES_DATA_DEV, res->data_name) ||
	    nla_put_string(skb, HAREPL_A_RES_META_DEV, res->meta_name) ||
	    harepl_nl_put_u64(skb, HAREPL_A_RES_MD_SB_SECTOR, md->sb_sector) ||
	    harepl_nl_put_u64(skb, HAREPL_A_RES_MD_AL_SECTOR, md->al_sector) ||
	    harepl_nl_put_u64(skb, HAREPL_A_RES_MD_BM_SECTOR, md->bm_sector) ||
	    harepl_nl_put_u64(skb, HAREPL_A_RES_MD_SECTORS, md->md_sectors) ||
	    nla_put_u32(skb, HAREPL_A_RES_NODE_ID, md->node_id) ||
	    nla_put(skb, HAREPL_A_RES_UUID, HAREPL_UUID_LEN, md->uuid) ||
	    harepl_nl_put_u64(skb, HAREPL_A_RES_READS, atomic64_read(&res->reads)) ||
	    harepl_nl_put_u64(skb, HAREPL_A_RES_WRITES, atomic64_read(&res->writes)) ||
	    harepl_nl_put_u64(skb, HAREPL_A_RES_GEN_CURRENT, gens.gen_current) ||
	    nla_put(skb, HAREPL_A_RES_GEN_HISTORY, sizeof(gens.gen_history),
		    gens.gen_history) ||
	    nla_put_u32(skb, HAREPL_A_RES_MD_FLAGS, gens.flags) ||
	    nla_put_u32(skb, HAREPL_A_RES_AL_EXTENTS, gens.al_extents) ||
	    harepl_nl_put_u64(skb, HAREPL_A_RES_AL_WRITES,
			      atomic64_read(&res->al.transactions)) ||
	    harepl_fence_nl_put(skb, res))
		return -EMSGSIZE;
	return harepl_nl_put_peers(skb, res, &gens);
}

/* Looks up the resource named in the request, or says why not. */
static struct harepl_resource *harepl_nl_lookup(struct genl_info *info)
{
	struct harepl_resource *res;
	struct nlattr *attr;

	lockdep_assert_held(&harepl_lock);
	if (GENL_REQ_ATTR_CHECK(info, HAREPL_A_RES_NAME)) {
		NL_SET_ERR_MSG(info->extack, "missing resource name (HAREPL_A_RES_NAME)");
		return ERR_PTR(-EINVAL);
	}
	attr = info->attrs[HAREPL_A_RES_NAME];
	res = harepl_resource_find(genl_info_net(info), nla_data(attr));
	if (!res) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "no such resource in this network namespace");
		return ERR_PTR(-ENOENT);
	}
	return res;
}

static int harepl_nl_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct harepl_resource *res;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	msg = genlmsg_new(HAREPL_NL_MSG_SIZE, GFP_KERNEL);
	if (!msg) {
		NL_SET_ERR_MSG(info->extack, "out of memory");
		return -ENOMEM;
	}
	mutex_lock(&harepl_lock);
	res = harepl_nl_lookup(info);
	if (IS_ERR(res)) {
		ret = PTR_ERR(res);
		goto err;
	}
	hdr = genlmsg_put_reply(msg, info, &harepl_genl_family, 0,
				HAREPL_CMD_GET_RESOURCE);
	ret = -EMSGSIZE;
	if (!hdr || harepl_nl_put_resource(msg, res)) {
		NL_SET_ERR_MSG(info->extack, "reply does not fit");
		goto err;
	}
	mutex_unlock(&harepl_lock);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
err:
	mutex_unlock(&harepl_lock);
	nlmsg_free(msg);
	return ret;
}

/* cb->args[0]: how many resources earlier calls have sent. */
static int harepl_nl_get_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct net *net = sock_net(skb->sk);
	struct harepl_resource *res;
	unsigned long sent = cb->args[0];
	void *hdr;

	mutex_lock(&harepl_lock);
	cb->seq = harepl_resource_generation(net);
	res = harepl_resource_nth(net, sent);
	while (res) {
		struct harepl_resource *next = harepl_resource_next(net, res);

		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &harepl_genl_family,
				  NLM_F_MULTI, HAREPL_CMD_GET_RESOURCE);
		if (!hdr)
			break;
		genl_dump_check_consistent(cb, hdr);
		if (harepl_nl_put_resource(skb, res)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		sent++;
		res = next;
	}
	mutex_unlock(&harepl_lock);
	cb->args[0] = sent;
	return skb->len;
}

/* Takes a reference on the named resource, for a command that sleeps. */
static struct harepl_resource *harepl_nl_hold(struct genl_info *info)
{
	struct harepl_resource *res;

	mutex_lock(&harepl_lock);
	res = harepl_nl_lookup(info);
	if (!IS_ERR(res))
		harepl_resource_get(res);
	mutex_unlock(&harepl_lock);
	return res;
}

static int harepl_nl_set_role(struct sk_buff *skb, struct genl_info *info)
{
	struct harepl_resource *res;
	enum harepl_disk_state disk;
	enum harepl_role role;
	bool changed, forced;
	u32 flags = 0;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, HAREPL_A_RES_ROLE)) {
		NL_SET_ERR_MSG(info->extack, "missing role (HAREPL_A_RES_ROLE)");
		return -EINVAL;
	}
	if (info->attrs[HAREPL_A_ROLE_FLAGS])
		flags = nla_get_u32(info->attrs[HAREPL_A_ROLE_FLAGS]);

	if (nla_get_u32(info->attrs[HAREPL_A_RES_ROLE]) == HAREPL_ROLE_PRIMARY) {
		res = harepl_nl_hold(info);
		if (IS_ERR(res))
			return PTR_ERR(res);
		mutex_lock(&res->conf_mutex);
		if (!res->dying)
			harepl_promote_prepare(res);
		mutex_unlock(&res->conf_mutex);
		harepl_resource_put(res);
	}

	mutex_lock(&harepl_lock);
	res = harepl_nl_lookup(info);
	if (IS_ERR(res)) {
		mutex_unlock(&harepl_lock);
		return PTR_ERR(res);
	}
	role = res->role;
	disk = res->disk;
	ret = harepl_resource_set_role(res, nla_get_u32(info->attrs[HAREPL_A_RES_ROLE]),
				       flags, info->extack);
	changed = !ret && res->role != role;
	forced = !ret && res->disk != disk;
	if (changed)
		harepl_resource_get(res);
	mutex_unlock(&harepl_lock);
	if (changed) {
		/* the superblock and generation ids follow, outside harepl_lock */
		mutex_lock(&res->conf_mutex);
		harepl_gens_role_changed(res, role != HAREPL_ROLE_PRIMARY, forced);
		mutex_unlock(&res->conf_mutex);
		harepl_resource_put(res);
	}
	return ret;
}

/* The peer a RESYNC, VERIFY or INVALIDATE is for; with conf_mutex held */
static struct harepl_peer *harepl_nl_peer(struct harepl_resource *res,
					  struct genl_info *info)
{
	struct nlattr *attr = info->attrs[HAREPL_A_PEER_ID];
	unsigned int i;

	lockdep_assert_held(&res->conf_mutex);
	if (!res->npeers) {
		NL_SET_ERR_MSG(info->extack, "not connected (no peers configured)");
		return ERR_PTR(-ENOTCONN);
	}
	if (!attr) {
		if (res->npeers == 1)
			return res->peers[0];
		NL_SET_ERR_MSG(info->extack, "several peers: say which (HAREPL_A_PEER_ID)");
		return ERR_PTR(-EINVAL);
	}
	for (i = 0; i < res->npeers; i++)
		if (res->peers[i]->conf.node_id == nla_get_u32(attr))
			return res->peers[i];
	NL_SET_ERR_MSG_ATTR(info->extack, attr, "no peer with that node id");
	return ERR_PTR(-ENOENT);
}

static int harepl_nl_sync_cmd(struct sk_buff *skb, struct genl_info *info)
{
	u8 cmd = info->genlhdr->cmd;
	struct harepl_resource *res;
	struct harepl_peer *peer;
	const char *why = NULL;
	int ret;

	res = harepl_nl_hold(info);
	if (IS_ERR(res))
		return PTR_ERR(res);
	mutex_lock(&res->conf_mutex);
	peer = harepl_nl_peer(res, info);
	if (IS_ERR(peer)) {
		ret = PTR_ERR(peer);
		goto out;
	}
	switch (cmd) {
	case HAREPL_CMD_VERIFY:
		ret = harepl_resync_start_verify(peer, &why);
		break;
	case HAREPL_CMD_RESYNC:
		ret = harepl_resync_start_bitmap(peer, &why);
		break;
	default:
		ret = -EBUSY;
		why = "a resync or verify with the peer is running";
		if (READ_ONCE(res->role) == HAREPL_ROLE_PRIMARY)
			why = "refusing to invalidate a primary (demote it first)";
		else
			ret = harepl_invalidate(res, peer);
		break;
	}
	/* @why is a static string, as NL_SET_ERR_MSG() would store */
	if (ret && why && info->extack)
		info->extack->_msg = why;
out:
	mutex_unlock(&res->conf_mutex);
	harepl_resource_put(res);
	return ret;
}

/* A socket address attribute: IPv4 or IPv6, with a port */
static int harepl_nl_addr(const struct nlattr *attr, struct sockaddr_storage *ss,
			  int *len, struct netlink_ext_ack *extack)
{
	const struct sockaddr *sa = nla_data(attr);
	int l = nla_len(attr);

	memset(ss, 0, sizeof(*ss));
	if ((sa->sa_family == AF_INET && l == sizeof(struct sockaddr_in) &&
	     ((struct sockaddr_in *)sa)->sin_port) ||
	    (sa->sa_family == AF_INET6 && l == sizeof(struct sockaddr_in6) &&
	     ((struct sockaddr_in6 *)sa)->sin6_port)) {
		memcpy(ss, sa, l);
		*len = l;
		return 0;
	}
	NL_SET_ERR_MSG_ATTR(extack, attr, "bad address: need IPv4 or IPv6 with a port");
	return -EINVAL;
}

static int harepl_nl_peer_conf(struct harepl_resource *res, struct nlattr *attr,
			       sa_family_t family, struct harepl_peer_conf *c,
			       struct netlink_ext_ack *extack)
{
	struct nlattr *tb[HAREPL_PEER_A_MAX + 1];
	int ret;

	ret = nla_parse_nested(tb, HAREPL_PEER_A_MAX, attr, harepl_peer_policy, extack);
	if (ret)
		return ret;
	if (!tb[HAREPL_PEER_A_NODE_ID] || !tb[HAREPL_PEER_A_ADDR]) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "a peer needs a node id and an address");
		return -EINVAL;
	}
	c->node_id = nla_get_u32(tb[HAREPL_PEER_A_NODE_ID]);
	if (c->node_id == res->md.node_id) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "a peer has our own node id");
		return -EINVAL;
	}
	ret = harepl_nl_addr(tb[HAREPL_PEER_A_ADDR], &c->addr, &c->addrlen, extack);
	if (ret)
		return ret;
	if (c->addr.ss_family != family) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "peer and local address families differ");
		return -EINVAL;
	}
	c->mode = tb[HAREPL_PEER_A_MODE] ? nla_get_u32(tb[HAREPL_PEER_A_MODE]) :
					    HAREPL_MODE_SYNC;
	c->timeout_ms = tb[HAREPL_PEER_A_TIMEOUT_MS] ?
			nla_get_u32(tb[HAREPL_PEER_A_TIMEOUT_MS]) : 5000;
	c->sndbuf = tb[HAREPL_PEER_A_SNDBUF] ?
		    nla_get_u32(tb[HAREPL_PEER_A_SNDBUF]) : 4 << 20;
	c->on_congestion = tb[HAREPL_PEER_A_ON_CONGESTION] ?
			   nla_get_u32(tb[HAREPL_PEER_A_ON_CONGESTION]) :
			   HAREPL_CONGESTION_BLOCK;
	c->resync_rate = tb[HAREPL_PEER_A_RESYNC_RATE_MAX] ?
			 nla_get_u32(tb[HAREPL_PEER_A_RESYNC_RATE_MAX]) : 102400;
	c->csums = tb[HAREPL_PEER_A_CSUMS] && nla_get_u32(tb[HAREPL_PEER_A_CSUMS]);
	c->after_sb = tb[HAREPL_PEER_A_AFTER_SB] ?
		      nla_get_u32(tb[HAREPL_PEER_A_AFTER_SB]) :
		      HAREPL_AFTER_SB_DISCONNECT;
	return 0;
}

static int harepl_nl_parse_peers(struct harepl_resource *res,
				 struct genl_info *info, sa_family_t family,
				 struct harepl_peer_conf *confs, unsigned int *n)
{
	struct nlattr *attr;
	unsigned int i;
	int rem, ret;

	*n = 0;
	nla_for_each_nested(attr, info->attrs[HAREPL_A_RES_PEERS], rem) {
		if (*n >= res->md.max_peers) {
			NL_SET_ERR_MSG_ATTR(info->extack, attr,
					    "more peers than the metadata has bitmap slots for");
			return -E2BIG;
		}
		ret = harepl_nl_peer_conf(res, attr, family, &confs[*n], info->extack);
		if (ret)
			return ret;
		for (i = 0; i < *n; i++)
			if (confs[i].node_id == confs[*n].node_id) {
				NL_SET_ERR_MSG_ATTR(info->extack, attr, "duplicate peer node id");
				return -EINVAL;
			}
		++*n;
	}
	if (!*n) {
		NL_SET_ERR_MSG(info->extack, "no peers (HAREPL_A_RES_PEERS)");
		return -EINVAL;
	}
	return 0;
}

/* HAREPL_A_RES_FENCING and _FENCE_HANDLER: a policy needs a handler */
static int harepl_nl_fencing(struct genl_info *info, enum harepl_fencing *fencing,
			     const char **handler)
{
	struct nlattr *f = info->attrs[HAREPL_A_RES_FENCING];
	struct nlattr *h = info->attrs[HAREPL_A_RES_FENCE_HANDLER];

	*fencing = f ? nla_get_u32(f) : HAREPL_FENCING_NONE;
	*handler = h ? nla_data(h) : NULL;
	if (h && ((char *)nla_data(h))[0] != '/') {
		NL_SET_ERR_MSG_ATTR(info->extack, h, "the fence handler must be an absolute path");
		return -EINVAL;
	}
	if (*fencing != HAREPL_FENCING_NONE && !h) {
		NL_SET_ERR_MSG_ATTR(info->extack, f,
				    "fencing needs a fence handler (HAREPL_A_RES_FENCE_HANDLER)");
		return -EINVAL;
	}
	return 0;
}

static int harepl_nl_connect(struct sk_buff *skb, struct genl_info *info)
{
	enum harepl_fencing fencing;
	const char *handler;
	struct harepl_peer_conf *confs;
	struct harepl_resource *res;
	struct sockaddr_storage local;
	struct nlattr *secret;
	unsigned int n, i;
	int ret, local_len;

	if (GENL_REQ_ATTR_CHECK(info, HAREPL_A_RES_LOCAL_ADDR) ||
	    GENL_REQ_ATTR_CHECK(info, HAREPL_A_RES_PEERS)) {
		NL_SET_ERR_MSG(info->extack, "missing local address or peers");
		return -EINVAL;
	}
	ret = harepl_nl_fencing(info, &fencing, &handler);
	if (ret)
		return ret;
	res = harepl_nl_hold(info);
	if (IS_ERR(res))
		return PTR_ERR(res);
	confs = kcalloc(HAREPL_MAX_PEERS, sizeof(*confs), GFP_KERNEL);
	if (!confs) {
		ret = -ENOMEM;
		goto out_put;
	}
	mutex_lock(&res->conf_mutex);
	ret = -ENODEV;
	if (res->dying)
		goto out;
	ret = -EBUSY;
	if (res->sock_net) {
		NL_SET_ERR_MSG(info->extack, "already connected (disconnect first)");
		goto out;
	}
	ret = harepl_nl_addr(info->attrs[HAREPL_A_RES_LOCAL_ADDR], &local,
			     &local_len, info->extack) ?:
	      harepl_nl_parse_peers(res, info, local.ss_family, confs, &n);
	if (ret)
		goto out;
	secret = info->attrs[HAREPL_A_RES_SECRET];
	if (secret && !nla_len(secret)) {
		NL_SET_ERR_MSG_ATTR(info->extack, secret, "empty secret (leave it out instead)");
		ret = -EINVAL;
		goto out;
	}
	if (info->attrs[HAREPL_A_CONNECT_FLAGS] &&
	    (nla_get_u32(info->attrs[HAREPL_A_CONNECT_FLAGS]) &
	     HAREPL_CONNECT_F_DISCARD_MY_DATA)) {
		for (i = 0; i < n; i++)
			confs[i].discard_my_data = true;
	}
	/* not while connected: harepl_connect() refuses that (EBUSY) */
	if (!res->sock_net)
		harepl_fence_configure(res, fencing, handler);
	ret = harepl_connect(res, &local, local_len,
			     secret ? nla_data(secret) : NULL,
			     secret ? nla_len(secret) : 0, confs, n, info->extack);
	if (!ret)
		harepl_resource_event(res, HAREPL_EVENT_CONN);
out:
	mutex_unlock(&res->conf_mutex);
	kfree_sensitive(confs);
out_put:
	harepl_resource_put(res);
	return ret;
}

static int harepl_nl_disconnect(struct sk_buff *skb, struct genl_info *info)
{
	struct harepl_resource *res = harepl_nl_hold(info);

	if (IS_ERR(res))
		return PTR_ERR(res);
	mutex_lock(&res->conf_mutex);
	harepl_disconnect(res);
	mutex_unlock(&res->conf_mutex);
	harepl_resource_put(res);
	return 0;
}

static int harepl_nl_resume_io(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *flags = info->attrs[HAREPL_A_RESUME_FLAGS];
	struct harepl_resource *res = harepl_nl_hold(info);

	if (IS_ERR(res))
		return PTR_ERR(res);
	harepl_fence_resume(res, flags && (nla_get_u32(flags) & HAREPL_RESUME_F_FAIL),
			    "by the admin");
	harepl_resource_put(res);
	return 0;
}

/**
 * harepl_nl_event() - tell the resource's namespace about a change
 * @res: the resource, as it is after the change
 * @event: what changed
 *
 * Called with harepl_lock held, which keeps the namespace alive. Events
 * are best effort: without listeners or memory they are dropped, and the
 * sequence number lets a listener see the gap.
 */
void harepl_nl_event(struct harepl_resource *res, enum harepl_event event)
{
	struct net *net = read_pnet(&res->net);
	struct sk_buff *msg;
	void *hdr;
	u64 seq;

	lockdep_assert_held(&harepl_lock);
	if (!net)
		return;
	/* numbered first, so that a dropped event leaves a gap */
	seq = harepl_next_event_seq(net);
	msg = genlmsg_new(HAREPL_NL_MSG_SIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &harepl_genl_family, 0, HAREPL_CMD_EVENT);
	if (!hdr ||
	    nla_put_u32(msg, HAREPL_A_EVENT, event) ||
	    harepl_nl_put_u64(msg, HAREPL_A_EVENT_SEQ, seq) ||
	    harepl_nl_put_u64(msg, HAREPL_A_EVENT_TIME, ktime_get_real_ns()) ||
	    harepl_nl_put_resource(msg, res)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&harepl_genl_family, net, msg, 0,
				HAREPL_MCGRP_EVENTS_ID, GFP_KERNEL);
}

static const struct genl_ops harepl_genl_ops[] = {
	{
		.cmd = HAREPL_CMD_GET_RESOURCE,
		.doit = harepl_nl_get_doit,
		.dumpit = harepl_nl_get_dump,
	}, {
		.cmd = HAREPL_CMD_SET_ROLE,
		.doit = harepl_nl_set_role,
		.flags = GENL_ADMIN_PERM,
	}, {
		.cmd = HAREPL_CMD_CONNECT,
		.doit = harepl_nl_connect,
		.flags = GENL_ADMIN_PERM,
	}, {
		.cmd = HAREPL_CMD_DISCONNECT,
		.doit = harepl_nl_disconnect,
		.flags = GENL_ADMIN_PERM,
	}, {
		.cmd = HAREPL_CMD_RESYNC,
		.doit = harepl_nl_sync_cmd,
		.flags = GENL_ADMIN_PERM,
	}, {
		.cmd = HAREPL_CMD_VERIFY,
		.doit = harepl_nl_sync_cmd,
		.flags = GENL_ADMIN_PERM,
	}, {
		.cmd = HAREPL_CMD_INVALIDATE,
		.doit = harepl_nl_sync_cmd,
		.flags = GENL_ADMIN_PERM,
	}, {
		.cmd = HAREPL_CMD_RESUME_IO,
		.doit = harepl_nl_resume_io,
		.flags = GENL_ADMIN_PERM,
	},
};

static struct genl_family harepl_genl_family __ro_after_init = {
	.ops = harepl_genl_ops,
	.n_ops = ARRAY_SIZE(harepl_genl_ops),
	.mcgrps = harepl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(harepl_mcgrps),
	.name = HAREPL_GENL_NAME,
	.version = HAREPL_GENL_VERSION,
	.maxattr = HAREPL_A_MAX,
	.policy = harepl_policy,
	.netnsok = true,
	.module = THIS_MODULE,
};

int __init harepl_nl_init(void)
{
	return genl_register_family(&harepl_genl_family);
}

void harepl_nl_exit(void)
{
	genl_unregister_family(&harepl_genl_family);
}
