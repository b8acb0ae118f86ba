// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration file, CONF_DIR/<res>.conf: one [Resource] section and
 * any number of [Peer] sections of "Key = value" lines. Section names and
 * keys are case-insensitive; '#' starts a comment that runs to the end of
 * the line. Every problem is reported as "FILE:LINE: problem" and parsing
 * goes on, so one run shows them all.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "util.h"

#define NAME_HINT "expected 1..31 of [A-Za-z0-9_.-], not starting with '.' or '-'"

enum section { SEC_NONE, SEC_RESOURCE, SEC_PEER, SEC_UNKNOWN };

#define MAX_KEYS 8

struct parser {
	struct conf *conf;
	unsigned int line;
	unsigned int errors;
	enum section sec;
	unsigned int sec_line;
	unsigned int seen[MAX_KEYS];	/* line each key of the section is on */
	unsigned int resource_line;
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

/* IPv4:port or [IPv6]:port */
static int parse_addr(const char *val, struct conf_addr *a)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;
	char host[INET6_ADDRSTRLEN];
	const char *end, *port;
	unsigned long long v;
	bool v6 = val[0] == '[';

	if (v6) {
		val++;
		end = strchr(val, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		port = end + 2;
	} else {
		end = strchr(val, ':');
		if (!end || strchr(end + 1, ':'))
			return -EINVAL;
		port = end + 1;
	}
	if ((size_t)(end - val) >= sizeof(host))
		return -EINVAL;
	memcpy(host, val, (size_t)(end - val));
	host[end - val] = '\0';
	if (parse_uint(port, 65535, &v) || v == 0)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	if (v6) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)v);
		a->len = sizeof(*in6);
		return inet_pton(AF_INET6, host, &in6->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	in4->sin_family = AF_INET;
	in4->sin_port = htons((uint16_t)v);
	a->len = sizeof(*in4);
	return inet_pton(AF_INET, host, &in4->sin_addr) == 1 ? 0 : -EINVAL;
}

static void set_addr(struct parser *p, const char *val, struct conf_addr *a)
{
	if (parse_addr(val, a)) {
		a->len = 0;
		perr(p, "bad Address '%s': expected IPv4:port or [IPv6]:port", val);
	}
}

static bool parse_mode(struct parser *p, const char *val, enum conf_mode *m)
{
	if (!strcasecmp(val, "sync")) {
		*m = MODE_SYNC;
	} else if (!strcasecmp(val, "async")) {
		*m = MODE_ASYNC;
	} else {
		perr(p, "bad Mode '%s': expected sync or async", val);
		return false;
	}
	return true;
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
	set_addr(p, val, &p->conf->addr);
}

static void set_mode(struct parser *p, const char *val)
{
	parse_mode(p, val, &p->conf->mode);
}

static void set_secret(struct parser *p, const char *val)
{
	p->conf->secret = strdup(val);
	if (!p->conf->secret)
		perr(p, "out of memory");
}

static void set_peer_node_id(struct parser *p, const char *val)
{
	struct conf_peer *peer = cur_peer(p);

	if (parse_node_id(p, val, &peer->node_id))
		peer->node_id_line = p->line;
}

static void set_peer_address(struct parser *p, const char *val)
{
	set_addr(p, val, &cur_peer(p)->addr);
}

static void set_peer_mode(struct parser *p, const char *val)
{
	struct conf_peer *peer = cur_peer(p);

	peer->mode_set = parse_mode(p, val, &peer->mode);
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
};

static const struct key_def peer_keys[] = {
	{ "NodeId",	true,	set_peer_node_id },
	{ "Address",	true,	set_peer_address },
	{ "Mode",	false,	set_peer_mode },
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

	if (c->npeers == HAREPL_MD_MAX_PEERS) {
		perr(p, "too many [Peer] sections (at most %d)", HAREPL_MD_MAX_PEERS);
		return SEC_UNKNOWN;
	}
	peers = realloc(c->peers, (c->npeers + 1) * sizeof(*peers));
	if (!peers) {
		perr(p, "out of memory");
		return SEC_UNKNOWN;
	}
	c->peers = peers;
	memset(&peers[c->npeers], 0, sizeof(*peers));
	peers[c->npeers++].line = p->line;
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
	char *eq;

	s[strcspn(s, "#")] = '\0';
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

/* Checks that need the whole file */
static void check_conf(struct parser *p)
{
	struct conf *c = p->conf;
	unsigned int i, j;

	if (c->meta_disk && c->disk && !strcmp(c->meta_disk, c->disk)) {
		p->line = c->meta_line;
		perr(p, "MetaDisk is the same as Disk; use '" HAREPL_META_INTERNAL "'");
	}
	for (i = 0; i < c->npeers; i++) {
		struct conf_peer *peer = &c->peers[i];

		if (!peer->mode_set)
			peer->mode = c->mode;
		if (!peer->node_id_line)
			continue;
		p->line = peer->node_id_line;
		if (c->node_id_line && peer->node_id == c->node_id)
			perr(p, "peer NodeId %u is the resource's own NodeId (line %u)",
			     peer->node_id, c->node_id_line);
		for (j = 0; j < i; j++) {
			if (c->peers[j].node_id_line &&
			    c->peers[j].node_id == peer->node_id)
				perr(p, "duplicate peer NodeId %u (also on line %u)",
				     peer->node_id, c->peers[j].node_id_line);
		}
	}
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
	if (c->secret) {
		explicit_bzero(c->secret, strlen(c->secret));
		free(c->secret);
	}
	free(c->peers);
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
