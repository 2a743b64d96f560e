/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dp_arp.c — the neighbour cache: IPv4 → MAC with a bounded queue of
 * packets waiting for resolution per neighbour.
 *
 * Why it is built this way: the cache lives in the polling lcore's own
 * state, so it needs no lock; it is a fixed open-addressed table (hash of
 * the address, a probe window of DP_NEIGH_PROBE slots) so a lookup is a
 * few compares and an insert never allocates.  When a window is full the
 * least recently updated entry is reused and whatever it still had queued
 * is handed back to the caller to drop and count.  Items are opaque
 * pointers (mbufs in the server), which keeps this file pure and testable.
 * Entries do not expire: a neighbour that changes its MAC announces it
 * (gratuitous ARP) or is re-learned from its next ARP packet.
 */
#include <string.h>

#include "dataplane/dp_priv.h"

static inline unsigned int
neigh_hash(uint32_t ip)
{
	/* Fibonacci hashing; the low bits of addresses on one subnet are
	 * what varies, this spreads them over the table. */
	return (unsigned int)((ip * 2654435769u) >> 24) & (DP_NEIGH_SIZE - 1);
}

void
dp_neigh_init(struct dp_neigh_table *t)
{
	memset(t, 0, sizeof(*t));
}

struct dp_neigh *
dp_neigh_lookup(struct dp_neigh_table *t, uint32_t ip)
{
	unsigned int h = neigh_hash(ip), i;

	for (i = 0; i < DP_NEIGH_PROBE; i++) {
		struct dp_neigh *n = &t->e[(h + i) & (DP_NEIGH_SIZE - 1)];

		if (n->state != DP_NEIGH_FREE && n->ip == ip)
			return n;
	}
	return NULL;
}

struct dp_neigh *
dp_neigh_get(struct dp_neigh_table *t, uint32_t ip, uint64_t now_us,
	     void (*evict)(void *, void *), void *arg)
{
	unsigned int h = neigh_hash(ip), i;
	struct dp_neigh *free_slot = NULL, *oldest = NULL, *n;

	for (i = 0; i < DP_NEIGH_PROBE; i++) {
		n = &t->e[(h + i) & (DP_NEIGH_SIZE - 1)];
		if (n->state == DP_NEIGH_FREE) {
			if (free_slot == NULL)
				free_slot = n;
			continue;
		}
		if (n->ip == ip)
			return n;
		if (oldest == NULL || n->updated_us < oldest->updated_us)
			oldest = n;
	}
	n = free_slot ? free_slot : oldest;
	if (n->state != DP_NEIGH_FREE) {
		for (i = 0; i < n->n_pending; i++)
			if (evict != NULL)
				evict(n->pending[i], arg);
	}
	memset(n, 0, sizeof(*n));
	n->ip = ip;
	n->state = DP_NEIGH_INCOMPLETE;
	n->updated_us = now_us;
	return n;
}

struct dp_neigh *
dp_neigh_learn(struct dp_neigh_table *t, uint32_t ip, const uint8_t mac[6],
	       uint64_t now_us, void (*evict)(void *, void *), void *arg)
{
	struct dp_neigh *n = dp_neigh_get(t, ip, now_us, evict, arg);

	memcpy(n->mac, mac, 6);
	n->state = DP_NEIGH_REACHABLE;
	n->updated_us = now_us;
	n->tries = 0;
	return n;
}
