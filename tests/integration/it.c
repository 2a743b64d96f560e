/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/integration/it.c — the helpers of it.h: environment, server
 * control, admin words and telemetry, libdpzk helpers and the raw client.
 *
 * Why it is built this way: the tests check behaviour end to end, so the
 * helpers stay thin — the raw client is proto/'s own channel over a
 * kernel socket with the CONNECT handshake of docs/PROTOCOL-channel.md
 * §2.1 in front, nothing more; the admin words are one datagram each.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cmocka.h>
#include <sodium.h>

#include "it.h"

static const uint8_t zero_key[16];

/* ------------------------------------------------------------------ */
/* Environment and server control                                      */
/* ------------------------------------------------------------------ */

const char *
it_hosts(void)
{
	const char *s = getenv("DPZK_SERVER");

	return s && *s ? s : "198.18.0.11:2181";
}

const char *
it_ip(void)
{
	static char ip[64];
	const char *c;

	snprintf(ip, sizeof(ip), "%s", it_hosts());
	c = strchr(ip, ':');
	if (c)
		ip[c - ip] = 0;
	return ip;
}

int
it_port(void)
{
	const char *c = strchr(it_hosts(), ':');

	return c ? atoi(c + 1) : 2181;
}

static void
on_alarm(int sig)
{
	static const char m[] = "integration test: time budget exceeded\n";

	(void)sig;
	if (write(2, m, sizeof(m) - 1) < 0)
		_exit(1);
	_exit(1);
}

void
it_deadline(unsigned seconds)
{
	const char *f = getenv("IT_FILTER");

	signal(SIGALRM, on_alarm);
	alarm(seconds);
	/* IT_FILTER=pattern runs only the matching tests (debugging) */
	if (f && *f)
		cmocka_set_test_filter(f);
}

uint64_t
it_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
it_sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int
read_run_file(const char *name, char *out, size_t cap)
{
	const char *run = getenv("DPZK_RUN");
	char path[512];
	FILE *f;
	size_t n;

	if (run == NULL)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/%s", run, name);
	f = fopen(path, "r");
	if (f == NULL)
		return -errno;
	n = fread(out, 1, cap - 1, f);
	fclose(f);
	out[n] = 0;
	while (n && (out[n - 1] == '\n' || out[n - 1] == ' '))
		out[--n] = 0;
	return (int)n;
}

pid_t
it_server_pid(void)
{
	char b[32];

	if (read_run_file("pid.1", b, sizeof(b)) <= 0)
		return 0;
	return (pid_t)atoi(b);
}

int
it_server_kill9(void)
{
	pid_t pid = it_server_pid();

	if (pid <= 0)
		return -ESRCH;
	if (kill(pid, SIGKILL) != 0)
		return -errno;
	for (int i = 0; i < 500; i++) {
		if (kill(pid, 0) != 0 && errno == ESRCH)
			return 0;
		it_sleep_ms(10);
	}
	return -ETIMEDOUT;
}

int
it_server_start(void)
{
	const char *sh = getenv("DPZK_TESTNET_SH");
	char cmd[1024];

	if (sh == NULL)
		return -1;
	snprintf(cmd, sizeof(cmd), "timeout 60 '%s' start 1 >/dev/null 2>&1",
		 sh);
	return system(cmd) == 0 ? 0 : -1;
}

int
it_server_log_line(const char *needle, char *out, size_t cap)
{
	const char *run = getenv("DPZK_RUN");
	char path[512], line[1024];
	int found = -ENOENT;
	FILE *f;

	if (run == NULL)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/server1.log", run);
	f = fopen(path, "r");
	if (f == NULL)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		size_t n;

		if (strstr(line, needle) == NULL)
			continue;
		n = strcspn(line, "\n");
		line[n] = 0;
		snprintf(out, cap, "%s", line);
		found = (int)strlen(out);
	}
	fclose(f);
	return found;
}

bool
it_ping(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "ping -c 1 -W 1 -q %s >/dev/null 2>&1",
		 it_ip());
	return system(cmd) == 0;
}

static int
udp_socket_to_server(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	sa.sin_port = htons((uint16_t)it_port());
	if (inet_pton(AF_INET, it_ip(), &sa.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno ? errno : EINVAL;

		close(fd);
		return -e;
	}
	return fd;
}

int
it_4lw(const char *word, char *out, size_t cap)
{
	uint8_t d[PROTO_DGRAM_HDR_LEN + 4], in[2048];
	size_t wl = strlen(word) > 4 ? 4 : strlen(word);
	struct proto_dgram_hdr h = {
		.magic = PROTO_DGRAM_MAGIC,
		.version = PROTO_DGRAM_VERSION,
		.kind = PROTO_K_ADMIN,
		.frag_count = 1,
		.payload_len = (uint16_t)wl,
		.msg_len = (uint32_t)wl,
	};
	struct timeval tv = {1, 0};
	int fd = udp_socket_to_server();

	if (fd < 0)
		return fd;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	proto_dgram_hdr_encode(d, &h);
	memcpy(d + PROTO_DGRAM_HDR_LEN, word, wl);
	proto_dgram_seal(d, PROTO_DGRAM_HDR_LEN + wl, zero_key);
	for (int t = 0; t < 3; t++) {
		ssize_t n;

		if (send(fd, d, PROTO_DGRAM_HDR_LEN + wl, 0) < 0)
			continue;
		n = recv(fd, in, sizeof(in), 0);
		if (n >= PROTO_DGRAM_HDR_LEN && in[3] == PROTO_K_ADMIN) {
			size_t m = (size_t)n - PROTO_DGRAM_HDR_LEN;

			if (m >= cap)
				m = cap - 1;
			memcpy(out, in + PROTO_DGRAM_HDR_LEN, m);
			out[m] = 0;
			close(fd);
			return (int)m;
		}
	}
	close(fd);
	return -ETIMEDOUT;
}

int64_t
it_mntr(const char *key)
{
	char b[2048], pat[128];
	const char *p;

	if (it_4lw("mntr", b, sizeof(b)) <= 0)
		return -1;
	snprintf(pat, sizeof(pat), "\n%s\t", key);
	p = strstr(b, pat);
	if (p == NULL) {
		/* the first line has no newline in front */
		snprintf(pat, sizeof(pat), "%s\t", key);
		if (strncmp(b, pat, strlen(pat)) != 0)
			return -1;
		p = b - 1;
	}
	return strtoll(p + 1 + strlen(key) + 1, NULL, 10);
}

int
it_telemetry(const char *cmd, char *out, size_t cap)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {5, 0};
	char prefix[64], greet[4096];
	ssize_t n;
	int fd;

	if (read_run_file("prefix.1", prefix, sizeof(prefix)) <= 0)
		return -ENOENT;
	snprintf(sa.sun_path, sizeof(sa.sun_path),
		 "/var/run/dpdk/%s/dpdk_telemetry.v2", prefix);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    recv(fd, greet, sizeof(greet), 0) <= 0 ||
	    send(fd, cmd, strlen(cmd), 0) < 0 ||
	    (n = recv(fd, out, cap - 1, 0)) < 0) {
		int e = errno ? errno : EIO;

		close(fd);
		return -e;
	}
	out[n] = 0;
	close(fd);
	return (int)n;
}

/* ------------------------------------------------------------------ */
/* libdpzk helpers                                                     */
/* ------------------------------------------------------------------ */

void
it_watcher(struct dpzk_handle *zh, int type, int state, const char *path,
	   void *ctx)
{
	struct it_events *e = ctx;
	struct it_event *x;

	(void)zh;
	if (e == NULL)
		return;
	if (type == DPZK_SESSION_EVENT)
		e->last_state = state;
	if (e->n >= IT_MAX_EVENTS)
		return;
	x = &e->ev[e->n++];
	x->type = type;
	x->state = state;
	snprintf(x->path, sizeof(x->path), "%s", path ? path : "");
	x->order = e->order ? (*e->order)++ : 0;
}

int
it_events_count(const struct it_events *e, int type, const char *path)
{
	int n = 0;

	for (int i = 0; i < e->n; i++)
		if (e->ev[i].type == type && strcmp(e->ev[i].path, path) == 0)
			n++;
	return n;
}

struct dpzk_handle *
it_connect(int timeout_ms, struct it_events *ev)
{
	struct dpzk_handle *zh =
		dpzk_init(it_hosts(), it_watcher, timeout_ms, NULL, ev, 0);

	assert_non_null(zh);
	assert_int_equal(dpzk_wait_connected(zh, 20000), DPZK_ZOK);
	return zh;
}

bool
it_pump(struct dpzk_handle **hs, int n, int ms, const bool *done)
{
	uint64_t end = dpzk_now() + (uint64_t)ms * 1000000ull;

	for (;;) {
		struct pollfd pfd[16];
		uint64_t now = dpzk_now(), d = end;
		int np = 0;
		struct timespec ts;

		for (int i = 0; i < n; i++)
			if (hs[i])
				dpzk_process(hs[i], now);
		if (done && *done)
			return true;
		if (now >= end)
			return done == NULL;
		for (int i = 0; i < n && np < 16; i++) {
			uint64_t hd;

			if (hs[i] == NULL)
				continue;
			hd = dpzk_next_deadline(hs[i]);
			if (hd < d)
				d = hd;
			if (dpzk_fd(hs[i]) >= 0) {
				pfd[np].fd = dpzk_fd(hs[i]);
				pfd[np].events = POLLIN;
				np++;
			}
		}
		if (d > now + 5000000ull)
			d = now + 5000000ull; /* callbacks queued meanwhile */
		d = d > now ? d - now : 0;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)d;
		ppoll(pfd, (nfds_t)np, &ts, NULL);
	}
}

int
it_mkdirs(struct dpzk_handle *zh, const char *path)
{
	char p[512];
	int rc = DPZK_ZOK;

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == 0) {
			char c = *s;

			*s = 0;
			rc = dpzk_create(zh, p, NULL, -1, &dpzk_open_acl_unsafe,
					 0, 0, NULL, 0, NULL);
			if (rc == DPZK_ZNODEEXISTS)
				rc = DPZK_ZOK;
			if (rc != DPZK_ZOK || c == 0)
				return rc;
			*s = c;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Raw client                                                          */
/* ------------------------------------------------------------------ */

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
raw_emit(void *ctx, const void *dgram, size_t len)
{
	struct it_raw *r = ctx;

	return send(r->fd, dgram, len, MSG_DONTWAIT) < 0 ? -errno : 0;
}

static void
raw_deliver(void *ctx, uint8_t kind, const void *msg, size_t len)
{
	struct it_raw *r = ctx;
	struct it_msg *m;

	if (r->nmsgs >= IT_RAW_MAX_MSGS)
		return; /* a test that reads so much forgets in between */
	m = &r->msgs[r->nmsgs++];
	m->kind = kind;
	m->len = (uint32_t)len;
	m->b = malloc(len ? len : 1);
	assert_non_null(m->b);
	memcpy(m->b, msg, len);
}

static void
raw_control(void *ctx, const struct proto_dgram_hdr *h, const void *payload,
	    size_t len)
{
	struct it_raw *r = ctx;
	const uint8_t *p = payload;

	if (h->kind == PROTO_K_CLOSE)
		r->close_code = len >= 4 ? (int32_t)((uint32_t)p[0] << 24 |
						     (uint32_t)p[1] << 16 |
						     (uint32_t)p[2] << 8 | p[3])
					 : -1;
}

static const struct proto_chan_ops raw_ops = {
	.emit = raw_emit,
	.deliver = raw_deliver,
	.control = raw_control,
};

int
it_raw_open(struct it_raw *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = udp_socket_to_server();
	if (r->fd < 0)
		return r->fd;
	return 0;
}

void
it_raw_forget(struct it_raw *r)
{
	for (int i = 0; i < r->nmsgs; i++)
		free(r->msgs[i].b);
	r->nmsgs = 0;
}

void
it_raw_close(struct it_raw *r)
{
	it_raw_forget(r);
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	free(r->mem);
	r->mem = NULL;
}

static void
send_connect(struct it_raw *r, int64_t sid, int timeout_ms)
{
	uint8_t d[PROTO_DGRAM_HDR_LEN + 64];
	static const uint8_t zero_pw[16];
	struct proto_wbuf w;
	struct proto_connect_req c = {
		.timeout = timeout_ms,
		.session_id = sid,
		.passwd = {sid ? r->passwd : zero_pw, 16},
		.read_only = 0,
	};
	struct proto_dgram_hdr h = {
		.magic = PROTO_DGRAM_MAGIC,
		.version = PROTO_DGRAM_VERSION,
		.kind = PROTO_K_CONNECT,
		.frag_count = 1,
		.session_id = sid,
		.seq = r->nonce,
	};

	proto_wbuf_init(&w, d + PROTO_DGRAM_HDR_LEN,
			sizeof(d) - PROTO_DGRAM_HDR_LEN);
	assert_int_equal(proto_connect_req_encode(&w, &c), 0);
	h.payload_len = (uint16_t)w.len;
	h.msg_len = (uint32_t)w.len;
	proto_dgram_hdr_encode(d, &h);
	proto_dgram_seal(d, PROTO_DGRAM_HDR_LEN + w.len, zero_key);
	if (send(r->fd, d, PROTO_DGRAM_HDR_LEN + w.len, MSG_DONTWAIT) < 0)
		return; /* retried */
}

int
it_raw_connect(struct it_raw *r, int64_t sid, int timeout_ms, int wait_ms)
{
	uint64_t end = it_ms() + (uint64_t)wait_ms, next = 0;
	static uint8_t d[65536];

	randombytes_buf(&r->nonce, sizeof(r->nonce));
	if (r->nonce == 0)
		r->nonce = 1;
	r->chan_up = false;
	while (it_ms() < end) {
		struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
		struct proto_dgram_hdr h;
		struct proto_connect_resp c;
		uint8_t key[16], pw[16] = {0};
		ssize_t n;

		if (it_ms() >= next) {
			send_connect(r, sid, timeout_ms);
			next = it_ms() + 100;
		}
		if (poll(&pfd, 1, 20) <= 0)
			continue;
		n = recv(r->fd, d, sizeof(d), MSG_DONTWAIT);
		if (n < 0 || proto_dgram_hdr_decode(d, (size_t)n, &h) != 0 ||
		    h.kind != PROTO_K_CONNECTED || h.ack != r->nonce)
			continue;
		if (proto_connect_resp_decode(d + PROTO_DGRAM_HDR_LEN,
					      h.payload_len, &c) != 0)
			continue;
		if (c.passwd.len == 16)
			memcpy(pw, c.passwd.p, 16);
		proto_chan_derive_key(pw, r->nonce, key);
		if (proto_dgram_verify(d, (size_t)n, key) != 0)
			continue;
		if (c.timeout <= 0 || c.session_id == 0)
			return -ESTALE;
		r->sid = c.session_id;
		memcpy(r->passwd, pw, 16);
		r->timeout_ms = c.timeout;
		if (!r->chan_init) {
			struct proto_chan_cfg cfg;
			size_t len;

			proto_chan_cfg_default(&cfg);
			len = proto_chan_mem_size(&cfg);
			r->mem = aligned_alloc(64, (len + 63) & ~(size_t)63);
			assert_non_null(r->mem);
			assert_int_equal(proto_chan_init(&r->ch, &cfg, r->mem,
							 len, &raw_ops, r,
							 r->sid, key, now_ns()),
					 0);
			r->chan_init = true;
		} else {
			proto_chan_reset(&r->ch, r->sid, key, now_ns());
		}
		r->chan_up = true;
		return 0;
	}
	return -ETIMEDOUT;
}

static void
raw_input(struct it_raw *r, int ms)
{
	static uint8_t d[65536];
	struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
	ssize_t n;

	if (ms > 0)
		poll(&pfd, 1, ms);
	while ((n = recv(r->fd, d, sizeof(d), MSG_DONTWAIT)) >= 0) {
		struct proto_dgram_hdr h;

		if (proto_dgram_hdr_decode(d, (size_t)n, &h) != 0)
			continue;
		if (h.kind == PROTO_K_CLOSE && h.seq == 0 &&
		    proto_dgram_verify(d, (size_t)n, zero_key) == 0) {
			r->unknown_close++;
			continue;
		}
		if (r->chan_up)
			proto_chan_input(&r->ch, d, (size_t)n, now_ns());
	}
	if (r->chan_up && now_ns() >= proto_chan_next_deadline(&r->ch))
		proto_chan_timer(&r->ch, now_ns());
}

int
it_raw_send(struct it_raw *r, int32_t xid, const struct proto_request *q)
{
	static uint8_t b[PROTO_CHAN_MAX_MSG];
	struct proto_req_hdr h = {.xid = xid, .type = q->type};
	struct proto_wbuf w;
	int rc;

	proto_wbuf_init(&w, b, sizeof(b));
	proto_req_hdr_encode(&w, &h);
	rc = proto_request_encode(&w, q);
	if (rc != 0)
		return rc;
	for (int i = 0; i < 500; i++) {
		rc = proto_chan_send(&r->ch, PROTO_K_REQUEST, b, w.len,
				     now_ns());
		if (rc != -EAGAIN)
			return rc;
		raw_input(r, 10);
	}
	return rc;
}

int
it_raw_send_bytes(struct it_raw *r, const void *msg, size_t len)
{
	int rc = -EAGAIN;

	for (int i = 0; i < 500 && rc == -EAGAIN; i++) {
		rc = proto_chan_send(&r->ch, PROTO_K_REQUEST, msg, len,
				     now_ns());
		if (rc == -EAGAIN)
			raw_input(r, 10);
	}
	return rc;
}

void
it_raw_poll(struct it_raw *r, int ms)
{
	uint64_t end = it_ms() + (uint64_t)ms;
	uint64_t ping_every =
		r->timeout_ms > 0 ? (uint64_t)r->timeout_ms / 3 : 1000;
	do {
		raw_input(r, 5);
		if (r->chan_up && it_ms() - r->last_ping_ms >= ping_every) {
			proto_chan_ping(&r->ch, now_ns());
			r->last_ping_ms = it_ms();
		}
	} while (it_ms() < end);
}

int
it_raw_wait_reply(struct it_raw *r, int32_t xid, int ms)
{
	uint64_t end = it_ms() + (uint64_t)ms;

	for (;;) {
		for (int i = 0; i < r->nmsgs; i++) {
			const uint8_t *b = r->msgs[i].b;
			int32_t x;

			if (r->msgs[i].kind != PROTO_K_REPLY ||
			    r->msgs[i].len < 16)
				continue;
			x = (int32_t)((uint32_t)b[0] << 24 |
				      (uint32_t)b[1] << 16 |
				      (uint32_t)b[2] << 8 | b[3]);
			if (x == xid)
				return i;
		}
		if (it_ms() >= end)
			return -1;
		it_raw_poll(r, 5);
	}
}

int
it_raw_decode_reply(const struct it_raw *r, int i, int32_t op,
		    struct proto_reply_hdr *h, struct proto_response *a,
		    void *scratch, size_t scratch_len)
{
	struct proto_rbuf rb;
	struct proto_scratch sc;

	proto_rbuf_init(&rb, r->msgs[i].b, r->msgs[i].len);
	if (proto_reply_hdr_decode(&rb, h) != 0)
		return -EBADMSG;
	if (h->err != 0 || a == NULL)
		return 0;
	memset(a, 0, sizeof(*a));
	proto_scratch_init(&sc, scratch, scratch_len);
	return proto_response_decode(&rb, op, a, &sc);
}
