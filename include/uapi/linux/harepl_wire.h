/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * harepl wire protocol, spoken between the nodes of a resource over TCP.
 * Shared with userspace so that test tools can speak (and abuse) it;
 * Documentation/protocol.rst describes it in prose.
 *
 * Every packet is a struct harepl_wire_hdr, big-endian, followed by
 * @length bytes of payload. hdr_csum is the CRC32C (seed ~0, no final
 * inversion) of the header with hdr_csum zeroed. A receiver checks magic,
 * checksum, type, length, sector range and state before using anything;
 * any violation closes the connection with a logged reason.
 *
 * Handshake, both sides at once, right after the TCP connection:
 *   HELLO  -> (struct harepl_wire_hello)     versions, node id, nonce
 *   AUTH   -> (HAREPL_WIRE_MAC_LEN bytes)    HMAC-SHA256(secret,
 *              "harepl-auth-v1" || peer's nonce || own node id, be32)
 *   STATE  -> (struct harepl_wire_state)     role, disk, size
 *   GENS   -> (struct harepl_wire_gens)      generation ids
 * A side that refuses sends ERROR (struct harepl_wire_error) and closes;
 * ERROR is only sent during the handshake. Nothing but these is sent
 * before both AUTHs have been verified. The whole handshake has 5 s.
 *
 * Replication (primary to secondary; seq is the primary's request id):
 *   DATA          sector, size, payload of size bytes, flags FUA/PREFLUSH
 *   DISCARD       sector, size (no payload)
 *   WRITE_ZEROES  sector, size (no payload)
 *   FLUSH         empty flush (no payload)
 *   ACK           secondary to primary, for requests with F_ACK: seq,
 *                 status (0 or -errno)
 * Requests carry an epoch: the secondary applies no request of epoch E+1
 * before every request of epoch E has completed on its disk. Towards an
 * async peer the primary starts a new epoch whenever a write completed
 * since the last request was sent, so writes completed before another was
 * issued reach the secondary's disk first. A sync peer's epoch changes only
 * with the connection: a write completes only once that peer has it.
 *
 * Resync (source to target, after GENS on both sides decided a direction):
 *   BITMAP        target to source: what the target knows it lacks or
 *                 changed (runs of chunks); the source merges it
 *   RS_DATA       sector, size, payload: a resync write; the target ACKs it
 *                 with RS_ACK and applies it after everything received
 *                 before it, and before anything received after it
 *   CSUM          checksums instead of data (checksum resync or verify);
 *                 answered by CSUM_REPLY
 *   RS_DONE       (struct harepl_wire_gens) everything was sent and
 *                 acknowledged: the target takes the source's current id
 *
 * After the handshake: PING / PING_ACK (keepalive, when the connection is
 * idle), STATE (role or disk changed). A bad packet closes the connection
 * without further notice; the reason is in the receiver's log. Async peers
 * also ACK every write, so that the primary knows what never arrived.
 */

#ifndef _UAPI_LINUX_HAREPL_WIRE_H
#define _UAPI_LINUX_HAREPL_WIRE_H

#include <linux/types.h>

#define HAREPL_WIRE_MAGIC	0x48524550	/* "HREP" */
/* 2: GENS of 88 bytes (split-brain policy and flags); 1 had 80 */
#define HAREPL_WIRE_VERSION_MIN	2
#define HAREPL_WIRE_VERSION_MAX	2
#define HAREPL_WIRE_NONCE_LEN	32
#define HAREPL_WIRE_MAC_LEN	32
#define HAREPL_WIRE_MAX_DATA	(1U << 20)	/* largest DATA payload */
#define HAREPL_WIRE_DEFAULT_PORT 7789

enum harepl_wire_type {
	HAREPL_WIRE_HELLO = 1,
	HAREPL_WIRE_AUTH,
	HAREPL_WIRE_STATE,
	HAREPL_WIRE_ERROR,
	HAREPL_WIRE_DATA,
	HAREPL_WIRE_DISCARD,
	HAREPL_WIRE_WRITE_ZEROES,
	HAREPL_WIRE_FLUSH,
	HAREPL_WIRE_ACK,
	HAREPL_WIRE_PING,
	HAREPL_WIRE_PING_ACK,
	HAREPL_WIRE_GENS,
	HAREPL_WIRE_BITMAP,
	HAREPL_WIRE_RS_DATA,
	HAREPL_WIRE_RS_ACK,
	HAREPL_WIRE_CSUM,
	HAREPL_WIRE_CSUM_REPLY,
	HAREPL_WIRE_RS_DONE,
	__HAREPL_WIRE_TYPE_MAX
};

/* harepl_wire_hdr.flags */
enum harepl_wire_flag {
	HAREPL_WIRE_F_FUA	= 1U << 0,
	HAREPL_WIRE_F_PREFLUSH	= 1U << 1,
	HAREPL_WIRE_F_ACK	= 1U << 2,	/* the sender waits for an ACK */
	HAREPL_WIRE_F_LAST	= 1U << 3,	/* BITMAP: the last one */
	HAREPL_WIRE_F_VERIFY	= 1U << 4,	/* CSUM: verify, do not repair */
	/* GENS: a full sync to the receiver starts; it takes bitmap_gen */
	HAREPL_WIRE_F_FULL	= 1U << 5,
	/* GENS: a bitmap resync to the receiver starts */
	HAREPL_WIRE_F_START	= 1U << 6,
	/*
	 * HELLO from the node that does not dial: "I am listening again,
	 * connect to me now"; nothing else follows on that connection
	 */
	HAREPL_WIRE_F_WAKE	= 1U << 7,
	__HAREPL_WIRE_F_ALL	= 0xff
};

struct harepl_wire_hdr {
	__be32 magic;
	__be16 type;
	__be16 flags;
	__be32 length;		/* payload bytes after this header */
	__be32 epoch;
	__be64 seq;
	__be64 sector;
	__be32 size;		/* bytes of the device the request covers */
	__be32 status;		/* ACK: 0 or a negative errno */
	__be32 reserved;	/* zero */
	__be32 hdr_csum;
} __attribute__((packed));

/* Sent by both sides first */
struct harepl_wire_hello {
	__be32 version_min;
	__be32 version_max;
	__be32 node_id;
	__be32 peer_node_id;	/* who the sender thinks it talks to */
	__u8   nonce[HAREPL_WIRE_NONCE_LEN];
	char   resource[32];	/* resource name, NUL padded */
} __attribute__((packed));

struct harepl_wire_state {
	__be32 role;		/* enum harepl_role */
	__be32 disk;		/* enum harepl_disk_state */
	__be32 mode;		/* enum harepl_mode the sender uses to us */
	__be32 reserved;
	__be64 size;		/* data sectors */
} __attribute__((packed));

/*
 * GENS: the sender's generation ids and what it knows of the receiver;
 * sent in the handshake after STATE, and whenever they change.
 */
enum harepl_wire_gens_flag {
	HAREPL_GENS_CRASHED_PRIMARY = 1U << 0,	/* was primary at a crash */
	HAREPL_GENS_CONSISTENT	    = 1U << 1,
	HAREPL_GENS_UPTODATE	    = 1U << 2,
	HAREPL_GENS_PRIMARY	    = 1U << 3,	/* role now */
	/* the sender was primary when it lost the receiver (bitmap_gen set) */
	HAREPL_GENS_SPLIT_PRIMARY   = 1U << 4,
	/* connect --discard-my-data: in a split brain the sender is target */
	HAREPL_GENS_DISCARD_MY_DATA = 1U << 5,
	__HAREPL_GENS_ALL	    = 0x3f
};

struct harepl_wire_gens {
	__be64 current_gen;
	__be64 bitmap_gen;	/* sender's slot for the receiver */
	__be64 history[4];
	__be64 oos_chunks;	/* bits set in that slot */
	__be32 flags;		/* enum harepl_wire_gens_flag */
	__be32 chunk_sectors;	/* must equal the receiver's */
	__u8   uuid[16];
	__be32 after_sb;	/* enum harepl_after_sb for the receiver */
	__be32 reserved;	/* zero */
} __attribute__((packed));

/*
 * BITMAP: the sync target's slot for the source, as runs of set chunks,
 * each a pair of __be64 (first chunk, count); F_LAST on the final one.
 */
#define HAREPL_WIRE_BITMAP_RUNS	256

/*
 * CSUM: a SHA-256 per chunk of [sector, sector + size), at most
 * HAREPL_WIRE_CSUM_MAX_CHUNKS chunks and HAREPL_WIRE_MAX_DATA bytes; the receiver
 * answers with CSUM_REPLY (same seq, sector, size) whose payload is a
 * bitmap (bit n of byte n / 8: chunk n differs), ceil(chunks / 8) bytes.
 */
#define HAREPL_WIRE_CSUM_LEN	32
#define HAREPL_WIRE_CSUM_MAX_CHUNKS 256

enum harepl_wire_error_code {
	HAREPL_WIRE_E_PROTOCOL = 1,	/* malformed or unexpected packet */
	HAREPL_WIRE_E_VERSION,		/* no common protocol version */
	HAREPL_WIRE_E_AUTH,		/* authentication failed */
	HAREPL_WIRE_E_PEER,		/* unknown node id or resource */
	HAREPL_WIRE_E_SIZE,		/* the peer's device is smaller */
	HAREPL_WIRE_E_ROLE,		/* two primaries */
	__HAREPL_WIRE_E_MAX
};

struct harepl_wire_error {
	__be32 code;		/* enum harepl_wire_error_code */
	char   reason[60];	/* NUL terminated, for the log */
} __attribute__((packed));

#endif /* _UAPI_LINUX_HAREPL_WIRE_H */
