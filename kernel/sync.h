/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HAREPL_SYNC_H
#define _HAREPL_SYNC_H

#include <linux/types.h>
#include <uapi/linux/harepl_wire.h>

struct harepl_gens;
struct harepl_peer;
struct harepl_resource;

/* sync.c: generation ids and what they decide */
void harepl_gens_fill(struct harepl_peer *peer, struct harepl_wire_gens *g,
		      u64 bitmap_override, struct harepl_gens *sent);
const char *harepl_gens_parse(struct harepl_resource *res,
			      const struct harepl_wire_gens *w,
			      struct harepl_gens *g);
int harepl_send_gens(struct harepl_peer *peer, u16 type, u16 flags, u64 bitmap);
void harepl_sync_decide(struct harepl_peer *peer);
/* What harepl_gens_recheck() found */
enum harepl_hs_recheck {
	HAREPL_HS_SAME,		/* our ids are what the handshake sent */
	HAREPL_HS_RESEND,	/* changed, same decision: send STATE, GENS */
	HAREPL_HS_REFUSE,	/* changed, another decision: refuse */
};

struct harepl_hs_sent;
enum harepl_hs_recheck harepl_gens_recheck(struct harepl_peer *peer,
					   const struct harepl_hs_sent *sent);
void harepl_sync_note_split(struct harepl_peer *peer);
void harepl_sync_recv_gens(struct harepl_peer *peer, const struct harepl_gens *g,
			   u16 flags);
int harepl_sync_recv_bitmap(struct harepl_peer *peer, const void *runs, u32 len,
			    u16 flags, const char **why);
void harepl_sync_done_source(struct harepl_peer *peer);
void harepl_sync_done_target(struct harepl_peer *peer, const struct harepl_gens *g,
			     bool verify);
void harepl_promote_prepare(struct harepl_resource *res);
void harepl_gens_role_changed(struct harepl_resource *res, bool primary,
			      bool forced);
void harepl_gens_peer_lost(struct harepl_peer *peer);
void harepl_peers_send_gens(struct harepl_resource *res);
int harepl_invalidate(struct harepl_resource *res, struct harepl_peer *peer);

/* resync.c: moving the data */
struct crypto_shash;
struct page;
int harepl_rs_read(struct harepl_resource *res, sector_t sector, u32 bytes,
		   struct page **pages, unsigned int *nr);
int harepl_rs_digests(struct crypto_shash *tfm, struct page **pages, u32 bytes,
		      u32 chunk, u8 *out);
bool harepl_rs_rate(struct harepl_peer *peer, unsigned long *last,
		    u64 *last_done, bool force);
void harepl_resync_maybe_start(struct harepl_peer *peer);
void harepl_resync_stop(struct harepl_peer *peer);
int harepl_resync_start_verify(struct harepl_peer *peer, const char **why);
int harepl_resync_start_bitmap(struct harepl_peer *peer, const char **why);
int harepl_recv_rs_ack(struct harepl_peer *peer,
		       const struct harepl_wire_hdr *hdr, const char **why);
int harepl_recv_csum(struct harepl_peer *peer,
		     const struct harepl_wire_hdr *hdr, const char **why);
int harepl_recv_csum_reply(struct harepl_peer *peer,
			   const struct harepl_wire_hdr *hdr, const char **why);

#endif
