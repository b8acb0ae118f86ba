// SPDX-License-Identifier: GPL-2.0
/*
 * Fencing: a primary that loses the connection to a sync peer runs the
 * configured handler, which is to make sure the peer cannot be promoted
 * with data older than what this node acknowledged (outdate it through
 * the cluster manager, or power it off). With resource-and-stonith,
 * writes that lacked the peer's ACK are held (parked, their bios not
 * completed) and new writes are queued on @deferred until the handler
 * succeeded or the admin resumes I/O. Parked bios live in dm's per-bio
 * data: nothing is allocated per write. The handler runs from a work
 * item (never the I/O path), one at a time per resource.
 */

#include <linux/bio.h>
#include <linux/kmod.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include "fence.h"
#include "peer.h"
#include "req.h"
#include "resource.h"

static struct workqueue_struct *harepl_fence_wq;

static const char * const harepl_fencing_names[] = HAREPL_FENCING_NAMES;

static_assert(ARRAY_SIZE(harepl_fencing_names) == __HAREPL_FENCING_MAX);

/* The node ids fit the masks */
static_assert(HAREPL_MD_MAX_PEERS < BITS_PER_LONG);

static void harepl_fence_work(struct work_struct *work);

void harepl_fence_res_init(struct harepl_resource *res)
{
	bio_list_init(&res->parked);
	INIT_WORK(&res->fence_work, harepl_fence_work);
}

/* CONNECT's settings; the resource has no peers at this point. */
void harepl_fence_configure(struct harepl_resource *res,
			    enum harepl_fencing fencing, const char *handler)
{
	spin_lock_irq(&res->write_lock);
	res->fencing = fencing;
	strscpy(res->fence_handler, handler ?: "", sizeof(res->fence_handler));
	spin_unlock_irq(&res->write_lock);
}

bool harepl_fence_frozen(struct harepl_resource *res)
{
	bool frozen;

	spin_lock_irq(&res->write_lock);
	frozen = res->frozen != HAREPL_FREEZE_NONE;
	spin_unlock_irq(&res->write_lock);
	return frozen;
}

/*
 * Holds a write's completion while I/O is frozen; true when it did. Any
 * context: this is where every write of the primary completes.
 */
bool harepl_fence_park(struct harepl_resource *res, struct bio *bio)
{
	unsigned long flags;
	bool park;

	spin_lock_irqsave(&res->write_lock, flags);
	park = res->frozen != HAREPL_FREEZE_NONE;
	if (park)
		bio_list_add(&res->parked, bio);
	spin_unlock_irqrestore(&res->write_lock, flags);
	return park;
}

/**
 * harepl_fence_peer_lost() - fence a peer whose connection is ending
 * @peer: the peer, whose connection is still installed
 *
 * Called before anything waiting for the peer's ACK is released, by
 * the worker's teardown and by a sender that failed; once per connection.
 * A connection ended by DISCONNECT (@peer->stopping) is not fenced.
 * Process context, no locks held.
 */
void harepl_fence_peer_lost(struct harepl_peer *peer)
{
	struct harepl_resource *res = peer->res;
	u32 node = peer->conf.node_id;
	bool first;

	if (peer->conf.mode != HAREPL_MODE_SYNC ||
	    READ_ONCE(res->role) != HAREPL_ROLE_PRIMARY)
		return;
	spin_lock(&peer->lock);
	first = peer->sock && !peer->stopping && !peer->fence_triggered;
	peer->fence_triggered = true;
	spin_unlock(&peer->lock);
	if (!first)
		return;

	spin_lock_irq(&res->write_lock);
	if (res->fencing == HAREPL_FENCING_NONE) {
		spin_unlock_irq(&res->write_lock);
		return;
	}
	__set_bit(node, &res->fence_todo);
	strscpy(res->fence_addr[node], peer->addr_str, sizeof(res->fence_addr[node]));
	if (res->fencing == HAREPL_FENCING_RESOURCE_AND_STONITH) {
		__set_bit(node, &res->fence_need);
		if (res->frozen == HAREPL_FREEZE_NONE)
			res->frozen = HAREPL_FREEZE_FENCING;
	}
	spin_unlock_irq(&res->write_lock);
	if (res->fencing == HAREPL_FENCING_RESOURCE_AND_STONITH)
		pr_warn("%s: peer %s lost: I/O frozen until it is fenced\n",
			res->name, peer->addr_str);
	harepl_resource_get(res);
	if (!queue_work(harepl_fence_wq, &res->fence_work))
		harepl_resource_put(res);
}

/* Completes what the freeze held; @fail: with EIO, queued writes too. */
static void harepl_fence_thaw(struct harepl_resource *res, struct bio_list *parked,
			      struct bio_list *queued)
{
	struct bio *bio;

	while ((bio = bio_list_pop(parked))) {
		if (queued)
			bio->bi_status = BLK_STS_IOERR;
		bio_endio(bio);
	}
	while (queued && (bio = bio_list_pop(queued))) {
		bio->bi_status = BLK_STS_IOERR;
		bio_endio(bio);
	}
	queue_work(harepl_wq, &res->deferred_work);
	if (wq_has_sleeper(&res->range_wq))
		wake_up(&res->range_wq);
}

/* Called with @write_lock held: thaws unless a peer is still unfenced. */
static bool harepl_fence_try_thaw(struct harepl_resource *res,
				  struct bio_list *parked)
{
	if (res->fence_need || res->frozen == HAREPL_FREEZE_NONE)
		return false;
	res->frozen = HAREPL_FREEZE_NONE;
	bio_list_merge(parked, &res->parked);
	bio_list_init(&res->parked);
	return true;
}

/**
 * harepl_fence_resume() - thaw I/O without waiting for the handlers
 * @res: the resource
 * @fail: fail the parked and queued writes with EIO instead
 * @who: for the log: "by the admin"
 *
 * Return: whether I/O was frozen.
 */
bool harepl_fence_resume(struct harepl_resource *res, bool fail, const char *who)
{
	struct bio_list parked = BIO_EMPTY_LIST, queued = BIO_EMPTY_LIST;
	bool was;

	spin_lock_irq(&res->write_lock);
	was = res->frozen != HAREPL_FREEZE_NONE;
	res->fence_need = 0;
	harepl_fence_try_thaw(res, &parked);
	if (was && fail) {
		bio_list_merge(&queued, &res->deferred);
		bio_list_init(&res->deferred);
	}
	spin_unlock_irq(&res->write_lock);
	if (!was)
		return false;
	if (fail)
		pr_warn("%s: I/O resumed %s: frozen writes failed with EIO\n",
			res->name, who);
	else
		pr_warn("%s: I/O resumed %s: acknowledged writes may be missing on the peer\n",
			res->name, who);
	harepl_fence_thaw(res, &parked, fail ? &queued : NULL);
	harepl_resource_event(res, HAREPL_EVENT_FENCE);
	return true;
}

/*
 * The last target is going: no handler is to start any more, and nothing
 * may stay parked (dm removes a device only once no I/O is in flight, so
 * this is a safety net).
 */
void harepl_fence_stop(struct harepl_resource *res)
{
	spin_lock_irq(&res->write_lock);
	res->fence_todo = 0;
	spin_unlock_irq(&res->write_lock);
	harepl_fence_resume(res, true, "as the device goes");
}

/* The exit status of a wait status from UMH_WAIT_PROC, or -errno */
static int harepl_fence_exit_status(int ret)
{
	if (ret < 0)
		return ret;
	if (ret & 0x7f)
		return 128 + (ret & 0x7f);
	return (ret >> 8) & 0xff;
}

static int harepl_fence_run(struct harepl_resource *res, const char *handler,
			    enum harepl_fencing fencing, u32 node,
			    const char *addr)
{
	char *argv[3] = {}, *envp[7] = {};
	int ret = -ENOMEM, i;

	argv[0] = (char *)handler;
	argv[1] = "fence-peer";

	envp[0] = kasprintf(GFP_KERNEL, "HAREPL_RESOURCE=%s", res->name);
	envp[1] = kasprintf(GFP_KERNEL, "HAREPL_PEER_ADDRESS=%s", addr);
	envp[2] = kasprintf(GFP_KERNEL, "HAREPL_PEER_NODE_ID=%u", node);
	envp[3] = kasprintf(GFP_KERNEL, "HAREPL_NODE_ID=%u", res->md.node_id);
	envp[4] = kasprintf(GFP_KERNEL, "HAREPL_FENCING=%s",
			    harepl_fencing_names[fencing]);
	envp[5] = kstrdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			  GFP_KERNEL);
	for (i = 0; i < 6 && envp[i]; i++)
		;
	if (i == 6)
		ret = call_usermodehelper((char *)handler, argv, envp, UMH_WAIT_PROC);
	for (i = 0; i < 6; i++)
		kfree(envp[i]);
	return harepl_fence_exit_status(ret);
}

/* One handler run for the lowest node id waiting; false when none was. */
static bool harepl_fence_one(struct harepl_resource *res, char *handler)
{
	struct bio_list parked = BIO_EMPTY_LIST;
	enum harepl_fencing fencing;
	char addr[sizeof(res->fence_addr[0])];
	bool thawed = false, frozen;
	int status;
	u32 node;

	spin_lock_irq(&res->write_lock);
	node = res->fence_todo ? __ffs(res->fence_todo) : 0;
	if (!res->fence_todo) {
		spin_unlock_irq(&res->write_lock);
		return false;
	}
	__clear_bit(node, &res->fence_todo);
	strscpy(addr, res->fence_addr[node], sizeof(addr));
	strscpy(handler, res->fence_handler, HAREPL_FENCE_HANDLER_MAX);
	fencing = res->fencing;
	res->fence_state = HAREPL_FENCE_RUNNING;
	res->fence_peer = node;
	spin_unlock_irq(&res->write_lock);

	pr_info("%s: peer %s: running fence handler %s\n", res->name, addr, handler);
	harepl_resource_event(res, HAREPL_EVENT_FENCE);
	status = handler[0] ? harepl_fence_run(res, handler, fencing, node, addr) :
			      -ENOENT;

	spin_lock_irq(&res->write_lock);
	res->fence_exit = status;
	res->fence_state = status ? HAREPL_FENCE_FAILED : HAREPL_FENCE_SUCCEEDED;
	if (!status)
		__clear_bit(node, &res->fence_need);
	else if (test_bit(node, &res->fence_need))
		res->frozen = HAREPL_FREEZE_FENCE_FAILED;
	thawed = harepl_fence_try_thaw(res, &parked);
	frozen = res->frozen != HAREPL_FREEZE_NONE;
	spin_unlock_irq(&res->write_lock);

	if (!status)
		pr_info("%s: peer %s: fenced (handler exit status 0)\n", res->name, addr);
	else
		pr_err("%s: peer %s: fence handler %s %s %d%s\n",
		       res->name, addr, handler,
		       status < 0 ? "cannot run: error" : "failed with exit status",
		       status, frozen ? "; I/O stays frozen (hareplctl resume-io)" : "");
	if (thawed) {
		pr_info("%s: I/O thawed\n", res->name);
		harepl_fence_thaw(res, &parked, NULL);
	}
	harepl_resource_event(res, HAREPL_EVENT_FENCE);
	return true;
}

/* Holds a resource reference, taken by whoever queued it. */
static void harepl_fence_work(struct work_struct *work)
{
	struct harepl_resource *res = container_of(work, struct harepl_resource,
						   fence_work);
	char *handler = kmalloc(HAREPL_FENCE_HANDLER_MAX, GFP_KERNEL);

	if (handler) {
		while (harepl_fence_one(res, handler))
			;
	} else {
		pr_err("%s: out of memory for the fence handler; I/O stays frozen\n",
		       res->name);
	}
	kfree(handler);
	harepl_resource_put(res);
}

/* The fencing attributes of GET_RESOURCE; called with harepl_lock held. */
int harepl_fence_nl_put(struct sk_buff *skb, struct harepl_resource *res)
{
	enum harepl_fence_state state;
	enum harepl_fencing fencing;
	enum harepl_freeze frozen;
	char *handler;
	u32 peer;
	int exit, ret = -EMSGSIZE;

	handler = kmalloc(HAREPL_FENCE_HANDLER_MAX, GFP_KERNEL);
	if (!handler)
		return -ENOMEM;
	spin_lock_irq(&res->write_lock);
	fencing = res->fencing;
	strscpy(handler, res->fence_handler, HAREPL_FENCE_HANDLER_MAX);
	frozen = res->frozen;
	state = res->fence_state;
	peer = res->fence_peer;
	exit = res->fence_exit;
	spin_unlock_irq(&res->write_lock);
	if (nla_put_u32(skb, HAREPL_A_RES_FENCING, fencing) ||
	    (handler[0] && nla_put_string(skb, HAREPL_A_RES_FENCE_HANDLER, handler)) ||
	    nla_put_u32(skb, HAREPL_A_RES_IO_FROZEN, frozen) ||
	    nla_put_u32(skb, HAREPL_A_RES_FENCE_STATE, state) ||
	    (state != HAREPL_FENCE_IDLE &&
	     nla_put_u32(skb, HAREPL_A_RES_FENCE_PEER_ID, peer)) ||
	    ((state == HAREPL_FENCE_SUCCEEDED || state == HAREPL_FENCE_FAILED) &&
	     nla_put_s32(skb, HAREPL_A_RES_FENCE_EXIT, exit)))
		goto out;
	ret = 0;
out:
	kfree(handler);
	return ret;
}

int __init harepl_fence_init(void)
{
	harepl_fence_wq = alloc_workqueue("harepl_fence", WQ_UNBOUND, 0);
	return harepl_fence_wq ? 0 : -ENOMEM;
}

/* Waits for running handlers: the resources they hold are gone after. */
void harepl_fence_exit(void)
{
	destroy_workqueue(harepl_fence_wq);
}
