/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HAREPLCTL_MDDEV_H
#define HAREPLCTL_MDDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

/* A block device or, for tests, a regular file */
struct md_dev {
	int fd;
	const char *path;
	bool blk;
	uint64_t sectors;
};

#define MD_DEV_INIT { .fd = -1 }

int md_dev_open(struct md_dev *d, const char *path, bool write, bool excl);
void md_dev_close(struct md_dev *d);
int md_dev_read(const struct md_dev *d, uint64_t sector, void *buf, size_t len);
int md_dev_write(const struct md_dev *d, uint64_t sector, const void *buf, size_t len);
int md_dev_zero(const struct md_dev *d, uint64_t sector, uint64_t sectors);
int md_dev_sync(const struct md_dev *d);
/* A HAREPL_MD_SB_SIZE buffer fit for O_DIRECT */
struct harepl_md_sb *md_sb_alloc(void);

/* The superblock of a configured resource, as found on disk */
struct md_found {
	const char *path;		/* device holding it */
	uint64_t sb_sector;
	uint64_t meta_sectors;		/* size of that device */
	uint64_t data_dev_sectors;	/* size of the data device */
};

/*
 * Reads and verifies (magic, version, checksum) the superblock of resource
 * c into sb. Prints what went wrong and returns an exit code.
 */
int md_load(const struct conf *c, struct harepl_md_sb *sb, struct md_found *f);

/*
 * Reads sectors at sector of the device md_load() found the superblock on
 * into *buf (free() it). Prints what went wrong and returns an exit code.
 */
int md_read_area(const struct conf *c, const struct md_found *f, uint64_t sector,
		 uint64_t sectors, void **buf);

#endif
