/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HAREPL_NETLINK_H
#define _HAREPL_NETLINK_H

#include <uapi/linux/harepl.h>

struct harepl_resource;

void harepl_nl_event(struct harepl_resource *res, enum harepl_event event);
int harepl_nl_init(void);
void harepl_nl_exit(void);

#endif
