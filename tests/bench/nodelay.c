// SPDX-License-Identifier: GPL-2.0
/*
 * nodelay.so: LD_PRELOAD shim for qemu in `make bench` (scripts/bench.sh).
 *
 * qemu's "-netdev socket,listen=/connect=" carries the guests' Ethernet
 * frames over one host TCP connection without TCP_NODELAY. Then a frame
 * that follows another before the host acknowledged it waits for the
 * peer's delayed ACK, about 40 ms: every guest message longer than one
 * frame, and every pair of frames sent back to back (DRBD's data and meta
 * sockets), costs 40 ms that no real network has. This shim sets
 * TCP_NODELAY on every TCP socket qemu creates or accepts.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static void nodelay(int fd)
{
	int one = 1, type = 0;
	socklen_t len = sizeof(type);

	if (fd >= 0 && !getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) &&
	    type == SOCK_STREAM)
		/* fails harmlessly on a non-TCP (e.g. AF_UNIX) socket */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int socket(int domain, int type, int protocol)
{
	static int (*real)(int, int, int);
	int fd;

	if (!real)
		real = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
	fd = real(domain, type, protocol);
	if (domain == AF_INET || domain == AF_INET6)
		nodelay(fd);
	return fd;
}

int accept(int sfd, struct sockaddr *addr, socklen_t *alen)
{
	static int (*real)(int, struct sockaddr *, socklen_t *);
	int fd;

	if (!real)
		real = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
	fd = real(sfd, addr, alen);
	nodelay(fd);
	return fd;
}

int accept4(int sfd, struct sockaddr *addr, socklen_t *alen, int flags)
{
	static int (*real)(int, struct sockaddr *, socklen_t *, int);
	int fd;

	if (!real)
		real = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
	fd = real(sfd, addr, alen, flags);
	nodelay(fd);
	return fd;
}
