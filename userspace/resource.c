// SPDX-License-Identifier: GPL-2.0
/*
 * A resource as the kernel reports it: parsing its attributes and printing
 * it for humans and as JSON.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "names.h"
#include "resource.h"
#include "util.h"

static const struct nla_policy policy[HAREPL_A_MAX + 1] = {
	[HAREPL_A_RES_NAME]		= { .type = NLA_STRING, .maxlen = HAREPL_NAME_MAX },
	[HAREPL_A_RES_DM_NAME]		= { .type = NLA_STRING, .maxlen = DM_NAME_LEN },
	[HAREPL_A_RES_ROLE]		= { .type = NLA_U32 },
	[HAREPL_A_RES_DISK_STATE]	= { .type = NLA_U32 },
	[HAREPL_A_RES_CONN_STATE]	= { .type = NLA_U32 },
	[HAREPL_A_RES_SIZE]		= { .type = NLA_U64 },
	[HAREPL_A_RES_DATA_DEV]		= { .type = NLA_STRING, .maxlen = HAREPL_DEVNAME_MAX },
	[HAREPL_A_RES_META_DEV]		= { .type = NLA_STRING, .maxlen = HAREPL_DEVNAME_MAX },
	[HAREPL_A_RES_MD_SB_SECTOR]	= { .type = NLA_U64 },
	[HAREPL_A_RES_MD_AL_SECTOR]	= { .type = NLA_U64 },
	[HAREPL_A_RES_MD_BM_SECTOR]	= { .type = NLA_U64 },
	[HAREPL_A_RES_MD_SECTORS]	= { .type = NLA_U64 },
	[HAREPL_A_RES_NODE_ID]		= { .type = NLA_U32 },
	[HAREPL_A_RES_UUID]		= { .minlen = HAREPL_UUID_LEN, .maxlen = HAREPL_UUID_LEN },
	[HAREPL_A_RES_READS]		= { .type = NLA_U64 },
	[HAREPL_A_RES_WRITES]		= { .type = NLA_U64 },
	[HAREPL_A_ROLE_FLAGS]		= { .type = NLA_U32 },
	[HAREPL_A_EVENT]		= { .type = NLA_U32 },
	[HAREPL_A_EVENT_SEQ]		= { .type = NLA_U64 },
	[HAREPL_A_EVENT_TIME]		= { .type = NLA_U64 },
	[HAREPL_A_RES_LOCAL_ADDR]	= { .minlen = sizeof(struct sockaddr_in),
					    .maxlen = sizeof(struct sockaddr_in6) },
	[HAREPL_A_RES_SECRET]		= { .maxlen = HAREPL_SECRET_MAX },
	[HAREPL_A_RES_PEERS]		= { .type = NLA_NESTED },
	[HAREPL_A_RES_GEN_CURRENT]	= { .type = NLA_U64 },
	[HAREPL_A_RES_GEN_HISTORY]	= { .minlen = sizeof(uint64_t) * HAREPL_MD_HISTORY,
					    .maxlen = sizeof(uint64_t) * HAREPL_MD_HISTORY },
	[HAREPL_A_RES_MD_FLAGS]		= { .type = NLA_U32 },
	[HAREPL_A_RES_AL_EXTENTS]	= { .type = NLA_U32 },
	[HAREPL_A_RES_AL_WRITES]	= { .type = NLA_U64 },
	[HAREPL_A_PEER_ID]		= { .type = NLA_U32 },
	[HAREPL_A_CONNECT_FLAGS]	= { .type = NLA_U32 },
	[HAREPL_A_RES_FENCING]		= { .type = NLA_U32 },
	[HAREPL_A_RES_FENCE_HANDLER]	= { .type = NLA_STRING,
					    .maxlen = HAREPL_FENCE_HANDLER_MAX },
	[HAREPL_A_RES_IO_FROZEN]	= { .type = NLA_U32 },
	[HAREPL_A_RES_FENCE_STATE]	= { .type = NLA_U32 },
	[HAREPL_A_RES_FENCE_PEER_ID]	= { .type = NLA_U32 },
	[HAREPL_A_RES_FENCE_EXIT]	= { .type = NLA_S32 },
	[HAREPL_A_RESUME_FLAGS]		= { .type = NLA_U32 },
};

static const struct nla_policy peer_policy[HAREPL_PEER_A_MAX + 1] = {
	[HAREPL_PEER_A_NODE_ID]		= { .type = NLA_U32 },
	[HAREPL_PEER_A_ADDR]		= { .minlen = sizeof(struct sockaddr_in),
					    .maxlen = sizeof(struct sockaddr_in6) },
	[HAREPL_PEER_A_MODE]		= { .type = NLA_U32 },
	[HAREPL_PEER_A_CONN_STATE]	= { .type = NLA_U32 },
	[HAREPL_PEER_A_ROLE]		= { .type = NLA_U32 },
	[HAREPL_PEER_A_DISK_STATE]	= { .type = NLA_U32 },
	[HAREPL_PEER_A_INFLIGHT]	= { .type = NLA_U32 },
	[HAREPL_PEER_A_BYTES_SENT]	= { .type = NLA_U64 },
	[HAREPL_PEER_A_BYTES_RECV]	= { .type = NLA_U64 },
	[HAREPL_PEER_A_OOS_BYTES]	= { .type = NLA_U64 },
	[HAREPL_PEER_A_TIMEOUT_MS]	= { .type = NLA_U32 },
	[HAREPL_PEER_A_SNDBUF]		= { .type = NLA_U32 },
	[HAREPL_PEER_A_ON_CONGESTION]	= { .type = NLA_U32 },
	[HAREPL_PEER_A_GEN_BITMAP]	= { .type = NLA_U64 },
	[HAREPL_PEER_A_GEN_CURRENT]	= { .type = NLA_U64 },
	[HAREPL_PEER_A_RESYNC_TOTAL]	= { .type = NLA_U64 },
	[HAREPL_PEER_A_RESYNC_DONE]	= { .type = NLA_U64 },
	[HAREPL_PEER_A_RESYNC_RATE]	= { .type = NLA_U64 },
	[HAREPL_PEER_A_RESYNC_BYTES]	= { .type = NLA_U64 },
	[HAREPL_PEER_A_VERIFY_DIFF]	= { .type = NLA_U64 },
	[HAREPL_PEER_A_RESYNC_RATE_MAX]	= { .type = NLA_U32 },
	[HAREPL_PEER_A_CSUMS]		= { .type = NLA_U32 },
	[HAREPL_PEER_A_AFTER_SB]	= { .type = NLA_U32 },
	[HAREPL_PEER_A_SB_RESULT]	= { .type = NLA_U32 },
	[HAREPL_PEER_A_SB_REASON]	= { .type = NLA_STRING, .maxlen = 192 },
};

_Static_assert(HAREPL_A_MAX < 64, "struct res_info.has has a bit per attribute");
_Static_assert(HAREPL_PEER_A_MAX < 32, "struct peer_info.has has a bit per attribute");

/*
 * The attributes of issue 7 are optional, so that status works with an
 * older kernel: each one present is stored and noted in ->has.
 */
static void opt_u64(struct nlattr *a, uint64_t *v)
{
	if (a)
		*v = nla_get_u64(a);
}

static void opt_u32(struct nlattr *a, uint32_t *v)
{
	if (a)
		*v = nla_get_u32(a);
}

static void peer_parse_resync(struct nlattr **tb, struct peer_info *pi)
{
	uint32_t csums = 0;
	int i;

	for (i = 0; i <= HAREPL_PEER_A_MAX; i++)
		pi->has |= tb[i] ? 1U << i : 0;
	opt_u64(tb[HAREPL_PEER_A_GEN_BITMAP], &pi->gen_bitmap);
	opt_u64(tb[HAREPL_PEER_A_GEN_CURRENT], &pi->gen_current);
	opt_u64(tb[HAREPL_PEER_A_RESYNC_TOTAL], &pi->resync_total);
	opt_u64(tb[HAREPL_PEER_A_RESYNC_DONE], &pi->resync_done);
	opt_u64(tb[HAREPL_PEER_A_RESYNC_RATE], &pi->resync_rate);
	opt_u64(tb[HAREPL_PEER_A_RESYNC_BYTES], &pi->resync_bytes);
	opt_u64(tb[HAREPL_PEER_A_VERIFY_DIFF], &pi->verify_diff);
	opt_u32(tb[HAREPL_PEER_A_RESYNC_RATE_MAX], &pi->resync_rate_max);
	opt_u32(tb[HAREPL_PEER_A_CSUMS], &csums);
	pi->csums = csums != 0;
	opt_u32(tb[HAREPL_PEER_A_AFTER_SB], &pi->after_sb);
	opt_u32(tb[HAREPL_PEER_A_SB_RESULT], &pi->sb_result);
	if (tb[HAREPL_PEER_A_SB_REASON])
		nla_strlcpy(pi->sb_reason, tb[HAREPL_PEER_A_SB_REASON], sizeof(pi->sb_reason));
}

static void res_parse_gen(struct nlattr **tb, struct res_info *ri)
{
	int i;

	for (i = 0; i <= HAREPL_A_MAX; i++)
		ri->has |= tb[i] ? 1ULL << i : 0;
	opt_u64(tb[HAREPL_A_RES_GEN_CURRENT], &ri->gen_current);
	opt_u32(tb[HAREPL_A_RES_MD_FLAGS], &ri->md_flags);
	opt_u32(tb[HAREPL_A_RES_AL_EXTENTS], &ri->al_extents);
	opt_u64(tb[HAREPL_A_RES_AL_WRITES], &ri->al_writes);
	opt_u32(tb[HAREPL_A_RES_FENCING], &ri->fencing);
	opt_u32(tb[HAREPL_A_RES_IO_FROZEN], &ri->io_frozen);
	opt_u32(tb[HAREPL_A_RES_FENCE_STATE], &ri->fence_state);
	opt_u32(tb[HAREPL_A_RES_FENCE_PEER_ID], &ri->fence_peer);
	if (tb[HAREPL_A_RES_FENCE_EXIT])
		ri->fence_exit = nla_get_s32(tb[HAREPL_A_RES_FENCE_EXIT]);
	if (tb[HAREPL_A_RES_FENCE_HANDLER])
		nla_strlcpy(ri->fence_handler, tb[HAREPL_A_RES_FENCE_HANDLER],
			    sizeof(ri->fence_handler));
	/* HAREPL_MD_HISTORY in host order: the policy checked the length */
	if (tb[HAREPL_A_RES_GEN_HISTORY])
		memcpy(ri->gen_history, nla_data(tb[HAREPL_A_RES_GEN_HISTORY]),
		       sizeof(ri->gen_history));
}

/* Every resource attribute is in every message; JSON names for messages */
static const struct {
	uint16_t attr;
	const char *name;
} required[] = {
	{ HAREPL_A_RES_NAME,		"name" },
	{ HAREPL_A_RES_DM_NAME,		"device" },
	{ HAREPL_A_RES_ROLE,		"role" },
	{ HAREPL_A_RES_DISK_STATE,	"disk" },
	{ HAREPL_A_RES_CONN_STATE,	"connection" },
	{ HAREPL_A_RES_SIZE,		"size_sectors" },
	{ HAREPL_A_RES_DATA_DEV,	"data_dev" },
	{ HAREPL_A_RES_META_DEV,	"meta_dev" },
	{ HAREPL_A_RES_MD_SB_SECTOR,	"md_sb_sector" },
	{ HAREPL_A_RES_MD_AL_SECTOR,	"md_al_sector" },
	{ HAREPL_A_RES_MD_BM_SECTOR,	"md_bm_sector" },
	{ HAREPL_A_RES_MD_SECTORS,	"md_sectors" },
	{ HAREPL_A_RES_NODE_ID,		"node_id" },
	{ HAREPL_A_RES_UUID,		"uuid" },
	{ HAREPL_A_RES_READS,		"reads" },
	{ HAREPL_A_RES_WRITES,		"writes" },
};

/* Every peer attribute but role and disk is in every peer; JSON names */
static const struct {
	uint16_t attr;
	const char *name;
} peer_required[] = {
	{ HAREPL_PEER_A_NODE_ID,	"node_id" },
	{ HAREPL_PEER_A_ADDR,		"address" },
	{ HAREPL_PEER_A_MODE,		"mode" },
	{ HAREPL_PEER_A_CONN_STATE,	"connection" },
	{ HAREPL_PEER_A_INFLIGHT,	"inflight" },
	{ HAREPL_PEER_A_BYTES_SENT,	"bytes_sent" },
	{ HAREPL_PEER_A_BYTES_RECV,	"bytes_received" },
	{ HAREPL_PEER_A_OOS_BYTES,	"oos_bytes" },
	{ HAREPL_PEER_A_TIMEOUT_MS,	"timeout_ms" },
	{ HAREPL_PEER_A_SNDBUF,		"send_buffer" },
	{ HAREPL_PEER_A_ON_CONGESTION,	"on_congestion" },
};

int res_msg_parse(struct nl_msg *msg, struct nlattr *tb[HAREPL_A_MAX + 1],
		  uint8_t *cmd)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int err = genlmsg_parse(nlh, 0, tb, HAREPL_A_MAX, policy);

	if (err == 0)
		*cmd = ((struct genlmsghdr *)nlmsg_data(nlh))->cmd;
	return err;
}

static int peer_parse(struct nlattr *nest, unsigned int i, struct peer_info *pi,
		      char why[WHY_BUF])
{
	struct nlattr *tb[HAREPL_PEER_A_MAX + 1];
	size_t k;

	if (nla_parse_nested(tb, HAREPL_PEER_A_MAX, nest, peer_policy)) {
		snprintf(why, WHY_BUF, "bad attribute 'peers[%u]'", i);
		return -EPROTO;
	}
	for (k = 0; k < ARRAY_SIZE(peer_required); k++) {
		if (!tb[peer_required[k].attr]) {
			snprintf(why, WHY_BUF, "no attribute 'peers[%u].%s'", i,
				 peer_required[k].name);
			return -EPROTO;
		}
	}
	if (addr_set(&pi->addr, nla_data(tb[HAREPL_PEER_A_ADDR]),
		     (size_t)nla_len(tb[HAREPL_PEER_A_ADDR]))) {
		snprintf(why, WHY_BUF, "bad attribute 'peers[%u].address'", i);
		return -EPROTO;
	}
	pi->node_id = nla_get_u32(tb[HAREPL_PEER_A_NODE_ID]);
	pi->mode = nla_get_u32(tb[HAREPL_PEER_A_MODE]);
	pi->conn = nla_get_u32(tb[HAREPL_PEER_A_CONN_STATE]);
	pi->has_role = tb[HAREPL_PEER_A_ROLE];
	if (pi->has_role)
		pi->role = nla_get_u32(tb[HAREPL_PEER_A_ROLE]);
	pi->has_disk = tb[HAREPL_PEER_A_DISK_STATE];
	if (pi->has_disk)
		pi->disk = nla_get_u32(tb[HAREPL_PEER_A_DISK_STATE]);
	pi->inflight = nla_get_u32(tb[HAREPL_PEER_A_INFLIGHT]);
	pi->bytes_sent = nla_get_u64(tb[HAREPL_PEER_A_BYTES_SENT]);
	pi->bytes_recv = nla_get_u64(tb[HAREPL_PEER_A_BYTES_RECV]);
	pi->oos_bytes = nla_get_u64(tb[HAREPL_PEER_A_OOS_BYTES]);
	pi->timeout_ms = nla_get_u32(tb[HAREPL_PEER_A_TIMEOUT_MS]);
	pi->sndbuf = nla_get_u32(tb[HAREPL_PEER_A_SNDBUF]);
	pi->on_congestion = nla_get_u32(tb[HAREPL_PEER_A_ON_CONGESTION]);
	peer_parse_resync(tb, pi);
	return 0;
}

/* HAREPL_A_RES_PEERS: one nested attribute (type 0) per peer */
static int peers_parse(struct nlattr *peers, struct res_info *ri, char why[WHY_BUF])
{
	struct nlattr *nest;
	int rem, err;

	nla_for_each_nested(nest, peers, rem) {
		if (ri->npeers == HAREPL_MAX_PEERS) {
			snprintf(why, WHY_BUF, "more than %d peers", HAREPL_MAX_PEERS);
			return -EPROTO;
		}
		err = peer_parse(nest, ri->npeers, &ri->peers[ri->npeers], why);
		if (err)
			return err;
		ri->npeers++;
	}
	return 0;
}

int res_parse(struct nlattr *tb[HAREPL_A_MAX + 1], struct res_info *ri,
	      char why[WHY_BUF])
{
	struct nlattr *a = tb[HAREPL_A_RES_LOCAL_ADDR];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(required); i++) {
		if (!tb[required[i].attr]) {
			snprintf(why, WHY_BUF, "no attribute '%s'", required[i].name);
			return -EPROTO;
		}
	}
	memset(ri, 0, sizeof(*ri));
	nla_strlcpy(ri->name, tb[HAREPL_A_RES_NAME], sizeof(ri->name));
	nla_strlcpy(ri->dm_name, tb[HAREPL_A_RES_DM_NAME], sizeof(ri->dm_name));
	ri->role = nla_get_u32(tb[HAREPL_A_RES_ROLE]);
	ri->disk = nla_get_u32(tb[HAREPL_A_RES_DISK_STATE]);
	ri->conn = nla_get_u32(tb[HAREPL_A_RES_CONN_STATE]);
	ri->size = nla_get_u64(tb[HAREPL_A_RES_SIZE]);
	nla_strlcpy(ri->data_dev, tb[HAREPL_A_RES_DATA_DEV], sizeof(ri->data_dev));
	nla_strlcpy(ri->meta_dev, tb[HAREPL_A_RES_META_DEV], sizeof(ri->meta_dev));
	ri->md_sb_sector = nla_get_u64(tb[HAREPL_A_RES_MD_SB_SECTOR]);
	ri->md_al_sector = nla_get_u64(tb[HAREPL_A_RES_MD_AL_SECTOR]);
	ri->md_bm_sector = nla_get_u64(tb[HAREPL_A_RES_MD_BM_SECTOR]);
	ri->md_sectors = nla_get_u64(tb[HAREPL_A_RES_MD_SECTORS]);
	ri->node_id = nla_get_u32(tb[HAREPL_A_RES_NODE_ID]);
	memcpy(ri->uuid, nla_data(tb[HAREPL_A_RES_UUID]), HAREPL_UUID_LEN);
	ri->reads = nla_get_u64(tb[HAREPL_A_RES_READS]);
	ri->writes = nla_get_u64(tb[HAREPL_A_RES_WRITES]);
	res_parse_gen(tb, ri);
	if (a && addr_set(&ri->local_addr, nla_data(a), (size_t)nla_len(a))) {
		snprintf(why, WHY_BUF, "bad attribute 'local_address'");
		return -EPROTO;
	}
	return tb[HAREPL_A_RES_PEERS] ? peers_parse(tb[HAREPL_A_RES_PEERS], ri, why) : 0;
}

#define DUMP_TRIES 5

struct collect {
	struct res_list *l;
	char bad[WHY_BUF];	/* why a message could not be used */
};

static int collect(struct nl_msg *msg, void *arg)
{
	struct collect *c = arg;
	struct nlattr *tb[HAREPL_A_MAX + 1];
	struct res_info ri, *v;
	uint8_t cmd;

	if (res_msg_parse(msg, tb, &cmd)) {
		snprintf(c->bad, sizeof(c->bad), "malformed message");
		return NL_SKIP;
	}
	if (res_parse(tb, &ri, c->bad))
		return NL_SKIP;
	v = realloc(c->l->v, (c->l->n + 1) * sizeof(*v));
	if (!v) {
		snprintf(c->bad, sizeof(c->bad), "out of memory");
		return NL_STOP;
	}
	c->l->v = v;
	c->l->v[c->l->n++] = ri;
	return NL_OK;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct res_info *)a)->name,
		      ((const struct res_info *)b)->name);
}

/* A dump that raced with a resource coming or going is tried again */
int res_get(struct genl *g, const char *name, struct res_list *l,
	    struct genl_reply *r)
{
	struct collect c = { .l = l };
	struct nl_msg *msg;
	int tries = 0, err;

	do {
		l->n = 0;
		c.bad[0] = '\0';
		msg = genl_new(g, HAREPL_CMD_GET_RESOURCE, name ? 0 : NLM_F_DUMP);
		if (!msg || (name && nla_put_string(msg, HAREPL_A_RES_NAME, name))) {
			nlmsg_free(msg);
			r->error = -ENOMEM;
			snprintf(r->msg, sizeof(r->msg), "cannot build the request");
			return r->error;
		}
		err = genl_call(g, msg, collect, &c, r);
	} while (err == -EINTR && ++tries < DUMP_TRIES);
	if (!err && (c.bad[0] || (name && l->n != 1))) {
		r->error = err = -EPROTO;
		snprintf(r->msg, sizeof(r->msg), "bad reply from the kernel: %s",
			 c.bad[0] ? c.bad : "not one resource");
	}
	if (!err)
		qsort(l->v, l->n, sizeof(*l->v), by_name);
	return err;
}

bool conn_resyncing(uint32_t conn)
{
	return conn == HAREPL_CONN_SYNC_SOURCE || conn == HAREPL_CONN_SYNC_TARGET ||
	       conn == HAREPL_CONN_VERIFY_SOURCE || conn == HAREPL_CONN_VERIFY_TARGET;
}

bool peer_has_progress(const struct peer_info *pi)
{
	return PEER_HAS(pi, HAREPL_PEER_A_RESYNC_TOTAL) &&
	       PEER_HAS(pi, HAREPL_PEER_A_RESYNC_DONE);
}

double peer_resync_percent(const struct peer_info *pi)
{
	if (!pi->resync_total || pi->resync_done >= pi->resync_total)
		return 100.0;
	/* rounded down: never 100.0 while something is left */
	return (double)(uint64_t)((double)pi->resync_done / (double)pi->resync_total * 1000) / 10;
}

int64_t peer_resync_eta(const struct peer_info *pi)
{
	uint64_t left;

	if (!conn_resyncing(pi->conn) || !peer_has_progress(pi) || !pi->resync_rate)
		return -1;
	left = pi->resync_total > pi->resync_done ? pi->resync_total - pi->resync_done : 0;
	return (int64_t)((left + pi->resync_rate - 1) / pi->resync_rate);
}

/* "1:05", "2:00:00" */
static void print_eta(FILE *f, int64_t s)
{
	if (s < 0)
		fputs("unknown", f);
	else if (s < 3600)
		fprintf(f, "%lld:%02lld", (long long)(s / 60), (long long)(s % 60));
	else
		fprintf(f, "%lld:%02lld:%02lld", (long long)(s / 3600),
			(long long)(s / 60 % 60), (long long)(s % 60));
}

/* "    resync 45.2% of 12.0 MiB, 11.3 MiB/s, ETA 0:01", or split brain */
static void peer_print_resync(FILE *f, const struct peer_info *pi)
{
	char s[SIZE_BUF];
	bool verify = pi->conn == HAREPL_CONN_VERIFY_SOURCE ||
		      pi->conn == HAREPL_CONN_VERIFY_TARGET;

	if (PEER_HAS(pi, HAREPL_PEER_A_AFTER_SB))
		fprintf(f, "    after split brain: %s\n", after_sb_name(pi->after_sb));
	if (pi->conn == HAREPL_CONN_SPLIT_BRAIN) {
		fprintf(f, "    split brain: both nodes changed the data while apart; nothing was copied%s%s\n",
			pi->sb_reason[0] ? ": " : "", pi->sb_reason);
		return;
	}
	if (PEER_HAS(pi, HAREPL_PEER_A_SB_RESULT) && pi->sb_result != HAREPL_SB_NONE)
		fprintf(f, "    split brain %s: %s\n", sb_result_name(pi->sb_result),
			pi->sb_reason);
	if (!conn_resyncing(pi->conn) || !peer_has_progress(pi))
		return;
	fprintf(f, "    %s %.1f%% of %s", verify ? "verify" : "resync",
		peer_resync_percent(pi), fmt_bytes(s, pi->resync_total));
	fprintf(f, ", %s/s, ETA ", fmt_bytes(s, pi->resync_rate));
	print_eta(f, peer_resync_eta(pi));
	fputc('\n', f);
}

/* "  peer 1 192.0.2.2:7789: Connected, sync, role Secondary, ..." */
static void peer_print(FILE *f, const struct peer_info *pi)
{
	char a[ADDR_BUF], s[SIZE_BUF];

	fprintf(f, "  peer %u %s: %s, %s", pi->node_id, addr_fmt(a, &pi->addr),
		conn_name(pi->conn), mode_name(pi->mode));
	if (pi->has_role)
		fprintf(f, ", role %s", role_name(pi->role));
	if (pi->has_disk)
		fprintf(f, ", disk %s", disk_name(pi->disk));
	fprintf(f, ", in flight %u", pi->inflight);
	fprintf(f, ", sent %s", fmt_bytes(s, pi->bytes_sent));
	fprintf(f, ", received %s", fmt_bytes(s, pi->bytes_recv));
	fprintf(f, ", out of sync %s\n", fmt_bytes(s, pi->oos_bytes));
	peer_print_resync(f, pi);
}

/* "  generation: 0x..., history 0x... 0x... 0x... 0x..." and the metadata's state */
static void res_print_gen(FILE *f, const struct res_info *ri)
{
	int i;

	if (RES_HAS(ri, HAREPL_A_RES_GEN_CURRENT)) {
		fprintf(f, "  generation: 0x%016llx", (unsigned long long)ri->gen_current);
		if (RES_HAS(ri, HAREPL_A_RES_GEN_HISTORY)) {
			fputs(", history", f);
			for (i = 0; i < HAREPL_MD_HISTORY; i++)
				fprintf(f, " 0x%016llx", (unsigned long long)ri->gen_history[i]);
		}
		fputc('\n', f);
	}
	if (RES_HAS(ri, HAREPL_A_RES_MD_FLAGS)) {
		fputs("  metadata flags: ", f);
		print_md_flags(f, ri->md_flags, ",", "");
		fputc('\n', f);
	}
	if (RES_HAS(ri, HAREPL_A_RES_AL_EXTENTS) && RES_HAS(ri, HAREPL_A_RES_AL_WRITES))
		fprintf(f, "  write-intent: %u extents, %llu transactions\n", ri->al_extents,
			(unsigned long long)ri->al_writes);
}

/* "  fencing: resource-and-stonith, handler /usr/lib/..., I/O frozen (fencing)" */
static void res_print_fence(FILE *f, const struct res_info *ri)
{
	if (!RES_HAS(ri, HAREPL_A_RES_FENCING) || !RES_HAS(ri, HAREPL_A_RES_IO_FROZEN))
		return;
	fprintf(f, "  fencing: %s", fencing_name(ri->fencing));
	if (ri->fence_handler[0])
		fprintf(f, ", handler %s", ri->fence_handler);
	if (ri->io_frozen != HAREPL_FREEZE_NONE)
		fprintf(f, ", I/O FROZEN (%s)", freeze_name(ri->io_frozen));
	if (RES_HAS(ri, HAREPL_A_RES_FENCE_PEER_ID))
		fprintf(f, ", last handler for peer %u %s", ri->fence_peer,
			fence_state_name(ri->fence_state));
	if (RES_HAS(ri, HAREPL_A_RES_FENCE_EXIT))
		fprintf(f, " (%s %d)", ri->fence_exit < 0 ? "error" : "exit status",
			ri->fence_exit);
	fputc('\n', f);
}

void res_print(FILE *f, const struct res_info *ri)
{
	char s[SIZE_BUF], u[UUID_BUF], a[ADDR_BUF];
	unsigned int i;

	fprintf(f, "%s: role %s, disk %s, connection %s\n", ri->name,
		role_name(ri->role), disk_name(ri->disk), conn_name(ri->conn));
	fprintf(f, "  device: /dev/mapper/%s, %s\n", ri->dm_name, fmt_size(s, ri->size));
	fprintf(f, "  data: %s, meta: %s\n", ri->data_dev, ri->meta_dev);
	fprintf(f, "  metadata: %s, superblock at sector %llu, write-intent at %llu, bitmap at %llu\n",
		fmt_size(s, ri->md_sectors), (unsigned long long)ri->md_sb_sector,
		(unsigned long long)ri->md_al_sector, (unsigned long long)ri->md_bm_sector);
	fprintf(f, "  node id: %u\n", ri->node_id);
	fprintf(f, "  uuid: %s\n", fmt_uuid(u, ri->uuid));
	fprintf(f, "  reads: %llu, writes: %llu\n", (unsigned long long)ri->reads,
		(unsigned long long)ri->writes);
	res_print_gen(f, ri);
	res_print_fence(f, ri);
	if (ri->local_addr.len)
		fprintf(f, "  address: %s\n", addr_fmt(a, &ri->local_addr));
	for (i = 0; i < ri->npeers; i++)
		peer_print(f, &ri->peers[i]);
}

static void json_key_str(FILE *f, const char *key, const char *val)
{
	fprintf(f, ",\"%s\":", key);
	json_string(f, val);
}

static void json_key_u64(FILE *f, const char *key, uint64_t val)
{
	fprintf(f, ",\"%s\":%llu", key, (unsigned long long)val);
}

static void json_key_gen(FILE *f, const char *key, uint64_t val)
{
	fprintf(f, ",\"%s\":\"0x%016llx\"", key, (unsigned long long)val);
}

static void json_peer_u64(FILE *f, const struct peer_info *pi, uint16_t attr,
			  const char *key, uint64_t val)
{
	if (PEER_HAS(pi, attr))
		json_key_u64(f, key, val);
}

/* Each key only when the kernel sent its attribute */
static void peer_print_json_resync(FILE *f, const struct peer_info *pi)
{
	int64_t eta = peer_resync_eta(pi);

	if (PEER_HAS(pi, HAREPL_PEER_A_GEN_BITMAP))
		json_key_gen(f, "gen_bitmap", pi->gen_bitmap);
	if (PEER_HAS(pi, HAREPL_PEER_A_GEN_CURRENT))
		json_key_gen(f, "gen_current", pi->gen_current);
	json_peer_u64(f, pi, HAREPL_PEER_A_RESYNC_TOTAL, "resync_total", pi->resync_total);
	json_peer_u64(f, pi, HAREPL_PEER_A_RESYNC_DONE, "resync_done", pi->resync_done);
	json_peer_u64(f, pi, HAREPL_PEER_A_RESYNC_RATE, "resync_rate", pi->resync_rate);
	json_peer_u64(f, pi, HAREPL_PEER_A_RESYNC_BYTES, "resync_bytes", pi->resync_bytes);
	json_peer_u64(f, pi, HAREPL_PEER_A_VERIFY_DIFF, "verify_diff", pi->verify_diff);
	json_peer_u64(f, pi, HAREPL_PEER_A_RESYNC_RATE_MAX, "resync_rate_max",
		      pi->resync_rate_max);
	if (PEER_HAS(pi, HAREPL_PEER_A_CSUMS))
		fprintf(f, ",\"csums\":%s", pi->csums ? "true" : "false");
	if (PEER_HAS(pi, HAREPL_PEER_A_AFTER_SB))
		json_key_str(f, "after_split_brain", after_sb_name(pi->after_sb));
	if (PEER_HAS(pi, HAREPL_PEER_A_SB_RESULT))
		json_key_str(f, "split_brain", sb_result_name(pi->sb_result));
	if (PEER_HAS(pi, HAREPL_PEER_A_SB_REASON))
		json_key_str(f, "split_brain_reason", pi->sb_reason);
	if (!peer_has_progress(pi))
		return;
	fprintf(f, ",\"resync_percent\":%.1f,\"resync_eta_s\":", peer_resync_percent(pi));
	if (eta < 0)
		fputs("null", f);
	else
		fprintf(f, "%lld", (long long)eta);
}

static void peer_print_json(FILE *f, const struct peer_info *pi)
{
	char a[ADDR_BUF];

	fprintf(f, "{\"node_id\":%u", pi->node_id);
	json_key_str(f, "address", addr_fmt(a, &pi->addr));
	json_key_str(f, "mode", mode_name(pi->mode));
	json_key_str(f, "connection", conn_name(pi->conn));
	if (pi->has_role)
		json_key_str(f, "role", role_name(pi->role));
	if (pi->has_disk)
		json_key_str(f, "disk", disk_name(pi->disk));
	json_key_u64(f, "inflight", pi->inflight);
	json_key_u64(f, "bytes_sent", pi->bytes_sent);
	json_key_u64(f, "bytes_received", pi->bytes_recv);
	json_key_u64(f, "oos_bytes", pi->oos_bytes);
	json_key_u64(f, "timeout_ms", pi->timeout_ms);
	json_key_u64(f, "send_buffer", pi->sndbuf);
	json_key_str(f, "on_congestion", congestion_name(pi->on_congestion));
	peer_print_json_resync(f, pi);
	fputc('}', f);
}

/* Each key only when the kernel sent its attribute */
static void res_print_json_gen(FILE *f, const struct res_info *ri)
{
	int i;

	if (RES_HAS(ri, HAREPL_A_RES_GEN_CURRENT))
		json_key_gen(f, "gen_current", ri->gen_current);
	if (RES_HAS(ri, HAREPL_A_RES_GEN_HISTORY)) {
		fputs(",\"gen_history\":[", f);
		for (i = 0; i < HAREPL_MD_HISTORY; i++)
			fprintf(f, "%s\"0x%016llx\"", i ? "," : "",
				(unsigned long long)ri->gen_history[i]);
		fputc(']', f);
	}
	if (RES_HAS(ri, HAREPL_A_RES_MD_FLAGS))
		json_key_u64(f, "md_flags", ri->md_flags);
	if (RES_HAS(ri, HAREPL_A_RES_AL_EXTENTS))
		json_key_u64(f, "al_extents", ri->al_extents);
	if (RES_HAS(ri, HAREPL_A_RES_AL_WRITES))
		json_key_u64(f, "al_writes", ri->al_writes);
}

/* Each key only when the kernel sent its attribute */
static void res_print_json_fence(FILE *f, const struct res_info *ri)
{
	if (RES_HAS(ri, HAREPL_A_RES_FENCING))
		json_key_str(f, "fencing", fencing_name(ri->fencing));
	if (RES_HAS(ri, HAREPL_A_RES_FENCE_HANDLER))
		json_key_str(f, "fence_handler", ri->fence_handler);
	if (RES_HAS(ri, HAREPL_A_RES_IO_FROZEN)) {
		fprintf(f, ",\"io_frozen\":%s",
			ri->io_frozen != HAREPL_FREEZE_NONE ? "true" : "false");
		json_key_str(f, "io_frozen_reason", freeze_name(ri->io_frozen));
	}
	if (RES_HAS(ri, HAREPL_A_RES_FENCE_STATE))
		json_key_str(f, "fence_state", fence_state_name(ri->fence_state));
	if (RES_HAS(ri, HAREPL_A_RES_FENCE_PEER_ID))
		json_key_u64(f, "fence_peer", ri->fence_peer);
	if (RES_HAS(ri, HAREPL_A_RES_FENCE_EXIT))
		fprintf(f, ",\"fence_exit\":%d", ri->fence_exit);
}

void res_print_json(FILE *f, const struct res_info *ri)
{
	char u[UUID_BUF], a[ADDR_BUF];
	unsigned int i;

	fprintf(f, "\"name\":");
	json_string(f, ri->name);
	json_key_str(f, "device", ri->dm_name);
	json_key_str(f, "role", role_name(ri->role));
	json_key_str(f, "disk", disk_name(ri->disk));
	json_key_str(f, "connection", conn_name(ri->conn));
	json_key_u64(f, "size_sectors", ri->size);
	json_key_str(f, "data_dev", ri->data_dev);
	json_key_str(f, "meta_dev", ri->meta_dev);
	json_key_u64(f, "md_sb_sector", ri->md_sb_sector);
	json_key_u64(f, "md_al_sector", ri->md_al_sector);
	json_key_u64(f, "md_bm_sector", ri->md_bm_sector);
	json_key_u64(f, "md_sectors", ri->md_sectors);
	json_key_u64(f, "node_id", ri->node_id);
	json_key_str(f, "uuid", fmt_uuid(u, ri->uuid));
	json_key_u64(f, "reads", ri->reads);
	json_key_u64(f, "writes", ri->writes);
	if (ri->local_addr.len)
		json_key_str(f, "local_address", addr_fmt(a, &ri->local_addr));
	res_print_json_gen(f, ri);
	res_print_json_fence(f, ri);
	fprintf(f, ",\"peers\":[");
	for (i = 0; i < ri->npeers; i++) {
		if (i)
			fputc(',', f);
		peer_print_json(f, &ri->peers[i]);
	}
	fputc(']', f);
}
