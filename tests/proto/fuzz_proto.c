/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/proto/fuzz_proto.c — a deterministic mutation loop over every
 * decoder of proto/ (suite 'fuzz'; run under ASan+UBSan by the test
 * command).
 *
 * Why it is built this way: a coverage-guided fuzzer is not part of the
 * build, but the decoders' failure modes are well known (lengths and counts
 * that lie, truncation, extension, bad booleans, unknown types), so a fixed
 * seed and mutations aimed at exactly those find the same class of bugs in a
 * bounded, reproducible time.  Every mutated input lives in a heap block of
 * exactly its length, so any over-read is an ASan report, and every
 * successful decode is encoded again and must decode again (no decoder may
 * accept what the encoders cannot reproduce).
 *
 * DPZK_FUZZ_ITERS overrides the inputs per decoder (default 500000); the
 * seed is fixed, or DPZK_FUZZ_SEED.  A failure prints the seed, the decoder,
 * the sample and the iteration, which reproduce it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "samples.h"

static uint64_t rng;

static uint64_t
next(void)
{
	/* splitmix64 */
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t
below(uint32_t n)
{
	return n ? (uint32_t)(next() % n) : 0;
}

/* Values that make a 4-byte length or count lie in interesting ways. */
static uint32_t
smash_value(size_t len)
{
	static const uint32_t fixed[] = {
		0x00000000, 0x00000001, 0xffffffff, 0xfffffffe, 0x7fffffff,
		0x80000000, 0x000fffff, 0x00100000, 0x0000ffff, 0x00010000,
		0x000000ff, 0x00000100, 0x00000010, 0x0000000d, 0xfffffff5,
	};
	uint32_t k = below(sizeof(fixed) / sizeof(fixed[0]) + 4);

	switch (k) {
	case 0:
		return (uint32_t)len;
	case 1:
		return (uint32_t)len + 1;
	case 2:
		return (uint32_t)below((uint32_t)len + 8);
	case 3:
		return (uint32_t)next();
	default:
		return fixed[k - 4];
	}
}

#define MAXIN 8192

/* Applies 1..3 mutations to in[0..*len) (capacity MAXIN). */
static void
mutate(uint8_t *in, size_t *len)
{
	int rounds = 1 + (int)below(3);

	for (int k = 0; k < rounds; k++) {
		size_t n = *len;

		switch (below(7)) {
		case 0: /* bit flips */
			if (n)
				for (int b = 0, m = 1 + (int)below(4); b < m;
				     b++)
					in[below((uint32_t)n)] ^=
						(uint8_t)(1u << below(8));
			break;
		case 1: { /* byte set */
			static const uint8_t v[] = {0x00, 0x01, 0x02, 0x7f,
						    0x80, 0xfe, 0xff};

			if (n)
				in[below((uint32_t)n)] =
					below(2) ? v[below(sizeof(v))]
						 : (uint8_t)next();
			break;
		}
		case 2: /* truncation */
			*len = below((uint32_t)n + 1);
			break;
		case 3: { /* extension */
			size_t add = 1 + below(24);

			if (n + add > MAXIN)
				add = MAXIN - n;
			for (size_t i = 0; i < add; i++)
				in[n + i] = below(2) ? 0 : (uint8_t)next();
			*len = n + add;
			break;
		}
		case 4: /* length-field smashing (any offset, big-endian) */
		case 5:
			if (n >= 4) {
				size_t at = below((uint32_t)n - 3);
				uint32_t v = smash_value(n);

				in[at] = (uint8_t)(v >> 24);
				in[at + 1] = (uint8_t)(v >> 16);
				in[at + 2] = (uint8_t)(v >> 8);
				in[at + 3] = (uint8_t)v;
			}
			break;
		case 6: { /* duplicate a slice (repeats records) */
			if (n >= 2) {
				size_t from = below((uint32_t)n);
				size_t cnt = 1 + below((uint32_t)(n - from));
				size_t to = below((uint32_t)n + 1);

				if (n + cnt > MAXIN)
					break;
				memmove(in + to + cnt, in + to, n - to);
				memmove(in + to,
					in + (from >= to ? from + cnt : from),
					cnt);
				*len = n + cnt;
			}
			break;
		}
		}
	}
}

int
main(void)
{
	static struct sample corpus[SAMPLES_MAX];
	static uint8_t work[MAXIN], reenc[1 << 16];
	static const size_t scaps[] = {0, 48, 512, 4096, 1 << 16};
	unsigned long iters = 500000, seed = 0x5eed0dbcULL;
	size_t n = samples_build(corpus, SAMPLES_MAX);
	struct timespec t0, t1;
	int failed = 0;

	if (getenv("DPZK_FUZZ_ITERS"))
		iters = strtoul(getenv("DPZK_FUZZ_ITERS"), NULL, 0);
	if (getenv("DPZK_FUZZ_SEED"))
		seed = strtoul(getenv("DPZK_FUZZ_SEED"), NULL, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);

	for (int kind = 0; kind < SK_COUNT && !failed; kind++) {
		size_t idx[SAMPLES_MAX], m = 0;
		unsigned long ok = 0, rejected = 0;

		for (size_t i = 0; i < n; i++)
			if (corpus[i].kind == (enum sample_kind)kind)
				idx[m++] = i;
		if (m == 0)
			continue;
		rng = seed ^ ((uint64_t)kind << 32);
		for (unsigned long it = 0; it < iters; it++) {
			struct sample *s = &corpus[idx[it % m]];
			uint32_t sel = below(6);
			size_t len = s->len, scap;
			struct proto_wbuf w;
			uint8_t *in;
			int rc;

			memcpy(work, s->buf, len);
			mutate(work, &len);
			/* sel 5: exactly the documented bound, which must
			 * never run out */
			scap = sel < 5 ? scaps[sel] : proto_scratch_bound(len);
			in = malloc(len ? len : 1);
			memcpy(in, work, len);
			/* half the datagrams get a good MAC, so the header
			 * checks, not the MAC, decide */
			if (kind == SK_DGRAM && below(2))
				proto_dgram_seal(in, len, sample_dgram_key);
			proto_wbuf_init(&w, reenc, sizeof(reenc));
			rc = sample_decode(s->kind, s->type, in, len, scap, &w);
			if (rc == 0) {
				ok++;
				/* what decoded must encode, and decode again */
				if (w.err != 0 ||
				    sample_decode(s->kind, s->type, reenc,
						  w.len, 1 << 16, NULL) != 0) {
					fprintf(stderr,
						"FAIL seed %#lx %s sample '%s' "
						"iteration %lu: re-encoding "
						"does not decode\n",
						seed, sample_kind_name(kind),
						s->name, it);
					failed = 1;
				}
			} else if (rc == -EBADMSG ||
				   (rc == -ENOBUFS && sel < 5) ||
				   (rc == -EOPNOTSUPP &&
				    (kind == SK_REQUEST ||
				     kind == SK_RESPONSE))) {
				rejected++;
			} else {
				fprintf(stderr,
					"FAIL seed %#lx %s sample '%s' "
					"iteration %lu: unexpected rc %d\n",
					seed, sample_kind_name(kind), s->name,
					it, rc);
				failed = 1;
			}
			free(in);
			if (failed)
				break;
		}
		printf("%-13s %lu inputs over %zu samples: %lu accepted, "
		       "%lu rejected\n",
		       sample_kind_name(kind), iters, m, ok, rejected);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("seed %#lx, %.1f s\n", seed,
	       (double)(t1.tv_sec - t0.tv_sec) +
		       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	samples_free(corpus, n);
	return failed;
}
