/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HAREPLCTL_RESOURCE_H
#define HAREPLCTL_RESOURCE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/dm-ioctl.h>
#include <linux/harepl.h>
#include <netlink/msg.h>

#include "addr.h"
#include "genl.h"

/* A peer of HAREPL_A_RES_PEERS */
struct peer_info {
	uint32_t node_id;
	struct addr addr;
	uint32_t mode, conn;
	bool has_role, has_disk;	/* sent while connected */
	uint32_t role, disk;
	uint32_t inflight;
	uint64_t bytes_sent, bytes_recv, oos_bytes;
	uint32_t timeout_ms, sndbuf, on_congestion;
};

/* The resource attributes of HAREPL_CMD_GET_RESOURCE and HAREPL_CMD_EVENT */
struct res_info {
	char name[HAREPL_NAME_MAX];
	char dm_name[DM_NAME_LEN];
	uint32_t role, disk, conn, node_id;
	uint64_t size;
	char data_dev[HAREPL_DEVNAME_MAX];
	char meta_dev[HAREPL_DEVNAME_MAX];
	uint64_t md_sb_sector, md_al_sector, md_bm_sector, md_sectors;
	uint8_t uuid[HAREPL_UUID_LEN];
	uint64_t reads, writes;
	struct addr local_addr;		/* len 0: not connected */
	unsigned int npeers;
	struct peer_info peers[HAREPL_MAX_PEERS];
};

/* Parses a message of the family into tb, checking every known attribute */
int res_msg_parse(struct nl_msg *msg, struct nlattr *tb[HAREPL_A_MAX + 1],
		  uint8_t *cmd);
/*
 * Fills ri from tb. Returns 0, or -EPROTO with what is wrong in why:
 * "no attribute 'uuid'", "bad attribute 'peers[1].address'"
 */
#define WHY_BUF 64
int res_parse(struct nlattr *tb[HAREPL_A_MAX + 1], struct res_info *ri,
	      char why[WHY_BUF]);

struct res_list {
	struct res_info *v;
	size_t n;
};

/*
 * HAREPL_CMD_GET_RESOURCE for resource name, or a dump of every resource
 * of the namespace when name is NULL, sorted by name. Returns 0 or -errno
 * with the reason in r; free l->v.
 */
int res_get(struct genl *g, const char *name, struct res_list *l,
	    struct genl_reply *r);

void res_print(FILE *f, const struct res_info *ri);
/* The members of its JSON object, without the braces */
void res_print_json(FILE *f, const struct res_info *ri);

#endif
