/* SPDX-License-Identifier: Apache-2.0 */
/*
 * zab/zab_hist.c — the history window: the log's recent tail in two
 * preallocated rings (descriptors and payload bytes), see zab_priv.h.
 *
 * Why a window and not a log-reader callback: it keeps zab pure (a DIFF is
 * served from memory on whatever thread owns the state machine, never by
 * blocking on the disk), it bounds memory, and the simulator exercises
 * exactly the code that runs in the server.  Learners behind the window
 * are synced with SNAP.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "zab/zab_priv.h"

int
zab_hist_init(struct zab_hist *h, uint32_t entries, uint32_t bytes)
{
	memset(h, 0, sizeof(*h));
	h->ents = calloc(entries, sizeof(*h->ents));
	h->bytes = malloc(bytes ? bytes : 1);
	if (h->ents == NULL || h->bytes == NULL) {
		free(h->ents);
		free(h->bytes);
		return -ENOMEM;
	}
	h->cap = entries;
	h->bcap = bytes;
	return 0;
}

void
zab_hist_fini(struct zab_hist *h)
{
	free(h->ents);
	free(h->bytes);
	memset(h, 0, sizeof(*h));
}

void
zab_hist_reset(struct zab_hist *h, uint64_t base)
{
	h->head = 0;
	h->n = 0;
	h->btail = 0;
	h->base = base;
}

const struct zab_hent *
zab_hist_at(const struct zab_hist *h, uint32_t i)
{
	return &h->ents[(h->head + i) % h->cap];
}

uint64_t
zab_hist_last(const struct zab_hist *h)
{
	return h->n ? zab_hist_at(h, h->n - 1)->zxid : h->base;
}

uint32_t
zab_hist_upper(const struct zab_hist *h, uint64_t after)
{
	uint32_t lo = 0, hi = h->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (zab_hist_at(h, mid)->zxid <= after)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool
zab_hist_has(const struct zab_hist *h, uint64_t zxid)
{
	uint32_t i = zab_hist_upper(h, zxid);

	return i > 0 && zab_hist_at(h, i - 1)->zxid == zxid;
}

/* Byte offset where a payload of len would go, or -1.  The used bytes are
 * [hoff, btail) when btail >= hoff, else [hoff, end) + [0, btail); a wrapped
 * tail never reaches hoff (strict <), so btail == hoff only means "no
 * bytes used". */
static int64_t
hist_place(const struct zab_hist *h, uint32_t len)
{
	uint32_t hoff;

	if (h->n == 0)
		return len <= h->bcap ? 0 : -1;
	hoff = zab_hist_at(h, 0)->off;
	if (h->btail >= hoff) {
		if ((uint64_t)h->btail + len <= h->bcap)
			return h->btail;
		if (len < hoff)
			return 0;
		return -1;
	}
	if ((uint64_t)h->btail + len < hoff)
		return h->btail;
	return -1;
}

static void
hist_evict_one(struct zab_hist *h)
{
	h->base = zab_hist_at(h, 0)->zxid;
	h->head = (h->head + 1) % h->cap;
	h->n--;
	if (h->n == 0)
		h->btail = 0;
}

int
zab_hist_append(struct zab_hist *h, uint64_t zxid, const void *p, uint32_t len,
		uint64_t evict_max)
{
	int64_t off;
	struct zab_hent *e;

	if (len > h->bcap)
		return -ENOSPC;
	for (;;) {
		off = h->n < h->cap ? hist_place(h, len) : -1;
		if (off >= 0)
			break;
		if (h->n == 0 || zab_hist_at(h, 0)->zxid > evict_max)
			return -ENOSPC;
		hist_evict_one(h);
	}
	e = &h->ents[(h->head + h->n) % h->cap];
	e->zxid = zxid;
	e->off = (uint32_t)off;
	e->len = len;
	if (len)
		memcpy(h->bytes + off, p, len);
	h->btail = (uint32_t)off + len;
	h->n++;
	return 0;
}

void
zab_hist_truncate(struct zab_hist *h, uint64_t zxid)
{
	while (h->n && zab_hist_at(h, h->n - 1)->zxid > zxid)
		h->n--;
	if (h->n == 0) {
		h->btail = 0;
		if (h->base > zxid)
			h->base = zxid;
	} else {
		const struct zab_hent *t = zab_hist_at(h, h->n - 1);

		h->btail = t->off + t->len;
	}
}
