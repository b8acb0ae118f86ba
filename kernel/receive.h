/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HAREPL_RECEIVE_H
#define _HAREPL_RECEIVE_H

#include <linux/list.h>
#include <linux/types.h>
#include <uapi/linux/harepl_wire.h>

struct harepl_peer;

/* A write received from the primary, until it is on our disk and ACKed */
struct harepl_rreq {
	struct harepl_peer *peer;
	struct list_head node;		/* in peer->acks once complete */
	u64 seq;
	u64 sector;
	u32 size;
	s32 status;
	u16 type;			/* of the answer: ACK, RS_ACK, CSUM_REPLY */
	u16 plen;			/* bytes of @payload to send */
	u8 payload[HAREPL_WIRE_CSUM_MAX_CHUNKS / 8];
	bool ack;			/* the primary waits for it */
	bool urgent;			/* FLUSH, FUA or PREFLUSH: ACK at once */
	bool aborted;			/* never submitted: payload incomplete */
	bool al_held;			/* holds its write-intent extents */
};

#endif
