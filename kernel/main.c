// SPDX-License-Identifier: GPL-2.0
/*
 * harepl: block-level replication as a device-mapper target.
 * Module init and exit only.
 */

#include <linux/module.h>
#include <net/genetlink.h>
#include "fence.h"
#include "netlink.h"
#include "peer.h"
#include "req.h"
#include "resource.h"
#include "target.h"

static int __init harepl_init(void)
{
	int ret = -ENOMEM;

	harepl_wq = alloc_workqueue("harepl", WQ_MEM_RECLAIM | WQ_HIGHPRI, 0);
	if (!harepl_wq)
		goto err_wq;
	/* unbound: a peer's sender runs beside the writer, not after it */
	harepl_send_wq = alloc_workqueue("harepl_send",
					 WQ_MEM_RECLAIM | WQ_HIGHPRI | WQ_UNBOUND, 0);
	if (!harepl_send_wq)
		goto err_send_wq;
	ret = harepl_fence_init();
	if (ret)
		goto err_fence;
	ret = harepl_resource_init();
	if (ret)
		goto err_resource;
	ret = harepl_nl_init();
	if (ret)
		goto err_netlink;
	ret = harepl_target_init();
	if (ret)
		goto err_target;
	pr_info("loaded, netlink family %s version %u\n", HAREPL_GENL_NAME,
		HAREPL_GENL_VERSION);
	return 0;

err_target:
	harepl_nl_exit();
err_netlink:
	harepl_resource_exit();
err_resource:
	harepl_fence_exit();
err_fence:
	destroy_workqueue(harepl_send_wq);
err_send_wq:
	destroy_workqueue(harepl_wq);
err_wq:
	return ret;
}

static void __exit harepl_exit(void)
{
	harepl_target_exit();
	/* a handler still running holds a resource: wait for it first */
	harepl_fence_exit();
	harepl_nl_exit();
	harepl_resource_exit();
	destroy_workqueue(harepl_send_wq);
	destroy_workqueue(harepl_wq);
	pr_info("unloaded\n");
}

module_init(harepl_init);
module_exit(harepl_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("harepl: block-level replication device-mapper target");
MODULE_AUTHOR("The harepl developers");
MODULE_ALIAS("dm-" HAREPL_TARGET_NAME);
MODULE_ALIAS_GENL_FAMILY(HAREPL_GENL_NAME);
