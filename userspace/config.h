/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HAREPLCTL_CONFIG_H
#define HAREPLCTL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/dm-ioctl.h>
#include <linux/harepl.h>

#include "addr.h"

#define CONF_DIR "/etc/harepl"

/* [Peer] limits and defaults, as HAREPL_CMD_CONNECT documents them */
#define PEER_TIMEOUT_MS_MIN	100
#define PEER_TIMEOUT_MS_MAX	600000
#define PEER_TIMEOUT_MS_DEF	5000
#define PEER_SNDBUF_MIN		(64U << 10)
#define PEER_SNDBUF_MAX		(256U << 20)
#define PEER_SNDBUF_DEF		(4U << 20)
/* HAREPL_PEER_A_RESYNC_RATE_MAX, KiB/s; the kernel's default applies when unset */
#define PEER_RESYNC_RATE_MIN	64U
#define PEER_RESYNC_RATE_MAX	(4U << 20)

struct conf_peer {
	uint32_t node_id;
	struct addr addr;
	uint32_t mode;			/* enum harepl_mode */
	uint32_t timeout_ms;
	uint32_t sndbuf;		/* bytes */
	uint32_t on_congestion;		/* enum harepl_congestion */
	uint32_t resync_rate;		/* KiB/s, sent only when set */
	bool csums;			/* sent only when set */
	uint32_t after_sb;		/* enum harepl_after_sb, sent only when set */
	unsigned int line;		/* of its [Peer] */
	/* where each key was set, 0 when not */
	unsigned int node_id_line, addr_line, mode_line, sndbuf_line,
		     congestion_line, resync_rate_line, csums_line, after_sb_line;
};

struct conf {
	char *path;
	char name[HAREPL_NAME_MAX];
	char device[DM_NAME_LEN];	/* dm device name */
	char *disk;
	char *meta_disk;		/* NULL: internal metadata */
	uint32_t node_id;
	struct addr addr;		/* local address; len 0: none */
	uint32_t mode;			/* enum harepl_mode, the peers' default */
	uint8_t secret[HAREPL_SECRET_MAX];
	size_t secret_len;		/* 0: none */
	struct conf_peer *peers;
	unsigned int npeers;
	bool discard_my_data;		/* connect --discard-my-data, not a key */
	uint32_t fencing;		/* enum harepl_fencing */
	char *fence_handler;		/* NULL: none */
	/* where each key was set, 0 when not */
	unsigned int name_line, disk_line, meta_line, node_id_line, addr_line,
		     fencing_line, fence_handler_line;
};

/*
 * Reads the configuration of resource res (NULL: take the name from the
 * file) from path (NULL: CONF_DIR/<res>.conf). Prints every problem and
 * returns an exit code; *out is set only on RC_OK.
 */
int conf_load(const char *res, const char *path, struct conf **out);
void conf_free(struct conf *c);

/*
 * Reports that opening the Disk (meta == false) or MetaDisk failed with
 * errno err, naming the file and line it was set on; returns the exit code.
 */
int conf_dev_error(const struct conf *c, bool meta, int err);

/* conf_load() for a command's RES argument (may be NULL) and -c FILE */
int conf_from_args(const char *res, const char *config, const char *cmd,
		   const char *usage, struct conf **out);

/*
 * The resource a command acts on: RES when given, else the Name of the
 * configuration file given with -c. Returns an exit code.
 */
int resource_arg(const char *res, const char *config, const char *cmd,
		 const char *usage, char name[HAREPL_NAME_MAX]);

#endif
