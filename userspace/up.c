// SPDX-License-Identifier: GPL-2.0
/*
 * up: check the superblock against the configuration, create the dm
 * device "0 <data_sectors> harepl <Disk> <MetaDisk|internal> <Name>" and,
 * when the configuration has peers, connect.
 */
#include <endian.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "conn.h"
#include "dm.h"
#include "md.h"
#include "mddev.h"
#include "subcommands.h"
#include "util.h"

static const char usage[] =
	"Usage: " PROG_NAME " up RES\n"
	"\n"
	"Creates the device-mapper device of resource RES and, when its configuration\n"
	"has [Peer] sections, connects to them.\n"
	"\n"
	"  -c, --config FILE   configuration file (default " CONF_DIR "/RES.conf)\n"
	"  -h, --help          show this help\n";

/* The superblock must be this resource's, as the configuration describes it */
static int check_sb(const struct conf *c, const struct harepl_md_sb *sb,
		    const struct md_found *f)
{
	bool internal = le32toh(sb->flags) & HAREPL_MDF_INTERNAL;
	char why[160];

	if (strncmp(sb->name, c->name, sizeof(sb->name))) {
		pr_err(c->name, "%s: the superblock belongs to resource '%.*s'",
		       f->path, (int)sizeof(sb->name), sb->name);
		return RC_FAIL;
	}
	if (le32toh(sb->node_id) != c->node_id) {
		pr_err(c->name, "%s: the superblock is node %u's, but %s:%u says NodeId = %u",
		       f->path, le32toh(sb->node_id), c->path, c->node_id_line, c->node_id);
		return RC_CONFIG;
	}
	if (internal != !c->meta_disk) {
		pr_err(c->name, "%s: the superblock is for %s metadata, but the configuration has MetaDisk = %s",
		       f->path, internal ? "internal" : "external",
		       c->meta_disk ? c->meta_disk : HAREPL_META_INTERNAL);
		return RC_CONFIG;
	}
	if (md_sb_bad_layout(sb, f->sb_sector, f->meta_sectors, f->data_dev_sectors,
			     why, sizeof(why))) {
		pr_err(c->name, "%s: bad superblock: %s", f->path, why);
		return RC_FAIL;
	}
	return RC_OK;
}

static int create(const struct conf *c, uint64_t sectors)
{
	const char *meta = c->meta_disk ? c->meta_disk : HAREPL_META_INTERNAL;
	char *params = NULL, s[SIZE_BUF];
	enum hdm_step step;
	int err, rc = RC_OK;

	if (asprintf(&params, "%s %s %s", c->disk, meta, c->name) < 0)
		return RC_FAIL;
	err = hdm_create(c->device, sectors, HAREPL_TARGET_NAME, params, &step);
	if (err && step == HDM_LOAD && !hdm_has_target(HAREPL_TARGET_NAME)) {
		pr_err(NULL, "harepl kernel module not loaded (dm target '%s' not found)",
		       HAREPL_TARGET_NAME);
		rc = RC_NOMOD;
	} else if (err && step == HDM_LOAD) {
		pr_err(c->name, "kernel refused table '0 %llu %s %s': %s (see dmesg)",
		       (unsigned long long)sectors, HAREPL_TARGET_NAME, params,
		       strerror(-err));
		rc = rc_from_errno(err);
	} else if (err) {
		pr_err(c->name, "cannot %s dm device %s: %s%s",
		       step == HDM_CREATE ? "create" : "resume", c->device,
		       strerror(-err), step == HDM_RESUME ? " (see dmesg)" : "");
		rc = rc_from_errno(err);
	}
	free(params);
	if (rc)
		return rc;
	err = hdm_ensure_node(c->device);
	if (err) {
		pr_err(c->name, "dm device %s is up, but %s/%s is missing: %s",
		       c->device, dm_dir(), c->device, strerror(-err));
		return RC_FAIL;
	}
	printf("%s: up, %s/%s, %s\n", c->name, dm_dir(), c->device, fmt_size(s, sectors));
	return RC_OK;
}

/* The device stays up when this fails */
static int connect_peers(const struct conf *c)
{
	struct genl_reply r;
	struct genl g;
	int rc;

	if (genl_open(&g, c->name) == RC_OK) {
		rc = conn_connect(&g, c, &r) ? genl_fail(c->name, "connect", &r) : RC_OK;
		genl_close(&g);
		if (rc == RC_OK) {
			conn_print_connecting(c);
			return RC_OK;
		}
	}
	pr_err(c->name, "the device is up, but not connected");
	return RC_FAIL;
}

static int up(const struct conf *c)
{
	struct harepl_md_sb *sb = md_sb_alloc();
	struct dm_info info;
	struct md_found f;
	int err, rc;

	if (!sb)
		return RC_FAIL;
	rc = md_load(c, sb, &f);
	if (!rc)
		rc = check_sb(c, sb, &f);
	if (rc)
		goto out;
	rc = hdm_init(c->name);
	if (rc)
		goto out;
	err = hdm_info(c->device, &info);
	if (err) {
		pr_err(c->name, "cannot query dm device %s: %s", c->device, strerror(-err));
		rc = rc_from_errno(err);
	} else if (info.exists) {
		pr_err(c->name, "already up (dm device %s exists)", c->device);
		rc = RC_FAIL;
	} else {
		rc = create(c, le64toh(sb->data_sectors));
		if (!rc && c->npeers)
			rc = connect_peers(c);
	}
out:
	free(sb);
	return rc;
}

int up_main(int argc, char *argv[], const char *config)
{
	struct conf *conf;
	int rc;

	rc = parse_args(argc, argv, usage, &config, NULL, NULL);
	if (rc != ARGS_PARSED)
		return rc;
	rc = conf_from_args(argv[optind], config, argv[0], usage, &conf);
	if (rc)
		return rc;
	rc = up(conf);
	conf_free(conf);
	return rc;
}
