/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HAREPLCTL_CRC32C_H
#define HAREPLCTL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC32C, reflected, no final inversion: the kernel's crc32c(~0, buf, len) */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

#endif
