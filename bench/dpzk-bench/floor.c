/*
 * floor.c — the floors a result is read against, measured with the same
 * histogram and report as the targets:
 *
 *  udp-echo     round trip of one UDP datagram (--value-size bytes) to an
 *               echo server: with --connect host:port an existing echo (e.g.
 *               dataplane's dpzk-echo), otherwise a tiny echo thread started
 *               here on 127.0.0.1.  The kernel-path floor of a dpzk read.
 *  udp-echo-dpdk  the same with dpzk-bench a DPDK process (the dpzk-dpdk
 *               target's port, --dpdk-* flags): the kernel-bypass floor.
 *  dsync-write  one 4 KiB write with O_DSYNC (and O_DIRECT when the
 *               filesystem takes it) at sequential offsets of a preallocated
 *               file in --dir: the device floor of a durable write.
 *
 * Both are closed loops of one outstanding operation per client.
 */
#include "bench_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct echo_state {
	int srv_fd;
	pthread_t th;
	bool have_thread;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char addr_str[80];
	bool direct;
	char file[512];
};

static void *
echo_thread(void *arg)
{
	struct echo_state *e = arg;
	char buf[65536];
	struct sockaddr_storage from;
	socklen_t fl;
	ssize_t n;

	for (;;) {
		fl = sizeof(from);
		n = recvfrom(e->srv_fd, buf, sizeof(buf), 0,
			     (struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			break; /* socket shut down: end */
		}
		if (n == 4 && memcmp(buf, "quit", 4) == 0)
			break;
		sendto(e->srv_fd, buf, (size_t)n, 0, (struct sockaddr *)&from,
		       fl);
	}
	return NULL;
}

static int
resolve(const char *hosts, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256], *colon, *comma;
	struct addrinfo hints, *ai;

	bench_msg(host, sizeof(host), "%s", hosts);
	comma = strchr(host, ',');
	if (comma != NULL)
		*comma = '\0';
	colon = strrchr(host, ':');
	if (colon == NULL)
		return -EINVAL;
	*colon = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		return -EHOSTUNREACH;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static int
udp_setup(struct bench_run *r)
{
	struct echo_state *e = calloc(1, sizeof(*e));
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	if (e == NULL)
		return -ENOMEM;
	r->wl_state = e;
	e->srv_fd = -1;
	if (r->cfg->hosts != NULL && strcmp(r->cfg->hosts, "self") != 0) {
		bench_msg(e->addr_str, sizeof(e->addr_str), "%s",
			  r->cfg->hosts);
		bench_msg(r->note, sizeof(r->note), "echo server %s",
			  r->cfg->hosts);
		return resolve(r->cfg->hosts, &e->addr, &e->addrlen);
	}
	e->srv_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (e->srv_fd < 0)
		return -errno;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(e->srv_fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    getsockname(e->srv_fd, (struct sockaddr *)&sin, &sl) != 0)
		return -errno;
	memcpy(&e->addr, &sin, sizeof(sin));
	e->addrlen = sizeof(sin);
	bench_msg(e->addr_str, sizeof(e->addr_str), "127.0.0.1:%u",
		  ntohs(sin.sin_port));
	bench_msg(r->note, sizeof(r->note),
		  "in-process kernel UDP echo on %s (loopback)", e->addr_str);
	if (pthread_create(&e->th, NULL, echo_thread, e) != 0)
		return -EAGAIN;
	e->have_thread = true;
	return 0;
}

static void
udp_worker(struct bench_worker *w)
{
	struct bench_run *r = w->run;
	struct echo_state *e = r->wl_state;
	struct bench_client *c = w->clients[0];
	struct timeval tv = {.tv_sec = 1};
	size_t len = r->cfg->value_size > 0 ? (size_t)r->cfg->value_size : 1;
	char *buf = malloc(len);
	uint64_t t0;
	ssize_t n;
	int fd;

	fd = socket(e->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || buf == NULL ||
	    connect(fd, (struct sockaddr *)&e->addr, e->addrlen) != 0) {
		bench_count_error(c);
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memcpy(buf, r->value,
	       len < (size_t)r->cfg->value_size ? len
						: (size_t)r->cfg->value_size);
	while (!bench_stopping(r) && bench_now_ns() < r->end_ns) {
		t0 = bench_now_ns();
		if (send(fd, buf, len, 0) != (ssize_t)len) {
			bench_count_error(c);
			break;
		}
		n = recv(fd, buf, len, 0);
		if (n != (ssize_t)len) {
			bench_count_error(c); /* lost or timed out */
			continue;
		}
		bench_record(c, 0, t0, bench_now_ns());
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
}

static void
udp_teardown(struct bench_run *r)
{
	struct echo_state *e = r->wl_state;
	int q;

	if (e == NULL || !e->have_thread)
		return;
	q = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (q >= 0) {
		sendto(q, "quit", 4, 0, (struct sockaddr *)&e->addr,
		       e->addrlen);
		close(q);
	}
	pthread_join(e->th, NULL);
	close(e->srv_fd);
	e->have_thread = false;
}

/* ------------------------------------------------------- udp-echo-dpdk */

#ifdef BENCH_HAVE_DPDK
/* The same round trip with dpzk-bench a DPDK process (the dpzk-dpdk
 * target's port and --dpdk-* flags): the floor of the kernel-bypass rows.
 * Busy-polls for the echo, 1 s before it counts one as lost. */
static int
udp_dpdk_setup(struct bench_run *r)
{
	char why[256] = "";
	struct bench_dpdk_pipe *p;
	int rc;

	if (r->cfg->hosts == NULL || strcmp(r->cfg->hosts, "self") == 0) {
		bench_msg(r->error, sizeof(r->error), "%s",
			  "udp-echo-dpdk needs -c host:port of an echo "
			  "(dpzk-echo)");
		return -EINVAL;
	}
	/* one pipe to see that the port starts and the host answers ARP;
	 * each worker opens its own */
	rc = bench_dpdk_pipe_open(r->cfg->hosts, &p, why, sizeof(why));
	if (rc != 0) {
		bench_msg(r->error, sizeof(r->error), "%s", why);
		return rc;
	}
	bench_dpdk_pipe_close(p);
	bench_msg(r->note, sizeof(r->note), "echo server %s over DPDK",
		  r->cfg->hosts);
	return 0;
}

static void
udp_dpdk_worker(struct bench_worker *w)
{
	struct bench_run *r = w->run;
	struct bench_client *c = w->clients[0];
	size_t len = r->cfg->value_size > 0 ? (size_t)r->cfg->value_size : 1;
	char *buf = malloc(len), *in = malloc(len + 64), why[256];
	struct bench_dpdk_pipe *p = NULL;
	uint64_t t0;
	long n;

	if (buf == NULL || in == NULL ||
	    bench_dpdk_pipe_open(r->cfg->hosts, &p, why, sizeof(why)) != 0) {
		bench_count_error(c);
		goto out;
	}
	memcpy(buf, r->value,
	       len < (size_t)r->cfg->value_size ? len
						: (size_t)r->cfg->value_size);
	while (!bench_stopping(r) && bench_now_ns() < r->end_ns) {
		t0 = bench_now_ns();
		if (bench_dpdk_pipe_send(p, buf, len) != 0) {
			bench_count_error(c);
			bench_sleep_until(t0 + 1000000);
			continue;
		}
		do {
			n = bench_dpdk_pipe_recv(p, in, len + 64);
		} while (n < 0 && bench_now_ns() - t0 < 1000000000u);
		if (n != (long)len) {
			bench_count_error(c); /* lost or timed out */
			continue;
		}
		bench_record(c, 0, t0, bench_now_ns());
	}
out:
	bench_dpdk_pipe_close(p);
	free(buf);
	free(in);
}
#endif

/* ------------------------------------------------------------ dsync */

#define DSYNC_FILE_SIZE (64u << 20)

static int
dsync_setup(struct bench_run *r)
{
	struct echo_state *e = calloc(1, sizeof(*e));
	int fd;

	if (e == NULL)
		return -ENOMEM;
	r->wl_state = e;
	bench_msg(e->file, sizeof(e->file), "%s/dpzk-bench-dsync.%d",
		  r->cfg->dir, (int)getpid());
	fd = open(e->file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		bench_msg(r->error, sizeof(r->error), "cannot create %s: %s",
			  e->file, strerror(errno));
		return -errno;
	}
	/* preallocate, so we time data writes, not block allocation */
	if (posix_fallocate(fd, 0, DSYNC_FILE_SIZE) != 0 || fsync(fd) != 0) {
		close(fd);
		unlink(e->file);
		bench_msg(r->error, sizeof(r->error), "cannot preallocate %s",
			  e->file);
		return -EIO;
	}
	close(fd);
	fd = open(e->file, O_RDWR | O_DSYNC | O_DIRECT | O_CLOEXEC);
	e->direct = fd >= 0;
	if (fd >= 0)
		close(fd);
	bench_msg(
		r->note, sizeof(r->note),
		"4 KiB pwrite, O_DSYNC%s, sequential in a preallocated 64 MiB file in %s",
		e->direct ? "|O_DIRECT" : " (O_DIRECT refused)", r->cfg->dir);
	return 0;
}

static void
dsync_worker(struct bench_worker *w)
{
	struct bench_run *r = w->run;
	struct echo_state *e = r->wl_state;
	struct bench_client *c = w->clients[0];
	void *buf = NULL;
	uint64_t off = (uint64_t)w->id * 4096u, t0;
	int fd;

	fd = open(e->file,
		  O_RDWR | O_DSYNC | O_CLOEXEC | (e->direct ? O_DIRECT : 0));
	if (fd < 0 || posix_memalign(&buf, 4096, 4096) != 0) {
		bench_count_error(c);
		goto out;
	}
	memset(buf, 'd', 4096);
	while (!bench_stopping(r) && bench_now_ns() < r->end_ns) {
		t0 = bench_now_ns();
		if (pwrite(fd, buf, 4096, (off_t)off) != 4096) {
			bench_count_error(c);
			break;
		}
		bench_record(c, 0, t0, bench_now_ns());
		off += (uint64_t)r->nworkers * 4096u;
		if (off + 4096 > DSYNC_FILE_SIZE)
			off = (uint64_t)w->id * 4096u;
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
}

static void
dsync_teardown(struct bench_run *r)
{
	struct echo_state *e = r->wl_state;

	if (e != NULL && e->file[0] != '\0')
		unlink(e->file);
}

const struct bench_workload bench_wl_floor[] = {
	{"udp-echo",
	 "floor: UDP round trip to an echo (kernel path)",
	 1,
	 {"rtt"},
	 BENCH_WL_NO_TARGET | BENCH_WL_THREAD_PER_CLIENT,
	 udp_setup,
	 udp_worker,
	 udp_teardown},
#ifdef BENCH_HAVE_DPDK
	{"udp-echo-dpdk",
	 "floor: UDP round trip to an echo, dpzk-bench a DPDK process",
	 1,
	 {"rtt"},
	 BENCH_WL_NO_TARGET | BENCH_WL_THREAD_PER_CLIENT,
	 udp_dpdk_setup,
	 udp_dpdk_worker,
	 NULL},
#endif
	{"dsync-write",
	 "floor: 4 KiB O_DSYNC write on --dir's filesystem",
	 1,
	 {"write"},
	 BENCH_WL_NO_TARGET | BENCH_WL_THREAD_PER_CLIENT,
	 dsync_setup,
	 dsync_worker,
	 dsync_teardown},
};
const int bench_wl_nfloor = sizeof(bench_wl_floor) / sizeof(bench_wl_floor[0]);
