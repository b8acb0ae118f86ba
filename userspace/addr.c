// SPDX-License-Identifier: GPL-2.0
/*
 * Replication addresses: parsing them from the configuration, taking them
 * from netlink attributes and printing them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "util.h"

int addr_parse(const char *s, struct addr *a)
{
	char host[INET6_ADDRSTRLEN];
	const char *end, *port;
	unsigned long long v;
	bool v6 = s[0] == '[';

	if (v6) {
		s++;
		end = strchr(s, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		port = end + 2;
	} else {
		end = strchr(s, ':');
		if (!end || strchr(end + 1, ':'))
			return -EINVAL;
		port = end + 1;
	}
	if ((size_t)(end - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, (size_t)(end - s));
	host[end - s] = '\0';
	if (parse_uint(port, 65535, &v) || v == 0)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	if (v6) {
		a->in6.sin6_family = AF_INET6;
		a->in6.sin6_port = htons((uint16_t)v);
		if (inet_pton(AF_INET6, host, &a->in6.sin6_addr) != 1)
			return -EINVAL;
		a->len = sizeof(a->in6);
		return 0;
	}
	a->in4.sin_family = AF_INET;
	a->in4.sin_port = htons((uint16_t)v);
	if (inet_pton(AF_INET, host, &a->in4.sin_addr) != 1)
		return -EINVAL;
	a->len = sizeof(a->in4);
	return 0;
}

int addr_set(struct addr *a, const void *data, size_t len)
{
	sa_family_t family;

	memset(a, 0, sizeof(*a));
	if (len < sizeof(family))
		return -EINVAL;
	memcpy(&family, data, sizeof(family));
	if (!(family == AF_INET && len == sizeof(a->in4)) &&
	    !(family == AF_INET6 && len == sizeof(a->in6)))
		return -EINVAL;
	memcpy(&a->sa, data, len);
	a->len = (socklen_t)len;
	return 0;
}

const char *addr_fmt(char buf[ADDR_BUF], const struct addr *a)
{
	char host[INET6_ADDRSTRLEN];

	if (a->len == sizeof(a->in6) && a->sa.sa_family == AF_INET6 &&
	    inet_ntop(AF_INET6, &a->in6.sin6_addr, host, sizeof(host)))
		snprintf(buf, ADDR_BUF, "[%s]:%u", host, ntohs(a->in6.sin6_port));
	else if (a->len == sizeof(a->in4) && a->sa.sa_family == AF_INET &&
		 inet_ntop(AF_INET, &a->in4.sin_addr, host, sizeof(host)))
		snprintf(buf, ADDR_BUF, "%s:%u", host, ntohs(a->in4.sin_port));
	else
		snprintf(buf, ADDR_BUF, "unknown");
	return buf;
}
