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
	/* issue 7; a kernel without them sends none: see has */
	uint64_t gen_bitmap, gen_current;
	uint64_t resync_total, resync_done, resync_rate, resync_bytes, verify_diff;
	uint32_t resync_rate_max;	/* KiB/s */
	bool csums;
	/* issue 8: split brain */
	uint32_t after_sb, sb_result;	/* enum harepl_after_sb, _sb_result */
	char sb_reason[192];
	uint32_t has;			/* bit HAREPL_PEER_A_x: attribute x present */
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
	/* issue 7; a kernel without them sends none: see has */
	uint64_t gen_current, gen_history[HAREPL_MD_HISTORY];
	uint32_t md_flags, al_extents;
	uint64_t al_writes;
	/* fencing; a kernel without it sends none: see has */
	uint32_t fencing, io_frozen, fence_state, fence_peer;
	int32_t fence_exit;
	char fence_handler[HAREPL_FENCE_HANDLER_MAX];
	uint64_t has;			/* bit HAREPL_A_x: attribute x present */
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

/* Whether attribute attr (HAREPL_A_x, HAREPL_PEER_A_x) was in the message */
#define RES_HAS(ri, attr) (!!((ri)->has & (1ULL << (attr))))
#define PEER_HAS(pi, attr) (!!((pi)->has & (1U << (attr))))

/* The connection is SyncSource/-Target or VerifySource/-Target */
bool conn_resyncing(uint32_t conn);
/* The kernel reports resync progress (resync_total and resync_done) */
bool peer_has_progress(const struct peer_info *pi);
/* Of the running or last resync or verify: 100.0 when there was nothing to do */
double peer_resync_percent(const struct peer_info *pi);
/* Seconds left of the running resync or verify; -1 when unknown or none runs */
int64_t peer_resync_eta(const struct peer_info *pi);

void res_print(FILE *f, const struct res_info *ri);
/* The members of its JSON object, without the braces */
void res_print_json(FILE *f, const struct res_info *ri);

#endif
