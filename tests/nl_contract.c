// SPDX-License-Identifier: GPL-2.0
/*
 * The netlink contract of harepl.ko, tested with raw generic netlink so that
 * malformed requests can be sent. Expects resource "r0" to be up in the
 * caller's network namespace as a Secondary (tests/netlink_contract.sh sets
 * that up).
 */

#include <errno.h>
#include <linux/capability.h>
#include <linux/genetlink.h>
#include <linux/harepl.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define BUFSZ 16384

struct reply {
	int error;		/* 0 or a negative errno from NLMSG_ERROR */
	char msg[256];		/* the extack message, if any */
	int nmsgs;		/* data messages received */
	char names[8][HAREPL_NAME_MAX];
	int role;
	uint64_t size;
	uint64_t seq;		/* HAREPL_A_EVENT_SEQ */
	int event;
};

struct req {
	struct nlmsghdr nlh;
	struct genlmsghdr genl;
	char attrs[1024];
};

static int nl_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 5 };
	int one = 1, fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -1;
	/* bound, or multicast from port 0 would skip us as its sender */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void req_init(struct req *r, uint16_t type, uint16_t flags, uint8_t cmd)
{
	memset(r, 0, sizeof(*r));
	r->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->nlh.nlmsg_type = type;
	r->nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	r->nlh.nlmsg_seq = 1;
	r->genl.cmd = cmd;
	r->genl.version = HAREPL_GENL_VERSION;
}

/* Appends an attribute of any length, however wrong for its type. */
static void req_put(struct req *r, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)r + NLMSG_ALIGN(r->nlh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	r->nlh.nlmsg_len = NLMSG_ALIGN(r->nlh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static void req_put_str(struct req *r, uint16_t type, const char *s)
{
	req_put(r, type, s, strlen(s) + 1);
}

static void req_put_u32(struct req *r, uint16_t type, uint32_t v)
{
	req_put(r, type, &v, sizeof(v));
}

/* Opens a nested attribute; req_nest_end() closes it. */
static struct nlattr *req_nest_start(struct req *r, uint16_t type)
{
	struct nlattr *a = (struct nlattr *)((char *)r + NLMSG_ALIGN(r->nlh.nlmsg_len));

	a->nla_type = type | NLA_F_NESTED;
	r->nlh.nlmsg_len = NLMSG_ALIGN(r->nlh.nlmsg_len) + NLA_HDRLEN;
	return a;
}

static void req_nest_end(struct req *r, struct nlattr *a)
{
	a->nla_len = (char *)r + r->nlh.nlmsg_len - (char *)a;
}

static void req_put_sin(struct req *r, uint16_t type, uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(addr),
	};

	req_put(r, type, &sin, sizeof(sin));
}

static void parse_extack(struct nlmsghdr *nlh, struct reply *rep)
{
	struct nlmsgerr *err = NLMSG_DATA(nlh);
	size_t off = sizeof(*err);
	struct nlattr *a;

	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	while (off + NLA_HDRLEN <= nlh->nlmsg_len - NLMSG_HDRLEN) {
		a = (struct nlattr *)((char *)err + off);
		if (a->nla_len < NLA_HDRLEN)
			break;
		if (a->nla_type == NLMSGERR_ATTR_MSG)
			snprintf(rep->msg, sizeof(rep->msg), "%s",
				 (char *)a + NLA_HDRLEN);
		off += NLA_ALIGN(a->nla_len);
	}
}

static void parse_data(struct nlmsghdr *nlh, struct reply *rep)
{
	int len = nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(nlh) + GENL_HDRLEN);
	void *d;

	for (; len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len;
	     len -= NLA_ALIGN(a->nla_len),
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
		d = (char *)a + NLA_HDRLEN;
		switch (a->nla_type & NLA_TYPE_MASK) {
		case HAREPL_A_RES_NAME:
			if (rep->nmsgs < 8)
				snprintf(rep->names[rep->nmsgs], HAREPL_NAME_MAX, "%s",
					 (char *)d);
			break;
		case HAREPL_A_RES_ROLE:
			memcpy(&rep->role, d, 4);
			break;
		case HAREPL_A_RES_SIZE:
			memcpy(&rep->size, d, 8);
			break;
		case HAREPL_A_EVENT_SEQ:
			memcpy(&rep->seq, d, 8);
			break;
		case HAREPL_A_EVENT:
			memcpy(&rep->event, d, 4);
			break;
		}
	}
	rep->nmsgs++;
}

/* Reads until the ack, the error or NLMSG_DONE (or one event if @one). */
static int nl_recv(int fd, struct reply *rep, int one)
{
	static char buf[BUFSZ];
	struct nlmsghdr *nlh;
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				rep->error = ((struct nlmsgerr *)NLMSG_DATA(nlh))->error;
				parse_extack(nlh, rep);
				return 0;
			}
			if (nlh->nlmsg_type == NLMSG_DONE)
				return 0;
			parse_data(nlh, rep);
			if (one)
				return 0;
		}
	}
}

static int nl_call(int fd, struct req *r, struct reply *rep)
{
	memset(rep, 0, sizeof(*rep));
	if (send(fd, r, r->nlh.nlmsg_len, 0) < 0)
		return -errno;
	return nl_recv(fd, rep, 0);
}

/* Resolves the family id and the events group id. */
static int family_id(int fd, uint32_t *mcgrp)
{
	static char buf[BUFSZ];
	struct nlattr *a, *g, *ga;
	struct nlmsghdr *nlh;
	struct req r;
	int len, glen, id = -1;
	ssize_t n;

	req_init(&r, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY);
	r.nlh.nlmsg_flags = NLM_F_REQUEST;
	r.genl.version = 1;
	req_put_str(&r, CTRL_ATTR_FAMILY_NAME, HAREPL_GENL_NAME);
	if (send(fd, &r, r.nlh.nlmsg_len, 0) < 0)
		return -1;
	n = recv(fd, buf, sizeof(buf), 0);
	nlh = (struct nlmsghdr *)buf;
	if (n <= 0 || !NLMSG_OK(nlh, n) || nlh->nlmsg_type == NLMSG_ERROR)
		return -1;
	len = nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	a = (struct nlattr *)((char *)NLMSG_DATA(nlh) + GENL_HDRLEN);
	for (; len >= NLA_HDRLEN; len -= NLA_ALIGN(a->nla_len),
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			id = *(uint16_t *)((char *)a + NLA_HDRLEN);
		if ((a->nla_type & NLA_TYPE_MASK) != CTRL_ATTR_MCAST_GROUPS || !mcgrp)
			continue;
		/* one nested group: { id, name } */
		g = (struct nlattr *)((char *)a + NLA_HDRLEN);
		glen = g->nla_len - NLA_HDRLEN;
		for (ga = (struct nlattr *)((char *)g + NLA_HDRLEN); glen >= NLA_HDRLEN;
		     glen -= NLA_ALIGN(ga->nla_len),
		     ga = (struct nlattr *)((char *)ga + NLA_ALIGN(ga->nla_len)))
			if (ga->nla_type == CTRL_ATTR_MCAST_GRP_ID)
				*mcgrp = *(uint32_t *)((char *)ga + NLA_HDRLEN);
	}
	return id;
}

FIXTURE(nl) {
	int fd;
	int family;
	uint32_t mcgrp;
	struct req r;
	struct reply rep;
};

FIXTURE_SETUP(nl)
{
	self->fd = nl_open();
	ASSERT_LE(0, self->fd);
	self->family = family_id(self->fd, &self->mcgrp);
	ASSERT_LT(0, self->family) TH_LOG("genetlink family harepl not found");
}

FIXTURE_TEARDOWN(nl)
{
	close(self->fd);
}

TEST_F(nl, get_existing)
{
	req_init(&self->r, self->family, 0, HAREPL_CMD_GET_RESOURCE);
	req_put_str(&self->r, HAREPL_A_RES_NAME, "r0");
	ASSERT_EQ(0, nl_call(self->fd, &self->r, &self->rep));
	ASSERT_EQ(0, self->rep.error);
	ASSERT_EQ(1, self->rep.nmsgs);
	ASSERT_STREQ("r0", self->rep.names[0]);
	ASSERT_EQ(HAREPL_ROLE_SECONDARY, self->rep.role);
	ASSERT_LT((uint64_t)0, self->rep.size);
}

TEST_F(nl, dump_lists_r0)
{
	req_init(&self->r, self->family, NLM_F_DUMP, HAREPL_CMD_GET_RESOURCE);
	ASSERT_EQ(0, nl_call(self->fd, &self->r, &self->rep));
	ASSERT_EQ(0, self->rep.error);
	ASSERT_EQ(1, self->rep.nmsgs);
	ASSERT_STREQ("r0", self->rep.names[0]);
}

TEST_F(nl, get_unknown_resource)
{
	req_init(&self->r, self->family, 0, HAREPL_CMD_GET_RESOURCE);
	req_put_str(&self->r, HAREPL_A_RES_NAME, "nosuch");
	ASSERT_EQ(0, nl_call(self->fd, &self->r, &self->rep));
	ASSERT_EQ(-ENOENT, self->rep.error);
	ASSERT_NE(NULL, strstr(self->rep.msg, "no such resource"))
		TH_LOG("extack: '%s'", self->rep.msg);
}

TEST_F(nl, get_missing_name)
{
	req_init(&self->r, self->family, 0, HAREPL_CMD_GET_RESOURCE);
	ASSERT_EQ(0, nl_call(self->fd, &self->r, &self->rep));
	ASSERT_EQ(-EINVAL, self->rep.error);
	ASSERT_NE(NULL, strstr(self->rep.msg, "missing resource name"))
		TH_LOG("extack: '%s'", self->rep.msg);
}

TEST_F(nl, oversize_name)
{
	char name[HAREPL_NAME_MAX + 8];

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	req_init(&self->r, self->family, 0, HAREPL_CMD_GET_RESOURCE);
	req_put_str(&self->r, HAREPL_A_RES_NAME, name);
	ASSERT_EQ(0, nl_call(self->fd, &self->r, &self->rep));
	ASSERT_EQ(-EINVAL, self->rep.error);
	ASSERT_NE(0, self->rep.msg[0]);
}

TEST_F(nl, unterminated_name)
{
	req_init(&self->r, self->family, 0, HAREPL_CMD_GET_RESOURCE);
	req_put(&self->r, HAREPL_A_RES_NAME, "r0r0", 4);
	ASSERT_EQ(0, nl_call(self->fd, &self->r, &self->rep));
	ASSERT_EQ(-EINVAL, self->rep.error);
	ASSERT_NE(0, self->rep.msg[0]);
}

TEST_F(nl, role_wrong_type)
{
	uint8_t role = HAREPL_ROLE_PRIMARY;

	req_init(&self->r, self->family, 0, HAREPL_CMD_SET_ROLE);
	req_put_str(&self->r, HAREPL_A_RES_NAME, "r0");
	req_put(&self->r, HAREPL_A_RES_ROLE, &role, sizeof(role));
	ASSERT_EQ(0, nl_call(self->fd, &self->r, &self->rep));
	ASSERT_EQ(-EINVAL, self->rep.error);
	ASSERT_NE(0, self->rep.msg[0]);
}

TEST_F(nl, role_out_of_range)
{
	req_init(&self->r, self->family, 0, HAREPL_CMD_SET_ROLE);
	req_put_str(&self->r, HAREPL_A_RES_NAME, "r0");
	req_put_u32(&self->r, HAREPL_A_RES_ROLE, HAREPL_ROLE_MAX + 1);
	ASSERT_EQ(0, nl_call(self->fd, &self->r, &self->rep));
	ASSERT_EQ(-ERANGE, self->rep.error);
	ASSERT_NE(0, self->rep.msg[0]);
}

TEST_F(nl, role_unknown_flags)
{
	req_init(&self->r, self->family, 0, HAREPL_CMD_SET_ROLE);
	req_put_str(&self->r, HAREPL_A_RES_NAME, "r0");
	req_put_u32(&self->r, HAREPL_A_RES_ROLE, HAREPL_ROLE_SECONDARY);
	req_put_u32(&self->r, HAREPL_A_ROLE_FLAGS, 0x80);
	ASSERT_EQ(0, nl_call(self->fd, &self->r, &self->rep));
	ASSERT_EQ(-EINVAL, self->rep.error);
	ASSERT_NE(0, self->rep.msg[0]);
}

TEST_F(nl, role_missing)
{
	req_init(&self->r, self->family, 0, HAREPL_CMD_SET_ROLE);
	req_put_str(&self->r, HAREPL_A_RES_NAME, "r0");
	ASSERT_EQ(0, nl_call(self->fd, &self->r, &self->rep));
	ASSERT_EQ(-EINVAL, self->rep.error);
	ASSERT_NE(NULL, strstr(self->rep.msg, "missing role"))
		TH_LOG("extack: '%s'", self->rep.msg);
}

/* Runs before role_change_event forces the disk UpToDate. */
TEST_F(nl, promote_inconsistent_refused)
{
	req_init(&self->r, self->family, 0, HAREPL_CMD_SET_ROLE);
	req_put_str(&self->r, HAREPL_A_RES_NAME, "r0");
	req_put_u32(&self->r, HAREPL_A_RES_ROLE, HAREPL_ROLE_PRIMARY);
	ASSERT_EQ(0, nl_call(self->fd, &self->r, &self->rep));
	ASSERT_EQ(-EBUSY, self->rep.error);
	ASSERT_NE(NULL, strstr(self->rep.msg, "not UpToDate"))
		TH_LOG("extack: '%s'", self->rep.msg);
}

TEST_F(nl, unknown_attribute)
{
	req_init(&self->r, self->family, 0, HAREPL_CMD_GET_RESOURCE);
	req_put_str(&self->r, HAREPL_A_RES_NAME, "r0");
	req_put_u32(&self->r, HAREPL_A_MAX + 5, 1);
	ASSERT_EQ(0, nl_call(self->fd, &self->r, &self->rep));
	ASSERT_EQ(-EINVAL, self->rep.error);
}

TEST_F(nl, unknown_command)
{
	req_init(&self->r, self->family, 0, HAREPL_CMD_MAX + 10);
	ASSERT_EQ(0, nl_call(self->fd, &self->r, &self->rep));
	ASSERT_EQ(-EOPNOTSUPP, self->rep.error);
}

TEST_F(nl, connect_unknown_flags)
{
	req_init(&self->r, self->family, 0, HAREPL_CMD_CONNECT);
	req_put_str(&self->r, HAREPL_A_RES_NAME, "r0");
	req_put_u32(&self->r, HAREPL_A_CONNECT_FLAGS, 0x80);
	ASSERT_EQ(0, nl_call(self->fd, &self->r, &self->rep));
	ASSERT_EQ(-EINVAL, self->rep.error);
	ASSERT_NE(0, self->rep.msg[0]);
}

/* A split-brain policy out of range is refused before anything connects. */
TEST_F(nl, connect_bad_after_sb)
{
	struct nlattr *peers, *peer;

	req_init(&self->r, self->family, 0, HAREPL_CMD_CONNECT);
	req_put_str(&self->r, HAREPL_A_RES_NAME, "r0");
	req_put_sin(&self->r, HAREPL_A_RES_LOCAL_ADDR, 0x7f000001, 7789);
	req_put_u32(&self->r, HAREPL_A_CONNECT_FLAGS, HAREPL_CONNECT_F_DISCARD_MY_DATA);
	peers = req_nest_start(&self->r, HAREPL_A_RES_PEERS);
	peer = req_nest_start(&self->r, 0);
	req_put_u32(&self->r, HAREPL_PEER_A_NODE_ID, 1);
	req_put_sin(&self->r, HAREPL_PEER_A_ADDR, 0x7f000002, 7789);
	req_put_u32(&self->r, HAREPL_PEER_A_AFTER_SB, HAREPL_AFTER_SB_MAX + 1);
	req_nest_end(&self->r, peer);
	req_nest_end(&self->r, peers);
	ASSERT_EQ(0, nl_call(self->fd, &self->r, &self->rep));
	ASSERT_EQ(-ERANGE, self->rep.error);
	ASSERT_NE(0, self->rep.msg[0]);
}

/* A CONNECT that is valid but for its fencing attributes */
static void connect_req(struct req *r, int family)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(7789) };
	char none = 0;

	sin.sin_addr.s_addr = htonl(0x7f000001);
	req_init(r, family, 0, HAREPL_CMD_CONNECT);
	req_put_str(r, HAREPL_A_RES_NAME, "r0");
	req_put(r, HAREPL_A_RES_LOCAL_ADDR, &sin, sizeof(sin));
	req_put(r, HAREPL_A_RES_PEERS | NLA_F_NESTED, &none, 0);
}

TEST_F(nl, connect_fencing_out_of_range)
{
	connect_req(&self->r, self->family);
	req_put_u32(&self->r, HAREPL_A_RES_FENCING, HAREPL_FENCING_MAX + 1);
	req_put_str(&self->r, HAREPL_A_RES_FENCE_HANDLER, "/bin/true");
	ASSERT_EQ(0, nl_call(self->fd, &self->r, &self->rep));
	ASSERT_EQ(-ERANGE, self->rep.error);
	ASSERT_NE(0, self->rep.msg[0]);
}

TEST_F(nl, connect_fencing_without_handler)
{
	connect_req(&self->r, self->family);
	req_put_u32(&self->r, HAREPL_A_RES_FENCING, HAREPL_FENCING_RESOURCE_AND_STONITH);
	ASSERT_EQ(0, nl_call(self->fd, &self->r, &self->rep));
	ASSERT_EQ(-EINVAL, self->rep.error);
	ASSERT_NE(NULL, strstr(self->rep.msg, "fencing needs a fence handler"))
		TH_LOG("extack: '%s'", self->rep.msg);
}

TEST_F(nl, connect_relative_handler)
{
	connect_req(&self->r, self->family);
	req_put_u32(&self->r, HAREPL_A_RES_FENCING, HAREPL_FENCING_RESOURCE_ONLY);
	req_put_str(&self->r, HAREPL_A_RES_FENCE_HANDLER, "fence.sh");
	ASSERT_EQ(0, nl_call(self->fd, &self->r, &self->rep));
	ASSERT_EQ(-EINVAL, self->rep.error);
	ASSERT_NE(NULL, strstr(self->rep.msg, "absolute path"))
		TH_LOG("extack: '%s'", self->rep.msg);
}

TEST_F(nl, connect_handler_too_long)
{
	char path[HAREPL_FENCE_HANDLER_MAX + 1];

	memset(path, 'x', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	connect_req(&self->r, self->family);
	req_put_u32(&self->r, HAREPL_A_RES_FENCING, HAREPL_FENCING_RESOURCE_ONLY);
	req_put_str(&self->r, HAREPL_A_RES_FENCE_HANDLER, path);
	ASSERT_EQ(0, nl_call(self->fd, &self->r, &self->rep));
	ASSERT_EQ(-EINVAL, self->rep.error);
	ASSERT_NE(0, self->rep.msg[0]);
}

TEST_F(nl, resume_io_unknown_flags)
{
	req_init(&self->r, self->family, 0, HAREPL_CMD_RESUME_IO);
	req_put_str(&self->r, HAREPL_A_RES_NAME, "r0");
	req_put_u32(&self->r, HAREPL_A_RESUME_FLAGS, 0x80);
	ASSERT_EQ(0, nl_call(self->fd, &self->r, &self->rep));
	ASSERT_EQ(-EINVAL, self->rep.error);
	ASSERT_NE(0, self->rep.msg[0]);
}

TEST_F(nl, resume_io_not_frozen)
{
	req_init(&self->r, self->family, 0, HAREPL_CMD_RESUME_IO);
	req_put_str(&self->r, HAREPL_A_RES_NAME, "r0");
	ASSERT_EQ(0, nl_call(self->fd, &self->r, &self->rep));
	ASSERT_EQ(0, self->rep.error);
}

/* A role change is acked and multicast with increasing sequence numbers. */
TEST_F(nl, role_change_event)
{
	struct reply ev1, ev2;
	int lfd = nl_open();
	uint32_t grp = self->mcgrp;

	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, setsockopt(lfd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
				&grp, sizeof(grp)));
	req_init(&self->r, self->family, 0, HAREPL_CMD_SET_ROLE);
	req_put_str(&self->r, HAREPL_A_RES_NAME, "r0");
	req_put_u32(&self->r, HAREPL_A_RES_ROLE, HAREPL_ROLE_PRIMARY);
	req_put_u32(&self->r, HAREPL_A_ROLE_FLAGS, HAREPL_ROLE_F_FORCE);
	ASSERT_EQ(0, nl_call(self->fd, &self->r, &self->rep));
	ASSERT_EQ(0, self->rep.error);
	memset(&ev1, 0, sizeof(ev1));
	ASSERT_EQ(0, nl_recv(lfd, &ev1, 1));
	if (ev1.event == HAREPL_EVENT_DISK) {	/* forced UpToDate first */
		memset(&ev1, 0, sizeof(ev1));
		ASSERT_EQ(0, nl_recv(lfd, &ev1, 1));
	}
	ASSERT_EQ(HAREPL_EVENT_ROLE, ev1.event);
	ASSERT_EQ(HAREPL_ROLE_PRIMARY, ev1.role);
	ASSERT_STREQ("r0", ev1.names[0]);

	req_init(&self->r, self->family, 0, HAREPL_CMD_SET_ROLE);
	req_put_str(&self->r, HAREPL_A_RES_NAME, "r0");
	req_put_u32(&self->r, HAREPL_A_RES_ROLE, HAREPL_ROLE_SECONDARY);
	ASSERT_EQ(0, nl_call(self->fd, &self->r, &self->rep));
	ASSERT_EQ(0, self->rep.error);
	memset(&ev2, 0, sizeof(ev2));
	ASSERT_EQ(0, nl_recv(lfd, &ev2, 1));
	ASSERT_EQ(HAREPL_ROLE_SECONDARY, ev2.role);
	ASSERT_EQ(ev1.seq + 1, ev2.seq);
	close(lfd);
}

/* Without CAP_NET_ADMIN, changing state is refused; reading is not. */
TEST_F(nl, unprivileged_refused)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	ASSERT_EQ(0, syscall(SYS_capget, &hdr, data));
	data[CAP_NET_ADMIN / 32].effective &= ~(1U << (CAP_NET_ADMIN % 32));
	data[CAP_NET_ADMIN / 32].permitted &= ~(1U << (CAP_NET_ADMIN % 32));
	ASSERT_EQ(0, syscall(SYS_capset, &hdr, data));

	req_init(&self->r, self->family, 0, HAREPL_CMD_SET_ROLE);
	req_put_str(&self->r, HAREPL_A_RES_NAME, "r0");
	req_put_u32(&self->r, HAREPL_A_RES_ROLE, HAREPL_ROLE_PRIMARY);
	ASSERT_EQ(0, nl_call(self->fd, &self->r, &self->rep));
	ASSERT_EQ(-EPERM, self->rep.error);

	req_init(&self->r, self->family, 0, HAREPL_CMD_GET_RESOURCE);
	req_put_str(&self->r, HAREPL_A_RES_NAME, "r0");
	ASSERT_EQ(0, nl_call(self->fd, &self->r, &self->rep));
	ASSERT_EQ(0, self->rep.error);
	ASSERT_EQ(HAREPL_ROLE_SECONDARY, self->rep.role);
}

TEST_HARNESS_MAIN
