/* SPDX-License-Identifier: Apache-2.0 */
/*
 * client/dpzk_priv.h — libdpzk's private declarations, shared by
 * dpzk_core.c (transport, session, dispatch, watches) and dpzk_ops.c
 * (request encoding, the operations, blocking wrappers, helpers).
 */
#ifndef DPZK_DPZK_PRIV_H
#define DPZK_DPZK_PRIV_H

#include <sys/socket.h>

#include "client/dpzk.h"
#include "proto/proto.h"

/* Kinds of client-side watch registration. */
enum dpzk_wkind {
	DPZK_W_NONE = 0,
	DPZK_W_DATA,
	DPZK_W_EXIST,
	DPZK_W_CHILD,
	DPZK_W_PERSISTENT,
	DPZK_W_RECURSIVE,
};

/* A request with no reply yet.  msg is the encoded RequestHeader + body,
 * kept until the reply so it can be resent after a reconnect. */
struct dpzk_pending {
	struct dpzk_pending *next;
	int32_t xid;
	int32_t op;
	char *path; /* for watch registration */
	enum dpzk_wkind wkind;
	dpzk_watcher_fn *wfn;
	void *wctx;
	dpzk_completion_fn *cb;
	const void *cbdata;
	uint8_t *msg;
	size_t len;
	bool sent;
	bool internal; /* auth replay, setWatches: no user callback */
	uint64_t t_queued;
	int auth_index; /* auth entries: index into zh->auths, else -1 */
	int nops;	/* multi */
};

/* Something to dispatch from dpzk_process, in arrival order. */
enum dpzk_cq_type {
	DPZK_CQ_REPLY,	 /* pending + reply message */
	DPZK_CQ_FAIL,	 /* pending + rc, no reply */
	DPZK_CQ_EVENT,	 /* watch event message */
	DPZK_CQ_SESSION, /* state change for the default watcher */
};

struct dpzk_cq {
	struct dpzk_cq *next;
	enum dpzk_cq_type type;
	struct dpzk_pending *p;
	int rc;
	int state;
	uint8_t *msg; /* owned copy of the channel message */
	size_t len;
};

struct dpzk_wreg {
	char *path;
	enum dpzk_wkind kind;
	dpzk_watcher_fn *fn; /* NULL: the default watcher */
	void *ctx;
};

struct dpzk_auth {
	char *scheme;
	uint8_t *cert;
	int len;
};

struct dpzk_server {
	struct sockaddr_storage sa;
	socklen_t salen;
	char name[272];
};

struct dpzk_handle {
	struct dpzk_server *servers;
	int nservers;
	int cur;
	int fd;
	int state;
	bool terminal; /* expired / auth failed / closed */
	int terminal_rc;
	dpzk_watcher_fn *watcher;
	void *context;
	int req_timeout_ms;
	int neg_timeout_ms;
	struct dpzk_clientid cid;
	int64_t last_zxid;
	char *chroot; /* "host:port/app": every path lives under /app */
	size_t chroot_len;

	/* connecting */
	uint64_t nonce;
	uint64_t connect_next; /* next CONNECT (re)transmission */
	uint64_t connect_rto;
	uint64_t server_deadline;    /* give up on this server */
	uint64_t disconnected_since; /* 0 while connected */
	bool lost_reported;	     /* pending failed with CONNECTIONLOSS */

	/* connected */
	struct proto_chan ch;
	void *chmem;
	bool chan_up;
	uint64_t now;
	uint64_t last_rx;
	uint64_t last_tx;
	/* the server's liveness while connected (proto_liveness_*): long
	 * silence with data outstanding or replies owed moves the handle on
	 * long before the 2/3-timeout rule */
	struct proto_liveness live;
	int close_reason; /* set by a CLOSE seen inside proto_chan_input */

	int32_t next_xid;
	struct dpzk_pending *ph, *pt;
	struct dpzk_pending *unsent; /* first pending not sent on this conn */
	int npending;
	struct dpzk_cq *qh, *qt;
	struct dpzk_wreg *w;
	size_t nw, capw;
	struct dpzk_auth *auths;
	int nauths;
	uint8_t *rxbuf;

	/* dpzk_init_transport: datagrams go through tp, not fd */
	struct dpzk_transport tp;
	bool has_tp;
};

#define DPZK_RXBUF 65536
/* xids left free above a session's last applied write when a handle
 * reattaches a session another handle used (more than any handle keeps in
 * flight). */
#define DPZK_XID_GAP 4096

/* dpzk_core.c */
int dpzk_submit(struct dpzk_handle *zh, struct dpzk_pending *p);
struct dpzk_pending *dpzk_pending_new(struct dpzk_handle *zh, int32_t op,
				      const char *path);
void dpzk_pending_free(struct dpzk_pending *p);
int dpzk_run_until(struct dpzk_handle *zh, const bool *done);
void dpzk_watch_add(struct dpzk_handle *zh, const char *path,
		    enum dpzk_wkind kind, dpzk_watcher_fn *fn, void *ctx);
int dpzk_watch_remove(struct dpzk_handle *zh, const char *path, int wtype,
		      dpzk_watcher_fn *fn, void *ctx);
void dpzk_cq_push(struct dpzk_handle *zh, struct dpzk_cq *q);
/* The server's path for a client path (chroot prepended), malloc'd;
 * NULL when out of memory. */
char *dpzk_server_path(const struct dpzk_handle *zh, const char *path,
		       size_t len);
/* The client's view of a server path (chroot stripped): a pointer into
 * sp, "/" for the chroot itself, NULL when outside the chroot. */
const char *dpzk_client_path(const struct dpzk_handle *zh, const char *sp);

/* dpzk_ops.c */
/* Encodes RequestHeader{xid, q->type} + body into p->msg. */
int dpzk_encode_request(struct dpzk_pending *p, const struct proto_request *q);
/* Runs p's completion for a reply (msg/len: the whole reply message, the
 * ReplyHeader already decoded into rh) or a failure (msg NULL, rc). */
void dpzk_complete(struct dpzk_handle *zh, struct dpzk_pending *p, int rc,
		   const uint8_t *msg, size_t len);

#endif /* DPZK_DPZK_PRIV_H */
