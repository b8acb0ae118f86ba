// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration file, CONF_DIR/<res>.conf: one [Resource] section and
 * any number of [Peer] sections of "Key = value" lines. Section names and
 * keys are case-insensitive; '#' starts a comment that runs to the end of
 * the line. Every problem is reported as "FILE:LINE: problem" and parsing
 * goes on, so one run shows them all.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "config.h"
#include "names.h"
#include "util.h"

#define NAME_HINT "expected 1..31 of [A-Za-z0-9_.-], not starting with '.' or '-'"

enum section { SEC_NONE, SEC_RESOURCE, SEC_PEER, SEC_UNKNOWN };

#define MAX_KEYS 10

struct parser {
	struct conf *conf;
	unsigned int line;
	unsigned int errors;
	enum section sec;
	unsigned int sec_line;
	unsigned int seen[MAX_KEYS];	/* line each key of the section is on */
	unsigned int resource_line;
	bool hash_in_value;	/* a '#' right after a value character */
};

struct key_def {
	const char *name;
	bool required;
	void (*set)(struct parser *p, const char *val);
};

static void perr(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG_NAME ": %s:%u: ", p->conf->path, p->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	p->errors++;
}

static struct conf_peer *cur_peer(struct parser *p)
{
	return &p->conf->peers[p->conf->npeers - 1];
}

static bool valid_dm_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= DM_NAME_LEN || s[0] == '.' || s[0] == '-')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* The dm table is split on white space: paths must not contain any */
static char *dup_path(struct parser *p, const char *key, const char *val)
{
	const char *c;
	char *s;

	if (val[0] != '/') {
		perr(p, "bad %s '%s': expected an absolute path", key, val);
		return NULL;
	}
	for (c = val; *c; c++) {
		if (isspace((unsigned char)*c)) {
			perr(p, "bad %s '%s': white space in a path", key, val);
			return NULL;
		}
	}
	s = strdup(val);
	if (!s)
		perr(p, "out of memory");
	return s;
}

static bool parse_node_id(struct parser *p, const char *val, uint32_t *out)
{
	unsigned long long v;
	int err = parse_uint(val, UINT32_MAX, &v);

	if (err == -EINVAL) {
		perr(p, "bad NodeId '%s': expected a number from 0 to %d", val,
		     HAREPL_MD_MAX_PEERS);
		return false;
	}
	if (err || v > HAREPL_MD_MAX_PEERS) {
		perr(p, "NodeId %s out of range 0..%d", val, HAREPL_MD_MAX_PEERS);
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

static void set_addr(struct parser *p, const char *val, struct addr *a,
		     unsigned int *line)
{
	*line = p->line;
	if (addr_parse(val, a)) {
		a->len = 0;
		perr(p, "bad Address '%s': expected IPv4:port or [IPv6]:port", val);
	}
}

static void set_mode_of(struct parser *p, const char *val, uint32_t *mode)
{
	if (!mode_parse(val, mode))
		perr(p, "bad Mode '%s': expected sync or async", val);
}

/* 5000, 5000ms, 5s: milliseconds */
static int parse_ms(const char *val, unsigned long long *ms)
{
	size_t n = strspn(val, "0123456789");
	unsigned long long v, mul;
	char num[24];
	int err;

	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	if (!val[n] || !strcasecmp(val + n, "ms"))
		mul = 1;
	else if (!strcasecmp(val + n, "s"))
		mul = 1000;
	else
		return -EINVAL;
	memcpy(num, val, n);
	num[n] = '\0';
	err = parse_uint(num, ~0ULL / 1000, &v);
	if (!err)
		*ms = v * mul;
	return err;
}

static void set_name(struct parser *p, const char *val)
{
	if (!valid_res_name(val)) {
		perr(p, "bad Name '%s': " NAME_HINT, val);
		return;
	}
	strcpy(p->conf->name, val);
	p->conf->name_line = p->line;
}

static void set_device(struct parser *p, const char *val)
{
	if (!valid_dm_name(val)) {
		perr(p, "bad Device '%s': expected 1..%d of [A-Za-z0-9_.-], not starting with '.' or '-'",
		     val, DM_NAME_LEN - 1);
		return;
	}
	strcpy(p->conf->device, val);
}

static void set_disk(struct parser *p, const char *val)
{
	p->conf->disk = dup_path(p, "Disk", val);
	p->conf->disk_line = p->line;
}

static void set_meta_disk(struct parser *p, const char *val)
{
	p->conf->meta_line = p->line;
	if (strcasecmp(val, HAREPL_META_INTERNAL))
		p->conf->meta_disk = dup_path(p, "MetaDisk", val);
}

static void set_node_id(struct parser *p, const char *val)
{
	if (parse_node_id(p, val, &p->conf->node_id))
		p->conf->node_id_line = p->line;
}

static void set_address(struct parser *p, const char *val)
{
	set_addr(p, val, &p->conf->addr, &p->conf->addr_line);
}

static void set_mode(struct parser *p, const char *val)
{
	set_mode_of(p, val, &p->conf->mode);
}

/* Taken literally: every byte between the '=' and a comment, trimmed */
static void set_secret(struct parser *p, const char *val)
{
	size_t n = strlen(val);

	if (p->hash_in_value)
		perr(p, "Secret contains '#', which starts a comment; choose a secret without it");
	else if (n > HAREPL_SECRET_MAX)
		perr(p, "Secret is %zu bytes long, at most %d are allowed", n,
		     HAREPL_SECRET_MAX);
	else {
		memcpy(p->conf->secret, val, n);
		p->conf->secret_len = n;
	}
}

static void set_peer_node_id(struct parser *p, const char *val)
{
	struct conf_peer *peer = cur_peer(p);

	if (parse_node_id(p, val, &peer->node_id))
		peer->node_id_line = p->line;
}

static void set_peer_address(struct parser *p, const char *val)
{
	struct conf_peer *peer = cur_peer(p);

	set_addr(p, val, &peer->addr, &peer->addr_line);
}

static void set_peer_mode(struct parser *p, const char *val)
{
	struct conf_peer *peer = cur_peer(p);

	peer->mode_line = p->line;
	set_mode_of(p, val, &peer->mode);
}

static void set_peer_timeout(struct parser *p, const char *val)
{
	unsigned long long ms;
	int err = parse_ms(val, &ms);

	if (err == -EINVAL)
		perr(p, "bad Timeout '%s': expected milliseconds, or a number with the suffix ms or s",
		     val);
	else if (err || ms < PEER_TIMEOUT_MS_MIN || ms > PEER_TIMEOUT_MS_MAX)
		perr(p, "Timeout %s out of range %dms..%ds", val, PEER_TIMEOUT_MS_MIN,
		     PEER_TIMEOUT_MS_MAX / 1000);
	else
		cur_peer(p)->timeout_ms = (uint32_t)ms;
}

static void set_peer_sndbuf(struct parser *p, const char *val)
{
	struct conf_peer *peer = cur_peer(p);
	unsigned long long v;
	int err = parse_size(val, ~0ULL, &v);

	peer->sndbuf_line = p->line;
	if (err == -EINVAL)
		perr(p, "bad SendBuffer '%s': expected bytes, or a number with the suffix K or M",
		     val);
	else if (err || v < PEER_SNDBUF_MIN || v > PEER_SNDBUF_MAX)
		perr(p, "SendBuffer %s out of range %uK..%uM", val, PEER_SNDBUF_MIN >> 10,
		     PEER_SNDBUF_MAX >> 20);
	else
		peer->sndbuf = (uint32_t)v;
}

static void set_peer_congestion(struct parser *p, const char *val)
{
	struct conf_peer *peer = cur_peer(p);

	peer->congestion_line = p->line;
	if (!congestion_parse(val, &peer->on_congestion))
		perr(p, "bad OnCongestion '%s': expected block or ahead", val);
}

/* Bytes per second, with the suffix K, M or G; kept in KiB/s */
static void set_peer_resync_rate(struct parser *p, const char *val)
{
	struct conf_peer *peer = cur_peer(p);
	unsigned long long v;
	int err = parse_size(val, ~0ULL, &v);

	if (err == -EINVAL)
		perr(p, "bad ResyncRate '%s': expected bytes per second, or a number with the suffix K, M or G",
		     val);
	else if (err || v >> 10 < PEER_RESYNC_RATE_MIN || v >> 10 > PEER_RESYNC_RATE_MAX)
		perr(p, "ResyncRate %s out of range %uK..%uG", val, PEER_RESYNC_RATE_MIN,
		     PEER_RESYNC_RATE_MAX >> 20);
	else {
		peer->resync_rate = (uint32_t)(v >> 10);
		peer->resync_rate_line = p->line;
	}
}

static void set_peer_csums(struct parser *p, const char *val)
{
	struct conf_peer *peer = cur_peer(p);

	if (parse_bool(val, &peer->csums))
		perr(p, "bad Csums '%s': expected yes or no", val);
	else
		peer->csums_line = p->line;
}

static void set_peer_after_sb(struct parser *p, const char *val)
{
	struct conf_peer *peer = cur_peer(p);

	if (after_sb_parse(val, &peer->after_sb))
		peer->after_sb_line = p->line;
	else
		perr(p, "bad AfterSplitBrain '%s': expected disconnect, discard-zero-changes, discard-younger-primary or discard-least-changes",
		     val);
}

static void set_fencing(struct parser *p, const char *val)
{
	if (!fencing_parse(val, &p->conf->fencing))
		perr(p, "bad Fencing '%s': expected none, resource-only or resource-and-stonith",
		     val);
	else
		p->conf->fencing_line = p->line;
}

/* Run by the kernel without a shell: one absolute path, no arguments */
static void set_fence_handler(struct parser *p, const char *val)
{
	if (strlen(val) >= HAREPL_FENCE_HANDLER_MAX) {
		perr(p, "FenceHandler is %zu bytes long, at most %d are allowed",
		     strlen(val), HAREPL_FENCE_HANDLER_MAX - 1);
		return;
	}
	free(p->conf->fence_handler);
	p->conf->fence_handler = dup_path(p, "FenceHandler", val);
	p->conf->fence_handler_line = p->line;
}

static const struct key_def resource_keys[] = {
	{ "Name",	false,	set_name },
	{ "Device",	false,	set_device },
	{ "Disk",	true,	set_disk },
	{ "MetaDisk",	false,	set_meta_disk },
	{ "NodeId",	true,	set_node_id },
	{ "Address",	false,	set_address },
	{ "Mode",	false,	set_mode },
	{ "Secret",	false,	set_secret },
	{ "Fencing",	false,	set_fencing },
	{ "FenceHandler", false, set_fence_handler },
};

static const struct key_def peer_keys[] = {
	{ "NodeId",	true,	set_peer_node_id },
	{ "Address",	true,	set_peer_address },
	{ "Mode",	false,	set_peer_mode },
	{ "Timeout",	false,	set_peer_timeout },
	{ "SendBuffer",	false,	set_peer_sndbuf },
	{ "OnCongestion", false, set_peer_congestion },
	{ "ResyncRate",	false,	set_peer_resync_rate },
	{ "Csums",	false,	set_peer_csums },
	{ "AfterSplitBrain", false, set_peer_after_sb },
};

static const struct section_def {
	const char *name;
	const struct key_def *keys;
	size_t nkeys;
} sections[] = {
	[SEC_RESOURCE] = { "Resource", resource_keys, ARRAY_SIZE(resource_keys) },
	[SEC_PEER] = { "Peer", peer_keys, ARRAY_SIZE(peer_keys) },
};

_Static_assert(ARRAY_SIZE(resource_keys) <= MAX_KEYS, "MAX_KEYS too small");
_Static_assert(ARRAY_SIZE(peer_keys) <= MAX_KEYS, "MAX_KEYS too small");

static bool known_section(enum section sec)
{
	return sec == SEC_RESOURCE || sec == SEC_PEER;
}

static void end_section(struct parser *p)
{
	const struct section_def *s;
	size_t i;

	if (!known_section(p->sec))
		return;
	s = &sections[p->sec];
	for (i = 0; i < s->nkeys; i++) {
		if (!s->keys[i].required || p->seen[i])
			continue;
		if (p->sec == SEC_RESOURCE)
			fprintf(stderr, PROG_NAME ": %s: ", p->conf->path);
		else
			fprintf(stderr, PROG_NAME ": %s:%u: ", p->conf->path,
				p->sec_line);
		fprintf(stderr, "missing required key '%s' in [%s]\n",
			s->keys[i].name, s->name);
		p->errors++;
	}
}

static enum section begin_peer(struct parser *p)
{
	struct conf *c = p->conf;
	struct conf_peer *peers;

	if (c->npeers == HAREPL_MAX_PEERS) {
		perr(p, "too many [Peer] sections (at most %d)", HAREPL_MAX_PEERS);
		return SEC_UNKNOWN;
	}
	peers = realloc(c->peers, (c->npeers + 1) * sizeof(*peers));
	if (!peers) {
		perr(p, "out of memory");
		return SEC_UNKNOWN;
	}
	c->peers = peers;
	peers[c->npeers] = (struct conf_peer){
		.line = p->line,
		.timeout_ms = PEER_TIMEOUT_MS_DEF,
		.sndbuf = PEER_SNDBUF_DEF,
		.on_congestion = HAREPL_CONGESTION_BLOCK,
	};
	c->npeers++;
	return SEC_PEER;
}

static enum section begin_section(struct parser *p, const char *name)
{
	if (!strcasecmp(name, sections[SEC_PEER].name))
		return begin_peer(p);
	if (strcasecmp(name, sections[SEC_RESOURCE].name)) {
		perr(p, "unknown section '[%s]'", name);
		return SEC_UNKNOWN;
	}
	if (p->resource_line) {
		perr(p, "duplicate section [Resource] (first on line %u)",
		     p->resource_line);
		return SEC_UNKNOWN;
	}
	p->resource_line = p->line;
	return SEC_RESOURCE;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static void parse_section(struct parser *p, char *s)
{
	size_t n = strlen(s);

	end_section(p);
	memset(p->seen, 0, sizeof(p->seen));
	p->sec_line = p->line;
	if (n < 2 || s[n - 1] != ']') {
		perr(p, "bad section header '%s'", s);
		p->sec = SEC_UNKNOWN;
		return;
	}
	s[n - 1] = '\0';
	p->sec = begin_section(p, trim(s + 1));
}

static void parse_key(struct parser *p, const char *key, const char *val)
{
	const struct section_def *s;
	size_t i;

	if (p->sec == SEC_NONE) {
		perr(p, "key '%s' outside of a section", key);
		return;
	}
	if (!known_section(p->sec))
		return;	/* already reported */
	s = &sections[p->sec];
	for (i = 0; i < s->nkeys && strcasecmp(key, s->keys[i].name); i++)
		;
	if (i == s->nkeys) {
		perr(p, "unknown key '%s' in [%s]", key, s->name);
		return;
	}
	if (p->seen[i]) {
		perr(p, "duplicate key '%s' in [%s] (first set on line %u)",
		     key, s->name, p->seen[i]);
		return;
	}
	p->seen[i] = p->line;
	if (!*val)
		perr(p, "empty value for key '%s'", s->keys[i].name);
	else
		s->keys[i].set(p, val);
}

static void parse_line(struct parser *p, char *s)
{
	size_t hash = strcspn(s, "#");
	char *eq;

	p->hash_in_value = s[hash] && hash > 0 && !isspace((unsigned char)s[hash - 1]) &&
			   s[hash - 1] != '=';
	s[hash] = '\0';
	s = trim(s);
	if (!*s)
		return;
	if (*s == '[') {
		parse_section(p, s);
		return;
	}
	eq = strchr(s, '=');
	if (!eq || eq == s) {
		perr(p, "expected 'Key = value' or '[Section]', got '%s'", s);
		return;
	}
	*eq = '\0';
	parse_key(p, trim(s), trim(eq + 1));
}

static const char *family_name(const struct addr *a)
{
	return a->sa.sa_family == AF_INET6 ? "IPv6" : "IPv4";
}

/* A [Peer] against the [Resource] and the peers before it */
static void check_peer(struct parser *p, unsigned int i)
{
	struct conf *c = p->conf;
	struct conf_peer *peer = &c->peers[i];
	unsigned int j;

	if (!peer->mode_line)
		peer->mode = c->mode;
	if (peer->mode == HAREPL_MODE_SYNC && (peer->sndbuf_line || peer->congestion_line)) {
		p->line = peer->sndbuf_line ? peer->sndbuf_line : peer->congestion_line;
		perr(p, "%s is for async peers only, and this peer's Mode is sync%s",
		     peer->sndbuf_line ? "SendBuffer" : "OnCongestion",
		     peer->mode_line ? "" : " (the [Resource]'s)");
	}
	if (c->addr.len && peer->addr.len && c->addr.sa.sa_family != peer->addr.sa.sa_family) {
		p->line = peer->addr_line;
		perr(p, "peer Address is %s, but the local Address (line %u) is %s",
		     family_name(&peer->addr), c->addr_line, family_name(&c->addr));
	}
	if (!peer->node_id_line)
		return;
	p->line = peer->node_id_line;
	if (c->node_id_line && peer->node_id == c->node_id)
		perr(p, "peer NodeId %u is the resource's own NodeId (line %u)",
		     peer->node_id, c->node_id_line);
	for (j = 0; j < i; j++) {
		if (c->peers[j].node_id_line && c->peers[j].node_id == peer->node_id)
			perr(p, "duplicate peer NodeId %u (also on line %u)",
			     peer->node_id, c->peers[j].node_id_line);
	}
}

/* Checks that need the whole file */
static void check_conf(struct parser *p)
{
	struct conf *c = p->conf;
	unsigned int i;

	if (c->meta_disk && c->disk && !strcmp(c->meta_disk, c->disk)) {
		p->line = c->meta_line;
		perr(p, "MetaDisk is the same as Disk; use '" HAREPL_META_INTERNAL "'");
	}
	if (c->fencing != HAREPL_FENCING_NONE && !c->fence_handler_line) {
		p->line = c->fencing_line;
		perr(p, "Fencing %s needs a FenceHandler in [Resource]",
		     fencing_name(c->fencing));
	}
	if (c->npeers && p->resource_line && !c->addr_line) {
		p->line = p->resource_line;
		perr(p, "missing key 'Address' in [Resource]: the local address is required with [Peer] sections");
	}
	for (i = 0; i < c->npeers; i++)
		check_peer(p, i);
}

static unsigned int parse_file(struct conf *c, FILE *f)
{
	struct parser p = { .conf = c };
	char *buf = NULL;
	size_t size = 0;

	while (getline(&buf, &size, f) >= 0) {
		p.line++;
		buf[strcspn(buf, "\r\n")] = '\0';
		parse_line(&p, buf);
	}
	if (ferror(f)) {
		fprintf(stderr, PROG_NAME ": %s: read error\n", c->path);
		p.errors++;
	}
	if (buf)
		explicit_bzero(buf, size);	/* it held the Secret */
	free(buf);
	end_section(&p);
	if (!p.resource_line) {
		fprintf(stderr, PROG_NAME ": %s: missing section [Resource]\n",
			c->path);
		p.errors++;
	}
	check_conf(&p);
	return p.errors;
}

/* Name: the Name key, else the resource argument, else the file name */
static int resolve_name(struct conf *c, const char *res)
{
	const char *base = strrchr(c->path, '/');
	size_t n;

	if (c->name_line && res && strcmp(res, c->name)) {
		pr_err(NULL, "%s:%u: Name '%s' does not match the resource '%s'",
		       c->path, c->name_line, c->name, res);
		return RC_CONFIG;
	}
	if (!c->name_line && res)
		strcpy(c->name, res);
	if (!c->name_line && !res) {
		base = base ? base + 1 : c->path;
		n = strlen(base);
		if (n > 5 && !strcmp(base + n - 5, ".conf"))
			n -= 5;
		if (n < sizeof(c->name))
			memcpy(c->name, base, n);
		if (!valid_res_name(c->name)) {
			pr_err(NULL, "%s: no Name in [Resource] and the file name is no valid resource name",
			       c->path);
			return RC_CONFIG;
		}
	}
	if (!c->device[0])
		strcpy(c->device, c->name);
	return RC_OK;
}

/* As wg-quick does: a Secret others can read is no secret */
static void check_secret_mode(const struct conf *c, FILE *f)
{
	struct stat st;

	if (c->secret_len && !fstat(fileno(f), &st) && (st.st_mode & S_IRWXO))
		pr_warn(c->name, "%s holds a Secret and is accessible to all users", c->path);
}

int conf_load(const char *res, const char *path, struct conf **out)
{
	struct conf *c = calloc(1, sizeof(*c));
	FILE *f;
	int rc = RC_CONFIG;

	if (!c)
		return RC_FAIL;
	if (path)
		c->path = strdup(path);
	else if (asprintf(&c->path, CONF_DIR "/%s.conf", res) < 0)
		c->path = NULL;
	if (!c->path) {
		free(c);
		return RC_FAIL;
	}
	f = fopen(c->path, "re");
	if (!f) {
		pr_err(res, "cannot read %s: %s", c->path, strerror(errno));
		goto fail;
	}
	if (parse_file(c, f) == 0)
		rc = resolve_name(c, res);
	if (rc == RC_OK)
		check_secret_mode(c, f);
	fclose(f);
	if (rc == RC_OK) {
		*out = c;
		return RC_OK;
	}
fail:
	conf_free(c);
	return rc;
}

void conf_free(struct conf *c)
{
	if (!c)
		return;
	explicit_bzero(c->secret, sizeof(c->secret));
	free(c->peers);
	free(c->fence_handler);
	free(c->meta_disk);
	free(c->disk);
	free(c->path);
	free(c);
}

int conf_dev_error(const struct conf *c, bool meta, int err)
{
	pr_err(c->name, "%s:%u: %s '%s': %s", c->path,
	       meta ? c->meta_line : c->disk_line, meta ? "MetaDisk" : "Disk",
	       meta ? c->meta_disk : c->disk, strerror(err));
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case ENXIO:
	case ENODEV:
	case ENOTBLK:
		return RC_CONFIG;
	default:
		return rc_from_errno(err);
	}
}

int conf_from_args(const char *res, const char *config, const char *cmd,
		   const char *usage, struct conf **out)
{
	if (res && !valid_res_name(res)) {
		pr_err(cmd, "bad resource name '%s': " NAME_HINT, res);
		return RC_USAGE;
	}
	if (!res && !config)
		return usage_extra(usage, cmd, NULL);
	return conf_load(res, config, out);
}

int resource_arg(const char *res, const char *config, const char *cmd,
		 const char *usage, char name[HAREPL_NAME_MAX])
{
	struct conf *c;
	int rc;

	if (res && valid_res_name(res)) {
		strcpy(name, res);
		return RC_OK;
	}
	rc = conf_from_args(res, config, cmd, usage, &c);
	if (rc)
		return rc;
	strcpy(name, c->name);
	conf_free(c);
	return RC_OK;
}
