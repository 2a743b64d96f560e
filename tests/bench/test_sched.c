/*
 * test_sched.c — the open-loop schedule and driver on a simulated server
 * and clock.
 *
 * The point of the open loop is that a stall (of the server, or of the
 * client itself) shows up in the recorded latencies of every request that
 * should have been sent during it.  A FIFO server with a fixed service time
 * and an injected stall runs in virtual time; the driver must record the
 * stall for ~all requests intended during it, where a closed loop with one
 * outstanding request records it once (coordinated omission).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define MS   1000000ull
#define US   1000ull
#define QMAX 200000

struct sim {
	uint64_t now;
	uint64_t service;
	uint64_t stall_at, stall_len; /* server does nothing in this window */
	uint64_t block_at, block_len; /* one issue call blocks the client */
	bool blocked;
	uint64_t server_free;
	uint64_t done_t[QMAX], intended[QMAX];
	size_t head, tail;
	unsigned max_seen;
	struct bench_hist *h;
};

static uint64_t
sim_now(void *ctx)
{
	return ((struct sim *)ctx)->now;
}

static unsigned
sim_outstanding(void *ctx)
{
	struct sim *s = ctx;

	return (unsigned)(s->tail - s->head);
}

static int
sim_issue(void *ctx, uint64_t seq, uint64_t intended)
{
	struct sim *s = ctx;
	uint64_t start;

	(void)seq;
	if (!s->blocked && s->block_len > 0 && s->now >= s->block_at) {
		s->now += s->block_len; /* the client froze while sending */
		s->blocked = true;
	}
	start = s->now > s->server_free ? s->now : s->server_free;
	if (start >= s->stall_at && start < s->stall_at + s->stall_len)
		start = s->stall_at + s->stall_len;
	s->server_free = start + s->service;
	assert_true(s->tail < QMAX);
	s->done_t[s->tail] = s->server_free;
	s->intended[s->tail] = intended;
	s->tail++;
	if (s->tail - s->head > s->max_seen)
		s->max_seen = (unsigned)(s->tail - s->head);
	return 0;
}

static void
sim_poll(void *ctx, uint64_t deadline)
{
	struct sim *s = ctx;

	if (s->head < s->tail && s->done_t[s->head] <= deadline) {
		if (s->done_t[s->head] > s->now)
			s->now = s->done_t[s->head];
		while (s->head < s->tail && s->done_t[s->head] <= s->now) {
			bench_hist_record(s->h, s->done_t[s->head] -
							s->intended[s->head]);
			s->head++;
		}
		return;
	}
	if (deadline > s->now)
		s->now = deadline;
}

static struct sim *
sim_new(void)
{
	struct sim *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->h = malloc(sizeof(*s->h));
	assert_non_null(s->h);
	bench_hist_init(s->h);
	s->service = 20 * US;
	s->now = 1000 * MS; /* not zero: times are absolute */
	s->stall_at = UINT64_MAX / 2;
	return s;
}

static void
sim_free(struct sim *s)
{
	free(s->h);
	free(s);
}

static uint64_t
count_above(const struct bench_hist *h, uint64_t v)
{
	uint64_t n = 0;
	size_t i;

	for (i = bench_hist_index(v) + 1; i < BENCH_HIST_BUCKETS; i++)
		n += h->counts[i];
	return n;
}

static uint64_t
run_open(struct sim *s, double rate, uint64_t dur, unsigned cap)
{
	struct bench_ol_port p = {sim_now, sim_poll, sim_issue, sim_outstanding,
				  s};
	struct bench_sched sc;
	uint64_t start = s->now;

	assert_int_equal(
		bench_sched_init(&sc, start, rate, BENCH_ARRIVAL_UNIFORM, 1),
		0);
	return bench_open_loop(&p, &sc, start + dur, cap, NULL,
			       start + dur + 10000 * MS);
}

static void
server_stall_is_recorded_for_every_request_due_during_it(void **state)
{
	struct sim *s = sim_new();
	uint64_t issued;

	(void)state;
	s->stall_at = s->now + 500 * MS;
	s->stall_len = 100 * MS;
	issued = run_open(s, 10000.0, 1000 * MS, 0); /* 10k ops/s for 1 s */
	assert_int_equal(issued, 10000);
	assert_int_equal(s->h->total, 10000);
	/* op due at 500 ms + x completes at 600 ms + x/5 (backlog served at
	 * 20 us per 100 us of schedule): >= 50 ms for x <= 62.5 ms */
	assert_in_range(count_above(s->h, 50 * MS), 600, 650);
	assert_true(count_above(s->h, 1 * MS) >= 950);
	assert_true(bench_hist_percentile(s->h, 99.0) >= 50 * MS);
	assert_true(s->h->max >= 99 * MS);
	sim_free(s);
}

static void
client_stall_is_recorded_from_intended_send_times(void **state)
{
	struct sim *s = sim_new();

	(void)state;
	s->block_at = s->now + 300 * MS;
	s->block_len = 50 * MS;
	run_open(s, 10000.0, 1000 * MS, 0);
	assert_int_equal(s->h->total, 10000);
	/* the ~500 ops due while the client was frozen were sent late, and
	 * their latency counts from when they were due */
	assert_in_range(count_above(s->h, 10 * MS), 350, 520);
	assert_true(s->h->max >= 49 * MS);
	sim_free(s);
}

static void
outstanding_cap_delays_sends_but_not_the_clock(void **state)
{
	struct sim *s = sim_new();

	(void)state;
	s->stall_at = s->now + 500 * MS;
	s->stall_len = 100 * MS;
	run_open(s, 10000.0, 1000 * MS, 8);
	assert_true(s->max_seen <= 8);
	assert_int_equal(s->h->total, 10000);
	/* sends wait for the cap, yet latency still runs from the schedule */
	assert_in_range(count_above(s->h, 50 * MS), 600, 650);
	sim_free(s);
}

static void
closed_loop_hides_the_stall_open_loop_records(void **state)
{
	struct sim *s = sim_new();
	uint64_t end;

	(void)state;
	/* closed loop, one outstanding, 100 us think time: the classic
	 * harness that measures from the actual send */
	s->stall_at = s->now + 500 * MS;
	s->stall_len = 100 * MS;
	end = s->now + 1000 * MS;
	while (s->now < end) {
		sim_issue(s, 0, s->now);
		sim_poll(s, UINT64_MAX);
		s->now += 100 * US;
	}
	/* the stall appears once, not for the ~1000 requests it delayed */
	assert_int_equal(count_above(s->h, 1 * MS), 1);
	assert_true(bench_hist_percentile(s->h, 99.0) < 1 * MS);
	sim_free(s);
}

static void
uniform_schedule_is_fixed_in_advance(void **state)
{
	struct bench_sched a, b;
	uint64_t i, t;

	(void)state;
	assert_int_equal(
		bench_sched_init(&a, 5000, 3000.0, BENCH_ARRIVAL_UNIFORM, 7),
		0);
	for (i = 0; i < 100000; i++) {
		t = bench_sched_take(&a);
		/* op i is due at start + i/rate, whatever happened before */
		assert_in_range(t, 5000 + i * 1000000000u / 3000 - 1,
				5000 + i * 1000000000u / 3000 + 1);
	}
	assert_int_equal(bench_sched_init(&b, 0, 0.0, BENCH_ARRIVAL_UNIFORM, 1),
			 -EINVAL);
}

static void
poisson_schedule_is_seeded_with_the_right_mean(void **state)
{
	struct bench_sched a, b;
	uint64_t i, ta = 0, tb = 0, n = 200000;

	(void)state;
	bench_sched_init(&a, 0, 10000.0, BENCH_ARRIVAL_POISSON, 99);
	bench_sched_init(&b, 0, 10000.0, BENCH_ARRIVAL_POISSON, 99);
	for (i = 0; i < n; i++) {
		ta = bench_sched_take(&a);
		/* peeking does not advance */
		assert_int_equal(bench_sched_peek(&b), bench_sched_peek(&b));
		tb = bench_sched_take(&b);
		assert_int_equal(ta, tb);
	}
	/* mean gap 100 us within 1 % */
	assert_true(fabs((double)ta / (double)(n - 1) - 100e3) < 1e3);
}

static void
stop_flag_ends_the_loop_and_drains(void **state)
{
	struct sim *s = sim_new();
	struct bench_ol_port p = {sim_now, sim_poll, sim_issue, sim_outstanding,
				  s};
	struct bench_sched sc;
	volatile bool stop = true;

	(void)state;
	bench_sched_init(&sc, s->now, 1000.0, BENCH_ARRIVAL_UNIFORM, 1);
	assert_int_equal(bench_open_loop(&p, &sc, s->now + 1000 * MS, 0,
					 (const volatile bool *)&stop,
					 s->now + 1000 * MS),
			 0);
	assert_int_equal(sim_outstanding(s), 0);
	sim_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			server_stall_is_recorded_for_every_request_due_during_it),
		cmocka_unit_test(
			client_stall_is_recorded_from_intended_send_times),
		cmocka_unit_test(
			outstanding_cap_delays_sends_but_not_the_clock),
		cmocka_unit_test(closed_loop_hides_the_stall_open_loop_records),
		cmocka_unit_test(uniform_schedule_is_fixed_in_advance),
		cmocka_unit_test(
			poisson_schedule_is_seeded_with_the_right_mean),
		cmocka_unit_test(stop_flag_ends_the_loop_and_drains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
