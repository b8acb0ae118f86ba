/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * harepl: block-level replication, the contract between harepl.ko and
 * hareplctl.
 *
 * Generic netlink
 * ===============
 *
 * Family HAREPL_GENL_NAME, version HAREPL_GENL_VERSION. A resource belongs to
 * the network namespace of the process that created its dm device; every
 * command sees only the resources of the caller's namespace. Commands that
 * change state need CAP_NET_ADMIN (in the initial user namespace, as the dm
 * devices behind resources need CAP_SYS_ADMIN there). Every error reply
 * carries an extack message.
 *
 * HAREPL_CMD_GET_RESOURCE
 * -----------------------
 *
 * As a request without NLM_F_DUMP it must contain:
 *
 *    HAREPL_A_RES_NAME: NLA_NUL_STRING, maxlen HAREPL_NAME_MAX - 1
 *
 * and is answered by one message holding the attributes below, or ENOENT
 * when no resource of that name exists in the caller's namespace. As a
 * dump (NLM_F_DUMP) it takes no attributes and returns one message per
 * resource. A dump that raced with a resource being created or destroyed
 * has NLM_F_DUMP_INTR set on a message. Each message holds:
 *
 *    HAREPL_A_RES_NAME: NLA_NUL_STRING
 *    HAREPL_A_RES_DM_NAME: NLA_NUL_STRING, the dm device's name (at most
 *        DM_NAME_LEN - 1 bytes; empty in the event of its destruction)
 *    HAREPL_A_RES_ROLE: NLA_U32, enum harepl_role
 *    HAREPL_A_RES_DISK_STATE: NLA_U32, enum harepl_disk_state
 *    HAREPL_A_RES_CONN_STATE: NLA_U32, enum harepl_conn_state
 *    HAREPL_A_RES_SIZE: NLA_U64, size of the replicated device, in sectors
 *    HAREPL_A_RES_DATA_DEV: NLA_NUL_STRING, backing data device ("vdb")
 *    HAREPL_A_RES_META_DEV: NLA_NUL_STRING, metadata device, or "internal"
 *    HAREPL_A_RES_MD_SB_SECTOR: NLA_U64, superblock, sector in the meta dev
 *    HAREPL_A_RES_MD_AL_SECTOR: NLA_U64, write-intent area, sector
 *    HAREPL_A_RES_MD_BM_SECTOR: NLA_U64, bitmap area, sector
 *    HAREPL_A_RES_MD_SECTORS: NLA_U64, total size of the metadata area
 *    HAREPL_A_RES_NODE_ID: NLA_U32
 *    HAREPL_A_RES_UUID: binary, HAREPL_UUID_LEN bytes
 *    HAREPL_A_RES_READS: NLA_U64, read bios mapped since creation
 *    HAREPL_A_RES_WRITES: NLA_U64, write, discard and write-zeroes bios
 *        mapped since creation
 *    HAREPL_A_RES_LOCAL_ADDR: struct sockaddr_in or sockaddr_in6, when
 *        connected (HAREPL_CMD_CONNECT)
 *    HAREPL_A_RES_GEN_CURRENT: NLA_U64
 *    HAREPL_A_RES_GEN_HISTORY: binary, HAREPL_MD_HISTORY __u64 in host order
 *    HAREPL_A_RES_MD_FLAGS: NLA_U32, enum harepl_md_flag as on disk now
 *    HAREPL_A_RES_AL_EXTENTS: NLA_U32, write-intent hot set size
 *    HAREPL_A_RES_AL_WRITES: NLA_U64, write-intent transactions written
 *    HAREPL_A_RES_PEERS: NLA_NESTED, one NLA_NESTED (type 0) per peer:
 *        HAREPL_PEER_A_NODE_ID: NLA_U32
 *        HAREPL_PEER_A_ADDR: struct sockaddr_in or sockaddr_in6
 *        HAREPL_PEER_A_MODE: NLA_U32, enum harepl_mode
 *        HAREPL_PEER_A_CONN_STATE: NLA_U32, enum harepl_conn_state
 *        HAREPL_PEER_A_ROLE: NLA_U32, the peer's role, when connected
 *        HAREPL_PEER_A_DISK_STATE: NLA_U32, the peer's disk, when connected
 *        HAREPL_PEER_A_INFLIGHT: NLA_U32, writes sent and not yet acked
 *        HAREPL_PEER_A_BYTES_SENT: NLA_U64, bytes written to its socket
 *        HAREPL_PEER_A_BYTES_RECV: NLA_U64, bytes read from it
 *        HAREPL_PEER_A_OOS_BYTES: NLA_U64, out of sync with this peer
 *        HAREPL_PEER_A_GEN_BITMAP: NLA_U64, our slot's id for the peer
 *        HAREPL_PEER_A_GEN_CURRENT: NLA_U64, the peer's, when connected
 *        HAREPL_PEER_A_RESYNC_TOTAL: NLA_U64, bytes the running (or last)
 *            resync or verify had to cover when it started
 *        HAREPL_PEER_A_RESYNC_DONE: NLA_U64, bytes of it covered so far
 *        HAREPL_PEER_A_RESYNC_RATE: NLA_U64, bytes/s over the last seconds
 *        HAREPL_PEER_A_RESYNC_BYTES: NLA_U64, resync payload bytes sent to
 *            or received from the peer since CONNECT
 *        HAREPL_PEER_A_VERIFY_DIFF: NLA_U64, bytes the last verify found
 *            different
 *        HAREPL_PEER_A_TIMEOUT_MS, HAREPL_PEER_A_SNDBUF,
 *        HAREPL_PEER_A_ON_CONGESTION, HAREPL_PEER_A_RESYNC_RATE_MAX,
 *        HAREPL_PEER_A_CSUMS, HAREPL_PEER_A_AFTER_SB: as configured
 *        HAREPL_PEER_A_SB_RESULT: NLA_U32, enum harepl_sb_result, the last
 *            split-brain decision with this peer since CONNECT
 *        HAREPL_PEER_A_SB_REASON: NLA_NUL_STRING, why (empty when none)
 *
 * HAREPL_A_RES_PEERS is an empty nest when there are no peers; every peer
 * attribute is present except ROLE and DISK_STATE, which are sent only
 * while connected. The resource's HAREPL_A_RES_CONN_STATE is the best of
 * its peers' states: a connected one, then Ahead/Behind, then Connecting;
 * StandAlone without peers. A change of any peer's state is reported as
 * HAREPL_EVENT_CONN with the whole resource, peers included.
 *
 * HAREPL_CMD_SET_ROLE
 * -------------------
 *
 * Needs CAP_NET_ADMIN. Must contain:
 *
 *    HAREPL_A_RES_NAME: NLA_NUL_STRING, maxlen HAREPL_NAME_MAX - 1
 *    HAREPL_A_RES_ROLE: NLA_U32, enum harepl_role
 *
 * and may contain:
 *
 *    HAREPL_A_ROLE_FLAGS: NLA_U32, HAREPL_ROLE_F_* bits
 *
 * Setting the role a resource already has succeeds and changes nothing.
 * Promotion to primary needs a disk state of UpToDate (else EBUSY) unless
 * HAREPL_ROLE_F_FORCE is given, which makes the disk UpToDate: for the
 * first primary of a new pair, or to keep local data that may be older than
 * a peer's. A secondary's dm device is read-only and fails reads and
 * writes; so does a primary's whose table was loaded read-only.
 *
 * HAREPL_CMD_CONNECT
 * ------------------
 *
 * Needs CAP_NET_ADMIN. Starts replication: listens on the local address
 * and connects to every peer with a higher node id (a peer with a lower
 * one connects to us; a second connection is closed). Sockets live in
 * the caller's network namespace, which they keep alive until DISCONNECT.
 * Peer and local addresses must be of one family and have a port; there
 * may be at most as many peers as the superblock has bitmap slots (else
 * E2BIG). HAREPL_PEER_A_SNDBUF and _ON_CONGESTION only matter for async
 * peers. Contains:
 *
 *    HAREPL_A_RES_NAME: NLA_NUL_STRING
 *    HAREPL_A_RES_LOCAL_ADDR: struct sockaddr_in or sockaddr_in6
 *    HAREPL_A_RES_SECRET: binary, 1..HAREPL_SECRET_MAX bytes, optional
 *        (without it peers are not authenticated; empty is refused);
 *        never reported back
 *    HAREPL_A_RES_PEERS: NLA_NESTED, 1..HAREPL_MAX_PEERS entries of
 *        NLA_NESTED, each:
 *        HAREPL_PEER_A_NODE_ID: NLA_U32, required, differs from ours
 *        HAREPL_PEER_A_ADDR: struct sockaddr_in or sockaddr_in6, required
 *        HAREPL_PEER_A_MODE: NLA_U32, enum harepl_mode, default sync
 *        HAREPL_PEER_A_TIMEOUT_MS: NLA_U32, 100..600000, default 5000:
 *            a peer silent this long is disconnected, and no write waits
 *            for it longer than this
 *        HAREPL_PEER_A_SNDBUF: NLA_U32, async send buffer in bytes,
 *            64 KiB..256 MiB, default 4 MiB
 *        HAREPL_PEER_A_ON_CONGESTION: NLA_U32, enum harepl_congestion,
 *            what an async peer does when its buffer is full
 *        HAREPL_PEER_A_RESYNC_RATE_MAX: NLA_U32, KiB/s, 64..4194304,
 *            default 102400: resync never goes faster; it slows down
 *            further while application writes are in flight
 *        HAREPL_PEER_A_CSUMS: NLA_U32, 0 or 1: a full resync sends
 *            checksums first and data only where they differ
 *        HAREPL_PEER_A_AFTER_SB: NLA_U32, enum harepl_after_sb, default
 *            HAREPL_AFTER_SB_DISCONNECT: how a split brain with this peer
 *            is resolved; the peer must be configured the same
 *    HAREPL_A_CONNECT_FLAGS: NLA_U32, HAREPL_CONNECT_F_* bits, optional:
 *        HAREPL_CONNECT_F_DISCARD_MY_DATA makes this node the sync target
 *        of a split brain the first handshake with each peer finds (unless
 *        it is primary or the peer says the same); without a split brain
 *        it is ignored (logged)
 *    HAREPL_A_RES_FENCING: NLA_U32, enum harepl_fencing, default none
 *    HAREPL_A_RES_FENCE_HANDLER: NLA_NUL_STRING, an absolute path of at
 *        most HAREPL_FENCE_HANDLER_MAX - 1 bytes; required unless FENCING
 *        is none
 *
 * EBUSY when the resource is already connected (disconnect first).
 *
 * Fencing
 * -------
 *
 * When a primary loses the connection to a sync peer (timeout, reset,
 * protocol error, failed send; not DISCONNECT, which is the admin's
 * decision), it runs the fence handler with HAREPL_RESOURCE,
 * HAREPL_PEER_ADDRESS, HAREPL_PEER_NODE_ID and HAREPL_FENCING in its
 * environment. Exit status 0 means the peer is fenced (outdated or dead);
 * anything else, or a handler that cannot run, is a failure. With
 * resource-only, writing goes on meanwhile. With resource-and-stonith,
 * writes that lacked the peer's ACK are not completed and new writes and
 * flushes are queued (reads are served) until every handler started for
 * the resource succeeded; after a failure they stay frozen until
 * HAREPL_CMD_RESUME_IO. While frozen, no peer connection is accepted,
 * and DISCONNECT does not thaw. HAREPL_NODE_ID (ours) and PATH are in the
 * environment too; the handler's first argument is "fence-peer".
 * GET_RESOURCE and events report:
 *
 *    HAREPL_A_RES_FENCING: NLA_U32, as the last CONNECT set it (none
 *        before)
 *    HAREPL_A_RES_FENCE_HANDLER: NLA_NUL_STRING, when one was set
 *    HAREPL_A_RES_IO_FROZEN: NLA_U32, enum harepl_freeze
 *    HAREPL_A_RES_FENCE_STATE: NLA_U32, enum harepl_fence_state
 *    HAREPL_A_RES_FENCE_PEER_ID: NLA_U32, the peer the last handler was
 *        for, once one ran
 *    HAREPL_A_RES_FENCE_EXIT: NLA_S32, the last handler's exit status
 *        (0..255; 128 + n when signal n killed it), or a negative errno
 *        when it could not run; once one ended
 *
 * A HAREPL_EVENT_FENCE reports a handler starting (and I/O freezing),
 * its end, and I/O thawing.
 *
 * HAREPL_CMD_RESUME_IO
 * --------------------
 *
 * Needs CAP_NET_ADMIN. Contains HAREPL_A_RES_NAME and optionally
 * HAREPL_A_RESUME_FLAGS (NLA_U32, HAREPL_RESUME_F_*). Thaws I/O frozen by
 * fencing without waiting for a handler: the frozen writes complete
 * (successfully, as they are on the local disk; with
 * HAREPL_RESUME_F_FAIL they and the queued ones fail with EIO) and the
 * queued writes start. Acknowledged writes may then be missing on the
 * peer, which may be promoted meanwhile: the risk fencing exists to
 * avoid. Succeeds, changing nothing, when I/O is not frozen.
 *
 * HAREPL_CMD_DISCONNECT
 * ---------------------
 *
 * Needs CAP_NET_ADMIN. Contains HAREPL_A_RES_NAME. Closes every
 * connection and forgets the peers; what they lack stays recorded in the
 * on-disk bitmap and is resynced at the next connection. Disconnecting a
 * resource that is not connected succeeds.
 *
 * HAREPL_CMD_RESYNC, HAREPL_CMD_VERIFY, HAREPL_CMD_INVALIDATE
 * -----------------------------------------------------------
 *
 * Need CAP_NET_ADMIN. Contain HAREPL_A_RES_NAME and, when the resource has
 * more than one peer, HAREPL_A_PEER_ID (the peer's node id). The peer must
 * be connected and not resyncing or verifying (else EBUSY/ENOTCONN).
 *
 * RESYNC sends this node's data for every chunk recorded out of sync for
 * the peer (after a VERIFY, say); this node must be UpToDate and the peer
 * not primary. VERIFY compares a SHA-256 of every chunk with the peer's
 * and records the chunks that differ as out of sync for it (reported in
 * HAREPL_PEER_A_VERIFY_DIFF; nothing is copied). INVALIDATE, on a node
 * that is not primary, throws its data away: the disk becomes Inconsistent
 * and a full resync from the peer starts.
 *
 * Generation ids
 * --------------
 *
 * gen_current names the data's generation; a node that starts writing
 * while a peer cannot follow (promotion while that peer is not connected,
 * or losing it while primary) records gen_current as that peer's slot's
 * gen_bitmap (if the slot had none) and draws a new gen_current, pushing
 * the old one into gen_history. On connect the nodes compare them (see
 * Documentation/resync.rst): equal current ids mean the bitmaps say what
 * differs; a peer's bitmap id equal to our current id makes it the sync
 * source; equal bitmap ids with different current ids are a split brain.
 *
 * Events
 * ------
 *
 * The multicast group HAREPL_MCGRP_EVENTS carries HAREPL_CMD_EVENT messages
 * for the resources of the listener's namespace. Each holds:
 *
 *    HAREPL_A_EVENT: NLA_U32, enum harepl_event
 *    HAREPL_A_EVENT_SEQ: NLA_U64, per-namespace sequence number, starting
 *        at 1 and increasing by one per event; multicast may drop or
 *        reorder messages, so a gap tells a listener it missed one
 *    HAREPL_A_EVENT_TIME: NLA_U64, CLOCK_REALTIME in nanoseconds
 *    and the resource attributes of HAREPL_CMD_GET_RESOURCE, as they are
 *    after the change (for HAREPL_EVENT_DESTROYED: before).
 *
 * HAREPL_EVENT_RESYNC reports a resync or verify starting, about once a
 * second while it runs (progress in the peer attributes), and ending.
 * HAREPL_EVENT_SPLIT_BRAIN: a split brain (both nodes changed their data
 * while apart) was found with a peer and decided: HAREPL_PEER_A_SB_RESULT
 * and _SB_REASON say how. Refused: the peer's connection state is
 * SplitBrain, the nodes stay disconnected and nothing is copied until
 * DISCONNECT and CONNECT. Resolved: one node's changes since the split are
 * overwritten by a resync from the other (Documentation/split-brain.rst).
 *
 * On-disk metadata
 * ================
 *
 * struct harepl_md_sb, little-endian, at HAREPL_MD_SB_SIZE bytes. With
 * external metadata it is at sector 0 of the metadata device and the
 * write-intent area and the bitmap follow it. With internal metadata it
 * is in the last 4 KiB-aligned 4 KiB of the data device, the bitmap and the
 * write-intent area lie below it, and the replicated device is the first
 * data_sectors sectors. All sector numbers are 512-byte units within the
 * metadata device (the data device when internal). The checksum is the
 * CRC32C (Castagnoli, reflected, seed ~0, no final inversion) of the whole
 * HAREPL_MD_SB_SIZE bytes with the checksum field zeroed.
 */

#ifndef _UAPI_LINUX_HAREPL_H
#define _UAPI_LINUX_HAREPL_H

#include <linux/types.h>

#define HAREPL_GENL_NAME	"harepl"
#define HAREPL_GENL_VERSION	1
#define HAREPL_MCGRP_EVENTS	"events"

/* A resource name: 1..31 of [A-Za-z0-9_.-], not starting with '.' or '-' */
#define HAREPL_NAME_MAX		32
#define HAREPL_UUID_LEN		16
/* Longest device name reported in HAREPL_A_RES_{DATA,META}_DEV */
#define HAREPL_DEVNAME_MAX	32

/* The dm target */
#define HAREPL_TARGET_NAME	"harepl"
#define HAREPL_META_INTERNAL	"internal"

enum harepl_cmd {
	HAREPL_CMD_UNSPEC,
	HAREPL_CMD_GET_RESOURCE,
	HAREPL_CMD_SET_ROLE,
	HAREPL_CMD_EVENT,
	HAREPL_CMD_CONNECT,
	HAREPL_CMD_DISCONNECT,
	HAREPL_CMD_RESYNC,
	HAREPL_CMD_VERIFY,
	HAREPL_CMD_INVALIDATE,
	HAREPL_CMD_RESUME_IO,
	__HAREPL_CMD_MAX
};

#define HAREPL_CMD_MAX (__HAREPL_CMD_MAX - 1)

enum harepl_attr {
	HAREPL_A_UNSPEC,
	HAREPL_A_RES_NAME,
	HAREPL_A_RES_DM_NAME,
	HAREPL_A_RES_ROLE,
	HAREPL_A_RES_DISK_STATE,
	HAREPL_A_RES_CONN_STATE,
	HAREPL_A_RES_SIZE,
	HAREPL_A_RES_DATA_DEV,
	HAREPL_A_RES_META_DEV,
	HAREPL_A_RES_MD_SB_SECTOR,
	HAREPL_A_RES_MD_AL_SECTOR,
	HAREPL_A_RES_MD_BM_SECTOR,
	HAREPL_A_RES_MD_SECTORS,
	HAREPL_A_RES_NODE_ID,
	HAREPL_A_RES_UUID,
	HAREPL_A_RES_READS,
	HAREPL_A_RES_WRITES,
	HAREPL_A_ROLE_FLAGS,
	HAREPL_A_EVENT,
	HAREPL_A_EVENT_SEQ,
	HAREPL_A_EVENT_TIME,
	HAREPL_A_PAD,
	HAREPL_A_RES_LOCAL_ADDR,
	HAREPL_A_RES_SECRET,
	HAREPL_A_RES_PEERS,
	HAREPL_A_RES_GEN_CURRENT,
	HAREPL_A_RES_GEN_HISTORY,
	HAREPL_A_RES_MD_FLAGS,
	HAREPL_A_RES_AL_EXTENTS,
	HAREPL_A_RES_AL_WRITES,
	HAREPL_A_PEER_ID,
	HAREPL_A_CONNECT_FLAGS,
	HAREPL_A_RES_FENCING,
	HAREPL_A_RES_FENCE_HANDLER,
	HAREPL_A_RES_IO_FROZEN,
	HAREPL_A_RES_FENCE_STATE,
	HAREPL_A_RES_FENCE_PEER_ID,
	HAREPL_A_RES_FENCE_EXIT,
	HAREPL_A_RESUME_FLAGS,
	__HAREPL_A_MAX
};

#define HAREPL_A_MAX (__HAREPL_A_MAX - 1)

enum harepl_peer_attr {
	HAREPL_PEER_A_UNSPEC,
	HAREPL_PEER_A_NODE_ID,
	HAREPL_PEER_A_ADDR,
	HAREPL_PEER_A_MODE,
	HAREPL_PEER_A_CONN_STATE,
	HAREPL_PEER_A_ROLE,
	HAREPL_PEER_A_DISK_STATE,
	HAREPL_PEER_A_INFLIGHT,
	HAREPL_PEER_A_BYTES_SENT,
	HAREPL_PEER_A_BYTES_RECV,
	HAREPL_PEER_A_OOS_BYTES,
	HAREPL_PEER_A_TIMEOUT_MS,
	HAREPL_PEER_A_SNDBUF,
	HAREPL_PEER_A_ON_CONGESTION,
	HAREPL_PEER_A_PAD,
	HAREPL_PEER_A_GEN_BITMAP,
	HAREPL_PEER_A_GEN_CURRENT,
	HAREPL_PEER_A_RESYNC_TOTAL,
	HAREPL_PEER_A_RESYNC_DONE,
	HAREPL_PEER_A_RESYNC_RATE,
	HAREPL_PEER_A_RESYNC_BYTES,
	HAREPL_PEER_A_VERIFY_DIFF,
	HAREPL_PEER_A_RESYNC_RATE_MAX,
	HAREPL_PEER_A_CSUMS,
	HAREPL_PEER_A_AFTER_SB,
	HAREPL_PEER_A_SB_RESULT,
	HAREPL_PEER_A_SB_REASON,
	__HAREPL_PEER_A_MAX
};

#define HAREPL_PEER_A_MAX (__HAREPL_PEER_A_MAX - 1)

#define HAREPL_MAX_PEERS	8
#define HAREPL_SECRET_MAX	64

enum harepl_mode {
	HAREPL_MODE_SYNC,
	HAREPL_MODE_ASYNC,
	__HAREPL_MODE_MAX
};

#define HAREPL_MODE_MAX (__HAREPL_MODE_MAX - 1)

/* An async peer whose send buffer is full: */
enum harepl_congestion {
	HAREPL_CONGESTION_BLOCK,	/* the writer waits (backpressure) */
	HAREPL_CONGESTION_AHEAD,	/* record out of sync, send later */
	__HAREPL_CONGESTION_MAX
};

#define HAREPL_CONGESTION_MAX (__HAREPL_CONGESTION_MAX - 1)

/*
 * HAREPL_PEER_A_AFTER_SB: what a split brain with this peer resolves to
 * (Documentation/split-brain.rst). Both nodes must use the same policy.
 */
enum harepl_after_sb {
	HAREPL_AFTER_SB_DISCONNECT,		/* never discard: stay apart */
	HAREPL_AFTER_SB_DISCARD_ZERO_CHANGES,	/* the node that wrote nothing */
	HAREPL_AFTER_SB_DISCARD_YOUNGER_PRIMARY, /* promoted after the split */
	HAREPL_AFTER_SB_DISCARD_LEAST_CHANGES,	/* fewer chunks changed */
	__HAREPL_AFTER_SB_MAX
};

#define HAREPL_AFTER_SB_MAX (__HAREPL_AFTER_SB_MAX - 1)

/* HAREPL_PEER_A_SB_RESULT: the last split-brain decision with this peer */
enum harepl_sb_result {
	HAREPL_SB_NONE,			/* no split brain since CONNECT */
	HAREPL_SB_REFUSED,		/* detected, nothing resolved or copied */
	HAREPL_SB_DISCARD_LOCAL,	/* resolved: this node's changes go */
	HAREPL_SB_DISCARD_PEER,		/* resolved: the peer's changes go */
	__HAREPL_SB_MAX
};

#define HAREPL_SB_MAX (__HAREPL_SB_MAX - 1)

/* HAREPL_A_CONNECT_FLAGS */
enum harepl_connect_flag {
	/* in a split brain found by this CONNECT, this node is sync target */
	HAREPL_CONNECT_F_DISCARD_MY_DATA = 1U << 0,
	__HAREPL_CONNECT_F_ALL = HAREPL_CONNECT_F_DISCARD_MY_DATA
};

enum harepl_role {
	HAREPL_ROLE_SECONDARY,
	HAREPL_ROLE_PRIMARY,
	__HAREPL_ROLE_MAX
};

#define HAREPL_ROLE_MAX (__HAREPL_ROLE_MAX - 1)

/* HAREPL_A_ROLE_FLAGS */
enum harepl_role_flag {
	HAREPL_ROLE_F_FORCE = 1U << 0,	/* promote despite the disk state */
	__HAREPL_ROLE_F_ALL = HAREPL_ROLE_F_FORCE
};

enum harepl_disk_state {
	HAREPL_DISK_DISKLESS,
	HAREPL_DISK_INCONSISTENT,
	HAREPL_DISK_OUTDATED,
	HAREPL_DISK_UPTODATE,
	__HAREPL_DISK_MAX
};

#define HAREPL_DISK_MAX (__HAREPL_DISK_MAX - 1)

enum harepl_conn_state {
	HAREPL_CONN_STANDALONE,
	HAREPL_CONN_CONNECTING,
	HAREPL_CONN_CONNECTED,
	HAREPL_CONN_SYNC_SOURCE,
	HAREPL_CONN_SYNC_TARGET,
	HAREPL_CONN_VERIFY_SOURCE,
	HAREPL_CONN_VERIFY_TARGET,
	HAREPL_CONN_AHEAD,
	HAREPL_CONN_BEHIND,
	HAREPL_CONN_SPLIT_BRAIN,
	__HAREPL_CONN_MAX
};

#define HAREPL_CONN_MAX (__HAREPL_CONN_MAX - 1)

enum harepl_event {
	HAREPL_EVENT_UNSPEC,
	HAREPL_EVENT_CREATED,
	HAREPL_EVENT_DESTROYED,
	HAREPL_EVENT_ROLE,
	HAREPL_EVENT_DISK,
	HAREPL_EVENT_CONN,
	HAREPL_EVENT_RESYNC,
	HAREPL_EVENT_SPLIT_BRAIN,
	HAREPL_EVENT_FENCE,
	__HAREPL_EVENT_MAX
};

#define HAREPL_EVENT_MAX (__HAREPL_EVENT_MAX - 1)

/* HAREPL_A_RES_FENCING: what losing a sync peer while primary does */
enum harepl_fencing {
	HAREPL_FENCING_NONE,		/* nothing: writing goes on */
	HAREPL_FENCING_RESOURCE_ONLY,	/* run the handler, writing goes on */
	HAREPL_FENCING_RESOURCE_AND_STONITH, /* freeze writes until it succeeds */
	__HAREPL_FENCING_MAX
};

#define HAREPL_FENCING_MAX (__HAREPL_FENCING_MAX - 1)

/* Longest HAREPL_A_RES_FENCE_HANDLER, with its NUL */
#define HAREPL_FENCE_HANDLER_MAX	256

/* HAREPL_A_RES_IO_FROZEN: why writes do not complete */
enum harepl_freeze {
	HAREPL_FREEZE_NONE,
	HAREPL_FREEZE_FENCING,		/* a handler runs */
	HAREPL_FREEZE_FENCE_FAILED,	/* a handler failed: resume-io */
	__HAREPL_FREEZE_MAX
};

#define HAREPL_FREEZE_MAX (__HAREPL_FREEZE_MAX - 1)

/* HAREPL_A_RES_FENCE_STATE: the last fence handler */
enum harepl_fence_state {
	HAREPL_FENCE_IDLE,		/* none ran since CONNECT */
	HAREPL_FENCE_RUNNING,
	HAREPL_FENCE_SUCCEEDED,		/* exited 0: the peer is fenced */
	HAREPL_FENCE_FAILED,		/* any other exit, or could not run */
	__HAREPL_FENCE_STATE_MAX
};

#define HAREPL_FENCE_STATE_MAX (__HAREPL_FENCE_STATE_MAX - 1)

/* HAREPL_A_RESUME_FLAGS */
enum harepl_resume_flag {
	HAREPL_RESUME_F_FAIL = 1U << 0,	/* fail frozen writes with EIO */
	__HAREPL_RESUME_F_ALL = HAREPL_RESUME_F_FAIL
};

/*
 * How states are spelled wherever they are shown (dmsetup status,
 * hareplctl): initialisers for arrays indexed by the enums above.
 */
#define HAREPL_ROLE_NAMES {				\
	[HAREPL_ROLE_SECONDARY]		= "Secondary",	\
	[HAREPL_ROLE_PRIMARY]		= "Primary",	\
}

#define HAREPL_DISK_NAMES {				\
	[HAREPL_DISK_DISKLESS]		= "Diskless",	\
	[HAREPL_DISK_INCONSISTENT]	= "Inconsistent", \
	[HAREPL_DISK_OUTDATED]		= "Outdated",	\
	[HAREPL_DISK_UPTODATE]		= "UpToDate",	\
}

#define HAREPL_CONN_NAMES {				\
	[HAREPL_CONN_STANDALONE]	= "StandAlone",	\
	[HAREPL_CONN_CONNECTING]	= "Connecting",	\
	[HAREPL_CONN_CONNECTED]		= "Connected",	\
	[HAREPL_CONN_SYNC_SOURCE]	= "SyncSource",	\
	[HAREPL_CONN_SYNC_TARGET]	= "SyncTarget",	\
	[HAREPL_CONN_VERIFY_SOURCE]	= "VerifySource", \
	[HAREPL_CONN_VERIFY_TARGET]	= "VerifyTarget", \
	[HAREPL_CONN_AHEAD]		= "Ahead",	\
	[HAREPL_CONN_BEHIND]		= "Behind",	\
	[HAREPL_CONN_SPLIT_BRAIN]	= "SplitBrain",	\
}

#define HAREPL_MODE_NAMES {				\
	[HAREPL_MODE_SYNC]		= "sync",	\
	[HAREPL_MODE_ASYNC]		= "async",	\
}

#define HAREPL_FENCING_NAMES {					\
	[HAREPL_FENCING_NONE]		= "none",			\
	[HAREPL_FENCING_RESOURCE_ONLY]	= "resource-only",		\
	[HAREPL_FENCING_RESOURCE_AND_STONITH] = "resource-and-stonith",	\
}

#define HAREPL_FREEZE_NAMES {					\
	[HAREPL_FREEZE_NONE]		= "none",			\
	[HAREPL_FREEZE_FENCING]		= "fencing",			\
	[HAREPL_FREEZE_FENCE_FAILED]	= "fence-failed",		\
}

#define HAREPL_FENCE_STATE_NAMES {				\
	[HAREPL_FENCE_IDLE]		= "idle",			\
	[HAREPL_FENCE_RUNNING]		= "running",			\
	[HAREPL_FENCE_SUCCEEDED]	= "succeeded",			\
	[HAREPL_FENCE_FAILED]		= "failed",			\
}

#define HAREPL_CONGESTION_NAMES {			\
	[HAREPL_CONGESTION_BLOCK]	= "block",	\
	[HAREPL_CONGESTION_AHEAD]	= "ahead",	\
}

#define HAREPL_AFTER_SB_NAMES {					\
	[HAREPL_AFTER_SB_DISCONNECT]	= "disconnect",		\
	[HAREPL_AFTER_SB_DISCARD_ZERO_CHANGES] = "discard-zero-changes", \
	[HAREPL_AFTER_SB_DISCARD_YOUNGER_PRIMARY] = "discard-younger-primary", \
	[HAREPL_AFTER_SB_DISCARD_LEAST_CHANGES] = "discard-least-changes", \
}

#define HAREPL_SB_RESULT_NAMES {				\
	[HAREPL_SB_NONE]		= "none",		\
	[HAREPL_SB_REFUSED]		= "refused",		\
	[HAREPL_SB_DISCARD_LOCAL]	= "discarded-local",	\
	[HAREPL_SB_DISCARD_PEER]	= "discarded-peer",	\
}

/* On-disk metadata, see above */
#define HAREPL_MD_MAGIC		0x444d4c5045524148ULL	/* "HAREPLMD" */
#define HAREPL_MD_VERSION	1
#define HAREPL_MD_SB_SIZE	4096
#define HAREPL_MD_SB_SECTORS	(HAREPL_MD_SB_SIZE >> 9)
#define HAREPL_MD_AL_SECTORS	512	/* write-intent area: 256 KiB */
#define HAREPL_MD_ALIGN_SECTORS	2048	/* metadata area: 1 MiB multiples */
#define HAREPL_MD_MAX_PEERS	8
#define HAREPL_MD_HISTORY	4
/* Bitmap chunk: a power of two from 4 KiB to 1 MiB, default 4 KiB */
#define HAREPL_MD_CHUNK_MIN_SECTORS	8
#define HAREPL_MD_CHUNK_MAX_SECTORS	2048
#define HAREPL_MD_CHUNK_DEF_SECTORS	8

/* struct harepl_md_sb.flags */
enum harepl_md_flag {
	HAREPL_MDF_CONSISTENT	   = 1U << 0,	/* data is not mid-resync */
	HAREPL_MDF_UPTODATE	   = 1U << 1,	/* data is the newest known */
	HAREPL_MDF_WAS_PRIMARY	   = 1U << 2,
	HAREPL_MDF_CRASHED_PRIMARY = 1U << 3,
	HAREPL_MDF_INTERNAL	   = 1U << 4,	/* metadata on the data dev */
	/* the write-intent log may name writes applied for a primary */
	HAREPL_MDF_PEER_WRITES	   = 1U << 5,
	__HAREPL_MDF_ALL	   = 0x3f
};

/*
 * One bitmap slot: the chunks of the data area that one peer may lack.
 * Slot i's bitmap is bm_sectors / max_peers sectors at bm_sector plus i
 * times that, one bit per chunk, bit n of byte b standing for chunk
 * b * 8 + n (little-endian bit order, as the kernel's bitmaps on any CPU
 * once stored as bytes).
 */
#define HAREPL_MD_SLOT_FREE	0xffffffffU
enum harepl_md_slot_flag {
	/*
	 * gen_bitmap was set when this node, primary, lost the peer (it was
	 * primary at the split); clear: set on a promotion without the peer
	 */
	HAREPL_MD_SLOTF_PRIMARY_AT_SPLIT = 1U << 0,
	__HAREPL_MD_SLOTF_ALL		 = 0x1
};

struct harepl_md_slot {
	__le32 node_id;			/* the peer, or HAREPL_MD_SLOT_FREE */
	__le32 flags;			/* enum harepl_md_slot_flag */
	__le64 gen_bitmap;		/* gen_current when tracking began, 0: none */
	__le64 reserved[2];
} __attribute__((packed));

struct harepl_md_sb {
	__le64 magic;			/* HAREPL_MD_MAGIC */
	__le32 version;			/* HAREPL_MD_VERSION */
	__le32 flags;			/* enum harepl_md_flag */
	__u8   uuid[HAREPL_UUID_LEN];	/* the resource, same on all nodes */
	char   name[HAREPL_NAME_MAX];	/* resource name, NUL padded */
	__le32 node_id;			/* this node, 0..HAREPL_MD_MAX_PEERS */
	__le32 max_peers;		/* bitmap slots, 1..HAREPL_MD_MAX_PEERS */
	__le32 chunk_sectors;		/* bitmap chunk */
	__le32 reserved0;
	__le64 gen_current;		/* generation ids, see above */
	__le32 al_extents;		/* write-intent hot set, extents */
	__le32 reserved1;
	__le64 gen_history[HAREPL_MD_HISTORY];
	__le64 data_sectors;		/* size of the replicated device */
	__le64 md_sectors;		/* whole metadata area */
	__le64 md_start;		/* first sector of the metadata area */
	__le64 sb_sector;		/* this superblock */
	__le64 al_sector;		/* write-intent area */
	__le64 al_sectors;
	__le64 bm_sector;		/* bitmap: max_peers slots */
	__le64 bm_sectors;		/* all slots together */
	__le64 created;			/* seconds since the epoch */
	struct harepl_md_slot slots[HAREPL_MD_MAX_PEERS];
	__u8   pad[3636];
	__le32 checksum;
} __attribute__((packed));

/*
 * The write-intent area (activity log): al_sectors / 8 blocks of 4 KiB used
 * as a ring. Each transaction writes the next block with the whole set of
 * extents (HAREPL_AL_EXTENT_SECTORS each) that may have writes in flight;
 * the valid block with the highest seq is the current set. A block is
 * valid when its magic and CRC32C (as the superblock's) match.
 */
#define HAREPL_AL_MAGIC		0x4c414c5045524148ULL	/* "HAREPLAL" */
#define HAREPL_AL_EXTENT_SECTORS 8192			/* 4 MiB */
#define HAREPL_AL_MAX_EXTENTS	1016
#define HAREPL_AL_MIN_EXTENTS	4
#define HAREPL_AL_DEF_EXTENTS	256			/* 1 GiB hot set */

struct harepl_al_block {
	__le64 magic;			/* HAREPL_AL_MAGIC */
	__le64 seq;			/* transaction number, from 1 */
	__le32 n;			/* entries used in extents[] */
	__le32 reserved;
	__le32 extents[HAREPL_AL_MAX_EXTENTS];
	__le32 reserved2;
	__le32 checksum;
} __attribute__((packed));

#endif /* _UAPI_LINUX_HAREPL_H */
