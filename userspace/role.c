// SPDX-License-Identifier: GPL-2.0
/*
 * primary, secondary: HAREPL_CMD_SET_ROLE.
 */
#include <getopt.h>
#include <string.h>

#include "config.h"
#include "genl.h"
#include "names.h"
#include "subcommands.h"
#include "util.h"

static const char primary_usage[] =
	"Usage: " PROG_NAME " primary [--force] RES\n"
	"\n"
	"Makes this node the primary of resource RES: its device takes I/O.\n"
	"\n"
	"  -c, --config FILE   take RES from this configuration file's Name\n"
	"  -f, --force         promote even though the disk is not UpToDate\n"
	"  -h, --help          show this help\n";

static const char secondary_usage[] =
	"Usage: " PROG_NAME " secondary RES\n"
	"\n"
	"Makes this node a secondary of resource RES: its device refuses I/O.\n"
	"\n"
	"  -c, --config FILE   take RES from this configuration file's Name\n"
	"  -h, --help          show this help\n";

static int set_role(const char *name, uint32_t role, bool force)
{
	const struct genl_u32 attrs[] = {
		{ HAREPL_A_RES_ROLE, role, true },
		{ HAREPL_A_ROLE_FLAGS, HAREPL_ROLE_F_FORCE, force },
	};

	return genl_simple(name, HAREPL_CMD_SET_ROLE, "set role", attrs, 2);
}

static int role_main(int argc, char *argv[], const char *config, uint32_t role)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "force", no_argument, NULL, 'f' },
		{ 0 }
	};
	static const struct subcmd_opts primary_opts = { ":c:fh", opts, false, opt_flag };
	bool primary = role == HAREPL_ROLE_PRIMARY, force = false;
	const char *usage = primary ? primary_usage : secondary_usage;
	char name[HAREPL_NAME_MAX];
	int rc;

	rc = parse_args(argc, argv, usage, &config, primary ? &primary_opts : NULL, &force);
	if (rc != ARGS_PARSED)
		return rc;
	rc = resource_arg(argv[optind], config, argv[0], usage, name);
	if (rc)
		return rc;
	return set_role(name, role, force);
}

int primary_main(int argc, char *argv[], const char *config)
{
	return role_main(argc, argv, config, HAREPL_ROLE_PRIMARY);
}

int secondary_main(int argc, char *argv[], const char *config)
{
	return role_main(argc, argv, config, HAREPL_ROLE_SECONDARY);
}
