// SPDX-License-Identifier: GPL-2.0
/*
 * Metadata I/O. Block devices are opened with O_DIRECT, so what we read is
 * what the kernel module wrote, not a stale page cache; regular files (for
 * tests) go through the page cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>

#include "md.h"
#include "mddev.h"
#include "util.h"

#define ZERO_CHUNK (1U << 20)

int md_dev_open(struct md_dev *d, const char *path, bool write, bool excl)
{
	int flags = (write ? O_RDWR : O_RDONLY) | O_CLOEXEC;
	uint64_t bytes;
	struct stat st;

	d->path = path;
	if (stat(path, &st))
		return -errno;
	if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
		return -ENOTBLK;
	d->blk = S_ISBLK(st.st_mode);
	if (d->blk)
		flags |= O_DIRECT | (excl ? O_EXCL : 0);
	d->fd = open(path, flags);
	if (d->fd < 0)
		return -errno;
	if (d->blk && ioctl(d->fd, BLKGETSIZE64, &bytes)) {
		int err = -errno;

		md_dev_close(d);
		return err;
	}
	d->sectors = (d->blk ? bytes : (uint64_t)st.st_size) >> 9;
	return 0;
}

void md_dev_close(struct md_dev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

int md_dev_read(const struct md_dev *d, uint64_t sector, void *buf, size_t len)
{
	ssize_t n = pread(d->fd, buf, len, (off_t)(sector << 9));

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int md_dev_write(const struct md_dev *d, uint64_t sector, const void *buf, size_t len)
{
	ssize_t n = pwrite(d->fd, buf, len, (off_t)(sector << 9));

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int md_dev_zero(const struct md_dev *d, uint64_t sector, uint64_t sectors)
{
	void *zero = NULL;
	int err = 0;

	if (posix_memalign(&zero, HAREPL_MD_SB_SIZE, ZERO_CHUNK))
		return -ENOMEM;
	memset(zero, 0, ZERO_CHUNK);
	while (sectors && !err) {
		uint64_t n = sectors < ZERO_CHUNK / 512 ? sectors : ZERO_CHUNK / 512;

		err = md_dev_write(d, sector, zero, n << 9);
		sector += n;
		sectors -= n;
	}
	free(zero);
	return err;
}

int md_dev_sync(const struct md_dev *d)
{
	return fsync(d->fd) ? -errno : 0;
}

struct harepl_md_sb *md_sb_alloc(void)
{
	void *p = NULL;

	if (posix_memalign(&p, HAREPL_MD_SB_SIZE, HAREPL_MD_SB_SIZE))
		return NULL;
	return p;
}

static int read_sb(const struct conf *c, const struct md_dev *d,
		   struct harepl_md_sb *sb, struct md_found *f)
{
	char why[128];
	int err;

	f->sb_sector = 0;
	if (c->meta_disk ? d->sectors < HAREPL_MD_SB_SECTORS :
			   md_internal_sb_sector(d->sectors, &f->sb_sector) < 0) {
		pr_err(c->name, "%s: too small to hold a harepl superblock", f->path);
		return RC_FAIL;
	}
	err = md_dev_read(d, f->sb_sector, sb, HAREPL_MD_SB_SIZE);
	if (err) {
		pr_err(c->name, "%s: cannot read the superblock at sector %llu: %s",
		       f->path, (unsigned long long)f->sb_sector, strerror(-err));
		return rc_from_errno(err);
	}
	if (md_sb_invalid(sb, why, sizeof(why))) {
		pr_err(c->name, "%s: no valid harepl superblock (%s)", f->path, why);
		return RC_FAIL;
	}
	return RC_OK;
}

int md_load(const struct conf *c, struct harepl_md_sb *sb, struct md_found *f)
{
	struct md_dev data = MD_DEV_INIT, meta = MD_DEV_INIT;
	int err, rc;

	err = md_dev_open(&data, c->disk, false, false);
	if (err)
		return conf_dev_error(c, false, -err);
	f->data_dev_sectors = data.sectors;
	if (c->meta_disk) {
		err = md_dev_open(&meta, c->meta_disk, false, false);
		if (err) {
			md_dev_close(&data);
			return conf_dev_error(c, true, -err);
		}
	}
	f->path = c->meta_disk ? c->meta_disk : c->disk;
	f->meta_sectors = c->meta_disk ? meta.sectors : data.sectors;
	rc = read_sb(c, c->meta_disk ? &meta : &data, sb, f);
	md_dev_close(&meta);
	md_dev_close(&data);
	return rc;
}

int md_read_area(const struct conf *c, const struct md_found *f, uint64_t sector,
		 uint64_t sectors, void **buf)
{
	struct md_dev d = MD_DEV_INIT;
	int err;

	*buf = NULL;
	err = md_dev_open(&d, f->path, false, false);
	if (err) {
		pr_err(c->name, "%s: cannot open: %s", f->path, strerror(-err));
		return rc_from_errno(err);
	}
	if (posix_memalign(buf, HAREPL_MD_SB_SIZE, sectors << 9)) {
		*buf = NULL;
		err = -ENOMEM;
	} else {
		err = md_dev_read(&d, sector, *buf, sectors << 9);
	}
	md_dev_close(&d);
	if (!err)
		return RC_OK;
	pr_err(c->name, "%s: cannot read %llu sectors at sector %llu: %s", f->path,
	       (unsigned long long)sectors, (unsigned long long)sector, strerror(-err));
	free(*buf);
	*buf = NULL;
	return rc_from_errno(err);
}
