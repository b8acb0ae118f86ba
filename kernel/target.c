// SPDX-License-Identifier: GPL-2.0
/*
 * The dm target "harepl":
 *
 *   <start> <len> harepl <data-dev> <meta-dev|internal> <resource-name>
 *                        [<#feature args> [no_discard_passdown]]
 *
 * A primary's reads go to the data device; its writes also go to every
 * connected peer (write.c). A secondary fails reads and writes of its own
 * and its dm device is read-only; the module writes what the primary sends
 * straight to its data device (receive.c).
 */

#include <linux/device-mapper.h>
#include <linux/module.h>
#include <linux/nsproxy.h>
#include <linux/slab.h>
#include "fence.h"
#include "peer.h"
#include "req.h"
#include "resource.h"
#include "target.h"

#define DM_MSG_PREFIX HAREPL_TARGET_NAME

/* Per-target context; constant from ctr to dtr. */
struct harepl_c {
	struct dm_dev *data;
	struct dm_dev *meta;		/* NULL when the metadata is internal */
	struct harepl_resource *res;
	bool discard_passdown;
	bool writable;			/* the table was loaded read-write */
};

static const char * const harepl_role_names[] = HAREPL_ROLE_NAMES;
static const char * const harepl_disk_names[] = HAREPL_DISK_NAMES;
static const char * const harepl_conn_names[] = HAREPL_CONN_NAMES;
static const char * const harepl_mode_names[] = HAREPL_MODE_NAMES;

static_assert(ARRAY_SIZE(harepl_role_names) == __HAREPL_ROLE_MAX);
static_assert(ARRAY_SIZE(harepl_disk_names) == __HAREPL_DISK_MAX);
static_assert(ARRAY_SIZE(harepl_conn_names) == __HAREPL_CONN_MAX);

static int harepl_parse_features(struct dm_arg_set *as, struct harepl_c *hc,
				 char **error)
{
	static const struct dm_arg _args[] = {
		{0, 1, "Invalid number of feature arguments"},
	};
	unsigned int argc;
	const char *arg;
	int ret;

	hc->discard_passdown = true;
	if (!as->argc)
		return 0;
	ret = dm_read_arg_group(_args, as, &argc, error);
	if (ret)
		return ret;
	while (argc--) {
		arg = dm_shift_arg(as);
		if (!strcasecmp(arg, "no_discard_passdown")) {
			hc->discard_passdown = false;
		} else {
			*error = "Unknown feature argument";
			return -EINVAL;
		}
	}
	if (as->argc) {
		*error = "Too many arguments";
		return -EINVAL;
	}
	return 0;
}

static int harepl_get_device(struct dm_target *ti, const char *path,
			     struct dm_dev **dev, bool meta)
{
	int ret = dm_get_device(ti, path, dm_table_get_mode(ti->table), dev);

	if (!ret)
		return 0;
	if (ret == -EBUSY)
		ti->error = meta ? "Metadata device is busy (in use elsewhere)" :
				   "Data device is busy (in use elsewhere)";
	else if (ret == -ENOENT || ret == -ENODEV || ret == -ENXIO ||
		 ret == -ENOTBLK)
		ti->error = meta ? "Metadata device not found" :
				   "Data device not found";
	else
		ti->error = meta ? "Cannot open metadata device" :
				   "Cannot open data device";
	DMERR("%s: %s: error %d", path, ti->error, ret);
	return ret;
}

static struct harepl_resource *harepl_new_resource(struct dm_target *ti,
						   struct harepl_c *hc,
						   const char *name)
{
	struct block_device *meta = hc->meta ? hc->meta->bdev : hc->data->bdev;
	struct harepl_resource *res;
	int ret;

	res = kzalloc(sizeof(*res), GFP_KERNEL);
	if (!res) {
		ti->error = "Cannot allocate resource";
		return ERR_PTR(-ENOMEM);
	}
	kref_init(&res->kref);
	INIT_LIST_HEAD(&res->list);
	INIT_LIST_HEAD(&res->all);
	mutex_init(&res->role_lock);
	mutex_init(&res->conf_mutex);
	init_rwsem(&res->peers_rwsem);
	spin_lock_init(&res->write_lock);
	INIT_LIST_HEAD(&res->inflight_writes);
	INIT_LIST_HEAD(&res->resync_ranges);
	init_waitqueue_head(&res->range_wq);
	mutex_init(&res->md_mutex);
	spin_lock_init(&res->md_shown_lock);
	bio_list_init(&res->deferred);
	INIT_WORK(&res->deferred_work, harepl_deferred_work);
	harepl_fence_res_init(res);
	strscpy(res->name, name, sizeof(res->name));
	res->dm = dm_table_get_md(ti->table);
	res->internal = !hc->meta;
	res->data_dev = hc->data->bdev->bd_dev;
	res->data_bdev = hc->data->bdev;
	res->meta_dev = meta->bd_dev;
	res->meta_bdev = meta;
	snprintf(res->data_name, sizeof(res->data_name), "%pg", hc->data->bdev);
	if (hc->meta)
		snprintf(res->meta_name, sizeof(res->meta_name), "%pg", meta);
	else
		strscpy(res->meta_name, HAREPL_META_INTERNAL, sizeof(res->meta_name));
	res->role = HAREPL_ROLE_SECONDARY;
	/* no application write yet (jiffies start near the wrap) */
	res->last_write = jiffies - HZ;
	atomic64_set(&res->reads, 0);
	atomic64_set(&res->writes, 0);

	ret = harepl_md_read(meta, res->internal, &res->md, &res->sb_page,
			     &ti->error);
	if (ret)
		goto err;
	ret = -EINVAL;
	if (strcmp(res->md.name, name)) {
		ti->error = "Superblock belongs to another resource";
		DMERR("%s: superblock on %s is for resource '%s'", name,
		      res->meta_name, res->md.name);
		goto err;
	}
	if (!res->internal &&
	    bdev_nr_sectors(hc->data->bdev) < res->md.data_sectors) {
		ti->error = "Data device smaller than the superblock's data area";
		goto err;
	}
	if (ti->len > res->md.data_sectors) {
		ti->error = "Table length exceeds the data area";
		goto err;
	}
	mutex_lock(&res->md_mutex);
	harepl_md_unlock(res);		/* status shows what was read */
	if (res->md.flags & HAREPL_MDF_CONSISTENT)
		res->disk = res->md.flags & HAREPL_MDF_UPTODATE ?
			    HAREPL_DISK_UPTODATE : HAREPL_DISK_OUTDATED;
	else
		res->disk = HAREPL_DISK_INCONSISTENT;
	ret = harepl_bm_load(res, &ti->error);
	if (ret)
		goto err;
	ret = harepl_al_load(res, &ti->error);
	if (ret)
		goto err_bm;
	ret = bioset_init(&res->bs, BIO_POOL_SIZE, 0, BIOSET_NEED_BVECS);
	if (ret) {
		ti->error = "Cannot allocate bio set";
		goto err_al;
	}
	return res;
err_al:
	harepl_al_free(res);
err_bm:
	harepl_bm_free(res);
err:
	if (res->sb_page)
		__free_page(res->sb_page);
	kfree(res);
	return ERR_PTR(ret);
}

static void harepl_c_free(struct dm_target *ti, struct harepl_c *hc)
{
	if (hc->meta)
		dm_put_device(ti, hc->meta);
	if (hc->data)
		dm_put_device(ti, hc->data);
	kfree(hc);
}

static int harepl_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	struct harepl_resource *res;
	const char *data, *meta, *name;
	struct harepl_c *hc;
	int ret;

	if (argc < 3) {
		ti->error = "Requires <data-dev> <meta-dev|internal> <resource-name>";
		return -EINVAL;
	}
	data = dm_shift_arg(&as);
	meta = dm_shift_arg(&as);
	name = dm_shift_arg(&as);
	if (!harepl_name_valid(name)) {
		ti->error = "Invalid resource name (1-31 of A-Za-z0-9_.-, no leading . or -)";
		return -EINVAL;
	}
	hc = kzalloc(sizeof(*hc), GFP_KERNEL);
	if (!hc) {
		ti->error = "Cannot allocate context";
		return -ENOMEM;
	}
	ret = harepl_parse_features(&as, hc, &ti->error);
	if (ret)
		goto err;
	/* a replicated write fits in one packet */
	ret = dm_set_target_max_io_len(ti, HAREPL_WIRE_MAX_DATA >> SECTOR_SHIFT);
	if (ret)
		goto err;
	ret = harepl_get_device(ti, data, &hc->data, false);
	if (ret)
		goto err;
	if (strcmp(meta, HAREPL_META_INTERNAL)) {
		ret = harepl_get_device(ti, meta, &hc->meta, true);
		if (ret)
			goto err;
		if (hc->meta->bdev == hc->data->bdev) {
			ti->error = "Metadata device is the data device (say 'internal')";
			ret = -EINVAL;
			goto err;
		}
	}
	hc->res = harepl_new_resource(ti, hc, name);
	if (IS_ERR(hc->res)) {
		ret = PTR_ERR(hc->res);
		hc->res = NULL;
		goto err;
	}
	res = harepl_resource_attach(current->nsproxy->net_ns, hc->res, &ti->error);
	if (res != hc->res)
		harepl_resource_put(hc->res);
	if (IS_ERR(res)) {
		ret = PTR_ERR(res);
		goto err;
	}
	/* a new resource: what an unclean stop left in flight is out of sync */
	if (res == hc->res)
		harepl_al_recover(res);
	hc->res = res;

	ti->private = hc;
	hc->writable = dm_table_get_mode(ti->table) & FMODE_WRITE;
	ti->num_flush_bios = 1;
	ti->per_io_data_size = sizeof(struct harepl_req);
	if (hc->discard_passdown) {
		ti->num_discard_bios = 1;
		ti->num_write_zeroes_bios = 1;
	}
	return 0;
err:
	harepl_c_free(ti, hc);
	return ret;
}

static void harepl_dtr(struct dm_target *ti)
{
	struct harepl_c *hc = ti->private;
	struct harepl_resource *res = hc->res;

	if (harepl_resource_detach(res)) {
		/* stop replicating while we still hold the data device */
		mutex_lock(&res->conf_mutex);
		res->dying = true;
		harepl_disconnect(res);
		mutex_unlock(&res->conf_mutex);
		harepl_fence_stop(res);
		flush_work(&res->deferred_work);
		harepl_al_clean_cancel(res, true);
		/* a clean stop: the bitmap on disk, the log empty */
		if (!harepl_al_clean(res)) {
			mutex_lock(&res->md_mutex);
			res->md.flags &= ~HAREPL_MDF_CRASHED_PRIMARY;
			harepl_md_write(res);
			harepl_md_unlock(res);
		}
	}
	harepl_resource_put(res);
	harepl_c_free(ti, hc);
}

static int harepl_map(struct dm_target *ti, struct bio *bio)
{
	struct harepl_c *hc = ti->private;
	struct harepl_resource *res = hc->res;
	bool primary = READ_ONCE(res->role) == HAREPL_ROLE_PRIMARY;

	if (bio_sectors(bio)) {
		if (!primary || (op_is_write(bio_op(bio)) && !hc->writable))
			return DM_MAPIO_KILL;
		bio->bi_iter.bi_sector = dm_target_offset(ti, bio->bi_iter.bi_sector);
		if (bio_op(bio) == REQ_OP_READ) {
			atomic64_inc(&res->reads);
		} else {
			atomic64_inc(&res->writes);
			harepl_write(res, bio);
			return DM_MAPIO_SUBMITTED;
		}
	} else if (primary && hc->writable) {
		harepl_write(res, bio);		/* an empty flush */
		return DM_MAPIO_SUBMITTED;
	}
	bio_set_dev(bio, hc->data->bdev);
	return DM_MAPIO_REMAPPED;
}

static void harepl_status(struct dm_target *ti, status_type_t type,
			  unsigned int status_flags, char *result,
			  unsigned int maxlen)
{
	struct harepl_c *hc = ti->private;
	struct harepl_resource *res = hc->res;
	struct harepl_peer *peer;
	unsigned int sz = 0, i;

	switch (type) {
	case STATUSTYPE_INFO:
		mutex_lock(&harepl_lock);
		DMEMIT("%s %s %s", harepl_role_names[res->role],
		       harepl_disk_names[res->disk],
		       harepl_conn_names[harepl_resource_conn_state(res)]);
		mutex_unlock(&harepl_lock);
		down_read(&res->peers_rwsem);
		DMEMIT(" %u", res->npeers);
		for (i = 0; i < res->npeers; i++) {
			peer = res->peers[i];
			DMEMIT(" %u %s %s %u %lld %lld %lld", peer->conf.node_id,
			       harepl_conn_names[harepl_peer_shown_state(peer)],
			       harepl_mode_names[peer->conf.mode],
			       harepl_peer_inflight(peer),
			       atomic64_read(&peer->bytes_sent),
			       atomic64_read(&peer->bytes_recv),
			       harepl_peer_oos_bytes(peer));
		}
		up_read(&res->peers_rwsem);
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s %s %s", hc->data->name,
		       hc->meta ? hc->meta->name : HAREPL_META_INTERNAL, res->name);
		if (!hc->discard_passdown)
			DMEMIT(" 1 no_discard_passdown");
		break;
	case STATUSTYPE_IMA:
		DMEMIT("%s,data=%s,meta=%s,resource=%s,discard_passdown=%c;",
		       HAREPL_TARGET_NAME, hc->data->name,
		       hc->meta ? hc->meta->name : HAREPL_META_INTERNAL, res->name,
		       hc->discard_passdown ? 'y' : 'n');
		break;
	}
}

static int harepl_iterate_devices(struct dm_target *ti,
				  iterate_devices_callout_fn fn, void *data)
{
	struct harepl_c *hc = ti->private;

	/* Only the data device is mapped; we do the metadata I/O ourselves. */
	return fn(ti, hc->data, 0, ti->len, data);
}

static void harepl_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	struct harepl_c *hc = ti->private;

	if (!hc->discard_passdown) {
		limits->discard_granularity = 0;
		limits->max_discard_sectors = 0;
		limits->max_hw_discard_sectors = 0;
	}
	/*
	 * dm splits reads and writes at max_io_len but not discards and
	 * write-zeroes: keep each within one packet and two write-intent
	 * extents.
	 */
	limits->max_discard_sectors = min_not_zero(limits->max_discard_sectors,
						   HAREPL_WIRE_MAX_DATA >> SECTOR_SHIFT);
	limits->max_hw_discard_sectors = min_not_zero(limits->max_hw_discard_sectors,
						      HAREPL_WIRE_MAX_DATA >> SECTOR_SHIFT);
	limits->max_write_zeroes_sectors = min_not_zero(limits->max_write_zeroes_sectors,
							HAREPL_WIRE_MAX_DATA >> SECTOR_SHIFT);
}

static void harepl_resume(struct dm_target *ti)
{
	struct harepl_c *hc = ti->private;

	/* dm has just set the disk's read-only flag from the table mode */
	harepl_resource_set_writable(hc->res, hc->writable);
}

static struct target_type harepl_target = {
	.name = HAREPL_TARGET_NAME,
	.version = {1, 1, 0},
	.module = THIS_MODULE,
	.ctr = harepl_ctr,
	.dtr = harepl_dtr,
	.map = harepl_map,
	.status = harepl_status,
	.resume = harepl_resume,
	.iterate_devices = harepl_iterate_devices,
	.io_hints = harepl_io_hints,
};

int __init harepl_target_init(void)
{
	return dm_register_target(&harepl_target);
}

void harepl_target_exit(void)
{
	dm_unregister_target(&harepl_target);
}
