// SPDX-License-Identifier: GPL-2.0
/*
 * events: print the HAREPL_CMD_EVENT messages of the "events" multicast
 * group, one line each.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include <netlink/genl/ctrl.h>

#include "genl.h"
#include "names.h"
#include "resource.h"
#include "subcommands.h"
#include "util.h"

static const char usage[] =
	"Usage: " PROG_NAME " events [--json] [--count N] [--timeout SECONDS]\n"
	"\n"
	"Prints the events of the resources of this network namespace, one line\n"
	"each, until SIGINT or SIGTERM, N events or the timeout (exit status 1).\n"
	"\n"
	"  -j, --json          one JSON object per line\n"
	"  -n, --count N       exit after N events\n"
	"  -t, --timeout SECONDS  exit with status 1 after SECONDS\n"
	"  -h, --help          show this help\n";

struct ev_opts {
	bool json;
	unsigned long long max;		/* 0: no limit */
	double timeout;			/* < 0: none */
};

struct ev_state {
	const struct ev_opts *o;
	unsigned long long count;
	uint64_t last_seq;		/* 0: none seen yet */
};

/* Multicast may drop or reorder messages; the sequence number tells */
static void check_seq(struct ev_state *st, uint64_t seq)
{
	if (st->last_seq && seq > st->last_seq + 1)
		pr_warn("events", "missed %llu events (seq jumped from %llu to %llu)",
			(unsigned long long)(seq - st->last_seq - 1),
			(unsigned long long)st->last_seq, (unsigned long long)seq);
	else if (st->last_seq && seq <= st->last_seq)
		pr_warn("events", "event seq %llu arrived after seq %llu",
			(unsigned long long)seq, (unsigned long long)st->last_seq);
	if (seq > st->last_seq)
		st->last_seq = seq;
}

/*
 * " peer 1 SyncSource 45.2%": whom a resync or split brain event is about;
 * for a split brain, how it was decided and why
 */
static void print_peer_states(const struct res_info *ri, bool split_brain)
{
	const struct peer_info *pi;
	unsigned int i;

	for (i = 0; i < ri->npeers; i++) {
		pi = &ri->peers[i];
		printf(" peer %u %s", pi->node_id, conn_name(pi->conn));
		if (conn_resyncing(pi->conn) && peer_has_progress(pi))
			printf(" %.1f%%", peer_resync_percent(pi));
		if (split_brain && PEER_HAS(pi, HAREPL_PEER_A_SB_RESULT) &&
		    pi->sb_result != HAREPL_SB_NONE)
			printf(" split-brain %s (%s)", sb_result_name(pi->sb_result),
			       pi->sb_reason);
	}
}

/* " io-frozen fencing handler running peer 1", with the exit status once known */
static void print_fence(const struct res_info *ri)
{
	printf(" io-frozen %s handler %s", freeze_name(ri->io_frozen),
	       fence_state_name(ri->fence_state));
	if (RES_HAS(ri, HAREPL_A_RES_FENCE_PEER_ID))
		printf(" peer %u", ri->fence_peer);
	if (RES_HAS(ri, HAREPL_A_RES_FENCE_EXIT))
		printf(" %s %d", ri->fence_exit < 0 ? "error" : "exit", ri->fence_exit);
}

static void print_event(const struct ev_state *st, uint32_t event, uint64_t seq,
			uint64_t time_ns, const struct res_info *ri)
{
	char t[TIME_BUF];

	fmt_time_ns(t, time_ns);
	if (st->o->json) {
		printf("{\"seq\":%llu,\"time\":\"%s\",\"time_ns\":%llu,\"event\":\"%s\",",
		       (unsigned long long)seq, t, (unsigned long long)time_ns,
		       event_name(event));
		res_print_json(stdout, ri);
		printf("}\n");
	} else {
		printf("seq %llu %s %s %s role %s disk %s connection %s",
		       (unsigned long long)seq, t, event_name(event), ri->name,
		       role_name(ri->role), disk_name(ri->disk), conn_name(ri->conn));
		if (event == HAREPL_EVENT_RESYNC || event == HAREPL_EVENT_SPLIT_BRAIN)
			print_peer_states(ri, event == HAREPL_EVENT_SPLIT_BRAIN);
		if (event == HAREPL_EVENT_FENCE)
			print_fence(ri);
		putchar('\n');
	}
	fflush(stdout);
}

static int on_event(struct nl_msg *msg, void *arg)
{
	struct ev_state *st = arg;
	struct nlattr *tb[HAREPL_A_MAX + 1];
	const char *missing;
	char why[WHY_BUF];
	struct res_info ri;
	uint8_t cmd;
	uint64_t seq;

	if (res_msg_parse(msg, tb, &cmd)) {
		pr_warn("events", "ignoring a malformed message");
		return NL_SKIP;
	}
	if (cmd != HAREPL_CMD_EVENT)
		return NL_SKIP;
	missing = !tb[HAREPL_A_EVENT] ? "event" : !tb[HAREPL_A_EVENT_SEQ] ? "seq" :
		  !tb[HAREPL_A_EVENT_TIME] ? "time" : NULL;
	if (missing) {
		pr_warn("events", "ignoring an event without attribute '%s'", missing);
		return NL_SKIP;
	}
	if (res_parse(tb, &ri, why)) {
		pr_warn("events", "ignoring an event: %s", why);
		return NL_SKIP;
	}
	seq = nla_get_u64(tb[HAREPL_A_EVENT_SEQ]);
	check_seq(st, seq);
	print_event(st, nla_get_u32(tb[HAREPL_A_EVENT]), seq,
		    nla_get_u64(tb[HAREPL_A_EVENT_TIME]), &ri);
	st->count++;
	return st->o->max && st->count >= st->o->max ? NL_STOP : NL_OK;
}

static int join_events(struct genl *g, struct ev_state *st)
{
	int grp, err;

	grp = genl_ctrl_resolve_grp(g->sk, HAREPL_GENL_NAME, HAREPL_MCGRP_EVENTS);
	if (grp < 0) {
		pr_err("events", "no multicast group '%s' in genetlink family '%s': %s",
		       HAREPL_MCGRP_EVENTS, HAREPL_GENL_NAME, nl_geterror(grp));
		return RC_FAIL;
	}
	/* multicast messages carry no sequence number of ours */
	nl_socket_disable_seq_check(g->sk);
	nl_socket_modify_cb(g->sk, NL_CB_VALID, NL_CB_CUSTOM, on_event, st);
	nl_socket_set_buffer_size(g->sk, 1 << 20, 0);
	err = nl_socket_add_membership(g->sk, grp);
	if (!err)
		err = nl_socket_set_nonblocking(g->sk);
	if (err) {
		pr_err("events", "cannot join multicast group '%s': %s",
		       HAREPL_MCGRP_EVENTS, nl_geterror(err));
		return err == -NLE_PERM ? RC_PERM : RC_FAIL;
	}
	return RC_OK;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Reads events until the count, the timeout or a signal */
static int listen_events(struct genl *g, struct ev_state *st, int sigfd)
{
	struct pollfd pfd[2] = {
		{ .fd = nl_socket_get_fd(g->sk), .events = POLLIN },
		{ .fd = sigfd, .events = POLLIN },
	};
	int64_t deadline = now_ns() + (int64_t)(st->o->timeout * 1e9), left;
	int ms = -1, err;

	for (;;) {
		if (st->o->max && st->count >= st->o->max)
			return RC_OK;
		if (st->o->timeout >= 0) {
			left = deadline - now_ns();
			if (left <= 0)
				break;
			ms = (int)((left + 999999) / 1000000);
		}
		if (poll(pfd, 2, ms) < 0 && errno != EINTR) {
			pr_err("events", "poll: %s", strerror(errno));
			return RC_FAIL;
		}
		if (pfd[1].revents)
			return RC_OK;
		if (!pfd[0].revents)
			continue;
		err = nl_recvmsgs_default(g->sk);
		if (err == -NLE_NOMEM) {
			pr_warn("events", "receive buffer overrun: events were lost");
		} else if (err < 0) {
			pr_err("events", "cannot receive: %s", nl_geterror(err));
			return RC_FAIL;
		}
	}
	if (st->o->max)
		pr_err("events", "timed out after %g s with %llu of %llu events",
		       st->o->timeout, st->count, st->o->max);
	return RC_FAIL;
}

static int run(const struct ev_opts *o)
{
	struct ev_state st = { .o = o };
	sigset_t set, old;
	struct genl g;
	int sigfd, rc;

	rc = genl_open(&g, "events");
	if (rc)
		return rc;
	rc = join_events(&g, &st);
	if (rc)
		goto out;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, &old);
	sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sigfd < 0) {
		pr_err("events", "signalfd: %s", strerror(errno));
		rc = RC_FAIL;
	} else {
		rc = listen_events(&g, &st, sigfd);
		close(sigfd);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
out:
	genl_close(&g);
	return rc;
}

static int parse_timeout(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0 && v <= 1e6))
		return -EINVAL;
	*out = v;
	return 0;
}

/* --json, --count and --timeout, into struct ev_opts */
static int parse_opt(int c, const char *arg, const char *cmd, void *data)
{
	struct ev_opts *o = data;

	switch (c) {
	case 'j':
		o->json = true;
		break;
	case 'n':
		if (parse_uint(arg, ~0ULL, &o->max) == 0 && o->max > 0)
			break;
		pr_err(cmd, "bad --count '%s': expected a positive number", arg);
		return RC_USAGE;
	case 't':
		if (parse_timeout(arg, &o->timeout) == 0)
			break;
		pr_err(cmd, "bad --timeout '%s': expected seconds", arg);
		return RC_USAGE;
	}
	return RC_OK;
}

int events_main(int argc, char *argv[], const char *config)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const struct subcmd_opts own = { ":c:jn:t:h", opts, true, parse_opt };
	struct ev_opts o = { .timeout = -1 };
	int rc;

	/* -c is taken and ignored */
	rc = parse_args(argc, argv, usage, &config, &own, &o);
	if (rc != ARGS_PARSED)
		return rc;
	return run(&o);
}
