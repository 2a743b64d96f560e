/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tree/arena.c — the memory every znode, name, data buffer, ACL, session and
 * watch record lives in.
 *
 * Why it is built this way: the tree is the working set of every read, so it
 * should sit on 2 MiB pages (fewer TLB misses) that the kernel never swaps or
 * compacts under us.  Memory is mapped in large chunks from hugetlbfs through
 * libhugetlbfs (get_huge_pages), or, when no hugepages are reserved, from
 * ordinary anonymous pages with madvise(MADV_HUGEPAGE) so transparent
 * hugepages can still back them; which one we got is reported.  Inside the
 * chunks a size-class allocator (16-byte classes up to 256 B, then four
 * classes per power of two up to 2 MiB) bump-allocates and keeps one free
 * list per class.  Blocks have no header: the caller passes the size back to
 * arena_free (it always knows it: path length, data length), which keeps the
 * per-znode overhead down.  Mapping a new chunk is the only syscall, and it
 * happens once per chunk, not per request.
 */
#include <errno.h>
#include <stddef.h>
#include <hugetlbfs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tree/tree_priv.h"

#define HUGE_SZ ((size_t)2 << 20)

static unsigned
size_class(size_t n, size_t *rounded)
{
	if (n == 0)
		n = 1;
	if (n <= 256) {
		size_t r = (n + 15) & ~(size_t)15;
		*rounded = r;
		return (unsigned)(r / 16 - 1); /* 0..15 */
	}
	/* n in (2^k, 2^(k+1)], k >= 8: four steps of 2^(k-2). */
	unsigned k =
		63 - (unsigned)__builtin_clzll((unsigned long long)(n - 1));
	size_t step = (size_t)1 << (k - 2);
	size_t r = (n + step - 1) & ~(step - 1);
	*rounded = r;
	unsigned sub = (unsigned)((r >> (k - 2)) - 4); /* 1..4 */
	return 16 + (k - 8) * 4 + sub - 1;
}

/* The largest class size <= left (0 when below the smallest class). */
static size_t
floor_class_size(size_t left)
{
	if (left > ARENA_MAX_BLOCK)
		left = ARENA_MAX_BLOCK;
	if (left < 16)
		return 0;
	if (left <= 256)
		return left & ~(size_t)15;
	unsigned k = 63 - (unsigned)__builtin_clzll((unsigned long long)left);
	size_t step = (size_t)1 << (k - 2);
	return left & ~(step - 1);
}

int
arena_init(struct arena *a, enum tree_arena_mode mode, size_t chunk, size_t max)
{
	memset(a, 0, sizeof(*a));
	a->mode = mode;
	if (chunk == 0)
		chunk = (size_t)32 << 20;
	if (chunk < ARENA_MAX_BLOCK)
		chunk = ARENA_MAX_BLOCK;
	a->chunk = (chunk + HUGE_SZ - 1) & ~(HUGE_SZ - 1);
	a->max = max;
	return 0;
}

static void *
map_huge(size_t len)
{
	if (hugetlbfs_find_path() == NULL)
		return NULL;
	long hp = gethugepagesize();
	if (hp <= 0 || len % (size_t)hp != 0)
		return NULL;
	void *p = get_huge_pages(len, GHP_DEFAULT);
	return p;
}

static int
arena_grow(struct arena *a, size_t need)
{
	size_t len = a->chunk;
	if (need > len)
		len = (need + HUGE_SZ - 1) & ~(HUGE_SZ - 1);
	if (a->max != 0 && a->mapped + len > a->max)
		return -ENOMEM;
	struct arena_chunk *c = malloc(sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	void *p = NULL;
	bool huge = false;
	if (a->mode != TREE_ARENA_PAGES_ONLY && !a->huge_failed) {
		p = map_huge(len);
		if (p != NULL)
			huge = true;
		else
			a->huge_failed = true;
	}
	if (p == NULL) {
		if (a->mode == TREE_ARENA_HUGE_ONLY) {
			free(c);
			return -ENOMEM;
		}
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED) {
			free(c);
			return -ENOMEM;
		}
		(void)madvise(p, len, MADV_HUGEPAGE);
	}
	c->base = p;
	c->len = len;
	c->huge = huge;
	c->next = a->chunks;
	a->chunks = c;
	a->mapped += len;
	if (huge)
		a->n_huge++;
	else
		a->n_thp++;
	/* The tail of the previous bump region goes to the free lists of the
	 * biggest classes that fit, so it is not lost. */
	while (a->cur != NULL) {
		size_t left = (size_t)(a->end - a->cur), r;
		size_t take = floor_class_size(left);
		if (take == 0)
			break;
		unsigned cl = size_class(take, &r);
		*(void **)a->cur = a->free[cl];
		a->free[cl] = a->cur;
		a->cur += r;
	}
	a->cur = p;
	a->end = (char *)p + len;
	return 0;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	size_t r;
	if (n > ARENA_MAX_BLOCK)
		return NULL;
	unsigned cl = size_class(n, &r);
	void *p = a->free[cl];
	if (p != NULL) {
		a->free[cl] = *(void **)p;
	} else {
		if (a->cur == NULL || (size_t)(a->end - a->cur) < r) {
			if (arena_grow(a, r) != 0)
				return NULL;
		}
		p = a->cur;
		a->cur += r;
	}
	a->used += r;
	return p;
}

void
arena_free(struct arena *a, void *p, size_t n)
{
	size_t r;
	if (p == NULL)
		return;
	unsigned cl = size_class(n, &r);
	*(void **)p = a->free[cl];
	a->free[cl] = p;
	a->used -= r;
}

void
arena_fini(struct arena *a)
{
	struct arena_chunk *c = a->chunks, *nx;
	for (; c != NULL; c = nx) {
		nx = c->next;
		if (c->huge)
			free_huge_pages(c->base);
		else
			munmap(c->base, c->len);
		free(c);
	}
	memset(a, 0, sizeof(*a));
}

int
arena_kind(const struct arena *a)
{
	if (a->n_huge == 0 && a->n_thp == 0)
		return TREE_ARENA_NONE;
	if (a->n_thp == 0)
		return TREE_ARENA_HUGETLBFS;
	if (a->n_huge == 0)
		return TREE_ARENA_THP;
	return TREE_ARENA_MIXED;
}

const char *
tree_arena_kind_name(int kind)
{
	switch (kind) {
	case TREE_ARENA_HUGETLBFS:
		return "hugetlbfs";
	case TREE_ARENA_THP:
		return "thp";
	case TREE_ARENA_MIXED:
		return "mixed";
	default:
		return "none";
	}
}
