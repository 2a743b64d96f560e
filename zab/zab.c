/* SPDX-License-Identifier: Apache-2.0 */
/*
 * zab/zab.c — the Zab state machine: Fast Leader Election, discovery
 * (CEPOCH/NEWEPOCH/ACKEPOCH), sync (DIFF/TRUNC/SNAP, NEWLEADER, UPTODATE)
 * and broadcast (PROPOSAL/ACK/COMMIT, INFORM for observers), with ticks for
 * every timeout and Ready batches for every effect (zab.h, docs/ZAB.md).
 *
 * Why it is built this way: outputs are generated from state, not queued by
 * events.  A learner's stream is a cursor into the history window (the last
 * zxid sent to it), commits and log appends are cursors too, and one-shot
 * messages are "due" flags.  zab_ready() turns the state into at most
 * ready_msgs/ready_log_ops/ready_commits outputs and resumes where it
 * stopped next time, so no input can overflow an output array, per-link
 * order is a property of the generator (sync header, proposals, NEWLEADER,
 * UPTODATE, COMMIT, PING), and the work per call is bounded.
 *
 * ACK and COMMIT are cumulative ("durable/committed up to zxid"): sound
 * because links are FIFO and a learner's log is always a prefix-consistent
 * copy of its leader's history (Zab's log matching), and it makes quorum
 * tracking one zxid per learner instead of an ack set per proposal.
 *
 * Semantics follow Apache ZooKeeper's FastLeaderElection, Leader,
 * LearnerHandler and Learner, read for behaviour, not copied: vote order,
 * ooe (out-of-election) votes, finalize wait, epoch choice as max
 * accepted + 1, "ACKEPOCH -1" when an epoch was already acked, the leader
 * refusing to lead a more recent follower, DIFF/TRUNC/SNAP per learner.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "zab/zab_priv.h"

enum lstate {
	LS_NONE = 0,
	LS_CEPOCH,     /* CEPOCH received, epoch not chosen yet */
	LS_EPOCH_SENT, /* NEWEPOCH due or sent */
	LS_ACKEPOCH,   /* ACKEPOCH received, waiting for the epoch quorum */
	LS_SYNCING,    /* sync header + history being streamed */
	LS_NL_SENT,    /* NEWLEADER sent, waiting for its ACK */
	LS_SYNCED,     /* NEWLEADER acked; UPTODATE due once established */
	LS_ACTIVE,     /* UPTODATE sent: broadcast */
};

struct zpeer {
	uint32_t id;
	bool observer;
	/* election */
	struct zab_vote recv; /* this round's vote (recvset) */
	bool has_recv;
	struct zab_vote ooe; /* out-of-election vote (FOLLOWING/LEADING) */
	bool has_ooe;
	bool vote_due;
	/* leader's view of this learner */
	uint8_t ls;
	uint32_t acc_epoch;
	uint32_t cur_epoch;
	uint32_t nonce; /* learner's registration (CEPOCH) */
	uint64_t last_zxid;
	bool epoch_counted;
	bool newepoch_due;
	bool hdr_due;
	bool uptodate_due;
	bool ping_due;
	uint64_t next; /* last zxid streamed */
	uint64_t nl_zxid;
	uint64_t acked;
	uint64_t sent_commit;
	uint64_t last_heard;
};

struct zab {
	struct zab_config cfg;
	uint32_t n;
	uint32_t me; /* index of self */
	uint32_t nvoters;
	uint32_t quorum;
	struct zpeer p[ZAB_MAX_PEERS];
	uint64_t now;

	/* hard state */
	uint32_t accepted_epoch;
	uint32_t current_epoch;
	bool hs_dirty;

	/* log */
	struct zab_hist hist;
	uint64_t persisted; /* appends emitted up to */
	uint8_t barrier;    /* pending ZAB_LOG_TRUNCATE/SNAPSHOT or 0 */
	uint64_t barrier_zxid;
	struct proto_view barrier_payload;
	uint64_t durable;
	uint64_t commit;  /* decided (leader) or learned (learner) */
	uint64_t applied; /* commits emitted */

	/* role */
	uint8_t role;
	uint8_t phase;
	uint32_t leader;
	uint32_t epoch; /* the epoch being established / served */
	uint8_t rep_role;
	uint32_t rep_leader;
	uint32_t rep_epoch;
	bool rep_valid;

	/* election */
	uint64_t round;
	struct zab_vote vote;
	uint64_t fle_last;
	uint32_t fle_tmo;
	uint64_t finalize_at; /* 0: not waiting */

	/* learner */
	uint64_t phase_start;
	uint64_t last_heard;
	bool cepoch_due;
	uint32_t nonce;
	uint64_t cepoch_at;
	bool ackepoch_due;
	uint32_t ackepoch_arg;
	bool hdr_rcvd;
	bool nl_rcvd;
	uint64_t nl_zxid;
	uint64_t ack_sent;
	bool acked_any;
	bool pong_due;

	/* leader */
	bool epoch_chosen;
	bool epoch_acked;
	bool established;
	uint64_t est_zxid;
	uint32_t counter;
	uint64_t ping_at;

	/* ready */
	struct zab_msg *msgs;
	struct zab_logop *ops;
	struct zab_entry *commits;
	size_t nmsgs, nops, ncommits;
	struct zab_ready rd;
	bool in_ready;
	uint32_t rr;

	struct zab_stats st;
};

/* ------------------------------------------------------------------ */
/* building blocks                                                     */
/* ------------------------------------------------------------------ */

bool
zab_vote_better(uint32_t new_id, uint64_t new_zxid, uint32_t new_epoch,
		uint32_t cur_id, uint64_t cur_zxid, uint32_t cur_epoch)
{
	if (new_epoch != cur_epoch)
		return new_epoch > cur_epoch;
	if (new_zxid != cur_zxid)
		return new_zxid > cur_zxid;
	return new_id > cur_id;
}

uint64_t
zab_quorum_zxid(const uint64_t *acked, size_t n, size_t q)
{
	/* the q-th largest value: a quorum acked at least that much */
	uint64_t best = 0;
	size_t i, j;

	if (q == 0 || q > n)
		return 0;
	for (i = 0; i < n; i++) {
		size_t ge = 0;

		for (j = 0; j < n; j++)
			if (acked[j] >= acked[i])
				ge++;
		if (ge >= q && acked[i] > best)
			best = acked[i];
	}
	return best;
}

struct zxseq {
	const uint64_t *arr;
	const struct zab_hist *h;
	size_t n;
};

static uint64_t
zxseq_at(const struct zxseq *s, size_t i)
{
	return s->arr ? s->arr[i] : zab_hist_at(s->h, (uint32_t)i)->zxid;
}

static int
sync_choose(uint64_t peer_last, const struct zxseq *s, uint64_t base,
	    uint64_t commit, uint64_t *from)
{
	size_t lo = 0, hi = s->n;

	if (peer_last == base) {
		*from = base;
		return ZAB_M_DIFF;
	}
	if (peer_last < base) {
		*from = commit;
		return ZAB_M_SNAP;
	}
	/* first index with zxid > peer_last */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (zxseq_at(s, mid) <= peer_last)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && zxseq_at(s, lo - 1) == peer_last) {
		*from = peer_last;
		return ZAB_M_DIFF;
	}
	/* the learner has txns the leader's history lacks: cut them off at
	 * the leader's last zxid below them (log matching makes everything
	 * up to there identical) */
	*from = lo > 0 ? zxseq_at(s, lo - 1) : base;
	return ZAB_M_TRUNC;
}

int
zab_sync_choose(uint64_t peer_last, const uint64_t *hist, size_t n,
		uint64_t base, uint64_t commit, uint64_t *from)
{
	struct zxseq s = {hist, NULL, n};

	return sync_choose(peer_last, &s, base, commit, from);
}

void
zab_config_default(struct zab_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->election_ticks = 5;
	cfg->election_max_ticks = 60;
	cfg->finalize_ticks = 2;
	cfg->init_limit = 100;
	cfg->sync_limit = 50;
	cfg->ping_ticks = 5;
	cfg->hist_entries = 4096;
	cfg->hist_bytes = 16u << 20;
	cfg->max_inflight = 1024;
	cfg->max_payload = PROTO_JUTE_MAXBUFFER + 1024;
	cfg->ready_msgs = 1024;
	cfg->ready_log_ops = 1024;
	cfg->ready_commits = 1024;
}

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

static struct zpeer *
peer_by_id(struct zab *z, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < z->n; i++)
		if (z->p[i].id == id)
			return &z->p[i];
	return NULL;
}

static uint32_t
self_id(const struct zab *z)
{
	return z->cfg.self;
}

static bool
self_observer(const struct zab *z)
{
	return z->p[z->me].observer;
}

static uint64_t
last_zxid(const struct zab *z)
{
	return zab_hist_last(&z->hist);
}

static void
proto_error(struct zab *z)
{
	z->st.proto_errors++;
}

static void
set_hard_state(struct zab *z, uint32_t accepted, uint32_t current)
{
	if (accepted != z->accepted_epoch || current != z->current_epoch) {
		z->accepted_epoch = accepted;
		z->current_epoch = current;
		z->hs_dirty = true;
	}
}

static struct zab_vote
initial_vote(const struct zab *z)
{
	struct zab_vote v;

	memset(&v, 0, sizeof(v));
	if (!self_observer(z)) {
		v.leader = self_id(z);
		v.zxid = last_zxid(z);
		v.peer_epoch = z->current_epoch;
	}
	v.round = z->round;
	v.state = ZAB_LOOKING;
	return v;
}

static void
votes_to_all(struct zab *z)
{
	uint32_t i;

	for (i = 0; i < z->n; i++)
		if (i != z->me && !z->p[i].observer)
			z->p[i].vote_due = true;
}

static void
reset_peer_learner(struct zpeer *p)
{
	p->ls = LS_NONE;
	p->epoch_counted = false;
	p->newepoch_due = false;
	p->hdr_due = false;
	p->uptodate_due = false;
	p->ping_due = false;
	p->next = 0;
	p->nl_zxid = 0;
	p->acked = 0;
	p->sent_commit = 0;
}

static void fle_check_finalize(struct zab *z);

static void
start_election(struct zab *z)
{
	uint32_t i;

	if (z->role != ZAB_LOOKING || z->phase != ZAB_PH_ELECTION)
		z->st.elections++;
	z->role = ZAB_LOOKING;
	z->phase = ZAB_PH_ELECTION;
	z->leader = 0;
	z->epoch = 0;
	z->round++;
	for (i = 0; i < z->n; i++) {
		struct zpeer *p = &z->p[i];

		p->has_recv = false;
		p->has_ooe = false;
		p->vote_due = false;
		reset_peer_learner(p);
	}
	z->vote = initial_vote(z);
	if (!self_observer(z)) {
		z->p[z->me].recv = z->vote;
		z->p[z->me].has_recv = true;
	}
	z->fle_tmo = z->cfg.election_ticks ? z->cfg.election_ticks : 1;
	z->fle_last = z->now;
	z->finalize_at = 0;
	z->cepoch_due = z->ackepoch_due = z->pong_due = false;
	z->hdr_rcvd = z->nl_rcvd = false;
	z->epoch_chosen = z->epoch_acked = z->established = false;
	votes_to_all(z);
	fle_check_finalize(z); /* an ensemble of one elects itself */
}

static void
step_down(struct zab *z)
{
	z->st.stepdowns++;
	start_election(z);
}

/* ------------------------------------------------------------------ */
/* leader                                                              */
/* ------------------------------------------------------------------ */

static uint64_t
evict_limit(const struct zab *z)
{
	uint64_t lim = z->applied;
	uint32_t i;

	if (z->role == ZAB_LEADING)
		for (i = 0; i < z->n; i++) {
			const struct zpeer *p = &z->p[i];

			if (i != z->me && p->ls >= LS_SYNCING && !p->hdr_due &&
			    p->next < lim)
				lim = p->next;
		}
	return lim;
}

static void
start_sync(struct zpeer *p)
{
	p->ls = LS_SYNCING;
	p->hdr_due = true;
}

static void
leader_recompute_commit(struct zab *z)
{
	uint64_t vals[ZAB_MAX_PEERS];
	size_t k = 0;
	uint32_t i;
	uint64_t c;

	if (!z->established)
		return;
	for (i = 0; i < z->n; i++) {
		struct zpeer *p = &z->p[i];

		if (p->observer)
			continue;
		if (i == z->me)
			vals[k++] = z->durable;
		else if (p->ls >= LS_SYNCED)
			vals[k++] = p->acked;
	}
	/* a quorum that includes the leader's own durable log */
	c = zab_quorum_zxid(vals, k, z->quorum);
	if (c > z->durable)
		c = z->durable;
	if (c > z->commit && c >= z->est_zxid)
		z->commit = c;
}

static void
leader_check_established(struct zab *z)
{
	uint32_t i, cnt = 0;

	if (!z->epoch_acked || z->established)
		return;
	/* the leader is part of the quorum that holds the new epoch's
	 * history, and, as learners do, claims the epoch only once that
	 * history is durable here */
	if (z->durable < z->est_zxid)
		return;
	set_hard_state(z, z->accepted_epoch, z->epoch);
	cnt++;
	for (i = 0; i < z->n; i++)
		if (i != z->me && !z->p[i].observer && z->p[i].ls >= LS_SYNCED)
			cnt++;
	if (cnt < z->quorum)
		return;
	z->established = true;
	z->phase = ZAB_PH_BROADCAST;
	if (z->est_zxid > z->commit)
		z->commit = z->est_zxid;
	z->counter = 0;
	z->ping_at = z->now + z->cfg.ping_ticks;
	for (i = 0; i < z->n; i++)
		if (i != z->me && z->p[i].ls == LS_SYNCED)
			z->p[i].uptodate_due = true;
	leader_recompute_commit(z);
}

static void
leader_check_epoch_acked(struct zab *z)
{
	uint32_t i, cnt = 1;

	if (!z->epoch_chosen || z->epoch_acked)
		return;
	for (i = 0; i < z->n; i++)
		if (i != z->me && !z->p[i].observer &&
		    z->p[i].ls >= LS_ACKEPOCH && z->p[i].epoch_counted)
			cnt++;
	if (cnt < z->quorum)
		return;
	z->epoch_acked = true;
	z->est_zxid = last_zxid(z);
	z->phase = ZAB_PH_SYNC;
	for (i = 0; i < z->n; i++)
		if (i != z->me && z->p[i].ls == LS_ACKEPOCH)
			start_sync(&z->p[i]);
	leader_check_established(z);
}

static void
leader_check_epoch_chosen(struct zab *z)
{
	uint32_t i, cnt = 1, max = z->accepted_epoch;

	if (z->epoch_chosen)
		return;
	for (i = 0; i < z->n; i++) {
		struct zpeer *p = &z->p[i];

		if (i == z->me || p->ls < LS_CEPOCH)
			continue;
		if (!p->observer)
			cnt++;
		if (p->acc_epoch > max && p->acc_epoch != ZAB_EPOCH_NONE)
			max = p->acc_epoch;
	}
	if (cnt < z->quorum)
		return;
	if (max == UINT32_MAX - 1) {
		proto_error(z); /* epochs exhausted */
		return;
	}
	z->epoch_chosen = true;
	z->epoch = max + 1;
	set_hard_state(z, z->epoch, z->current_epoch);
	for (i = 0; i < z->n; i++)
		if (i != z->me && z->p[i].ls == LS_CEPOCH) {
			z->p[i].ls = LS_EPOCH_SENT;
			z->p[i].newepoch_due = true;
		}
	leader_check_epoch_acked(z);
}

static void
become_leader(struct zab *z)
{
	z->role = ZAB_LEADING;
	z->phase = ZAB_PH_DISCOVERY;
	z->leader = self_id(z);
	z->phase_start = z->now;
	leader_check_epoch_chosen(z);
}

static void
leader_step(struct zab *z, struct zpeer *p, const struct zab_msg *m)
{
	p->last_heard = z->now;
	switch (m->type) {
	case ZAB_M_CEPOCH:
		/* learners repeat CEPOCH until NEWEPOCH arrives (it may have
		 * reached us while we were still looking); the nonce tells a
		 * repeat from a new registration */
		if ((p->ls == LS_CEPOCH || p->ls == LS_EPOCH_SENT) &&
		    p->nonce == (uint32_t)(m->arg >> 32))
			break;
		reset_peer_learner(p);
		p->ls = LS_CEPOCH;
		p->nonce = (uint32_t)(m->arg >> 32);
		p->acc_epoch = (uint32_t)m->arg;
		p->last_zxid = m->zxid;
		if (z->epoch_chosen) {
			p->ls = LS_EPOCH_SENT;
			p->newepoch_due = true;
		} else {
			leader_check_epoch_chosen(z);
		}
		break;
	case ZAB_M_ACKEPOCH:
		if (p->ls != LS_EPOCH_SENT || m->epoch != z->epoch) {
			proto_error(z);
			break;
		}
		p->cur_epoch = (uint32_t)m->arg;
		p->last_zxid = m->zxid;
		p->epoch_counted = m->arg != ZAB_EPOCH_NONE;
		if (p->epoch_counted && !p->observer &&
		    (p->cur_epoch > z->current_epoch ||
		     (p->cur_epoch == z->current_epoch &&
		      p->last_zxid > last_zxid(z)))) {
			/* a follower is more recent: we must not lead */
			step_down(z);
			return;
		}
		p->ls = LS_ACKEPOCH;
		if (z->epoch_acked)
			start_sync(p);
		else
			leader_check_epoch_acked(z);
		break;
	case ZAB_M_ACK:
		if (m->epoch != z->epoch || p->ls < LS_NL_SENT) {
			proto_error(z);
			break;
		}
		if (m->zxid > p->acked)
			p->acked = m->zxid;
		if (p->ls == LS_NL_SENT && p->acked >= p->nl_zxid) {
			p->ls = LS_SYNCED;
			if (z->established)
				p->uptodate_due = true;
			else
				leader_check_established(z);
		}
		leader_recompute_commit(z);
		break;
	case ZAB_M_PING:
		break;
	default:
		proto_error(z);
		break;
	}
}

static void
leader_tick(struct zab *z)
{
	uint32_t i, alive = 1;

	if (!z->established) {
		if (z->now - z->phase_start > z->cfg.init_limit)
			step_down(z);
		return;
	}
	if (z->now >= z->ping_at) {
		z->ping_at = z->now + z->cfg.ping_ticks;
		for (i = 0; i < z->n; i++)
			if (i != z->me && z->p[i].ls >= LS_NL_SENT)
				z->p[i].ping_due = true;
	}
	for (i = 0; i < z->n; i++) {
		struct zpeer *p = &z->p[i];

		if (i == z->me || p->ls == LS_NONE)
			continue;
		if (z->now - p->last_heard > z->cfg.sync_limit) {
			/* silent learner: forget it, it re-registers */
			reset_peer_learner(p);
			continue;
		}
		if (!p->observer && p->ls >= LS_SYNCED)
			alive++;
	}
	if (alive < z->quorum)
		step_down(z);
}

/* ------------------------------------------------------------------ */
/* learner                                                             */
/* ------------------------------------------------------------------ */

static void
become_learner(struct zab *z, uint32_t leader)
{
	z->role = self_observer(z) ? ZAB_OBSERVING : ZAB_FOLLOWING;
	z->phase = ZAB_PH_DISCOVERY;
	z->leader = leader;
	z->epoch = 0;
	z->phase_start = z->now;
	z->last_heard = z->now;
	z->cepoch_due = true;
	z->nonce++;
	z->cepoch_at = z->now + z->cfg.ping_ticks;
	z->hdr_rcvd = z->nl_rcvd = false;
	z->ack_sent = 0;
	z->acked_any = false;
}

/* Learner-side TRUNC: drop entries > zxid (never a committed one). */
static int
learner_truncate(struct zab *z, uint64_t zxid)
{
	if (zxid < z->applied || zxid > last_zxid(z) ||
	    (zxid != z->hist.base && !zab_hist_has(&z->hist, zxid)))
		return -EPROTO;
	zab_hist_truncate(&z->hist, zxid);
	if (z->persisted > zxid)
		z->persisted = zxid;
	/* the barrier waits for every append issued before it, and their
	 * durability is never reported afterwards: count it now */
	z->durable = z->persisted;
	if (z->commit > zxid)
		z->commit = zxid;
	if (z->barrier == ZAB_LOG_TRUNCATE) {
		if (zxid < z->barrier_zxid)
			z->barrier_zxid = zxid;
	} else if (z->barrier == 0) {
		z->barrier = ZAB_LOG_TRUNCATE;
		z->barrier_zxid = zxid;
	}
	/* with a SNAPSHOT barrier pending, the window truncation suffices */
	return 0;
}

static int
learner_snapshot(struct zab *z, uint64_t zxid, struct proto_view data)
{
	if (zxid < z->applied)
		return -EPROTO;
	zab_hist_reset(&z->hist, zxid);
	z->persisted = z->durable = z->applied = zxid;
	if (z->commit < zxid)
		z->commit = zxid;
	z->barrier = ZAB_LOG_SNAPSHOT;
	z->barrier_zxid = zxid;
	z->barrier_payload = data;
	return 0;
}

static int
learner_append(struct zab *z, uint64_t zxid, struct proto_view pl)
{
	uint64_t last = last_zxid(z);

	if (zxid <= last)
		return 0; /* duplicate */
	if (zab_zxid_epoch(zxid) == zab_zxid_epoch(last) &&
	    zab_zxid_counter(zxid) != zab_zxid_counter(last) + 1 && last != 0)
		return -EPROTO; /* a gap inside an epoch */
	if (pl.len < 0 || (uint32_t)pl.len > z->cfg.max_payload)
		return -EPROTO;
	if (zab_hist_append(&z->hist, zxid, pl.p, (uint32_t)pl.len,
			    z->applied) < 0) {
		z->st.window_full++;
		return -ENOSPC;
	}
	return 0;
}

static void
learner_step(struct zab *z, const struct zab_msg *m)
{
	int rc = 0;

	if (m->from != z->leader) {
		proto_error(z);
		return;
	}
	z->last_heard = z->now;
	if (m->type == ZAB_M_NEWEPOCH) {
		if (z->phase != ZAB_PH_DISCOVERY) {
			proto_error(z);
			return;
		}
		if (m->epoch < z->accepted_epoch) {
			proto_error(z);
			start_election(z);
			return;
		}
		if (m->epoch > z->accepted_epoch) {
			z->ackepoch_arg = z->current_epoch;
			set_hard_state(z, m->epoch, z->current_epoch);
		} else {
			z->ackepoch_arg = ZAB_EPOCH_NONE;
		}
		z->epoch = m->epoch;
		/* answer looking peers with the leader's own vote, not the
		 * (possibly stale) one this learner decided on */
		if (m->vote.leader == z->leader) {
			z->vote = m->vote;
			z->vote.state = z->role;
		}
		z->ackepoch_due = true;
		z->phase = ZAB_PH_SYNC;
		return;
	}
	if (m->epoch != z->epoch || z->phase < ZAB_PH_SYNC) {
		proto_error(z);
		return;
	}
	switch (m->type) {
	case ZAB_M_DIFF:
	case ZAB_M_TRUNC:
	case ZAB_M_SNAP:
		if (z->phase != ZAB_PH_SYNC || z->hdr_rcvd) {
			rc = -EPROTO;
			break;
		}
		z->hdr_rcvd = true;
		if (m->type == ZAB_M_DIFF) {
			if (m->zxid != last_zxid(z))
				rc = -EPROTO;
		} else if (m->type == ZAB_M_TRUNC) {
			rc = learner_truncate(z, m->zxid);
		} else {
			rc = learner_snapshot(z, m->zxid, m->payload);
		}
		/* everything up to the leader's commit point is final: the
		 * learner's copy (and the stream that follows) is the
		 * leader's, so it may be applied without waiting for
		 * UPTODATE — which keeps a long sync from filling the
		 * window with entries it could not evict */
		if (rc == 0 && m->arg > z->commit)
			z->commit = m->arg;
		break;
	case ZAB_M_PROPOSAL:
		if (!z->hdr_rcvd || (self_observer(z) &&
				     (z->phase != ZAB_PH_SYNC || z->nl_rcvd))) {
			rc = -EPROTO;
			break;
		}
		rc = learner_append(z, m->zxid, m->payload);
		break;
	case ZAB_M_NEWLEADER:
		if (z->phase != ZAB_PH_SYNC || !z->hdr_rcvd || z->nl_rcvd ||
		    m->zxid != last_zxid(z)) {
			rc = -EPROTO;
			break;
		}
		/* currentEpoch becomes the new epoch only once the synced
		 * history is durable (gen_learner): a node that claims the
		 * epoch must hold the epoch's whole initial history, or it
		 * could win the next election with a shorter log */
		z->nl_rcvd = true;
		z->nl_zxid = m->zxid;
		break;
	case ZAB_M_UPTODATE:
		if (z->phase != ZAB_PH_SYNC || !z->nl_rcvd) {
			rc = -EPROTO;
			break;
		}
		z->phase = ZAB_PH_BROADCAST;
		if (m->zxid > z->commit)
			z->commit = m->zxid;
		break;
	case ZAB_M_COMMIT:
		if (z->phase != ZAB_PH_BROADCAST) {
			rc = -EPROTO;
			break;
		}
		if (m->zxid > z->commit)
			z->commit = m->zxid;
		break;
	case ZAB_M_INFORM:
		if (z->phase != ZAB_PH_BROADCAST || !self_observer(z)) {
			rc = -EPROTO;
			break;
		}
		rc = learner_append(z, m->zxid, m->payload);
		if (rc == 0 && m->zxid > z->commit)
			z->commit = m->zxid;
		break;
	case ZAB_M_PING:
		z->pong_due = true;
		if (z->phase == ZAB_PH_BROADCAST && m->zxid > z->commit)
			z->commit = m->zxid;
		break;
	default:
		rc = -EPROTO;
		break;
	}
	if (rc < 0) {
		/* out of step with the leader: resync from scratch */
		proto_error(z);
		start_election(z);
	}
}

static void
learner_tick(struct zab *z)
{
	if (z->phase == ZAB_PH_DISCOVERY && z->now >= z->cepoch_at) {
		z->cepoch_due = true;
		z->cepoch_at = z->now + z->cfg.ping_ticks;
	}
	if (z->phase == ZAB_PH_BROADCAST) {
		if (z->now - z->last_heard > z->cfg.sync_limit)
			start_election(z);
	} else if (z->now - z->phase_start > z->cfg.init_limit) {
		start_election(z);
	}
}

/* ------------------------------------------------------------------ */
/* election                                                            */
/* ------------------------------------------------------------------ */

static bool
vote_same_looking(const struct zab_vote *a, const struct zab_vote *b)
{
	return a->leader == b->leader && a->zxid == b->zxid &&
	       a->peer_epoch == b->peer_epoch;
}

static bool
vote_same_decided(const struct zab_vote *a, const struct zab_vote *b)
{
	return a->leader == b->leader && a->peer_epoch == b->peer_epoch;
}

/* Do a quorum of voters' votes in the set (recv or ooe) agree with v? */
static bool
fle_quorum(const struct zab *z, bool ooe, const struct zab_vote *v,
	   bool looking)
{
	uint32_t i, cnt = 0;

	for (i = 0; i < z->n; i++) {
		const struct zpeer *p = &z->p[i];
		const struct zab_vote *pv = ooe ? &p->ooe : &p->recv;

		if (p->observer || !(ooe ? p->has_ooe : p->has_recv))
			continue;
		if (looking ? vote_same_looking(pv, v)
			    : vote_same_decided(pv, v))
			cnt++;
	}
	return cnt >= z->quorum;
}

/* The proposed leader must itself say it leads — with the same vote:
 * followers of an earlier incarnation of the same leader (not yet timed
 * out) would otherwise make a quorum for a stale vote, and a node joining
 * on it would carry a vote nobody else agrees with, blocking later joins. */
static bool
fle_check_leader(const struct zab *z, bool ooe, const struct zab_vote *n)
{
	const struct zpeer *p;

	if (n->leader == self_id(z))
		return !self_observer(z) && z->round == n->round;
	p = peer_by_id((struct zab *)z, n->leader);
	if (p == NULL || p->observer)
		return false;
	if (ooe)
		return p->has_ooe && p->ooe.state == ZAB_LEADING &&
		       vote_same_decided(&p->ooe, n);
	return p->has_recv && p->recv.state == ZAB_LEADING &&
	       vote_same_decided(&p->recv, n);
}

static void
fle_decide(struct zab *z, const struct zab_vote *v)
{
	uint32_t i;

	z->vote = *v;
	z->finalize_at = 0;
	for (i = 0; i < z->n; i++)
		z->p[i].vote_due = false;
	if (v->leader == self_id(z))
		become_leader(z);
	else
		become_learner(z, v->leader);
	z->vote.state = z->role;
}

static void
fle_set_vote(struct zab *z, const struct zab_vote *v)
{
	z->vote = *v;
	z->vote.round = z->round;
	z->vote.state = ZAB_LOOKING;
	z->p[z->me].recv = z->vote;
	z->p[z->me].has_recv = true;
	z->finalize_at = 0;
	votes_to_all(z);
}

static void
fle_check_finalize(struct zab *z)
{
	if (self_observer(z))
		return;
	if (!fle_quorum(z, false, &z->vote, true)) {
		z->finalize_at = 0;
		return;
	}
	if (z->finalize_at == 0)
		z->finalize_at = z->now + z->cfg.finalize_ticks;
	if (z->cfg.finalize_ticks == 0)
		fle_decide(z, &z->vote);
}

static void
fle_step(struct zab *z, struct zpeer *p, const struct zab_msg *m)
{
	const struct zab_vote *n = &m->vote;

	if (z->role != ZAB_LOOKING) {
		/* tell a looking voter or observer who leads (ZooKeeper's
		 * WorkerReceiver); observers only answer questions when they
		 * are looking themselves, so no two nodes ping-pong */
		if (n->state == ZAB_LOOKING && !self_observer(z))
			p->vote_due = true;
		return;
	}
	if (p->observer) {
		if (n->state == ZAB_LOOKING && !self_observer(z))
			p->vote_due = true; /* observers only ask */
		return;
	}
	z->fle_last = z->now;
	switch (n->state) {
	case ZAB_LOOKING:
		if (self_observer(z))
			return;
		if (n->round > z->round) {
			struct zab_vote init;
			uint32_t i;

			z->round = n->round;
			for (i = 0; i < z->n; i++)
				z->p[i].has_recv = false;
			init = initial_vote(z);
			if (zab_vote_better(n->leader, n->zxid, n->peer_epoch,
					    init.leader, init.zxid,
					    init.peer_epoch))
				fle_set_vote(z, n);
			else
				fle_set_vote(z, &init);
		} else if (n->round < z->round) {
			p->vote_due = true;
			return;
		} else if (zab_vote_better(n->leader, n->zxid, n->peer_epoch,
					   z->vote.leader, z->vote.zxid,
					   z->vote.peer_epoch)) {
			fle_set_vote(z, n);
		}
		p->recv = *n;
		p->has_recv = true;
		fle_check_finalize(z);
		break;
	case ZAB_FOLLOWING:
	case ZAB_LEADING:
		if (n->round == z->round && !self_observer(z)) {
			p->recv = *n;
			p->has_recv = true;
			if (fle_quorum(z, false, n, false) &&
			    fle_check_leader(z, false, n)) {
				fle_decide(z, n);
				return;
			}
		}
		p->ooe = *n;
		p->has_ooe = true;
		if (fle_quorum(z, true, n, false) &&
		    fle_check_leader(z, true, n)) {
			z->round = n->round;
			fle_decide(z, n);
		}
		break;
	default:
		break;
	}
}

static void
fle_tick(struct zab *z)
{
	if (z->finalize_at && z->now >= z->finalize_at) {
		z->finalize_at = 0;
		if (fle_quorum(z, false, &z->vote, true)) {
			struct zab_vote v = z->vote;

			fle_decide(z, &v);
			return;
		}
	}
	if (z->now - z->fle_last >= z->fle_tmo) {
		z->fle_last = z->now;
		if (self_observer(z)) {
			uint32_t i;

			for (i = 0; i < z->n; i++)
				if (!z->p[i].observer)
					z->p[i].vote_due = true;
		} else {
			votes_to_all(z);
		}
		z->fle_tmo *= 2;
		if (z->fle_tmo > z->cfg.election_max_ticks)
			z->fle_tmo = z->cfg.election_max_ticks;
	}
}

/* ------------------------------------------------------------------ */
/* public inputs                                                       */
/* ------------------------------------------------------------------ */

struct zab *
zab_new(const struct zab_config *cfg, const struct zab_persist *ps)
{
	struct zab *z;
	uint32_t i, j;
	bool found = false;

	if (cfg == NULL || ps == NULL || cfg->n_members == 0 ||
	    cfg->n_members > ZAB_MAX_PEERS || cfg->self == 0 ||
	    cfg->hist_entries == 0 || cfg->ready_msgs < 4 ||
	    cfg->ready_log_ops == 0 || cfg->ready_commits == 0 ||
	    cfg->sync_limit == 0 || cfg->ping_ticks == 0) {
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < cfg->n_members; i++) {
		if (cfg->members[i].id == 0)
			goto inval;
		for (j = 0; j < i; j++)
			if (cfg->members[j].id == cfg->members[i].id)
				goto inval;
		if (cfg->members[i].id == cfg->self)
			found = true;
	}
	if (!found)
		goto inval;
	z = calloc(1, sizeof(*z));
	if (z == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	z->cfg = *cfg;
	z->n = cfg->n_members;
	for (i = 0; i < z->n; i++) {
		z->p[i].id = cfg->members[i].id;
		z->p[i].observer = cfg->members[i].observer;
		if (z->p[i].id == cfg->self)
			z->me = i;
		if (!z->p[i].observer)
			z->nvoters++;
	}
	if (z->nvoters == 0) {
		free(z);
		goto inval;
	}
	z->quorum = z->nvoters / 2 + 1;
	z->msgs = calloc(cfg->ready_msgs, sizeof(*z->msgs));
	z->ops = calloc(cfg->ready_log_ops, sizeof(*z->ops));
	z->commits = calloc(cfg->ready_commits, sizeof(*z->commits));
	if (z->msgs == NULL || z->ops == NULL || z->commits == NULL ||
	    zab_hist_init(&z->hist, cfg->hist_entries, cfg->hist_bytes) < 0) {
		free(z->msgs);
		free(z->ops);
		free(z->commits);
		free(z);
		errno = ENOMEM;
		return NULL;
	}
	z->accepted_epoch = ps->accepted_epoch;
	z->current_epoch = ps->current_epoch;
	zab_hist_reset(&z->hist, ps->snap_zxid);
	z->persisted = z->durable = z->commit = z->applied = ps->snap_zxid;
	start_election(z);
	z->st.elections = 0;
	return z;
inval:
	errno = EINVAL;
	return NULL;
}

void
zab_free(struct zab *z)
{
	if (z == NULL)
		return;
	zab_hist_fini(&z->hist);
	free(z->msgs);
	free(z->ops);
	free(z->commits);
	free(z);
}

int
zab_load(struct zab *z, uint64_t zxid, struct proto_view payload)
{
	int rc;

	if (z->in_ready)
		return -EBUSY;
	if (zxid <= last_zxid(z) || payload.len < 0)
		return -EINVAL;
	if ((uint32_t)payload.len > z->cfg.max_payload)
		return -EMSGSIZE;
	rc = zab_hist_append(&z->hist, zxid, payload.p, (uint32_t)payload.len,
			     z->applied);
	if (rc < 0)
		return rc;
	z->persisted = z->durable = zxid;
	if (z->role == ZAB_LOOKING && !self_observer(z)) {
		z->vote = initial_vote(z);
		z->p[z->me].recv = z->vote;
	}
	return 0;
}

int
zab_step(struct zab *z, const struct zab_msg *m)
{
	struct zpeer *p;

	if (z->in_ready)
		return -EBUSY;
	if (m->type == ZAB_M_REQUEST || m->type == 0 || m->type > ZAB_M_MAX)
		return -EINVAL;
	if (m->to != self_id(z) || m->from == self_id(z))
		return -EINVAL;
	p = peer_by_id(z, m->from);
	if (p == NULL)
		return -EINVAL;
	if (m->type == ZAB_M_VOTE) {
		fle_step(z, p, m);
		return 0;
	}
	switch (z->role) {
	case ZAB_LEADING:
		leader_step(z, p, m);
		break;
	case ZAB_FOLLOWING:
	case ZAB_OBSERVING:
		learner_step(z, m);
		break;
	default:
		break; /* looking: peer traffic is stale */
	}
	return 0;
}

int
zab_tick(struct zab *z)
{
	if (z->in_ready)
		return -EBUSY;
	z->now++;
	switch (z->role) {
	case ZAB_LOOKING:
		fle_tick(z);
		break;
	case ZAB_LEADING:
		leader_tick(z);
		break;
	default:
		learner_tick(z);
		break;
	}
	return 0;
}

int
zab_durable(struct zab *z, uint64_t zxid)
{
	if (z->in_ready)
		return -EBUSY;
	if (zxid > z->persisted)
		zxid = z->persisted;
	if (zxid <= z->durable)
		return 0;
	z->durable = zxid;
	if (z->role == ZAB_LEADING) {
		if (z->established)
			leader_recompute_commit(z);
		else
			leader_check_established(z);
	}
	return 0;
}

int
zab_link_down(struct zab *z, uint32_t peer)
{
	struct zpeer *p;

	if (z->in_ready)
		return -EBUSY;
	p = peer_by_id(z, peer);
	if (p == NULL || peer == self_id(z))
		return -EINVAL;
	if ((z->role == ZAB_FOLLOWING || z->role == ZAB_OBSERVING) &&
	    peer == z->leader)
		start_election(z);
	else if (z->role == ZAB_LEADING)
		reset_peer_learner(p);
	return 0;
}

uint64_t
zab_next_zxid(const struct zab *z)
{
	if (z->role != ZAB_LEADING || !z->established ||
	    z->counter == UINT32_MAX)
		return 0;
	return zab_zxid_make(z->epoch, z->counter + 1);
}

int
zab_propose(struct zab *z, struct proto_view payload, uint64_t *zxid)
{
	uint64_t zx;
	int rc;

	if (z->in_ready)
		return -EBUSY;
	if (z->role != ZAB_LEADING)
		return -ZAB_ENOTLEADER;
	if (!z->established)
		return -EAGAIN;
	if (payload.len < 0 || (uint32_t)payload.len > z->cfg.max_payload)
		return -EMSGSIZE;
	if (z->counter == UINT32_MAX) {
		step_down(z);
		return -EOVERFLOW;
	}
	if (zab_hist_upper(&z->hist, z->commit) + z->cfg.max_inflight <=
	    z->hist.n)
		return -ENOBUFS;
	zx = zab_zxid_make(z->epoch, z->counter + 1);
	rc = zab_hist_append(&z->hist, zx, payload.p, (uint32_t)payload.len,
			     evict_limit(z));
	if (rc < 0) {
		z->st.window_full++;
		return -ENOBUFS;
	}
	z->counter++;
	z->st.proposals++;
	if (zxid)
		*zxid = zx;
	return 0;
}

int
zab_forward_target(const struct zab *z)
{
	/* observers forward writes too (ZooKeeper's Observer does): they
	 * never vote, but their clients write like anyone's */
	if ((z->role == ZAB_FOLLOWING || z->role == ZAB_OBSERVING) &&
	    z->phase == ZAB_PH_BROADCAST)
		return (int)z->leader;
	return -EAGAIN;
}

/* ------------------------------------------------------------------ */
/* Ready                                                               */
/* ------------------------------------------------------------------ */

static struct zab_msg *
msg_new(struct zab *z, uint8_t type, uint32_t to)
{
	struct zab_msg *m;

	if (z->nmsgs >= z->cfg.ready_msgs)
		return NULL;
	m = &z->msgs[z->nmsgs++];
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->from = self_id(z);
	m->to = to;
	m->epoch = z->epoch;
	return m;
}

static bool
msgs_full(const struct zab *z)
{
	return z->nmsgs >= z->cfg.ready_msgs;
}

static void
gen_log_ops(struct zab *z)
{
	uint32_t i;

	if (z->barrier) {
		struct zab_logop *o = &z->ops[z->nops++];

		o->kind = z->barrier;
		o->zxid = z->barrier_zxid;
		o->payload = z->barrier_payload;
		if (z->barrier != ZAB_LOG_SNAPSHOT) {
			o->payload.p = NULL;
			o->payload.len = 0;
		}
		z->barrier = 0;
	}
	for (i = zab_hist_upper(&z->hist, z->persisted);
	     i < z->hist.n && z->nops < z->cfg.ready_log_ops; i++) {
		const struct zab_hent *e = zab_hist_at(&z->hist, i);
		struct zab_logop *o = &z->ops[z->nops++];

		o->kind = ZAB_LOG_APPEND;
		o->zxid = e->zxid;
		o->payload = zab_hist_view(&z->hist, e);
		z->persisted = e->zxid;
	}
}

static void
gen_commits(struct zab *z)
{
	uint64_t lim = z->commit;
	uint32_t i;

	if (z->role != ZAB_LEADING && z->durable < lim)
		lim = z->durable;
	if (lim <= z->applied)
		return;
	for (i = zab_hist_upper(&z->hist, z->applied);
	     i < z->hist.n && z->ncommits < z->cfg.ready_commits; i++) {
		const struct zab_hent *e = zab_hist_at(&z->hist, i);

		if (e->zxid > lim)
			break;
		z->commits[z->ncommits].zxid = e->zxid;
		z->commits[z->ncommits].payload = zab_hist_view(&z->hist, e);
		z->ncommits++;
		z->applied = e->zxid;
		z->st.commits++;
	}
}

static void
gen_vote(struct zab *z, struct zpeer *p)
{
	struct zab_msg *m;

	if (!p->vote_due)
		return;
	m = msg_new(z, ZAB_M_VOTE, p->id);
	if (m == NULL)
		return;
	p->vote_due = false;
	m->epoch = 0;
	m->vote = z->vote;
	m->vote.state = z->role;
	if (z->role == ZAB_LOOKING)
		m->vote.round = z->round;
}

static void
gen_learner(struct zab *z)
{
	struct zab_msg *m;

	if (z->role != ZAB_FOLLOWING && z->role != ZAB_OBSERVING)
		return;
	if (z->cepoch_due && (m = msg_new(z, ZAB_M_CEPOCH, z->leader))) {
		z->cepoch_due = false;
		m->arg = ((uint64_t)z->nonce << 32) | z->accepted_epoch;
		m->zxid = last_zxid(z);
	}
	if (z->ackepoch_due && (m = msg_new(z, ZAB_M_ACKEPOCH, z->leader))) {
		z->ackepoch_due = false;
		m->arg = z->ackepoch_arg;
		m->zxid = last_zxid(z);
	}
	if (z->nl_rcvd && z->durable >= z->nl_zxid)
		set_hard_state(z, z->accepted_epoch, z->epoch);
	if (z->nl_rcvd && z->durable >= z->nl_zxid &&
	    (z->durable > z->ack_sent || !z->acked_any) &&
	    !(self_observer(z) && z->phase == ZAB_PH_BROADCAST) &&
	    (m = msg_new(z, ZAB_M_ACK, z->leader))) {
		m->zxid = z->durable;
		z->ack_sent = z->durable;
		z->acked_any = true;
	}
	if (z->pong_due && (m = msg_new(z, ZAB_M_PING, z->leader))) {
		z->pong_due = false;
		m->zxid = z->durable;
	}
}

static bool
peer_stream(struct zab *z, struct zpeer *p, uint64_t upto, uint8_t type)
{
	uint32_t i;

	for (i = zab_hist_upper(&z->hist, p->next); i < z->hist.n; i++) {
		const struct zab_hent *e = zab_hist_at(&z->hist, i);
		struct zab_msg *m;

		if (e->zxid > upto)
			break;
		m = msg_new(z, type, p->id);
		if (m == NULL)
			return false;
		m->zxid = e->zxid;
		m->payload = zab_hist_view(&z->hist, e);
		p->next = e->zxid;
	}
	return true;
}

/* A DIFF must fit the learner's window (same config) with room to spare,
 * since nothing it receives during sync counts as committed before
 * UPTODATE; beyond half the window a SNAP is cheaper anyway. */
static bool
diff_too_big(const struct zab *z, uint64_t from)
{
	uint32_t i = zab_hist_upper(&z->hist, from);
	uint64_t bytes = 0;

	if (z->hist.n - i > z->cfg.hist_entries / 2)
		return true;
	for (; i < z->hist.n; i++)
		bytes += zab_hist_at(&z->hist, i)->len;
	return bytes > z->cfg.hist_bytes / 2;
}

static void
gen_leader_peer(struct zab *z, struct zpeer *p)
{
	struct zab_msg *m;
	uint64_t upto;

	if (p->newepoch_due) {
		if ((m = msg_new(z, ZAB_M_NEWEPOCH, p->id)) == NULL)
			return;
		m->vote = z->vote;
		m->vote.state = ZAB_LEADING;
		p->newepoch_due = false;
	}
	if (p->ls < LS_SYNCING)
		return;
	if (p->hdr_due) {
		uint64_t from;
		struct zxseq s = {NULL, &z->hist, z->hist.n};
		int t = sync_choose(p->last_zxid, &s, z->hist.base, z->applied,
				    &from);

		if (t != ZAB_M_SNAP && diff_too_big(z, from))
			t = ZAB_M_SNAP, from = z->applied;
		if ((m = msg_new(z, (uint8_t)t, p->id)) == NULL)
			return;
		m->zxid = from;
		m->arg = z->applied; /* committed: the learner may apply */
		p->hdr_due = false;
		p->next = from;
		if (t == ZAB_M_DIFF)
			z->st.syncs_diff++;
		else if (t == ZAB_M_TRUNC)
			z->st.syncs_trunc++;
		else
			z->st.syncs_snap++;
	}
	if (p->next < z->hist.base) {
		/* fell out of the window while streaming: drop it */
		reset_peer_learner(p);
		return;
	}
	upto = p->observer ? z->commit : last_zxid(z);
	if (p->ls == LS_SYNCING) {
		if (!peer_stream(z, p, upto, ZAB_M_PROPOSAL))
			return;
		if ((m = msg_new(z, ZAB_M_NEWLEADER, p->id)) == NULL)
			return;
		m->zxid = p->next;
		p->nl_zxid = p->next;
		p->ls = LS_NL_SENT;
	}
	if (!p->observer && !peer_stream(z, p, upto, ZAB_M_PROPOSAL))
		return;
	if (p->uptodate_due) {
		if ((m = msg_new(z, ZAB_M_UPTODATE, p->id)) == NULL)
			return;
		m->zxid = z->commit;
		p->sent_commit = z->commit;
		p->uptodate_due = false;
		p->ls = LS_ACTIVE;
	}
	if (p->ls == LS_ACTIVE) {
		if (p->observer) {
			if (!peer_stream(z, p, z->commit, ZAB_M_INFORM))
				return;
		} else if (p->sent_commit < z->commit) {
			if ((m = msg_new(z, ZAB_M_COMMIT, p->id)) == NULL)
				return;
			m->zxid = z->commit;
			p->sent_commit = z->commit;
		}
	}
	if (p->ping_due && (m = msg_new(z, ZAB_M_PING, p->id))) {
		m->zxid = z->commit;
		p->ping_due = false;
	}
}

static void
gen_msgs(struct zab *z)
{
	uint32_t k;

	gen_learner(z);
	for (k = 0; k < z->n && !msgs_full(z); k++) {
		uint32_t i = (z->rr + k) % z->n;
		struct zpeer *p = &z->p[i];

		if (i == z->me)
			continue;
		gen_vote(z, p);
		if (z->role == ZAB_LEADING)
			gen_leader_peer(z, p);
	}
	z->rr++;
}

bool
zab_ready(struct zab *z, struct zab_ready *rd)
{
	struct zab_ready *r = &z->rd;

	if (z->in_ready) {
		*rd = *r;
		return true;
	}
	z->nmsgs = z->nops = z->ncommits = 0;
	memset(r, 0, sizeof(*r));
	gen_log_ops(z);
	gen_commits(z);
	gen_msgs(z);
	r->hard_state = z->hs_dirty;
	r->accepted_epoch = z->accepted_epoch;
	r->current_epoch = z->current_epoch;
	z->hs_dirty = false;
	r->log_ops = z->ops;
	r->n_log_ops = z->nops;
	r->commits = z->commits;
	r->n_commits = z->ncommits;
	r->msgs = z->msgs;
	r->n_msgs = z->nmsgs;
	r->role = z->role;
	r->leader = z->leader;
	r->epoch = z->epoch;
	if (!z->rep_valid || z->rep_role != z->role ||
	    z->rep_leader != z->leader || z->rep_epoch != z->epoch) {
		r->role_changed = true;
		z->rep_valid = true;
		z->rep_role = z->role;
		z->rep_leader = z->leader;
		z->rep_epoch = z->epoch;
	}
	if (!r->hard_state && !r->n_log_ops && !r->n_commits && !r->n_msgs &&
	    !r->role_changed)
		return false;
	z->in_ready = true;
	*rd = *r;
	return true;
}

void
zab_advance(struct zab *z)
{
	z->in_ready = false;
}

void
zab_status(const struct zab *z, struct zab_status *st)
{
	memset(st, 0, sizeof(*st));
	st->role = z->role;
	st->phase = z->phase;
	st->established = z->established;
	st->leader = z->leader;
	st->epoch = z->epoch;
	st->accepted_epoch = z->accepted_epoch;
	st->current_epoch = z->current_epoch;
	st->last_zxid = last_zxid(z);
	st->durable_zxid = z->durable;
	st->commit_zxid = z->commit;
	st->applied_zxid = z->applied;
	st->round = z->round;
	st->vote = z->vote;
}

void
zab_stats(const struct zab *z, struct zab_stats *s)
{
	*s = z->st;
}
