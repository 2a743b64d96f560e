/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/proto/bench_proto.c — what the codecs cost per call on this machine
 * (meson benchmark 'proto_codecs'; prints figures, never pass/fail).
 *
 * Each case runs in batches until ~0.2 s has passed and reports the median
 * of 15 batch means in ns per call, so one noisy batch on a shared 2-core
 * box does not decide the figure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include <sodium.h>

#include "proto/proto.h"

#define V(s) ((struct proto_view){(const uint8_t *)(s), (int32_t)strlen(s)})

static uint8_t buf[4096], dg[PROTO_DGRAM_HDR_LEN + 1424], scratch[1 << 16];
static size_t buflen;
static volatile uint64_t sink;
static const uint8_t key[16] = {1, 2, 3};

static double
now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
run(const char *name, void (*fn)(void))
{
	enum { BATCHES = 15, PER = 2000 };
	double m[BATCHES];

	for (int i = 0; i < PER; i++)
		fn(); /* warm up */
	for (int b = 0; b < BATCHES; b++) {
		double t0 = now_ns();

		for (int i = 0; i < PER; i++)
			fn();
		m[b] = (now_ns() - t0) / PER;
	}
	qsort(m, BATCHES, sizeof(m[0]), cmp);
	printf("%-34s %8.1f ns/call (min %.1f, max %.1f)\n", name,
	       m[BATCHES / 2], m[0], m[BATCHES - 1]);
}

static void
dec_getdata(void)
{
	struct proto_rbuf r;
	struct proto_req_hdr h;
	struct proto_request q;

	proto_rbuf_init(&r, buf, buflen);
	proto_req_hdr_decode(&r, &h);
	sink += (uint64_t)proto_request_decode(&r, h.type, &q, NULL);
}

static void
enc_getdata_reply(void)
{
	static const struct proto_reply_hdr h = {7, 0x100000002LL, 0};
	static struct proto_response a = {.type = PROTO_OP_GETDATA};
	struct proto_wbuf w;

	a.data = V("some data of a znode");
	proto_wbuf_init(&w, buf + 2048, 2048);
	proto_reply_hdr_encode(&w, &h);
	sink += (uint64_t)proto_response_encode(&w, &a);
}

static uint8_t multibuf[2048];
static size_t multilen;

static void
dec_multi(void)
{
	struct proto_rbuf r;
	struct proto_request q;
	struct proto_scratch s;

	proto_rbuf_init(&r, multibuf, multilen);
	proto_scratch_init(&s, scratch, sizeof(scratch));
	sink += (uint64_t)proto_request_decode(&r, PROTO_OP_MULTI, &q, &s);
}

static uint8_t txnbuf[512];
static size_t txnlen;

static void
dec_txn(void)
{
	struct proto_txn t;
	struct proto_scratch s;

	proto_scratch_init(&s, scratch, sizeof(scratch));
	sink += (uint64_t)proto_txn_decode(txnbuf, txnlen, &t, &s);
}

static void
enc_txn(void)
{
	static struct proto_acl acl = {31,
				       {{(const uint8_t *)"world", 5},
					{(const uint8_t *)"anyone", 6}}};
	static struct proto_txn t = {
		.hdr = {1, 2, 3, 4, PROTO_OP_CREATE},
		.acl = {1, &acl},
	};
	struct proto_wbuf w;

	t.path = V("/app/lock-0000000001");
	t.data = V("0123456789");
	proto_wbuf_init(&w, txnbuf, sizeof(txnbuf));
	sink += (uint64_t)proto_txn_encode(&w, &t);
	txnlen = w.len;
}

static void
hdr_decode(void)
{
	struct proto_dgram_hdr h;

	sink += (uint64_t)proto_dgram_hdr_decode(dg, 48 + 64, &h);
}

static void
mac_64(void)
{
	sink += proto_dgram_mac(dg, 48 + 64, key);
}

static void
mac_1424(void)
{
	sink += proto_dgram_mac(dg, sizeof(dg), key);
}

static void
shorthash_1424(void)
{
	uint8_t out[8];

	crypto_shorthash(out, dg, sizeof(dg), key);
	sink += out[0];
}

int
main(void)
{
	struct utsname u;
	struct proto_wbuf w;
	struct proto_req_hdr rh = {7, PROTO_OP_GETDATA};
	struct proto_request q = {.type = PROTO_OP_GETDATA,
				  .path = V("/app/config/node"),
				  .watch = true};
	struct proto_acl acl = {31, {V("world"), V("anyone")}};
	struct proto_request ops[3] = {
		{.type = PROTO_OP_CHECK, .path = V("/app"), .version = 3},
		{.type = PROTO_OP_CREATE,
		 .path = V("/app/x"),
		 .data = V("v"),
		 .acl = {1, &acl}},
		{.type = PROTO_OP_SETDATA, .path = V("/app"), .data = V("d")},
	};
	struct proto_request m = {.type = PROTO_OP_MULTI, .multi = {3, ops}};
	struct proto_dgram_hdr h = {.magic = PROTO_DGRAM_MAGIC,
				    .version = PROTO_DGRAM_VERSION,
				    .kind = PROTO_K_REQUEST,
				    .frag_count = 1,
				    .payload_len = 64,
				    .msg_len = 64};

	if (sodium_init() < 0)
		return 1;
	uname(&u);
	printf("proto codecs: %s %s %s, dpzk %s (%s)\n", u.sysname, u.release,
	       u.machine, DPZK_VERSION, DPZK_GIT_REV);
	proto_wbuf_init(&w, buf, sizeof(buf));
	proto_req_hdr_encode(&w, &rh);
	proto_request_encode(&w, &q);
	buflen = w.len;
	proto_wbuf_init(&w, multibuf, sizeof(multibuf));
	proto_request_encode(&w, &m);
	multilen = w.len;
	proto_dgram_hdr_encode(dg, &h);

	run("getData request decode (hdr+body)", dec_getdata);
	run("getData reply encode (hdr+body)", enc_getdata_reply);
	run("multi(3) request decode", dec_multi);
	run("create txn encode", enc_txn);
	run("create txn decode", dec_txn);
	run("datagram header decode", hdr_decode);
	run("MAC, 112-byte datagram", mac_64);
	run("MAC, 1472-byte datagram", mac_1424);
	run("crypto_shorthash, 1472 bytes", shorthash_1424);
	return 0;
}
