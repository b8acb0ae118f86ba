// SPDX-License-Identifier: GPL-2.0
/*
 * Device-mapper devices. udev synchronisation is off: libdevmapper makes
 * and removes the /dev/mapper nodes itself (the test VMs have no udev).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "dm.h"
#include "util.h"

#define REMOVE_TRIES 10
#define REMOVE_DELAY_US 100000

/* Errors are reported by the callers, with the resource and the cause */
static void quiet(int level, const char *file, int line, int dm_errno_or_class,
		  const char *f, ...)
{
	(void)level, (void)file, (void)line, (void)dm_errno_or_class, (void)f;
}

int hdm_init(const char *res)
{
	char version[64];
	int err;

	dm_log_with_errno_init(quiet);
	dm_udev_set_sync_support(0);
	errno = 0;
	if (dm_driver_version(version, sizeof(version)))
		return RC_OK;
	err = errno ? errno : ENODEV;
	pr_err(res, "device-mapper not available: cannot open %s/control: %s",
	       dm_dir(), strerror(err));
	return err == EACCES || err == EPERM ? RC_PERM : RC_NOMOD;
}

static struct dm_task *task(int type, const char *name)
{
	struct dm_task *dmt = dm_task_create(type);

	if (dmt && name && !dm_task_set_name(dmt, name)) {
		dm_task_destroy(dmt);
		dmt = NULL;
	}
	return dmt;
}

static int task_errno(struct dm_task *dmt)
{
	int err = dm_task_get_errno(dmt);

	return err ? -err : -EIO;
}

/* Runs and frees dmt */
static int run(struct dm_task *dmt)
{
	int err = 0;

	if (!dmt)
		return -ENOMEM;
	if (!dm_task_run(dmt))
		err = task_errno(dmt);
	dm_task_destroy(dmt);
	return err;
}

int hdm_info(const char *name, struct dm_info *info)
{
	struct dm_task *dmt = task(DM_DEVICE_INFO, name);
	int err = 0;

	if (!dmt)
		return -ENOMEM;
	if (!dm_task_run(dmt))
		err = task_errno(dmt);
	else if (!dm_task_get_info(dmt, info))
		err = -EIO;
	dm_task_destroy(dmt);
	return err;
}

int hdm_target_type(const char *name, char *type, size_t len)
{
	struct dm_task *dmt = task(DM_DEVICE_TABLE, name);
	uint64_t start, length;
	char *ttype = NULL, *params;
	int err = 0;

	if (!dmt)
		return -ENOMEM;
	if (!dm_task_run(dmt))
		err = task_errno(dmt);
	else
		dm_get_next_target(dmt, NULL, &start, &length, &ttype, &params);
	snprintf(type, len, "%s", ttype ? ttype : "");
	dm_task_destroy(dmt);
	return err;
}

bool hdm_has_target(const char *type)
{
	struct dm_task *dmt = task(DM_DEVICE_LIST_VERSIONS, NULL);
	struct dm_versions *v, *last;
	bool found = false;

	if (!dmt)
		return false;
	if (dm_task_run(dmt) && (v = dm_task_get_versions(dmt))) {
		do {
			last = v;
			found |= !strcmp(v->name, type);
			v = (struct dm_versions *)((char *)v + v->next);
		} while (v != last);
	}
	dm_task_destroy(dmt);
	return found;
}

/*
 * Create, load, resume as three ioctls rather than libdevmapper's
 * create-with-table, which loses the errno of a refused table when it
 * removes the new device again.
 */
int hdm_create(const char *name, uint64_t sectors, const char *type,
	       const char *params, enum hdm_step *step)
{
	struct dm_task *dmt;
	int err;

	*step = HDM_CREATE;
	err = run(task(DM_DEVICE_CREATE, name));
	if (err)
		return err;
	*step = HDM_LOAD;
	dmt = task(DM_DEVICE_RELOAD, name);
	if (dmt && !dm_task_add_target(dmt, 0, sectors, type, params)) {
		dm_task_destroy(dmt);
		dmt = NULL;
	}
	err = run(dmt);
	if (!err) {
		*step = HDM_RESUME;
		err = run(task(DM_DEVICE_RESUME, name));
	}
	if (err)
		run(task(DM_DEVICE_REMOVE, name));
	dm_task_update_nodes();
	return err;
}

/* Retries for about a second while the device is busy */
int hdm_remove(const char *name)
{
	int tries = 0, err;

	while ((err = run(task(DM_DEVICE_REMOVE, name))) == -EBUSY &&
	       ++tries < REMOVE_TRIES)
		usleep(REMOVE_DELAY_US);
	dm_task_update_nodes();
	return err;
}

int hdm_ensure_node(const char *name)
{
	char path[PATH_MAX];
	struct dm_info info;
	struct stat st;
	int err;

	snprintf(path, sizeof(path), "%s/%s", dm_dir(), name);
	if (stat(path, &st) == 0)
		return S_ISBLK(st.st_mode) ? 0 : -ENOTBLK;
	err = hdm_info(name, &info);
	if (err)
		return err;
	if (!info.exists)
		return -ENXIO;
	if (mkdir(dm_dir(), 0755) && errno != EEXIST)
		return -errno;
	if (mknod(path, S_IFBLK | 0600, makedev(info.major, info.minor)))
		return -errno;
	return 0;
}
