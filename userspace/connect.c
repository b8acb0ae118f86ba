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
	"Usage: " PROG_NAME " connect RES\n"
	"\n"
	"Starts replication of resource RES: listens on its Address and connects\n"
	"to every [Peer] of its configuration.\n"
	"\n"
	"  -c, --config FILE   configuration file (default " CONF_DIR "/RES.conf)\n"
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
	if (conn_connect(&g, c, &r))
		rc = genl_fail(c->name, "connect", &r);
	else
		conn_print_connecting(c);
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

/* Options of both; returns RC_OK to go on, -1 after --help, else an exit code */
static int parse_opts(int argc, char *argv[], const char **config, const char *usage)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	getopt_reset();
	while ((c = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*config = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
			return usage_error(usage, argv[0], argv, c);
		}
	}
	if (argc - optind > 1)
		return usage_extra(usage, argv[0], argv[optind + 1]);
	return RC_OK;
}

int connect_main(int argc, char *argv[], const char *config)
{
	struct conf *conf;
	int rc = parse_opts(argc, argv, &config, connect_usage);

	if (rc)
		return rc < 0 ? RC_OK : rc;
	rc = conf_from_args(argv[optind], config, argv[0], connect_usage, &conf);
	if (rc)
		return rc;
	rc = do_connect(conf);
	conf_free(conf);
	return rc;
}

int disconnect_main(int argc, char *argv[], const char *config)
{
	char name[HAREPL_NAME_MAX];
	int rc = parse_opts(argc, argv, &config, disconnect_usage);

	if (rc)
		return rc < 0 ? RC_OK : rc;
	rc = resource_arg(argv[optind], config, argv[0], disconnect_usage, name);
	if (rc)
		return rc;
	return do_disconnect(name);
}
