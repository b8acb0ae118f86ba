// SPDX-License-Identifier: GPL-2.0
/*
 * resume-io: HAREPL_CMD_RESUME_IO, thawing I/O that fencing froze.
 */
#include <getopt.h>
#include <string.h>

#include "config.h"
#include "genl.h"
#include "subcommands.h"
#include "util.h"

static const char usage[] =
	"Usage: " PROG_NAME " resume-io [--fail] RES\n"
	"\n"
	"Thaws the I/O of resource RES that fencing froze after the loss of a\n"
	"peer, without waiting for the fence handler to succeed. The frozen\n"
	"writes complete and are acknowledged although the peer may lack them;\n"
	"if that peer is promoted meanwhile, those writes are lost: use it only\n"
	"when you know the peer is dead or outdated.\n"
	"\n"
	"  -c, --config FILE   take RES from this configuration file's Name\n"
	"  -f, --fail          fail the frozen and queued writes with EIO instead\n"
	"  -h, --help          show this help\n";

static int resume_io(const char *name, bool fail)
{
	const struct genl_u32 attrs[] = {
		{ HAREPL_A_RESUME_FLAGS, HAREPL_RESUME_F_FAIL, fail },
	};
	int rc = genl_simple(name, HAREPL_CMD_RESUME_IO, "resume I/O", attrs, 1);

	if (!rc)
		printf("%s: I/O resumed%s\n", name, fail ? ", frozen writes failed" : "");
	return rc;
}

int resume_io_main(int argc, char *argv[], const char *config)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "fail", no_argument, NULL, 'f' },
		{ 0 }
	};
	static const struct subcmd_opts own = { ":c:fh", opts, false, opt_flag };
	char name[HAREPL_NAME_MAX];
	bool fail = false;
	int rc;

	rc = parse_args(argc, argv, usage, &config, &own, &fail);
	if (rc != ARGS_PARSED)
		return rc;
	rc = resource_arg(argv[optind], config, argv[0], usage, name);
	if (rc)
		return rc;
	return resume_io(name, fail);
}
