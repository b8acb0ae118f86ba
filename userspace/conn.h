/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HAREPLCTL_CONN_H
#define HAREPLCTL_CONN_H

#include <netlink/msg.h>

#include "config.h"
#include "genl.h"

/*
 * The attributes of HAREPL_CMD_CONNECT for c: name, local address, secret
 * and every [Peer]; 0 or -ENOMEM.
 */
int conn_put(struct nl_msg *msg, const struct conf *c);

/*
 * HAREPL_CMD_CONNECT and HAREPL_CMD_DISCONNECT. Return 0 or -errno with
 * the reason in r (for EBUSY and EOPNOTSUPP one of ours when the kernel
 * gave none).
 */
int conn_connect(struct genl *g, const struct conf *c, struct genl_reply *r);
int conn_disconnect(struct genl *g, const char *name, struct genl_reply *r);

/*
 * HAREPL_CMD_RESYNC, HAREPL_CMD_VERIFY or HAREPL_CMD_INVALIDATE of
 * resource name, with the peer's node id unless peer is NULL. Returns 0 or
 * -errno with the reason in r.
 */
int conn_job(struct genl *g, uint8_t cmd, const char *name, const uint32_t *peer,
	     struct genl_reply *r);

/* "r0: connecting to 1 peer from 192.0.2.1:7789" */
void conn_print_connecting(const struct conf *c);

#endif
