/*
 * hist.c — the log-linear latency histogram (see bench.h).
 *
 * Values below 256 ns have a bucket each.  Above, a value v with highest set
 * bit k (2^k <= v < 2^(k+1), k >= 8) falls in one of 128 equal sub-buckets of
 * that octave, each 2^(k-7) wide: the bucket is at most 1/128 of its lowest
 * value wide, and reporting its middle is within 1/256 of any value in it.
 * This is HdrHistogram's layout with 2 significant digits, written directly
 * for a fixed range (1 ns .. 17 s) so it needs no allocation and merges by
 * adding arrays.  3,584 buckets = 28 KiB per histogram.
 */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <string.h>

void
bench_hist_init(struct bench_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

size_t
bench_hist_index(uint64_t v)
{
	unsigned k, shift;

	if (v < BENCH_HIST_EXACT)
		return (size_t)v;
	if (v > BENCH_HIST_MAX_VALUE)
		v = BENCH_HIST_MAX_VALUE;
	k = 63u - (unsigned)__builtin_clzll(v);
	shift = k - BENCH_HIST_SUB_BITS;
	return BENCH_HIST_EXACT +
	       (size_t)(k - BENCH_HIST_SUB_BITS - 1) *
		       (1u << BENCH_HIST_SUB_BITS) +
	       (size_t)((v >> shift) - (UINT64_C(1) << BENCH_HIST_SUB_BITS));
}

uint64_t
bench_hist_bucket_low(size_t i)
{
	size_t j;
	unsigned k, sub;

	if (i < BENCH_HIST_EXACT)
		return i;
	j = i - BENCH_HIST_EXACT;
	k = (unsigned)(j >> BENCH_HIST_SUB_BITS) + BENCH_HIST_SUB_BITS + 1;
	sub = (unsigned)(j & ((1u << BENCH_HIST_SUB_BITS) - 1));
	return ((UINT64_C(1) << BENCH_HIST_SUB_BITS) + sub)
	       << (k - BENCH_HIST_SUB_BITS);
}

uint64_t
bench_hist_bucket_high(size_t i)
{
	size_t j;
	unsigned k;

	if (i < BENCH_HIST_EXACT)
		return i;
	j = i - BENCH_HIST_EXACT;
	k = (unsigned)(j >> BENCH_HIST_SUB_BITS) + BENCH_HIST_SUB_BITS + 1;
	return bench_hist_bucket_low(i) +
	       (UINT64_C(1) << (k - BENCH_HIST_SUB_BITS)) - 1;
}

void
bench_hist_record_n(struct bench_hist *h, uint64_t v, uint64_t n)
{
	if (n == 0)
		return;
	if (v > BENCH_HIST_MAX_VALUE)
		h->saturated += n;
	h->counts[bench_hist_index(v)] += n;
	h->total += n;
	h->sum += v * n;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void
bench_hist_record(struct bench_hist *h, uint64_t v)
{
	bench_hist_record_n(h, v, 1);
}

void
bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src)
{
	size_t i;

	if (src->total == 0)
		return;
	for (i = 0; i < BENCH_HIST_BUCKETS; i++)
		dst->counts[i] += src->counts[i];
	dst->total += src->total;
	dst->sum += src->sum;
	dst->saturated += src->saturated;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t
bench_hist_percentile(const struct bench_hist *h, double pct)
{
	uint64_t rank, seen = 0, v;
	size_t i;

	if (h->total == 0)
		return 0;
	if (pct <= 0.0)
		return h->min;
	if (pct >= 100.0)
		return h->max;
	rank = (uint64_t)ceil(pct / 100.0 * (double)h->total);
	if (rank < 1)
		rank = 1;
	for (i = 0; i < BENCH_HIST_BUCKETS; i++) {
		seen += h->counts[i];
		if (seen >= rank)
			break;
	}
	if (i == BENCH_HIST_BUCKETS)
		return h->max;
	v = bench_hist_bucket_low(i) +
	    (bench_hist_bucket_high(i) - bench_hist_bucket_low(i) + 1) / 2;
	if (v < h->min)
		v = h->min;
	if (v > h->max)
		v = h->max;
	return v;
}

double
bench_hist_mean(const struct bench_hist *h)
{
	if (h->total == 0)
		return 0.0;
	return (double)h->sum / (double)h->total;
}

int
bench_hist_write_csv(const struct bench_hist *h, const char *name, FILE *f)
{
	size_t i;

	for (i = 0; i < BENCH_HIST_BUCKETS; i++) {
		if (h->counts[i] == 0)
			continue;
		if (fprintf(f, "%s,%llu,%llu,%llu\n", name,
			    (unsigned long long)bench_hist_bucket_low(i),
			    (unsigned long long)bench_hist_bucket_high(i),
			    (unsigned long long)h->counts[i]) < 0)
			return -EIO;
	}
	return 0;
}
