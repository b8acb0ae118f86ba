/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HAREPLCTL_NAMES_H
#define HAREPLCTL_NAMES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Names of the enums of harepl.h; "unknown" for values we do not know */
const char *role_name(uint32_t role);
const char *disk_name(uint32_t disk);
const char *conn_name(uint32_t conn);
const char *event_name(uint32_t event);
const char *mode_name(uint32_t mode);
const char *congestion_name(uint32_t congestion);
const char *after_sb_name(uint32_t policy);	/* enum harepl_after_sb */
const char *sb_result_name(uint32_t result);	/* enum harepl_sb_result */
const char *fencing_name(uint32_t fencing);
const char *freeze_name(uint32_t freeze);
const char *fence_state_name(uint32_t state);

/* The value of a mode or congestion name, in any case; false if none */
bool mode_parse(const char *s, uint32_t *mode);
bool congestion_parse(const char *s, uint32_t *congestion);
bool after_sb_parse(const char *s, uint32_t *policy);
bool fencing_parse(const char *s, uint32_t *fencing);

/* struct harepl_md_sb.flags: "internal,consistent" or "none" */
void print_md_flags(FILE *f, uint32_t flags, const char *sep, const char *quote);

#endif
