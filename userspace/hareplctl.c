// SPDX-License-Identifier: GPL-2.0
/*
 * hareplctl: the userspace tool of harepl, block-level replication.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "subcommands.h"
#include "util.h"

#define HAREPLCTL_VERSION "0.1"

static const struct {
	const char *name;
	int (*fn)(int argc, char *argv[], const char *config);
	const char *description;
} subcommands[] = {
	{ "create-md",	create_md_main,	"Writes new metadata to a resource's disk" },
	{ "dump-md",	dump_md_main,	"Prints the metadata of a resource's disk" },
	{ "up",		up_main,	"Creates the device-mapper device of a resource, connects it" },
	{ "down",	down_main,	"Disconnects a resource, removes its device-mapper device" },
	{ "primary",	primary_main,	"Makes this node the primary of a resource" },
	{ "secondary",	secondary_main,	"Makes this node a secondary of a resource" },
	{ "connect",	connect_main,	"Starts replicating a resource to its peers" },
	{ "disconnect",	disconnect_main, "Stops replicating a resource" },
	{ "resync",	resync_main,	"Sends a peer what is recorded out of sync with it" },
	{ "verify",	verify_main,	"Compares a resource's data with a peer's" },
	{ "invalidate",	invalidate_main, "Discards local data; a full sync from the peer follows" },
	{ "resume-io",	resume_io_main,	"Thaws I/O frozen by fencing (risks writes the peer lacks)" },
	{ "status",	status_main,	"Shows resources and their states" },
	{ "events",	events_main,	"Prints state changes as they happen" },
};

static void show_usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: " PROG_NAME " [-c FILE] <command> [<args>]\n\n");
	fprintf(f, "  -c, --config FILE   configuration file (default /etc/harepl/RES.conf)\n");
	fprintf(f, "  -h, --help          show this help\n");
	fprintf(f, "  -V, --version       show the version\n\n");
	fprintf(f, "Commands:\n");
	for (i = 0; i < ARRAY_SIZE(subcommands); i++)
		fprintf(f, "  %-10s  %s\n", subcommands[i].name, subcommands[i].description);
	fprintf(f, "\nEach command takes --help. See hareplctl(8).\n");
}

int main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	const char *config = NULL;
	size_t i;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'h':
			show_usage(stdout);
			return RC_OK;
		case 'V':
			printf(PROG_NAME " " HAREPLCTL_VERSION "\n");
			return RC_OK;
		default:
			if (c == ':')
				pr_err(NULL, "option '%s' requires an argument", argv[optind - 1]);
			else
				pr_err(NULL, "unknown option '%s'", argv[optind - 1]);
			show_usage(stderr);
			return RC_USAGE;
		}
	}
	if (optind == argc) {
		pr_err(NULL, "no command given");
		show_usage(stderr);
		return RC_USAGE;
	}
	for (i = 0; i < ARRAY_SIZE(subcommands); i++) {
		if (!strcmp(argv[optind], subcommands[i].name))
			return subcommands[i].fn(argc - optind, argv + optind, config);
	}
	pr_err(NULL, "unknown command '%s'", argv[optind]);
	show_usage(stderr);
	return RC_USAGE;
}
