/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fault.c — the fault dice, the hold queue and the neighbour cache:
 * the pure pieces of the dataplane that decide what happens to a packet
 * beyond parsing.  Items are plain integers cast to pointers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>

#include <cmocka.h>

#include "dataplane/dp_priv.h"

#define ITEM(n) ((void *)(uintptr_t)(n))

static void
test_rng_is_reproducible_from_its_seed(void **state)
{
	struct dp_rng a, b, c;
	int i, same = 0;

	(void)state;
	dp_rng_seed(&a, 42);
	dp_rng_seed(&b, 42);
	dp_rng_seed(&c, 43);
	for (i = 0; i < 1000; i++) {
		uint64_t x = dp_rng_next(&a);

		assert_int_equal(x, dp_rng_next(&b));
		same += x == dp_rng_next(&c);
	}
	assert_int_equal(same, 0);
}

static void
test_rng_unit_is_in_zero_one(void **state)
{
	struct dp_rng r;
	double lo = 1, hi = 0, sum = 0;
	int i;

	(void)state;
	dp_rng_seed(&r, 7);
	for (i = 0; i < 100000; i++) {
		double u = dp_rng_unit(&r);

		assert_true(u >= 0.0 && u < 1.0);
		lo = u < lo ? u : lo;
		hi = u > hi ? u : hi;
		sum += u;
	}
	assert_true(lo < 0.001 && hi > 0.999);
	assert_true(sum / 100000 > 0.49 && sum / 100000 < 0.51);
}

static void
test_roll_with_no_faults_always_passes(void **state)
{
	struct dp_rng r;
	struct dp_fault_dir d = {0};
	int i;

	(void)state;
	dp_rng_seed(&r, 1);
	assert_false(dp_fault_dir_active(&d));
	for (i = 0; i < 10000; i++)
		assert_int_equal(dp_fault_roll(&r, &d), DP_FAULT_PASS);
}

static void
test_roll_with_drop_one_always_drops(void **state)
{
	struct dp_rng r;
	struct dp_fault_dir d = {.drop = 1.0, .dup = 1.0};
	int i;

	(void)state;
	dp_rng_seed(&r, 1);
	for (i = 0; i < 1000; i++)
		assert_int_equal(dp_fault_roll(&r, &d), DP_FAULT_DROP);
}

static void
test_roll_frequencies_follow_probabilities(void **state)
{
	struct dp_rng r;
	struct dp_fault_dir d = {.drop = 0.1, .dup = 0.2, .reorder = 0.5};
	int n[4] = {0}, i;
	const int N = 200000;

	(void)state;
	dp_rng_seed(&r, 99);
	for (i = 0; i < N; i++)
		n[dp_fault_roll(&r, &d)]++;
	/* drop 0.1; dup 0.9*0.2 = 0.18; hold 0.9*0.8*0.5 = 0.36 */
	assert_true(n[DP_FAULT_DROP] > N * 0.095 &&
		    n[DP_FAULT_DROP] < N * 0.105);
	assert_true(n[DP_FAULT_DUP] > N * 0.17 && n[DP_FAULT_DUP] < N * 0.19);
	assert_true(n[DP_FAULT_HOLD] > N * 0.35 && n[DP_FAULT_HOLD] < N * 0.37);
}

static void
test_partition_matches_listed_addresses_only(void **state)
{
	struct dp_fault_config f = {.partition = {0xc612000cu, 0xc612000du},
				    .n_partition = 2};

	(void)state;
	assert_true(dp_fault_partitioned(&f, 0xc612000cu));
	assert_true(dp_fault_partitioned(&f, 0xc612000du));
	assert_false(dp_fault_partitioned(&f, 0xc612000bu));
	f.n_partition = 0;
	assert_false(dp_fault_partitioned(&f, 0xc612000cu));
}

static void
test_fault_check_rejects_bad_settings(void **state)
{
	struct dp_fault_config f;

	(void)state;
	memset(&f, 0, sizeof(f));
	assert_int_equal(dp_fault_check(&f), 0);
	f.tx.drop = 1.01;
	assert_int_equal(dp_fault_check(&f), -EINVAL);
	f.tx.drop = 0;
	f.rx.hold = DP_HOLD_MAX + 1;
	assert_int_equal(dp_fault_check(&f), -EINVAL);
	f.rx.hold = 1;
	f.n_partition = DP_FAULT_MAX_PARTITION + 1;
	assert_int_equal(dp_fault_check(&f), -EINVAL);
}

static void
test_held_item_leaves_after_n_others(void **state)
{
	struct dp_hold h = {0};

	(void)state;
	assert_int_equal(dp_hold_push(&h, ITEM(1), 2, 1000), 0);
	assert_null(dp_hold_pop(&h, 0, false));
	dp_hold_tick(&h);
	assert_null(dp_hold_pop(&h, 0, false));
	dp_hold_tick(&h);
	assert_ptr_equal(dp_hold_pop(&h, 0, false), ITEM(1));
	assert_int_equal(h.n, 0);
}

static void
test_held_item_leaves_at_its_deadline(void **state)
{
	struct dp_hold h = {0};

	(void)state;
	dp_hold_push(&h, ITEM(1), 10, 500);
	assert_null(dp_hold_pop(&h, 499, false));
	assert_ptr_equal(dp_hold_pop(&h, 500, false), ITEM(1));
}

static void
test_hold_releases_oldest_due_first(void **state)
{
	struct dp_hold h = {0};

	(void)state;
	dp_hold_push(&h, ITEM(1), 1, 100);
	dp_hold_push(&h, ITEM(2), 1, 100);
	dp_hold_push(&h, ITEM(3), 5, 100);
	dp_hold_tick(&h);
	assert_ptr_equal(dp_hold_pop(&h, 0, false), ITEM(1));
	assert_ptr_equal(dp_hold_pop(&h, 0, false), ITEM(2));
	assert_null(dp_hold_pop(&h, 0, false));
	assert_ptr_equal(dp_hold_pop(&h, 0, true), ITEM(3));
}

static void
test_hold_is_bounded(void **state)
{
	struct dp_hold h = {0};
	int i;

	(void)state;
	for (i = 0; i < DP_HOLD_MAX; i++)
		assert_int_equal(dp_hold_push(&h, ITEM(i + 1), 1, 1), 0);
	assert_int_equal(dp_hold_push(&h, ITEM(99), 1, 1), -ENOSPC);
}

static int evicted;

static void
count_evict(void *item, void *arg)
{
	(void)item;
	(void)arg;
	evicted++;
}

static void
test_neigh_learn_then_lookup(void **state)
{
	static struct dp_neigh_table t;
	const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
	struct dp_neigh *n;

	(void)state;
	dp_neigh_init(&t);
	assert_null(dp_neigh_lookup(&t, 0xc6120001u));
	dp_neigh_learn(&t, 0xc6120001u, mac, 5, count_evict, NULL);
	n = dp_neigh_lookup(&t, 0xc6120001u);
	assert_non_null(n);
	assert_int_equal(n->state, DP_NEIGH_REACHABLE);
	assert_memory_equal(n->mac, mac, 6);
}

static void
test_neigh_get_makes_incomplete_entry_once(void **state)
{
	static struct dp_neigh_table t;
	struct dp_neigh *a, *b;

	(void)state;
	dp_neigh_init(&t);
	a = dp_neigh_get(&t, 0xc6120002u, 1, count_evict, NULL);
	assert_int_equal(a->state, DP_NEIGH_INCOMPLETE);
	a->pending[a->n_pending++] = ITEM(7);
	b = dp_neigh_get(&t, 0xc6120002u, 2, count_evict, NULL);
	assert_ptr_equal(a, b);
	assert_int_equal(b->n_pending, 1);
}

static void
test_neigh_full_window_evicts_oldest_with_its_queue(void **state)
{
	static struct dp_neigh_table t;
	const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
	uint32_t ip;
	unsigned int filled = 0;
	struct dp_neigh *n;

	(void)state;
	dp_neigh_init(&t);
	evicted = 0;
	/* Many addresses: every probe window eventually fills up and the
	 * table keeps working (newest entries always findable). */
	for (ip = 0x0a000001u; ip < 0x0a000001u + 4 * DP_NEIGH_SIZE; ip++) {
		n = dp_neigh_get(&t, ip, ip, count_evict, NULL);
		n->pending[n->n_pending++] = ITEM(ip);
		assert_ptr_equal(dp_neigh_lookup(&t, ip), n);
		filled++;
	}
	assert_true(evicted > 0);
	assert_true(evicted <= (int)filled);
	n = dp_neigh_learn(&t, 0x0a000001u + 5, mac, 1u << 30, count_evict,
			   NULL);
	assert_ptr_equal(dp_neigh_lookup(&t, 0x0a000001u + 5), n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rng_is_reproducible_from_its_seed),
		cmocka_unit_test(test_rng_unit_is_in_zero_one),
		cmocka_unit_test(test_roll_with_no_faults_always_passes),
		cmocka_unit_test(test_roll_with_drop_one_always_drops),
		cmocka_unit_test(test_roll_frequencies_follow_probabilities),
		cmocka_unit_test(test_partition_matches_listed_addresses_only),
		cmocka_unit_test(test_fault_check_rejects_bad_settings),
		cmocka_unit_test(test_held_item_leaves_after_n_others),
		cmocka_unit_test(test_held_item_leaves_at_its_deadline),
		cmocka_unit_test(test_hold_releases_oldest_due_first),
		cmocka_unit_test(test_hold_is_bounded),
		cmocka_unit_test(test_neigh_learn_then_lookup),
		cmocka_unit_test(test_neigh_get_makes_incomplete_entry_once),
		cmocka_unit_test(
			test_neigh_full_window_evicts_oldest_with_its_queue),
	};

	return cmocka_run_group_tests_name("dataplane_fault", tests, NULL,
					   NULL);
}
