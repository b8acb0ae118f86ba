/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HAREPLCTL_SYNC_H
#define HAREPLCTL_SYNC_H

#include <stdint.h>

#include "genl.h"

/*
 * After HAREPL_CMD_RESYNC or HAREPL_CMD_VERIFY (cmd) of resource name
 * succeeded: polls the resource until the peer (node id *peer, or the only
 * one when NULL) is no longer SyncSource/-Target or VerifySource/-Target,
 * then prints a summary. Returns RC_OK, RC_LOST when the peer disconnected
 * first, or the exit code of a failed poll.
 */
int job_wait(struct genl *g, const char *name, uint8_t cmd, const uint32_t *peer);

#endif
