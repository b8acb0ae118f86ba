// SPDX-License-Identifier: GPL-2.0
/*
 * create-md: write a new superblock and clear the write-intent area and
 * the bitmap.
 */
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "config.h"
#include "md.h"
#include "mddev.h"
#include "subcommands.h"
#include "util.h"

static const char usage[] =
	"Usage: " PROG_NAME " create-md [--chunk-size SIZE] [--max-peers N] [--force] RES\n"
	"\n"
	"Writes new harepl metadata for resource RES to its Disk (MetaDisk = internal)\n"
	"or MetaDisk. The disk starts Inconsistent.\n"
	"\n"
	"  -c, --config FILE   configuration file (default " CONF_DIR "/RES.conf)\n"
	"      --chunk-size SIZE  bitmap chunk, a power of two from 4K to 1M\n"
	"                      (suffix K or M, else bytes; default 4K)\n"
	"      --max-peers N   bitmap slots, 1 to 8 (default 2)\n"
	"  -f, --force         overwrite a valid harepl superblock\n"
	"  -h, --help          show this help\n";

struct create_opts {
	uint32_t chunk_sectors;
	uint32_t max_peers;
	bool force;
};

struct create_devs {
	struct md_dev data, meta;
	struct md_dev *md;	/* the one the metadata goes to */
};

/* 4096, 4K, 64k, 1M: a power of two from 4 KiB to 1 MiB, in sectors */
static int parse_chunk(const char *s, uint32_t *sectors)
{
	unsigned long long v;

	if (parse_size(s, (1ULL << 32) - 1, &v))
		return -EINVAL;
	if (v % 512 || v / 512 < HAREPL_MD_CHUNK_MIN_SECTORS ||
	    v / 512 > HAREPL_MD_CHUNK_MAX_SECTORS || (v & (v - 1)))
		return -EINVAL;
	*sectors = (uint32_t)(v / 512);
	return 0;
}

/* --chunk-size, --max-peers and --force, into struct create_opts */
static int parse_opt(int c, const char *arg, const char *cmd, void *data)
{
	struct create_opts *o = data;
	unsigned long long v;

	switch (c) {
	case 's':
		if (parse_chunk(arg, &o->chunk_sectors) == 0)
			break;
		pr_err(cmd, "bad --chunk-size '%s': expected a power of two from 4K to 1M",
		       arg);
		return RC_USAGE;
	case 'p':
		if (parse_uint(arg, HAREPL_MD_MAX_PEERS, &v) == 0 && v >= 1) {
			o->max_peers = (uint32_t)v;
			break;
		}
		pr_err(cmd, "bad --max-peers '%s': expected 1 to %d",
		       arg, HAREPL_MD_MAX_PEERS);
		return RC_USAGE;
	case 'f':
		o->force = true;
		break;
	}
	return RC_OK;
}

static int open_error(const struct conf *c, bool meta, int err)
{
	if (err != -EBUSY)
		return conf_dev_error(c, meta, -err);
	pr_err(c->name, "%s is in use (%s); is the resource up?",
	       meta ? c->meta_disk : c->disk, strerror(EBUSY));
	return RC_FAIL;
}

static int open_devs(const struct conf *c, struct create_devs *d)
{
	int err;

	err = md_dev_open(&d->data, c->disk, !c->meta_disk, true);
	if (err)
		return open_error(c, false, err);
	d->md = &d->data;
	if (!c->meta_disk)
		return RC_OK;
	err = md_dev_open(&d->meta, c->meta_disk, true, true);
	if (err)
		return open_error(c, true, err);
	d->md = &d->meta;
	return RC_OK;
}

static int plan_layout(const struct conf *c, const struct create_devs *d,
		       struct md_layout *l)
{
	char s1[SIZE_BUF], s2[SIZE_BUF];

	l->dev_sectors = d->data.sectors;
	if (c->meta_disk)
		md_layout_external(l);
	else
		md_layout_internal(l);
	if (l->data_sectors < MD_MIN_DATA_SECTORS) {
		pr_err(c->name, "%s is too small: %s leaves a data area of %s, need at least 1 MiB",
		       c->disk, fmt_size(s1, l->dev_sectors), fmt_size(s2, l->data_sectors));
		return RC_FAIL;
	}
	if (c->meta_disk && d->meta.sectors < l->md_sectors) {
		pr_err(c->name, "%s is too small for the metadata: %s, need %s",
		       c->meta_disk, fmt_size(s1, d->meta.sectors),
		       fmt_size(s2, l->md_sectors));
		return RC_FAIL;
	}
	return RC_OK;
}

/* Refuses to overwrite a valid superblock without --force */
static int check_existing(const struct conf *c, const struct md_dev *md,
			  uint64_t sector, bool force)
{
	struct harepl_md_sb *sb = md_sb_alloc();
	char why[128], uuid[UUID_BUF];
	int err, rc = RC_OK;

	if (!sb)
		return RC_FAIL;
	err = md_dev_read(md, sector, sb, HAREPL_MD_SB_SIZE);
	if (err) {
		pr_err(c->name, "%s: cannot read sector %llu: %s", md->path,
		       (unsigned long long)sector, strerror(-err));
		rc = rc_from_errno(err);
	} else if (!md_sb_invalid(sb, why, sizeof(why)) && !force) {
		pr_err(c->name, "%s already holds a harepl superblock (resource '%.*s', uuid %s); use --force to overwrite it",
		       md->path, (int)sizeof(sb->name), sb->name, fmt_uuid(uuid, sb->uuid));
		rc = RC_FAIL;
	}
	free(sb);
	return rc;
}

static int new_uuid(uint8_t uuid[HAREPL_UUID_LEN])
{
	size_t n = 0;
	ssize_t r;

	while (n < HAREPL_UUID_LEN) {
		r = getrandom(uuid + n, HAREPL_UUID_LEN - n, 0);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0)
			n += (size_t)r;
	}
	uuid[6] = (uuid[6] & 0x0f) | 0x40;	/* RFC 4122 version 4 */
	uuid[8] = (uuid[8] & 0x3f) | 0x80;
	return 0;
}

/*
 * Invalidate the old superblock first, so a crash half way leaves no valid
 * superblock over a half-cleared bitmap; then clear the write-intent area
 * and the bitmap and write the new superblock.
 */
static int write_md(const struct md_dev *md, const struct md_layout *l,
		    const struct harepl_md_sb *sb, const char **step)
{
	uint64_t lo = l->internal ? l->bm_sector : l->al_sector;
	uint64_t hi = l->internal ? l->sb_sector : l->bm_sector + l->bm_sectors;
	int err;

	*step = "clear the old superblock";
	err = md_dev_zero(md, l->sb_sector, HAREPL_MD_SB_SECTORS);
	if (!err)
		err = md_dev_sync(md);
	if (err)
		return err;
	*step = "clear the write-intent area and bitmap";
	err = md_dev_zero(md, lo, hi - lo);
	if (err)
		return err;
	*step = "write the superblock";
	err = md_dev_write(md, l->sb_sector, sb, HAREPL_MD_SB_SIZE);
	if (err)
		return err;
	*step = "flush";
	return md_dev_sync(md);
}

static void print_done(const struct conf *c, const struct md_layout *l,
		       const uint8_t *uuid)
{
	char s[SIZE_BUF], u[UUID_BUF];

	if (l->internal)
		printf("%s: wrote harepl metadata to %s (internal)\n", c->name, c->disk);
	else
		printf("%s: wrote harepl metadata to %s (external, for %s)\n",
		       c->name, c->meta_disk, c->disk);
	printf("  uuid          %s\n", fmt_uuid(u, uuid));
	printf("  node id       %u, %u peer slots, bitmap chunk %u KiB\n",
	       c->node_id, l->max_peers, l->chunk_sectors / 2);
	printf("  data device   %s\n", fmt_size(s, l->dev_sectors));
	printf("  data area     %s\n", fmt_size(s, l->data_sectors));
	printf("  metadata      %s at sector %llu\n", fmt_size(s, l->md_sectors),
	       (unsigned long long)l->md_start);
	printf("  superblock    %s at sector %llu\n",
	       fmt_size(s, HAREPL_MD_SB_SECTORS), (unsigned long long)l->sb_sector);
	printf("  write-intent  %s at sector %llu\n", fmt_size(s, l->al_sectors),
	       (unsigned long long)l->al_sector);
	printf("  bitmap        %s at sector %llu\n", fmt_size(s, l->bm_sectors),
	       (unsigned long long)l->bm_sector);
}

static int create_md(const struct conf *c, const struct create_opts *o)
{
	struct create_devs d = { MD_DEV_INIT, MD_DEV_INIT, NULL };
	struct md_layout l = { .chunk_sectors = o->chunk_sectors,
			       .max_peers = o->max_peers };
	uint8_t uuid[HAREPL_UUID_LEN];
	struct harepl_md_sb *sb = NULL;
	const char *step;
	int rc, err;

	rc = open_devs(c, &d);
	if (!rc)
		rc = plan_layout(c, &d, &l);
	if (!rc)
		rc = check_existing(c, d.md, l.sb_sector, o->force);
	if (rc)
		goto out;
	sb = md_sb_alloc();
	if (!sb) {
		rc = RC_FAIL;
		goto out;
	}
	err = new_uuid(uuid);
	if (err) {
		pr_err(c->name, "cannot get random bytes for the uuid: %s", strerror(-err));
		rc = RC_FAIL;
		goto out;
	}
	md_sb_init(sb, &l, c->name, c->node_id, uuid, (uint64_t)time(NULL));
	err = write_md(d.md, &l, sb, &step);
	if (err) {
		pr_err(c->name, "%s: cannot %s: %s", d.md->path, step, strerror(-err));
		rc = rc_from_errno(err);
		goto out;
	}
	print_done(c, &l, uuid);
out:
	free(sb);
	md_dev_close(&d.meta);
	md_dev_close(&d.data);
	return rc;
}

int create_md_main(int argc, char *argv[], const char *config)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "chunk-size", required_argument, NULL, 's' },
		{ "max-peers", required_argument, NULL, 'p' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const struct subcmd_opts own = { ":c:fh", opts, false, parse_opt };
	struct create_opts o = { HAREPL_MD_CHUNK_DEF_SECTORS, 2, false };
	struct conf *c;
	int rc;

	rc = parse_args(argc, argv, usage, &config, &own, &o);
	if (rc != ARGS_PARSED)
		return rc;
	rc = conf_from_args(argv[optind], config, argv[0], usage, &c);
	if (rc)
		return rc;
	if (c->npeers > o.max_peers) {
		pr_err(c->name, "%s has %u [Peer] sections, more than --max-peers %u",
		       c->path, c->npeers, o.max_peers);
		conf_free(c);
		return RC_USAGE;
	}
	rc = create_md(c, &o);
	conf_free(c);
	return rc;
}
