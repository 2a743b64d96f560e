/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/zab/sim/lincheck.h — a linearizability checker for one register
 * (one key of the simulator's map), Wing & Gong's search with Lowe's
 * memoization of (linearized set, state) pairs.
 *
 * Why bounded: the search is exponential in the worst case; histories are
 * cut per key at LIN_MAX_OPS operations (the simulator stops issuing
 * linearizable operations on a key that reached it) and the memo table is
 * fixed, so a check either answers or says "gave up" — never runs away.
 */
#ifndef DPZK_LINCHECK_H
#define DPZK_LINCHECK_H

#include <stddef.h>
#include <stdint.h>

#define LIN_MAX_OPS 64
#define LIN_PENDING UINT64_MAX /* ret of an operation that never returned */

struct lin_op {
	uint64_t call; /* invocation time */
	uint64_t ret;  /* response time, or LIN_PENDING */
	int is_write;
	uint64_t value; /* written, or read */
};

enum lin_result {
	LIN_OK = 0,
	LIN_VIOLATION = 1,
	LIN_GAVE_UP = 2, /* memo table full or too many ops */
};

/* Is the history of one register (initial value init) linearizable? */
enum lin_result lin_check_register(const struct lin_op *ops, size_t n,
				   uint64_t init);

#endif /* DPZK_LINCHECK_H */
