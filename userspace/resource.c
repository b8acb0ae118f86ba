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
};

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
	fputc('}', f);
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
	fprintf(f, ",\"peers\":[");
	for (i = 0; i < ri->npeers; i++) {
		if (i)
			fputc(',', f);
		peer_print_json(f, &ri->peers[i]);
	}
	fputc(']', f);
}
