/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dpzk-log — the operator's tool for a dpzk data directory, in the spirit of
 * ZooKeeper's LogFormatter / SnapshotFormatter / TxnLogToolkit: dump
 * records (txns decoded with proto_txn_decode), verify the log and the
 * snapshots, show zxid ranges, truncate to a zxid deliberately, and show a
 * snapshot's header.
 *
 * Why it is built this way: it runs the very scanner nlog_open uses
 * (nlog_walk), so what it calls a torn tail or corruption is exactly what
 * start-up would decide.  It never changes anything unless asked with
 * `truncate ... --yes`, and it takes the directory lock so it cannot run
 * against a live server.  The snapshot body is opaque here (nvme-log/ does
 * not link tree/); the tree summary may be added by the tree module.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nvme-log/nlog_priv.h"
#include "proto/proto.h"
#include "tree/tree.h"

static const char usage[] =
	"usage: dpzk-log COMMAND [ARGS]\n"
	"\n"
	"Inspect and repair a dpzk data directory (transaction log segments\n"
	"log.<seq>, snapshots snapshot.<zxid>, currentEpoch, acceptedEpoch).\n"
	"Run it only while the server is stopped (it takes the directory\n"
	"lock).  ZXIDs are decimal or 0x-prefixed hex.\n"
	"\n"
	"commands:\n"
	"  ranges DIR              segments with their zxid ranges, snapshots,\n"
	"                          epochs\n"
	"  dump DIR [--from ZXID] [--to ZXID] [--hex] [--limit N]\n"
	"                          one line per record; txn payloads decoded\n"
	"                          (type = the txn's opcode), others in hex\n"
	"  verify DIR              check every segment and snapshot CRC; exit 0\n"
	"                          clean, 1 torn tail (start-up would cut it),\n"
	"                          2 corruption (start-up refuses)\n"
	"  truncate DIR ZXID [--yes]\n"
	"                          drop every record with zxid > ZXID and every\n"
	"                          snapshot newer than ZXID; without --yes only\n"
	"                          says what it would do.  Past corruption, the\n"
	"                          log can only be cut at or before the last\n"
	"                          valid zxid in front of it\n"
	"  snapshot FILE|DIR [--no-verify]\n"
	"                          snapshot header: version, zxid, body size,\n"
	"                          CRC status (all snapshots of DIR)\n"
	"  epochs DIR              currentEpoch and acceptedEpoch\n"
	"  --help                  this text\n"
	"\n"
	"examples:\n"
	"  dpzk-log verify /var/lib/dpzk\n"
	"  dpzk-log dump /var/lib/dpzk --from 0x500000001 --limit 20\n"
	"  dpzk-log truncate /var/lib/dpzk 0x500000a3f --yes\n"
	"  dpzk-log snapshot /var/lib/dpzk/snapshot.0000000500000a00\n";

static int
parse_zxid(const char *s, uint64_t *z)
{
	char *end;

	errno = 0;
	*z = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0') {
		fprintf(stderr, "dpzk-log: bad zxid '%s'\n", s);
		return -1;
	}
	return 0;
}

static int
lock_dir(const char *dir)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s/LOCK", dir);
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "dpzk-log: %s: %s\n", p, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		fprintf(stderr,
			"dpzk-log: %s is in use (is the server running?)\n",
			dir);
		close(fd);
		return -1;
	}
	return fd;
}

static void
print_time(int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char b[64];

	gmtime_r(&t, &tm);
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
	printf("%s.%03dZ", b, (int)(ms % 1000));
}

/* ---- ranges / verify ---- */

static void
print_snapshots(const char *dir, bool verify)
{
	uint64_t *v;
	size_t n;
	char path[PATH_MAX];

	if (nlog_list(dir, "snapshot", &v, &n) != 0 || n == 0) {
		printf("snapshots: none\n");
		free(v);
		return;
	}
	printf("snapshots:\n");
	for (size_t i = 0; i < n; i++) {
		struct nlog_snap_info in;
		nlog_snap_path(path, sizeof(path), dir, v[i]);
		if (nlog_snap_inspect(path, verify, &in) != 0) {
			printf("  %s: unreadable\n", path);
			continue;
		}
		printf("  snapshot.%016" PRIx64 "  zxid 0x%" PRIx64
		       "  body %" PRIu64 " bytes  %s\n",
		       v[i], in.zxid, in.body_len,
		       !in.header_ok ? "BAD HEADER/TRUNCATED"
		       : !verify     ? "header ok"
		       : in.body_ok  ? "crc ok"
				     : "CRC MISMATCH");
	}
	free(v);
}

static void
print_epochs(const char *dir)
{
	uint64_t v;
	int rc;

	rc = nlog_epoch_get(dir, NLOG_CURRENT_EPOCH, &v);
	if (rc == 0)
		printf("currentEpoch: %" PRIu64 "\n", v);
	else
		printf("currentEpoch: %s\n", strerror(-rc));
	rc = nlog_epoch_get(dir, NLOG_ACCEPTED_EPOCH, &v);
	if (rc == 0)
		printf("acceptedEpoch: %" PRIu64 "\n", v);
	else
		printf("acceptedEpoch: %s\n", strerror(-rc));
}

static int
cmd_ranges(const char *dir, bool verify)
{
	struct nlog_walk w;
	int rc = nlog_walk(dir, &w), ret = 0;

	if (rc != 0) {
		fprintf(stderr, "dpzk-log: %s: %s\n", dir, strerror(-rc));
		return 2;
	}
	printf("log segments in %s:\n", dir);
	for (size_t i = 0; i < w.nseg; i++) {
		struct nlog_seginfo *s = &w.segs[i];
		if (!s->hdr_ok && s->size == 0 && i > w.bad_seg) {
			printf("  log.%016" PRIx64 "  (not scanned)\n", s->seq);
			continue;
		}
		printf("  log.%016" PRIx64 "  %s", s->seq,
		       s->hdr_ok ? "" : "BAD HEADER ");
		if (s->scan.nrec > 0)
			printf("zxid 0x%" PRIx64 "..0x%" PRIx64 "  %" PRIu64
			       " records  %" PRIu64 "/%" PRIu64 " bytes used",
			       s->scan.first_zxid, s->scan.prev_zxid,
			       s->scan.nrec, s->scan.end, s->size);
		else if (s->hdr_ok)
			printf("empty");
		printf("\n");
	}
	if (w.nseg == 0)
		printf("  (none)\n");
	printf("records: %" PRIu64 ", last valid zxid 0x%" PRIx64 "\n", w.nrec,
	       w.last_zxid);
	switch (w.status) {
	case NLOG_WALK_CLEAN:
		printf("log: clean\n");
		break;
	case NLOG_WALK_TORN:
		printf("log: TORN TAIL: %s (start-up truncates it)\n", w.msg);
		ret = 1;
		break;
	case NLOG_WALK_CORRUPT:
		printf("log: CORRUPT: %s\n"
		       "     start-up refuses; to cut the log right before the "
		       "damage: dpzk-log truncate %s 0x%" PRIx64 " --yes\n",
		       w.msg, dir, w.last_zxid);
		ret = 2;
		break;
	}
	print_snapshots(dir, verify);
	print_epochs(dir);
	nlog_walk_free(&w);
	return ret;
}

/* ---- dump ---- */

struct dump_ctx {
	uint64_t from, to, limit, shown;
	bool hex;
	const char *seg;
	uint8_t *scratch;
	size_t scratch_cap;
};

static void
print_hex(const uint8_t *p, uint32_t len, uint32_t max)
{
	uint32_t n = len < max ? len : max;

	for (uint32_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	if (n < len)
		printf("...");
}

static void
print_view(const char *name, struct proto_view v)
{
	if (v.len < 0)
		printf(" %s=null", name);
	else
		printf(" %s=%.*s", name, v.len, (const char *)v.p);
}

static void
print_txn_body(const struct proto_txn *t)
{
	switch (t->hdr.type) {
	case PROTO_OP_CREATE:
	case PROTO_OP_CREATE2:
	case PROTO_OP_CREATECONTAINER:
	case PROTO_OP_CREATETTL:
		print_view("path", t->path);
		printf(" data=%dB acls=%d mode=%d owner=0x%" PRIx64
		       " pcversion=%d",
		       t->data.len < 0 ? 0 : t->data.len, t->acl.n,
		       t->create_mode, (uint64_t)t->ephemeral_owner,
		       t->parent_cversion);
		if (t->hdr.type == PROTO_OP_CREATETTL)
			printf(" ttl=%" PRId64, t->ttl);
		break;
	case PROTO_OP_DELETE:
	case PROTO_OP_DELETECONTAINER:
		print_view("path", t->path);
		break;
	case PROTO_OP_SETDATA:
		print_view("path", t->path);
		printf(" data=%dB version=%d",
		       t->data.len < 0 ? 0 : t->data.len, t->version);
		break;
	case PROTO_OP_SETACL:
		print_view("path", t->path);
		printf(" acls=%d aversion=%d", t->acl.n, t->version);
		break;
	case PROTO_OP_CHECK:
		print_view("path", t->path);
		printf(" version=%d", t->version);
		break;
	case PROTO_OP_CREATESESSION:
		printf(" timeout=%d", t->timeout);
		break;
	case PROTO_OP_ERROR:
		printf(" err=%d(%s)", t->err, proto_zerr_name(t->err));
		break;
	default:
		break;
	}
}

static int
dump_fn(void *arg, uint64_t off, const struct nlog_rec_hdr *h, const uint8_t *p)
{
	struct dump_ctx *c = arg;
	struct proto_scratch s;
	struct proto_txn t;
	int rc;

	if (h->zxid < c->from || h->zxid > c->to)
		return 0;
	if (c->limit && c->shown >= c->limit)
		return 1;
	c->shown++;
	printf("zxid=0x%" PRIx64 " type=%s(%d) len=%u %s+%" PRIu64, h->zxid,
	       proto_op_name(h->type) ? proto_op_name(h->type) : "?", h->type,
	       h->len, c->seg, off);
	if (proto_scratch_bound(h->len) > c->scratch_cap) {
		free(c->scratch);
		c->scratch_cap = proto_scratch_bound(h->len);
		c->scratch = malloc(c->scratch_cap);
	}
	rc = -ENOMEM;
	if (c->scratch != NULL) {
		proto_scratch_init(&s, c->scratch, c->scratch_cap);
		rc = proto_txn_decode(p, h->len, &t, &s);
	}
	if (rc == 0 && t.hdr.zxid == (int64_t)h->zxid &&
	    t.hdr.type == h->type) {
		printf(" session=0x%" PRIx64 " xid=%d time=", t.hdr.session_id,
		       t.hdr.xid);
		print_time(t.hdr.time);
		print_txn_body(&t);
		if (t.hdr.type == PROTO_OP_MULTI) {
			printf(" ops=%d", t.multi.n);
			for (int32_t i = 0; i < t.multi.n; i++) {
				const struct proto_txn *o = &t.multi.ops[i];
				printf("\n    [%d] %s", i,
				       proto_op_name(o->hdr.type)
					       ? proto_op_name(o->hdr.type)
					       : "?");
				print_txn_body(o);
			}
		}
		if (c->hex) {
			printf("\n    ");
			print_hex(p, h->len, UINT32_MAX);
		}
	} else {
		printf(" payload=");
		print_hex(p, h->len, c->hex ? UINT32_MAX : 32);
	}
	printf("\n");
	return 0;
}

static int
cmd_dump(const char *dir, struct dump_ctx *c)
{
	struct nlog_walk w;
	int rc = nlog_walk(dir, &w);

	if (rc != 0) {
		fprintf(stderr, "dpzk-log: %s: %s\n", dir, strerror(-rc));
		return 2;
	}
	for (size_t i = 0; i < w.nseg; i++) {
		struct nlog_seginfo *si = &w.segs[i];
		struct nlog_seg_scan s;
		struct nlog_map m;

		if (w.status == NLOG_WALK_CORRUPT && i > w.bad_seg)
			break;
		if (nlog_map_open(si->path, &m) != 0 || !si->hdr_ok) {
			nlog_map_close(&m);
			break;
		}
		c->seg = strrchr(si->path, '/') + 1;
		memset(&s, 0, sizeof(s));
		rc = nlog_seg_scan(m.base, m.size, si->align, &s, dump_fn, c);
		nlog_map_close(&m);
		if (rc != 0 || s.bad)
			break;
	}
	free(c->scratch);
	if (w.status != NLOG_WALK_CLEAN)
		fprintf(stderr, "dpzk-log: %s: %s\n",
			w.status == NLOG_WALK_TORN ? "torn tail" : "CORRUPT",
			w.msg);
	rc = w.status == NLOG_WALK_CLEAN  ? 0
	     : w.status == NLOG_WALK_TORN ? 1
					  : 2;
	nlog_walk_free(&w);
	return rc;
}

/* ---- truncate ---- */

static int
cmd_truncate(const char *dir, uint64_t zxid, bool yes)
{
	struct nlog_walk w;
	uint64_t *v = NULL, cut = zxid;
	size_t n = 0;
	int lock, rc;

	lock = lock_dir(dir);
	if (lock < 0)
		return 2;
	rc = nlog_walk(dir, &w);
	if (rc != 0) {
		fprintf(stderr, "dpzk-log: %s: %s\n", dir, strerror(-rc));
		close(lock);
		return 2;
	}
	if (w.status == NLOG_WALK_CORRUPT) {
		printf("log is CORRUPT: %s\n", w.msg);
		if (zxid > w.last_zxid) {
			printf("the cut must be at or before the last valid zxid "
			       "in front of the damage, 0x%" PRIx64 "\n",
			       w.last_zxid);
			nlog_walk_free(&w);
			close(lock);
			return 2;
		}
	}
	if (cut > w.last_zxid)
		cut = w.last_zxid;
	printf("%s every record with zxid > 0x%" PRIx64
	       " (log ends at 0x%" PRIx64 ", %" PRIu64 " records)\n",
	       yes ? "dropping" : "would drop", zxid, w.last_zxid, w.nrec);
	if (nlog_list(dir, "snapshot", &v, &n) == 0)
		for (size_t i = 0; i < n; i++)
			if (v[i] > zxid) {
				char p[PATH_MAX];
				nlog_snap_path(p, sizeof(p), dir, v[i]);
				printf("%s %s\n",
				       yes ? "deleting" : "would delete", p);
				if (yes)
					unlink(p);
			}
	free(v);
	if (!yes) {
		printf("dry run: add --yes to do it\n");
		nlog_walk_free(&w);
		close(lock);
		return 0;
	}
	rc = nlog_cut(dir, &w, zxid);
	nlog_walk_free(&w);
	nlog_fsync_dir(dir);
	if (rc != 0) {
		fprintf(stderr, "dpzk-log: truncate failed: %s\n",
			strerror(-rc));
		close(lock);
		return 2;
	}
	rc = nlog_walk(dir, &w);
	printf("done: log now ends at zxid 0x%" PRIx64 " (%s)\n", w.last_zxid,
	       w.status == NLOG_WALK_CLEAN ? "clean" : w.msg);
	rc = w.status == NLOG_WALK_CLEAN ? 0 : 2;
	nlog_walk_free(&w);
	close(lock);
	return rc;
}

/* ---- snapshot ---- */

static void
print_session(void *arg, int64_t sid, int32_t timeout_ms, uint64_t n_eph)
{
	unsigned *n = arg;

	if ((*n)++ < 20)
		printf("    session 0x%016" PRIx64 "  timeout %d ms  %" PRIu64
		       " ephemeral(s)\n",
		       (uint64_t)sid, timeout_ms, n_eph);
}

/* Load the body into a scratch tree (the library itself never
 * interprets it; the tool may) and print what it holds, as ZooKeeper's
 * SnapshotFormatter summarises. */
static void
tree_summary(const char *path, uint64_t body_len)
{
	struct tree_opts o;
	struct tree *t;
	struct tree_load *ld;
	struct tree_stats ts;
	uint8_t *buf;
	uint64_t left = body_len;
	off_t off = NLOG_SNAP_HDR_LEN;
	int fd, rc = 0;
	unsigned n = 0;

	tree_opts_default(&o);
	o.arena_mode = TREE_ARENA_PAGES_ONLY;
	t = tree_create(&o);
	buf = malloc(1u << 20);
	fd = open(path, O_RDONLY);
	ld = t ? tree_load_begin(t) : NULL;
	if (t == NULL || buf == NULL || fd < 0 || ld == NULL) {
		printf("  tree summary:   (cannot load: %s)\n",
		       strerror(errno));
		goto out;
	}
	while (left > 0 && rc == 0) {
		size_t want = left > (1u << 20) ? (1u << 20) : (size_t)left;
		ssize_t r = pread(fd, buf, want, off);

		if (r <= 0) {
			rc = -EIO;
			break;
		}
		rc = tree_load_feed(ld, buf, (size_t)r);
		off += r;
		left -= (uint64_t)r;
	}
	if (rc == 0)
		rc = tree_load_end(ld);
	else
		tree_load_end(ld);
	ld = NULL;
	if (rc != 0) {
		printf("  tree summary:   body does not load: %s\n",
		       strerror(-rc));
		goto out;
	}
	tree_get_stats(t, &ts);
	printf("  tree summary:   %" PRIu64 " znodes, %" PRIu64
	       " bytes of paths+data, %" PRIu64 " ephemerals, %" PRIu64
	       " sessions, last zxid 0x%" PRIx64 "\n",
	       ts.nodes, ts.data_bytes, ts.ephemerals, ts.sessions,
	       (uint64_t)ts.last_zxid);
	tree_session_foreach(t, print_session, &n);
	if (n > 20)
		printf("    ... %u more sessions\n", n - 20);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	tree_destroy(t);
}

static int
show_snapshot(const char *path, bool verify)
{
	struct nlog_snap_info in;
	int rc = nlog_snap_inspect(path, verify, &in);

	if (rc != 0) {
		fprintf(stderr, "dpzk-log: %s: %s\n", path, strerror(-rc));
		return 2;
	}
	printf("%s\n", path);
	printf("  format version: %u\n", in.version);
	printf("  zxid:           0x%" PRIx64 " (epoch %u, counter %u)\n",
	       in.zxid, (unsigned)(in.zxid >> 32), (unsigned)in.zxid);
	printf("  body:           %" PRIu64 " bytes\n", in.body_len);
	printf("  body crc32c:    0x%08x %s\n", in.body_crc,
	       !in.header_ok ? "(header bad)"
	       : !verify     ? "(not verified)"
	       : in.body_ok  ? "ok"
			     : "MISMATCH");
	printf("  header:         %s\n",
	       in.header_ok ? "ok" : "BAD (magic, CRC or file size)");
	if (in.header_ok) {
		printf("  written:        ");
		print_time(in.created_ms);
		printf("\n");
	}
	if (in.header_ok && (!verify || in.body_ok))
		tree_summary(path, in.body_len);
	return in.header_ok && (!verify || in.body_ok) ? 0 : 2;
}

static int
cmd_snapshot(const char *arg, bool verify)
{
	struct stat st;
	uint64_t *v;
	size_t n;
	int ret = 0;

	if (stat(arg, &st) != 0) {
		fprintf(stderr, "dpzk-log: %s: %s\n", arg, strerror(errno));
		return 2;
	}
	if (!S_ISDIR(st.st_mode))
		return show_snapshot(arg, verify);
	if (nlog_list(arg, "snapshot", &v, &n) != 0)
		return 2;
	if (n == 0)
		printf("no snapshots in %s\n", arg);
	for (size_t i = n; i-- > 0;) {
		char p[PATH_MAX];
		nlog_snap_path(p, sizeof(p), arg, v[i]);
		if (show_snapshot(p, verify) != 0)
			ret = 2;
	}
	free(v);
	return ret;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 't'},
		{"hex", no_argument, NULL, 'x'},
		{"limit", required_argument, NULL, 'l'},
		{"yes", no_argument, NULL, 'y'},
		{"no-verify", no_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	struct dump_ctx dc = {.to = UINT64_MAX};
	bool yes = false, verify = true;
	const char *cmd;
	int o;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'f':
			if (parse_zxid(optarg, &dc.from) != 0)
				return 2;
			break;
		case 't':
			if (parse_zxid(optarg, &dc.to) != 0)
				return 2;
			break;
		case 'x':
			dc.hex = true;
			break;
		case 'l':
			dc.limit = strtoull(optarg, NULL, 0);
			break;
		case 'y':
			yes = true;
			break;
		case 'n':
			verify = false;
			break;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	cmd = argv[optind++];
	if (strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (optind >= argc) {
		fprintf(stderr, "dpzk-log: %s needs a directory (try --help)\n",
			cmd);
		return 2;
	}
	if (strcmp(cmd, "ranges") == 0)
		return cmd_ranges(argv[optind], false);
	if (strcmp(cmd, "verify") == 0)
		return cmd_ranges(argv[optind], true);
	if (strcmp(cmd, "dump") == 0)
		return cmd_dump(argv[optind], &dc);
	if (strcmp(cmd, "snapshot") == 0)
		return cmd_snapshot(argv[optind], verify);
	if (strcmp(cmd, "epochs") == 0) {
		print_epochs(argv[optind]);
		return 0;
	}
	if (strcmp(cmd, "truncate") == 0) {
		uint64_t z;
		if (optind + 1 >= argc) {
			fprintf(stderr,
				"dpzk-log: truncate DIR ZXID [--yes]\n");
			return 2;
		}
		if (parse_zxid(argv[optind + 1], &z) != 0)
			return 2;
		return cmd_truncate(argv[optind], z, yes);
	}
	fprintf(stderr, "dpzk-log: unknown command '%s' (try --help)\n", cmd);
	return 2;
}
