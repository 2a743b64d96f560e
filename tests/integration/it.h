/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/integration/it.h — what every integration test program shares: the
 * server it talks to (from the runner's environment), server control
 * (kill -9, restart through scripts/testnet.sh), the admin words and DPDK
 * telemetry, libdpzk helpers (connect, an event recorder, a loop that
 * drives several handles at once), and a raw client built on proto/'s
 * codecs and channel for what libdpzk would never do (go silent, resend an
 * xid on a new connection, forge datagrams).
 *
 * Why it is built this way: the test programs run inside the test
 * network's namespace (run.sh starts them with `testnet.sh exec`), so they
 * reach the server directly on its address; everything they need from the
 * outside (the server's pid, the testnet script, the EAL file prefix) comes
 * in environment variables, set by run.sh.  Every wait here is bounded.
 */
#ifndef DPZK_TESTS_IT_H
#define DPZK_TESTS_IT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "client/dpzk.h"
#include "proto/proto.h"

/* ------------------------------------------------------------------ */
/* Environment and server control                                      */
/* ------------------------------------------------------------------ */

/* "198.18.0.11:2181" (DPZK_SERVER), its address and port. */
const char *it_hosts(void);
const char *it_ip(void);
int it_port(void);
/* Arms a SIGALRM that ends the program (exit 1) after `seconds`, so no
 * test can hang past its budget whatever libdpzk does.  Also applies
 * IT_FILTER (a cmocka test-name pattern) from the environment. */
void it_deadline(unsigned seconds);
/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t it_ms(void);
void it_sleep_ms(unsigned ms);

/* The server's pid (from the test network's run directory), 0 if none. */
pid_t it_server_pid(void);
/* SIGKILL the server and wait (≤ 5 s) until it is gone.  0 or -errno. */
int it_server_kill9(void);
/* Start the server again (testnet.sh start 1: same arguments, same data
 * directory) and wait until it answers ping.  0 or -1. */
int it_server_start(void);
/* The last line of the server's log containing `needle` into out
 * (NUL-terminated, newline stripped).  Its length, or -ENOENT. */
int it_server_log_line(const char *needle, char *out, size_t cap);
/* One ICMP echo answered within a second? */
bool it_ping(void);

/* A four-letter word's answer into out (NUL-terminated).  Bytes or
 * -errno (-ETIMEDOUT after 3 tries of 1 s). */
int it_4lw(const char *word, char *out, size_t cap);
/* One numeric mntr key, or -1 when missing / no answer. */
int64_t it_mntr(const char *key);
/* DPDK telemetry command on the server's EAL socket (e.g.
 * "/dpzk/fault_set,fault_tx_drop=1"); the JSON answer into out.  Bytes or
 * -errno. */
int it_telemetry(const char *cmd, char *out, size_t cap);

/* ------------------------------------------------------------------ */
/* libdpzk helpers                                                     */
/* ------------------------------------------------------------------ */

#define IT_MAX_EVENTS 4096

struct it_event {
	int type;
	int state;
	char path[128];
	uint64_t order; /* position in the shared order counter */
};

/* A recorder of watch and session events.  `order`, if set, is a counter
 * shared with completion records so a test can tell what came first. */
struct it_events {
	int n;
	struct it_event ev[IT_MAX_EVENTS];
	int last_state;
	uint64_t *order;
};

/* A watcher that appends to the struct it_events given as context. */
void it_watcher(struct dpzk_handle *zh, int type, int state, const char *path,
		void *ctx);
/* Events of `type` on `path` recorded so far. */
int it_events_count(const struct it_events *e, int type, const char *path);

/* dpzk_init + wait (≤ 20 s: a createSession is a durable write, and the
 * test machine's disk may be busy) until connected; asserts.  ev may be
 * NULL. */
struct dpzk_handle *it_connect(int timeout_ms, struct it_events *ev);
/* Runs the loops of n handles for up to ms (NULL entries skipped) until
 * *done (if given) becomes true.  Returns true if done. */
bool it_pump(struct dpzk_handle **hs, int n, int ms, const bool *done);

/* Creates path and any missing parents (persistent, open ACL); ZOK or
 * NODEEXISTS count as success.  Returns the last code. */
int it_mkdirs(struct dpzk_handle *zh, const char *path);

/* ------------------------------------------------------------------ */
/* Raw client (proto/ codecs + channel over a kernel UDP socket)        */
/* ------------------------------------------------------------------ */

#define IT_RAW_MAX_MSGS 1024

struct it_msg {
	uint8_t kind;
	uint32_t len;
	uint8_t *b;
};

struct it_raw {
	int fd;
	int64_t sid;
	uint8_t passwd[16];
	int32_t timeout_ms;
	uint64_t nonce;
	bool chan_up;
	bool chan_init;
	struct proto_chan ch;
	void *mem;
	/* delivered messages, oldest first */
	int nmsgs;
	struct it_msg msgs[IT_RAW_MAX_MSGS];
	int close_code;	   /* from an authenticated CLOSE, 0 if none */
	int unknown_close; /* unauthenticated CLOSEs seen */
	uint64_t last_ping_ms;
};

/* Opens a socket connected to the server.  0 or -errno. */
int it_raw_open(struct it_raw *r);
void it_raw_close(struct it_raw *r);
/* CONNECT with a fresh nonce (sid 0: new session, else reattach with
 * r->passwd) and wait ≤ wait_ms for CONNECTED.  0, -ESTALE (the server
 * answered "expired": timeOut 0) or -ETIMEDOUT. */
int it_raw_connect(struct it_raw *r, int64_t sid, int timeout_ms, int wait_ms);
/* Encodes RequestHeader{xid, q->type} + body and queues it.  0 or the
 * channel's -errno. */
int it_raw_send(struct it_raw *r, int32_t xid, const struct proto_request *q);
/* Queues an already-encoded message (RequestHeader + body) as a REQUEST.
 * 0 or the channel's -errno. */
int it_raw_send_bytes(struct it_raw *r, const void *msg, size_t len);
/* Reads and runs the channel for up to ms.  With ping, keeps the session
 * alive. */
void it_raw_poll(struct it_raw *r, int ms);
/* Waits ≤ ms for the REPLY to xid; returns its index in r->msgs or -1. */
int it_raw_wait_reply(struct it_raw *r, int32_t xid, int ms);
/* Decodes r->msgs[i]'s ReplyHeader (and body for op when err is 0) using
 * scratch; 0 or -EBADMSG. */
int it_raw_decode_reply(const struct it_raw *r, int i, int32_t op,
			struct proto_reply_hdr *h, struct proto_response *a,
			void *scratch, size_t scratch_len);
void it_raw_forget(struct it_raw *r); /* frees the delivered messages */

#endif /* DPZK_TESTS_IT_H */
