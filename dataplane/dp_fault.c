/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dp_fault.c — the fault-injection dice (drop, duplicate, hold back) and
 * the hold queue that delays and reorders packets.
 *
 * Why it is built this way: the test kernel has no netem, so the faults
 * that the protocol must survive are made here, on the lcore, where every
 * packet passes anyway.  The dice are a seeded xoshiro256** generator, so
 * a failing run is reproduced by its seed.  A held packet leaves after N
 * other packets went by or after a deadline, whichever is first, which
 * gives both reordering (under traffic) and delay (when idle) without a
 * timer wheel.  Pure code; the loop owns the mbufs it passes as items.
 */
#include <errno.h>
#include <string.h>

#include "dataplane/dp_priv.h"

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void
dp_rng_seed(struct dp_rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

uint64_t
dp_rng_next(struct dp_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double
dp_rng_unit(struct dp_rng *r)
{
	return (double)(dp_rng_next(r) >> 11) * 0x1.0p-53;
}

bool
dp_fault_dir_active(const struct dp_fault_dir *d)
{
	return d->drop > 0 || d->dup > 0 || d->reorder > 0;
}

enum dp_fault_verdict
dp_fault_roll(struct dp_rng *r, const struct dp_fault_dir *d)
{
	if (d->drop > 0 && dp_rng_unit(r) < d->drop)
		return DP_FAULT_DROP;
	if (d->dup > 0 && dp_rng_unit(r) < d->dup)
		return DP_FAULT_DUP;
	if (d->reorder > 0 && dp_rng_unit(r) < d->reorder)
		return DP_FAULT_HOLD;
	return DP_FAULT_PASS;
}

bool
dp_fault_partitioned(const struct dp_fault_config *f, uint32_t ip)
{
	unsigned int i;

	for (i = 0; i < f->n_partition; i++)
		if (f->partition[i] == ip)
			return true;
	return false;
}

static int
dir_check(const struct dp_fault_dir *d)
{
	if (!(d->drop >= 0 && d->drop <= 1) || !(d->dup >= 0 && d->dup <= 1) ||
	    !(d->reorder >= 0 && d->reorder <= 1))
		return -EINVAL;
	if (d->hold > DP_HOLD_MAX)
		return -EINVAL;
	return 0;
}

int
dp_fault_check(const struct dp_fault_config *f)
{
	if (f->n_partition > DP_FAULT_MAX_PARTITION)
		return -EINVAL;
	if (dir_check(&f->rx) != 0 || dir_check(&f->tx) != 0)
		return -EINVAL;
	return 0;
}

int
dp_hold_push(struct dp_hold *h, void *item, uint32_t after,
	     uint64_t deadline_us)
{
	if (h->n == DP_HOLD_MAX)
		return -ENOSPC;
	h->s[h->n].item = item;
	h->s[h->n].after = after;
	h->s[h->n].deadline_us = deadline_us;
	h->n++;
	return 0;
}

void
dp_hold_tick(struct dp_hold *h)
{
	unsigned int i;

	for (i = 0; i < h->n; i++)
		if (h->s[i].after > 0)
			h->s[i].after--;
}

void *
dp_hold_pop(struct dp_hold *h, uint64_t now_us, bool force)
{
	unsigned int i;
	void *item;

	for (i = 0; i < h->n; i++) {
		if (force || h->s[i].after == 0 ||
		    now_us >= h->s[i].deadline_us) {
			item = h->s[i].item;
			memmove(&h->s[i], &h->s[i + 1],
				(h->n - i - 1) * sizeof(h->s[0]));
			h->n--;
			return item;
		}
	}
	return NULL;
}
