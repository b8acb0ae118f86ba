// SPDX-License-Identifier: GPL-2.0
/*
 * The write-intent log (activity log): before a write reaches the data
 * device, the 4 MiB extent it falls in is recorded on disk as possibly in
 * flight. Extents stay in a hot set of al_extents entries, so a write to a
 * hot extent costs nothing; writes needing new extents share one 4 KiB
 * transaction. After a crash the logged extents are marked out of sync.
 */

#include <linux/blkdev.h>
#include <linux/hash.h>
#include <linux/slab.h>
#include "al.h"
#include "bitmap.h"
#include "md.h"
#include "req.h"
#include "resource.h"

#define HAREPL_AL_NONE	U32_MAX

static_assert(sizeof(struct harepl_al_block) == HAREPL_MD_SB_SIZE);

static void harepl_al_work(struct work_struct *work);
static void harepl_al_clean_work(struct work_struct *work);

static u32 harepl_al_ext(sector_t sector)
{
	return sector / HAREPL_AL_EXTENT_SECTORS;
}

/* The extents [*first, *last] of a request */
static void harepl_al_range(sector_t sector, u64 sectors, u32 *first, u32 *last)
{
	*first = harepl_al_ext(sector);
	*last = harepl_al_ext(sector + max_t(u64, sectors, 1) - 1);
}

static bool harepl_al_block_ok(const struct harepl_al_block *b, unsigned int nr)
{
	return le64_to_cpu(b->magic) == HAREPL_AL_MAGIC &&
	       harepl_md_csum(b) == le32_to_cpu(b->checksum) &&
	       le32_to_cpu(b->n) <= min_t(unsigned int, nr, HAREPL_AL_MAX_EXTENTS);
}

/**
 * harepl_al_load() - read the log of a new resource
 * @res: the resource, its superblock and bitmap loaded
 * @error: on failure, why, for ti->error
 *
 * The extents of the newest valid transaction become the hot set;
 * harepl_al_recover() marks them out of sync once the resource is live.
 *
 * Return: 0 or a negative errno.
 */
int harepl_al_load(struct harepl_resource *res, char **error)
{
	struct harepl_al *al = &res->al;
	const struct harepl_al_block *b;
	unsigned int i, n, best = 0;
	int ret = 0;
	u64 seq;

	al->nr = res->md.al_extents;
	al->blocks = res->md.al_sectors / HAREPL_MD_SB_SECTORS;
	spin_lock_init(&al->lock);
	INIT_LIST_HEAD(&al->waiting);
	INIT_WORK(&al->work, harepl_al_work);
	INIT_WORK(&al->clean_work, harepl_al_clean_work);
	al->held = 0;
	al->clean_wanted = false;
	mutex_init(&al->io_mutex);
	atomic64_set(&al->transactions, 0);
	al->peer_writes = res->md.flags & HAREPL_MDF_PEER_WRITES;
	al->ext = kvmalloc_array(al->nr, sizeof(*al->ext), GFP_KERNEL);
	al->refs = kvcalloc(al->nr, sizeof(*al->refs), GFP_KERNEL);
	al->last_use = kvcalloc(al->nr, sizeof(*al->last_use), GFP_KERNEL);
	al->pending = bitmap_zalloc(al->nr, GFP_KERNEL);
	al->hash = kvcalloc(al->nr, sizeof(*al->hash), GFP_KERNEL);
	al->node = kvcalloc(al->nr, sizeof(*al->node), GFP_KERNEL);
	al->scratch_ext = kvmalloc_array(al->nr, sizeof(u32), GFP_KERNEL);
	al->scratch_evicted = kvmalloc_array(al->nr, sizeof(u32), GFP_KERNEL);
	al->page = alloc_page(GFP_KERNEL);
	if (!al->ext || !al->refs || !al->last_use || !al->pending || !al->hash ||
	    !al->node || !al->scratch_ext || !al->scratch_evicted || !al->page) {
		*error = "Cannot allocate memory for the write-intent log";
		ret = -ENOMEM;
		goto err;
	}
	for (i = 0; i < al->nr; i++)
		al->ext[i] = HAREPL_AL_NONE;
	b = page_address(al->page);
	al->seq = 0;
	for (i = 0; i < al->blocks; i++) {
		ret = harepl_md_io(res->meta_bdev,
				   res->md.al_sector + i * HAREPL_MD_SB_SECTORS,
				   al->page, HAREPL_MD_SB_SIZE, REQ_OP_READ);
		if (ret) {
			*error = "Cannot read the write-intent log";
			goto err;
		}
		if (!harepl_al_block_ok(b, al->nr))
			continue;
		seq = le64_to_cpu(b->seq);
		if (seq > al->seq) {
			al->seq = seq;
			best = i;
		}
	}
	al->next = al->seq ? (best + 1) % al->blocks : 0;
	if (!al->seq)
		return 0;
	ret = harepl_md_io(res->meta_bdev,
			   res->md.al_sector + best * HAREPL_MD_SB_SECTORS,
			   al->page, HAREPL_MD_SB_SIZE, REQ_OP_READ);
	if (ret || !harepl_al_block_ok(b, al->nr)) {
		*error = "Cannot read the write-intent log";
		ret = ret ?: -EIO;
		goto err;
	}
	n = le32_to_cpu(b->n);
	for (i = 0; i < n; i++)
		al->ext[i] = le32_to_cpu(b->extents[i]);
	return 0;
err:
	harepl_al_free(res);
	return ret;
}

void harepl_al_free(struct harepl_resource *res)
{
	struct harepl_al *al = &res->al;

	/* queued after harepl_dtr() set dying, it does nothing */
	cancel_work_sync(&al->clean_work);
	kvfree(al->hash);
	kvfree(al->node);
	kvfree(al->scratch_ext);
	kvfree(al->scratch_evicted);
	kvfree(al->ext);
	kvfree(al->refs);
	kvfree(al->last_use);
	bitmap_free(al->pending);
	if (al->page)
		__free_page(al->page);
	al->ext = NULL;
	al->refs = NULL;
	al->last_use = NULL;
	al->pending = NULL;
	al->hash = NULL;
	al->node = NULL;
	al->scratch_ext = NULL;
	al->scratch_evicted = NULL;
	al->page = NULL;
}

/* Writes the current set as the next transaction; called by the log's owner. */
static int harepl_al_write(struct harepl_resource *res, const u32 *ext,
			   unsigned int n)
{
	struct harepl_al *al = &res->al;
	struct harepl_al_block *b = page_address(al->page);
	unsigned int i;
	int ret;

	memset(b, 0, sizeof(*b));
	b->magic = cpu_to_le64(HAREPL_AL_MAGIC);
	b->seq = cpu_to_le64(al->seq + 1);
	b->n = cpu_to_le32(n);
	for (i = 0; i < n; i++)
		b->extents[i] = cpu_to_le32(ext[i]);
	b->checksum = cpu_to_le32(harepl_md_csum(b));
	ret = harepl_md_io(res->meta_bdev,
			   res->md.al_sector + al->next * HAREPL_MD_SB_SECTORS,
			   al->page, HAREPL_MD_SB_SIZE, REQ_OP_WRITE | REQ_FUA);
	if (ret) {
		pr_err("%s: cannot write the write-intent log: %d\n", res->name, ret);
		return ret;
	}
	al->seq++;
	al->next = (al->next + 1) % al->blocks;
	atomic64_inc(&al->transactions);
	return 0;
}

/*
 * Sets and clears superblock flags for the log in one write (none if
 * nothing changes) and keeps @al.peer_writes in step with
 * HAREPL_MDF_PEER_WRITES; called with @al->io_mutex held, or before the
 * resource is live. A primary keeps crashed-primary: the role is read
 * under md_mutex, because a promotion sets the mark after the role, under
 * it.
 */
static int harepl_al_md_flags(struct harepl_resource *res, u32 set, u32 clear)
{
	u32 old;
	int ret;

	mutex_lock(&res->md_mutex);
	if (READ_ONCE(res->role) == HAREPL_ROLE_PRIMARY)
		clear &= ~HAREPL_MDF_CRASHED_PRIMARY;
	old = res->md.flags;
	res->md.flags = (old | set) & ~clear;
	ret = res->md.flags == old ? 0 : harepl_md_write(res);
	if (ret)
		res->md.flags = old;
	else
		res->al.peer_writes = res->md.flags & HAREPL_MDF_PEER_WRITES;
	harepl_md_unlock(res);
	return ret;
}

/**
 * harepl_al_recover() - after an unclean stop, mark the logged extents
 * @res: a new resource, now live
 *
 * Every extent of the log is marked out of sync in every slot in use and
 * the bitmap written. If the log named writes applied for a primary
 * (HAREPL_MDF_PEER_WRITES) and this node did not crash as primary, its
 * disk may have lost them with its volatile cache: it becomes Outdated
 * until a resync brings them back, so it is not promoted without --force
 * and is never the source of that resync. Then an empty transaction.
 *
 * Return: 0 or a negative errno (logged; the log stays as it was, so
 * nothing is forgotten).
 */
int harepl_al_recover(struct harepl_resource *res)
{
	struct harepl_al *al = &res->al;
	unsigned int i, n = 0, slot;
	bool outdate;
	int ret;

	for (i = 0; i < al->nr; i++) {
		if (al->ext[i] == HAREPL_AL_NONE)
			continue;
		for (slot = 0; slot < res->md.max_peers; slot++)
			harepl_bm_set(res, slot,
				      (sector_t)al->ext[i] * HAREPL_AL_EXTENT_SECTORS,
				      HAREPL_AL_EXTENT_SECTORS);
		al->ext[i] = HAREPL_AL_NONE;
		n++;
	}
	if (!n)
		return harepl_al_md_flags(res, 0, HAREPL_MDF_PEER_WRITES);
	pr_warn("%s: not stopped cleanly: %u write-intent extent%s (%u MiB) marked out of sync\n",
		res->name, n, n == 1 ? "" : "s",
		n * (HAREPL_AL_EXTENT_SECTORS >> 11));
	/* a crashed primary is the source for its log, whatever it held */
	outdate = al->peer_writes &&
		  !(res->md.flags & HAREPL_MDF_CRASHED_PRIMARY) &&
		  (res->md.flags & HAREPL_MDF_UPTODATE);
	ret = harepl_bm_flush(res);
	if (!ret)
		ret = harepl_al_md_flags(res, 0, HAREPL_MDF_PEER_WRITES |
					 (outdate ? HAREPL_MDF_UPTODATE : 0));
	if (outdate) {
		pr_warn("%s: crashed while applying a primary's writes: disk Outdated until a resync\n",
			res->name);
		harepl_resource_set_disk(res, HAREPL_DISK_OUTDATED);
	}
	if (!ret)
		ret = harepl_al_write(res, NULL, 0);
	if (ret) {
		/* the log on disk still names them; new transactions would not */
		al->disabled = true;
		pr_err("%s: writes will fail: cannot record the out-of-sync extents\n",
		       res->name);
	}
	return ret;
}

static struct hlist_head *harepl_al_bucket(struct harepl_al *al, u32 e)
{
	return &al->hash[hash_32(e, 32) % al->nr];
}

/* The entry holding extent @e, or -1; called with @al->lock held */
static int harepl_al_find(struct harepl_al *al, u32 e)
{
	struct hlist_node *n;

	hlist_for_each(n, harepl_al_bucket(al, e)) {
		if (al->ext[n - al->node] == e)
			return n - al->node;
	}
	return -1;
}

/* Entry @i now holds extent @e (HAREPL_AL_NONE: nothing) */
static void harepl_al_set(struct harepl_al *al, int i, u32 e)
{
	if (al->ext[i] != HAREPL_AL_NONE)
		hlist_del_init(&al->node[i]);
	al->ext[i] = e;
	if (e != HAREPL_AL_NONE)
		hlist_add_head(&al->node[i], harepl_al_bucket(al, e));
}

/* Is every extent of [first, last] in the set and written? */
static bool harepl_al_have(struct harepl_al *al, u32 first, u32 last)
{
	int i;
	u32 e;

	for (e = first; e <= last; e++) {
		i = harepl_al_find(al, e);
		if (i < 0 || test_bit(i, al->pending))
			return false;
	}
	return true;
}

/* Takes a reference on every extent of [first, last]; all are in the set. */
static void harepl_al_ref(struct harepl_al *al, u32 first, u32 last)
{
	int i;
	u32 e;

	for (e = first; e <= last; e++) {
		i = harepl_al_find(al, e);
		if (WARN_ON_ONCE(i < 0))
			continue;
		al->refs[i]++;
		al->held++;
		al->last_use[i] = ++al->tick;
	}
}

/**
 * harepl_al_begin() - may this write go to the data device now?
 * @res: the resource
 * @req: a write with sectors
 *
 * Return: 1: go (references taken); 0: it waits for a transaction and
 * is started by harepl_write_go() later; negative: the log failed.
 */
int harepl_al_begin(struct harepl_resource *res, struct harepl_req *req)
{
	struct harepl_al *al = &res->al;
	unsigned long flags;
	u32 first, last;
	int ret = 1;

	harepl_al_range(req->sector, req->sectors, &first, &last);
	spin_lock_irqsave(&al->lock, flags);
	if (al->disabled) {
		ret = -EIO;
	} else if (harepl_al_have(al, first, last)) {
		harepl_al_ref(al, first, last);
		req->al_held = true;
	} else {
		list_add_tail(&req->al_node, &al->waiting);
		ret = 0;
	}
	spin_unlock_irqrestore(&al->lock, flags);
	if (!ret)
		queue_work(harepl_wq, &al->work);
	return ret;
}

/* One more reference on a range that holds one already (async peers). */
void harepl_al_get(struct harepl_resource *res, sector_t sector, u64 sectors)
{
	struct harepl_al *al = &res->al;
	unsigned long flags;
	u32 first, last;

	harepl_al_range(sector, sectors, &first, &last);
	spin_lock_irqsave(&al->lock, flags);
	harepl_al_ref(al, first, last);
	spin_unlock_irqrestore(&al->lock, flags);
}

void harepl_al_put(struct harepl_resource *res, sector_t sector, u64 sectors)
{
	struct harepl_al *al = &res->al;
	unsigned long flags;
	bool kick = false, clean;
	u32 first, last, e;
	int i;

	harepl_al_range(sector, sectors, &first, &last);
	spin_lock_irqsave(&al->lock, flags);
	for (e = first; e <= last; e++) {
		i = harepl_al_find(al, e);
		if (WARN_ON_ONCE(i < 0 || !al->refs[i]))
			continue;
		al->held--;
		if (!--al->refs[i])
			kick = true;
	}
	clean = al->clean_wanted && !al->held;
	kick &= !list_empty(&al->waiting);
	spin_unlock_irqrestore(&al->lock, flags);
	if (kick)
		queue_work(harepl_wq, &al->work);
	if (clean)
		queue_work(system_long_wq, &al->clean_work);
}

/* An entry for extent @e: a free one, else the least recently used idle one */
static int harepl_al_victim(struct harepl_al *al)
{
	int i, best = -1;

	for (i = 0; i < al->nr; i++) {
		if (al->ext[i] == HAREPL_AL_NONE)
			return i;
		if (al->refs[i] || test_bit(i, al->pending))
			continue;
		if (best < 0 || al->last_use[i] < al->last_use[best])
			best = i;
	}
	return best;
}

/*
 * Adds the extents of [first, last] missing from the set, evicting idle
 * ones, and marks them pending; records the evicted extents in @evicted.
 * Called with @al->lock held. Returns how many were added, with *@full set
 * when one did not fit: every entry is in use.
 */
static int harepl_al_add(struct harepl_al *al, u32 first, u32 last,
			 u32 *evicted, unsigned int *nevicted, bool *full)
{
	int v, added = 0;
	u32 e;

	for (e = first; e <= last; e++) {
		if (harepl_al_find(al, e) >= 0)
			continue;
		v = harepl_al_victim(al);
		if (v < 0) {
			*full = true;
			break;
		}
		if (al->ext[v] != HAREPL_AL_NONE)
			evicted[(*nevicted)++] = al->ext[v];
		harepl_al_set(al, v, e);
		al->refs[v] = 0;
		al->last_use[v] = ++al->tick;
		set_bit(v, al->pending);
		added++;
	}
	return added;
}

/* Adds the extents the waiting writes need; called with @al->lock held. */
static int harepl_al_plan(struct harepl_al *al, u32 *evicted,
			  unsigned int *nevicted)
{
	struct harepl_req *req;
	bool full = false;
	u32 first, last;
	int added = 0;

	list_for_each_entry(req, &al->waiting, al_node) {
		harepl_al_range(req->sector, req->sectors, &first, &last);
		added += harepl_al_add(al, first, last, evicted, nevicted, &full);
		if (full)
			break;
	}
	return added;
}

/* Copies the set into @ext; called with @al->lock held. Returns its size. */
static unsigned int harepl_al_snapshot(struct harepl_al *al, u32 *ext)
{
	unsigned int i, n = 0;

	for (i = 0; i < al->nr; i++)
		if (al->ext[i] != HAREPL_AL_NONE)
			ext[n++] = al->ext[i];
	return n;
}

/*
 * Writes the planned set (@n extents in @scratch_ext, @nevicted evicted in
 * @scratch_evicted) as a transaction; called with @al->io_mutex held.
 * Before the log forgets an extent, the writes that completed in it are on
 * stable storage (the data disk's cache flushed), and so are its bitmap
 * bits.
 */
static int harepl_al_commit(struct harepl_resource *res, unsigned int n,
			    unsigned int nevicted)
{
	struct harepl_al *al = &res->al;
	unsigned int i;
	int ret;

	ret = nevicted ? blkdev_issue_flush(res->data_bdev) : 0;
	for (i = 0; i < nevicted && !ret; i++)
		ret = harepl_bm_flush_range(res, (sector_t)al->scratch_evicted[i] *
					    HAREPL_AL_EXTENT_SECTORS,
					    HAREPL_AL_EXTENT_SECTORS);
	if (!ret)
		ret = harepl_al_write(res, al->scratch_ext, n);
	if (!ret) {
		spin_lock_irq(&al->lock);
		bitmap_zero(al->pending, al->nr);
		spin_unlock_irq(&al->lock);
	}
	return ret;
}

/* Fails every waiting write: the log cannot be written. */
static void harepl_al_fail_waiting(struct harepl_resource *res)
{
	struct harepl_al *al = &res->al;
	struct harepl_req *req, *tmp;
	LIST_HEAD(fail);

	spin_lock_irq(&al->lock);
	al->disabled = true;
	list_splice_init(&al->waiting, &fail);
	spin_unlock_irq(&al->lock);
	list_for_each_entry_safe(req, tmp, &fail, al_node) {
		list_del_init(&req->al_node);
		req->status = BLK_STS_IOERR;
		harepl_req_put(req);
	}
}

static void harepl_al_work(struct work_struct *work)
{
	struct harepl_al *al = container_of(work, struct harepl_al, work);
	struct harepl_resource *res = container_of(al, struct harepl_resource, al);
	unsigned int n, nevicted;
	struct harepl_req *req, *tmp;
	u32 first, last;
	LIST_HEAD(go);
	int added;

	mutex_lock(&al->io_mutex);
	for (;;) {
		nevicted = 0;
		spin_lock_irq(&al->lock);
		added = al->disabled ? 0 :
			harepl_al_plan(al, al->scratch_evicted, &nevicted);
		n = harepl_al_snapshot(al, al->scratch_ext);
		spin_unlock_irq(&al->lock);
		if (added && harepl_al_commit(res, n, nevicted)) {
			harepl_al_fail_waiting(res);
			break;
		}
		spin_lock_irq(&al->lock);
		list_for_each_entry_safe(req, tmp, &al->waiting, al_node) {
			harepl_al_range(req->sector, req->sectors, &first, &last);
			if (!harepl_al_have(al, first, last))
				continue;
			harepl_al_ref(al, first, last);
			req->al_held = true;
			list_move_tail(&req->al_node, &go);
		}
		spin_unlock_irq(&al->lock);
		if (list_empty(&go) && !added)
			break;		/* waiting for writes to finish */
		list_for_each_entry_safe(req, tmp, &go, al_node) {
			list_del_init(&req->al_node);
			harepl_write_go(res, req);
		}
	}
	mutex_unlock(&al->io_mutex);
}

/**
 * harepl_al_begin_peer() - record a replicated write before it is submitted
 * @res: the resource, secondary
 * @sector: first sector of the write
 * @sectors: its length, at most two extents
 *
 * For a secondary's receive thread. The write is acknowledged once it has
 * completed, possibly into the disk's volatile cache, and the primary then
 * forgets it: should this node lose power, the log names the extents such
 * writes may be missing from, harepl_al_recover() marks them out of sync at
 * the next start, and the primary resyncs them. Sleeps for a transaction
 * when an extent is new to the set.
 *
 * Return: 0 (references taken), -EAGAIN when every entry of the set is in
 * use (wait for writes in flight, then call again), or -EIO: the log failed.
 */
int harepl_al_begin_peer(struct harepl_resource *res, sector_t sector,
			 u64 sectors)
{
	struct harepl_al *al = &res->al;
	unsigned int n, nevicted = 0;
	bool full = false;
	u32 first, last;
	int added, ret = 0;

	harepl_al_range(sector, sectors, &first, &last);
	spin_lock_irq(&al->lock);
	if (!al->disabled && READ_ONCE(al->peer_writes) &&
	    harepl_al_have(al, first, last)) {
		harepl_al_ref(al, first, last);
		spin_unlock_irq(&al->lock);
		return 0;
	}
	spin_unlock_irq(&al->lock);

	mutex_lock(&al->io_mutex);
	/*
	 * On disk before the first such write: a crash then outdates us. A
	 * crashed-primary mark a demotion left no longer applies.
	 */
	if (!al->peer_writes &&
	    harepl_al_md_flags(res, HAREPL_MDF_PEER_WRITES,
			       HAREPL_MDF_CRASHED_PRIMARY)) {
		ret = -EIO;
		goto out;
	}
	spin_lock_irq(&al->lock);
	if (al->disabled) {
		spin_unlock_irq(&al->lock);
		ret = -EIO;
		goto out;
	}
	added = harepl_al_add(al, first, last, al->scratch_evicted, &nevicted,
			      &full);
	n = harepl_al_snapshot(al, al->scratch_ext);
	spin_unlock_irq(&al->lock);
	if (added && harepl_al_commit(res, n, nevicted)) {
		harepl_al_fail_waiting(res);
		ret = -EIO;
		goto out;
	}
	/* io_mutex held: no transaction evicts them before the reference */
	spin_lock_irq(&al->lock);
	if (harepl_al_have(al, first, last))
		harepl_al_ref(al, first, last);
	else
		ret = -EAGAIN;
	spin_unlock_irq(&al->lock);
out:
	mutex_unlock(&al->io_mutex);
	return ret;
}

/**
 * harepl_al_secondary_idle() - a secondary's primary is gone: clean the log
 * @res: the resource, secondary
 *
 * When the primary demotes or its connection ends, the writes applied for
 * it are flushed and the log emptied, so that a crash of this idle node
 * does not mark it Outdated (harepl_al_recover()) for writes that are on
 * stable storage (and a crashed-primary mark a demotion left goes). With
 * writes in flight, that happens once the last of them ends.
 */
void harepl_al_secondary_idle(struct harepl_resource *res)
{
	int ret = harepl_al_clean(res);

	if (ret == -EBUSY)
		harepl_al_clean_later(res);
	else if (ret)
		pr_warn("%s: cannot empty the write-intent log: %d\n", res->name, ret);
}

/**
 * harepl_al_clean() - empty the log when no write is in flight
 * @res: the resource, on demotion or removal
 *
 * After a data flush, the log is emptied and the superblock drops
 * peer-writes and, on a node that is not primary, crashed-primary: the log
 * no longer names writes this node could be the source or the target of.
 *
 * Return: 0, -EBUSY when writes are in flight, or an I/O error.
 */
int harepl_al_clean(struct harepl_resource *res)
{
	struct harepl_al *al = &res->al;
	unsigned int i, n = 0;
	int ret;

	mutex_lock(&al->io_mutex);
	spin_lock_irq(&al->lock);
	if (al->held || !list_empty(&al->waiting)) {
		spin_unlock_irq(&al->lock);
		mutex_unlock(&al->io_mutex);
		return -EBUSY;
	}
	for (i = 0; i < al->nr; i++)
		if (al->ext[i] != HAREPL_AL_NONE)
			n++;
	/* nothing in flight: forget the set; a new write waits for io_mutex */
	for (i = 0; i < al->nr; i++)
		harepl_al_set(al, i, HAREPL_AL_NONE);
	spin_unlock_irq(&al->lock);
	ret = blkdev_issue_flush(res->data_bdev);
	if (!ret)
		ret = harepl_bm_flush(res);
	if (!ret && n)
		ret = harepl_al_write(res, NULL, 0);
	if (!ret)
		ret = harepl_al_md_flags(res, 0, HAREPL_MDF_PEER_WRITES |
					 HAREPL_MDF_CRASHED_PRIMARY);
	if (ret) {
		/* the set is forgotten in memory, not on disk: no more transactions */
		harepl_al_fail_waiting(res);
		pr_err("%s: writes will fail: cannot empty the write-intent log: %d\n",
		       res->name, ret);
	}
	mutex_unlock(&al->io_mutex);
	return ret;
}

/**
 * harepl_al_clean_later() - empty the log once the writes in flight end
 * @res: the resource, just demoted or without a primary, whose
 *	harepl_al_clean() found writes in flight (async writes wait for
 *	their peer's ACK)
 *
 * The last harepl_al_put() queues the clean-up, which retries until it
 * finds nothing in flight. A promotion cancels it, and a clean-up that
 * finds the node primary forgets it: the log stands for the node's own
 * writes again (and harepl_al_md_flags() keeps a primary's crashed-primary
 * mark anyway).
 */
void harepl_al_clean_later(struct harepl_resource *res)
{
	struct harepl_al *al = &res->al;
	bool idle;

	spin_lock_irq(&al->lock);
	al->clean_wanted = true;
	idle = !al->held && list_empty(&al->waiting);
	spin_unlock_irq(&al->lock);
	/* they ended since harepl_al_clean() looked */
	if (idle)
		queue_work(system_long_wq, &al->clean_work);
}

/**
 * harepl_al_clean_cancel() - no clean-up after the writes in flight
 * @res: the resource, being promoted or removed
 * @sync: wait for a clean-up that is running (not with res->conf_mutex held)
 */
void harepl_al_clean_cancel(struct harepl_resource *res, bool sync)
{
	struct harepl_al *al = &res->al;

	spin_lock_irq(&al->lock);
	al->clean_wanted = false;
	spin_unlock_irq(&al->lock);
	if (sync)
		cancel_work_sync(&al->clean_work);
}

/*
 * The clean-up harepl_al_clean_later() asked for. It takes the request
 * first: one made while it runs (a demotion, a connection's end) queues it
 * again. It runs under conf_mutex, so that once harepl_dtr() has set
 * @dying it never touches the data device.
 */
static void harepl_al_clean_work(struct work_struct *work)
{
	struct harepl_al *al = container_of(work, struct harepl_al, clean_work);
	struct harepl_resource *res = container_of(al, struct harepl_resource, al);
	bool wanted, dying;
	int ret;

	spin_lock_irq(&al->lock);
	/* role under @lock: a demotion sets the role, then @clean_wanted */
	wanted = al->clean_wanted && READ_ONCE(res->role) != HAREPL_ROLE_PRIMARY;
	al->clean_wanted = false;
	spin_unlock_irq(&al->lock);
	if (!wanted)
		return;
	/*
	 * Writes waiting for a range or a thaw (a demotion waited 30 s for
	 * them) hold no extent yet: the last of them to end queues us again.
	 */
	if (!harepl_writes_idle(res)) {
		spin_lock_irq(&al->lock);
		al->clean_wanted = true;
		spin_unlock_irq(&al->lock);
		return;
	}
	mutex_lock(&res->conf_mutex);
	dying = res->dying;
	ret = dying ? 0 : harepl_al_clean(res);
	mutex_unlock(&res->conf_mutex);
	if (ret == -EBUSY)
		harepl_al_clean_later(res);
	else if (!ret && !dying)
		pr_info("%s: writes in flight ended: write-intent log emptied\n",
			res->name);
}
