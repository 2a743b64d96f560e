/*
 * test_hist.c — dpzk-bench's latency histogram against exact answers.
 *
 * Percentiles are checked against the nearest-rank percentile of the sorted
 * samples for known distributions (uniform, exponential, bimodal); the
 * promise is 1 % of the value (the layout gives 0.4 %).  Merging must give
 * exactly the histogram of the union.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define N 200000

static uint64_t rng_state = 42;

static double
unit(void)
{
	/* xorshift64*: deterministic, enough for test data */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return ((double)((rng_state * UINT64_C(2685821657736338717)) >> 11) +
		0.5) /
	       9007199254740992.0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t
exact_pct(const uint64_t *sorted, size_t n, double pct)
{
	size_t rank = (size_t)ceil(pct / 100.0 * (double)n);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

static void
check_distribution(uint64_t *v, size_t n)
{
	static const double pcts[] = {1,  10,	25,    50,     75,   90,
				      99, 99.9, 99.99, 99.999, 100.0};
	struct bench_hist *h = malloc(sizeof(*h));
	size_t i;

	assert_non_null(h);
	bench_hist_init(h);
	for (i = 0; i < n; i++)
		bench_hist_record(h, v[i]);
	qsort(v, n, sizeof(*v), cmp_u64);
	assert_int_equal(h->total, n);
	assert_int_equal(h->min, v[0]);
	assert_int_equal(h->max, v[n - 1]);
	for (i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		uint64_t want = exact_pct(v, n, pcts[i]);
		uint64_t got = bench_hist_percentile(h, pcts[i]);
		double err = fabs((double)got - (double)want);

		if (err > 0.01 * (double)want + 1.0)
			fail_msg("p%g: got %llu want %llu", pcts[i],
				 (unsigned long long)got,
				 (unsigned long long)want);
	}
	free(h);
}

static void
percentiles_of_uniform_within_one_percent(void **state)
{
	uint64_t *v = malloc(N * sizeof(*v));
	size_t i;

	(void)state;
	for (i = 0; i < N; i++)
		v[i] = 1000 + (uint64_t)(unit() * 10e6); /* 1 us .. 10 ms */
	check_distribution(v, N);
	free(v);
}

static void
percentiles_of_exponential_within_one_percent(void **state)
{
	uint64_t *v = malloc(N * sizeof(*v));
	size_t i;

	(void)state;
	for (i = 0; i < N; i++)
		v[i] = (uint64_t)(-log(unit()) * 100e3); /* mean 100 us */
	check_distribution(v, N);
	free(v);
}

static void
percentiles_of_bimodal_within_one_percent(void **state)
{
	uint64_t *v = malloc(N * sizeof(*v));
	size_t i;

	(void)state;
	for (i = 0; i < N; i++) {
		if (unit() < 0.9)
			v[i] = 40000 + (uint64_t)(unit() * 20000); /* ~50 us */
		else
			v[i] = 4000000 + (uint64_t)(unit() * 2e6); /* ~5 ms */
	}
	check_distribution(v, N);
	free(v);
}

static void
small_values_are_exact(void **state)
{
	struct bench_hist *h = malloc(sizeof(*h));
	uint64_t i;

	(void)state;
	bench_hist_init(h);
	for (i = 0; i < 256; i++)
		bench_hist_record(h, i);
	assert_int_equal(bench_hist_percentile(h, 50.0), 127);
	assert_int_equal(bench_hist_percentile(h, 100.0), 255);
	assert_int_equal(bench_hist_percentile(h, 0.0), 0);
	free(h);
}

static void
buckets_tile_the_range_at_under_one_percent(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < BENCH_HIST_BUCKETS; i++) {
		uint64_t lo = bench_hist_bucket_low(i);
		uint64_t hi = bench_hist_bucket_high(i);

		assert_int_equal(bench_hist_index(lo), i);
		assert_int_equal(bench_hist_index(hi), i);
		if (i + 1 < BENCH_HIST_BUCKETS)
			assert_int_equal(bench_hist_bucket_low(i + 1), hi + 1);
		/* width relative to the smallest value in the bucket */
		assert_true((double)(hi - lo + 1) <= (double)lo / 128.0 ||
			    lo < 256);
	}
	assert_true(bench_hist_bucket_high(BENCH_HIST_BUCKETS - 1) >=
		    UINT64_C(10000000000)); /* 10 s */
}

static void
values_beyond_range_saturate_but_keep_exact_max(void **state)
{
	struct bench_hist *h = malloc(sizeof(*h));

	(void)state;
	bench_hist_init(h);
	bench_hist_record(h, 1000);
	bench_hist_record(h, UINT64_C(20000000000)); /* 20 s */
	assert_int_equal(h->saturated, 1);
	assert_int_equal(h->max, UINT64_C(20000000000));
	assert_int_equal(bench_hist_percentile(h, 100.0),
			 UINT64_C(20000000000));
	assert_true(bench_hist_percentile(h, 99.0) >= BENCH_HIST_MAX_VALUE / 2);
	free(h);
}

static void
empty_histogram_reports_zero(void **state)
{
	struct bench_hist *h = malloc(sizeof(*h));

	(void)state;
	bench_hist_init(h);
	assert_int_equal(bench_hist_percentile(h, 99.0), 0);
	assert_true(bench_hist_mean(h) == 0.0);
	free(h);
}

static void
merge_equals_histogram_of_union(void **state)
{
	struct bench_hist *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct bench_hist *all = malloc(sizeof(*all));
	size_t i;

	(void)state;
	bench_hist_init(a);
	bench_hist_init(b);
	bench_hist_init(all);
	for (i = 0; i < 50000; i++) {
		uint64_t v = (uint64_t)(-log(unit()) * 250e3);

		bench_hist_record(i % 3 ? a : b, v);
		bench_hist_record(all, v);
	}
	bench_hist_merge(a, b);
	assert_int_equal(a->total, all->total);
	assert_int_equal(a->min, all->min);
	assert_int_equal(a->max, all->max);
	assert_int_equal(a->sum, all->sum);
	assert_memory_equal(a->counts, all->counts, sizeof(a->counts));
	assert_int_equal(bench_hist_percentile(a, 99.9),
			 bench_hist_percentile(all, 99.9));
	/* merging an empty histogram changes nothing */
	bench_hist_init(b);
	bench_hist_merge(a, b);
	assert_int_equal(a->min, all->min);
	free(a);
	free(b);
	free(all);
}

static void
mean_is_exact(void **state)
{
	struct bench_hist *h = malloc(sizeof(*h));

	(void)state;
	bench_hist_init(h);
	bench_hist_record(h, 1000);
	bench_hist_record(h, 3000);
	bench_hist_record_n(h, 5000, 2);
	assert_true(fabs(bench_hist_mean(h) - 3500.0) < 1e-9);
	free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(percentiles_of_uniform_within_one_percent),
		cmocka_unit_test(percentiles_of_exponential_within_one_percent),
		cmocka_unit_test(percentiles_of_bimodal_within_one_percent),
		cmocka_unit_test(small_values_are_exact),
		cmocka_unit_test(buckets_tile_the_range_at_under_one_percent),
		cmocka_unit_test(
			values_beyond_range_saturate_but_keep_exact_max),
		cmocka_unit_test(empty_histogram_reports_zero),
		cmocka_unit_test(merge_equals_histogram_of_union),
		cmocka_unit_test(mean_is_exact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
