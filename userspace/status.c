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
	const char *name;
	bool json = false;
	int rc;

	/* -c is taken and ignored: resources are named on the command line */
	rc = parse_args(argc, argv, usage, &config, &json_opts, &json);
	if (rc != ARGS_PARSED)
		return rc;
	name = argv[optind];
	if (name && !valid_res_name(name)) {
		pr_err(argv[0], "bad resource name '%s'", name);
		return RC_USAGE;
	}
	return status(name, json);
}
