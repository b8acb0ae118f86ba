// SPDX-License-Identifier: GPL-2.0
/*
 * Messages, exit codes and small formatting helpers.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util.h"

static void vmsg(const char *res, const char *kind, const char *fmt, va_list ap)
{
	fputs(PROG_NAME ": ", stderr);
	if (res)
		fprintf(stderr, "%s: ", res);
	if (kind)
		fputs(kind, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void pr_err(const char *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(res, NULL, fmt, ap);
	va_end(ap);
}

void pr_warn(const char *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(res, "warning: ", fmt, ap);
	va_end(ap);
}

int rc_from_errno(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return RC_OK;
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return RC_NOENT;
	case EPERM:
	case EACCES:
		return RC_PERM;
	default:
		return RC_FAIL;
	}
}

/* 1..31 of [A-Za-z0-9_.-], not starting with '.' or '-' (see harepl.h) */
bool valid_res_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 31 || s[0] == '.' || s[0] == '-')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* A plain decimal number, no sign, no trailing garbage, at most max */
int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (d > max || v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int parse_size(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v, mul = 1;
	size_t n = strspn(s, "0123456789");
	char num[24];
	int err;

	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	if (!strcasecmp(s + n, "k") || !strcasecmp(s + n, "kib"))
		mul = 1ULL << 10;
	else if (!strcasecmp(s + n, "m") || !strcasecmp(s + n, "mib"))
		mul = 1ULL << 20;
	else if (!strcasecmp(s + n, "g") || !strcasecmp(s + n, "gib"))
		mul = 1ULL << 30;
	else if (s[n])
		return -EINVAL;
	memcpy(num, s, n);
	num[n] = '\0';
	err = parse_uint(num, max / mul, &v);
	if (err)
		return err;
	*out = v * mul;
	return 0;
}

int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i]) || !strcasecmp(s, no[i])) {
			*out = !strcasecmp(s, yes[i]);
			return 0;
		}
	}
	return -EINVAL;
}

const char *fmt_size(char buf[SIZE_BUF], uint64_t sectors)
{
	const char *unit = "MiB";
	uint64_t div = 2048;

	if (sectors < 2048) {
		unit = "KiB";
		div = 2;
	}
	if (sectors % div)
		snprintf(buf, SIZE_BUF, "%.2f %s (%llu sectors)",
			 (double)sectors / div, unit, (unsigned long long)sectors);
	else
		snprintf(buf, SIZE_BUF, "%llu %s (%llu sectors)",
			 (unsigned long long)(sectors / div), unit,
			 (unsigned long long)sectors);
	return buf;
}

const char *fmt_bytes(char buf[SIZE_BUF], uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	size_t i = 0;

	if (bytes < 1024) {
		snprintf(buf, SIZE_BUF, "%llu B", (unsigned long long)bytes);
		return buf;
	}
	/* 1023.95 KiB would print as "1024.0 KiB" */
	for (v /= 1024; v >= 1023.95 && i + 1 < ARRAY_SIZE(units); i++)
		v /= 1024;
	snprintf(buf, SIZE_BUF, "%.1f %s", v, units[i]);
	return buf;
}

const char *fmt_uuid(char buf[UUID_BUF], const uint8_t *u)
{
	snprintf(buf, UUID_BUF,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
	return buf;
}

static int hexval(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

int parse_uuid(const char *s, uint8_t uuid[16])
{
	size_t i = 0, n = 0;

	if (strlen(s) != UUID_BUF - 1)
		return -EINVAL;
	while (i < UUID_BUF - 1) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i++] != '-')
				return -EINVAL;
			continue;
		}
		if (!isxdigit((unsigned char)s[i]) || !isxdigit((unsigned char)s[i + 1]))
			return -EINVAL;
		uuid[n++] = (uint8_t)(hexval(s[i]) << 4 | hexval(s[i + 1]));
		i += 2;
	}
	return 0;
}

/* ISO 8601 UTC with milliseconds: 2026-11-26T10:00:00.123Z */
const char *fmt_time_ns(char buf[TIME_BUF], uint64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000ULL);
	unsigned int ms = (unsigned int)(ns % 1000000000ULL / 1000000);
	struct tm tm;
	size_t n;

	if (!gmtime_r(&sec, &tm)) {
		snprintf(buf, TIME_BUF, "@%llu", (unsigned long long)ns);
		return buf;
	}
	n = strftime(buf, TIME_BUF, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, TIME_BUF - n, ".%03uZ", ms);
	return buf;
}

void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Each subcommand parses its own options with getopt_long() from scratch */
static void getopt_reset(void)
{
	optind = 0;
	optopt = 0;
	opterr = 0;
}

/* Reports what getopt_long() returned for a bad option; returns RC_USAGE */
static int usage_error(const char *usage, const char *cmd, char **argv, int c)
{
	const char *opt = argv[optind - 1];

	if (c == ':')
		pr_err(cmd, "option '%s' requires an argument", opt);
	else if (optopt && optopt != '?')
		pr_err(cmd, "unknown option '-%c'", optopt);
	else
		pr_err(cmd, "unknown option '%s'", opt);
	fputs(usage, stderr);
	return RC_USAGE;
}

int usage_extra(const char *usage, const char *cmd, const char *arg)
{
	if (arg)
		pr_err(cmd, "unexpected argument '%s'", arg);
	else
		pr_err(cmd, "missing resource name");
	fputs(usage, stderr);
	return RC_USAGE;
}

/* Only -c FILE and -h, and one operand */
static const struct option plain_longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 }
};
static const struct subcmd_opts plain_opts = { ":c:h", plain_longopts, false, NULL };

int parse_args(int argc, char *argv[], const char *usage, const char **config,
	       const struct subcmd_opts *own, void *data)
{
	int c, rc, max;

	if (!own)
		own = &plain_opts;
	max = own->no_operand ? 0 : 1;
	getopt_reset();
	while ((c = getopt_long(argc, argv, own->optstring, own->longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*config = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return RC_OK;
		case ':':
		case '?':
			return usage_error(usage, argv[0], argv, c);
		default:
			rc = own->fn(c, optarg, argv[0], data);
			if (rc)
				return rc;
		}
	}
	if (argc - optind > max)
		return usage_extra(usage, argv[0], argv[optind + max]);
	return ARGS_PARSED;
}

int opt_flag(int c, const char *arg, const char *cmd, void *data)
{
	(void)c;
	(void)arg;
	(void)cmd;
	*(bool *)data = true;
	return RC_OK;
}

static const struct option json_longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 }
};
const struct subcmd_opts json_opts = { ":c:jh", json_longopts, false, opt_flag };
