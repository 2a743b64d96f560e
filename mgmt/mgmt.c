/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mgmt/mgmt.c — the mgmt control thread: admin answers, snapshot writing,
 * retention.  See mgmt.h.
 *
 * The loop polls the lcore's ring and sleeps 1 ms when there is nothing to
 * do, so it costs nothing measurable; a snapshot in progress is drained
 * from the SPSC pipe into the file as fast as the lcore fills it.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_ring.h>

#include "mgmt/mgmt.h"
#include "nvme-log/nlog.h"

#define MGMT_LOG(lvl, ...) RTE_LOG(lvl, USER2, "mgmt: " __VA_ARGS__)

static struct {
	struct dp_config dc;
	struct srv_config sc;
	struct nlog *l;
	pthread_t th;
	atomic_bool stop;
	bool running;
	/* snapshot in progress */
	struct nlog_snap *snap;
	struct nlog_snap_pipe *pipe;
	uint64_t snap_zxid;
	int snap_err;
} M;

static void
to_lcore(struct srv_msg *m)
{
	/* The lcore drains this ring every loop iteration; a full ring
	 * means it is stuck, and then an admin answer may be lost. */
	for (int i = 0; i < 100; i++) {
		if (rte_ring_enqueue(srv_ring_to_lcore(), m) == 0)
			return;
		usleep(1000);
	}
	free(m);
}

static void
admin(struct srv_msg *req)
{
	struct srv_stats s;
	struct srv_msg *rep = malloc(sizeof(*rep) + 8192);
	int n;

	if (rep == NULL)
		return;
	memset(rep, 0, sizeof(*rep));
	srv_stats_get(&s);
	n = mgmt_format_4lw(req->text, &s, &M.dc, &M.sc, rep->text, 8192);
	if (n < 0)
		n = snprintf(rep->text, 8192, "unknown command '%s'\n",
			     req->text);
	rep->type = SRV_MSG_ADMIN_REPLY;
	rep->ip = req->ip;
	rep->port = req->port;
	rep->len = (size_t)n;
	to_lcore(rep);
}

static void
snap_finish(void)
{
	struct srv_msg *m;
	int rc;

	if (M.snap_err == 0) {
		rc = nlog_snap_commit(M.snap);
		if (rc == 0) {
			int purged = nlog_purge(M.l, M.sc.snap_retain);

			MGMT_LOG(INFO,
				 "snapshot 0x%" PRIx64 " committed; %d old "
				 "file(s) purged\n",
				 M.snap_zxid, purged < 0 ? 0 : purged);
		} else {
			MGMT_LOG(ERR, "snapshot 0x%" PRIx64 " failed: %s\n",
				 M.snap_zxid, strerror(-rc));
		}
	} else {
		nlog_snap_abort(M.snap);
		rc = M.snap_err;
		MGMT_LOG(ERR, "snapshot 0x%" PRIx64 " abandoned: %s\n",
			 M.snap_zxid, strerror(-rc));
	}
	nlog_snap_pipe_free(M.pipe);
	M.snap = NULL;
	M.pipe = NULL;
	m = calloc(1, sizeof(*m));
	if (m) {
		m->type = SRV_MSG_SNAP_DONE;
		m->status = rc;
		m->zxid = M.snap_zxid;
		to_lcore(m);
	}
}

static void *
mgmt_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&M.stop)) {
		void *p;
		bool busy = false;

		while (rte_ring_dequeue(srv_ring_to_mgmt(), &p) == 0) {
			struct srv_msg *m = p;

			busy = true;
			if (m->type == SRV_MSG_ADMIN_REQ) {
				admin(m);
			} else if (m->type == SRV_MSG_SNAP_BEGIN) {
				M.pipe = m->pipe;
				M.snap_zxid = m->zxid;
				M.snap_err = 0;
				M.snap =
					nlog_snap_begin(M.dc.data_dir, m->zxid);
				if (M.snap == NULL)
					M.snap_err = -errno;
			}
			free(m);
		}
		if (M.pipe) {
			ssize_t n =
				M.snap ? nlog_snap_pipe_drain(M.pipe, M.snap)
				       : 0;

			if (n < 0 && M.snap_err == 0)
				M.snap_err = (int)n;
			if (n > 0)
				busy = true;
			if (nlog_snap_pipe_done(M.pipe))
				snap_finish();
		}
		if (!busy)
			usleep(1000);
	}
	if (M.pipe && M.snap) {
		nlog_snap_abort(M.snap);
		M.snap = NULL;
	}
	return NULL;
}

int
mgmt_start(const struct dp_config *dc, const struct srv_config *sc,
	   struct nlog *l)
{
	int rc;

	M.dc = *dc;
	M.sc = *sc;
	M.l = l;
	atomic_store(&M.stop, false);
	rc = rte_ctrl_thread_create(&M.th, "dpzk-mgmt", NULL, mgmt_main, NULL);
	if (rc != 0)
		return -rc;
	M.running = true;
	return 0;
}

void
mgmt_stop(void)
{
	if (!M.running)
		return;
	atomic_store(&M.stop, true);
	pthread_join(M.th, NULL);
	M.running = false;
}
