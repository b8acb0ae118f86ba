/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HAREPLCTL_GENL_H
#define HAREPLCTL_GENL_H

#include <stdbool.h>

#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

struct genl {
	struct nl_sock *sk;
	int family;
};

struct genl_reply {
	int error;		/* 0 or -errno */
	char msg[256];		/* the kernel's extack message, or "" */
};

/* Resolves the "harepl" family; prints what went wrong, returns an exit code */
int genl_open(struct genl *g, const char *res);
void genl_close(struct genl *g);
struct nl_msg *genl_new(const struct genl *g, uint8_t cmd, int flags);
/*
 * Sends msg and frees it; calls cb(msg, arg) for each message of the
 * answer until the ack, the end of a dump or an error. Returns 0 or -errno
 * (-EINTR: a dump raced with a change, try again).
 */
int genl_call(struct genl *g, struct nl_msg *msg, nl_recvmsg_msg_cb_t cb,
	      void *arg, struct genl_reply *r);
/* "RES: cannot WHAT: extack (strerror)"; returns the exit code */
int genl_fail(const char *res, const char *what, const struct genl_reply *r);

/* A u32 attribute of genl_simple()'s request, left out unless @put */
struct genl_u32 {
	int type;
	uint32_t value;
	bool put;
};

/*
 * Sends @cmd for resource @res with the given u32 attributes and waits
 * for the ack; on failure prints "RES: cannot WHAT: ..." (genl_fail()).
 * Returns 0 or the exit code.
 */
int genl_simple(const char *res, uint8_t cmd, const char *what,
		const struct genl_u32 *attrs, unsigned int n);

#endif
