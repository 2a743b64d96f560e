/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/zab/fuzz_zab_msg.c — a bounded mutation loop over zab's peer
 * message decoder: random bytes and mutated valid encodings must decode to
 * an error or to a message that re-encodes to exactly the same bytes
 * (the encoding is canonical), and never read out of bounds (run it under
 * ASan).  Seeded and bounded, so it is a test, not an open-ended fuzzer.
 *
 * Usage: fuzz_zab_msg [iterations] [seed]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zab/zab.h"

static uint64_t s = 88172645463325252ULL;

static uint64_t
xr(void)
{
	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return s;
}

static size_t
valid(uint8_t *buf, size_t cap)
{
	static const uint8_t pl[64] = "payload payload payload";
	struct zab_msg m;
	struct proto_wbuf w;

	memset(&m, 0, sizeof(m));
	m.type = (uint8_t)(1 + xr() % ZAB_M_MAX);
	m.from = (uint32_t)(1 + xr() % 5);
	m.to = (uint32_t)(1 + xr() % 5);
	m.epoch = (uint32_t)xr();
	m.zxid = xr();
	m.arg = xr();
	m.vote.leader = (uint32_t)xr();
	m.vote.peer_epoch = (uint32_t)xr();
	m.vote.zxid = xr();
	m.vote.round = xr();
	m.vote.state = (uint8_t)(xr() % 4);
	m.payload.p = pl;
	m.payload.len = (int32_t)(xr() % sizeof(pl));
	proto_wbuf_init(&w, buf, cap);
	if (zab_msg_encode(&w, &m) < 0)
		abort();
	return w.len;
}

int
main(int argc, char **argv)
{
	unsigned long iters = argc > 1 ? strtoul(argv[1], NULL, 0) : 200000;
	uint8_t buf[256], out[256];
	unsigned long i, ok = 0;

	if (argc > 2)
		s = strtoull(argv[2], NULL, 0) | 1;
	for (i = 0; i < iters; i++) {
		size_t n = valid(buf, sizeof(buf)), k;
		int muts = (int)(xr() % 4);
		struct zab_msg m;
		uint8_t *p;

		if (xr() % 8 == 0) {
			n = xr() % 128;
			for (k = 0; k < n; k++)
				buf[k] = (uint8_t)xr();
		}
		while (muts-- > 0 && n > 0) {
			switch (xr() % 3) {
			case 0:
				buf[xr() % n] ^= (uint8_t)(1u << (xr() % 8));
				break;
			case 1:
				n = xr() % n;
				break;
			default:
				if (n < sizeof(buf))
					buf[n++] = (uint8_t)xr();
				break;
			}
		}
		/* decode from an exact-size heap copy so ASan sees overruns */
		p = malloc(n ? n : 1);
		if (p == NULL)
			return 1;
		memcpy(p, buf, n);
		if (zab_msg_decode(p, n, &m) == 0) {
			struct proto_wbuf w;

			proto_wbuf_init(&w, out, sizeof(out));
			if (zab_msg_encode(&w, &m) != 0 || w.len != n ||
			    memcmp(out, p, n) != 0) {
				fprintf(stderr,
					"iteration %lu: decoded message does "
					"not re-encode to its bytes\n",
					i);
				free(p);
				return 1;
			}
			ok++;
		}
		free(p);
	}
	printf("%lu iterations, %lu decoded and round-tripped\n", iters, ok);
	return 0;
}
