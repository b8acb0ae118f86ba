// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_peer: connect to a harepl node over and over, each time sending
 * one kind of bad input, and check that the node closes the connection.
 *
 *   hostile_peer [options] ADDR:PORT CATEGORY...
 *
 * CATEGORY is a name from -l, or a group: "pre" (bad packets before or
 * during the handshake), "primary" (pre, then packets a primary must
 * refuse after a good handshake), "secondary" (packets a secondary must
 * refuse from an authenticated primary: requests outside the device and
 * malformed requests). Connections go round-robin over the categories, so
 * that rate-limited log messages cover all of them.
 *
 * Each connection: connect, maybe a prelude (our HELLO; or the whole
 * handshake with the secret: HELLO, AUTH, STATE, GENS, checking the node's AUTH),
 * the bad input, then wait up to -t ms for the node to close the connection
 * (read returns 0 or ECONNRESET; what the node sends meanwhile, such as its
 * HELLO or an ERROR, is read and dropped). Only "truncated" shuts down our
 * sending side (a node seeing EOF closes for that reason alone).
 *
 * Prints a line per category and a total; exits 0 when every connection
 * was closed by the node in time, 1 otherwise, 2 when the first connection
 * could not be made (nobody listening) or on bad usage.
 *
 * Options:
 *   -n N       connections per category (1)
 *   -s SECRET  the resource's shared secret (for the categories that
 *              authenticate first)
 *   -r NAME    resource name (r0)
 *   -i ID      the node id we claim (0)
 *   -p ID      the node id of the node we talk to (1)
 *   -S N       the node's data sectors (for STATE and requests beyond it)
 *   -M N       the node's superblock sector (default: data sectors + 8)
 *   -t MS      how long the node may take to close (3000)
 *   -d SEC     give up after SEC seconds in total (600)
 *   -v         print the first failures of each category
 *   -l         list the categories
 *   -T         self-test of crc32c, SHA-256 and HMAC-SHA256, then exit
 */

#define _GNU_SOURCE
#include "crc32c.h"	/* userspace/crc32c.c, linked in */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/harepl.h>
#include <linux/harepl_wire.h>

#define HDR_LEN		((int)sizeof(struct harepl_wire_hdr))
#define MAX_PKT		(HDR_LEN + 8192)
#define HS_TIMEOUT_MS	5000
static const char auth_label[] = "harepl-auth-v1";

_Static_assert(sizeof(struct harepl_wire_hdr) == 48, "header is 48 bytes");
_Static_assert(sizeof(struct harepl_wire_hello) == 80, "HELLO is 80 bytes");
_Static_assert(sizeof(struct harepl_wire_state) == 24, "STATE is 24 bytes");

/* ---- options ------------------------------------------------------------ */

static struct {
	struct sockaddr_in addr;
	const char *secret;
	const char *resource;
	uint32_t my_id, their_id;
	uint64_t sectors, sb_sector;
	int close_ms;
	int deadline_s;
	bool verbose;
} opt = {
	.resource = "r0",
	.my_id = 0,
	.their_id = 1,
	.close_ms = 3000,
	.deadline_s = 600,
};

/* ---- crc32c, SHA-256, HMAC-SHA256 ----------------------------------------- */


struct sha256 {
	uint32_t h[8];
	uint64_t len;
	uint8_t buf[64];
	size_t n;
};

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha256_block(struct sha256 *s, const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++)
		w[i] = w[i - 16] + (ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
		       w[i - 7] + (ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10));
	a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
	e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
	for (i = 0; i < 64; i++) {
		t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) +
		     sha256_k[i] + w[i];
		t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g, g = f, f = e, e = d + t1;
		d = c, c = b, b = a, a = t1 + t2;
	}
	s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
	s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void sha256_init(struct sha256 *s)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(s->h, iv, sizeof(iv));
	s->len = 0;
	s->n = 0;
}

static void sha256_update(struct sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	s->len += len;
	while (len) {
		size_t take = 64 - s->n < len ? 64 - s->n : len;

		memcpy(s->buf + s->n, p, take);
		s->n += take;
		p += take;
		len -= take;
		if (s->n == 64) {
			sha256_block(s, s->buf);
			s->n = 0;
		}
	}
}

static void sha256_final(struct sha256 *s, uint8_t out[32])
{
	uint64_t bits = s->len * 8;
	uint8_t pad = 0x80, zero = 0, be[8];
	int i;

	sha256_update(s, &pad, 1);
	while (s->n != 56)
		sha256_update(s, &zero, 1);
	for (i = 0; i < 8; i++)
		be[i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_update(s, be, 8);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->h[i];
	}
}

/* HMAC-SHA256(key, m1 || m2 || m3) */
static void hmac_sha256(const void *key, size_t klen, const void *m1, size_t l1,
			const void *m2, size_t l2, const void *m3, size_t l3,
			uint8_t out[32])
{
	uint8_t k[64] = { 0 }, pad[64], inner[32];
	struct sha256 s;
	int i;

	if (klen > 64) {
		sha256_init(&s);
		sha256_update(&s, key, klen);
		sha256_final(&s, k);
	} else {
		memcpy(k, key, klen);
	}
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	sha256_init(&s);
	sha256_update(&s, pad, 64);
	sha256_update(&s, m1, l1);
	sha256_update(&s, m2, l2);
	sha256_update(&s, m3, l3);
	sha256_final(&s, inner);
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	sha256_init(&s);
	sha256_update(&s, pad, 64);
	sha256_update(&s, inner, 32);
	sha256_final(&s, out);
}

/* The AUTH payload of the node with id @id, answering @nonce */
static void auth_mac(const uint8_t *nonce, uint32_t id, uint8_t out[32])
{
	uint32_t be = htonl(id);
	const char *sec = opt.secret ? opt.secret : "";

	hmac_sha256(sec, strlen(sec), auth_label, sizeof(auth_label) - 1,
		    nonce, HAREPL_WIRE_NONCE_LEN, &be, sizeof(be), out);
}

static int hex_is(const uint8_t *b, size_t n, const char *hex)
{
	char s[129];
	size_t i;

	for (i = 0; i < n && i < 64; i++)
		sprintf(s + 2 * i, "%02x", b[i]);
	return !strcmp(s, hex);
}

static int selftest(void)
{
	uint8_t out[32], key[20];
	struct sha256 s;
	int bad = 0;

	/* crc32c("123456789") is 0xe3069283 with the final inversion */
	if ((crc32c(~0U, "123456789", 9) ^ ~0U) != 0xe3069283) {
		printf("crc32c: wrong\n");
		bad++;
	}
	sha256_init(&s);
	sha256_update(&s, "abc", 3);
	sha256_final(&s, out);
	if (!hex_is(out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")) {
		printf("sha256(abc): wrong\n");
		bad++;
	}
	sha256_init(&s);
	sha256_update(&s, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56);
	sha256_final(&s, out);
	if (!hex_is(out, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")) {
		printf("sha256(448 bits): wrong\n");
		bad++;
	}
	/* RFC 4231 test cases 1 and 2 */
	memset(key, 0x0b, sizeof(key));
	hmac_sha256(key, 20, "Hi ", 3, "There", 5, "", 0, out);
	if (!hex_is(out, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")) {
		printf("hmac-sha256 (RFC 4231 case 1): wrong\n");
		bad++;
	}
	hmac_sha256("Jefe", 4, "what do ya want ", 16, "for nothing?", 12, "", 0, out);
	if (!hex_is(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")) {
		printf("hmac-sha256 (RFC 4231 case 2): wrong\n");
		bad++;
	}
	printf("selftest: %s\n", bad ? "FAILED" : "ok");
	return bad ? 1 : 0;
}

/* ---- randomness, time --------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static uint32_t rnd_below(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

static void rnd_fill(void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n--)
		*p++ = (uint8_t)rnd();
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- packets ------------------------------------------------------------ */

struct out {
	uint8_t b[MAX_PKT * 2];
	size_t n;
};

static struct harepl_wire_hdr *add_hdr(struct out *o, uint16_t type, uint32_t length)
{
	struct harepl_wire_hdr *h = (void *)(o->b + o->n);

	memset(h, 0, sizeof(*h));
	h->magic = htonl(HAREPL_WIRE_MAGIC);
	h->type = htons(type);
	h->length = htonl(length);
	o->n += HDR_LEN;
	return h;
}

/* Fills in hdr_csum; call after the last change to the header. */
static void seal(struct harepl_wire_hdr *h)
{
	h->hdr_csum = 0;
	h->hdr_csum = htonl(crc32c(~0U, h, sizeof(*h)));
}

static void add_bytes(struct out *o, const void *p, size_t n)
{
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void add_random(struct out *o, size_t n)
{
	rnd_fill(o->b + o->n, n);
	o->n += n;
}

static void good_hello(struct harepl_wire_hello *hello, uint8_t *nonce)
{
	memset(hello, 0, sizeof(*hello));
	hello->version_min = htonl(HAREPL_WIRE_VERSION_MIN);
	hello->version_max = htonl(HAREPL_WIRE_VERSION_MAX);
	hello->node_id = htonl(opt.my_id);
	hello->peer_node_id = htonl(opt.their_id);
	rnd_fill(hello->nonce, sizeof(hello->nonce));
	if (nonce)
		memcpy(nonce, hello->nonce, HAREPL_WIRE_NONCE_LEN);
	snprintf(hello->resource, sizeof(hello->resource), "%s", opt.resource);
}

static void add_hello(struct out *o, const struct harepl_wire_hello *hello)
{
	seal(add_hdr(o, HAREPL_WIRE_HELLO, sizeof(*hello)));
	add_bytes(o, hello, sizeof(*hello));
}

static void add_state(struct out *o, uint32_t role, uint32_t disk, uint64_t size)
{
	struct harepl_wire_state st = {
		.role = htonl(role),
		.disk = htonl(disk),
		.mode = htonl(HAREPL_MODE_SYNC),
		.size = htobe64(size),
	};

	seal(add_hdr(o, HAREPL_WIRE_STATE, sizeof(st)));
	add_bytes(o, &st, sizeof(st));
}

/* A request header; the payload (if any) is up to the caller */
static struct harepl_wire_hdr *add_req(struct out *o, uint16_t type, uint16_t flags,
				       uint64_t sector, uint32_t size, uint32_t length)
{
	struct harepl_wire_hdr *h = add_hdr(o, type, length);
	static uint64_t seq;

	h->flags = htons(flags);
	h->epoch = htonl(1);
	h->seq = htobe64(++seq);
	h->sector = htobe64(sector);
	h->size = htonl(size);
	seal(h);
	return h;
}

/* ---- categories ----------------------------------------------------------- */

enum prelude {
	P_NONE,		/* the bad input right after connect */
	P_FULL_SECONDARY, /* a whole handshake, our STATE: Secondary */
	P_FULL_PRIMARY,	/* a whole handshake, our STATE: Primary, UpToDate */
	P_AUTH,		/* HELLO and AUTH exchanged; STATE is the bad input */
	P_SILENT,	/* nothing at all */
};

struct cat {
	const char *name;
	const char *group;	/* pre, primary, secondary, or "" (by name only) */
	enum prelude prelude;
	void (*build)(struct out *o);
	bool shut_wr;		/* shut down our sending side after the input */
	int wait_ms;		/* 0: -t */
};

static void c_bad_magic(struct out *o)
{
	struct harepl_wire_hello hello;
	struct harepl_wire_hdr *h = add_hdr(o, HAREPL_WIRE_HELLO, sizeof(hello));
	uint32_t m;

	do
		m = (uint32_t)rnd();
	while (m == HAREPL_WIRE_MAGIC);
	h->magic = htonl(rnd_below(2) ? m : __builtin_bswap32(HAREPL_WIRE_MAGIC));
	seal(h);
	good_hello(&hello, NULL);
	add_bytes(o, &hello, sizeof(hello));
}

static void c_bad_csum(struct out *o)
{
	struct harepl_wire_hello hello;
	struct harepl_wire_hdr *h;

	good_hello(&hello, NULL);
	h = (void *)(o->b + o->n);
	add_hello(o, &hello);
	h->hdr_csum ^= htonl(1U << rnd_below(32));
}

static void c_unknown_type(struct out *o)
{
	static const uint16_t types[] = { 0, __HAREPL_WIRE_TYPE_MAX, 0x100, 0x7fff, 0xffff };

	seal(add_hdr(o, types[rnd_below(5)], 0));
}

static void c_bad_flags(struct out *o)
{
	struct harepl_wire_hello hello;
	struct harepl_wire_hdr *h = add_hdr(o, HAREPL_WIRE_HELLO, sizeof(hello));
	unsigned int bit = rnd_below(15);

	/* any flag but F_WAKE, the only one a HELLO may carry */
	if (bit == 7)
		bit = 15;
	if (rnd_below(2))
		h->flags = htons((uint16_t)(1U << bit));
	else
		h->reserved = htonl((uint32_t)rnd() | 1);
	seal(h);
	good_hello(&hello, NULL);
	add_bytes(o, &hello, sizeof(hello));
}

/* a wake-up from a node that dials the target itself: refused */
static void c_hello_wake(struct out *o)
{
	struct harepl_wire_hello hello;
	struct harepl_wire_hdr *h = add_hdr(o, HAREPL_WIRE_HELLO, sizeof(hello));

	h->flags = htons(HAREPL_WIRE_F_WAKE);
	seal(h);
	good_hello(&hello, NULL);
	add_bytes(o, &hello, sizeof(hello));
}

static void c_oversize_length(struct out *o)
{
	static const uint32_t lens[] = { 0xffffffff, 0x80000000, HAREPL_WIRE_MAX_DATA + 1,
					 sizeof(struct harepl_wire_hello) + 1 };
	struct harepl_wire_hello hello;

	seal(add_hdr(o, HAREPL_WIRE_HELLO, lens[rnd_below(4)]));
	good_hello(&hello, NULL);
	add_bytes(o, &hello, sizeof(hello));
}

static void c_short_length(struct out *o)
{
	static const uint32_t lens[] = { 0, 4, sizeof(struct harepl_wire_hello) - 1 };
	struct harepl_wire_hello hello;
	uint32_t len = lens[rnd_below(3)];

	seal(add_hdr(o, HAREPL_WIRE_HELLO, len));
	good_hello(&hello, NULL);
	add_bytes(o, &hello, len);
}

static void c_data_before_handshake(struct out *o)
{
	if (rnd_below(2)) {
		add_req(o, HAREPL_WIRE_DATA, HAREPL_WIRE_F_ACK, 0, 4096, 4096);
		add_random(o, 4096);
	} else {
		struct harepl_wire_hdr *h = add_hdr(o, HAREPL_WIRE_ACK, 0);

		h->seq = htobe64(rnd());
		seal(h);
	}
}

static void c_truncated(struct out *o)
{
	struct harepl_wire_hello hello;
	size_t full;

	good_hello(&hello, NULL);
	add_hello(o, &hello);
	full = o->n;
	o->n = 1 + rnd_below((uint32_t)full - 1);	/* 1 .. full - 1 bytes */
}

static void c_random(struct out *o)
{
	uint32_t m;

	add_random(o, HDR_LEN + rnd_below(1024 - HDR_LEN));
	memcpy(&m, o->b, 4);
	if (ntohl(m) == HAREPL_WIRE_MAGIC)
		o->b[0] ^= 0xff;
}

static void c_hello_bad_version(struct out *o)
{
	static const uint32_t v[][2] = {
		{ 0, 0 }, { HAREPL_WIRE_VERSION_MAX + 1, HAREPL_WIRE_VERSION_MAX + 9 },
		{ 99, 99 }, { 2, 1 }, { 1, 1 }, { 0xffffffff, 0xffffffff },
	};
	struct harepl_wire_hello hello;
	uint32_t i = rnd_below(6);

	good_hello(&hello, NULL);
	hello.version_min = htonl(v[i][0]);
	hello.version_max = htonl(v[i][1]);
	add_hello(o, &hello);
}

static void c_hello_wrong_resource(struct out *o)
{
	struct harepl_wire_hello hello;

	good_hello(&hello, NULL);
	switch (rnd_below(3)) {
	case 0:
		snprintf(hello.resource, sizeof(hello.resource), "%s-other", opt.resource);
		break;
	case 1:
		memset(hello.resource, 0, sizeof(hello.resource));
		break;
	default:	/* not NUL terminated */
		memset(hello.resource, 'A', sizeof(hello.resource));
		break;
	}
	add_hello(o, &hello);
}

static void c_hello_bad_node(struct out *o)
{
	struct harepl_wire_hello hello;

	good_hello(&hello, NULL);
	switch (rnd_below(4)) {
	case 0:
		hello.node_id = htonl(opt.their_id);	/* its own id */
		break;
	case 1:
		hello.node_id = htonl(HAREPL_MD_MAX_PEERS + 1);	/* ids are 0..8 */
		break;
	case 2:
		hello.node_id = htonl(0xffffffff);
		break;
	default:	/* thinks it talks to someone else */
		hello.peer_node_id = htonl(opt.their_id + 5);
		break;
	}
	add_hello(o, &hello);
}

static void c_hello_then_garbage(struct out *o)
{
	struct harepl_wire_hello hello;
	size_t at;

	good_hello(&hello, NULL);
	add_hello(o, &hello);
	at = o->n;
	add_random(o, HDR_LEN + rnd_below(256));
	if (o->b[at] == 0x48)	/* keep the magic wrong */
		o->b[at] = 0;
}

static void c_hello_then_data(struct out *o)
{
	struct harepl_wire_hello hello;

	good_hello(&hello, NULL);
	add_hello(o, &hello);
	add_req(o, HAREPL_WIRE_DATA, HAREPL_WIRE_F_ACK, 0, 4096, 4096);
	add_random(o, 4096);
}

static void c_bad_auth(struct out *o)
{
	struct harepl_wire_hello hello;

	good_hello(&hello, NULL);
	add_hello(o, &hello);
	seal(add_hdr(o, HAREPL_WIRE_AUTH, HAREPL_WIRE_MAC_LEN));
	add_random(o, HAREPL_WIRE_MAC_LEN);
}

/* after HELLO and AUTH: a STATE a primary must refuse */
static void c_two_primaries(struct out *o)
{
	add_state(o, HAREPL_ROLE_PRIMARY, HAREPL_DISK_UPTODATE, opt.sectors);
}

static void c_state_small(struct out *o)
{
	add_state(o, HAREPL_ROLE_SECONDARY, HAREPL_DISK_INCONSISTENT, opt.sectors / 2);
}

static void c_bad_state(struct out *o)
{
	if (rnd_below(2))
		add_state(o, __HAREPL_ROLE_MAX + rnd_below(100), HAREPL_DISK_INCONSISTENT,
			  opt.sectors);
	else
		add_state(o, HAREPL_ROLE_SECONDARY, __HAREPL_DISK_MAX + rnd_below(100),
			  opt.sectors);
}

/* after a whole handshake as a secondary: packets a primary must refuse */
static void c_data_to_primary(struct out *o)
{
	add_req(o, HAREPL_WIRE_DATA, HAREPL_WIRE_F_ACK, 0, 4096, 4096);
	add_random(o, 4096);
}

static void c_ack_bogus(struct out *o)
{
	struct harepl_wire_hdr *h = add_hdr(o, HAREPL_WIRE_ACK, 0);

	h->seq = htobe64(rnd() | (1ULL << 62));
	seal(h);
}

/* after a whole handshake as a primary: requests a secondary must refuse */
static void c_data_beyond(struct out *o)
{
	static const int64_t off[] = { 0, -4, 8, -1 };
	uint32_t i = rnd_below(6);
	uint64_t sector = i < 4 ? opt.sectors + off[i] : opt.sb_sector;

	add_req(o, HAREPL_WIRE_DATA, HAREPL_WIRE_F_ACK, sector, 4096, 4096);
	add_random(o, 4096);
}

static void c_data_overflow(struct out *o)
{
	static const uint64_t sec[] = { UINT64_MAX, UINT64_MAX - 3, 1ULL << 55,
					(1ULL << 63) + 8, UINT64_MAX - 7 };

	add_req(o, HAREPL_WIRE_DATA, HAREPL_WIRE_F_ACK, sec[rnd_below(5)], 4096, 4096);
	add_random(o, 4096);
}

static void c_data_len_mismatch(struct out *o)
{
	if (rnd_below(2)) {
		add_req(o, HAREPL_WIRE_DATA, HAREPL_WIRE_F_ACK, 0, 4096, 512);
		add_random(o, 512);
	} else {
		add_req(o, HAREPL_WIRE_DATA, HAREPL_WIRE_F_ACK, 0, 512, 4096);
		add_random(o, 4096);
	}
}

static void c_data_misaligned(struct out *o)
{
	static const uint32_t sizes[] = { 0, 1, 100, 1000, 4095 };
	uint32_t size = sizes[rnd_below(5)];

	add_req(o, HAREPL_WIRE_DATA, HAREPL_WIRE_F_ACK, 0, size, size);
	add_random(o, size);
}

static void c_data_oversize(struct out *o)
{
	static const uint32_t sizes[] = { HAREPL_WIRE_MAX_DATA + 4096, 0x7ffffe00, 0xfffffe00 };
	uint32_t size = sizes[rnd_below(3)];

	/* the header alone: the node must not wait for (or allocate) the payload */
	add_req(o, HAREPL_WIRE_DATA, HAREPL_WIRE_F_ACK, 0, size, size);
	add_random(o, 512);
}

static void c_discard_beyond(struct out *o)
{
	if (rnd_below(2))
		add_req(o, HAREPL_WIRE_DISCARD, HAREPL_WIRE_F_ACK, opt.sectors, 1 << 20, 0);
	else
		add_req(o, HAREPL_WIRE_DISCARD, HAREPL_WIRE_F_ACK, opt.sectors - 8, 8192, 0);
}

/* within the device, but larger than the primary ever sends */
static void c_discard_oversize(struct out *o)
{
	static const uint32_t sizes[] = { HAREPL_WIRE_MAX_DATA + 4096, 8 << 20 };

	add_req(o, rnd_below(2) ? HAREPL_WIRE_DISCARD : HAREPL_WIRE_WRITE_ZEROES,
		HAREPL_WIRE_F_ACK, 0, sizes[rnd_below(2)], 0);
}

static void c_discard_with_payload(struct out *o)
{
	add_req(o, rnd_below(2) ? HAREPL_WIRE_DISCARD : HAREPL_WIRE_WRITE_ZEROES,
		HAREPL_WIRE_F_ACK, 0, 4096, 4096);
	add_random(o, 4096);
}

static void c_zeroes_overflow(struct out *o)
{
	add_req(o, HAREPL_WIRE_WRITE_ZEROES, HAREPL_WIRE_F_ACK,
		rnd_below(2) ? UINT64_MAX - 7 : opt.sb_sector, 4096, 0);
}

static void c_flush_with_payload(struct out *o)
{
	add_req(o, HAREPL_WIRE_FLUSH, HAREPL_WIRE_F_ACK, 0, 0, 4096);
	add_random(o, 4096);
}

static void c_silent(struct out *o)
{
	(void)o;
}

static const struct cat cats[] = {
	{ "bad_magic", "pre", P_NONE, c_bad_magic, false, 0 },
	{ "bad_csum", "pre", P_NONE, c_bad_csum, false, 0 },
	{ "unknown_type", "pre", P_NONE, c_unknown_type, false, 0 },
	{ "bad_flags", "pre", P_NONE, c_bad_flags, false, 0 },
	{ "oversize_length", "pre", P_NONE, c_oversize_length, false, 0 },
	{ "short_length", "pre", P_NONE, c_short_length, false, 0 },
	{ "data_before_handshake", "pre", P_NONE, c_data_before_handshake, false, 0 },
	{ "truncated", "pre", P_NONE, c_truncated, true, 0 },
	{ "random", "pre", P_NONE, c_random, false, 0 },
	{ "hello_bad_version", "pre", P_NONE, c_hello_bad_version, false, 0 },
	{ "hello_wrong_resource", "pre", P_NONE, c_hello_wrong_resource, false, 0 },
	{ "hello_bad_node", "pre", P_NONE, c_hello_bad_node, false, 0 },
	{ "hello_then_garbage", "pre", P_NONE, c_hello_then_garbage, false, 0 },
	{ "hello_then_data", "pre", P_NONE, c_hello_then_data, false, 0 },
	{ "hello_wake", "pre", P_NONE, c_hello_wake, false, 0 },
	{ "bad_auth", "pre", P_NONE, c_bad_auth, false, 0 },
	{ "two_primaries", "primary", P_AUTH, c_two_primaries, false, 0 },
	{ "state_small", "primary", P_AUTH, c_state_small, false, 0 },
	{ "bad_state", "primary", P_AUTH, c_bad_state, false, 0 },
	{ "data_to_primary", "primary", P_FULL_SECONDARY, c_data_to_primary, false, 0 },
	{ "ack_bogus", "primary", P_FULL_SECONDARY, c_ack_bogus, false, 0 },
	{ "data_beyond", "secondary", P_FULL_PRIMARY, c_data_beyond, false, 0 },
	{ "data_overflow", "secondary", P_FULL_PRIMARY, c_data_overflow, false, 0 },
	{ "data_len_mismatch", "secondary", P_FULL_PRIMARY, c_data_len_mismatch, false, 0 },
	{ "data_misaligned", "secondary", P_FULL_PRIMARY, c_data_misaligned, false, 0 },
	{ "data_oversize", "secondary", P_FULL_PRIMARY, c_data_oversize, false, 0 },
	{ "discard_beyond", "secondary", P_FULL_PRIMARY, c_discard_beyond, false, 0 },
	{ "discard_oversize", "secondary", P_FULL_PRIMARY, c_discard_oversize, false, 0 },
	{ "discard_with_payload", "secondary", P_FULL_PRIMARY, c_discard_with_payload, false, 0 },
	{ "zeroes_overflow", "secondary", P_FULL_PRIMARY, c_zeroes_overflow, false, 0 },
	{ "flush_with_payload", "secondary", P_FULL_PRIMARY, c_flush_with_payload, false, 0 },
	/* a connection that never says anything: dropped after a handshake timeout */
	{ "silent", "", P_SILENT, c_silent, false, 20000 },
};
#define NCATS (sizeof(cats) / sizeof(cats[0]))

/* ---- one connection ------------------------------------------------------- */

enum result { R_CLOSED, R_OPEN, R_HS_FAIL, R_CONNECT_FAIL };

static char why_buf[200];

static void why(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why_buf, sizeof(why_buf), fmt, ap);
	va_end(ap);
}

static void why_append(const char *s)
{
	strncat(why_buf, s, sizeof(why_buf) - strlen(why_buf) - 1);
}

/* Reads exactly @n bytes within @ms; 0, or -1 (closed, error or timeout; see why_buf) */
static int read_full(int fd, void *buf, size_t n, int ms)
{
	int64_t end = now_ms() + ms;
	uint8_t *p = buf;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t r;
	int left;

	while (n) {
		left = (int)(end - now_ms());
		if (left <= 0 || poll(&pfd, 1, left) == 0) {
			why("timed out");
			return -1;
		}
		r = read(fd, p, n);
		if (r == 0) {
			why("closed by the node");
			return -1;
		}
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			why("read: %s", strerror(errno));
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Receives the node's next packet of @type (skipping PING and the like) */
static int recv_pkt(int fd, uint16_t type, void *payload, uint32_t len)
{
	struct harepl_wire_hdr h;
	uint8_t skip[4096];
	uint32_t csum, l;
	uint16_t t;

	for (;;) {
		if (read_full(fd, &h, sizeof(h), HS_TIMEOUT_MS))
			return -1;
		csum = ntohl(h.hdr_csum);
		h.hdr_csum = 0;
		if (ntohl(h.magic) != HAREPL_WIRE_MAGIC || crc32c(~0U, &h, sizeof(h)) != csum) {
			why("the node sent a bad header (magic %08x)", ntohl(h.magic));
			return -1;
		}
		t = ntohs(h.type);
		l = ntohl(h.length);
		if (t == type && l == len)
			return len ? read_full(fd, payload, len, HS_TIMEOUT_MS) : 0;
		if (t == HAREPL_WIRE_ERROR && l == sizeof(struct harepl_wire_error) &&
		    !read_full(fd, skip, l, HS_TIMEOUT_MS)) {
			struct harepl_wire_error *e = (void *)skip;

			e->reason[sizeof(e->reason) - 1] = 0;
			why("the node refused (code %u): %s", ntohl(e->code), e->reason);
			return -1;
		}
		if (t != HAREPL_WIRE_PING && t != HAREPL_WIRE_PING_ACK && t != HAREPL_WIRE_STATE &&
		    t != HAREPL_WIRE_GENS && t != HAREPL_WIRE_BITMAP) {
			why("expected packet type %u of %u bytes, got type %u of %u bytes",
			    type, len, t, l);
			return -1;
		}
		if (l > sizeof(skip) || read_full(fd, skip, l, HS_TIMEOUT_MS))
			return -1;
	}
}

static int send_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	ssize_t r;

	while (n) {
		r = send(fd, p, n, MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/*
 * The handshake: HELLO, AUTH (checking the node's), the node's STATE (which
 * it sends once it accepted our AUTH). With @with_state also our STATE
 * (@role) and a PING, which the node answers once it took our STATE.
 */
static int handshake(int fd, bool with_state, uint32_t role)
{
	struct harepl_wire_hello mine, theirs;
	uint8_t nonce[HAREPL_WIRE_NONCE_LEN], mac[32], got[32];
	struct harepl_wire_state st;
	struct harepl_wire_gens gens;
	struct out *o = calloc(1, sizeof(*o));
	int ret = -1;

	if (!o)
		return -1;
	good_hello(&mine, nonce);
	add_hello(o, &mine);
	if (send_all(fd, o->b, o->n)) {
		why("send of HELLO failed");
		goto out;
	}
	if (recv_pkt(fd, HAREPL_WIRE_HELLO, &theirs, sizeof(theirs)))
		goto out;
	o->n = 0;
	seal(add_hdr(o, HAREPL_WIRE_AUTH, sizeof(mac)));
	auth_mac(theirs.nonce, opt.my_id, mac);
	add_bytes(o, mac, sizeof(mac));
	if (send_all(fd, o->b, o->n)) {
		why("send of AUTH failed");
		goto out;
	}
	if (recv_pkt(fd, HAREPL_WIRE_AUTH, got, sizeof(got)))
		goto out;
	auth_mac(nonce, opt.their_id, mac);
	if (memcmp(mac, got, sizeof(mac))) {
		why("the node's AUTH is not HMAC-SHA256(secret, label || our nonce || its id)");
		goto out;
	}
	if (recv_pkt(fd, HAREPL_WIRE_STATE, &st, sizeof(st))) {
		why_append(" (waiting for the node's STATE: our AUTH refused?)");
		goto out;
	}
	if (with_state) {
		o->n = 0;
		add_state(o, role, role == HAREPL_ROLE_PRIMARY ? HAREPL_DISK_UPTODATE :
				   HAREPL_DISK_INCONSISTENT, opt.sectors);
		if (send_all(fd, o->b, o->n)) {
			why("send of STATE failed");
			goto out;
		}
		/*
		 * The node's generation, nothing out of sync here and no
		 * claim to be primary in GENS: the node never becomes our
		 * sync target (it may wait as sync source for a BITMAP that
		 * never comes), so the requests that follow are the input.
		 */
		if (recv_pkt(fd, HAREPL_WIRE_GENS, &gens, sizeof(gens))) {
			why_append(" (waiting for the node's GENS after our STATE)");
			goto out;
		}
		gens.bitmap_gen = 0;
		gens.oos_chunks = 0;
		gens.flags = htonl(HAREPL_GENS_CONSISTENT | HAREPL_GENS_UPTODATE);
		o->n = 0;
		seal(add_hdr(o, HAREPL_WIRE_GENS, sizeof(gens)));
		add_bytes(o, &gens, sizeof(gens));
		seal(add_hdr(o, HAREPL_WIRE_PING, 0));
		if (send_all(fd, o->b, o->n)) {
			why("send of GENS failed");
			goto out;
		}
		if (recv_pkt(fd, HAREPL_WIRE_PING_ACK, NULL, 0)) {
			why_append(" (waiting for PING_ACK after our STATE)");
			goto out;
		}
	}
	ret = 0;
out:
	free(o);
	return ret;
}

/* Waits up to @ms for the node to close; drops what it sends meanwhile */
static bool wait_closed(int fd, int ms, int *took)
{
	int64_t start = now_ms(), end = start + ms;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint8_t buf[4096];
	ssize_t r;
	int left;

	for (;;) {
		left = (int)(end - now_ms());
		if (left <= 0 || poll(&pfd, 1, left) == 0)
			return false;
		r = read(fd, buf, sizeof(buf));
		if (r == 0 || (r < 0 && (errno == ECONNRESET || errno == EPIPE))) {
			*took = (int)(now_ms() - start);
			return true;
		}
		if (r < 0 && errno != EINTR && errno != EAGAIN) {
			*took = (int)(now_ms() - start);
			return true;	/* any other error: the connection is gone too */
		}
	}
}

static int connect_node(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, err;
	struct pollfd pfd;
	socklen_t l = sizeof(err);

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&opt.addr, sizeof(opt.addr)) && errno != EINPROGRESS) {
		why("connect: %s", strerror(errno));
		close(fd);
		return -1;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, 3000) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) || err) {
		why("connect: %s", err ? strerror(err) : "timed out");
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, 0);
	return fd;
}

static void abort_close(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static enum result one(const struct cat *c, int *took)
{
	struct out *o = calloc(1, sizeof(*o));
	enum result res = R_OPEN;
	int fd, err;

	*took = 0;
	if (!o)
		return R_HS_FAIL;
	fd = connect_node();
	if (fd < 0) {
		free(o);
		return R_CONNECT_FAIL;
	}
	switch (c->prelude) {
	case P_AUTH:
		err = handshake(fd, false, 0);
		break;
	case P_FULL_SECONDARY:
		err = handshake(fd, true, HAREPL_ROLE_SECONDARY);
		break;
	case P_FULL_PRIMARY:
		err = handshake(fd, true, HAREPL_ROLE_PRIMARY);
		break;
	default:
		err = 0;
	}
	if (err) {
		res = R_HS_FAIL;
		goto out;
	}
	c->build(o);
	err = send_all(fd, o->b, o->n);
	if (err == -EPIPE || err == -ECONNRESET) {
		res = R_CLOSED;	/* closed while we were still sending */
		goto out;
	}
	if (err) {
		why("send: %s", strerror(-err));
		res = R_HS_FAIL;
		goto out;
	}
	if (c->shut_wr)
		shutdown(fd, SHUT_WR);
	if (wait_closed(fd, c->wait_ms ? c->wait_ms : opt.close_ms, took))
		res = R_CLOSED;
	else
		why("still open after %d ms", c->wait_ms ? c->wait_ms : opt.close_ms);
out:
	abort_close(fd);
	free(o);
	return res;
}

/* ---- main ------------------------------------------------------------------ */

struct stats {
	unsigned long tried, closed, open, hs_fail, conn_fail, shown;
	int max_ms;
	bool gave_up;
};

static void usage(void)
{
	fprintf(stderr, "usage: hostile_peer [-n N] [-s SECRET] [-r NAME] [-i ID] [-p ID] "
		"[-S SECTORS] [-M SECTOR] [-t MS] [-d SEC] [-v] ADDR:PORT CATEGORY...\n"
		"       hostile_peer -l | -T\n");
	exit(2);
}

static bool selected(const struct cat *c, char **names, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (!strcmp(names[i], c->name))
			return true;
		if (*c->group && !strcmp(names[i], c->group))
			return true;
		if (!strcmp(names[i], "primary") && !strcmp(c->group, "pre"))
			return true;
	}
	return false;
}

int main(int argc, char *argv[])
{
	static struct stats st[NCATS];
	unsigned long n = 1, round, total = 0, closed = 0;
	bool use[NCATS] = { false }, any = false, failed = false;
	int64_t deadline;
	char *port;
	size_t i;
	int c, took;

	while ((c = getopt(argc, argv, "n:s:r:i:p:S:M:t:d:vlT")) != -1) {
		switch (c) {
		case 'n': n = strtoul(optarg, NULL, 0); break;
		case 's': opt.secret = optarg; break;
		case 'r': opt.resource = optarg; break;
		case 'i': opt.my_id = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'p': opt.their_id = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'S': opt.sectors = strtoull(optarg, NULL, 0); break;
		case 'M': opt.sb_sector = strtoull(optarg, NULL, 0); break;
		case 't': opt.close_ms = atoi(optarg); break;
		case 'd': opt.deadline_s = atoi(optarg); break;
		case 'v': opt.verbose = true; break;
		case 'l':
			for (i = 0; i < NCATS; i++)
				printf("%-22s %s\n", cats[i].name, cats[i].group);
			return 0;
		case 'T':
			return selftest();
		default:
			usage();
		}
	}
	if (argc - optind < 2 || n < 1)
		usage();
	port = strrchr(argv[optind], ':');
	if (!port)
		usage();
	*port++ = 0;
	opt.addr.sin_family = AF_INET;
	opt.addr.sin_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, argv[optind], &opt.addr.sin_addr) != 1)
		usage();
	if (!opt.sb_sector)
		opt.sb_sector = opt.sectors + 8;
	for (i = 0; i < NCATS; i++) {
		use[i] = selected(&cats[i], argv + optind + 1, argc - optind - 1);
		any |= use[i];
		if (use[i] && cats[i].prelude != P_NONE && cats[i].prelude != P_SILENT &&
		    (!opt.secret || !opt.sectors)) {
			fprintf(stderr, "hostile_peer: %s needs -s SECRET and -S SECTORS\n",
				cats[i].name);
			return 2;
		}
	}
	if (!any)
		usage();
	rng_state = ((uint64_t)now_ms() * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)getpid() << 32) ^ 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	deadline = now_ms() + (int64_t)opt.deadline_s * 1000;

	for (round = 0; round < n && now_ms() < deadline; round++) {
		for (i = 0; i < NCATS && now_ms() < deadline; i++) {
			struct stats *s = &st[i];
			enum result r;

			if (!use[i] || s->gave_up)
				continue;
			r = one(&cats[i], &took);
			s->tried++;
			total++;
			switch (r) {
			case R_CLOSED:
				s->closed++;
				closed++;
				if (took > s->max_ms)
					s->max_ms = took;
				break;
			case R_OPEN:
				s->open++;
				break;
			case R_HS_FAIL:
				s->hs_fail++;
				break;
			case R_CONNECT_FAIL:
				s->conn_fail++;
				if (total == 1) {
					printf("cannot connect to %s:%s: %s\n", argv[optind], port,
					       why_buf);
					return 2;
				}
				break;
			}
			if (r != R_CLOSED && (opt.verbose || s->shown < 3) && s->shown++ < 10)
				printf("%s #%lu: %s\n", cats[i].name, s->tried, why_buf);
			/* the same failure three times from the start: the rest would only take time */
			if (r != R_CLOSED && s->closed == 0 && s->tried >= 3) {
				s->gave_up = true;
				printf("%s: giving up after %lu failures\n", cats[i].name, s->tried);
			}
			if (total >= 6 && closed == 0) {
				printf("the node closed none of the first %lu connections: giving up\n",
				       total);
				deadline = 0;
			}
		}
	}
	for (i = 0; i < NCATS; i++) {
		struct stats *s = &st[i];

		if (!use[i])
			continue;
		printf("category %s: %lu tried, %lu closed (slowest %d ms), %lu left open, "
		       "%lu handshakes failed, %lu connects failed%s\n", cats[i].name,
		       s->tried, s->closed, s->max_ms, s->open, s->hs_fail, s->conn_fail,
		       s->gave_up ? ", gave up" : "");
		if (s->closed != s->tried || s->tried != n)
			failed = true;
	}
	printf("total: %lu connections, %lu closed by the node%s\n", total, closed,
	       !deadline ? " (gave up)" : now_ms() >= deadline ? " (deadline reached)" : "");
	return failed ? 1 : 0;
}
