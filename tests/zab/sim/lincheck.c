/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/zab/sim/lincheck.c — Wing & Gong linearizability search over one
 * register's history, with Lowe's memo of visited (linearized-set, state)
 * configurations (lincheck.h).
 *
 * The search: an operation may be linearized next if it was invoked before
 * every not-yet-linearized operation returned (it is "minimal"); a write
 * sets the state, a read must see it.  Operations that never returned may
 * be linearized anywhere after their call or not at all.  Success when
 * every returned operation is linearized.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lincheck.h"

#define MEMO_CAP (1u << 16)

struct memo_ent {
	uint64_t done;
	uint64_t state;
	bool used;
};

struct lin_ctx {
	const struct lin_op *ops;
	size_t n;
	uint64_t must; /* ops that returned */
	struct memo_ent *memo;
	size_t memo_used;
	bool gave_up;
};

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* true if (done, state) was seen before; otherwise remembers it */
static bool
memo_seen(struct lin_ctx *c, uint64_t done, uint64_t state)
{
	uint64_t h = mix(done ^ mix(state)) & (MEMO_CAP - 1);

	for (;;) {
		struct memo_ent *e = &c->memo[h];

		if (!e->used) {
			if (c->memo_used + 1 >= MEMO_CAP * 3 / 4) {
				c->gave_up = true;
				return true;
			}
			e->used = true;
			e->done = done;
			e->state = state;
			c->memo_used++;
			return false;
		}
		if (e->done == done && e->state == state)
			return true;
		h = (h + 1) & (MEMO_CAP - 1);
	}
}

static bool
search(struct lin_ctx *c, uint64_t done, uint64_t state)
{
	uint64_t minret = LIN_PENDING;
	size_t i;

	if ((done & c->must) == c->must)
		return true;
	if (memo_seen(c, done, state))
		return false;
	for (i = 0; i < c->n; i++)
		if (!(done & (1ULL << i)) && c->ops[i].ret < minret)
			minret = c->ops[i].ret;
	for (i = 0; i < c->n; i++) {
		const struct lin_op *o = &c->ops[i];
		uint64_t ns;

		if (done & (1ULL << i) || o->call > minret)
			continue;
		if (o->is_write)
			ns = o->value;
		else if (o->value == state)
			ns = state;
		else
			continue;
		if (search(c, done | (1ULL << i), ns))
			return true;
		if (c->gave_up)
			return false;
	}
	return false;
}

enum lin_result
lin_check_register(const struct lin_op *ops, size_t n, uint64_t init)
{
	struct lin_ctx c;
	size_t i;
	bool ok;

	if (n > LIN_MAX_OPS)
		return LIN_GAVE_UP;
	memset(&c, 0, sizeof(c));
	c.ops = ops;
	c.n = n;
	for (i = 0; i < n; i++)
		if (ops[i].ret != LIN_PENDING)
			c.must |= 1ULL << i;
	c.memo = calloc(MEMO_CAP, sizeof(*c.memo));
	if (c.memo == NULL)
		return LIN_GAVE_UP;
	ok = search(&c, 0, init);
	free(c.memo);
	if (ok)
		return LIN_OK;
	return c.gave_up ? LIN_GAVE_UP : LIN_VIOLATION;
}
