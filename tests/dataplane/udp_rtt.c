/* SPDX-License-Identifier: Apache-2.0 */
/*
 * udp_rtt.c — a kernel-socket UDP echo client: sends COUNT datagrams one at
 * a time to an echo service, checks each answer byte for byte, and prints
 * round-trip percentiles.
 *
 * Why it exists: it is both the integration test's check that dpzk-echo
 * answers correctly and the measurement of the "raw round trip" floor
 * (kernel UDP → net_tap → dataplane → back).  Closed loop, one datagram in
 * flight, bounded by COUNT and a per-datagram timeout, so it always ends.
 *
 *   udp_rtt IP PORT COUNT [SIZE] [TIMEOUT_MS] [CSV]
 * Exit 0 when every datagram came back intact, 1 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct(const uint64_t *v, size_t n, double p)
{
	size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);

	return (double)v[i] / 1000.0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in dst;
	unsigned long count, size = 64, timeout_ms = 200, i, ok = 0, lost = 0,
			     bad = 0;
	uint8_t out[2048], in[2048];
	uint64_t *rtt;
	FILE *csv = NULL;
	int fd;

	if (argc < 4) {
		fprintf(stderr,
			"usage: %s IP PORT COUNT [SIZE] [TIMEOUT_MS] [CSV]\n",
			argv[0]);
		return 2;
	}
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1) {
		fprintf(stderr, "udp_rtt: bad address %s\n", argv[1]);
		return 2;
	}
	count = strtoul(argv[3], NULL, 0);
	if (argc > 4)
		size = strtoul(argv[4], NULL, 0);
	if (argc > 5)
		timeout_ms = strtoul(argv[5], NULL, 0);
	if (argc > 6) {
		csv = fopen(argv[6], "w");
		if (csv != NULL)
			fprintf(csv, "seq,rtt_ns\n");
	}
	if (count == 0 || count > 10000000 || size < 8 || size > 1472) {
		fprintf(stderr, "udp_rtt: COUNT 1..1e7, SIZE 8..1472\n");
		return 2;
	}
	rtt = calloc(count, sizeof(*rtt));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || rtt == NULL ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0) {
		perror("udp_rtt");
		return 1;
	}
	for (i = 0; i < size; i++)
		out[i] = (uint8_t)(i * 7 + 3);
	for (i = 0; i < count; i++) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		uint64_t t0, deadline;
		ssize_t n;
		int got = 0;

		memcpy(out, &i, sizeof(i));
		t0 = now_ns();
		if (send(fd, out, size, 0) != (ssize_t)size) {
			perror("udp_rtt: send");
			return 1;
		}
		deadline = t0 + timeout_ms * 1000000ull;
		while (!got) {
			uint64_t now = now_ns();
			int ms;

			if (now >= deadline)
				break;
			ms = (int)((deadline - now + 999999) / 1000000);
			if (poll(&pfd, 1, ms) <= 0)
				continue;
			n = recv(fd, in, sizeof(in), 0);
			if (n < 0)
				continue;
			/* Late answers to earlier datagrams are skipped. */
			if ((size_t)n >= sizeof(i) &&
			    memcmp(in, &i, sizeof(i)) != 0)
				continue;
			if ((size_t)n != size || memcmp(in, out, size) != 0) {
				bad++;
				got = 2;
				break;
			}
			got = 1;
		}
		if (got == 1) {
			rtt[ok++] = now_ns() - t0;
			if (csv != NULL)
				fprintf(csv, "%lu,%llu\n", i,
					(unsigned long long)rtt[ok - 1]);
		} else if (got == 0) {
			lost++;
		}
	}
	close(fd);
	if (csv != NULL)
		fclose(csv);
	printf("udp_rtt %s:%s size %lu: sent %lu ok %lu lost %lu bad %lu\n",
	       argv[1], argv[2], size, count, ok, lost, bad);
	if (ok > 0) {
		qsort(rtt, ok, sizeof(*rtt), cmp_u64);
		printf("rtt_us min %.1f p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f "
		       "max %.1f\n",
		       pct(rtt, ok, 0), pct(rtt, ok, 50), pct(rtt, ok, 90),
		       pct(rtt, ok, 99), pct(rtt, ok, 99.9), pct(rtt, ok, 100));
	}
	free(rtt);
	return (lost == 0 && bad == 0) ? 0 : 1;
}
