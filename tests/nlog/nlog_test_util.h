/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the nvme-log tests: scratch directories on the real disk
 * (O_DIRECT does not work on tmpfs, so /var/tmp, never /dev/shm), a
 * recovery sink that records what nlog_open replays, and deterministic
 * payloads so a test can check every replayed byte.
 */
#ifndef DPZK_NLOG_TEST_UTIL_H
#define DPZK_NLOG_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nvme-log/nlog.h"

static inline int
tu_rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static inline void
tu_rm_rf(const char *dir)
{
	nftw(dir, tu_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh directory under /var/tmp (or $NLOG_TEST_DIR). */
static inline char *
tu_mkdir(char *buf, size_t len)
{
	const char *base = getenv("NLOG_TEST_DIR");

	snprintf(buf, len, "%s/dpzk-nlog-XXXXXX", base ? base : "/var/tmp");
	return mkdtemp(buf);
}

/* Deterministic payload for zxid: length 1..max, bytes from the zxid. */
static inline uint32_t
tu_payload(uint64_t zxid, uint8_t *p, uint32_t max)
{
	uint32_t len = (uint32_t)(zxid * 2654435761u % max) + 1;
	uint64_t x = zxid * 0x9E3779B97F4A7C15ull;

	for (uint32_t i = 0; i < len; i++) {
		x ^= x >> 13;
		x ^= x << 7;
		x ^= x >> 17;
		p[i] = (uint8_t)x;
	}
	return len;
}

struct tu_sink {
	uint64_t snap_zxid;
	uint64_t snap_len;
	uint32_t snap_crc_like; /* simple sum of body bytes */
	int snap_calls;
	uint64_t *zxids;
	size_t n, cap;
	bool check_payload;
	uint32_t max_payload;
	int payload_errors;
	int order_errors;
};

static inline int
tu_snap_begin(void *arg, uint64_t zxid, uint64_t len)
{
	struct tu_sink *s = arg;

	s->snap_zxid = zxid;
	s->snap_len = len;
	s->snap_calls++;
	return 0;
}

static inline int
tu_snap_chunk(void *arg, const void *p, size_t len)
{
	struct tu_sink *s = arg;
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		s->snap_crc_like += b[i];
	return 0;
}

static inline int
tu_record(void *arg, uint64_t zxid, int32_t type, const void *p, uint32_t len)
{
	struct tu_sink *s = arg;

	(void)type;
	if (s->n > 0 && zxid <= s->zxids[s->n - 1])
		s->order_errors++;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		s->zxids = realloc(s->zxids, s->cap * sizeof(*s->zxids));
	}
	s->zxids[s->n++] = zxid;
	if (s->check_payload) {
		uint8_t want[70000];
		uint32_t wl = tu_payload(zxid, want, s->max_payload);
		if (wl != len || memcmp(want, p, len) != 0)
			s->payload_errors++;
	}
	return 0;
}

static inline struct nlog_recover_ops
tu_ops(struct tu_sink *s)
{
	struct nlog_recover_ops o = {
		.snap_begin = tu_snap_begin,
		.snap_chunk = tu_snap_chunk,
		.record = tu_record,
		.arg = s,
	};
	return o;
}

static inline void
tu_sink_reset(struct tu_sink *s)
{
	free(s->zxids);
	memset(s, 0, sizeof(*s));
}

static inline void
tu_config(struct nlog_config *c, const char *dir)
{
	nlog_config_default(c);
	c->dir = dir;
	c->segment_size = 256u << 10;
	c->buffer_size = 32u << 10;
	c->quiet = getenv("NLOG_TEST_VERBOSE") == NULL;
}

#endif /* DPZK_NLOG_TEST_UTIL_H */
