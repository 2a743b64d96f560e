/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/integration/test_hostile.c — hostile input from inside the test
 * network: random bytes, truncated headers, wrong magic/version/reserved/
 * kind, inconsistent fragment fields, CONNECTs and session datagrams with
 * bad MACs, forged session ids, another address using a live session's id,
 * oversized and inconsistent fragments on a real session, reattach
 * attempts with a wrong password, and a bounded flood of CONNECTs against
 * --max_sessions.  Throughout, the server must keep answering ping and
 * ruok, count the drops in mntr (zk_dpzk_drop_*), and a well-behaved
 * libdpzk client must keep working with no acknowledged write lost.
 *
 * Why it is built this way: each kind of bad input is one test that sends
 * a bounded batch, then checks the counters it should have moved and that
 * the good client still writes; the good client and its acknowledged
 * writes live across the tests and are verified at the end.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <sodium.h>

#include "it.h"

#define MAX_SESSIONS 64 /* meson.build: --max_sessions */

static const uint8_t zero_key[16];
static struct dpzk_handle *good;
static struct it_events good_ev;
static int good_acked;
static char good_acked_paths[1024][48];

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

static int
sock(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int big = 1 << 20;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	sa.sin_port = htons((uint16_t)it_port());
	assert_int_equal(inet_pton(AF_INET, it_ip(), &sa.sin_addr), 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* The good client's async writes, kept flowing while the bad input is
 * sent: at most 4 in flight, every acknowledged one recorded. */
static int good_inflight, good_async_failed;

static void
good_done(int rc, const struct dpzk_result *res, const void *data)
{
	(void)data;
	good_inflight--;
	if (rc != DPZK_ZOK || res->path == NULL) {
		good_async_failed++;
		return;
	}
	if (good_acked < 1024)
		snprintf(good_acked_paths[good_acked++], 48, "%s", res->path);
}

static void
good_tick(int ms)
{
	while (good_inflight < 4 && good_acked + good_inflight < 480) {
		assert_int_equal(dpzk_acreate(good, "/h/a-", "async", 5,
					      &dpzk_open_acl_unsafe,
					      DPZK_PERSISTENT_SEQUENTIAL, 0,
					      good_done, NULL),
				 DPZK_ZOK);
		good_inflight++;
	}
	it_pump(&good, 1, ms, NULL);
}

/* Sends and paces (a burst faster than the tap's rings would only test
 * the kernel's drops, not the server's), running the good client's
 * writes in between. */
static void
tx(int fd, const void *d, size_t len, int *n)
{
	if (send(fd, d, len, 0) < 0 && errno != ECONNREFUSED)
		fail_msg("send: %s", strerror(errno));
	if (++*n % 32 == 0)
		good_tick(2);
}

static size_t
mk(uint8_t *d, uint8_t kind, int64_t sid, uint64_t seq, uint64_t ack,
   uint16_t fc, uint16_t fi, uint32_t msg_len, const void *payload,
   uint16_t plen, const uint8_t *key)
{
	struct proto_dgram_hdr h = {
		.magic = PROTO_DGRAM_MAGIC,
		.version = PROTO_DGRAM_VERSION,
		.kind = kind,
		.frag_count = fc,
		.frag_index = fi,
		.payload_len = plen,
		.msg_len = msg_len,
		.session_id = sid,
		.seq = seq,
		.ack = ack,
	};

	proto_dgram_hdr_encode(d, &h);
	if (plen)
		memcpy(d + PROTO_DGRAM_HDR_LEN, payload, plen);
	if (key)
		proto_dgram_seal(d, PROTO_DGRAM_HDR_LEN + plen, key);
	return PROTO_DGRAM_HDR_LEN + plen;
}

static int64_t
counter(const char *k)
{
	it_sleep_ms(120); /* mntr is published at 10 Hz */
	return it_mntr(k);
}

/* The good client writes a few nodes and must get every ack. */
static void
good_writes(int n)
{
	char p[48], out[48];

	for (int i = 0; i < n; i++) {
		int rc;

		assert_true(good_acked < 1024);
		snprintf(p, sizeof(p), "/h/g-");
		rc = dpzk_create(good, p, "good", 4, &dpzk_open_acl_unsafe,
				 DPZK_PERSISTENT_SEQUENTIAL, 0, out,
				 sizeof(out), NULL);
		assert_int_equal(rc, DPZK_ZOK);
		snprintf(good_acked_paths[good_acked++], 48, "%s", out);
	}
	assert_int_equal(dpzk_state(good), DPZK_CONNECTED_STATE);
}

static void
server_alive(void)
{
	char b[64];

	assert_true(it_ping());
	assert_true(it_4lw("ruok", b, sizeof(b)) > 0);
	assert_string_equal(b, "imok");
}

static int
setup(void **state)
{
	(void)state;
	good = it_connect(10000, &good_ev);
	assert_int_equal(it_mkdirs(good, "/h"), DPZK_ZOK);
	good_writes(5);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (good)
		dpzk_close(good);
	return 0;
}

/* ------------------------------------------------------------------ */
/* malformed datagrams                                                 */
/* ------------------------------------------------------------------ */

static void
test_random_bytes_are_dropped_and_counted(void **state)
{
	int fd = sock(), n = 0;
	int64_t b0 = counter("zk_dpzk_drop_bad_datagram");
	uint8_t d[1472];

	(void)state;
	for (int i = 0; i < 600; i++) {
		uint32_t len;

		randombytes_buf(&len, sizeof(len));
		len = 1 + len % sizeof(d);
		randombytes_buf(d, len);
		if (len >= 2 && d[0] == 0xd2 && d[1] == 0x7b)
			d[0] = 0; /* stay malformed */
		tx(fd, d, len, &n);
	}
	good_writes(3);
	print_message("# drop_bad_datagram +%lld for 600 random datagrams\n",
		      (long long)(counter("zk_dpzk_drop_bad_datagram") - b0));
	assert_true(counter("zk_dpzk_drop_bad_datagram") - b0 >= 550);
	server_alive();
	close(fd);
}

static void
test_truncated_and_wrong_headers_are_dropped(void **state)
{
	int fd = sock(), n = 0, sent = 0;
	int64_t b0 = counter("zk_dpzk_drop_bad_datagram");
	uint8_t d[256], pl[16] = {0};
	size_t len;

	(void)state;
	/* every truncation of a valid REQUEST header */
	len = mk(d, PROTO_K_REQUEST, 7, 1, 0, 1, 0, 16, pl, 16, zero_key);
	for (size_t k = 0; k < PROTO_DGRAM_HDR_LEN; k++, sent++)
		tx(fd, d, k ? k : 1, &n);
	/* wrong magic, version, reserved, kind */
	for (int v = 0; v < 20; v++) {
		len = mk(d, PROTO_K_REQUEST, 7, 1, 0, 1, 0, 16, pl, 16, NULL);
		switch (v % 5) {
		case 0:
			d[0] ^= 0xff;
			break; /* magic */
		case 1:
			d[2] = (uint8_t)(2 + v);
			break; /* version */
		case 2:
			d[5] = 1;
			break; /* reserved */
		case 3:
			d[3] = 0;
			break; /* kind 0 */
		case 4:
			d[3] = (uint8_t)(10 + v % 6);
			break; /* 10..15 */
		}
		proto_dgram_seal(d, len, zero_key);
		tx(fd, d, len, &n);
		sent++;
	}
	/* inconsistent fragment fields */
	len = mk(d, PROTO_K_REQUEST, 7, 1, 0, 0, 0, 16, pl, 16, zero_key);
	tx(fd, d, len, &n); /* frag_count 0 */
	len = mk(d, PROTO_K_REQUEST, 7, 1, 0, 2000, 0, 100000, pl, 16,
		 zero_key);
	tx(fd, d, len, &n); /* frag_count > 1024 */
	len = mk(d, PROTO_K_REQUEST, 7, 1, 0, 4, 4, 64, pl, 16, zero_key);
	tx(fd, d, len, &n); /* index >= count */
	len = mk(d, PROTO_K_REQUEST, 7, 1, 0, 1024, 0, 3u << 20, pl, 16,
		 zero_key);
	tx(fd, d, len, &n); /* msg_len > 2 MiB */
	len = mk(d, PROTO_K_REQUEST, 7, 1, 0, 1, 0, 15, pl, 16, zero_key);
	tx(fd, d, len, &n); /* single fragment, msg_len != payload_len */
	len = mk(d, PROTO_K_REQUEST, 7, 1, 0, 2, 0, 200000, pl, 16, zero_key);
	tx(fd, d, len, &n); /* msg_len > count * 65535 */
	len = mk(d, PROTO_K_REQUEST, 7, 1, 0, 1, 0, 16, pl, 16, zero_key);
	tx(fd, d, len - 3, &n); /* payload_len longer than the datagram */
	sent += 7;
	good_writes(3);
	print_message("# drop_bad_datagram +%lld for %d bad headers\n",
		      (long long)(counter("zk_dpzk_drop_bad_datagram") - b0),
		      sent);
	assert_true(counter("zk_dpzk_drop_bad_datagram") - b0 >= sent - 2);
	server_alive();
	close(fd);
}

/* ------------------------------------------------------------------ */
/* authentication                                                      */
/* ------------------------------------------------------------------ */

static size_t
connect_dgram(uint8_t *d, int64_t sid, const uint8_t *pw, uint64_t nonce,
	      int timeout_ms)
{
	uint8_t body[64];
	static const uint8_t zpw[16];
	struct proto_wbuf w;
	struct proto_connect_req c = {
		.timeout = timeout_ms,
		.session_id = sid,
		.passwd = {pw ? pw : zpw, 16},
		.read_only = 0,
	};

	proto_wbuf_init(&w, body, sizeof(body));
	assert_int_equal(proto_connect_req_encode(&w, &c), 0);
	return mk(d, PROTO_K_CONNECT, sid, nonce, 0, 1, 0, (uint32_t)w.len,
		  body, (uint16_t)w.len, zero_key);
}

static void
test_bad_macs_are_dropped_and_counted(void **state)
{
	int fd = sock(), n = 0;
	int64_t m0 = counter("zk_dpzk_drop_bad_mac");
	int64_t s0 = counter("zk_global_sessions");
	uint8_t d[256], key[16];
	struct it_raw r;
	size_t len;

	(void)state;
	/* CONNECTs with a wrong MAC create nothing */
	for (int i = 0; i < 50; i++) {
		len = connect_dgram(d, 0, NULL, 1000 + (uint64_t)i, 5000);
		d[40] ^= 0x5a;
		tx(fd, d, len, &n);
	}
	good_writes(2);
	print_message("# drop_bad_mac +%lld for 50 CONNECTs with a bad MAC\n",
		      (long long)(counter("zk_dpzk_drop_bad_mac") - m0));
	assert_true(counter("zk_dpzk_drop_bad_mac") - m0 >= 50);
	assert_int_equal(counter("zk_global_sessions"), s0);

	/* datagrams of a real session (right address, right session id)
	 * sealed with the wrong key: dropped, counted, session unharmed */
	assert_int_equal(it_raw_open(&r), 0);
	assert_int_equal(it_raw_connect(&r, 0, 10000, 5000), 0);
	m0 = counter("zk_dpzk_drop_bad_mac");
	memset(key, 0x42, sizeof(key));
	for (int i = 0; i < 50; i++) {
		uint8_t pl[8] = {0, 0, 0, 9, 0, 0, 0, 11}; /* xid 9 ping */

		len = mk(d, PROTO_K_REQUEST, r.sid, 1, 1, 1, 0, 8, pl, 8,
			 i % 2 ? key : zero_key);
		if (send(r.fd, d, len, 0) < 0)
			fail_msg("send: %s", strerror(errno));
	}
	it_raw_poll(&r, 100);
	{
		struct proto_request q = {.type = PROTO_OP_EXISTS};

		q.path.p = (const uint8_t *)"/h";
		q.path.len = 2;
		assert_int_equal(it_raw_send(&r, 1, &q), 0);
		assert_true(it_raw_wait_reply(&r, 1, 3000) >= 0);
	}
	print_message("# drop_bad_mac +%lld for 50 session datagrams with a "
		      "bad MAC\n",
		      (long long)(counter("zk_dpzk_drop_bad_mac") - m0));
	assert_int_equal(proto_chan_stats(&r.ch)->rx_msgs, 1);
	it_raw_close(&r);
	good_writes(2);
	assert_true(counter("zk_dpzk_drop_bad_mac") - m0 >= 50);
	server_alive();
	close(fd);
}

static void
test_forged_session_ids_are_refused(void **state)
{
	int fd = sock(), n = 0, closes = 0;
	int64_t u0 = counter("zk_dpzk_drop_unknown_session");
	int64_t gsid = dpzk_client_id(good)->session_id;
	uint8_t d[256], in[256], pl[8] = {0, 0, 0, 5, 0, 0, 0, 3};
	size_t len;

	(void)state;
	/* random session ids, every kind a client may send */
	for (int i = 0; i < 200; i++) {
		int64_t sid;
		static const uint8_t kinds[] = {PROTO_K_REQUEST, PROTO_K_ACK,
						PROTO_K_PING,	 PROTO_K_CLOSE,
						PROTO_K_REPLY,	 PROTO_K_PEER};

		randombytes_buf(&sid, sizeof(sid));
		len = mk(d, kinds[i % 6], sid, 1, 0, 1, 0, 8, pl, 8, zero_key);
		tx(fd, d, len, &n);
	}
	/* the good client's session id from another address (port) */
	for (int i = 0; i < 100; i++) {
		len = mk(d, PROTO_K_REQUEST, gsid, 1 + (uint64_t)i, 1, 1, 0, 8,
			 pl, 8, zero_key);
		tx(fd, d, len, &n);
	}
	good_writes(3);
	/* the server told us (unauthenticated CLOSE) it has no such
	 * connection, nothing more */
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t k;

		if (poll(&p, 1, 200) <= 0)
			break;
		k = recv(fd, in, sizeof(in), 0);
		if (k >= PROTO_DGRAM_HDR_LEN && in[3] == PROTO_K_CLOSE)
			closes++;
		else if (k >= PROTO_DGRAM_HDR_LEN)
			fail_msg("unexpected kind %d to a forged session",
				 in[3]);
	}
	print_message("# drop_unknown_session +%lld for 300 forged "
		      "datagrams; %d CLOSE answers\n",
		      (long long)(counter("zk_dpzk_drop_unknown_session") - u0),
		      closes);
	assert_true(counter("zk_dpzk_drop_unknown_session") - u0 >= 290);
	assert_true(closes <= 300);
	/* the good session never noticed */
	for (int i = 0; i < good_ev.n; i++)
		if (good_ev.ev[i].type == DPZK_SESSION_EVENT)
			assert_int_equal(good_ev.ev[i].state,
					 DPZK_CONNECTED_STATE);
	server_alive();
	close(fd);
}

static void
test_reattach_with_wrong_password_is_refused(void **state)
{
	int64_t gsid = dpzk_client_id(good)->session_id;
	struct it_raw r;
	uint8_t pw[16];

	(void)state;
	assert_int_equal(it_raw_open(&r), 0);
	for (int i = 0; i < 20; i++) {
		randombytes_buf(pw, sizeof(pw));
		memcpy(r.passwd, pw, 16);
		/* answered "expired" (timeOut 0), the session untouched */
		assert_int_equal(it_raw_connect(&r, gsid, 10000, 2000),
				 -ESTALE);
	}
	it_raw_close(&r);
	good_writes(3);
	for (int i = 0; i < good_ev.n; i++)
		if (good_ev.ev[i].type == DPZK_SESSION_EVENT)
			assert_int_equal(good_ev.ev[i].state,
					 DPZK_CONNECTED_STATE);
	server_alive();
}

/* ------------------------------------------------------------------ */
/* fragments on a real session                                         */
/* ------------------------------------------------------------------ */

static void
test_bad_fragments_on_a_session_leave_it_working(void **state)
{
	static uint8_t junk[1400];
	uint8_t d[1500], key[16];
	struct it_raw r;
	size_t len;
	int n = 0;

	static const char *const reasons[] = {"too_big", "bad_fragment",
					      "out_of_window", "bad_ack"};
	static const int least[] = {1, 3, 100, 1};
	int64_t before[4];
	char k[64];

	(void)state;
	for (int i = 0; i < 4; i++) {
		snprintf(k, sizeof(k), "zk_dpzk_chan_drop_%s", reasons[i]);
		before[i] = counter(k);
	}
	assert_int_equal(it_raw_open(&r), 0);
	assert_int_equal(it_raw_connect(&r, 0, 10000, 5000), 0);
	proto_chan_derive_key(r.passwd, r.nonce, key);
	randombytes_buf(junk, sizeof(junk));
	/* all of these are authenticated, so only the channel can refuse
	 * them; they use seqs 5 and up, inside and beyond the receive
	 * window, while seq 1 stays free for a real request below */
	/* msg_len past the channel's max_msg (1 MiB + 64 KiB): too_big */
	len = mk(d, PROTO_K_REQUEST, r.sid, 5, 1, 1024, 0, 2u << 20, junk, 1400,
		 key);
	tx(r.fd, d, len, &n);
	/* one seq, fragments of different geometries: bad_fragment */
	len = mk(d, PROTO_K_REQUEST, r.sid, 5, 1, 4, 0, 4000, junk, 1000, key);
	tx(r.fd, d, len, &n);
	len = mk(d, PROTO_K_REQUEST, r.sid, 5, 1, 5, 1, 5000, junk, 1000, key);
	tx(r.fd, d, len, &n);
	len = mk(d, PROTO_K_REQUEST, r.sid, 5, 1, 4, 3, 4000, junk, 700, key);
	tx(r.fd, d, len, &n); /* last fragment of the wrong size */
	len = mk(d, PROTO_K_REQUEST, r.sid, 5, 1, 4, 1, 4001, junk, 1000, key);
	tx(r.fd, d, len, &n); /* another msg_len */
	/* far beyond the receive window */
	for (int i = 0; i < 100; i++) {
		len = mk(d, PROTO_K_REQUEST, r.sid, 1000 + (uint64_t)i, 1, 2, 0,
			 2000, junk, 1000, key);
		tx(r.fd, d, len, &n);
	}
	/* many half-sent big messages inside the window: the reassembly
	 * arena is bounded and evicts them */
	for (uint64_t s = 10; s < 48; s++)
		for (uint16_t f = 0; f < 20; f++) {
			len = mk(d, PROTO_K_REQUEST, r.sid, s, 1, 700, f,
				 700 * 1400, junk, 1400, key);
			tx(r.fd, d, len, &n);
		}
	/* an ack of messages the server never sent: bad_ack */
	len = mk(d, PROTO_K_ACK, r.sid, 0, 99999, 1, 0, 0, NULL, 0, key);
	tx(r.fd, d, len, &n);
	good_writes(3);
	server_alive();
	/* each refusal counted under its reason */
	for (int i = 0; i < 4; i++) {
		int64_t d;

		snprintf(k, sizeof(k), "zk_dpzk_chan_drop_%s", reasons[i]);
		d = counter(k) - before[i];
		print_message("# %s +%lld\n", k, (long long)d);
		if (d < least[i])
			fail_msg("%s +%lld, expected at least +%d", k,
				 (long long)d, least[i]);
	}
	/* the session itself still works: its next message, seq 1 */
	{
		struct proto_request q = {.type = PROTO_OP_EXISTS};
		struct proto_reply_hdr h;
		int i;

		q.path.p = (const uint8_t *)"/h";
		q.path.len = 2;
		assert_int_equal(it_raw_send(&r, 1, &q), 0);
		i = it_raw_wait_reply(&r, 1, 5000);
		if (i < 0)
			fail_msg("a session that got bad fragments no longer "
				 "answers");
		assert_int_equal(
			it_raw_decode_reply(&r, i, 0, &h, NULL, NULL, 0), 0);
		assert_int_equal(h.err, 0);
	}
	it_raw_close(&r);
}

/* ------------------------------------------------------------------ */
/* connect flood                                                       */
/* ------------------------------------------------------------------ */

static void
test_connect_flood_is_bounded_by_max_sessions(void **state)
{
	int fd = sock(), n = 0, newcomer_rc;
	int64_t l0 = counter("zk_dpzk_drop_session_limit");
	int64_t s0 = counter("zk_global_sessions"), peak = 0;
	uint8_t d[256];
	size_t len;
	uint64_t t0;

	(void)state;
	/* 3000 new-session CONNECTs, each with its own nonce, 1 s timeout
	 * asked (the server's minimum here), never followed up */
	for (int i = 0; i < 3000; i++) {
		len = connect_dgram(d, 0, NULL, 0x10000 + (uint64_t)i, 1000);
		tx(fd, d, len, &n);
		if (i % 500 == 499) {
			int64_t g = it_mntr("zk_global_sessions");

			if (g > peak)
				peak = g;
		}
	}
	/* the good client's session is established: it keeps working */
	good_writes(3);
	{
		int64_t g = counter("zk_global_sessions");

		if (g > peak)
			peak = g;
	}
	/* a newcomer meanwhile: refused while the table is full (as long
	 * as the flood's sessions live) */
	{
		struct dpzk_handle *nc =
			dpzk_init(it_hosts(), NULL, 10000, NULL, NULL, 0);

		assert_non_null(nc);
		newcomer_rc = dpzk_wait_connected(nc, 300);
		dpzk_close(nc);
	}
	print_message("# flood of 3000 CONNECTs: sessions %lld -> peak %lld "
		      "(max_sessions %d), drop_session_limit +%lld; a new "
		      "client during the flood: %s\n",
		      (long long)s0, (long long)peak, MAX_SESSIONS,
		      (long long)(counter("zk_dpzk_drop_session_limit") - l0),
		      dpzk_errname(newcomer_rc));
	assert_true(peak <= MAX_SESSIONS);
	assert_true(counter("zk_dpzk_drop_session_limit") - l0 > 0);
	server_alive();
	/* the flood's sessions expire (1 s, never pinged); then a new
	 * client gets in */
	t0 = it_ms();
	{
		int rc = DPZK_ZOPERATIONTIMEOUT;
		struct dpzk_handle *nc = NULL;

		while (rc != DPZK_ZOK && it_ms() - t0 < 15000) {
			nc = dpzk_init(it_hosts(), NULL, 10000, NULL, NULL, 0);
			assert_non_null(nc);
			rc = dpzk_wait_connected(nc, 1000);
			if (rc != DPZK_ZOK) {
				dpzk_close(nc);
				nc = NULL;
			}
		}
		print_message("# a new client got a session %llu ms after "
			      "the flood\n",
			      (unsigned long long)(it_ms() - t0));
		assert_int_equal(rc, DPZK_ZOK);
		assert_int_equal(dpzk_exists(nc, "/h", 0, NULL), DPZK_ZOK);
		dpzk_close(nc);
	}
	good_writes(3);
	close(fd);
}

static long
server_rss_kb(void)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)it_server_pid());
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

struct nr {
	int sent, ok, failed;
};

static void
nr_done(int rc, const struct dpzk_result *res, const void *data)
{
	struct nr *n = (struct nr *)data;

	(void)res;
	if (rc == DPZK_ZOK)
		n->ok++;
	else
		n->failed++;
}

/* A session that watches everything and never reads: its events pile up
 * in its channel and backlog (bounded: the server drops the connection,
 * the session lives on), while another client's writes go on. */
static void
test_a_client_that_never_reads_cannot_stall_others(void **state)
{
	struct it_raw r;
	struct proto_request q;
	struct nr n = {0};
	long rss0, rss1;
	uint64_t t0, end;
	char p[32];

	(void)state;
	assert_int_equal(it_mkdirs(good, "/nr"), DPZK_ZOK);
	assert_int_equal(it_raw_open(&r), 0);
	assert_int_equal(it_raw_connect(&r, 0, 30000, 5000), 0);
	memset(&q, 0, sizeof(q));
	q.type = PROTO_OP_ADDWATCH;
	q.path.p = (const uint8_t *)"/nr";
	q.path.len = 3;
	q.mode = PROTO_ADDWATCH_PERSISTENT_RECURSIVE;
	assert_int_equal(it_raw_send(&r, 1, &q), 0);
	assert_true(it_raw_wait_reply(&r, 1, 5000) >= 0);
	/* from now on r reads nothing and acks nothing */
	rss0 = server_rss_kb();
	t0 = it_ms();
	end = t0 + 60000;
	while (n.ok + n.failed < 6000 && it_ms() < end) {
		while (n.sent < 6000 && n.sent - n.ok - n.failed < 256) {
			snprintf(p, sizeof(p), "/nr/n%d", n.sent++);
			assert_int_equal(dpzk_acreate(good, p, "x", 1,
						      &dpzk_open_acl_unsafe, 0,
						      0, nr_done, &n),
					 DPZK_ZOK);
		}
		it_pump(&good, 1, 2, NULL);
	}
	rss1 = server_rss_kb();
	print_message("# 6000 writes, each an event for a session that never "
		      "reads: %llu ms, server RSS %ld -> %ld kB\n",
		      (unsigned long long)(it_ms() - t0), rss0, rss1);
	assert_int_equal(n.failed, 0);
	assert_int_equal(n.ok, 6000);
	assert_true(rss1 - rss0 < 256 * 1024);
	good_writes(2);
	server_alive();
	it_raw_close(&r);
}

static void
test_good_client_lost_nothing(void **state)
{
	struct dpzk_handle *v;
	uint64_t end = it_ms() + 10000;
	int n = -1;

	(void)state;
	while (good_inflight > 0 && it_ms() < end)
		it_pump(&good, 1, 10, NULL);
	assert_int_equal(good_inflight, 0);
	assert_int_equal(good_async_failed, 0);
	v = it_connect(10000, NULL);
	for (int i = 0; i < good_acked; i++)
		assert_int_equal(dpzk_exists(v, good_acked_paths[i], 0, NULL),
				 DPZK_ZOK);
	assert_int_equal(dpzk_get_all_children_number(v, "/h", &n), DPZK_ZOK);
	assert_int_equal(n, good_acked);
	print_message("# the good client's %d acknowledged writes are all "
		      "there\n",
		      good_acked);
	dpzk_close(v);
	server_alive();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_bytes_are_dropped_and_counted),
		cmocka_unit_test(test_truncated_and_wrong_headers_are_dropped),
		cmocka_unit_test(test_bad_macs_are_dropped_and_counted),
		cmocka_unit_test(test_forged_session_ids_are_refused),
		cmocka_unit_test(test_reattach_with_wrong_password_is_refused),
		cmocka_unit_test(
			test_bad_fragments_on_a_session_leave_it_working),
		cmocka_unit_test(test_connect_flood_is_bounded_by_max_sessions),
		cmocka_unit_test(
			test_a_client_that_never_reads_cannot_stall_others),
		cmocka_unit_test(test_good_client_lost_nothing),
	};

	it_deadline(170);
	return cmocka_run_group_tests_name("integration_hostile", tests, setup,
					   teardown);
}
