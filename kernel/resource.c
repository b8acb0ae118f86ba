// SPDX-License-Identifier: GPL-2.0
/*
 * Resources: the registry of replicated volumes, per network namespace, as
 * WireGuard keeps interfaces. Names are unique within a namespace; when the
 * namespace goes away its resources stay (their dm devices are still open)
 * but leave every list and become invisible to netlink.
 */

#include <linux/device-mapper.h>
#include <linux/netlink.h>
#include <linux/slab.h>
#include <net/netns/generic.h>
#include "netlink.h"
#include "peer.h"
#include "resource.h"

/* Protects the resource lists and the state of every resource. */
DEFINE_MUTEX(harepl_lock);

/* Per-namespace state; every field is protected by harepl_lock. */
struct harepl_net {
	struct list_head resources;
	unsigned int generation;	/* bumped on create and destroy */
	u64 event_seq;			/* last event sequence number */
};

static unsigned int harepl_net_id __read_mostly;

/* Every resource, also those whose namespace is gone; under harepl_lock. */
static LIST_HEAD(harepl_all);

static struct harepl_net *harepl_net(struct net *net)
{
	return net_generic(net, harepl_net_id);
}

bool harepl_name_valid(const char *name)
{
	size_t len = strnlen(name, HAREPL_NAME_MAX);
	size_t i;

	if (!len || len >= HAREPL_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum(name[i]) && !strchr("_.-", name[i]))
			return false;
	return true;
}

struct harepl_resource *harepl_resource_find(struct net *net, const char *name)
{
	struct harepl_resource *res;

	lockdep_assert_held(&harepl_lock);
	list_for_each_entry(res, &harepl_net(net)->resources, list)
		if (!strcmp(res->name, name))
			return res;
	return NULL;
}

/* The @n-th resource of @net, for a dump that resumes where it stopped. */
struct harepl_resource *harepl_resource_nth(struct net *net, unsigned long n)
{
	struct harepl_resource *res;

	lockdep_assert_held(&harepl_lock);
	list_for_each_entry(res, &harepl_net(net)->resources, list)
		if (!n--)
			return res;
	return NULL;
}

/* The resource after @res in its namespace's list, or NULL. */
struct harepl_resource *harepl_resource_next(struct net *net,
					     struct harepl_resource *res)
{
	lockdep_assert_held(&harepl_lock);
	if (list_is_last(&res->list, &harepl_net(net)->resources))
		return NULL;
	return list_next_entry(res, list);
}

unsigned int harepl_resource_generation(struct net *net)
{
	lockdep_assert_held(&harepl_lock);
	return harepl_net(net)->generation;
}

u64 harepl_next_event_seq(struct net *net)
{
	lockdep_assert_held(&harepl_lock);
	return ++harepl_net(net)->event_seq;
}

/**
 * harepl_resource_attach() - register a new resource, or share a live one
 * @net: the namespace of the process loading the table
 * @fresh: a fully set up resource with one reference
 * @error: on failure, why, for ti->error
 *
 * A table reload of the same dm device finds its resource already there and
 * shares it; any other holder of the name makes this fail.
 *
 * Return: @fresh (now listed), the live resource with a new reference (the
 * caller frees @fresh), or an ERR_PTR.
 */
struct harepl_resource *harepl_resource_attach(struct net *net,
					       struct harepl_resource *fresh,
					       char **error)
{
	struct harepl_net *hn = harepl_net(net);
	struct harepl_resource *res;

	mutex_lock(&harepl_lock);
	/* A reload, from whichever namespace: share the live resource */
	list_for_each_entry(res, &harepl_all, all) {
		if (!res->targets)
			continue;
		if (res->dm != fresh->dm)
			continue;
		if (strcmp(res->name, fresh->name) || res->data_dev != fresh->data_dev ||
		    res->meta_dev != fresh->meta_dev || res->internal != fresh->internal ||
		    memcmp(res->md.uuid, fresh->md.uuid, HAREPL_UUID_LEN)) {
			*error = "Reload must keep the resource, its devices and its metadata";
			res = ERR_PTR(-EBUSY);
		} else {
			kref_get(&res->kref);
			res->targets++;
		}
		goto out;
	}
	if (harepl_resource_find(net, fresh->name)) {
		*error = "Resource name already exists in this network namespace";
		res = ERR_PTR(-EEXIST);
		goto out;
	}
	write_pnet(&fresh->net, net);
	fresh->targets = 1;
	list_add_tail(&fresh->all, &harepl_all);
	list_add_tail(&fresh->list, &hn->resources);
	hn->generation++;
	harepl_nl_event(fresh, HAREPL_EVENT_CREATED);
	mutex_unlock(&harepl_lock);
	pr_info("%s: created (data %s, metadata %s, %llu sectors)\n", fresh->name,
		fresh->data_name, fresh->meta_name,
		(unsigned long long)fresh->md.data_sectors);
	return fresh;
out:
	mutex_unlock(&harepl_lock);
	return res;
}

/**
 * harepl_resource_detach() - a target lets go of its resource
 * @res: the resource
 *
 * The last target unlists the resource, so nobody finds it any more, and
 * tells the namespace it is gone.
 *
 * Return: true when that was the last target: the caller then stops
 * replication while it still holds the data device, and puts its reference.
 */
bool harepl_resource_detach(struct harepl_resource *res)
{
	struct net *net;
	bool last;

	mutex_lock(&harepl_lock);
	last = !--res->targets;
	if (last) {
		net = read_pnet(&res->net);
		if (net) {
			harepl_nl_event(res, HAREPL_EVENT_DESTROYED);
			list_del_init(&res->list);
			harepl_net(net)->generation++;
			write_pnet(&res->net, NULL);
		}
		list_del_init(&res->all);
	}
	mutex_unlock(&harepl_lock);
	if (last)
		pr_info("%s: destroyed\n", res->name);
	return last;
}

void harepl_resource_get(struct harepl_resource *res)
{
	kref_get(&res->kref);
}

static void harepl_resource_release(struct kref *kref)
{
	struct harepl_resource *res = container_of(kref, struct harepl_resource, kref);

	bioset_exit(&res->bs);
	harepl_al_free(res);
	harepl_bm_free(res);
	__free_page(res->sb_page);
	mutex_destroy(&res->md_mutex);
	mutex_destroy(&res->role_lock);
	mutex_destroy(&res->conf_mutex);
	kfree(res);
}

void harepl_resource_put(struct harepl_resource *res)
{
	kref_put(&res->kref, harepl_resource_release);
}

/* A new disk state, reported as an event; takes harepl_lock. */
void harepl_resource_set_disk(struct harepl_resource *res,
			      enum harepl_disk_state disk)
{
	mutex_lock(&harepl_lock);
	if (res->disk != disk) {
		WRITE_ONCE(res->disk, disk);
		harepl_nl_event(res, HAREPL_EVENT_DISK);
	}
	mutex_unlock(&harepl_lock);
}

/* Tells the resource's namespace about a change; takes harepl_lock. */
void harepl_resource_event(struct harepl_resource *res, int event)
{
	mutex_lock(&harepl_lock);
	harepl_nl_event(res, event);
	mutex_unlock(&harepl_lock);
}

static int harepl_conn_rank(enum harepl_conn_state st)
{
	switch (st) {
	case HAREPL_CONN_STANDALONE:
		return 0;
	case HAREPL_CONN_CONNECTING:
		return 1;
	case HAREPL_CONN_AHEAD:
	case HAREPL_CONN_BEHIND:
	case HAREPL_CONN_SPLIT_BRAIN:
		return 2;
	default:
		return 3;
	}
}

/*
 * The best state of any peer (connected, then Ahead/Behind, then
 * Connecting) as status shows it: what "connection" means for the whole
 * resource.
 */
enum harepl_conn_state harepl_resource_conn_state(struct harepl_resource *res)
{
	enum harepl_conn_state best = HAREPL_CONN_STANDALONE, st;
	unsigned int i;

	down_read(&res->peers_rwsem);
	for (i = 0; i < res->npeers; i++) {
		st = harepl_peer_shown_state(res->peers[i]);
		if (harepl_conn_rank(st) > harepl_conn_rank(best))
			best = st;
	}
	up_read(&res->peers_rwsem);
	return best;
}

/* The dm device is writable only as primary with a read-write table. */
static void harepl_resource_apply_ro(struct harepl_resource *res)
{
	lockdep_assert_held(&res->role_lock);
	set_disk_ro(dm_disk(res->dm),
		    res->role != HAREPL_ROLE_PRIMARY || !res->writable);
}

/* From the target's resume: dm has just set the read-only flag itself. */
void harepl_resource_set_writable(struct harepl_resource *res, bool writable)
{
	mutex_lock(&res->role_lock);
	res->writable = writable;
	harepl_resource_apply_ro(res);
	mutex_unlock(&res->role_lock);
}

/*
 * Promotion needs UpToDate data; HAREPL_ROLE_F_FORCE declares the local
 * data good (the first primary of a new pair, or a deliberate override
 * that may lose the peer's newer writes) and makes it UpToDate.
 */
int harepl_resource_set_role(struct harepl_resource *res,
			     enum harepl_role role, u32 flags,
			     struct netlink_ext_ack *extack)
{
	bool force = flags & HAREPL_ROLE_F_FORCE;

	lockdep_assert_held(&harepl_lock);
	if (res->role == role)
		return 0;
	if (role == HAREPL_ROLE_PRIMARY && harepl_peers_have_primary(res)) {
		NL_SET_ERR_MSG(extack, "refusing to promote: a connected peer is primary");
		return -EBUSY;
	}
	/* harepl_promote_prepare() did not get them on stable storage */
	if (role == HAREPL_ROLE_PRIMARY && READ_ONCE(res->al.peer_writes) && !force) {
		NL_SET_ERR_MSG(extack,
			       "refusing to promote: writes received from the former primary are not on stable storage yet (try again; if it persists, see the kernel log, or use --force)");
		return -EBUSY;
	}
	/* dm cannot tell writers from readers; DRBD also refuses any opener */
	if (role == HAREPL_ROLE_SECONDARY &&
	    atomic_read(&dm_disk(res->dm)->part0->bd_openers)) {
		NL_SET_ERR_MSG(extack,
			       "refusing to demote: the device is in use (mounted or open); close it first");
		return -EBUSY;
	}
	if (role == HAREPL_ROLE_PRIMARY && harepl_peers_syncing_to_us(res)) {
		NL_SET_ERR_MSG(extack,
			       "refusing to promote: a resync to this node is running (its data is Inconsistent until it ends)");
		return -EBUSY;
	}
	if (role == HAREPL_ROLE_PRIMARY && res->disk != HAREPL_DISK_UPTODATE) {
		if (!force) {
			NL_SET_ERR_MSG(extack,
				       "refusing to promote: local data is not UpToDate (use --force if it is the data to keep)");
			return -EBUSY;
		}
		res->disk = HAREPL_DISK_UPTODATE;
		pr_warn("%s: disk forced UpToDate by promotion\n", res->name);
		harepl_nl_event(res, HAREPL_EVENT_DISK);
	}
	mutex_lock(&res->role_lock);
	WRITE_ONCE(res->role, role);
	harepl_resource_apply_ro(res);
	mutex_unlock(&res->role_lock);
	pr_info("%s: role %s%s\n", res->name,
		role == HAREPL_ROLE_PRIMARY ? "Primary" : "Secondary",
		force ? " (forced)" : "");
	harepl_peers_send_state(res);
	harepl_nl_event(res, HAREPL_EVENT_ROLE);
	return 0;
}

static int __net_init harepl_net_init(struct net *net)
{
	struct harepl_net *hn = harepl_net(net);

	INIT_LIST_HEAD(&hn->resources);
	return 0;
}

/*
 * The namespace is going away while dm devices may still use its
 * resources: take them off its list. They keep working; netlink no longer
 * sees them, and dmsetup remove still destroys them.
 */
static void __net_exit harepl_net_exit(struct net *net)
{
	struct harepl_net *hn = harepl_net(net);
	struct harepl_resource *res, *tmp;

	mutex_lock(&harepl_lock);
	list_for_each_entry_safe(res, tmp, &hn->resources, list) {
		pr_info("%s: network namespace gone, resource detached\n", res->name);
		list_del_init(&res->list);
		write_pnet(&res->net, NULL);
	}
	mutex_unlock(&harepl_lock);
}

static struct pernet_operations harepl_net_ops = {
	.init = harepl_net_init,
	.exit = harepl_net_exit,
	.id = &harepl_net_id,
	.size = sizeof(struct harepl_net),
};

int __init harepl_resource_init(void)
{
	return register_pernet_subsys(&harepl_net_ops);
}

void harepl_resource_exit(void)
{
	unregister_pernet_subsys(&harepl_net_ops);
}
