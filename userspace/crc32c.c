// SPDX-License-Identifier: GPL-2.0
/*
 * CRC32C (Castagnoli), reflected, polynomial 0x82F63B78, without the final
 * inversion: crc32c(~0, buf, len) equals the kernel's crc32c(~0, buf, len).
 */
#include "crc32c.h"

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	int k;

	while (len--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82F63B78U & -(crc & 1));
	}
	return crc;
}
