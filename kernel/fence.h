/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HAREPL_FENCE_H
#define _HAREPL_FENCE_H

#include <linux/types.h>
#include <uapi/linux/harepl.h>

struct bio;
struct harepl_peer;
struct harepl_resource;
struct sk_buff;

int harepl_fence_init(void);
void harepl_fence_exit(void);
void harepl_fence_res_init(struct harepl_resource *res);
void harepl_fence_configure(struct harepl_resource *res,
			    enum harepl_fencing fencing, const char *handler);
void harepl_fence_peer_lost(struct harepl_peer *peer);
bool harepl_fence_frozen(struct harepl_resource *res);
bool harepl_fence_park(struct harepl_resource *res, struct bio *bio);
void harepl_fence_stop(struct harepl_resource *res);
bool harepl_fence_resume(struct harepl_resource *res, bool fail, const char *who);
int harepl_fence_nl_put(struct sk_buff *skb, struct harepl_resource *res);

#endif
