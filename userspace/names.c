// SPDX-License-Identifier: GPL-2.0
/*
 * Every state, event and flag name hareplctl prints, in one place.
 */
#include <strings.h>
#include <linux/harepl.h>

#include "names.h"
#include "util.h"

static const char *const roles[] = HAREPL_ROLE_NAMES;
static const char *const disks[] = HAREPL_DISK_NAMES;
static const char *const conns[] = HAREPL_CONN_NAMES;
static const char *const modes[] = HAREPL_MODE_NAMES;
static const char *const congestions[] = HAREPL_CONGESTION_NAMES;
static const char *const after_sbs[] = HAREPL_AFTER_SB_NAMES;
static const char *const sb_results[] = HAREPL_SB_RESULT_NAMES;
static const char *const fencings[] = HAREPL_FENCING_NAMES;
static const char *const freezes[] = HAREPL_FREEZE_NAMES;
static const char *const fence_states[] = HAREPL_FENCE_STATE_NAMES;

static const char *const events[] = {
	[HAREPL_EVENT_UNSPEC]		= "unknown",
	[HAREPL_EVENT_CREATED]		= "created",
	[HAREPL_EVENT_DESTROYED]	= "destroyed",
	[HAREPL_EVENT_ROLE]		= "role",
	[HAREPL_EVENT_DISK]		= "disk",
	[HAREPL_EVENT_CONN]		= "connection",
	[HAREPL_EVENT_RESYNC]		= "resync",
	[HAREPL_EVENT_SPLIT_BRAIN]	= "split-brain",
	[HAREPL_EVENT_FENCE]		= "fence",
};

static const struct {
	uint32_t flag;
	const char *name;
} md_flags[] = {
	{ HAREPL_MDF_CONSISTENT,	"consistent" },
	{ HAREPL_MDF_UPTODATE,		"uptodate" },
	{ HAREPL_MDF_WAS_PRIMARY,	"was-primary" },
	{ HAREPL_MDF_CRASHED_PRIMARY,	"crashed-primary" },
	{ HAREPL_MDF_INTERNAL,		"internal" },
	{ HAREPL_MDF_PEER_WRITES,	"peer-writes" },
};

_Static_assert(ARRAY_SIZE(roles) == __HAREPL_ROLE_MAX, "role names");
_Static_assert(ARRAY_SIZE(disks) == __HAREPL_DISK_MAX, "disk state names");
_Static_assert(ARRAY_SIZE(conns) == __HAREPL_CONN_MAX, "connection state names");
_Static_assert(ARRAY_SIZE(modes) == __HAREPL_MODE_MAX, "mode names");
_Static_assert(ARRAY_SIZE(congestions) == __HAREPL_CONGESTION_MAX, "congestion names");
_Static_assert(ARRAY_SIZE(events) == __HAREPL_EVENT_MAX, "event names");
_Static_assert(ARRAY_SIZE(after_sbs) == __HAREPL_AFTER_SB_MAX, "split-brain policy names");
_Static_assert(ARRAY_SIZE(sb_results) == __HAREPL_SB_MAX, "split-brain result names");
_Static_assert(ARRAY_SIZE(fencings) == __HAREPL_FENCING_MAX, "fencing names");
_Static_assert(ARRAY_SIZE(freezes) == __HAREPL_FREEZE_MAX, "freeze names");
_Static_assert(ARRAY_SIZE(fence_states) == __HAREPL_FENCE_STATE_MAX, "fence state names");
_Static_assert(1U << ARRAY_SIZE(md_flags) == __HAREPL_MDF_ALL + 1, "md flag names");

static const char *lookup(const char *const *names, size_t n, uint32_t v)
{
	return v < n ? names[v] : "unknown";
}

const char *role_name(uint32_t role)
{
	return lookup(roles, ARRAY_SIZE(roles), role);
}

const char *disk_name(uint32_t disk)
{
	return lookup(disks, ARRAY_SIZE(disks), disk);
}

const char *conn_name(uint32_t conn)
{
	return lookup(conns, ARRAY_SIZE(conns), conn);
}

const char *event_name(uint32_t event)
{
	return lookup(events, ARRAY_SIZE(events), event);
}

const char *mode_name(uint32_t mode)
{
	return lookup(modes, ARRAY_SIZE(modes), mode);
}

const char *congestion_name(uint32_t congestion)
{
	return lookup(congestions, ARRAY_SIZE(congestions), congestion);
}

const char *after_sb_name(uint32_t policy)
{
	return lookup(after_sbs, ARRAY_SIZE(after_sbs), policy);
}

const char *sb_result_name(uint32_t result)
{
	return lookup(sb_results, ARRAY_SIZE(sb_results), result);
}

const char *fencing_name(uint32_t fencing)
{
	return lookup(fencings, ARRAY_SIZE(fencings), fencing);
}

const char *freeze_name(uint32_t freeze)
{
	return lookup(freezes, ARRAY_SIZE(freezes), freeze);
}

const char *fence_state_name(uint32_t state)
{
	return lookup(fence_states, ARRAY_SIZE(fence_states), state);
}

static bool parse(const char *const *names, size_t n, const char *s, uint32_t *v)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (names[i] && !strcasecmp(s, names[i])) {
			*v = (uint32_t)i;
			return true;
		}
	}
	return false;
}

bool mode_parse(const char *s, uint32_t *mode)
{
	return parse(modes, ARRAY_SIZE(modes), s, mode);
}

bool congestion_parse(const char *s, uint32_t *congestion)
{
	return parse(congestions, ARRAY_SIZE(congestions), s, congestion);
}

bool after_sb_parse(const char *s, uint32_t *policy)
{
	return parse(after_sbs, ARRAY_SIZE(after_sbs), s, policy);
}

bool fencing_parse(const char *s, uint32_t *fencing)
{
	return parse(fencings, ARRAY_SIZE(fencings), s, fencing);
}

void print_md_flags(FILE *f, uint32_t flags, const char *sep, const char *quote)
{
	const char *s = "";
	size_t i;

	for (i = 0; i < ARRAY_SIZE(md_flags); i++) {
		if (flags & md_flags[i].flag) {
			fprintf(f, "%s%s%s%s", s, quote, md_flags[i].name, quote);
			s = sep;
		}
	}
	if (flags & ~(uint32_t)__HAREPL_MDF_ALL)
		fprintf(f, "%s%sunknown%s", s, quote, quote);
	else if (!*s && !*quote)
		fputs("none", f);
}
