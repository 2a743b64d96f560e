/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tree/dict.c — the hash tables of the tree (paths, ACLs, sessions, watched
 * paths, watching sessions): chained, intrusive, keyed by bytes stored in
 * the entry itself.
 *
 * Why it is built this way: a polling core must never stop for a big
 * rehash, so, as in redis' dict.c, growing allocates a second table twice
 * the size and moves buckets over a few at a time on every later operation
 * (and from tree_tick when idle); lookups look in both tables meanwhile.
 * Entries are intrusive (struct hlink at the top of the znode, ACL, ...), so
 * the table costs one pointer per bucket and nothing per entry beyond the
 * link.  Tables of 2 MiB and more are mapped with MADV_HUGEPAGE: a random
 * probe into a 16 MiB table of 4 KiB pages is a TLB miss as well as a
 * cache miss.  The hash is CRC32C with the SSE4.2 instruction, 8 bytes a step:
 * a path of 20 bytes hashes in a few nanoseconds.  The tables never shrink
 * (ZooKeeper's do not either).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tree/tree_priv.h"

#define DICT_INIT_SIZE 64
#define DICT_STEP      2 /* buckets moved per operation while rehashing */

uint32_t
dict_hash(const void *key, size_t len)
{
	const uint8_t *p = key;
	uint64_t h = 0x9e3779b97f4a7c15ULL;
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = __builtin_ia32_crc32di(h, w);
		p += 8;
		len -= 8;
	}
	uint32_t h32 = (uint32_t)h;
	if (len >= 4) {
		uint32_t w;
		memcpy(&w, p, 4);
		h32 = __builtin_ia32_crc32si(h32, w);
		p += 4;
		len -= 4;
	}
	while (len > 0) {
		h32 = __builtin_ia32_crc32qi(h32, *p++);
		len--;
	}
	/* CRC's low bits are fine, but mix so close keys spread. */
	h32 ^= h32 >> 16;
	h32 *= 0x45d9f3bU;
	h32 ^= h32 >> 16;
	return h32;
}

#define BIG_TABLE ((size_t)2 << 20)

static struct hlink **
table_alloc(size_t n)
{
	size_t bytes = n * sizeof(struct hlink *);
	if (bytes < BIG_TABLE)
		return calloc(n, sizeof(struct hlink *));
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	(void)madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}

static void
table_free(struct hlink **t, size_t n)
{
	size_t bytes = n * sizeof(struct hlink *);
	if (t == NULL)
		return;
	if (bytes < BIG_TABLE)
		free(t);
	else
		munmap(t, bytes);
}

void
dict_init(struct dict *d, size_t key_off, uint64_t *bytes)
{
	memset(d, 0, sizeof(*d));
	d->rehash = -1;
	d->key_off = key_off;
	d->bytes = bytes;
}

void
dict_fini(struct dict *d)
{
	for (int i = 0; i < 2; i++) {
		if (d->tab[i] != NULL) {
			table_free(d->tab[i], d->size[i]);
			*d->bytes -= d->size[i] * sizeof(struct hlink *);
		}
	}
	d->tab[0] = d->tab[1] = NULL;
	d->size[0] = d->size[1] = 0;
}

static inline const void *
key_of(const struct dict *d, const struct hlink *l)
{
	return (const char *)l + d->key_off;
}

int
dict_step(struct dict *d, unsigned n)
{
	unsigned empty = n * 10;
	if (d->rehash < 0)
		return 0;
	while (n > 0 && d->used[0] > 0) {
		struct hlink **b = &d->tab[0][d->rehash];
		if (*b == NULL) {
			d->rehash++;
			if (--empty == 0)
				return 1;
			continue;
		}
		struct hlink *l = *b, *nx;
		for (; l != NULL; l = nx) {
			nx = l->next;
			size_t i = l->hash & (d->size[1] - 1);
			l->next = d->tab[1][i];
			d->tab[1][i] = l;
			d->used[0]--;
			d->used[1]++;
		}
		*b = NULL;
		d->rehash++;
		n--;
	}
	if (d->used[0] == 0) {
		table_free(d->tab[0], d->size[0]);
		*d->bytes -= d->size[0] * sizeof(struct hlink *);
		d->tab[0] = d->tab[1];
		d->size[0] = d->size[1];
		d->used[0] = d->used[1];
		d->tab[1] = NULL;
		d->size[1] = d->used[1] = 0;
		d->rehash = -1;
		return 0;
	}
	return 1;
}

struct hlink *
dict_find(struct dict *d, const void *key, uint32_t klen, uint32_t hash)
{
	if (d->rehash >= 0)
		dict_step(d, DICT_STEP);
	for (int t = 0; t < 2; t++) {
		if (d->size[t] == 0)
			continue;
		struct hlink *l = d->tab[t][hash & (d->size[t] - 1)];
		for (; l != NULL; l = l->next) {
			if (l->hash == hash && l->klen == klen &&
			    memcmp(key_of(d, l), key, klen) == 0)
				return l;
		}
		if (d->rehash < 0)
			break;
	}
	return NULL;
}

static int
dict_expand(struct dict *d)
{
	size_t ns = d->size[0] == 0 ? DICT_INIT_SIZE : d->size[0] * 2;
	if (d->size[0] == 0)
		while (ns < d->presize)
			ns *= 2;
	struct hlink **tab = table_alloc(ns);
	if (tab == NULL)
		return -ENOMEM;
	*d->bytes += ns * sizeof(*tab);
	if (d->size[0] == 0) {
		d->tab[0] = tab;
		d->size[0] = ns;
		return 0;
	}
	d->tab[1] = tab;
	d->size[1] = ns;
	d->rehash = 0;
	return 0;
}

int
dict_add(struct dict *d, struct hlink *l)
{
	if (d->rehash >= 0)
		dict_step(d, DICT_STEP);
	else if (d->used[0] >= d->size[0]) {
		int rc = dict_expand(d);
		if (rc != 0 && d->size[0] == 0)
			return rc; /* else: run at a higher load factor */
	}
	int t = d->rehash >= 0 ? 1 : 0;
	size_t i = l->hash & (d->size[t] - 1);
	l->next = d->tab[t][i];
	d->tab[t][i] = l;
	d->used[t]++;
	return 0;
}

void
dict_del(struct dict *d, struct hlink *l)
{
	if (d->rehash >= 0)
		dict_step(d, DICT_STEP);
	for (int t = 0; t < 2; t++) {
		if (d->size[t] == 0)
			continue;
		struct hlink **pp = &d->tab[t][l->hash & (d->size[t] - 1)];
		for (; *pp != NULL; pp = &(*pp)->next) {
			if (*pp == l) {
				*pp = l->next;
				d->used[t]--;
				return;
			}
		}
	}
}

size_t
dict_count(const struct dict *d)
{
	return d->used[0] + d->used[1];
}

void
dict_foreach(struct dict *d, void (*fn)(void *arg, struct hlink *l), void *arg)
{
	for (int t = 0; t < 2; t++) {
		for (size_t i = 0; i < d->size[t]; i++) {
			struct hlink *l = d->tab[t][i], *nx;
			for (; l != NULL; l = nx) {
				nx = l->next;
				fn(arg, l);
			}
		}
	}
}

void
dict_prefetch(const struct dict *d, uint32_t hash, int stage)
{
	for (int t = 0; t < 2; t++) {
		if (d->size[t] == 0)
			continue;
		struct hlink *const *b = &d->tab[t][hash & (d->size[t] - 1)];
		if (stage == 0) {
			__builtin_prefetch(b);
		} else {
			for (const struct hlink *l = *b; l != NULL;
			     l = l->next) {
				if (l->hash != hash)
					continue;
				const char *p = (const char *)l;
				__builtin_prefetch(p);
				__builtin_prefetch(p + 64);
				__builtin_prefetch(p + 128);
				__builtin_prefetch(p + 192);
				break;
			}
		}
		if (d->rehash < 0)
			break;
	}
}
