/*
 * targets.c — the target registry, and the targets that are not built yet.
 *
 * `dpzk` (libdpzk over kernel UDP) is written in target_dpzk.c against
 * client/dpzk.h once that header exists; until then this file provides a
 * target whose `available` says so, and the run stops with that message —
 * never with made-up numbers.  `dpzk-dpdk` (target_dpdk.c, the same
 * client over a DPDK port) is built when libdpzk and DPDK both are; else
 * its stub here says so.
 */
#include "bench_priv.h"

#include <errno.h>
#include <string.h>

#ifndef BENCH_HAVE_DPZK
static int
dpzk_unavailable(char *why, size_t len)
{
	bench_msg(
		why, len,
		"dpzk target not built yet: libdpzk (client/dpzk.h) was not in the tree when dpzk-bench was configured");
	return -ENOSYS;
}

const struct bench_target_ops bench_target_dpzk = {
	.name = "dpzk",
	.transport = "UDP (kernel), libdpzk",
	.available = dpzk_unavailable,
};
#endif

#ifndef BENCH_HAVE_DPDK
static int
dpdk_unavailable(char *why, size_t len)
{
	bench_msg(
		why, len,
		"dpzk-dpdk target not built: it needs libdpzk and DPDK (libdpdk-dev) when dpzk-bench is configured");
	return -ENOSYS;
}

const struct bench_target_ops bench_target_dpzk_dpdk = {
	.name = "dpzk-dpdk",
	.transport = "UDP over DPDK, libdpzk",
	.available = dpdk_unavailable,
};

void
bench_dpdk_configure(const struct bench_dpdk_opts *o)
{
	(void)o;
}
#endif

static const struct bench_target_ops *const targets[] = {
	&bench_target_zk,
	&bench_target_dpzk,
	&bench_target_dpzk_dpdk,
};

const struct bench_target_ops *
bench_target_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		if (strcmp(targets[i]->name, name) == 0)
			return targets[i];
	return NULL;
}

const char *
bench_target_names(void)
{
	return "zk,dpzk,dpzk-dpdk";
}
