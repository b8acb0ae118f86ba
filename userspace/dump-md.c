// SPDX-License-Identifier: GPL-2.0
/*
 * dump-md: read, verify and print the superblock of a resource.
 */
#include <endian.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "md.h"
#include "mddev.h"
#include "names.h"
#include "subcommands.h"
#include "util.h"

static const char usage[] =
	"Usage: " PROG_NAME " dump-md [--json] RES\n"
	"\n"
	"Reads, verifies and prints the harepl superblock of resource RES.\n"
	"\n"
	"  -c, --config FILE   configuration file (default " CONF_DIR "/RES.conf)\n"
	"  -j, --json          print one JSON object\n"
	"  -h, --help          show this help\n";

#define U64(x) ((unsigned long long)le64toh(x))

static void print_sector_field(const char *key, uint64_t v, bool size)
{
	char s[SIZE_BUF];

	if (size)
		printf("%-15s%s\n", key, fmt_size(s, v));
	else
		printf("%-15s%llu\n", key, (unsigned long long)v);
}

static void print_human(const struct conf *c, const struct harepl_md_sb *sb,
			const struct md_found *f)
{
	uint32_t flags = le32toh(sb->flags);
	char u[UUID_BUF], t[TIME_BUF];
	int i;

	printf("%-15s%s", "device", f->path);
	if (c->meta_disk)
		printf(" (external metadata for %s)\n", c->disk);
	else
		printf(" (internal metadata)\n");
	printf("%-15s0x%016llx\n", "magic", U64(sb->magic));
	printf("%-15s%u\n", "version", le32toh(sb->version));
	printf("%-15s0x%08x (", "flags", flags);
	print_md_flags(stdout, flags, ",", "");
	printf(")\n%-15s%s\n", "uuid", fmt_uuid(u, sb->uuid));
	printf("%-15s%.*s\n", "name", (int)sizeof(sb->name), sb->name);
	printf("%-15s%u\n", "node_id", le32toh(sb->node_id));
	printf("%-15s%u\n", "max_peers", le32toh(sb->max_peers));
	print_sector_field("chunk_sectors", le32toh(sb->chunk_sectors), true);
	printf("%-15s0x%016llx\n", "gen_current", U64(sb->gen_current));
	printf("%-15s%u\n", "al_extents", le32toh(sb->al_extents));
	printf("%-15s", "gen_history");
	for (i = 0; i < HAREPL_MD_HISTORY; i++)
		printf("0x%016llx%s", U64(sb->gen_history[i]),
		       i + 1 < HAREPL_MD_HISTORY ? " " : "\n");
	print_sector_field("data_sectors", le64toh(sb->data_sectors), true);
	print_sector_field("md_sectors", le64toh(sb->md_sectors), true);
	print_sector_field("md_start", le64toh(sb->md_start), false);
	print_sector_field("sb_sector", le64toh(sb->sb_sector), false);
	print_sector_field("al_sector", le64toh(sb->al_sector), false);
	print_sector_field("al_sectors", le64toh(sb->al_sectors), true);
	print_sector_field("bm_sector", le64toh(sb->bm_sector), false);
	print_sector_field("bm_sectors", le64toh(sb->bm_sectors), true);
	printf("%-15s%llu (%s)\n", "created", U64(sb->created),
	       fmt_time_ns(t, le64toh(sb->created) * 1000000000ULL));
	printf("%-15s0x%08x (valid)\n", "checksum", le32toh(sb->checksum));
}

static void json_u64(const char *key, uint64_t v)
{
	printf(",\"%s\":%llu", key, (unsigned long long)v);
}

static void json_gen(const char *key, __le64 v)
{
	printf(",\"%s\":\"0x%016llx\"", key, U64(v));
}

static void print_json(const struct conf *c, const struct harepl_md_sb *sb,
		       const struct md_found *f)
{
	char u[UUID_BUF], name[HAREPL_NAME_MAX + 1] = "";
	int i;

	printf("{\"device\":");
	json_string(stdout, f->path);
	printf(",\"disk\":");
	json_string(stdout, c->disk);
	printf(",\"meta_disk\":");
	json_string(stdout, c->meta_disk ? c->meta_disk : HAREPL_META_INTERNAL);
	printf(",\"magic\":\"0x%016llx\",\"version\":%u", U64(sb->magic),
	       le32toh(sb->version));
	printf(",\"flags\":%u,\"flag_names\":[", le32toh(sb->flags));
	print_md_flags(stdout, le32toh(sb->flags), ",", "\"");
	printf("],\"uuid\":\"%s\",\"name\":", fmt_uuid(u, sb->uuid));
	memcpy(name, sb->name, sizeof(sb->name));
	json_string(stdout, name);
	json_u64("node_id", le32toh(sb->node_id));
	json_u64("max_peers", le32toh(sb->max_peers));
	json_u64("chunk_sectors", le32toh(sb->chunk_sectors));
	json_gen("gen_current", sb->gen_current);
	printf(",\"al_extents\":%u", le32toh(sb->al_extents));
	printf(",\"gen_history\":[");
	for (i = 0; i < HAREPL_MD_HISTORY; i++)
		printf("%s\"0x%016llx\"", i ? "," : "", U64(sb->gen_history[i]));
	printf("]");
	json_u64("data_sectors", le64toh(sb->data_sectors));
	json_u64("md_sectors", le64toh(sb->md_sectors));
	json_u64("md_start", le64toh(sb->md_start));
	json_u64("sb_sector", le64toh(sb->sb_sector));
	json_u64("al_sector", le64toh(sb->al_sector));
	json_u64("al_sectors", le64toh(sb->al_sectors));
	json_u64("bm_sector", le64toh(sb->bm_sector));
	json_u64("bm_sectors", le64toh(sb->bm_sectors));
	json_u64("created", le64toh(sb->created));
	json_u64("checksum", le32toh(sb->checksum));
	printf("}\n");
}

static int dump_md(const struct conf *c, bool json)
{
	struct harepl_md_sb *sb = md_sb_alloc();
	struct md_found f;
	char why[160];
	int rc;

	if (!sb)
		return RC_FAIL;
	rc = md_load(c, sb, &f);
	if (rc == RC_OK) {
		if (json)
			print_json(c, sb, &f);
		else
			print_human(c, sb, &f);
		if (md_sb_bad_layout(sb, f.sb_sector, f.meta_sectors,
				     f.data_dev_sectors, why, sizeof(why)))
			pr_warn(c->name, "%s: superblock layout is invalid: %s",
				f.path, why);
	}
	free(sb);
	return rc;
}

int dump_md_main(int argc, char *argv[], const char *config)
{
	struct conf *conf;
	bool json = false;
	int rc;

	rc = parse_args(argc, argv, usage, &config, &json_opts, &json);
	if (rc != ARGS_PARSED)
		return rc;
	rc = conf_from_args(argv[optind], config, argv[0], usage, &conf);
	if (rc)
		return rc;
	rc = dump_md(conf, json);
	conf_free(conf);
	return rc;
}
