/* SPDX-License-Identifier: Apache-2.0 */
/*
 * zab/zab_priv.h — private declarations shared by zab's source files: the
 * history window (zab_hist.c) and the state machine's layout (zab.c).
 *
 * The history window is two preallocated rings: entry descriptors (zxid,
 * offset, length) and payload bytes.  Entries are appended at the tail in
 * zxid order, truncated from the tail (TRUNC) and evicted from the head
 * once applied; a payload never wraps (it is placed at offset 0 when it
 * does not fit at the end), so every payload is one contiguous view.
 */
#ifndef DPZK_ZAB_PRIV_H
#define DPZK_ZAB_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zab/zab.h"

struct zab_hent {
	uint64_t zxid;
	uint32_t off;
	uint32_t len;
};

struct zab_hist {
	struct zab_hent *ents;
	uint32_t cap;  /* entries */
	uint32_t head; /* index of the oldest entry */
	uint32_t n;
	uint8_t *bytes;
	uint32_t bcap;
	uint32_t btail; /* where the next payload goes */
	uint64_t base;	/* everything <= base is gone from the window */
};

int zab_hist_init(struct zab_hist *h, uint32_t entries, uint32_t bytes);
void zab_hist_fini(struct zab_hist *h);
/* Drop everything; the window now starts after base. */
void zab_hist_reset(struct zab_hist *h, uint64_t base);
/* Append (zxid > last).  Evicts entries <= evict_max from the head when
 * space is short.  0 or -ENOSPC. */
int zab_hist_append(struct zab_hist *h, uint64_t zxid, const void *p,
		    uint32_t len, uint64_t evict_max);
/* Drop entries > zxid from the tail. */
void zab_hist_truncate(struct zab_hist *h, uint64_t zxid);
uint64_t zab_hist_last(const struct zab_hist *h);
/* i-th entry from the head (0 <= i < n). */
const struct zab_hent *zab_hist_at(const struct zab_hist *h, uint32_t i);
/* Index of the first entry with zxid > after (n if none). */
uint32_t zab_hist_upper(const struct zab_hist *h, uint64_t after);
/* Is zxid an entry of the window? */
bool zab_hist_has(const struct zab_hist *h, uint64_t zxid);
static inline struct proto_view
zab_hist_view(const struct zab_hist *h, const struct zab_hent *e)
{
	struct proto_view v = {h->bytes + e->off, (int32_t)e->len};
	return v;
}

#endif /* DPZK_ZAB_PRIV_H */
