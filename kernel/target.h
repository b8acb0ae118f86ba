/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HAREPL_TARGET_H
#define _HAREPL_TARGET_H

int harepl_target_init(void);
void harepl_target_exit(void);

#endif
