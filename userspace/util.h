/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HAREPLCTL_UTIL_H
#define HAREPLCTL_UTIL_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define PROG_NAME "hareplctl"
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* A macro's value as a string literal: STR(HAREPL_AL_MAX_EXTENTS) */
#define STR_(x) #x
#define STR(x) STR_(x)

/* Exit status, documented in hareplctl(8) */
enum rc {
	RC_OK,
	RC_FAIL,	/* the operation failed */
	RC_USAGE,	/* bad command line */
	RC_CONFIG,	/* bad or missing configuration */
	RC_NOENT,	/* resource not found or not up */
	RC_PERM,	/* permission denied */
	RC_NOMOD,	/* kernel module not loaded */
	RC_LOST,	/* --wait: the peer disconnected before the job ended */
};

/* "hareplctl: RES: message\n", RES left out when NULL */
void pr_err(const char *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void pr_warn(const char *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int rc_from_errno(int err);

bool valid_res_name(const char *s);
int parse_uint(const char *s, unsigned long long max, unsigned long long *out);
/* parse_uint() with an optional suffix K, M or G (KiB, MiB, GiB; any case) */
int parse_size(const char *s, unsigned long long max, unsigned long long *out);
/* yes/no, true/false, on/off, 1/0, in any case; 0 or -EINVAL */
int parse_bool(const char *s, bool *out);

/* "63 MiB (129024 sectors)" */
#define SIZE_BUF 64
const char *fmt_size(char buf[SIZE_BUF], uint64_t sectors);
/* "0 B", "1023 B", "4.1 KiB", "12.0 MiB" */
const char *fmt_bytes(char buf[SIZE_BUF], uint64_t bytes);
#define UUID_BUF 37
const char *fmt_uuid(char buf[UUID_BUF], const uint8_t *uuid);
/* The canonical form fmt_uuid() prints, in any case; 0 or -EINVAL */
int parse_uuid(const char *s, uint8_t uuid[16]);
#define TIME_BUF 40
const char *fmt_time_ns(char buf[TIME_BUF], uint64_t ns);

void json_string(FILE *f, const char *s);

/* Subcommand option parsing */
/* Reports a missing (arg NULL) or an extra operand; returns RC_USAGE */
int usage_extra(const char *usage, const char *cmd, const char *arg);

/* What a subcommand takes besides -c FILE, -h and one operand RES */
struct subcmd_opts {
	const char *optstring;		/* getopt_long()'s, with ":c:" and "h" */
	const struct option *longopts;	/* with --config and --help */
	bool no_operand;		/* takes no RES */
	/* Its own option c, with argument arg or NULL: RC_OK, or an exit code */
	int (*fn)(int c, const char *arg, const char *cmd, void *data);
};

/* parse_args(): the command line is good, the operands start at argv[optind] */
#define ARGS_PARSED (-1)

/*
 * Parses a subcommand's options, only -c FILE and -h when own is NULL:
 * -c sets *config, -h prints usage, own->fn(..., data) takes the others.
 * Returns ARGS_PARSED, else the subcommand's exit code: RC_OK after --help,
 * RC_USAGE (with a message and usage on stderr) or own->fn's.
 */
int parse_args(int argc, char *argv[], const char *usage, const char **config,
	       const struct subcmd_opts *own, void *data);
/* own->fn of a subcommand whose one own option is a flag: *(bool *)data = true */
int opt_flag(int c, const char *arg, const char *cmd, void *data);
/* own of a subcommand whose one own option is -j, --json */
extern const struct subcmd_opts json_opts;

#endif
