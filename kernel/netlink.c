// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "harepl": commands, policies and events. The
 * UAPI header describes every message; this file only implements it.
 */

#include <linux/device-mapper.h>
#include <linux/timekeeping.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include "netlink.h"
#include "resource.h"

static struct genl_family harepl_genl_family;

static const struct nla_policy harepl_policy[HAREPL_A_MAX + 1] = {
	[HAREPL_A_RES_NAME]	= { .type = NLA_NUL_STRING, .len = HAREPL_NAME_MAX - 1 },
	[HAREPL_A_RES_ROLE]	= NLA_POLICY_MAX(NLA_U32, HAREPL_ROLE_MAX),
	[HAREPL_A_ROLE_FLAGS]	= NLA_POLICY_MASK(NLA_U32, __HAREPL_ROLE_F_ALL),
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

/* The resource's attributes; called with harepl_lock held. */
static int harepl_nl_put_resource(struct sk_buff *skb,
				  struct harepl_resource *res)
{
	const struct harepl_md *md = &res->md;
	char dm_name[DM_NAME_LEN] = "";

	/* Fails once dm has unhashed the device, as when it is destroyed */
	dm_copy_name_and_uuid(res->dm, dm_name, NULL);
	if (nla_put_string(skb, HAREPL_A_RES_NAME, res->name) ||
	    nla_put_string(skb, HAREPL_A_RES_DM_NAME, dm_name) ||
	    nla_put_u32(skb, HAREPL_A_RES_ROLE, res->role) ||
	    nla_put_u32(skb, HAREPL_A_RES_DISK_STATE, res->disk) ||
	    nla_put_u32(skb, HAREPL_A_RES_CONN_STATE, res->conn) ||
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
	    harepl_nl_put_u64(skb, HAREPL_A_RES_WRITES, atomic64_read(&res->writes)))
		return -EMSGSIZE;
	return 0;
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

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
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

static int harepl_nl_set_role(struct sk_buff *skb, struct genl_info *info)
{
	struct harepl_resource *res;
	u32 flags = 0;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, HAREPL_A_RES_ROLE)) {
		NL_SET_ERR_MSG(info->extack, "missing role (HAREPL_A_RES_ROLE)");
		return -EINVAL;
	}
	if (info->attrs[HAREPL_A_ROLE_FLAGS])
		flags = nla_get_u32(info->attrs[HAREPL_A_ROLE_FLAGS]);

	mutex_lock(&harepl_lock);
	res = harepl_nl_lookup(info);
	if (IS_ERR(res))
		ret = PTR_ERR(res);
	else
		ret = harepl_resource_set_role(res,
					       nla_get_u32(info->attrs[HAREPL_A_RES_ROLE]),
					       flags, info->extack);
	mutex_unlock(&harepl_lock);
	return ret;
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
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
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
