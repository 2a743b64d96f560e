/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/client/fakesrv.h — a tiny in-test dpzk server for libdpzk's unit
 * tests: one thread, one UDP socket on 127.0.0.1, the real proto/ codecs
 * and channel, an in-memory table of znodes with data watches.  Just
 * enough of the server side of docs/PROTOCOL.md §8 to exercise the
 * client (handshake, requests, events before replies, retransmission,
 * reassembly, pings, expiry, failover).  Test-only: never a server.
 */
#ifndef DPZK_TESTS_FAKESRV_H
#define DPZK_TESTS_FAKESRV_H

#include <stdbool.h>
#include <stdint.h>

struct fakesrv_shared; /* session table shared by several fake servers */
struct fakesrv;

struct fakesrv_shared *fakesrv_shared_new(void);
void fakesrv_shared_free(struct fakesrv_shared *sh);

/* Starts a server thread on 127.0.0.1 (ephemeral port); NULL on failure
 * (errno set).  sh may be NULL (a private table). */
struct fakesrv *fakesrv_start(struct fakesrv_shared *sh);
void fakesrv_stop(struct fakesrv *fs);
/* "127.0.0.1:port" */
const char *fakesrv_addr(const struct fakesrv *fs);

/* Knobs, settable while running. */
void fakesrv_drop_replies(struct fakesrv *fs, int n); /* drop next n REPLY
							 datagrams (first
							 transmission) */
void fakesrv_set_mute(struct fakesrv *fs, bool mute); /* ignore all input */
void fakesrv_blackhole_replies(struct fakesrv *fs, bool on); /* lose every
								 REPLY */
void fakesrv_set_max_timeout(struct fakesrv *fs, int ms);
void fakesrv_expire_sessions(struct fakesrv *fs); /* forget all sessions */
/* forget the connection, keep the sessions; answer stateless CLOSE */
void fakesrv_forget_connection(struct fakesrv *fs);

/* Counters (read at any time). */
uint64_t fakesrv_pings(const struct fakesrv *fs);
uint64_t fakesrv_connects(const struct fakesrv *fs);
uint64_t fakesrv_requests(const struct fakesrv *fs);
uint64_t fakesrv_retransmits(const struct fakesrv *fs);
uint64_t fakesrv_rx_dups(const struct fakesrv *fs);
/* Requests received with this opcode. */
uint64_t fakesrv_op_count(const struct fakesrv *fs, int op);

#endif
