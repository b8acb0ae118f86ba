// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink: the "harepl" family, requests and the kernel's error
 * replies with their extended ack message.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/harepl.h>
#include <netlink/genl/ctrl.h>

#include "genl.h"
#include "util.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct call {
	struct genl_reply *r;
	int done;
};

int genl_open(struct genl *g, const char *res)
{
	int one = 1, err;

	g->family = -1;
	g->sk = nl_socket_alloc();
	if (!g->sk) {
		pr_err(res, "out of memory");
		return RC_FAIL;
	}
	err = genl_connect(g->sk);
	if (err) {
		pr_err(res, "cannot open a generic netlink socket: %s", nl_geterror(err));
		goto fail;
	}
	/* Ask for the kernel's error messages; older kernels lack them */
	setsockopt(nl_socket_get_fd(g->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(g->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	g->family = genl_ctrl_resolve(g->sk, HAREPL_GENL_NAME);
	if (g->family >= 0)
		return RC_OK;
	err = g->family;
	if (err == -NLE_OBJ_NOTFOUND) {
		pr_err(NULL, "harepl kernel module not loaded (genetlink family '%s' not found)",
		       HAREPL_GENL_NAME);
		genl_close(g);
		return RC_NOMOD;
	}
	pr_err(res, "cannot look up genetlink family '%s': %s", HAREPL_GENL_NAME,
	       nl_geterror(err));
fail:
	genl_close(g);
	return err == -NLE_PERM ? RC_PERM : RC_FAIL;
}

void genl_close(struct genl *g)
{
	nl_socket_free(g->sk);
	g->sk = NULL;
}

struct nl_msg *genl_new(const struct genl *g, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, g->family, 0,
				flags, cmd, HAREPL_GENL_VERSION)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

/* The NLMSGERR_ATTR_MSG of an error reply (NETLINK_EXT_ACK), if any */
static void extack_msg(const struct nlmsgerr *e, char *buf, size_t len)
{
	const struct nlmsghdr *nlh = (const void *)((const char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off = NLMSG_HDRLEN + sizeof(*e);

	buf[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (nlh->nlmsg_len <= off)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)nlh + off),
		      (int)(nlh->nlmsg_len - off), NULL))
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(buf, len, "%.*s", nla_len(tb[NLMSGERR_ATTR_MSG]),
			 (const char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct call *c = arg;

	(void)nla;
	c->r->error = e->error;
	extack_msg(e, c->r->msg, sizeof(c->r->msg));
	c->done = 1;
	return NL_STOP;
}

static int on_done(struct nl_msg *msg, void *arg)
{
	struct call *c = arg;

	(void)msg;
	c->done = 1;
	return NL_STOP;
}

int genl_call(struct genl *g, struct nl_msg *msg, nl_recvmsg_msg_cb_t cb,
	      void *arg, struct genl_reply *r)
{
	struct nl_cb *sock_cb = nl_socket_get_cb(g->sk);
	struct nl_cb *nlcb = sock_cb ? nl_cb_clone(sock_cb) : NULL;
	struct call c = { .r = r };
	int err = -NLE_NOMEM;

	memset(r, 0, sizeof(*r));
	if (nlcb) {
		nl_cb_err(nlcb, NL_CB_CUSTOM, on_error, &c);
		nl_cb_set(nlcb, NL_CB_ACK, NL_CB_CUSTOM, on_done, &c);
		nl_cb_set(nlcb, NL_CB_FINISH, NL_CB_CUSTOM, on_done, &c);
		if (cb)
			nl_cb_set(nlcb, NL_CB_VALID, NL_CB_CUSTOM, cb, arg);
		err = nl_send_auto(g->sk, msg);
	}
	while (err >= 0 && !c.done)
		err = nl_recvmsgs(g->sk, nlcb);
	if (nlcb)
		nl_cb_put(nlcb);
	if (sock_cb)
		nl_cb_put(sock_cb);
	nlmsg_free(msg);
	if (err == -NLE_DUMP_INTR) {
		r->error = -EINTR;
		snprintf(r->msg, sizeof(r->msg), "the dump raced with a change");
	} else if (err < 0 && !r->error) {
		r->error = err == -NLE_NOMEM ? -ENOMEM : -EIO;
		snprintf(r->msg, sizeof(r->msg), "%s", nl_geterror(err));
	}
	return r->error;
}

int genl_fail(const char *res, const char *what, const struct genl_reply *r)
{
	if (r->msg[0])
		pr_err(res, "cannot %s: %s (%s)", what, r->msg, strerror(-r->error));
	else
		pr_err(res, "cannot %s: %s", what, strerror(-r->error));
	return rc_from_errno(r->error);
}

int genl_simple(const char *res, uint8_t cmd, const char *what,
		const struct genl_u32 *attrs, unsigned int n)
{
	struct genl_reply r;
	struct nl_msg *msg;
	struct genl g;
	unsigned int i;
	int rc, err;

	rc = genl_open(&g, res);
	if (rc)
		return rc;
	msg = genl_new(&g, cmd, 0);
	err = !msg || nla_put_string(msg, HAREPL_A_RES_NAME, res);
	for (i = 0; i < n && !err; i++)
		if (attrs[i].put)
			err = nla_put_u32(msg, attrs[i].type, attrs[i].value);
	if (err) {
		nlmsg_free(msg);
		genl_close(&g);
		pr_err(res, "cannot build the netlink request");
		return RC_FAIL;
	}
	if (genl_call(&g, msg, NULL, NULL, &r))
		rc = genl_fail(res, what, &r);
	genl_close(&g);
	return rc;
}
