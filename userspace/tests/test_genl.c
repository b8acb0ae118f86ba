// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hareplctl's netlink code against canned kernel
 * replies: the socket's send and receive are replaced, so no kernel module
 * is needed. KTAP output.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <netlink/genl/genl.h>

#include "../config.h"
#include "../conn.h"
#include "../genl.h"
#include "../resource.h"
#include "../sync.h"
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

static void reply_ack(void)
{
	push_error(0, NULL, 1);
}

static void reply_ebusy(void)
{
	push_error(-EBUSY, NULL, 1);
}

static void reply_ebusy_extack(void)
{
	push_error(-EBUSY, "resource r0 is connected", 1);
}

static void put_sin(struct nl_msg *m, int type, const char *ip, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

	inet_pton(AF_INET, ip, &sin.sin_addr);
	nla_put(m, type, sizeof(sin), &sin);
}

static void put_sin6(struct nl_msg *m, int type, const char *ip, uint16_t port,
		     sa_family_t family)
{
	struct sockaddr_in6 sin6 = { .sin6_family = family, .sin6_port = htons(port) };

	inet_pton(AF_INET6, ip, &sin6.sin6_addr);
	nla_put(m, type, sizeof(sin6), &sin6);
}

enum peer_variant { PEER_OK, PEER_NO_OOS, PEER_BAD_FAMILY, PEER_SHORT_ADDR, PEER_RESYNC };

/* The attributes of issue 7: peer 1 a sync source 45.2% done, peer 2 split */
static void put_peer_resync(struct nl_msg *m, int peer)
{
	nla_put_u64(m, HAREPL_PEER_A_GEN_BITMAP, peer == 1 ? 0x1122334455667788ULL : 0);
	if (peer == 1)
		nla_put_u64(m, HAREPL_PEER_A_GEN_CURRENT, 0x0102030405060708ULL);
	nla_put_u64(m, HAREPL_PEER_A_RESYNC_TOTAL, peer == 1 ? 12ULL << 20 : 0);
	nla_put_u64(m, HAREPL_PEER_A_RESYNC_DONE, peer == 1 ? 5693768 : 0);
	nla_put_u64(m, HAREPL_PEER_A_RESYNC_RATE, peer == 1 ? 11848908 : 0);
	nla_put_u64(m, HAREPL_PEER_A_RESYNC_BYTES, peer == 1 ? 5693768 : 0);
	nla_put_u64(m, HAREPL_PEER_A_VERIFY_DIFF, peer == 1 ? 0 : 4096);
	nla_put_u32(m, HAREPL_PEER_A_RESYNC_RATE_MAX, 102400);
	nla_put_u32(m, HAREPL_PEER_A_CSUMS, peer == 2);
}

static void put_res_gen(struct nl_msg *m)
{
	static const uint64_t history[HAREPL_MD_HISTORY] = { 0xa, 0xb };

	nla_put_u64(m, HAREPL_A_RES_GEN_CURRENT, 0xfedcba9876543210ULL);
	nla_put(m, HAREPL_A_RES_GEN_HISTORY, sizeof(history), history);
	nla_put_u32(m, HAREPL_A_RES_MD_FLAGS, HAREPL_MDF_CONSISTENT | HAREPL_MDF_UPTODATE);
	nla_put_u32(m, HAREPL_A_RES_AL_EXTENTS, 256);
	nla_put_u64(m, HAREPL_A_RES_AL_WRITES, 17);
}

/* Peer 1 over IPv4, connected; peer 2 over IPv6, connecting, async */
static void put_peers(struct nl_msg *m, enum peer_variant v)
{
	struct nlattr *peers = nla_nest_start(m, HAREPL_A_RES_PEERS | NLA_F_NESTED);
	struct nlattr *p = nla_nest_start(m, NLA_F_NESTED);

	nla_put_u32(m, HAREPL_PEER_A_NODE_ID, 1);
	if (v == PEER_SHORT_ADDR)
		nla_put_u64(m, HAREPL_PEER_A_ADDR, 0);
	else
		put_sin(m, HAREPL_PEER_A_ADDR, "192.0.2.2", 7789);
	nla_put_u32(m, HAREPL_PEER_A_MODE, HAREPL_MODE_SYNC);
	nla_put_u32(m, HAREPL_PEER_A_CONN_STATE,
		    v == PEER_RESYNC ? HAREPL_CONN_SYNC_SOURCE : HAREPL_CONN_CONNECTED);
	nla_put_u32(m, HAREPL_PEER_A_ROLE, HAREPL_ROLE_SECONDARY);
	nla_put_u32(m, HAREPL_PEER_A_DISK_STATE, HAREPL_DISK_UPTODATE);
	nla_put_u32(m, HAREPL_PEER_A_INFLIGHT, 3);
	nla_put_u64(m, HAREPL_PEER_A_BYTES_SENT, 12ULL << 20);
	nla_put_u64(m, HAREPL_PEER_A_BYTES_RECV, 4198);
	if (v != PEER_NO_OOS)
		nla_put_u64(m, HAREPL_PEER_A_OOS_BYTES, 0);
	nla_put_u32(m, HAREPL_PEER_A_TIMEOUT_MS, 5000);
	nla_put_u32(m, HAREPL_PEER_A_SNDBUF, 4U << 20);
	nla_put_u32(m, HAREPL_PEER_A_ON_CONGESTION, HAREPL_CONGESTION_BLOCK);
	if (v == PEER_RESYNC)
		put_peer_resync(m, 1);
	nla_nest_end(m, p);

	p = nla_nest_start(m, NLA_F_NESTED);
	nla_put_u32(m, HAREPL_PEER_A_NODE_ID, 2);
	put_sin6(m, HAREPL_PEER_A_ADDR, "2001:db8::3", 7790,
		 v == PEER_BAD_FAMILY ? AF_INET : AF_INET6);
	nla_put_u32(m, HAREPL_PEER_A_MODE, HAREPL_MODE_ASYNC);
	nla_put_u32(m, HAREPL_PEER_A_CONN_STATE,
		    v == PEER_RESYNC ? HAREPL_CONN_SPLIT_BRAIN : HAREPL_CONN_CONNECTING);
	nla_put_u32(m, HAREPL_PEER_A_INFLIGHT, 0);
	nla_put_u64(m, HAREPL_PEER_A_BYTES_SENT, 0);
	nla_put_u64(m, HAREPL_PEER_A_BYTES_RECV, 1023);
	nla_put_u64(m, HAREPL_PEER_A_OOS_BYTES, 5ULL << 30);
	nla_put_u32(m, HAREPL_PEER_A_TIMEOUT_MS, 100);
	nla_put_u32(m, HAREPL_PEER_A_SNDBUF, 256U << 20);
	nla_put_u32(m, HAREPL_PEER_A_ON_CONGESTION, HAREPL_CONGESTION_AHEAD);
	if (v == PEER_RESYNC)
		put_peer_resync(m, 2);
	nla_nest_end(m, p);
	nla_nest_end(m, peers);
}

static void reply_peers_variant(enum peer_variant v)
{
	struct nl_msg *m = resource_msg("r0", 0, 0);

	put_sin(m, HAREPL_A_RES_LOCAL_ADDR, "192.0.2.1", 7789);
	if (v == PEER_RESYNC)
		put_res_gen(m);
	put_peers(m, v);
	push(m);
	push_error(0, NULL, 1);
}

static void reply_peers(void)
{
	reply_peers_variant(PEER_OK);
}

static void reply_peers_resync(void)
{
	reply_peers_variant(PEER_RESYNC);
}

static void reply_peer_no_oos(void)
{
	reply_peers_variant(PEER_NO_OOS);
}

static void reply_peer_bad_family(void)
{
	reply_peers_variant(PEER_BAD_FAMILY);
}

static void reply_peer_short_addr(void)
{
	reply_peers_variant(PEER_SHORT_ADDR);
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
	   strstr(buf, "\"uuid\":\"12340000-0000-0000-0000-0000000000ff\"") &&
	   strstr(buf, ",\"peers\":[]}") && !strstr(buf, "local_address"),
	   "status --json fields, no peers");
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

static char *print_to_string(const struct res_info *ri, bool json)
{
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	if (json) {
		fputc('{', f);
		res_print_json(f, ri);
		fputc('}', f);
	} else {
		res_print(f, ri);
	}
	fclose(f);
	return buf;
}

static void diag(const char *buf)
{
	char *copy = strdup(buf), *line;

	for (line = strtok(copy, "\n"); line; line = strtok(NULL, "\n"))
		printf("# %s\n", line);
	free(copy);
}

/* Generation ids, write-intent and resync progress in status */
static void test_status_resync(struct genl *g, struct res_list *l)
{
	const struct peer_info *p;
	struct genl_reply r;
	char *buf;
	int err;

	err = get(g, "r0", reply_peers_resync, l, &r);
	ok(!err && l->n == 1 && l->v[0].npeers == 2, "resync: reply parsed");
	if (err || l->n != 1 || l->v[0].npeers != 2) {
		for (err = 0; err < 4; err++)
			ok(0, "resync: reply not parsed");
		return;
	}
	p = l->v[0].peers;
	ok(l->v[0].gen_current == 0xfedcba9876543210ULL && l->v[0].gen_history[1] == 0xb &&
	   l->v[0].al_extents == 256 && l->v[0].al_writes == 17 &&
	   p[0].gen_bitmap == 0x1122334455667788ULL && PEER_HAS(&p[0], HAREPL_PEER_A_GEN_CURRENT) &&
	   !PEER_HAS(&p[1], HAREPL_PEER_A_GEN_CURRENT) && p[1].csums && !p[0].csums &&
	   p[1].verify_diff == 4096 && peer_resync_eta(&p[0]) == 1 &&
	   peer_resync_eta(&p[1]) == -1 && peer_resync_percent(&p[1]) == 100.0,
	   "resync: attributes, percent and ETA");

	buf = print_to_string(&l->v[0], false);
	diag(buf);
	ok(strstr(buf, "\n  generation: 0xfedcba9876543210, history 0x000000000000000a "
		  "0x000000000000000b 0x0000000000000000 0x0000000000000000\n"
		  "  metadata flags: consistent,uptodate\n"
		  "  write-intent: 256 extents, 17 transactions\n") &&
	   strstr(buf, "\n  peer 1 192.0.2.2:7789: SyncSource, sync,") &&
	   strstr(buf, "\n    resync 45.2% of 12.0 MiB, 11.3 MiB/s, ETA 0:01\n") &&
	   strstr(buf, "\n  peer 2 [2001:db8::3]:7790: SplitBrain, async,") &&
	   strstr(buf, "\n    split brain: both nodes changed the data while apart; "
		  "nothing was copied\n"), "resync: status lines");
	free(buf);

	buf = print_to_string(&l->v[0], true);
	diag(buf);
	ok(strstr(buf, ",\"gen_current\":\"0xfedcba9876543210\",\"gen_history\":"
		  "[\"0x000000000000000a\",\"0x000000000000000b\",\"0x0000000000000000\","
		  "\"0x0000000000000000\"],\"md_flags\":3,\"al_extents\":256,\"al_writes\":17,"
		  "\"peers\":[") &&
	   strstr(buf, "\"on_congestion\":\"block\",\"gen_bitmap\":\"0x1122334455667788\","
		  "\"gen_current\":\"0x0102030405060708\",\"resync_total\":12582912,"
		  "\"resync_done\":5693768,\"resync_rate\":11848908,\"resync_bytes\":5693768,"
		  "\"verify_diff\":0,\"resync_rate_max\":102400,\"csums\":false,"
		  "\"resync_percent\":45.2,\"resync_eta_s\":1}") &&
	   strstr(buf, "\"on_congestion\":\"ahead\",\"gen_bitmap\":\"0x0000000000000000\","
		  "\"resync_total\":0,\"resync_done\":0,\"resync_rate\":0,\"resync_bytes\":0,"
		  "\"verify_diff\":4096,\"resync_rate_max\":102400,\"csums\":true,"
		  "\"resync_percent\":100.0,\"resync_eta_s\":null}"), "resync: status --json");
	free(buf);
}

/* HAREPL_A_RES_LOCAL_ADDR and HAREPL_A_RES_PEERS in status */
static void test_status_peers(struct genl *g, struct res_list *l)
{
	const struct peer_info *p;
	struct genl_reply r;
	char *buf;
	int err;

	err = get(g, "r0", reply_peers, l, &r);
	ok(!err && l->n == 1 && l->v[0].npeers == 2 && l->v[0].local_addr.len ==
	   sizeof(struct sockaddr_in), "peers: reply parsed");
	if (err || l->n != 1 || l->v[0].npeers != 2) {
		for (err = 0; err < 6; err++)
			ok(0, "peers: reply not parsed");
		return;
	}
	p = l->v[0].peers;
	ok(p[0].node_id == 1 && p[0].has_role && p[0].role == HAREPL_ROLE_SECONDARY &&
	   p[0].has_disk && p[0].inflight == 3 && p[0].bytes_sent == 12ULL << 20 &&
	   p[1].node_id == 2 && !p[1].has_role && !p[1].has_disk &&
	   p[1].mode == HAREPL_MODE_ASYNC && p[1].oos_bytes == 5ULL << 30 &&
	   p[1].sndbuf == 256U << 20 && p[1].on_congestion == HAREPL_CONGESTION_AHEAD &&
	   p[1].addr.sa.sa_family == AF_INET6, "peers: attributes");

	buf = print_to_string(&l->v[0], false);
	diag(buf);
	ok(strstr(buf, "\n  address: 192.0.2.1:7789\n") &&
	   strstr(buf, "\n  peer 1 192.0.2.2:7789: Connected, sync, role Secondary, disk UpToDate, "
		  "in flight 3, sent 12.0 MiB, received 4.1 KiB, out of sync 0 B\n") &&
	   strstr(buf, "\n  peer 2 [2001:db8::3]:7790: Connecting, async, in flight 0, "
		  "sent 0 B, received 1023 B, out of sync 5.0 GiB\n"), "peers: status lines");
	free(buf);

	buf = print_to_string(&l->v[0], true);
	diag(buf);
	ok(strstr(buf, ",\"local_address\":\"192.0.2.1:7789\",\"peers\":[{\"node_id\":1,"
		  "\"address\":\"192.0.2.2:7789\",\"mode\":\"sync\",\"connection\":\"Connected\","
		  "\"role\":\"Secondary\",\"disk\":\"UpToDate\",\"inflight\":3,"
		  "\"bytes_sent\":12582912,\"bytes_received\":4198,\"oos_bytes\":0,"
		  "\"timeout_ms\":5000,\"send_buffer\":4194304,\"on_congestion\":\"block\"},"
		  "{\"node_id\":2,\"address\":\"[2001:db8::3]:7790\",\"mode\":\"async\","
		  "\"connection\":\"Connecting\",\"inflight\":0,") &&
	   strstr(buf, "\"on_congestion\":\"ahead\"}]}") && !strstr(buf, "gen_") &&
	   !strstr(buf, "resync"), "peers: status --json, no issue-7 keys from an older kernel");
	free(buf);

	err = get(g, "r0", reply_peer_no_oos, l, &r);
	ok(err == -EPROTO && strstr(r.msg, "no attribute 'peers[0].oos_bytes'"),
	   "peers: missing attribute named");
	err = get(g, "r0", reply_peer_bad_family, l, &r);
	ok(err == -EPROTO && strstr(r.msg, "bad attribute 'peers[1].address'"),
	   "peers: sockaddr_in6 length with AF_INET rejected");
	err = get(g, "r0", reply_peer_short_addr, l, &r);
	ok(err == -EPROTO && strstr(r.msg, "bad attribute 'peers[0]'"),
	   "peers: short address rejected");
}

static struct conf *load_conf(const char *text)
{
	char path[] = "/tmp/test_genl.XXXXXX";
	struct conf *c = NULL;
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		perror("test_genl: temporary file");
	if (fd >= 0)
		close(fd);
	if (conf_load("r0", path, &c))
		c = NULL;
	unlink(path);
	return c;
}

/* The nested HAREPL_A_RES_PEERS of the CONNECT request that was sent */
static bool check_sent_peers(struct nlattr *peers, const struct conf *c)
{
	struct nlattr *tb[HAREPL_PEER_A_MAX + 1], *nest;
	struct sockaddr_in sin;
	unsigned int i = 0;
	bool good = peers->nla_type & NLA_F_NESTED;
	int rem;

	nla_for_each_nested(nest, peers, rem) {
		const struct conf_peer *p = &c->peers[i];

		good &= i < c->npeers && nest->nla_type == NLA_F_NESTED &&
			!nla_parse_nested(tb, HAREPL_PEER_A_MAX, nest, NULL);
		if (!good)
			return false;
		good &= tb[HAREPL_PEER_A_NODE_ID] && tb[HAREPL_PEER_A_ADDR] &&
			tb[HAREPL_PEER_A_MODE] && tb[HAREPL_PEER_A_TIMEOUT_MS] &&
			tb[HAREPL_PEER_A_SNDBUF] && tb[HAREPL_PEER_A_ON_CONGESTION] &&
			!tb[HAREPL_PEER_A_CONN_STATE];
		if (!good)
			return false;
		good &= nla_get_u32(tb[HAREPL_PEER_A_NODE_ID]) == p->node_id &&
			nla_len(tb[HAREPL_PEER_A_ADDR]) == (int)p->addr.len &&
			!memcmp(nla_data(tb[HAREPL_PEER_A_ADDR]), &p->addr.sa, p->addr.len) &&
			nla_get_u32(tb[HAREPL_PEER_A_MODE]) == p->mode &&
			nla_get_u32(tb[HAREPL_PEER_A_TIMEOUT_MS]) == p->timeout_ms &&
			nla_get_u32(tb[HAREPL_PEER_A_SNDBUF]) == p->sndbuf &&
			nla_get_u32(tb[HAREPL_PEER_A_ON_CONGESTION]) == p->on_congestion;
		/* the kernel's defaults apply to what the file does not set */
		good &= !tb[HAREPL_PEER_A_RESYNC_RATE_MAX] == !p->resync_rate_line &&
			!tb[HAREPL_PEER_A_CSUMS] == !p->csums_line;
		if (good && p->resync_rate_line)
			good &= nla_get_u32(tb[HAREPL_PEER_A_RESYNC_RATE_MAX]) == p->resync_rate;
		if (good && p->csums_line)
			good &= nla_get_u32(tb[HAREPL_PEER_A_CSUMS]) == p->csums;
		i++;
	}
	/* the second peer's address as a kernel would build it */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(7790);
	inet_pton(AF_INET, "192.0.2.3", &sin.sin_addr);
	return good && i == c->npeers && !memcmp(&c->peers[1].addr.in4, &sin, sizeof(sin));
}

/* HAREPL_CMD_CONNECT as the configuration describes it, and DISCONNECT */
static void test_connect(struct genl *g)
{
	static const uint8_t port_7789[2] = { 0x1e, 0x6d };
	struct nlattr *tb[HAREPL_A_MAX + 1];
	struct genl_reply r;
	struct conf *c;
	int err;

	c = load_conf("[Resource]\nDisk = /dev/null\nNodeId = 0\n"
		      "Address = 192.0.2.1:7789\nSecret =  s3cret  \nMode = async\n"
		      "[Peer]\nNodeId = 1\nAddress = 192.0.2.2:7789\nMode = sync\n"
		      "[Peer]\nNodeId = 2\nAddress = 192.0.2.3:7790\nTimeout = 2s\n"
		      "SendBuffer = 64K\nOnCongestion = ahead\nResyncRate = 50M\n"
		      "csums = No\n");
	ok(c && c->npeers == 2 && c->secret_len == 6 && !memcmp(c->secret, "s3cret", 6) &&
	   c->peers[0].mode == HAREPL_MODE_SYNC && c->peers[0].timeout_ms == 5000 &&
	   c->peers[0].sndbuf == 4U << 20 &&
	   c->peers[0].on_congestion == HAREPL_CONGESTION_BLOCK &&
	   c->peers[1].mode == HAREPL_MODE_ASYNC && c->peers[1].timeout_ms == 2000 &&
	   c->peers[1].sndbuf == 64U << 10 &&
	   c->peers[1].on_congestion == HAREPL_CONGESTION_AHEAD,
	   "config: peer keys and defaults");
	ok(c && !c->peers[0].resync_rate_line && !c->peers[0].csums_line &&
	   c->peers[1].resync_rate == 51200 && c->peers[1].resync_rate_line &&
	   !c->peers[1].csums && c->peers[1].csums_line,
	   "config: ResyncRate in KiB/s, Csums, unset when absent");
	if (!c) {
		for (err = 0; err < 7; err++)
			ok(0, "connect: configuration not loaded");
		return;
	}
	reply = reply_ack;
	err = conn_connect(g, c, &r);
	ok(!err && ((struct genlmsghdr *)nlmsg_data(sent))->cmd == HAREPL_CMD_CONNECT &&
	   !genlmsg_parse(sent, 0, tb, HAREPL_A_MAX, NULL) &&
	   tb[HAREPL_A_RES_NAME] && !strcmp(nla_get_string(tb[HAREPL_A_RES_NAME]), "r0") &&
	   tb[HAREPL_A_RES_LOCAL_ADDR] &&
	   nla_len(tb[HAREPL_A_RES_LOCAL_ADDR]) == sizeof(struct sockaddr_in) &&
	   ((struct sockaddr_in *)nla_data(tb[HAREPL_A_RES_LOCAL_ADDR]))->sin_family == AF_INET &&
	   !memcmp((char *)nla_data(tb[HAREPL_A_RES_LOCAL_ADDR]) + 2, port_7789, 2) &&
	   tb[HAREPL_A_RES_SECRET] && nla_len(tb[HAREPL_A_RES_SECRET]) == 6 &&
	   !memcmp(nla_data(tb[HAREPL_A_RES_SECRET]), "s3cret", 6) &&
	   tb[HAREPL_A_RES_PEERS], "connect: request");
	ok(!err && tb[HAREPL_A_RES_PEERS] && check_sent_peers(tb[HAREPL_A_RES_PEERS], c),
	   "connect: nested peers");

	reply = reply_ebusy;
	err = conn_connect(g, c, &r);
	ok(err == -EBUSY && !strcmp(r.msg, "already connected; disconnect first") &&
	   genl_fail("r0", "connect", &r) == RC_FAIL, "connect: EBUSY says already connected");
	reply = reply_ebusy_extack;
	err = conn_connect(g, c, &r);
	ok(err == -EBUSY && !strcmp(r.msg, "resource r0 is connected"),
	   "connect: the kernel's extack wins");

	reply = reply_ack;
	err = conn_disconnect(g, "r0", &r);
	ok(!err && ((struct genlmsghdr *)nlmsg_data(sent))->cmd == HAREPL_CMD_DISCONNECT &&
	   !genlmsg_parse(sent, 0, tb, HAREPL_A_MAX, NULL) && tb[HAREPL_A_RES_NAME] &&
	   !strcmp(nla_get_string(tb[HAREPL_A_RES_NAME]), "r0") && !tb[HAREPL_A_RES_PEERS],
	   "disconnect: request");
	conf_free(c);

	c = load_conf("[Resource]\nDisk = /dev/null\nNodeId = 0\n"
		      "Address = [2001:db8::1]:7789\n"
		      "[Peer]\nNodeId = 1\nAddress = [2001:db8::2]:7789\n");
	reply = reply_ack;
	err = c ? conn_connect(g, c, &r) : -EINVAL;
	ok(!err && !genlmsg_parse(sent, 0, tb, HAREPL_A_MAX, NULL) &&
	   !tb[HAREPL_A_RES_SECRET] && tb[HAREPL_A_RES_LOCAL_ADDR] &&
	   nla_len(tb[HAREPL_A_RES_LOCAL_ADDR]) == sizeof(struct sockaddr_in6),
	   "connect: IPv6, no secret");
	conf_free(c);
}

/* AfterSplitBrain and connect --discard-my-data in HAREPL_CMD_CONNECT */
static void test_split_brain_connect(struct genl *g)
{
	struct nlattr *tb[HAREPL_A_MAX + 1], *ptb[HAREPL_PEER_A_MAX + 1], *p;
	struct genl_reply r;
	struct conf *c;
	int rem, n = 0, err;
	uint32_t policies[2] = { ~0U, ~0U };

	c = load_conf("[Resource]\nDisk = /dev/null\nNodeId = 0\n"
		      "Address = 192.0.2.1:7789\n"
		      "[Peer]\nNodeId = 1\nAddress = 192.0.2.2:7789\n"
		      "AfterSplitBrain = Discard-Least-Changes\n"
		      "[Peer]\nNodeId = 2\nAddress = 192.0.2.3:7789\n");
	ok(c && c->npeers == 2 &&
	   c->peers[0].after_sb == HAREPL_AFTER_SB_DISCARD_LEAST_CHANGES &&
	   c->peers[0].after_sb_line && !c->peers[1].after_sb_line,
	   "config: AfterSplitBrain, unset when absent");
	if (!c) {
		ok(0, "connect: configuration not loaded");
		ok(0, "connect: configuration not loaded");
		return;
	}
	reply = reply_ack;
	c->discard_my_data = true;
	err = conn_connect(g, c, &r);
	ok(!err && !genlmsg_parse(sent, 0, tb, HAREPL_A_MAX, NULL) &&
	   tb[HAREPL_A_CONNECT_FLAGS] &&
	   nla_get_u32(tb[HAREPL_A_CONNECT_FLAGS]) == HAREPL_CONNECT_F_DISCARD_MY_DATA,
	   "connect --discard-my-data: HAREPL_A_CONNECT_FLAGS");
	if (!err && tb[HAREPL_A_RES_PEERS]) {
		nla_for_each_nested(p, tb[HAREPL_A_RES_PEERS], rem) {
			if (n < 2 && !nla_parse_nested(ptb, HAREPL_PEER_A_MAX, p, NULL) &&
			    ptb[HAREPL_PEER_A_AFTER_SB])
				policies[n] = nla_get_u32(ptb[HAREPL_PEER_A_AFTER_SB]);
			n++;
		}
	}
	ok(n == 2 && policies[0] == HAREPL_AFTER_SB_DISCARD_LEAST_CHANGES && policies[1] == ~0U,
	   "connect: HAREPL_PEER_A_AFTER_SB only where set");
	conf_free(c);
}

/* One peer, node 1, in the state of the step of a job that job_wait() polls */
static const uint32_t *job_states;
static unsigned int job_step;

static void reply_job_step(void)
{
	struct nl_msg *m = resource_msg("r0", 0, 0);
	struct nlattr *peers = nla_nest_start(m, HAREPL_A_RES_PEERS | NLA_F_NESTED);
	struct nlattr *p = nla_nest_start(m, NLA_F_NESTED);
	uint32_t conn = job_states[job_step];

	if (job_states[job_step + 1] != ~0U)
		job_step++;	/* the last state stays */
	nla_put_u32(m, HAREPL_PEER_A_NODE_ID, 1);
	put_sin(m, HAREPL_PEER_A_ADDR, "192.0.2.2", 7789);
	nla_put_u32(m, HAREPL_PEER_A_MODE, HAREPL_MODE_SYNC);
	nla_put_u32(m, HAREPL_PEER_A_CONN_STATE, conn);
	nla_put_u32(m, HAREPL_PEER_A_INFLIGHT, 0);
	nla_put_u64(m, HAREPL_PEER_A_BYTES_SENT, 0);
	nla_put_u64(m, HAREPL_PEER_A_BYTES_RECV, 0);
	nla_put_u64(m, HAREPL_PEER_A_OOS_BYTES, 0);
	nla_put_u32(m, HAREPL_PEER_A_TIMEOUT_MS, 5000);
	nla_put_u32(m, HAREPL_PEER_A_SNDBUF, 4U << 20);
	nla_put_u32(m, HAREPL_PEER_A_ON_CONGESTION, HAREPL_CONGESTION_BLOCK);
	nla_put_u64(m, HAREPL_PEER_A_RESYNC_TOTAL, 1 << 20);
	nla_put_u64(m, HAREPL_PEER_A_RESYNC_DONE, conn == HAREPL_CONN_CONNECTED ? 1 << 20 : 0);
	nla_put_u64(m, HAREPL_PEER_A_VERIFY_DIFF, conn == HAREPL_CONN_CONNECTED ? 4096 : 0);
	nla_nest_end(m, p);
	nla_nest_end(m, peers);
	push(m);
	push_error(0, NULL, 1);
}

/* job_wait() with its stdout in out */
static int wait_for(struct genl *g, uint8_t cmd, const uint32_t *states, char *out, size_t len)
{
	static const uint32_t one = 1;
	FILE *f = tmpfile();
	int saved = dup(STDOUT_FILENO), rc;
	size_t n;

	job_states = states;
	job_step = 0;
	reply = reply_job_step;
	fflush(stdout);
	dup2(fileno(f), STDOUT_FILENO);
	rc = job_wait(g, "r0", cmd, &one);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	rewind(f);
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	fclose(f);
	if (n)
		printf("# %s", out);
	return rc;
}

/* HAREPL_CMD_RESYNC/VERIFY/INVALIDATE requests and waiting for the end */
static void test_jobs(struct genl *g)
{
	static const uint32_t verify[] = { HAREPL_CONN_VERIFY_SOURCE, HAREPL_CONN_VERIFY_SOURCE,
					   HAREPL_CONN_CONNECTED, ~0U };
	static const uint32_t lost[] = { HAREPL_CONN_SYNC_SOURCE, HAREPL_CONN_CONNECTING, ~0U };
	static const uint32_t tiny[] = { HAREPL_CONN_CONNECTED, ~0U };
	struct nlattr *tb[HAREPL_A_MAX + 1];
	uint32_t peer = 1;
	struct genl_reply r;
	char out[256];
	int err, rc;

	reply = reply_ack;
	err = conn_job(g, HAREPL_CMD_VERIFY, "r0", &peer, &r);
	ok(!err && ((struct genlmsghdr *)nlmsg_data(sent))->cmd == HAREPL_CMD_VERIFY &&
	   !genlmsg_parse(sent, 0, tb, HAREPL_A_MAX, NULL) && tb[HAREPL_A_RES_NAME] &&
	   !strcmp(nla_get_string(tb[HAREPL_A_RES_NAME]), "r0") && tb[HAREPL_A_PEER_ID] &&
	   nla_get_u32(tb[HAREPL_A_PEER_ID]) == 1, "verify: request with the peer");
	reply = reply_ebusy_extack;
	err = conn_job(g, HAREPL_CMD_INVALIDATE, "r0", NULL, &r);
	ok(err == -EBUSY && !strcmp(r.msg, "resource r0 is connected") &&
	   ((struct genlmsghdr *)nlmsg_data(sent))->cmd == HAREPL_CMD_INVALIDATE &&
	   !genlmsg_parse(sent, 0, tb, HAREPL_A_MAX, NULL) && !tb[HAREPL_A_PEER_ID],
	   "invalidate: request without a peer, extack kept");

	rc = wait_for(g, HAREPL_CMD_VERIFY, verify, out, sizeof(out));
	ok(rc == RC_OK && job_step == 2 &&
	   !strcmp(out, "r0: verify with peer 1 done: 4096 bytes differ\n"),
	   "verify --wait: polls until the peer is Connected again");
	rc = wait_for(g, HAREPL_CMD_RESYNC, lost, out, sizeof(out));
	ok(rc == RC_LOST && !out[0], "resync --wait: the peer lost ends the wait");
	rc = wait_for(g, HAREPL_CMD_RESYNC, tiny, out, sizeof(out));
	ok(rc == RC_OK && !strcmp(out, "r0: resync with peer 1 done: 1048576 bytes resynced\n"),
	   "resync --wait: a job over before the first poll");
}

static void test_format(void)
{
	char b[SIZE_BUF];
	struct addr a;
	char ab[ADDR_BUF];

	ok(!strcmp(fmt_bytes(b, 0), "0 B") && !strcmp(fmt_bytes(b, 1023), "1023 B") &&
	   !strcmp(fmt_bytes(b, 1024), "1.0 KiB") &&
	   !strcmp(fmt_bytes(b, 1048575), "1.0 MiB") &&
	   !strcmp(fmt_bytes(b, ~0ULL), "16.0 EiB"), "fmt_bytes");
	ok(!addr_parse("[::1]:1", &a) && !strcmp(addr_fmt(ab, &a), "[::1]:1") &&
	   addr_parse("192.0.2.1", &a) && addr_parse("192.0.2.1:0", &a) &&
	   addr_parse("[::1]", &a) && addr_parse("::1:7789", &a) &&
	   !addr_parse("192.0.2.1:65535", &a) && !strcmp(addr_fmt(ab, &a), "192.0.2.1:65535"),
	   "addresses");
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
	printf("TAP version 13\n1..43\n");

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

	test_status_peers(&g, &l);
	test_status_resync(&g, &l);
	test_connect(&g);
	test_split_brain_connect(&g);
	test_jobs(&g);
	test_format();

	free(l.v);
	free(sent);
	nl_socket_free(g.sk);
	printf("# %d passed, %d failed\n", test_no - failed, failed);
	return failed ? 1 : 0;
}
