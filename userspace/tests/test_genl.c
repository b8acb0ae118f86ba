// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hareplctl's netlink code against canned kernel
 * replies: the socket's send and receive are replaced, so no kernel module
 * is needed. KTAP output.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <netlink/genl/genl.h>

#include "../genl.h"
#include "../resource.h"
#include "../util.h"

#define FAMILY 0x42

static unsigned char queue[16384];
static size_t queued;
static struct nlmsghdr *sent;
static void (*reply)(void);	/* queues the kernel's answer to sent */
static int test_no, failed;

static void ok(int cond, const char *name)
{
	printf("%sok %d %s\n", cond ? "" : "not ", ++test_no, name);
	failed += !cond;
}

static int fake_send(struct nl_sock *sk, struct nl_msg *msg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	(void)sk;
	free(sent);
	sent = malloc(nlh->nlmsg_len);
	memcpy(sent, nlh, nlh->nlmsg_len);
	reply();
	return (int)nlh->nlmsg_len;
}

static int fake_recv(struct nl_sock *sk, struct sockaddr_nl *nla,
		     unsigned char **buf, struct ucred **creds)
{
	int n = (int)queued;

	(void)sk, (void)creds;
	if (!n)
		return -NLE_FAILURE;	/* nothing more: never block */
	*buf = malloc(queued);
	memcpy(*buf, queue, queued);
	memset(nla, 0, sizeof(*nla));
	nla->nl_family = AF_NETLINK;
	queued = 0;
	return n;
}

static void push(struct nl_msg *m)
{
	struct nlmsghdr *nlh = nlmsg_hdr(m);

	nlh->nlmsg_seq = sent->nlmsg_seq;
	memcpy(queue + queued, nlh, nlh->nlmsg_len);
	queued += NLMSG_ALIGN(nlh->nlmsg_len);
	nlmsg_free(m);
}

static struct nl_msg *resource_msg(const char *name, int flags, int drop)
{
	static const uint8_t uuid[HAREPL_UUID_LEN] = { 0x12, 0x34, [15] = 0xff };
	struct nl_msg *m = nlmsg_alloc();

	genlmsg_put(m, 0, 0, FAMILY, 0, flags, HAREPL_CMD_GET_RESOURCE, 1);
	nla_put_string(m, HAREPL_A_RES_NAME, name);
	nla_put_string(m, HAREPL_A_RES_DM_NAME, "dm-r0");
	nla_put_u32(m, HAREPL_A_RES_ROLE, HAREPL_ROLE_PRIMARY);
	nla_put_u32(m, HAREPL_A_RES_DISK_STATE, HAREPL_DISK_UPTODATE);
	nla_put_u32(m, HAREPL_A_RES_CONN_STATE, HAREPL_CONN_STANDALONE);
	nla_put_u64(m, HAREPL_A_RES_SIZE, 129024);
	nla_put_string(m, HAREPL_A_RES_DATA_DEV, "vdb");
	nla_put_string(m, HAREPL_A_RES_META_DEV, "internal");
	nla_put_u64(m, HAREPL_A_RES_MD_SB_SECTOR, 131064);
	nla_put_u64(m, HAREPL_A_RES_MD_AL_SECTOR, 130552);
	nla_put_u64(m, HAREPL_A_RES_MD_BM_SECTOR, 130536);
	nla_put_u64(m, HAREPL_A_RES_MD_SECTORS, 2048);
	nla_put_u32(m, HAREPL_A_RES_NODE_ID, 1);
	if (drop != HAREPL_A_RES_UUID)
		nla_put(m, HAREPL_A_RES_UUID, sizeof(uuid), uuid);
	nla_put_u64(m, HAREPL_A_RES_READS, 7);
	nla_put_u64(m, HAREPL_A_RES_WRITES, 9);
	return m;
}

/* NLMSG_ERROR; capped: the request's header only, else all of it */
static void push_error(int error, const char *extack, int capped)
{
	size_t echo = capped ? sizeof(*sent) : sent->nlmsg_len;
	struct nl_msg *m = nlmsg_alloc_simple(NLMSG_ERROR, extack ? NLM_F_ACK_TLVS : 0);
	struct nlmsgerr *e = nlmsg_reserve(m, sizeof(*e) - sizeof(e->msg) + echo, 4);

	e->error = error;
	memcpy(&e->msg, sent, echo);
	if (capped)
		nlmsg_hdr(m)->nlmsg_flags |= NLM_F_CAPPED;
	if (extack)
		nla_put_string(m, NLMSGERR_ATTR_MSG, extack);
	push(m);
}

static int get(struct genl *g, const char *name, void (*answer)(void),
	       struct res_list *l, struct genl_reply *r)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
	reply = answer;
	return res_get(g, name, l, r);
}

static void reply_doit(void)
{
	push(resource_msg("r0", 0, 0));
	push_error(0, NULL, 1);
}

static void reply_enoent_capped(void)
{
	push_error(-ENOENT, "resource not found", 1);
}

static void reply_eperm_full(void)
{
	push_error(-EPERM, "needs CAP_NET_ADMIN", 0);
}

static void reply_dump(void)
{
	push(resource_msg("r0", NLM_F_MULTI, 0));
	push(resource_msg("r1", NLM_F_MULTI, 0));
	push(nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI));
}

static void reply_dump_intr(void)
{
	push(resource_msg("r0", NLM_F_MULTI | NLM_F_DUMP_INTR, 0));
	push(nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI));
}

static void reply_missing(void)
{
	push(resource_msg("r0", 0, HAREPL_A_RES_UUID));
	push_error(0, NULL, 1);
}

static void reply_long_name(void)
{
	push(resource_msg("a-name-that-is-far-too-long-for-harepl", 0, 0));
	push_error(0, NULL, 1);
}

/* Prints what status shows, as diagnostics, and checks a few fields */
static void check_print(const struct res_info *ri)
{
	char *buf, *line;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	fputc('{', f);
	res_print_json(f, ri);
	fputc('}', f);
	fclose(f);
	printf("# %s\n", buf);
	ok(strstr(buf, "\"device\":\"dm-r0\"") &&
	   strstr(buf, "\"role\":\"Primary\",\"disk\":\"UpToDate\",\"connection\":\"StandAlone\"") &&
	   strstr(buf, "\"uuid\":\"12340000-0000-0000-0000-0000000000ff\""), "status --json fields");
	free(buf);
	f = open_memstream(&buf, &len);
	res_print(f, ri);
	fclose(f);
	ok(!strncmp(buf, "r0: role Primary, disk UpToDate, connection StandAlone\n", 55),
	   "status first line");
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		printf("# %s\n", line);
	free(buf);
}

int main(void)
{
	struct genl g = { .sk = nl_socket_alloc(), .family = FAMILY };
	struct nl_cb *cb = nl_socket_get_cb(g.sk);
	struct res_list l = { .v = NULL };
	struct genl_reply r;
	int err;

	nl_cb_overwrite_send(cb, fake_send);
	nl_cb_overwrite_recv(cb, fake_recv);
	nl_cb_put(cb);
	printf("TAP version 13\n1..14\n");

	err = get(&g, "r0", reply_doit, &l, &r);
	ok(!err && l.n == 1, "get: reply parsed");
	check_print(&l.v[0]);
	ok(!strcmp(l.v[0].name, "r0") && !strcmp(l.v[0].dm_name, "dm-r0") &&
	   l.v[0].role == HAREPL_ROLE_PRIMARY && l.v[0].size == 129024 &&
	   l.v[0].uuid[15] == 0xff && l.v[0].writes == 9 &&
	   !strcmp(l.v[0].meta_dev, "internal"), "get: attributes");
	ok(((struct genlmsghdr *)nlmsg_data(sent))->cmd == HAREPL_CMD_GET_RESOURCE &&
	   !(sent->nlmsg_flags & NLM_F_DUMP) && sent->nlmsg_type == FAMILY,
	   "get: request is a doit of the family");

	err = get(&g, "r0", reply_enoent_capped, &l, &r);
	ok(err == -ENOENT && !strcmp(r.msg, "resource not found"), "extack, capped ack");
	ok(genl_fail("r0", "set role", &r) == RC_NOENT, "ENOENT exits 4");
	err = get(&g, "r0", reply_eperm_full, &l, &r);
	ok(err == -EPERM && !strcmp(r.msg, "needs CAP_NET_ADMIN"), "extack, full ack");
	ok(genl_fail("r0", "set role", &r) == RC_PERM, "EPERM exits 5");

	err = get(&g, NULL, reply_dump, &l, &r);
	ok(!err && l.n == 2 && !strcmp(l.v[0].name, "r0") && !strcmp(l.v[1].name, "r1") &&
	   (sent->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP, "dump: two resources");
	err = get(&g, NULL, reply_dump_intr, &l, &r);
	ok(err == -EINTR, "dump: NLM_F_DUMP_INTR retried, then given up");

	err = get(&g, "r0", reply_missing, &l, &r);
	ok(err == -EPROTO && strstr(r.msg, "no attribute 'uuid'"), "missing attribute named");
	err = get(&g, "r0", reply_long_name, &l, &r);
	ok(err == -EPROTO && strstr(r.msg, "malformed"), "over-long name rejected");
	ok(valid_res_name("r0") && !valid_res_name("-r0") && !valid_res_name(""),
	   "resource names");

	free(l.v);
	free(sent);
	nl_socket_free(g.sk);
	printf("# %d passed, %d failed\n", test_no - failed, failed);
	return failed ? 1 : 0;
}
