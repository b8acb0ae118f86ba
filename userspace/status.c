// SPDX-License-Identifier: GPL-2.0
/*
 * status: HAREPL_CMD_GET_RESOURCE, for one resource or, as a dump, all of
 * the caller's network namespace.
 */
#include <getopt.h>
#include <stdlib.h>

#include "genl.h"
#include "resource.h"
#include "subcommands.h"
#include "util.h"

static const char usage[] =
	"Usage: " PROG_NAME " status [--json] [RES]\n"
	"\n"
	"Shows resource RES, or every resource of this network namespace.\n"
	"\n"
	"  -j, --json          JSON: an object for RES, else an array of them\n"
	"  -h, --help          show this help\n";

static void print(const struct res_list *l, bool json, bool array)
{
	size_t i;

	if (json && array)
		putchar('[');
	for (i = 0; i < l->n; i++) {
		if (json) {
			printf("%s{", i ? "," : "");
			res_print_json(stdout, &l->v[i]);
			putchar('}');
		} else {
			if (i)
				putchar('\n');
			res_print(stdout, &l->v[i]);
		}
	}
	if (json)
		printf("%s\n", array ? "]" : "");
}

static int status(const char *name, bool json)
{
	struct res_list l = { .v = NULL };
	struct genl_reply r;
	struct genl g;
	int rc;

	rc = genl_open(&g, name);
	if (rc)
		return rc;
	if (res_get(&g, name, &l, &r))
		rc = genl_fail(name, "get status", &r);
	else
		print(&l, json, !name);
	free(l.v);
	genl_close(&g);
	return rc;
}

int status_main(int argc, char *argv[], const char *config)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *name;
	bool json = false;
	int c;

	(void)config;	/* resources are named on the command line */
	getopt_reset();
	while ((c = getopt_long(argc, argv, ":c:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return RC_OK;
		default:
			return usage_error(usage, argv[0], argv, c);
		}
	}
	if (argc - optind > 1)
		return usage_extra(usage, argv[0], argv[optind + 1]);
	name = argv[optind];
	if (name && !valid_res_name(name)) {
		pr_err(argv[0], "bad resource name '%s'", name);
		return RC_USAGE;
	}
	return status(name, json);
}
