/*
 * sched.c — the clock, the open-loop schedule and the open-loop driver.
 *
 * An open-loop benchmark must decide when each request is sent before it
 * runs: op i goes out at start + i/rate (or at a seeded Poisson time), and
 * its latency is measured from that intended time, not from when the client
 * actually managed to send it.  Otherwise a server (or client) stall delays
 * the sends that would have seen the stall, and the stall vanishes from the
 * percentiles — Gil Tene's "coordinated omission".  The driver below is
 * written against a small port (clock, poll, issue) so tests can run it on a
 * simulated server and clock and check that stalls are recorded.
 */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <time.h>

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
bench_sleep_until(uint64_t t)
{
	struct timespec ts;

	if (bench_now_ns() >= t)
		return;
	ts.tv_sec = (time_t)(t / 1000000000u);
	ts.tv_nsec = (long)(t % 1000000000u);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

/* splitmix64: small, seedable, good enough for arrival gaps. */
static uint64_t
sched_rand(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static double
sched_gap(struct bench_sched *s)
{
	double u;

	if (s->arrival == BENCH_ARRIVAL_UNIFORM)
		return s->period_ns;
	/* u in (0, 1] so log(u) is finite */
	u = ((double)(sched_rand(&s->rng) >> 11) + 1.0) / 9007199254740992.0;
	return -log(u) * s->period_ns;
}

int
bench_sched_init(struct bench_sched *s, uint64_t start_ns, double rate,
		 enum bench_arrival arrival, uint64_t seed)
{
	if (!(rate > 0.0) || !isfinite(rate))
		return -EINVAL;
	s->start_ns = start_ns;
	s->period_ns = 1e9 / rate;
	s->arrival = arrival;
	s->rng = seed;
	s->next_i = 0;
	s->next_t = 0.0;
	return 0;
}

uint64_t
bench_sched_peek(const struct bench_sched *s)
{
	if (s->arrival == BENCH_ARRIVAL_UNIFORM)
		/* computed from i, so no error accumulates */
		return s->start_ns +
		       (uint64_t)((double)s->next_i * s->period_ns);
	return s->start_ns + (uint64_t)s->next_t;
}

uint64_t
bench_sched_take(struct bench_sched *s)
{
	uint64_t t = bench_sched_peek(s);

	s->next_i++;
	if (s->arrival != BENCH_ARRIVAL_UNIFORM)
		s->next_t += sched_gap(s);
	return t;
}

uint64_t
bench_open_loop(const struct bench_ol_port *p, struct bench_sched *s,
		uint64_t end_ns, unsigned max_outstanding,
		const volatile bool *stop, uint64_t drain_deadline)
{
	uint64_t issued = 0, t, now;

	for (;;) {
		if (stop != NULL && *stop)
			break;
		t = bench_sched_peek(s);
		if (t >= end_ns)
			break;
		now = p->now(p->ctx);
		if (now < t) {
			p->poll(p->ctx, t);
			continue;
		}
		if (max_outstanding > 0 &&
		    p->outstanding(p->ctx) >= max_outstanding) {
			/* behind: wait for a completion; the delay counts,
			 * because latency runs from the intended time t */
			p->poll(p->ctx, now + 1000000);
			continue;
		}
		bench_sched_take(s);
		p->issue(p->ctx, issued, t);
		issued++;
	}
	while (p->outstanding(p->ctx) > 0) {
		now = p->now(p->ctx);
		if (now >= drain_deadline)
			break;
		p->poll(p->ctx, now + 10000000 < drain_deadline
					? now + 10000000
					: drain_deadline);
	}
	return issued;
}
