// SPDX-License-Identifier: GPL-2.0
/*
 * dump-md: read, verify and print the superblock of a resource, with what
 * its bitmap slots and write-intent log hold.
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
	"Reads, verifies and prints the harepl superblock of resource RES, the\n"
	"out-of-sync chunks of each bitmap slot in use and the write-intent log.\n"
	"\n"
	"  -c, --config FILE   configuration file (default " CONF_DIR "/RES.conf)\n"
	"  -j, --json          print one JSON object\n"
	"  -h, --help          show this help\n";

#define U64(x) ((unsigned long long)le64toh(x))

/* What the superblock points to, read when its layout is valid */
struct md_areas {
	bool read;
	uint64_t oos_chunks[HAREPL_MD_MAX_PEERS];	/* slots in use */
	struct harepl_al_block al;	/* the current block; seq 0: empty log */
};

static uint32_t nslots(const struct harepl_md_sb *sb)
{
	return le32toh(sb->max_peers);
}

static bool slot_used(const struct harepl_md_sb *sb, uint32_t i)
{
	return le32toh(sb->slots[i].node_id) != HAREPL_MD_SLOT_FREE;
}

static uint64_t oos_bytes(const struct harepl_md_sb *sb, uint64_t chunks)
{
	return chunks * le32toh(sb->chunk_sectors) * 512;
}

/* Slot i's bitmap: bm_sectors / max_peers sectors at bm_sector + i * that */
static int read_slot(const struct conf *c, const struct harepl_md_sb *sb,
		     const struct md_found *f, uint32_t i, uint64_t *chunks)
{
	uint64_t sectors = le64toh(sb->bm_sectors) / nslots(sb);
	uint64_t chunk = le32toh(sb->chunk_sectors);
	uint64_t bits = (le64toh(sb->data_sectors) + chunk - 1) / chunk;
	void *bm;
	int rc;

	rc = md_read_area(c, f, le64toh(sb->bm_sector) + i * sectors, sectors, &bm);
	if (rc)
		return rc;
	*chunks = md_bits_set(bm, bits < sectors * 512 * 8 ? bits : sectors * 512 * 8);
	free(bm);
	return RC_OK;
}

static int read_areas(const struct conf *c, const struct harepl_md_sb *sb,
		      const struct md_found *f, struct md_areas *a)
{
	uint64_t al_sectors = le64toh(sb->al_sectors);
	const struct harepl_al_block *cur;
	void *al;
	uint32_t i;
	int rc;

	for (i = 0; i < nslots(sb); i++) {
		rc = slot_used(sb, i) ? read_slot(c, sb, f, i, &a->oos_chunks[i]) : RC_OK;
		if (rc)
			return rc;
	}
	rc = md_read_area(c, f, le64toh(sb->al_sector), al_sectors, &al);
	if (rc)
		return rc;
	cur = md_al_current(al, al_sectors / HAREPL_MD_SB_SECTORS);
	if (cur)
		a->al = *cur;
	free(al);
	a->read = true;
	return RC_OK;
}

static void print_sector_field(const char *key, uint64_t v, bool size)
{
	char s[SIZE_BUF];

	if (size)
		printf("%-15s%s\n", key, fmt_size(s, v));
	else
		printf("%-15s%llu\n", key, (unsigned long long)v);
}

static void print_areas_human(const struct harepl_md_sb *sb, const struct md_areas *a)
{
	char key[16], s[SIZE_BUF];
	bool any = false;
	uint32_t i;

	for (i = 0; i < nslots(sb); i++) {
		if (!slot_used(sb, i))
			continue;
		any = true;
		snprintf(key, sizeof(key), "slot %u", i);
		printf("%-15snode %u, gen_bitmap 0x%016llx", key,
		       le32toh(sb->slots[i].node_id), U64(sb->slots[i].gen_bitmap));
		if (le32toh(sb->slots[i].flags) & HAREPL_MD_SLOTF_PRIMARY_AT_SPLIT)
			printf(", primary at the split");
		if (a->read)
			printf(", out of sync %llu chunks (%s)",
			       (unsigned long long)a->oos_chunks[i],
			       fmt_bytes(s, oos_bytes(sb, a->oos_chunks[i])));
		putchar('\n');
	}
	if (!any)
		printf("%-15snone in use\n", "slots");
	if (!a->read)
		return;
	if (a->al.seq)
		printf("%-15sseq %llu, %u active extents\n", "write-intent",
		       U64(a->al.seq), le32toh(a->al.n));
	else
		printf("%-15sempty\n", "write-intent");
}

static void print_human(const struct conf *c, const struct harepl_md_sb *sb,
			const struct md_found *f, const struct md_areas *a)
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
	print_areas_human(sb, a);
}

static void json_u64(const char *key, uint64_t v)
{
	printf(",\"%s\":%llu", key, (unsigned long long)v);
}

static void json_gen(const char *key, __le64 v)
{
	printf(",\"%s\":\"0x%016llx\"", key, U64(v));
}

static void print_areas_json(const struct harepl_md_sb *sb, const struct md_areas *a)
{
	const char *sep = "";
	uint32_t i;

	printf(",\"slots\":[");
	for (i = 0; i < nslots(sb); i++) {
		if (!slot_used(sb, i))
			continue;
		printf("%s{\"index\":%u,\"node_id\":%u,\"gen_bitmap\":\"0x%016llx\"",
		       sep, i, le32toh(sb->slots[i].node_id), U64(sb->slots[i].gen_bitmap));
		printf(",\"primary_at_split\":%s",
		       le32toh(sb->slots[i].flags) & HAREPL_MD_SLOTF_PRIMARY_AT_SPLIT ?
		       "true" : "false");
		if (a->read)
			printf(",\"oos_chunks\":%llu,\"oos_bytes\":%llu",
			       (unsigned long long)a->oos_chunks[i],
			       (unsigned long long)oos_bytes(sb, a->oos_chunks[i]));
		putchar('}');
		sep = ",";
	}
	if (!a->read) {
		printf("],\"al\":null");
		return;
	}
	printf("],\"al\":{\"seq\":%llu,\"extents\":[", U64(a->al.seq));
	for (i = 0; i < le32toh(a->al.n); i++)
		printf("%s%u", i ? "," : "", le32toh(a->al.extents[i]));
	printf("]}");
}

static void print_json(const struct conf *c, const struct harepl_md_sb *sb,
		       const struct md_found *f, const struct md_areas *a)
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
	print_areas_json(sb, a);
	printf("}\n");
}

static int dump_md(const struct conf *c, bool json)
{
	struct harepl_md_sb *sb = md_sb_alloc();
	struct md_areas a = { .read = false };
	struct md_found f;
	char why[160];
	int rc;

	if (!sb)
		return RC_FAIL;
	rc = md_load(c, sb, &f);
	if (rc)
		goto out;
	/* bitmap and write-intent log only where the superblock sanely says */
	if (md_sb_bad_layout(sb, f.sb_sector, f.meta_sectors, f.data_dev_sectors,
			     why, sizeof(why)))
		pr_warn(c->name, "%s: superblock layout is invalid, bitmap and write-intent log not read: %s",
			f.path, why);
	else
		rc = read_areas(c, sb, &f, &a);
	if (rc)
		goto out;
	if (json)
		print_json(c, sb, &f, &a);
	else
		print_human(c, sb, &f, &a);
out:
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
