/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HAREPLCTL_DM_H
#define HAREPLCTL_DM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libdevmapper.h>

/* Quiets libdevmapper and opens the control device; returns an exit code */
int hdm_init(const char *res);

/* Device-mapper through libdevmapper; these return 0 or -errno */
int hdm_info(const char *name, struct dm_info *info);
int hdm_target_type(const char *name, char *type, size_t len);
bool hdm_has_target(const char *type);

enum hdm_step { HDM_CREATE, HDM_LOAD, HDM_RESUME };
/* Creates device name with one target; on failure *step says which failed */
int hdm_create(const char *name, uint64_t sectors, const char *type,
	       const char *params, enum hdm_step *step);
int hdm_remove(const char *name);
/* Makes sure /dev/mapper/<name> exists (there is no udev in the test VMs) */
int hdm_ensure_node(const char *name);

#endif
