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
	"Usage: " PROG_NAME " create-md [--chunk-size SIZE] [--max-peers N] [--al-extents N]\n"
	"                 [--uuid UUID [--skip-initial-sync]] [--force] RES\n"
	"\n"
	"Writes new harepl metadata for resource RES to its Disk (MetaDisk = internal)\n"
	"or MetaDisk. The disk starts Inconsistent, with a random generation id.\n"
	"\n"
	"  -c, --config FILE   configuration file (default " CONF_DIR "/RES.conf)\n"
	"      --chunk-size SIZE  bitmap chunk, a power of two from 4K to 1M\n"
	"                      (suffix K or M, else bytes; default 4K)\n"
	"      --max-peers N   bitmap slots, 1 to 8 (default 2)\n"
	"      --al-extents N  write-intent hot set, 4 MiB extents, "
	STR(HAREPL_AL_MIN_EXTENTS) " to " STR(HAREPL_AL_MAX_EXTENTS) "\n"
	"                      (default " STR(HAREPL_AL_DEF_EXTENTS) ")\n"
	"      --uuid UUID     the resource's uuid, the same on every node\n"
	"                      (default: a new random one)\n"
	"      --skip-initial-sync  the data is identical on every node (freshly\n"
	"                      zeroed disks): start UpToDate, with a generation id\n"
	"                      derived from the uuid; needs --uuid\n"
	"  -f, --force         overwrite a valid harepl superblock\n"
	"  -h, --help          show this help\n";

struct create_opts {
	uint32_t chunk_sectors;
	uint32_t max_peers;
	uint32_t al_extents;
	bool force;
	bool has_uuid;
	bool skip_sync;
	uint8_t uuid[HAREPL_UUID_LEN];
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

/* The options without a short form */
enum { OPT_UUID = 256, OPT_AL_EXTENTS, OPT_SKIP_SYNC };

/* Every option but -c and -h, into struct create_opts */
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
	case OPT_AL_EXTENTS:
		if (parse_uint(arg, HAREPL_AL_MAX_EXTENTS, &v) == 0 &&
		    v >= HAREPL_AL_MIN_EXTENTS) {
			o->al_extents = (uint32_t)v;
			break;
		}
		pr_err(cmd, "bad --al-extents '%s': expected %d to %d", arg,
		       HAREPL_AL_MIN_EXTENTS, HAREPL_AL_MAX_EXTENTS);
		return RC_USAGE;
	case OPT_UUID:
		if (parse_uuid(arg, o->uuid) == 0) {
			o->has_uuid = true;
			break;
		}
		pr_err(cmd, "bad --uuid '%s': expected the canonical form, 8-4-4-4-12 hex digits",
		       arg);
		return RC_USAGE;
	case OPT_SKIP_SYNC:
		o->skip_sync = true;
		break;
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

static int random_bytes(void *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;

	while (n < len) {
		r = getrandom((uint8_t *)buf + n, len - n, 0);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0)
			n += (size_t)r;
	}
	return 0;
}

/*
 * The uuid given or a new random (v4) one; gen_current derived from the
 * uuid when the data is declared identical on every node, else random.
 */
static int make_ident(const struct conf *c, const struct create_opts *o,
		      struct md_ident *id)
{
	int err = 0;

	id->name = c->name;
	id->node_id = c->node_id;
	id->al_extents = o->al_extents;
	id->uptodate = o->skip_sync;
	id->created = (uint64_t)time(NULL);
	if (o->has_uuid) {
		memcpy(id->uuid, o->uuid, HAREPL_UUID_LEN);
	} else {
		err = random_bytes(id->uuid, HAREPL_UUID_LEN);
		id->uuid[6] = (id->uuid[6] & 0x0f) | 0x40;	/* RFC 4122 version 4 */
		id->uuid[8] = (id->uuid[8] & 0x3f) | 0x80;
	}
	if (o->skip_sync) {
		id->gen_current = md_gen_from_uuid(id->uuid);
		return err;
	}
	while (!err && !id->gen_current)
		err = random_bytes(&id->gen_current, sizeof(id->gen_current));
	if (err)
		pr_err(c->name, "cannot get random bytes for the uuid and generation id: %s",
		       strerror(-err));
	return err;
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
		       const struct md_ident *id)
{
	char s[SIZE_BUF], u[UUID_BUF];

	if (l->internal)
		printf("%s: wrote harepl metadata to %s (internal)\n", c->name, c->disk);
	else
		printf("%s: wrote harepl metadata to %s (external, for %s)\n",
		       c->name, c->meta_disk, c->disk);
	printf("  uuid          %s\n", fmt_uuid(u, id->uuid));
	printf("  generation    0x%016llx, disk %s\n", (unsigned long long)id->gen_current,
	       id->uptodate ? "UpToDate (initial sync skipped)" : "Inconsistent");
	printf("  node id       %u, %u peer slots, bitmap chunk %u KiB\n",
	       c->node_id, l->max_peers, l->chunk_sectors / 2);
	printf("  data device   %s\n", fmt_size(s, l->dev_sectors));
	printf("  data area     %s\n", fmt_size(s, l->data_sectors));
	printf("  metadata      %s at sector %llu\n", fmt_size(s, l->md_sectors),
	       (unsigned long long)l->md_start);
	printf("  superblock    %s at sector %llu\n",
	       fmt_size(s, HAREPL_MD_SB_SECTORS), (unsigned long long)l->sb_sector);
	printf("  write-intent  %s at sector %llu, hot set %u extents\n",
	       fmt_size(s, l->al_sectors), (unsigned long long)l->al_sector,
	       id->al_extents);
	printf("  bitmap        %s at sector %llu\n", fmt_size(s, l->bm_sectors),
	       (unsigned long long)l->bm_sector);
}

static int create_md(const struct conf *c, const struct create_opts *o)
{
	struct create_devs d = { MD_DEV_INIT, MD_DEV_INIT, NULL };
	struct md_layout l = { .chunk_sectors = o->chunk_sectors,
			       .max_peers = o->max_peers };
	struct md_ident id = { .name = NULL };
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
	if (make_ident(c, o, &id)) {
		rc = RC_FAIL;
		goto out;
	}
	md_sb_init(sb, &l, &id);
	err = write_md(d.md, &l, sb, &step);
	if (err) {
		pr_err(c->name, "%s: cannot %s: %s", d.md->path, step, strerror(-err));
		rc = rc_from_errno(err);
		goto out;
	}
	print_done(c, &l, &id);
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
		{ "al-extents", required_argument, NULL, OPT_AL_EXTENTS },
		{ "uuid", required_argument, NULL, OPT_UUID },
		{ "skip-initial-sync", no_argument, NULL, OPT_SKIP_SYNC },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const struct subcmd_opts own = { ":c:fh", opts, false, parse_opt };
	struct create_opts o = {
		.chunk_sectors = HAREPL_MD_CHUNK_DEF_SECTORS,
		.max_peers = 2,
		.al_extents = HAREPL_AL_DEF_EXTENTS,
	};
	struct conf *c;
	int rc;

	rc = parse_args(argc, argv, usage, &config, &own, &o);
	if (rc != ARGS_PARSED)
		return rc;
	rc = conf_from_args(argv[optind], config, argv[0], usage, &c);
	if (rc)
		return rc;
	if (o.skip_sync && !o.has_uuid) {
		pr_err(c->name, "--skip-initial-sync needs --uuid: the nodes must share the uuid their generation id is derived from");
		conf_free(c);
		return RC_USAGE;
	}
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
