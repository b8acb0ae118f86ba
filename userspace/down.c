// SPDX-License-Identifier: GPL-2.0
/*
 * down: disconnect a resource and remove its dm device. Resource names are
 * per network namespace and dm names are global, so the kernel says which
 * dm device is this namespace's resource.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "conn.h"
#include "dm.h"
#include "genl.h"
#include "resource.h"
#include "subcommands.h"
#include "util.h"

static const char usage[] =
	"Usage: " PROG_NAME " down RES\n"
	"\n"
	"Disconnects resource RES of this network namespace and removes its\n"
	"device-mapper device.\n"
	"\n"
	"  -c, --config FILE   take RES from this configuration file's Name\n"
	"  -h, --help          show this help\n";

static int find_device(const char *name, char dev[DM_NAME_LEN])
{
	struct res_list l = { .v = NULL };
	struct genl_reply r;
	struct genl g;
	int rc;

	rc = genl_open(&g, name);
	if (rc)
		return rc;
	if (res_get(&g, name, &l, &r) == 0) {
		snprintf(dev, DM_NAME_LEN, "%s", l.v[0].dm_name);
	} else if (r.error == -ENOENT) {
		pr_err(name, "not up (%s)", r.msg[0] ? r.msg : "no such resource");
		rc = RC_NOENT;
	} else {
		rc = genl_fail(name, "look up the resource", &r);
	}
	free(l.v);
	genl_close(&g);
	return rc;
}

/*
 * Errors are ignored: a resource that is not connected, or a kernel module
 * without replication, is no reason to keep the device.
 */
static void disconnect(const char *name)
{
	struct genl_reply r;
	struct genl g;

	if (genl_open(&g, name) == RC_OK) {
		conn_disconnect(&g, name, &r);
		genl_close(&g);
	}
}

static int remove_failed(const char *name, const char *dev, int err)
{
	struct dm_info info;

	if (err == -EBUSY && hdm_info(dev, &info) == 0 && info.exists &&
	    info.open_count > 0)
		pr_err(name, "cannot remove dm device %s: in use (open count %d)",
		       dev, info.open_count);
	else if (err == -EBUSY)
		pr_err(name, "cannot remove dm device %s: in use (%s)", dev, strerror(EBUSY));
	else
		pr_err(name, "cannot remove dm device %s: %s", dev, strerror(-err));
	return err == -EBUSY ? RC_FAIL : rc_from_errno(err);
}

static int down(const char *name)
{
	char dev[DM_NAME_LEN], type[64];
	struct dm_info info;
	int rc, err;

	rc = find_device(name, dev);
	if (!rc)
		rc = hdm_init(name);
	if (rc)
		return rc;
	err = hdm_info(dev, &info);
	if (err || !info.exists) {
		pr_err(name, "not up (dm device %s: %s)", dev,
		       err ? strerror(-err) : "gone");
		return err ? rc_from_errno(err) : RC_NOENT;
	}
	err = hdm_target_type(dev, type, sizeof(type));
	if (!err && strcmp(type, HAREPL_TARGET_NAME)) {
		pr_err(name, "dm device %s is not a harepl device (target '%s'); not removing it",
		       dev, type);
		return RC_FAIL;
	}
	/*
	 * A device in use would stay up, unreplicated: leave it connected
	 * (removing the device tears the connections down anyway)
	 */
	if (info.open_count == 0)
		disconnect(name);
	err = hdm_remove(dev);
	if (err)
		return remove_failed(name, dev, err);
	printf("%s: down, removed dm device %s\n", name, dev);
	return RC_OK;
}

int down_main(int argc, char *argv[], const char *config)
{
	char name[HAREPL_NAME_MAX];
	int rc;

	rc = parse_args(argc, argv, usage, &config, NULL, NULL);
	if (rc != ARGS_PARSED)
		return rc;
	rc = resource_arg(argv[optind], config, argv[0], usage, name);
	if (rc)
		return rc;
	return down(name);
}
