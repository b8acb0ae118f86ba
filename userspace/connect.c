// SPDX-License-Identifier: GPL-2.0
/*
 * connect, disconnect: HAREPL_CMD_CONNECT with the configuration's
 * addresses and peers, HAREPL_CMD_DISCONNECT.
 */
#include <getopt.h>

#include "config.h"
#include "conn.h"
#include "genl.h"
#include "subcommands.h"
#include "util.h"

static const char connect_usage[] =
	"Usage: " PROG_NAME " connect [--discard-my-data] RES\n"
	"\n"
	"Starts replication of resource RES: listens on its Address and connects\n"
	"to every [Peer] of its configuration.\n"
	"\n"
	"  -c, --config FILE   configuration file (default " CONF_DIR "/RES.conf)\n"
	"  -d, --discard-my-data  if the first connection with a peer finds a split\n"
	"                      brain, this node becomes its sync target: its changes\n"
	"                      since the split are overwritten (ignored otherwise)\n"
	"  -h, --help          show this help\n";

static const char disconnect_usage[] =
	"Usage: " PROG_NAME " disconnect RES\n"
	"\n"
	"Stops replication of resource RES: closes every connection; writes from\n"
	"then on are recorded as out of sync.\n"
	"\n"
	"  -c, --config FILE   take RES from this configuration file's Name\n"
	"  -h, --help          show this help\n";

static int do_connect(const struct conf *c)
{
	struct genl_reply r;
	struct genl g;
	int rc;

	if (!c->npeers) {
		pr_err(c->name, "%s has no [Peer] section: nothing to connect to", c->path);
		return RC_CONFIG;
	}
	rc = genl_open(&g, c->name);
	if (rc)
		return rc;
	if (conn_connect(&g, c, &r)) {
		rc = genl_fail(c->name, "connect", &r);
	} else {
		conn_print_connecting(c);
		if (c->discard_my_data)
			printf("%s: a split brain found on connecting is resolved by discarding this node's changes\n",
			       c->name);
	}
	genl_close(&g);
	return rc;
}

static int do_disconnect(const char *name)
{
	struct genl_reply r;
	struct genl g;
	int rc;

	rc = genl_open(&g, name);
	if (rc)
		return rc;
	if (conn_disconnect(&g, name, &r))
		rc = genl_fail(name, "disconnect", &r);
	else
		printf("%s: disconnected\n", name);
	genl_close(&g);
	return rc;
}

int connect_main(int argc, char *argv[], const char *config)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "discard-my-data", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const struct subcmd_opts own = { ":c:dh", opts, false, opt_flag };
	bool discard = false;
	struct conf *conf;
	int rc = parse_args(argc, argv, connect_usage, &config, &own, &discard);

	if (rc != ARGS_PARSED)
		return rc;
	rc = conf_from_args(argv[optind], config, argv[0], connect_usage, &conf);
	if (rc)
		return rc;
	conf->discard_my_data = discard;
	rc = do_connect(conf);
	conf_free(conf);
	return rc;
}

int disconnect_main(int argc, char *argv[], const char *config)
{
	char name[HAREPL_NAME_MAX];
	int rc = parse_args(argc, argv, disconnect_usage, &config, NULL, NULL);

	if (rc != ARGS_PARSED)
		return rc;
	rc = resource_arg(argv[optind], config, argv[0], disconnect_usage, name);
	if (rc)
		return rc;
	return do_disconnect(name);
}
