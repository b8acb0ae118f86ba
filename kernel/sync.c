// SPDX-License-Identifier: GPL-2.0
/*
 * Generation ids: when they change, what they decide when two nodes
 * connect (Documentation/resync.rst has the table), and the state changes
 * at the start and the end of a resync.
 */

#include <linux/random.h>
#include <linux/slab.h>
#include "bitmap.h"
#include "peer.h"
#include "req.h"
#include "resource.h"
#include "sync.h"

static const char harepl_unrelated[] =
	"unrelated data and neither node UpToDate (make one primary --force, or invalidate one)";

enum harepl_decision {
	HAREPL_D_NONE,		/* in sync */
	HAREPL_D_WAIT,		/* unrelated, nobody to sync from: wait */
	HAREPL_D_SOURCE,
	HAREPL_D_TARGET,
	HAREPL_D_FULL_SOURCE,
	HAREPL_D_FULL_TARGET,
	HAREPL_D_SPLIT,
};

/* Our ids as seen by @peer, in CPU order */
static void harepl_gens_mine(struct harepl_peer *peer, struct harepl_gens *g)
{
	struct harepl_resource *res = peer->res;
	enum harepl_disk_state disk = READ_ONCE(res->disk);
	int i;

	memset(g, 0, sizeof(*g));
	mutex_lock(&res->md_mutex);
	g->current_gen = res->md.gen_current;
	g->bitmap_gen = res->md.slots[peer->slot].gen_bitmap;
	for (i = 0; i < HAREPL_MD_HISTORY; i++)
		g->history[i] = res->md.gen_history[i];
	if (res->md.flags & HAREPL_MDF_CRASHED_PRIMARY)
		g->flags |= HAREPL_GENS_CRASHED_PRIMARY;
	if (g->bitmap_gen &&
	    (res->md.slots[peer->slot].flags & HAREPL_MD_SLOTF_PRIMARY_AT_SPLIT))
		g->flags |= HAREPL_GENS_SPLIT_PRIMARY;
	harepl_md_unlock(res);
	spin_lock(&peer->lock);
	if (peer->discard_my_data)
		g->flags |= HAREPL_GENS_DISCARD_MY_DATA;
	spin_unlock(&peer->lock);
	g->after_sb = peer->conf.after_sb;
	g->oos_chunks = harepl_bm_count(res, peer->slot);
	if (disk == HAREPL_DISK_UPTODATE)
		g->flags |= HAREPL_GENS_UPTODATE | HAREPL_GENS_CONSISTENT;
	else if (disk == HAREPL_DISK_OUTDATED)
		g->flags |= HAREPL_GENS_CONSISTENT;
	if (READ_ONCE(res->role) == HAREPL_ROLE_PRIMARY)
		g->flags |= HAREPL_GENS_PRIMARY;
}

/**
 * harepl_gens_fill() - our GENS payload for @peer
 * @peer: the receiver
 * @w: filled in
 * @bitmap_override: sent as bitmap id when not 0 (a full sync's new id)
 * @sent: if not NULL, gets what @w says, in CPU order
 */
void harepl_gens_fill(struct harepl_peer *peer, struct harepl_wire_gens *w,
		      u64 bitmap_override, struct harepl_gens *sent)
{
	struct harepl_gens g;
	int i;

	harepl_gens_mine(peer, &g);
	if (bitmap_override)
		g.bitmap_gen = bitmap_override;
	if (sent)
		*sent = g;
	memset(w, 0, sizeof(*w));
	w->current_gen = cpu_to_be64(g.current_gen);
	w->bitmap_gen = cpu_to_be64(g.bitmap_gen);
	for (i = 0; i < HAREPL_MD_HISTORY; i++)
		w->history[i] = cpu_to_be64(g.history[i]);
	w->oos_chunks = cpu_to_be64(g.oos_chunks);
	w->flags = cpu_to_be32(g.flags);
	w->chunk_sectors = cpu_to_be32(peer->res->md.chunk_sectors);
	memcpy(w->uuid, peer->res->md.uuid, sizeof(w->uuid));
	w->after_sb = cpu_to_be32(g.after_sb);
}

/* Checks a peer's GENS; returns why it is bad, or NULL. */
const char *harepl_gens_parse(struct harepl_resource *res,
			      const struct harepl_wire_gens *w,
			      struct harepl_gens *g)
{
	int i;

	if (be32_to_cpu(w->flags) & ~__HAREPL_GENS_ALL)
		return "bad GENS flags";
	if (be32_to_cpu(w->chunk_sectors) != res->md.chunk_sectors)
		return "bitmap chunk sizes differ (create-md --chunk-size)";
	if (be64_to_cpu(w->oos_chunks) > res->bm.nbits)
		return "GENS counts more chunks than the device has";
	if (be32_to_cpu(w->after_sb) > HAREPL_AFTER_SB_MAX)
		return "bad GENS split-brain policy";
	if (w->reserved)
		return "GENS reserved field not zero";
	g->current_gen = be64_to_cpu(w->current_gen);
	g->bitmap_gen = be64_to_cpu(w->bitmap_gen);
	for (i = 0; i < HAREPL_MD_HISTORY; i++)
		g->history[i] = be64_to_cpu(w->history[i]);
	g->oos_chunks = be64_to_cpu(w->oos_chunks);
	g->flags = be32_to_cpu(w->flags);
	g->after_sb = be32_to_cpu(w->after_sb);
	return NULL;
}

int harepl_send_gens(struct harepl_peer *peer, u16 type, u16 flags, u64 bitmap)
{
	struct harepl_wire_gens w;

	harepl_gens_fill(peer, &w, bitmap, NULL);
	return harepl_send_packet(peer, type, flags, 0, 0, 0, 0, &w, sizeof(w));
}

static bool harepl_in_history(const struct harepl_gens *g, u64 gen)
{
	int i;

	for (i = 0; i < HAREPL_MD_HISTORY; i++)
		if (gen && g->history[i] == gen)
			return true;
	return false;
}

/*
 * Which of two nodes with the same current id has the changes: the
 * primary, else the node that crashed as primary, else an UpToDate one (a
 * node that crashed as secondary is Outdated, and its bits name what it
 * may lack), else the one with bits.
 */
static int harepl_gens_score(const struct harepl_gens *g)
{
	return (g->flags & HAREPL_GENS_PRIMARY ? 8 : 0) +
	       (g->flags & HAREPL_GENS_CRASHED_PRIMARY ? 4 : 0) +
	       (g->flags & HAREPL_GENS_UPTODATE ? 2 : 0) +
	       (g->oos_chunks ? 1 : 0);
}

/*
 * The table of Documentation/resync.rst, from @a's side. Both nodes run
 * it with the same inputs swapped and reach mirrored decisions.
 */
static enum harepl_decision harepl_decide(const struct harepl_gens *a, u32 a_id,
					  const struct harepl_gens *b, u32 b_id)
{
	bool pa, pb;
	int sa, sb;

	if (a->current_gen == b->current_gen) {
		if (!a->oos_chunks && !b->oos_chunks)
			return HAREPL_D_NONE;
		sa = harepl_gens_score(a);
		sb = harepl_gens_score(b);
		if (sa == sb)
			return a_id < b_id ? HAREPL_D_SOURCE : HAREPL_D_TARGET;
		return sa > sb ? HAREPL_D_SOURCE : HAREPL_D_TARGET;
	}
	pa = a->bitmap_gen && a->bitmap_gen == b->current_gen;
	pb = b->bitmap_gen && b->bitmap_gen == a->current_gen;
	if (pa && pb)
		return HAREPL_D_SPLIT;
	if (pa)
		return HAREPL_D_SOURCE;
	if (pb)
		return HAREPL_D_TARGET;
	if (a->bitmap_gen && a->bitmap_gen == b->bitmap_gen)
		return HAREPL_D_SPLIT;
	pa = harepl_in_history(a, b->current_gen);
	pb = harepl_in_history(b, a->current_gen);
	if (pa && pb)
		return HAREPL_D_SPLIT;
	if (pa)
		return HAREPL_D_FULL_SOURCE;
	if (pb)
		return HAREPL_D_FULL_TARGET;
	pa = a->flags & HAREPL_GENS_UPTODATE;
	pb = b->flags & HAREPL_GENS_UPTODATE;
	if (pa && !pb)
		return HAREPL_D_FULL_SOURCE;
	if (pb && !pa)
		return HAREPL_D_FULL_TARGET;
	return HAREPL_D_WAIT;
}

/*
 * A split brain found by harepl_decide(), from @a's side: does
 * --discard-my-data or the split-brain policy resolve it
 * (Documentation/split-brain.rst)? Both nodes run it with the same inputs
 * swapped and reach mirrored decisions. Returns HAREPL_D_SPLIT (refused)
 * or the direction of the resync; @why (@len bytes) says why either way.
 */
static enum harepl_decision harepl_sb_resolve(const struct harepl_gens *a,
					      u32 a_id,
					      const struct harepl_gens *b,
					      u32 b_id, char *why, size_t len)
{
	static const char * const names[] = HAREPL_AFTER_SB_NAMES;
	bool a_dmd = a->flags & HAREPL_GENS_DISCARD_MY_DATA;
	bool b_dmd = b->flags & HAREPL_GENS_DISCARD_MY_DATA;
	bool bitmap = a->bitmap_gen && a->bitmap_gen == b->bitmap_gen;
	const struct harepl_gens *victim;
	const char *who;
	bool sa, sb;
	int n;

	if (a_dmd && b_dmd) {
		snprintf(why, len, "%s",
			 "both nodes asked to discard their data (connect --discard-my-data)");
		return HAREPL_D_SPLIT;
	}
	if (a_dmd || b_dmd) {
		victim = a_dmd ? a : b;
		n = snprintf(why, len, "%s asked to discard its data (connect --discard-my-data)",
			     a_dmd ? "this node" : "the peer");
		goto check;
	}
	/* both ends checked the policy on receipt: it indexes names[] */
	if (a->after_sb != b->after_sb) {
		snprintf(why, len,
			 "split-brain policies differ (%s here, %s on the peer): no automatic resolution",
			 names[a->after_sb], names[b->after_sb]);
		return HAREPL_D_SPLIT;
	}
	switch (a->after_sb) {
	case HAREPL_AFTER_SB_DISCARD_ZERO_CHANGES:
		if (a->oos_chunks && b->oos_chunks) {
			snprintf(why, len,
				 "discard-zero-changes: both nodes wrote since the split (%llu and %llu chunks)",
				 a->oos_chunks, b->oos_chunks);
			return HAREPL_D_SPLIT;
		}
		if (a->oos_chunks)
			victim = b;
		else if (b->oos_chunks)
			victim = a;
		else	/* nothing to lose: not the primary, else the higher id */
			victim = (a->flags & HAREPL_GENS_PRIMARY) ? b :
				 (b->flags & HAREPL_GENS_PRIMARY) ? a :
				 a_id > b_id ? a : b;
		who = victim == a ? "this node" : "the peer";
		n = snprintf(why, len, "discard-zero-changes: %s wrote nothing since the split",
			     who);
		break;
	case HAREPL_AFTER_SB_DISCARD_YOUNGER_PRIMARY:
		sa = a->flags & HAREPL_GENS_SPLIT_PRIMARY;
		sb = b->flags & HAREPL_GENS_SPLIT_PRIMARY;
		if (sa == sb) {
			snprintf(why, len,
				 "discard-younger-primary: cannot tell which node became primary later (%s primary at the split)",
				 sa ? "both were" : "neither was");
			return HAREPL_D_SPLIT;
		}
		victim = sa ? b : a;
		who = victim == a ? "this node" : "the peer";
		n = snprintf(why, len, "discard-younger-primary: %s became primary after the split",
			     who);
		break;
	case HAREPL_AFTER_SB_DISCARD_LEAST_CHANGES:
		if (a->oos_chunks == b->oos_chunks) {
			snprintf(why, len, "discard-least-changes: both nodes changed %llu chunks",
				 a->oos_chunks);
			return HAREPL_D_SPLIT;
		}
		victim = a->oos_chunks < b->oos_chunks ? a : b;
		who = victim == a ? "this node" : "the peer";
		n = snprintf(why, len,
			     "discard-least-changes: %s changed fewer chunks (%llu vs %llu)",
			     who, victim->oos_chunks, (victim == a ? b : a)->oos_chunks);
		break;
	default:
		snprintf(why, len, "%s",
			 "policy disconnect: resolve it by hand (connect --discard-my-data on the node whose changes to drop)");
		return HAREPL_D_SPLIT;
	}
check:
	if (n < 0 || n >= len)
		n = 0;
	who = victim == a ? "this node" : "the peer";
	if (victim->flags & HAREPL_GENS_PRIMARY) {
		snprintf(why + n, len - n,
			 "; refused: %s is primary (demote it, then disconnect and connect)",
			 who);
		return HAREPL_D_SPLIT;
	}
	if (!((victim == a ? b : a)->flags & HAREPL_GENS_UPTODATE)) {
		snprintf(why + n, len - n, "; refused: the node to keep is not UpToDate");
		return HAREPL_D_SPLIT;
	}
	if (victim == a)
		return bitmap ? HAREPL_D_TARGET : HAREPL_D_FULL_TARGET;
	return bitmap ? HAREPL_D_SOURCE : HAREPL_D_FULL_SOURCE;
}

/* A source must be UpToDate and a primary is never a target. */
static enum harepl_decision harepl_decide_checked(const struct harepl_gens *a,
						  const struct harepl_gens *b,
						  enum harepl_decision d,
						  const char **why)
{
	const struct harepl_gens *src, *dst;

	switch (d) {
	case HAREPL_D_SOURCE:
	case HAREPL_D_FULL_SOURCE:
		src = a;
		dst = b;
		break;
	case HAREPL_D_TARGET:
	case HAREPL_D_FULL_TARGET:
		src = b;
		dst = a;
		break;
	default:
		return d;
	}
	if (dst->flags & HAREPL_GENS_PRIMARY) {
		*why = "the primary's data is older than the peer's";
		return HAREPL_D_SPLIT;
	}
	if (!(src->flags & HAREPL_GENS_UPTODATE)) {
		*why = "the node with the newer data is not UpToDate";
		return HAREPL_D_WAIT;
	}
	return d;
}

/*
 * The whole decision from @mine's side: the table, then the split-brain
 * resolution or the checks. @sb_why (@len bytes) may hold the reason;
 * @why points to it (or NULL), @split says whether it was a split brain.
 */
static enum harepl_decision harepl_decide_all(struct harepl_peer *peer,
					      const struct harepl_gens *mine,
					      const struct harepl_gens *his,
					      char *sb_why, size_t len,
					      const char **why, bool *split)
{
	u32 me = peer->res->md.node_id, him = peer->conf.node_id;
	enum harepl_decision d = harepl_decide(mine, me, his, him);

	*why = NULL;
	*split = d == HAREPL_D_SPLIT;
	if (!*split)
		return harepl_decide_checked(mine, his, d, why);
	*why = sb_why;
	return harepl_sb_resolve(mine, me, his, him, sb_why, len);
}

/*
 * The peer decided on @sent (what our handshake said, with its own ids
 * then); we decide on @now (role @role, disk @disk) against @his. Do the
 * decisions mirror each other, and does the peer know our role and ids?
 * (A promotion since our STATE is refused by harepl_peer_install(), under
 * send_mutex.)
 */
static enum harepl_hs_recheck harepl_gens_compare(struct harepl_peer *peer,
						  const struct harepl_hs_sent *sent,
						  const struct harepl_gens *now,
						  const struct harepl_gens *his,
						  enum harepl_role role,
						  enum harepl_disk_state disk)
{
	char scratch[sizeof(peer->sb_reason)];
	struct harepl_gens a = sent->gens, b = *now;
	const char *why;
	bool split;

	if (harepl_decide_all(peer, &sent->gens, &sent->his, scratch,
			      sizeof(scratch), &why, &split) !=
	    harepl_decide_all(peer, now, his, scratch, sizeof(scratch), &why,
			      &split))
		return HAREPL_HS_REFUSE;
	/* a primary's count grows with its writes: the decision says enough */
	a.oos_chunks = 0;
	b.oos_chunks = 0;
	if (!memcmp(&a, &b, sizeof(a)) && sent->role == role &&
	    sent->disk == disk)
		return HAREPL_HS_SAME;
	return HAREPL_HS_RESEND;
}

/**
 * harepl_gens_recheck() - does what the handshake sent still hold?
 * @peer: the peer, whose connection is about to be installed
 * @sent: what the handshake sent, and the peer's ids it got
 *
 * The peer decides on @sent. Our ids, role or disk may have changed since
 * (a promotion, a demotion, an invalidate, a lost peer during the
 * handshake; the STATE and GENS those queue find no connection). If our
 * decision now is not the one we would have made on @sent, the connection
 * must not be installed: the decisions would not mirror each other (one
 * side waiting as SyncTarget for a source that decided there was nothing
 * to do). Otherwise the peer still needs our STATE and GENS.
 */
enum harepl_hs_recheck harepl_gens_recheck(struct harepl_peer *peer,
					   const struct harepl_hs_sent *sent)
{
	struct harepl_gens now;

	harepl_gens_mine(peer, &now);
	return harepl_gens_compare(peer, sent, &now, &sent->his,
				   READ_ONCE(peer->res->role),
				   READ_ONCE(peer->res->disk));
}

static void harepl_peer_set_state(struct harepl_peer *peer,
				  enum harepl_conn_state st)
{
	spin_lock(&peer->lock);
	if (peer->sock)
		peer->state = st;
	spin_unlock(&peer->lock);
}

static u64 harepl_chunk_bytes(struct harepl_resource *res)
{
	return (u64)res->md.chunk_sectors << SECTOR_SHIFT;
}

/* Sends our slot for @peer as runs of set chunks (none for a full sync). */
static int harepl_send_bitmap(struct harepl_peer *peer, bool full)
{
	struct harepl_resource *res = peer->res;
	unsigned long nbits = res->bm.nbits, c = 0, e;
	unsigned int n = 0;
	__be64 *runs;
	int ret = 0;

	runs = kmalloc_array(HAREPL_WIRE_BITMAP_RUNS, 2 * sizeof(*runs), GFP_NOIO);
	if (!runs)
		return -ENOMEM;
	while (!full && !ret && (c = harepl_bm_next(res, peer->slot, c)) < nbits) {
		for (e = c + 1; e < nbits && harepl_bm_test(res, peer->slot, e); e++)
			;
		runs[2 * n] = cpu_to_be64(c);
		runs[2 * n + 1] = cpu_to_be64(e - c);
		c = e;
		if (++n == HAREPL_WIRE_BITMAP_RUNS) {
			ret = harepl_send_packet(peer, HAREPL_WIRE_BITMAP, 0, 0, 0, 0,
						 0, runs, n * 2 * sizeof(*runs));
			n = 0;
		}
	}
	if (!ret)
		ret = harepl_send_packet(peer, HAREPL_WIRE_BITMAP, HAREPL_WIRE_F_LAST,
					 0, 0, 0, 0, runs, n * 2 * sizeof(*runs));
	kfree(runs);
	return ret;
}

/*
 * Our data is about to be overwritten by @peer's: Inconsistent, on disk
 * first (else the connection is dropped: no resync may start).
 */
static int harepl_sync_mark_target(struct harepl_peer *peer, bool full)
{
	struct harepl_resource *res = peer->res;
	u64 chunks;
	int ret;

	mutex_lock(&res->md_mutex);
	res->md.flags &= ~(HAREPL_MDF_CONSISTENT | HAREPL_MDF_UPTODATE);
	ret = harepl_md_write(res);
	harepl_md_unlock(res);
	if (ret) {
		/* the flags in memory say so already: no promotion on stale data */
		harepl_resource_set_disk(res, HAREPL_DISK_INCONSISTENT);
		harepl_peer_drop(peer, "cannot mark the disk Inconsistent");
		return ret;
	}
	spin_lock(&peer->lock);
	chunks = full ? res->bm.nbits :
		 min_t(u64, peer->peer_gens.oos_chunks +
		       harepl_bm_count(res, peer->slot), res->bm.nbits);
	if (peer->sock)
		peer->state = HAREPL_CONN_SYNC_TARGET;
	peer->rs_verify = false;
	spin_unlock(&peer->lock);
	/* after the state: the disk event then shows the peer SyncTarget */
	harepl_resource_set_disk(res, HAREPL_DISK_INCONSISTENT);
	atomic64_set(&peer->rs_total, chunks * harepl_chunk_bytes(res));
	atomic64_set(&peer->rs_done, 0);
	peer->rs_start = jiffies;
	WRITE_ONCE(peer->rs_rate, 0);
	peer->rs_tgt_report = jiffies;
	peer->rs_tgt_done = 0;
	return 0;
}

static void harepl_sync_become_target(struct harepl_peer *peer, bool full)
{
	if (harepl_sync_mark_target(peer, full))
		return;
	pr_info("%s: peer %s: %s resync from the peer starts\n", peer->res->name,
		peer->addr_str, full ? "full" : "bitmap");
	harepl_peers_send_state(peer->res);
	if (harepl_send_bitmap(peer, full))
		harepl_peer_drop(peer, "cannot send the bitmap");
	harepl_resource_event(peer->res, HAREPL_EVENT_RESYNC);
}

static void harepl_sync_become_source(struct harepl_peer *peer, bool full)
{
	struct harepl_resource *res = peer->res;
	u64 gen = 0;
	int ret;

	mutex_lock(&res->md_mutex);
	if (full) {
		/* the target takes this id: an interruption resumes (rule 3) */
		do {
			gen = get_random_u64();
		} while (!gen);
		res->md.slots[peer->slot].gen_bitmap = gen;
		res->md.slots[peer->slot].flags = 0;
		harepl_bm_set_all(res, peer->slot);
	} else if (!res->md.slots[peer->slot].gen_bitmap) {
		res->md.slots[peer->slot].gen_bitmap = peer->peer_gens.current_gen;
		res->md.slots[peer->slot].flags = 0;
	}
	ret = harepl_md_write(res);
	harepl_md_unlock(res);
	if (!ret)
		ret = harepl_bm_flush(res);
	if (ret) {
		harepl_peer_drop(peer, "cannot record the resync in the metadata");
		return;
	}
	spin_lock(&peer->lock);
	if (peer->sock)
		peer->state = HAREPL_CONN_SYNC_SOURCE;
	peer->rs_full = full;
	peer->rs_csums = full && peer->conf.csums;
	peer->rs_verify = false;
	spin_unlock(&peer->lock);
	pr_info("%s: peer %s: %s resync to the peer starts%s\n", res->name,
		peer->addr_str, full ? "full" : "bitmap",
		peer->rs_csums ? " (checksums first)" : "");
	if (full && harepl_send_gens(peer, HAREPL_WIRE_GENS, HAREPL_WIRE_F_FULL, gen))
		harepl_peer_drop(peer, "cannot send GENS");
	harepl_resource_event(res, HAREPL_EVENT_RESYNC);
	harepl_resync_maybe_start(peer);
}

/*
 * Two primaries met in a handshake: report the split brain (state, one
 * event) without connecting; they keep trying, and stop being split once
 * one of them is demoted (then the generation ids decide).
 */
void harepl_sync_note_split(struct harepl_peer *peer)
{
	bool news;

	spin_lock(&peer->lock);
	news = !peer->sock && peer->state != HAREPL_CONN_SPLIT_BRAIN;
	if (news) {
		peer->state = HAREPL_CONN_SPLIT_BRAIN;
		peer->sb_result = HAREPL_SB_REFUSED;
		strscpy(peer->sb_reason, "both nodes are primary",
			sizeof(peer->sb_reason));
	}
	spin_unlock(&peer->lock);
	if (!news)
		return;
	pr_err("%s: peer %s: split brain: both nodes are primary; not connecting, nothing was copied\n",
	       peer->res->name, peer->addr_str);
	harepl_resource_event(peer->res, HAREPL_EVENT_SPLIT_BRAIN);
}

static void harepl_sync_split_brain(struct harepl_peer *peer, const char *why)
{
	spin_lock(&peer->lock);
	peer->split_brain = true;
	if (peer->sock)
		peer->state = HAREPL_CONN_SPLIT_BRAIN;
	peer->sb_result = HAREPL_SB_REFUSED;
	strscpy(peer->sb_reason, why, sizeof(peer->sb_reason));
	spin_unlock(&peer->lock);
	pr_err("%s: peer %s: split brain: %s; not connecting until disconnect and connect, nothing was copied\n",
	       peer->res->name, peer->addr_str, why);
	harepl_resource_event(peer->res, HAREPL_EVENT_SPLIT_BRAIN);
	harepl_peer_drop(peer, "split brain");
}

/* A split brain resolved by policy or --discard-my-data: log, report. */
static void harepl_sb_resolved(struct harepl_peer *peer, enum harepl_decision d,
			       const char *why)
{
	bool target = d == HAREPL_D_TARGET || d == HAREPL_D_FULL_TARGET;
	bool full = d == HAREPL_D_FULL_TARGET || d == HAREPL_D_FULL_SOURCE;

	spin_lock(&peer->lock);
	peer->sb_result = target ? HAREPL_SB_DISCARD_LOCAL : HAREPL_SB_DISCARD_PEER;
	strscpy(peer->sb_reason, why, sizeof(peer->sb_reason));
	spin_unlock(&peer->lock);
	pr_warn("%s: peer %s: split brain resolved: %s; %s changes since the split are discarded (%s resync %s the peer)\n",
		peer->res->name, peer->addr_str, why,
		target ? "this node's" : "the peer's", full ? "full" : "bitmap",
		target ? "from" : "to");
	harepl_resource_event(peer->res, HAREPL_EVENT_SPLIT_BRAIN);
}

/**
 * harepl_sync_decide() - compare generation ids with a connected peer
 * @peer: a peer in state Connected, whose GENS we have
 *
 * Called by the peer's worker right after the handshake and by ack_work
 * when ids changed; may send (bitmap, STATE, GENS).
 */
void harepl_sync_decide(struct harepl_peer *peer)
{
	struct harepl_resource *res = peer->res;
	char sb_why[sizeof(peer->sb_reason)];
	bool split, dmd;
	const char *why;
	struct harepl_gens mine, his;
	struct harepl_hs_sent sent;
	enum harepl_hs_recheck recheck = HAREPL_HS_SAME;
	enum harepl_decision d;
	bool first;

	/* the worker after the handshake and ack_work may both get here */
	mutex_lock(&peer->decide_mutex);
	spin_lock(&peer->lock);
	his = peer->peer_gens;
	if (peer->state != HAREPL_CONN_CONNECTED || peer->hs_rejected) {
		spin_unlock(&peer->lock);
		mutex_unlock(&peer->decide_mutex);
		return;
	}
	sent = peer->hs_sent;
	first = peer->hs_check;
	peer->hs_check = false;
	spin_unlock(&peer->lock);
	harepl_gens_mine(peer, &mine);
	/*
	 * The peer decides on what our handshake said; harepl_peer_install()
	 * checked that we would decide the same. If that changed since,
	 * start over with what holds now: no later decision, and no packet
	 * the peer sent on this connection, counts. A change that keeps the
	 * decision may have come before the install: tell the peer.
	 */
	if (first)
		recheck = harepl_gens_compare(peer, &sent, &mine, &his,
					      READ_ONCE(res->role),
					      READ_ONCE(res->disk));
	if (recheck == HAREPL_HS_REFUSE) {
		spin_lock(&peer->lock);
		peer->hs_rejected = true;
		spin_unlock(&peer->lock);
		mutex_unlock(&peer->decide_mutex);
		harepl_peer_drop(peer, "our ids or role changed during the handshake");
		return;
	}
	if (recheck == HAREPL_HS_RESEND) {
		harepl_queue_ctl(peer, HAREPL_CTL_STATE);
		harepl_queue_ctl(peer, HAREPL_CTL_GENS);
	}
	d = harepl_decide_all(peer, &mine, &his, sb_why, sizeof(sb_why), &why,
			      &split);
	/* --discard-my-data counts for the first decision only */
	spin_lock(&peer->lock);
	dmd = peer->discard_my_data;
	peer->discard_my_data = false;
	spin_unlock(&peer->lock);
	if (dmd && !split)
		pr_info("%s: peer %s: connect --discard-my-data ignored: no split brain\n",
			res->name, peer->addr_str);
	pr_debug("%s: peer %s: ids %016llx/%016llx vs %016llx/%016llx: %d\n",
		 res->name, peer->addr_str, mine.current_gen, mine.bitmap_gen,
		 his.current_gen, his.bitmap_gen, d);
	switch (d) {
	case HAREPL_D_NONE:
		break;
	case HAREPL_D_WAIT:
		if (!why)
			why = harepl_unrelated;
		pr_warn("%s: peer %s: no resync: %s\n", res->name, peer->addr_str, why);
		break;
	case HAREPL_D_SPLIT:
		harepl_sync_split_brain(peer, why ?: "both nodes changed the data while apart");
		break;
	case HAREPL_D_SOURCE:
	case HAREPL_D_FULL_SOURCE:
		harepl_sync_become_source(peer, d == HAREPL_D_FULL_SOURCE);
		break;
	case HAREPL_D_TARGET:
	case HAREPL_D_FULL_TARGET:
		harepl_sync_become_target(peer, d == HAREPL_D_FULL_TARGET);
		break;
	}
	if (split && d != HAREPL_D_SPLIT)
		harepl_sb_resolved(peer, d, why);
	mutex_unlock(&peer->decide_mutex);
}

/*
 * A GENS after the handshake (receive thread): remember it; F_FULL: a full
 * sync to us starts, take its id; F_START: a bitmap resync to us starts;
 * else compare again if nothing runs.
 */
void harepl_sync_recv_gens(struct harepl_peer *peer, const struct harepl_gens *g,
			   u16 flags)
{
	struct harepl_resource *res = peer->res;
	struct harepl_gens mine;
	enum harepl_conn_state st;

	spin_lock(&peer->lock);
	peer->peer_gens = *g;
	st = peer->state;
	spin_unlock(&peer->lock);

	if (flags & (HAREPL_WIRE_F_FULL | HAREPL_WIRE_F_START)) {
		if (flags & HAREPL_WIRE_F_FULL) {
			mutex_lock(&res->md_mutex);
			harepl_md_set_current(res, g->bitmap_gen);
			harepl_md_unlock(res);
		}
		if (st != HAREPL_CONN_SYNC_TARGET) {
			if (harepl_sync_mark_target(peer, flags & HAREPL_WIRE_F_FULL))
				return;
			harepl_queue_ctl(peer, HAREPL_CTL_STATE);
			harepl_queue_ctl(peer, HAREPL_CTL_EVENT);
		} else {
			mutex_lock(&res->md_mutex);
			harepl_md_write(res);
			harepl_md_unlock(res);
		}
		return;
	}
	if (st != HAREPL_CONN_CONNECTED)
		return;
	/* a primary that moved on while we followed it: follow */
	harepl_gens_mine(peer, &mine);
	if ((g->flags & HAREPL_GENS_PRIMARY) && !g->bitmap_gen &&
	    mine.current_gen && g->history[0] == mine.current_gen &&
	    (mine.flags & HAREPL_GENS_UPTODATE) && !mine.oos_chunks) {
		mutex_lock(&res->md_mutex);
		harepl_md_set_current(res, g->current_gen);
		harepl_md_write(res);
		harepl_md_unlock(res);
		return;
	}
	harepl_queue_ctl(peer, HAREPL_CTL_DECIDE);
}

/* BITMAP from the sync target: merge it; the resync starts after the last. */
int harepl_sync_recv_bitmap(struct harepl_peer *peer, const void *buf, u32 len,
			    u16 flags, const char **why)
{
	struct harepl_resource *res = peer->res;
	const __be64 *runs = buf;
	enum harepl_conn_state st;
	u64 start, count, end;
	u32 i;

	st = harepl_peer_state(peer);
	if (st != HAREPL_CONN_CONNECTED && st != HAREPL_CONN_SYNC_SOURCE) {
		*why = "BITMAP while not about to be sync source";
		return -EPROTO;
	}
	if (len % (2 * sizeof(*runs))) {
		*why = "BITMAP length not a multiple of a run";
		return -EPROTO;
	}
	for (i = 0; i < len / sizeof(*runs); i += 2) {
		start = be64_to_cpu(runs[i]);
		count = be64_to_cpu(runs[i + 1]);
		if (!count || check_add_overflow(start, count, &end) ||
		    end > res->bm.nbits) {
			*why = "BITMAP run beyond the device";
			return -EPROTO;
		}
		harepl_bm_set(res, peer->slot, start << res->bm.chunk_shift,
			      count << res->bm.chunk_shift);
	}
	if (flags & HAREPL_WIRE_F_LAST) {
		harepl_bm_flush(res);
		spin_lock(&peer->lock);
		peer->rs_got_bitmap = true;
		spin_unlock(&peer->lock);
		harepl_resync_maybe_start(peer);
	}
	return 0;
}

/* The source's side of a finished resync (resync thread). */
void harepl_sync_done_source(struct harepl_peer *peer)
{
	struct harepl_resource *res = peer->res;
	unsigned long secs = max(1UL, (jiffies - peer->rs_start) / HZ);
	struct harepl_wire_gens w;
	struct harepl_gens sent;

	/* the target first: a crash in between leaves a full sync, not a gap */
	harepl_gens_fill(peer, &w, 0, &sent);
	if (harepl_send_packet(peer, HAREPL_WIRE_RS_DONE, 0, 0, 0, 0, 0, &w,
			       sizeof(w))) {
		harepl_peer_drop(peer, "cannot send RS_DONE");
		return;
	}
	/*
	 * RS_DONE is one-way: what the target makes of it
	 * (harepl_sync_done_target()) is our view of its ids from now on.
	 * A GENS from it would make us decide again, alone.
	 */
	spin_lock(&peer->lock);
	harepl_gen_push(&peer->peer_gens.current_gen, peer->peer_gens.history,
			sent.current_gen);
	peer->peer_gens.bitmap_gen = 0;
	peer->peer_gens.oos_chunks = 0;
	peer->peer_gens.flags = (peer->peer_gens.flags & HAREPL_GENS_PRIMARY) |
				HAREPL_GENS_CONSISTENT | HAREPL_GENS_UPTODATE;
	spin_unlock(&peer->lock);
	mutex_lock(&res->md_mutex);
	res->md.slots[peer->slot].gen_bitmap = 0;
	res->md.slots[peer->slot].flags = 0;
	/* what it logged as primary is resynced; a primary keeps the mark */
	if (READ_ONCE(res->role) != HAREPL_ROLE_PRIMARY)
		res->md.flags &= ~HAREPL_MDF_CRASHED_PRIMARY;
	harepl_md_write(res);
	harepl_md_unlock(res);
	harepl_bm_flush(res);
	spin_lock(&peer->lock);
	if (peer->state == HAREPL_CONN_SYNC_SOURCE)
		peer->state = harepl_peer_idle_state(peer);
	peer->rs_got_bitmap = false;
	spin_unlock(&peer->lock);
	pr_info("%s: peer %s: resync done: %lld bytes sent in %lu s\n", res->name,
		peer->addr_str, atomic64_read(&peer->rs_done), secs);
	harepl_resource_event(res, HAREPL_EVENT_RESYNC);
}

/* RS_DONE received (receive thread): take the source's id, UpToDate. */
void harepl_sync_done_target(struct harepl_peer *peer, const struct harepl_gens *g,
			     bool verify)
{
	struct harepl_resource *res = peer->res;

	if (verify) {
		harepl_peer_set_state(peer, HAREPL_CONN_CONNECTED);
		harepl_queue_ctl(peer, HAREPL_CTL_EVENT);
		return;
	}
	mutex_lock(&res->md_mutex);
	harepl_md_set_current(res, g->current_gen);
	res->md.flags |= HAREPL_MDF_CONSISTENT | HAREPL_MDF_UPTODATE;
	res->md.flags &= ~HAREPL_MDF_CRASHED_PRIMARY;
	harepl_bm_clear_all(res, peer->slot);
	res->md.slots[peer->slot].gen_bitmap = 0;
	res->md.slots[peer->slot].flags = 0;
	harepl_md_write(res);
	harepl_md_unlock(res);
	harepl_bm_flush(res);
	harepl_resource_set_disk(res, HAREPL_DISK_UPTODATE);
	spin_lock(&peer->lock);
	peer->peer_gens = *g;
	if (peer->state == HAREPL_CONN_SYNC_TARGET)
		peer->state = HAREPL_CONN_CONNECTED;
	spin_unlock(&peer->lock);
	pr_info("%s: peer %s: resync from the peer done, UpToDate\n", res->name,
		peer->addr_str);
	harepl_queue_ctl(peer, HAREPL_CTL_STATE);
	harepl_queue_ctl(peer, HAREPL_CTL_EVENT);
}

/* Is @node_id a peer we are connected to and in sync with? */
static bool harepl_slot_in_sync(struct harepl_resource *res, u32 node_id)
{
	struct harepl_peer *peer = harepl_peer_find(res, node_id);

	return peer && harepl_peer_state(peer) == HAREPL_CONN_CONNECTED;
}

/*
 * Will the peer in @slot follow our new id (harepl_sync_recv_gens())? It
 * does when it is connected, at our current id, UpToDate, with nothing
 * out of sync either way, and our GENS (from a primary) names no bitmap
 * id for it. Caller holds md_mutex and peers_rwsem for reading.
 */
static bool harepl_slot_follows(struct harepl_resource *res, int slot)
{
	struct harepl_peer *peer = harepl_peer_find(res, res->md.slots[slot].node_id);
	bool ret;

	if (!peer)
		return false;
	spin_lock(&peer->lock);
	ret = peer->state == HAREPL_CONN_CONNECTED &&
	      peer->peer_gens.current_gen == res->md.gen_current &&
	      (peer->peer_gens.flags & HAREPL_GENS_UPTODATE) &&
	      !peer->peer_gens.oos_chunks;
	spin_unlock(&peer->lock);
	return ret && !harepl_bm_count(res, slot);
}

/*
 * We write without some peer from now on: its slot remembers since when,
 * and whether we were primary at that split (@was_primary: we lost the
 * peer while primary; else a promotion without it), and the data gets a
 * new current id (@always: even if every slot tracked already). Caller
 * holds md_mutex and peers_rwsem for reading. Returns whether the ids
 * changed.
 */
static bool harepl_gens_diverge(struct harepl_resource *res, bool always,
				bool was_primary)
{
	unsigned long followers = 0;
	bool changed = always;
	int i;

	for (i = 0; i < res->md.max_peers; i++) {
		if (res->md.slots[i].node_id == HAREPL_MD_SLOT_FREE ||
		    res->md.slots[i].gen_bitmap)
			continue;
		if (harepl_slot_follows(res, i)) {
			followers |= BIT(i);
			continue;
		}
		res->md.slots[i].gen_bitmap = res->md.gen_current;
		res->md.slots[i].flags = was_primary ?
					 HAREPL_MD_SLOTF_PRIMARY_AT_SPLIT : 0;
		changed = true;
	}
	if (changed) {
		u64 old = res->md.gen_current;
		struct harepl_peer *peer;
		unsigned int j;

		harepl_md_new_current(res);
		/*
		 * The followers take the new id when our GENS comes: expect
		 * it. Only those found above: any other peer's slot has a
		 * bitmap id now (a connection installed in between too), and
		 * the next comparison must see that peer at the old id (we
		 * are its source), not at ours (nothing to do).
		 */
		for (j = 0; j < res->npeers; j++) {
			peer = res->peers[j];
			if (!(followers & BIT(peer->slot)))
				continue;
			spin_lock(&peer->lock);
			if (peer->state == HAREPL_CONN_CONNECTED &&
			    peer->peer_gens.current_gen == old)
				peer->peer_gens.current_gen = res->md.gen_current;
			spin_unlock(&peer->lock);
		}
	}
	return changed;
}

/*
 * Our ids changed: send them to every connected peer (which follows or
 * compares again) and compare again ourselves.
 */
void harepl_peers_send_gens(struct harepl_resource *res)
{
	unsigned int i;

	down_read(&res->peers_rwsem);
	for (i = 0; i < res->npeers; i++) {
		set_bit(HAREPL_CTL_GENS, &res->peers[i]->ctl);
		harepl_queue_ctl(res->peers[i], HAREPL_CTL_DECIDE);
	}
	up_read(&res->peers_rwsem);
}

/**
 * harepl_promote_prepare() - before a secondary becomes primary
 * @res: the resource, conf_mutex held, not dying
 *
 * The writes it applied for a former primary complete, reach stable
 * storage and leave the log (harepl_al_clean() clears
 * HAREPL_MDF_PEER_WRITES) before its log stands for its own writes: after
 * a crash as primary a node is the source for the extents of its log.
 * harepl_resource_set_role() refuses the promotion if that did not happen.
 */
void harepl_promote_prepare(struct harepl_resource *res)
{
	struct harepl_peer *peer;
	unsigned int i;
	int ret;

	if (READ_ONCE(res->role) == HAREPL_ROLE_PRIMARY ||
	    !READ_ONCE(res->al.peer_writes))
		return;
	down_read(&res->peers_rwsem);
	for (i = 0; i < res->npeers; i++) {
		peer = res->peers[i];
		/* a primary peer or a resync to us makes it fail anyway */
		if (READ_ONCE(peer->peer_role) != HAREPL_ROLE_PRIMARY &&
		    harepl_peer_state(peer) != HAREPL_CONN_SYNC_TARGET)
			wait_event_timeout(peer->apply_wq,
					   !atomic_read(&peer->applying), 30 * HZ);
	}
	up_read(&res->peers_rwsem);
	ret = harepl_al_clean(res);
	if (ret && ret != -EBUSY)
		pr_warn("%s: cannot empty the write-intent log before promotion: %d\n",
			res->name, ret);
}

/**
 * harepl_gens_role_changed() - record a role change in the superblock
 * @res: the resource
 * @primary: the new role is primary
 * @forced: promotion declared the local data good
 */
void harepl_gens_role_changed(struct harepl_resource *res, bool primary,
			      bool forced)
{
	bool diverge = forced;
	unsigned int i, n = 0;

	down_read(&res->peers_rwsem);
	mutex_lock(&res->md_mutex);
	if (primary) {
		res->md.flags |= HAREPL_MDF_WAS_PRIMARY | HAREPL_MDF_CRASHED_PRIMARY;
		if (forced)
			res->md.flags |= HAREPL_MDF_CONSISTENT | HAREPL_MDF_UPTODATE;
		for (i = 0; i < res->md.max_peers; i++) {
			if (res->md.slots[i].node_id == HAREPL_MD_SLOT_FREE)
				continue;
			n++;
			if (!harepl_slot_in_sync(res, res->md.slots[i].node_id))
				diverge = true;
		}
		if (!n && !res->npeers)
			diverge = true;		/* nobody ever followed */
		if (diverge)
			harepl_gens_diverge(res, true, false);
		harepl_md_write(res);
	}
	harepl_md_unlock(res);
	up_read(&res->peers_rwsem);
	/* the log stands for this node's own writes again */
	if (primary)
		harepl_al_clean_cancel(res, false);
	/* demoted: let the writes already in flight finish first */
	if (!primary &&
	    !wait_event_timeout(res->range_wq, harepl_writes_idle(res), 30 * HZ))
		pr_warn("%s: writes still in flight 30 s after demotion\n", res->name);
	/*
	 * Crashed-primary stays until the log is empty (harepl_al_clean()
	 * drops it): while the log names this node's writes as primary, a
	 * crash makes the node their source.
	 */
	if (!primary && harepl_al_clean(res) == -EBUSY) {
		pr_info("%s: writes in flight: write-intent log emptied once they end\n",
			res->name);
		harepl_al_clean_later(res);
	}
	if (diverge)
		harepl_peers_send_gens(res);
}

/* A primary lost @peer's connection (its worker, after teardown). */
void harepl_gens_peer_lost(struct harepl_peer *peer)
{
	struct harepl_resource *res = peer->res;

	bool changed;

	down_read(&res->peers_rwsem);
	mutex_lock(&res->md_mutex);
	changed = harepl_gens_diverge(res, false, true);
	if (changed)
		harepl_md_write(res);
	harepl_md_unlock(res);
	up_read(&res->peers_rwsem);
	harepl_bm_flush(res);
	if (changed)
		harepl_peers_send_gens(res);
}

/**
 * harepl_invalidate() - throw away our data; a full sync from @peer follows
 * @res: the resource, not primary
 * @peer: the peer to sync from
 *
 * Return: 0 or -EBUSY while a resync or verify runs with it.
 */
int harepl_invalidate(struct harepl_resource *res, struct harepl_peer *peer)
{
	enum harepl_conn_state st = harepl_peer_state(peer);
	int ret;

	if (st != HAREPL_CONN_CONNECTED && st != HAREPL_CONN_CONNECTING)
		return -EBUSY;
	mutex_lock(&res->md_mutex);
	/* no id, no history: related to nothing, so a full sync follows */
	res->md.gen_current = 0;
	memset(res->md.gen_history, 0, sizeof(res->md.gen_history));
	res->md.flags &= ~(HAREPL_MDF_CONSISTENT | HAREPL_MDF_UPTODATE);
	harepl_bm_clear_all(res, peer->slot);
	res->md.slots[peer->slot].gen_bitmap = 0;
	res->md.slots[peer->slot].flags = 0;
	ret = harepl_md_write(res);
	harepl_md_unlock(res);
	harepl_resource_set_disk(res, HAREPL_DISK_INCONSISTENT);
	if (ret)
		return ret;	/* Inconsistent in memory: no promotion */
	harepl_bm_flush(res);
	pr_warn("%s: invalidated: local data discarded, full resync from peer %s\n",
		res->name, peer->addr_str);
	harepl_queue_ctl(peer, HAREPL_CTL_STATE);
	harepl_queue_ctl(peer, HAREPL_CTL_GENS);
	harepl_queue_ctl(peer, HAREPL_CTL_DECIDE);
	return 0;
}
