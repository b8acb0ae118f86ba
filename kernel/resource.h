/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HAREPL_RESOURCE_H
#define _HAREPL_RESOURCE_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <net/net_namespace.h>
#include "md.h"

struct mapped_device;
struct netlink_ext_ack;

/*
 * One replicated volume, known by name within a network namespace.
 *
 * Locking: harepl_lock (resource.c) protects every resource list, @list,
 * @all, @net and the state fields (@role, @disk, @conn): they change only
 * with it held. @role_lock, a leaf below it, also covers @role and
 * @writable with the disk's read-only flag, so that dm's resume path
 * need not take harepl_lock. The I/O path reads @role locklessly with
 * READ_ONCE(). The other fields are set at creation and constant until the
 * last reference goes. A resource is shared by the targets of one dm
 * device across a table reload; @kref counts them.
 */
struct harepl_resource {
	struct kref kref;
	struct list_head list;		/* in harepl_net.resources */
	struct list_head all;		/* in harepl_all, namespace or not */
	possible_net_t net;		/* NULL once the namespace is gone */
	struct mapped_device *dm;	/* the dm device we belong to */
	char name[HAREPL_NAME_MAX];
	char data_name[HAREPL_DEVNAME_MAX];
	char meta_name[HAREPL_DEVNAME_MAX];
	dev_t data_dev;
	dev_t meta_dev;			/* == data_dev when internal */
	bool internal;
	struct harepl_md md;		/* the superblock as read at creation */

	struct mutex role_lock;	/* see above */
	enum harepl_role role;
	bool writable;			/* the live table was loaded read-write */
	enum harepl_disk_state disk;
	enum harepl_conn_state conn;

	atomic64_t reads;
	atomic64_t writes;
};

extern struct mutex harepl_lock;

bool harepl_name_valid(const char *name);
struct harepl_resource *harepl_resource_attach(struct net *net,
					       struct harepl_resource *fresh,
					       char **error);
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
u64 harepl_next_event_seq(struct net *net);

int harepl_resource_init(void);
void harepl_resource_exit(void);

#endif
