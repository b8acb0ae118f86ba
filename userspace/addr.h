/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HAREPLCTL_ADDR_H
#define HAREPLCTL_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <netinet/in.h>

/*
 * A replication address, as HAREPL_A_RES_LOCAL_ADDR and HAREPL_PEER_A_ADDR
 * carry it: the raw bytes of a struct sockaddr_in or sockaddr_in6, port in
 * network byte order.
 */
struct addr {
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	};
	socklen_t len;		/* 0: not set */
};

/* "IPv4:port" or "[IPv6]:port", port 1..65535; 0 or -EINVAL */
int addr_parse(const char *s, struct addr *a);
/* Takes len bytes of a sockaddr; 0, or -EINVAL unless it is one */
int addr_set(struct addr *a, const void *data, size_t len);

/* "192.0.2.1:7789", "[2001:db8::1]:7789" */
#define ADDR_BUF 64
const char *addr_fmt(char buf[ADDR_BUF], const struct addr *a);

#endif
