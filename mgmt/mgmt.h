/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mgmt/ — the slow path of dpzk-server: a DPDK control thread (never on a
 * polling core) that answers admin requests (ZooKeeper's four-letter
 * words), writes the fuzzy snapshots the polling core streams to it, and
 * purges old snapshots and log segments.  It talks to the polling core only
 * through the two rte_rings of dataplane/srv.h.
 *
 * Why it is built this way: everything here may block (file system,
 * formatting), so none of it may run on the lcore; and the lcore never
 * waits for it — a full ring only delays a snapshot or an admin answer.
 */
#ifndef DPZK_MGMT_H
#define DPZK_MGMT_H

#include <stdbool.h>
#include <stddef.h>

#include "dataplane/dp.h"
#include "dataplane/srv.h"

struct nlog;

/* Start the mgmt control thread.  dc/sc are copied; l is used only for
 * nlog_purge (safe from any thread).  0 or -errno.  Main thread. */
int mgmt_start(const struct dp_config *dc, const struct srv_config *sc,
	       struct nlog *l);
/* Stop and join it (after dp_run returned).  Main thread. */
void mgmt_stop(void);

/* Format a four-letter word's answer in ZooKeeper's format from s into
 * out (NUL-terminated); returns the length, or -1 for an unknown word.
 * Pure; any thread. */
int mgmt_format_4lw(const char *word, const struct srv_stats *s,
		    const struct dp_config *dc, const struct srv_config *sc,
		    char *out, size_t cap);

/* Is word allowed by a whitelist ("*" or a comma/space list)?  Pure. */
bool mgmt_4lw_allowed(const char *whitelist, const char *word);

#endif /* DPZK_MGMT_H */
