/*
 * target_dpdk.c — the `dpzk-dpdk` target: dpzk through libdpzk with the
 * bench itself a DPDK process, so neither end of a request goes through
 * the kernel's UDP/IP stack.
 *
 * Why it is built this way: libdpzk takes an application's own datagram
 * transport (dpzk_init_transport), so the session channel, reconnects and
 * retries are the very code the `dpzk` target runs; only the datagrams
 * travel differently.  This file is that transport: one DPDK port (by
 * default a net_tap whose kernel side it attaches to the test network's
 * bridge, with its own address, 198.18.0.200), a few lines of Ethernet,
 * ARP, IPv4 and UDP (the dataplane's dp library owns its polling loop and
 * cannot be a client's transport), and a demultiplexer: every handle has
 * its own local UDP port, and a received datagram goes to that handle's
 * ring of mbufs.  Any other PMD works through --dpdk-vdev: with
 * net_memif (client role) to a dpzk-server whose port is a memif in the
 * server role, nothing but shared memory lies between the two.  The
 * channel's datagrams fit a 1500-byte MTU, so there is no IP
 * fragmentation to do.
 *
 * Threads: the port has one Rx and one Tx queue, guarded by one spinlock.
 * Whoever polls (a worker in the target's poll, or a handle reading its
 * empty ring) takes the lock with a trylock, receives a burst and sorts it
 * into the handles' rings; a send takes the lock for its tx_burst.  With
 * one worker thread (the default) the lock is never contended and the
 * whole path is the worker's: rx_burst, dpzk_process, tx_burst, busy
 * polling in between — the client side of DESIGN.md's run to completion.
 * The workers are plain pthreads (non-EAL threads), so the mempool has no
 * per-lcore cache.  EAL starts once per process, at the first run, with
 * no hugepages (--no-huge --no-shconf: nothing shared; the empty runtime
 * directory is removed at exit) and its own file prefix; the main
 * thread's CPU affinity is restored afterwards so the workers are not
 * pinned onto the server's core.
 */
#include "bench_priv.h"

#include <client/dpzk.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_spinlock.h>
#include <rte_udp.h>

#define DD_PORT_BASE 40000u
#define DD_MAX_CONNS 16384u
#define DD_RING	     1024u
#define DD_BURST     32
#define DD_NEIGH     16
#define DD_MBUFS     8191u
#define DD_DESC	     512
#define DD_HDR_LEN                                                             \
	(sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) +          \
	 sizeof(struct rte_udp_hdr))
#define DD_MAX_PAYLOAD	(RTE_ETHER_MTU - 28)
#define DD_ARP_RETRY_NS 10000000u

struct dd_neigh {
	uint32_t ip; /* network order */
	bool known;
	struct rte_ether_addr mac;
	uint64_t asked_ns;
};

/* One handle's end: its local UDP port and its Rx ring. */
struct dd_conn {
	struct rte_ring *rx;
	uint16_t lport;
};

/* The report's transport line; says which PMD once the port is up. */
static char dd_transport[200] = "UDP over DPDK (dpzk-bench a DPDK process, "
				"busy-polling, one port for all clients), "
				"libdpzk";

static struct {
	pthread_mutex_t init_lock;
	int state; /* 0: not started, 1: up, < 0: failed (-errno) */
	char why[256];
	struct bench_dpdk_opts opts;
	char iface[32], vdev[160], ipstr[32], bridge[32], eal[256];
	uint16_t port;
	struct rte_mempool *pool;
	struct rte_ether_addr mac;
	uint32_t ip;	     /* network order */
	rte_spinlock_t lock; /* the port's queues, neigh, by_port writes */
	struct dd_neigh neigh[DD_NEIGH];
	int nneigh;
	uint16_t ip_id;
	struct dd_conn *_Atomic by_port[DD_MAX_CONNS];
	unsigned next_port;
	atomic_uint_fast64_t rx_pkts, tx_pkts, drops;
} dd = {
	.init_lock = PTHREAD_MUTEX_INITIALIZER,
};

void
bench_dpdk_configure(const struct bench_dpdk_opts *o)
{
	dd.opts = *o;
}

/* ------------------------------------------------------------ packets */

/* The neighbour entry of ip (network order), made if new.  Under lock. */
static struct dd_neigh *
neigh_get(uint32_t ip)
{
	int i;

	for (i = 0; i < dd.nneigh; i++)
		if (dd.neigh[i].ip == ip)
			return &dd.neigh[i];
	if (dd.nneigh == DD_NEIGH)
		return NULL;
	memset(&dd.neigh[dd.nneigh], 0, sizeof(dd.neigh[0]));
	dd.neigh[dd.nneigh].ip = ip;
	return &dd.neigh[dd.nneigh++];
}

/* Sends one frame of m's; consumes m.  Under lock. */
static int
tx_one(struct rte_mbuf *m)
{
	if (rte_eth_tx_burst(dd.port, 0, &m, 1) != 1) {
		rte_pktmbuf_free(m);
		atomic_fetch_add_explicit(&dd.drops, 1, memory_order_relaxed);
		return -ENOBUFS;
	}
	atomic_fetch_add_explicit(&dd.tx_pkts, 1, memory_order_relaxed);
	return 0;
}

/* An ARP request (tip) or reply (to dst_mac/tip).  Under lock. */
static void
arp_send(uint16_t op, const struct rte_ether_addr *dst_mac, uint32_t tip)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dd.pool);
	struct rte_ether_hdr *eh;
	struct rte_arp_hdr *ah;

	if (m == NULL)
		return;
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eh) +
								   sizeof(*ah));
	if (eh == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	ah = (struct rte_arp_hdr *)(eh + 1);
	if (dst_mac != NULL)
		rte_ether_addr_copy(dst_mac, &eh->dst_addr);
	else
		memset(&eh->dst_addr, 0xff, sizeof(eh->dst_addr));
	rte_ether_addr_copy(&dd.mac, &eh->src_addr);
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	ah->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = 4;
	ah->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(&dd.mac, &ah->arp_data.arp_sha);
	ah->arp_data.arp_sip = dd.ip;
	if (dst_mac != NULL)
		rte_ether_addr_copy(dst_mac, &ah->arp_data.arp_tha);
	else
		memset(&ah->arp_data.arp_tha, 0, sizeof(ah->arp_data.arp_tha));
	ah->arp_data.arp_tip = tip;
	tx_one(m);
}

static void
arp_input(struct rte_mbuf *m, const struct rte_arp_hdr *ah)
{
	uint16_t op = rte_be_to_cpu_16(ah->arp_opcode);
	struct dd_neigh *n;

	if (rte_pktmbuf_data_len(m) <
	    sizeof(struct rte_ether_hdr) + sizeof(*ah))
		return;
	/* learn the sender when it is a neighbour we talk to, or when it
	 * asks for us (it is about to talk to us) */
	if (ah->arp_data.arp_tip == dd.ip || op == RTE_ARP_OP_REPLY) {
		n = neigh_get(ah->arp_data.arp_sip);
		if (n != NULL) {
			rte_ether_addr_copy(&ah->arp_data.arp_sha, &n->mac);
			n->known = true;
		}
	}
	if (op == RTE_ARP_OP_REQUEST && ah->arp_data.arp_tip == dd.ip)
		arp_send(RTE_ARP_OP_REPLY, &ah->arp_data.arp_sha,
			 ah->arp_data.arp_sip);
}

/* One received frame: ARP, or UDP to one of our handles (queued on its
 * ring, trimmed to the payload); anything else is dropped.  Consumes m.
 * Under lock. */
static void
dd_input(struct rte_mbuf *m)
{
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ih;
	struct rte_udp_hdr *uh;
	struct dd_conn *pc;
	uint16_t et, dport, ulen;
	size_t ihl, len = rte_pktmbuf_data_len(m);

	atomic_fetch_add_explicit(&dd.rx_pkts, 1, memory_order_relaxed);
	if (len < sizeof(*eh) || m->nb_segs != 1)
		goto drop;
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	et = rte_be_to_cpu_16(eh->ether_type);
	if (et == RTE_ETHER_TYPE_ARP) {
		arp_input(m, (const struct rte_arp_hdr *)(eh + 1));
		goto drop;
	}
	if (et != RTE_ETHER_TYPE_IPV4 ||
	    len < sizeof(*eh) + sizeof(*ih) + sizeof(*uh))
		goto drop;
	ih = (struct rte_ipv4_hdr *)(eh + 1);
	ihl = (size_t)(ih->version_ihl & 0xf) * 4;
	if ((ih->version_ihl >> 4) != 4 || ihl < sizeof(*ih) ||
	    ih->next_proto_id != IPPROTO_UDP || ih->dst_addr != dd.ip ||
	    (rte_be_to_cpu_16(ih->fragment_offset) & 0x3fff) != 0 ||
	    len < sizeof(*eh) + ihl + sizeof(*uh))
		goto drop;
	uh = (struct rte_udp_hdr *)((uint8_t *)ih + ihl);
	dport = rte_be_to_cpu_16(uh->dst_port);
	ulen = rte_be_to_cpu_16(uh->dgram_len);
	if (dport < DD_PORT_BASE || dport >= DD_PORT_BASE + DD_MAX_CONNS ||
	    ulen < sizeof(*uh) || sizeof(*eh) + ihl + ulen > len)
		goto drop;
	pc = atomic_load_explicit(&dd.by_port[dport - DD_PORT_BASE],
				  memory_order_acquire);
	if (pc == NULL)
		goto drop;
	rte_pktmbuf_adj(m, (uint16_t)(sizeof(*eh) + ihl + sizeof(*uh)));
	rte_pktmbuf_trim(
		m, (uint16_t)(rte_pktmbuf_data_len(m) - (ulen - sizeof(*uh))));
	if (rte_ring_sp_enqueue(pc->rx, m) != 0)
		goto drop;
	return;
drop:
	rte_pktmbuf_free(m);
}

/* Receives a burst and sorts it, unless another thread is at it. */
static unsigned
dd_port_poll(void)
{
	struct rte_mbuf *pk[DD_BURST];
	uint16_t n, i;

	if (!rte_spinlock_trylock(&dd.lock))
		return 0;
	n = rte_eth_rx_burst(dd.port, 0, pk, DD_BURST);
	for (i = 0; i < n; i++)
		dd_input(pk[i]);
	rte_spinlock_unlock(&dd.lock);
	return n;
}

/* ------------------------------------------------------------ transport */

static int
dd_send(void *ctx, const struct sockaddr *to, size_t tolen, const void *d,
	size_t len)
{
	const struct dd_conn *pc = ctx;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)to;
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ih;
	struct rte_udp_hdr *uh;
	struct rte_mbuf *m;
	struct dd_neigh *n;
	uint64_t now;
	int rc;

	if (to->sa_family != AF_INET || tolen < sizeof(*sin))
		return -EAFNOSUPPORT;
	if (len > DD_MAX_PAYLOAD)
		return -EMSGSIZE;
	m = rte_pktmbuf_alloc(dd.pool);
	if (m == NULL)
		return -ENOBUFS;
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(
		m, (uint16_t)(DD_HDR_LEN + len));
	if (eh == NULL) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	ih = (struct rte_ipv4_hdr *)(eh + 1);
	uh = (struct rte_udp_hdr *)(ih + 1);
	memcpy(uh + 1, d, len);
	rte_ether_addr_copy(&dd.mac, &eh->src_addr);
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memset(ih, 0, sizeof(*ih));
	ih->version_ihl = RTE_IPV4_VHL_DEF;
	ih->total_length =
		rte_cpu_to_be_16((uint16_t)(sizeof(*ih) + sizeof(*uh) + len));
	ih->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ih->time_to_live = 64;
	ih->next_proto_id = IPPROTO_UDP;
	ih->src_addr = dd.ip;
	ih->dst_addr = sin->sin_addr.s_addr;
	uh->src_port = rte_cpu_to_be_16(pc->lport);
	uh->dst_port = sin->sin_port;
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*uh) + len));
	uh->dgram_cksum = 0; /* optional in IPv4; the server accepts 0 */

	rte_spinlock_lock(&dd.lock);
	n = neigh_get(ih->dst_addr);
	if (n == NULL || !n->known) {
		now = bench_now_ns();
		if (n != NULL && now - n->asked_ns >= DD_ARP_RETRY_NS) {
			n->asked_ns = now;
			arp_send(RTE_ARP_OP_REQUEST, NULL, ih->dst_addr);
		}
		rte_spinlock_unlock(&dd.lock);
		rte_pktmbuf_free(m);
		return -EHOSTUNREACH; /* lost: the channel retransmits */
	}
	rte_ether_addr_copy(&n->mac, &eh->dst_addr);
	ih->packet_id = rte_cpu_to_be_16(dd.ip_id++);
	ih->hdr_checksum = rte_ipv4_cksum(ih);
	rc = tx_one(m);
	rte_spinlock_unlock(&dd.lock);
	return rc;
}

static long
dd_recv(void *ctx, void *buf, size_t cap)
{
	struct dd_conn *pc = ctx;
	struct rte_mbuf *m;
	size_t n;

	if (rte_ring_sc_dequeue(pc->rx, (void **)&m) != 0) {
		dd_port_poll();
		if (rte_ring_sc_dequeue(pc->rx, (void **)&m) != 0)
			return -EAGAIN;
	}
	n = rte_pktmbuf_data_len(m);
	if (n > cap)
		n = cap;
	memcpy(buf, rte_pktmbuf_mtod(m, const void *), n);
	rte_pktmbuf_free(m);
	return (long)n;
}

static void
dd_conn_free(void *p)
{
	struct dd_conn *pc = p;
	struct rte_mbuf *m;

	if (pc == NULL)
		return;
	rte_spinlock_lock(&dd.lock);
	atomic_store_explicit(&dd.by_port[pc->lport - DD_PORT_BASE], NULL,
			      memory_order_release);
	rte_spinlock_unlock(&dd.lock);
	while (rte_ring_sc_dequeue(pc->rx, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(pc->rx);
	free(pc);
}

static struct dd_conn *
dd_conn_new(void)
{
	struct dd_conn *pc = calloc(1, sizeof(*pc));
	char name[RTE_RING_NAMESIZE];
	unsigned i, k = DD_MAX_CONNS;

	if (pc == NULL)
		return NULL;
	rte_spinlock_lock(&dd.lock);
	for (i = 0; i < DD_MAX_CONNS; i++) {
		unsigned j = (dd.next_port + i) % DD_MAX_CONNS;

		if (atomic_load_explicit(&dd.by_port[j],
					 memory_order_relaxed) == NULL) {
			k = j;
			break;
		}
	}
	if (k < DD_MAX_CONNS)
		dd.next_port = k + 1;
	rte_spinlock_unlock(&dd.lock);
	if (k == DD_MAX_CONNS) {
		free(pc);
		return NULL;
	}
	pc->lport = (uint16_t)(DD_PORT_BASE + k);
	snprintf(name, sizeof(name), "ddrx%u", pc->lport);
	pc->rx = rte_ring_create(name, DD_RING, SOCKET_ID_ANY,
				 RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (pc->rx == NULL) {
		free(pc);
		return NULL;
	}
	atomic_store_explicit(&dd.by_port[k], pc, memory_order_release);
	return pc;
}

/* ------------------------------------------------------------ start-up */

static bool
name_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

/* The kernel side of the tap: a MAC of its own (a bridge delivers frames
 * for its ports' own MACs to the host, not through the port), on the
 * bridge, up. */
static int
attach_bridge(void)
{
	char cmd[256];
	uint32_t a = ntohl(dd.ip);

	if (!name_ok(dd.iface) || !name_ok(dd.bridge)) {
		bench_msg(dd.why, sizeof(dd.why),
			  "dpzk-dpdk: bad interface or bridge name");
		return -EINVAL;
	}
	snprintf(cmd, sizeof(cmd),
		 "ip link set dev %s address 02:00:c6:12:02:%02x && "
		 "ip link set dev %s master %s up",
		 dd.iface, a & 0xff, dd.iface, dd.bridge);
	if (system(cmd) != 0) {
		bench_msg(dd.why, sizeof(dd.why),
			  "dpzk-dpdk: cannot attach %s to bridge %s (run "
			  "inside the test network: testnet.sh exec)",
			  dd.iface, dd.bridge);
		return -ENODEV;
	}
	return 0;
}

static int
port_start(void)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t port;
	int rc;

	if (rte_eth_dev_count_avail() == 0) {
		bench_msg(dd.why, sizeof(dd.why),
			  "dpzk-dpdk: no DPDK port (vdev %s)", dd.vdev);
		return -ENODEV;
	}
	RTE_ETH_FOREACH_DEV(port)
	{
		break;
	}
	dd.port = port;
	dd.pool = rte_pktmbuf_pool_create("dd_pool", DD_MBUFS, 0, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE,
					  rte_socket_id());
	if (dd.pool == NULL) {
		bench_msg(dd.why, sizeof(dd.why), "dpzk-dpdk: mbuf pool: %s",
			  rte_strerror(rte_errno));
		return -ENOMEM;
	}
	rc = rte_eth_dev_info_get(port, &info);
	memset(&conf, 0, sizeof(conf));
	if (rc == 0)
		rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(
			port, 0, DD_DESC, (unsigned)rte_eth_dev_socket_id(port),
			NULL, dd.pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(
			port, 0, DD_DESC, (unsigned)rte_eth_dev_socket_id(port),
			NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	if (rc == 0)
		rc = rte_eth_macaddr_get(port, &dd.mac);
	if (rc != 0) {
		bench_msg(dd.why, sizeof(dd.why), "dpzk-dpdk: port %u (%s): %s",
			  port, rc == 0 ? "?" : info.driver_name,
			  rte_strerror(-rc));
		return rc < 0 ? rc : -EIO;
	}
	rte_eth_promiscuous_enable(port);
	snprintf(dd_transport, sizeof(dd_transport),
		 "UDP over DPDK %s (dpzk-bench a DPDK process, %s, "
		 "busy-polling, one port for all clients), libdpzk",
		 info.driver_name, dd.ipstr);
	return 0;
}

/* At exit: the port, EAL, and EAL's (empty) runtime directory. */
static void
dd_atexit(void)
{
	char dir[256];
	const char *e;

	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	e = getenv("DPZK_BENCH_CHSTATS");
	if (dd.state == 1 && e != NULL && *e != '\0' && *e != '0') {
		struct rte_eth_stats st;
		char cmd[128];

		memset(&st, 0, sizeof(st));
		rte_eth_stats_get(dd.port, &st);
		fprintf(stderr,
			"dpdk port: rx %llu tx %llu dropped %llu (frames "
			"handled); pmd ipackets %llu opackets %llu ierrors "
			"%llu oerrors %llu rx_nombuf %llu\n",
			(unsigned long long)dd.rx_pkts,
			(unsigned long long)dd.tx_pkts,
			(unsigned long long)dd.drops,
			(unsigned long long)st.ipackets,
			(unsigned long long)st.opackets,
			(unsigned long long)st.ierrors,
			(unsigned long long)st.oerrors,
			(unsigned long long)st.rx_nombuf);
		snprintf(cmd, sizeof(cmd), "ip -s link show dev %s >&2",
			 dd.iface);
		if (name_ok(dd.iface) && system(cmd) != 0)
			fprintf(stderr, "dpdk port: no kernel side to show\n");
	}
	if (dd.state == 1) {
		rte_eth_dev_stop(dd.port);
		rte_eth_dev_close(dd.port);
	}
	rte_eal_cleanup();
	if (dir[0] != '\0')
		rmdir(dir);
}

static int
dd_start(void)
{
	const struct bench_dpdk_opts *o = &dd.opts;
	char prefix[64], vdevarg[200], *argv[40], *save = NULL, *tok;
	cpu_set_t cpus;
	bool have_cpus;
	struct in_addr in;
	int argc = 0, rc;

	snprintf(dd.iface, sizeof(dd.iface), "%s",
		 o->iface && *o->iface ? o->iface : "");
	if (dd.iface[0] == '\0')
		snprintf(dd.iface, sizeof(dd.iface), "dpzkb%d",
			 (int)(getpid() % 100000));
	snprintf(dd.vdev, sizeof(dd.vdev), "%s",
		 o->vdev && *o->vdev ? o->vdev : "");
	if (dd.vdev[0] == '\0')
		snprintf(dd.vdev, sizeof(dd.vdev), "net_tap0,iface=%s",
			 dd.iface);
	snprintf(dd.ipstr, sizeof(dd.ipstr), "%s",
		 o->ip && *o->ip ? o->ip : "198.18.0.200");
	snprintf(dd.bridge, sizeof(dd.bridge), "%s",
		 o->bridge ? o->bridge : "dpzkbr0");
	snprintf(dd.eal, sizeof(dd.eal), "%s", o->eal ? o->eal : "");
	if (inet_pton(AF_INET, dd.ipstr, &in) != 1) {
		bench_msg(dd.why, sizeof(dd.why),
			  "dpzk-dpdk: --dpdk-ip '%s' is not an IPv4 address",
			  dd.ipstr);
		return -EINVAL;
	}
	dd.ip = in.s_addr;
	if (geteuid() != 0) {
		bench_msg(dd.why, sizeof(dd.why),
			  "dpzk-dpdk: needs root (DPDK, a tap device)");
		return -EPERM;
	}
	snprintf(prefix, sizeof(prefix), "--file-prefix=dpzk-bench-%d",
		 (int)getpid());
	snprintf(vdevarg, sizeof(vdevarg), "--vdev=%s", dd.vdev);
	argv[argc++] = "dpzk-bench";
	argv[argc++] = "-l";
	argv[argc++] = "0";
	argv[argc++] = "--no-huge";
	argv[argc++] = "-m";
	argv[argc++] = "128";
	argv[argc++] = "--no-shconf";
	argv[argc++] = "--no-pci";
	argv[argc++] = "--no-telemetry";
	argv[argc++] = "--log-level=error";
	/* the tap PMD complains of every missing qdisc and rte_flow
	 * module: not our business, and a real failure shows in why */
	argv[argc++] = "--log-level=pmd.net.tap:critical";
	argv[argc++] = prefix;
	argv[argc++] = vdevarg;
	for (tok = strtok_r(dd.eal, " ", &save); tok && argc < 38;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	have_cpus = sched_getaffinity(0, sizeof(cpus), &cpus) == 0;
	rc = rte_eal_init(argc, argv);
	if (have_cpus)
		sched_setaffinity(0, sizeof(cpus), &cpus);
	if (rc < 0) {
		bench_msg(dd.why, sizeof(dd.why),
			  "dpzk-dpdk: EAL init failed: %s",
			  rte_strerror(rte_errno));
		return -ENODEV;
	}
	atexit(dd_atexit);
	rte_spinlock_init(&dd.lock);
	rc = port_start();
	if (rc == 0 && dd.bridge[0] != '\0' && strcmp(dd.bridge, "none") != 0)
		rc = attach_bridge();
	return rc;
}

static int
dd_available(char *why, size_t len)
{
	int st;

	pthread_mutex_lock(&dd.init_lock);
	if (dd.state == 0) {
		int rc = dd_start();

		dd.state = rc == 0 ? 1 : rc;
	}
	st = dd.state;
	pthread_mutex_unlock(&dd.init_lock);
	if (st == 1)
		return 0;
	bench_msg(why, len, "%s", dd.why);
	return -ENOSYS;
}

/* ARP for every host of the list (a.b.c.d:port,...) until answered or
 * the deadline; a server that does not answer is asked again by its
 * first datagram. */
static void
resolve_hosts(const char *hosts, uint64_t deadline)
{
	char copy[512], *save = NULL, *tok, *colon;
	struct in_addr in;
	struct dd_neigh *n;
	bool all;

	snprintf(copy, sizeof(copy), "%s", hosts);
	if (strchr(copy, '/'))
		*strchr(copy, '/') = '\0';
	do {
		all = true;
		snprintf(copy, sizeof(copy), "%s", hosts);
		if (strchr(copy, '/'))
			*strchr(copy, '/') = '\0';
		for (tok = strtok_r(copy, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			colon = strchr(tok, ':');
			if (colon)
				*colon = '\0';
			if (inet_pton(AF_INET, tok, &in) != 1)
				continue;
			rte_spinlock_lock(&dd.lock);
			n = neigh_get(in.s_addr);
			if (n != NULL && !n->known) {
				all = false;
				if (bench_now_ns() - n->asked_ns >=
				    DD_ARP_RETRY_NS * 10) {
					n->asked_ns = bench_now_ns();
					arp_send(RTE_ARP_OP_REQUEST, NULL,
						 in.s_addr);
				}
			}
			rte_spinlock_unlock(&dd.lock);
		}
		if (!all)
			dd_port_poll();
	} while (!all && bench_now_ns() < deadline);
}

static int
dd_connect(const char *hosts, int timeout_ms, struct bench_conn **out)
{
	struct dpzk_transport tp = {dd_send, dd_recv, NULL, NULL};
	struct dd_conn *pc;
	int rc;

	if (dd.state != 1)
		return -ENODEV;
	resolve_hosts(hosts, bench_now_ns() + 2000000000ull);
	pc = dd_conn_new();
	if (pc == NULL)
		return -ENOMEM;
	tp.ctx = pc;
	rc = bench_dz_connect_tp(hosts, timeout_ms, &tp, pc, dd_conn_free, out);
	if (rc != 0)
		dd_conn_free(pc);
	return rc;
}

/* ------------------------------------------------------------ raw pipe */

struct bench_dpdk_pipe {
	struct dd_conn *pc;
	struct sockaddr_in to;
};

int
bench_dpdk_pipe_open(const char *hostport, struct bench_dpdk_pipe **out,
		     char *why, size_t len)
{
	struct bench_dpdk_pipe *p;
	char host[64], *colon;
	int rc = dd_available(why, len);

	if (rc != 0)
		return rc;
	snprintf(host, sizeof(host), "%s", hostport);
	colon = strchr(host, ':');
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->to.sin_family = AF_INET;
	p->to.sin_port = htons(colon ? (uint16_t)atoi(colon + 1) : 2181);
	if (colon)
		*colon = '\0';
	if (inet_pton(AF_INET, host, &p->to.sin_addr) != 1) {
		bench_msg(why, len, "'%s' is not IPv4:port", hostport);
		free(p);
		return -EINVAL;
	}
	resolve_hosts(hostport, bench_now_ns() + 2000000000ull);
	p->pc = dd_conn_new();
	if (p->pc == NULL) {
		free(p);
		return -ENOMEM;
	}
	*out = p;
	return 0;
}

int
bench_dpdk_pipe_send(struct bench_dpdk_pipe *p, const void *buf, size_t len)
{
	return dd_send(p->pc, (const struct sockaddr *)&p->to, sizeof(p->to),
		       buf, len);
}

long
bench_dpdk_pipe_recv(struct bench_dpdk_pipe *p, void *buf, size_t cap)
{
	return dd_recv(p->pc, buf, cap);
}

void
bench_dpdk_pipe_close(struct bench_dpdk_pipe *p)
{
	if (p == NULL)
		return;
	dd_conn_free(p->pc);
	free(p);
}

/* Busy polling: receive, run every handle that has input or a due
 * timer, until the deadline (or a completion, with BENCH_POLL_WAKE). */
static void
dd_poll(struct bench_conn *const *cs, int n, uint64_t deadline, unsigned flags)
{
	uint64_t start_events = bench_dz_events, now;
	int i;

	for (;;) {
		dd_port_poll();
		now = dpzk_now();
		for (i = 0; i < n; i++) {
			struct dd_conn *pc;
			struct dpzk_handle *zh;

			if (cs[i] == NULL)
				continue;
			pc = bench_dz_tp(cs[i]);
			zh = bench_dz_handle(cs[i]);
			if (!rte_ring_empty(pc->rx) ||
			    dpzk_next_deadline(zh) <= now)
				dpzk_process(zh, now);
		}
		if ((flags & BENCH_POLL_WAKE) &&
		    bench_dz_events != start_events)
			break;
		if (now >= deadline)
			break;
	}
}

static int
dd_server_version(const char *hosts, char *buf, size_t len)
{
	(void)hosts;
	bench_msg(buf, len,
		  "dpzk-server (version not asked: libdpzk has no "
		  "four-letter-word call yet)");
	return 0;
}

const struct bench_target_ops bench_target_dpzk_dpdk = {
	.name = "dpzk-dpdk",
	.transport = dd_transport,
	.threaded_callbacks = false,
	.available = dd_available,
	.connect = dd_connect,
	.close = bench_dz_close,
	.get = bench_dz_get,
	.exists = bench_dz_exists,
	.set = bench_dz_set,
	.create = bench_dz_create,
	.del = bench_dz_del,
	.children = bench_dz_children,
	.poll = dd_poll,
	.server_version = dd_server_version,
};
