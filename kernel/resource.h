/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HAREPL_RESOURCE_H
#define _HAREPL_RESOURCE_H

#include <linux/bio.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/socket.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include "al.h"
#include "bitmap.h"
#include "md.h"

struct mapped_device;
struct netlink_ext_ack;
struct harepl_peer;
struct crypto_shash;

/*
 * One replicated volume, known by name within a network namespace.
 *
 * Locking, outermost first:
 * - harepl_lock (resource.c) protects every resource list, @list, @all,
 *   @net, @targets and the state fields (@role, @disk): they change only
 *   with it held. Never held while waiting for a peer's threads.
 * - @conf_mutex serialises connect, disconnect and teardown (@dying,
 *   @peers, @npeers, @listener, @listen_sock, @hmac).
 * - @peers_rwsem: writers (connect/disconnect) change the peer set; the
 *   write path holds it for reading while it sends.
 * - @role_lock, a leaf, also covers @role and @writable with the disk's
 *   read-only flag, so that dm's resume path need not take harepl_lock.
 * - @write_lock (spinlock, taken in interrupt context too) protects
 *   @inflight_writes, @deferred, @resync_ranges and the fencing state
 *   (@fencing to @fence_exit).
 * - @md_mutex protects @md's generation ids, flags and slots and
 *   serialises superblock writes; taken under @conf_mutex, never under
 *   harepl_lock. Released with harepl_md_unlock(), which copies them to
 *   @md_shown (so does a superblock write, before its I/O).
 * - @md_shown_lock (spinlock, a leaf) protects @md_shown, which status
 *   and events read (harepl_md_get_shown()) under harepl_lock.
 * - @bm and @al have their own locks (bitmap.h, al.h).
 * The I/O path reads @role locklessly with READ_ONCE(). The other fields
 * are set at creation and constant until the last reference goes.
 * @targets counts the dm targets using the resource (two across a table
 * reload); @kref counts memory references (targets and netlink callers).
 */
struct harepl_resource {
	struct kref kref;
	unsigned int targets;
	struct list_head list;		/* in harepl_net.resources */
	struct list_head all;		/* in harepl_all, namespace or not */
	possible_net_t net;		/* NULL once the namespace is gone */
	struct mapped_device *dm;	/* the dm device we belong to */
	struct block_device *data_bdev;	/* valid while @targets > 0 */
	char name[HAREPL_NAME_MAX];
	char data_name[HAREPL_DEVNAME_MAX];
	char meta_name[HAREPL_DEVNAME_MAX];
	dev_t data_dev;
	dev_t meta_dev;			/* == data_dev when internal */
	bool internal;
	struct harepl_md md;		/* the superblock, see @md_mutex */
	struct page *sb_page;		/* its last written image */
	struct block_device *meta_bdev;	/* valid while @targets > 0 */
	struct mutex md_mutex;		/* see above */
	spinlock_t md_shown_lock;	/* see above */
	struct harepl_md_shown md_shown;
	struct harepl_bm bm;		/* out-of-sync bitmaps */
	struct harepl_al al;		/* write-intent log */

	struct mutex role_lock;		/* see above */
	enum harepl_role role;
	bool writable;			/* the live table was loaded read-write */
	enum harepl_disk_state disk;

	atomic64_t reads;
	atomic64_t writes;

	/* Replication */
	struct mutex conf_mutex;	/* see above */
	bool dying;			/* the last target is gone */
	struct rw_semaphore peers_rwsem;	/* see above */
	struct harepl_peer *peers[HAREPL_MAX_PEERS];
	unsigned int npeers;
	bool sync_peers;		/* one of @peers is in sync mode */
	struct net *sock_net;		/* held while connected */
	struct sockaddr_storage local_addr;
	int local_addrlen;
	struct crypto_shash *hmac;	/* keyed with the shared secret */
	bool have_secret;
	struct socket *listen_sock;
	struct task_struct *listener;

	atomic64_t next_seq;		/* request ids on the wire */
	atomic64_t write_epoch;		/* see harepl_req_complete() */
	spinlock_t write_lock;		/* see above */
	struct list_head inflight_writes;	/* for overlaps */
	struct list_head resync_ranges;	/* struct harepl_range being read */
	wait_queue_head_t range_wq;	/* a write in flight completed */
	unsigned long last_write;	/* jiffies of the last application write */
	struct bio_list deferred;	/* writes waiting for an overlap */
	struct work_struct deferred_work;
	struct bio_set bs;		/* clones and received writes */

	/* Fencing (fence.c), under @write_lock */
	enum harepl_fencing fencing;	/* as the last CONNECT set it */
	char fence_handler[HAREPL_FENCE_HANDLER_MAX];
	enum harepl_freeze frozen;	/* writes park and queue while set */
	struct bio_list parked;		/* writes done but not completed */
	unsigned long fence_todo;	/* node ids: a handler is to run */
	unsigned long fence_need;	/* node ids: not fenced, keep frozen */
	char fence_addr[HAREPL_MD_MAX_PEERS + 1][56];	/* by node id */
	enum harepl_fence_state fence_state;	/* of the last handler */
	u32 fence_peer;			/* node id it ran for */
	int fence_exit;			/* its exit status, or -errno */
	struct work_struct fence_work;	/* runs handlers, holds a reference */
};

extern struct mutex harepl_lock;

bool harepl_name_valid(const char *name);
struct harepl_resource *harepl_resource_attach(struct net *net,
					       struct harepl_resource *fresh,
					       char **error);
bool harepl_resource_detach(struct harepl_resource *res);
void harepl_resource_get(struct harepl_resource *res);
void harepl_resource_put(struct harepl_resource *res);
struct harepl_resource *harepl_resource_find(struct net *net, const char *name);
struct harepl_resource *harepl_resource_nth(struct net *net, unsigned long n);
struct harepl_resource *harepl_resource_next(struct net *net,
					     struct harepl_resource *res);
unsigned int harepl_resource_generation(struct net *net);
int harepl_resource_set_role(struct harepl_resource *res,
			     enum harepl_role role, u32 flags,
			     struct netlink_ext_ack *extack);
void harepl_resource_set_writable(struct harepl_resource *res, bool writable);
enum harepl_conn_state harepl_resource_conn_state(struct harepl_resource *res);
void harepl_resource_event(struct harepl_resource *res, int event);
void harepl_resource_set_disk(struct harepl_resource *res,
			      enum harepl_disk_state disk);
u64 harepl_next_event_seq(struct net *net);

int harepl_resource_init(void);
void harepl_resource_exit(void);

#endif
