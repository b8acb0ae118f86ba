// SPDX-License-Identifier: GPL-2.0
/*
 * resync, verify, invalidate: HAREPL_CMD_RESYNC, HAREPL_CMD_VERIFY and
 * HAREPL_CMD_INVALIDATE, and waiting for a resync or verify to end.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "conn.h"
#include "genl.h"
#include "names.h"
#include "resource.h"
#include "subcommands.h"
#include "sync.h"
#include "util.h"

#define OPTS_HELP \
	"  -c, --config FILE   take RES from this configuration file's Name\n" \
	"  -p, --peer ID       the peer's node id; needed with more than one peer\n"
#define WAIT_HELP \
	"  -w, --wait          wait until it ends and print a summary\n"

static const char resync_usage[] =
	"Usage: " PROG_NAME " resync [--peer ID] [--wait] RES\n"
	"\n"
	"Sends this node's data to a peer of resource RES for every chunk recorded\n"
	"out of sync with it (after a verify, say). This node must be UpToDate and\n"
	"the peer not primary.\n"
	"\n"
	OPTS_HELP WAIT_HELP
	"  -h, --help          show this help\n";

static const char verify_usage[] =
	"Usage: " PROG_NAME " verify [--peer ID] [--wait] RES\n"
	"\n"
	"Compares every chunk of resource RES with a peer's (SHA-256) and records\n"
	"the chunks that differ as out of sync with it; copies nothing (resync\n"
	"does).\n"
	"\n"
	OPTS_HELP WAIT_HELP
	"  -h, --help          show this help\n";

static const char invalidate_usage[] =
	"Usage: " PROG_NAME " invalidate [--peer ID] RES\n"
	"\n"
	"Throws away this node's data of resource RES: the disk becomes\n"
	"Inconsistent and a full sync from the peer starts. Not on a primary.\n"
	"\n"
	OPTS_HELP
	"  -h, --help          show this help\n";

#define POLL_MS		200
#define START_MS	1000	/* a job may be over before the first poll */

static const struct job {
	const char *name;
	uint8_t cmd;
	const char *usage;
	bool can_wait;
	const char *done;	/* what print_done() says */
} jobs[] = {
	{ "resync", HAREPL_CMD_RESYNC, resync_usage, true, "resynced" },
	{ "verify", HAREPL_CMD_VERIFY, verify_usage, true, "differ" },
	{ "invalidate", HAREPL_CMD_INVALIDATE, invalidate_usage, false, NULL },
};

struct job_opts {
	bool has_peer;
	uint32_t peer;
	bool wait;
};

static int parse_opt(int c, const char *arg, const char *cmd, void *data)
{
	struct job_opts *o = data;
	unsigned long long v;

	switch (c) {
	case 'p':
		if (parse_uint(arg, HAREPL_MD_MAX_PEERS, &v) == 0) {
			o->has_peer = true;
			o->peer = (uint32_t)v;
			break;
		}
		pr_err(cmd, "bad --peer '%s': expected a node id from 0 to %d", arg,
		       HAREPL_MD_MAX_PEERS);
		return RC_USAGE;
	case 'w':
		o->wait = true;
		break;
	}
	return RC_OK;
}

/* The peer the job runs with: the one named, else the only one */
static const struct peer_info *find_peer(const struct res_info *ri,
					 const struct job_opts *o)
{
	unsigned int i;

	for (i = 0; i < ri->npeers; i++) {
		if (o->has_peer ? ri->peers[i].node_id == o->peer : ri->npeers == 1)
			return &ri->peers[i];
	}
	return NULL;
}

static bool conn_connected(uint32_t conn)
{
	return conn == HAREPL_CONN_CONNECTED || conn == HAREPL_CONN_AHEAD ||
	       conn == HAREPL_CONN_BEHIND || conn_resyncing(conn);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	while (nanosleep(&ts, &ts))
		;
}

static void print_done(const char *name, const struct job *j, const struct peer_info *pi)
{
	uint64_t bytes = j->cmd == HAREPL_CMD_VERIFY ? pi->verify_diff : pi->resync_done;

	printf("%s: %s with peer %u done: %llu bytes %s\n", name, j->name, pi->node_id,
	       (unsigned long long)bytes, j->done);
}

static void print_gone(const char *name, const struct job *j, const struct job_opts *o)
{
	if (o->has_peer)
		pr_err(name, "%s: peer %u is gone (disconnected)", j->name, o->peer);
	else
		pr_err(name, "%s: not exactly one peer; name it with --peer", j->name);
}

int job_wait(struct genl *g, const char *name, uint8_t cmd, const uint32_t *peer)
{
	struct job_opts o = { peer != NULL, peer ? *peer : 0, true };
	const struct job *j = cmd == HAREPL_CMD_VERIFY ? &jobs[1] : &jobs[0];
	struct res_list l = { .v = NULL };
	const struct peer_info *pi;
	struct genl_reply r;
	bool seen = false;
	long waited;
	int rc = RC_OK;

	for (waited = 0;; waited += POLL_MS) {
		if (res_get(g, name, &l, &r)) {
			rc = genl_fail(name, "get status", &r);
			break;
		}
		pi = find_peer(&l.v[0], &o);
		if (!pi) {
			print_gone(name, j, &o);
			rc = RC_LOST;
			break;
		}
		if (!conn_connected(pi->conn)) {
			pr_err(name, "%s with peer %u interrupted: connection %s", j->name,
			       pi->node_id, conn_name(pi->conn));
			rc = RC_LOST;
			break;
		}
		seen |= conn_resyncing(pi->conn);
		if (!conn_resyncing(pi->conn) && (seen || waited >= START_MS)) {
			print_done(name, j, pi);
			break;
		}
		sleep_ms(POLL_MS);
	}
	free(l.v);
	return rc;
}

static int run_job(const char *name, const struct job *j, const struct job_opts *o)
{
	struct genl_reply r;
	struct genl g;
	int rc;

	rc = genl_open(&g, name);
	if (rc)
		return rc;
	if (conn_job(&g, j->cmd, name, o->has_peer ? &o->peer : NULL, &r)) {
		if (r.msg[0])
			pr_err(name, "%s refused: %s", j->name, r.msg);
		else
			pr_err(name, "%s refused: %s", j->name, strerror(-r.error));
		rc = rc_from_errno(r.error);
	} else if (o->wait) {
		rc = job_wait(&g, name, j->cmd, o->has_peer ? &o->peer : NULL);
	} else {
		printf("%s: %s started\n", name, j->name);
	}
	genl_close(&g);
	return rc;
}

static int job_main(int argc, char *argv[], const char *config, const struct job *j)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "peer", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "wait", no_argument, NULL, 'w' },
		{ 0 }
	};
	static const struct option nowait[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "peer", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const struct subcmd_opts wait_opts = { ":c:p:wh", opts, false, parse_opt };
	static const struct subcmd_opts nowait_opts = { ":c:p:h", nowait, false, parse_opt };
	struct job_opts o = { .has_peer = false };
	char name[HAREPL_NAME_MAX];
	int rc;

	rc = parse_args(argc, argv, j->usage, &config, j->can_wait ? &wait_opts : &nowait_opts,
			&o);
	if (rc != ARGS_PARSED)
		return rc;
	rc = resource_arg(argv[optind], config, argv[0], j->usage, name);
	if (rc)
		return rc;
	return run_job(name, j, &o);
}

int resync_main(int argc, char *argv[], const char *config)
{
	return job_main(argc, argv, config, &jobs[0]);
}

int verify_main(int argc, char *argv[], const char *config)
{
	return job_main(argc, argv, config, &jobs[1]);
}

int invalidate_main(int argc, char *argv[], const char *config)
{
	return job_main(argc, argv, config, &jobs[2]);
}
