// SPDX-License-Identifier: GPL-2.0
/*
 * seqwriter: a chain of dependent writes, and a check that a copy of the
 * device holds a state the writer's device could have held.
 *
 *   seqwriter write DEV NBLOCKS RUN [GROUP]
 *	Writes 4 KiB blocks with O_DIRECT: block seq goes to slot
 *	seq % NBLOCKS (offset slot * 4096) and holds {magic, RUN, seq, slot,
 *	crc32c} and a pattern derived from seq. Write seq is issued only
 *	after write seq - 1 returned; after every GROUP writes (default 16)
 *	comes an fdatasync (a flush). Runs until SIGTERM or SIGINT, then
 *	prints "last S" (the last completed seq, -1 for none) and exits 0;
 *	an I/O error prints it and exits 1. SIGUSR1 prints "mark S": S was
 *	complete when the signal arrived.
 *
 *   seqwriter check DEV NBLOCKS RUN [MIN [MAX]]
 *	Reads the slots and finds the cut S: the largest seq of RUN present.
 *	The copy is a prefix of the history when every slot holds the largest
 *	seq <= S that maps to it, or no block of RUN when none does. Blocks
 *	of another RUN (or anything else) count as empty: written before this
 *	history. Prints "prefix S" and exits 0 when it is a prefix and
 *	MIN <= S <= MAX; else lists the offending slots and exits 1.
 */

#define _GNU_SOURCE
#include "crc32c.h"	/* userspace/crc32c.c, linked in */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLK		4096
#define SEQ_MAGIC	0x48525351454e4345ULL	/* "HRSQENCE" */

struct blk_hdr {
	uint64_t magic;
	uint64_t seq;
	uint32_t run;
	uint32_t slot;
	uint32_t crc;		/* crc32c of the whole block with crc = 0 */
	uint32_t pad;
};

static volatile sig_atomic_t last_done = -1;
static volatile sig_atomic_t mark_val = -1, mark_req, stop_req;


static void fill(void *buf, uint32_t run, int64_t seq, uint32_t nblocks)
{
	struct blk_hdr *h = buf;
	uint64_t *w = buf;
	uint64_t x = (uint64_t)seq * 0x9e3779b97f4a7c15ULL + run;
	size_t i;

	for (i = sizeof(*h) / 8; i < BLK / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		w[i] = x;
	}
	h->magic = SEQ_MAGIC;
	h->seq = (uint64_t)seq;
	h->run = run;
	h->slot = (uint32_t)(seq % nblocks);
	h->crc = 0;
	h->pad = 0;
	h->crc = crc32c(~0U, buf, BLK);
}

static void on_usr1(int sig)
{
	(void)sig;
	mark_val = last_done;
	mark_req = 1;
}

static void on_stop(int sig)
{
	(void)sig;
	stop_req = 1;
}

static void *block_buf(void)
{
	void *buf;

	if (posix_memalign(&buf, BLK, BLK)) {
		fprintf(stderr, "seqwriter: out of memory\n");
		exit(2);
	}
	return buf;
}

static int do_write(const char *dev, uint32_t nblocks, uint32_t run, uint32_t group)
{
	struct sigaction sa = { 0 };
	void *buf = block_buf();
	int64_t seq;
	ssize_t n;
	int fd;

	fd = open(dev, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "seqwriter: %s: %s\n", dev, strerror(errno));
		return 2;
	}
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	for (seq = 0; !stop_req; seq++) {
		if (seq > INT32_MAX - 1)
			break;
		fill(buf, run, seq, nblocks);
		do
			n = pwrite(fd, buf, BLK, (off_t)(seq % nblocks) * BLK);
		while (n < 0 && errno == EINTR);
		if (n != BLK) {
			printf("error write of seq %" PRId64 " failed: %s\n", seq,
			       n < 0 ? strerror(errno) : "short write");
			printf("last %d\n", (int)last_done);
			return 1;
		}
		last_done = (sig_atomic_t)seq;
		if ((seq + 1) % group == 0 && fdatasync(fd)) {
			printf("error fdatasync after seq %" PRId64 " failed: %s\n", seq,
			       strerror(errno));
			printf("last %d\n", (int)last_done);
			return 1;
		}
		if (mark_req) {
			mark_req = 0;
			printf("mark %d\n", (int)mark_val);
			fflush(stdout);
		}
	}
	printf("last %d\n", (int)last_done);
	close(fd);
	return 0;
}

static int do_check(const char *dev, uint32_t nblocks, uint32_t run,
		    int64_t min, int64_t max)
{
	void *buf = block_buf();
	struct blk_hdr *h = buf;
	int64_t *got = calloc(nblocks, sizeof(*got));
	int64_t s = -1, want;
	uint32_t k, crc, valid = 0, bad = 0, shown = 0;
	ssize_t n;
	int fd;

	if (!got) {
		fprintf(stderr, "seqwriter: out of memory\n");
		return 2;
	}
	fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "seqwriter: %s: %s\n", dev, strerror(errno));
		return 2;
	}
	for (k = 0; k < nblocks; k++) {
		n = pread(fd, buf, BLK, (off_t)k * BLK);
		if (n != BLK) {
			fprintf(stderr, "seqwriter: read of slot %u failed: %s\n", k,
				n < 0 ? strerror(errno) : "short read");
			return 2;
		}
		got[k] = -1;
		if (h->magic != SEQ_MAGIC || h->run != run)
			continue;	/* from before this history */
		crc = h->crc;
		h->crc = 0;
		if (crc32c(~0U, buf, BLK) != crc) {
			printf("slot %u: torn or corrupt block (seq %" PRIu64 ")\n", k, h->seq);
			bad++;
			continue;
		}
		if (h->slot != k || h->seq % nblocks != k || h->seq > INT32_MAX) {
			printf("slot %u: holds seq %" PRIu64 " of slot %u\n", k, h->seq, h->slot);
			bad++;
			continue;
		}
		got[k] = (int64_t)h->seq;
		valid++;
		if (got[k] > s)
			s = got[k];
	}
	close(fd);

	for (k = 0; k < nblocks; k++) {
		/* the newest seq <= s that maps to slot k, or none */
		want = s < (int64_t)k ? -1 : s - ((s - k) % nblocks);
		if (got[k] == want)
			continue;
		bad++;
		if (shown++ < 10)
			printf("slot %u: seq %" PRId64 ", a prefix ending at %" PRId64
			       " has %" PRId64 " there (-1: nothing of this run)\n",
			       k, got[k], s, want);
	}
	printf("prefix %" PRId64 " (%u of %u slots from this run, %u wrong)\n",
	       s, valid, nblocks, bad);
	if (bad)
		return 1;
	if (s < min || s > max) {
		printf("cut %" PRId64 " outside the allowed %" PRId64 "..%" PRId64 "\n",
		       s, min, max);
		return 1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: seqwriter write DEV NBLOCKS RUN [GROUP]\n"
			"       seqwriter check DEV NBLOCKS RUN [MIN [MAX]]\n");
	exit(2);
}

static long long num(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno || !*s || *end)
		usage();
	return v;
}

int main(int argc, char *argv[])
{
	uint32_t nblocks, run;

	if (argc < 5)
		usage();
	nblocks = (uint32_t)num(argv[3]);
	run = (uint32_t)num(argv[4]);
	if (nblocks < 1 || nblocks > (1U << 20))
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "write") && argc <= 6) {
		long long g = argc > 5 ? num(argv[5]) : 16;

		if (g < 1)
			usage();
		return do_write(argv[2], nblocks, run, (uint32_t)g);
	}
	if (!strcmp(argv[1], "check") && argc <= 7)
		return do_check(argv[2], nblocks, run,
				argc > 5 ? num(argv[5]) : -1,
				argc > 6 ? num(argv[6]) : INT64_MAX);
	usage();
	return 2;
}
