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

int res_msg_parse(struct nl_msg *msg, struct nlattr *tb[HAREPL_A_MAX + 1],
		  uint8_t *cmd)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int err = genlmsg_parse(nlh, 0, tb, HAREPL_A_MAX, policy);

	if (err == 0)
		*cmd = ((struct genlmsghdr *)nlmsg_data(nlh))->cmd;
	return err;
}

const char *res_parse(struct nlattr *tb[HAREPL_A_MAX + 1], struct res_info *ri)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(required); i++) {
		if (!tb[required[i].attr])
			return required[i].name;
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
	return NULL;
}

#define DUMP_TRIES 5

struct collect {
	struct res_list *l;
	char bad[64];		/* why a message could not be used */
};

static int collect(struct nl_msg *msg, void *arg)
{
	struct collect *c = arg;
	struct nlattr *tb[HAREPL_A_MAX + 1];
	struct res_info ri, *v;
	const char *missing;
	uint8_t cmd;

	if (res_msg_parse(msg, tb, &cmd)) {
		snprintf(c->bad, sizeof(c->bad), "malformed message");
		return NL_SKIP;
	}
	missing = res_parse(tb, &ri);
	if (missing) {
		snprintf(c->bad, sizeof(c->bad), "no attribute '%s'", missing);
		return NL_SKIP;
	}
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

void res_print(FILE *f, const struct res_info *ri)
{
	char s[SIZE_BUF], u[UUID_BUF];

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

void res_print_json(FILE *f, const struct res_info *ri)
{
	char u[UUID_BUF];

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
}
