/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/ens/test_ens_config.c — the pure parts of dataplane/ens.c: the
 * ensemble configuration keys (server.N lines, secret, limits, timing
 * profiles) with their cross checks, and the role and ensemble lines of
 * the four-letter-word answers (mgmt/admin.c, from the published stats).  No
 * EAL, no network: the real-process behaviour is in ens.sh.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/ens.h"
#include "dataplane/srv.h"
#include "mgmt/mgmt.h"

#define SECRET "00112233445566778899aabbccddeeff"

static int
set(struct ens_config *c, const char *k, const char *v)
{
	char why[256] = "";

	return ens_config_set(c, k, v, why, sizeof(why));
}

static void
test_server_line_parses(void **state)
{
	struct ens_config c;

	(void)state;
	ens_config_defaults(&c);
	assert_int_equal(set(&c, "server.2", "198.18.0.12:2888:3888"), 0);
	assert_int_equal(set(&c, "server.4", "10.0.0.4:2889:3889:observer"), 0);
	assert_int_equal(c.n_servers, 2);
	assert_int_equal(c.srv[0].id, 2);
	assert_int_equal(c.srv[0].ip, (198u << 24) | (18u << 16) | 12u);
	assert_int_equal(c.srv[0].peer_port, 2888);
	assert_int_equal(c.srv[0].election_port, 3888);
	assert_false(c.srv[0].observer);
	assert_true(c.srv[1].observer);
	assert_int_equal(c.srv[1].peer_port, 2889);
}

static void
test_server_line_replaced_by_same_id(void **state)
{
	struct ens_config c;

	(void)state;
	ens_config_defaults(&c);
	assert_int_equal(set(&c, "server.1", "10.0.0.1:2888:3888"), 0);
	assert_int_equal(set(&c, "server.1", "10.0.0.9:2888:3888"), 0);
	assert_int_equal(c.n_servers, 1);
	assert_int_equal(c.srv[0].ip & 255, 9);
}

static void
test_bad_server_lines_refused(void **state)
{
	struct ens_config c;

	(void)state;
	ens_config_defaults(&c);
	assert_int_equal(set(&c, "server.1", "10.0.0.1:2888"), -EINVAL);
	assert_int_equal(set(&c, "server.1", "10.0.0.300:2888:3888"), -EINVAL);
	assert_int_equal(set(&c, "server.1", "10.0.0.1:0:3888"), -EINVAL);
	assert_int_equal(set(&c, "server.1", "10.0.0.1:2888:70000"), -EINVAL);
	assert_int_equal(set(&c, "server.1", "10.0.0.1:2888:3888:boss"),
			 -EINVAL);
	assert_int_equal(set(&c, "server.0", "10.0.0.1:2888:3888"), -EINVAL);
	assert_int_equal(set(&c, "server.256", "10.0.0.1:2888:3888"), -EINVAL);
	assert_int_equal(set(&c, "server.x", "10.0.0.1:2888:3888"), -EINVAL);
	assert_int_equal(c.n_servers, 0);
}

static void
test_secret_must_be_32_hex(void **state)
{
	struct ens_config c;

	(void)state;
	ens_config_defaults(&c);
	assert_int_equal(set(&c, "ensemble_secret", "0011"), -EINVAL);
	assert_int_equal(
		set(&c, "ensemble_secret", "zz112233445566778899aabbccddeeff"),
		-EINVAL);
	assert_false(c.secret_set);
	assert_int_equal(set(&c, "ensemble-secret", SECRET), 0);
	assert_true(c.secret_set);
	assert_int_equal(c.secret[0], 0x00);
	assert_int_equal(c.secret[15], 0xff);
}

static void
test_limits_parse_and_bound(void **state)
{
	struct ens_config c;

	(void)state;
	ens_config_defaults(&c);
	assert_int_equal(set(&c, "init_limit", "50"), 0);
	assert_int_equal(set(&c, "sync_limit", "20"), 0);
	assert_int_equal(set(&c, "zab_tick_ms", "2"), 0);
	assert_int_equal(set(&c, "zab_window_entries", "16"), 0);
	assert_int_equal(c.init_limit, 50);
	assert_int_equal(c.sync_limit, 20);
	assert_int_equal(c.tick_ms, 2);
	assert_int_equal(c.hist_entries, 16);
	assert_int_equal(set(&c, "init_limit", "0"), -EINVAL);
	assert_int_equal(set(&c, "zab_tick_ms", "ten"), -EINVAL);
	assert_int_equal(set(&c, "zab_window_entries", "8"), -EINVAL);
}

static void
test_default_timing_is_conservative(void **state)
{
	struct ens_config c;

	(void)state;
	ens_config_defaults(&c);
	assert_string_equal(c.timing, "default");
	assert_int_equal(c.tick_ms, 10);
	assert_int_equal(c.sync_limit, 100);
	assert_int_equal(c.init_limit, 200);
	assert_int_equal(c.ping_ticks, 5);
}

static void
test_low_latency_profile_sets_every_timer(void **state)
{
	struct ens_config c;

	(void)state;
	ens_config_defaults(&c);
	assert_int_equal(set(&c, "timing", "low-latency"), 0);
	assert_string_equal(c.timing, "low-latency");
	assert_int_equal(c.tick_ms, 5);
	assert_int_equal(c.sync_limit, 12);
	assert_int_equal(c.ping_ticks, 2);
	assert_int_equal(c.election_ticks, 2);
	assert_int_equal(c.election_max_ticks, 20);
	assert_int_equal(c.finalize_ticks, 1);
	/* the silence limit spans several heartbeats */
	assert_true(c.sync_limit >= 4 * c.ping_ticks);
}

static void
test_explicit_key_wins_over_profile_in_any_order(void **state)
{
	struct ens_config c;

	(void)state;
	ens_config_defaults(&c);
	assert_int_equal(set(&c, "sync_limit", "30"), 0);
	assert_int_equal(set(&c, "timing", "low-latency"), 0);
	assert_int_equal(c.sync_limit, 30);
	assert_int_equal(c.tick_ms, 5);
	assert_int_equal(set(&c, "zab_tick_ms", "7"), 0);
	assert_int_equal(c.tick_ms, 7);
	assert_int_equal(set(&c, "timing", "default"), 0);
	assert_int_equal(c.tick_ms, 7);
	assert_int_equal(c.sync_limit, 30);
	assert_int_equal(c.ping_ticks, 5);
}

static void
test_unknown_timing_profile_refused(void **state)
{
	struct ens_config c;

	(void)state;
	ens_config_defaults(&c);
	assert_int_equal(set(&c, "timing", "fast"), -EINVAL);
	assert_string_equal(c.timing, "default");
}

static void
test_unknown_key_is_not_ours(void **state)
{
	struct ens_config c;

	(void)state;
	ens_config_defaults(&c);
	assert_int_equal(set(&c, "max_sessions", "10"), -ENOENT);
	assert_int_equal(set(&c, "servers", "1"), -ENOENT);
}

static void
test_check_needs_self_and_secret(void **state)
{
	struct ens_config c;
	char why[256];

	(void)state;
	ens_config_defaults(&c);
	/* standalone: nothing to check */
	assert_int_equal(ens_config_check(&c, 1, why, sizeof(why)), 0);
	assert_int_equal(set(&c, "server.1", "10.0.0.1:2888:3888"), 0);
	assert_int_equal(set(&c, "server.2", "10.0.0.2:2888:3888"), 0);
	assert_int_equal(ens_config_check(&c, 1, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "ensemble_secret"));
	assert_int_equal(set(&c, "ensemble_secret", SECRET), 0);
	assert_int_equal(ens_config_check(&c, 3, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "server_id 3"));
	assert_int_equal(ens_config_check(&c, 2, why, sizeof(why)), 0);
}

static void
test_check_needs_a_voter(void **state)
{
	struct ens_config c;
	char why[256];

	(void)state;
	ens_config_defaults(&c);
	assert_int_equal(set(&c, "server.1", "10.0.0.1:2888:3888:observer"), 0);
	assert_int_equal(set(&c, "ensemble_secret", SECRET), 0);
	assert_int_equal(ens_config_check(&c, 1, why, sizeof(why)), -EINVAL);
}

static int
fmt(const char *word, const struct srv_stats *st, char *out, size_t cap)
{
	struct dp_config dc;
	struct srv_config sc;

	memset(&dc, 0, sizeof(dc));
	srv_config_defaults(&sc);
	return mgmt_format_4lw(word, st, &dc, &sc, out, cap);
}

static void
test_admin_role_comes_from_the_published_state(void **state)
{
	struct srv_stats st;
	char out[8192];

	(void)state;
	memset(&st, 0, sizeof(st));
	snprintf(st.server_state, sizeof(st.server_state), "follower");
	st.ensemble = true;
	assert_true(fmt("srvr", &st, out, sizeof(out)) > 0);
	assert_non_null(strstr(out, "Mode: follower\n"));
	assert_true(fmt("stat", &st, out, sizeof(out)) > 0);
	assert_non_null(strstr(out, "Mode: follower\n"));
	assert_true(fmt("mntr", &st, out, sizeof(out)) > 0);
	assert_non_null(strstr(out, "zk_server_state\tfollower\n"));
	assert_null(strstr(out, "standalone"));
}

static void
test_admin_standalone_has_no_ensemble_lines(void **state)
{
	struct srv_stats st;
	char out[8192];

	(void)state;
	memset(&st, 0, sizeof(st));
	snprintf(st.server_state, sizeof(st.server_state), "standalone");
	assert_true(fmt("mntr", &st, out, sizeof(out)) > 0);
	assert_non_null(strstr(out, "zk_server_state\tstandalone\n"));
	assert_null(strstr(out, "zk_dpzk_zab_epoch"));
	/* ZooKeeper's descriptor counts (Linux) */
	assert_non_null(strstr(out, "zk_open_file_descriptor_count\t"));
	assert_non_null(strstr(out, "zk_max_file_descriptor_count\t"));
	assert_true(fmt("srvr", &st, out, sizeof(out)) > 0);
	assert_non_null(strstr(out, "Mode: standalone\n"));
}

static void
test_admin_leader_lists_its_followers(void **state)
{
	struct srv_stats st;
	char out[8192];

	(void)state;
	memset(&st, 0, sizeof(st));
	snprintf(st.server_state, sizeof(st.server_state), "leader");
	st.ensemble = true;
	st.zab_leader = 2;
	st.zab_epoch = 7;
	st.zab_synced_followers = 2;
	st.zab_followers = 2;
	assert_true(fmt("mntr", &st, out, sizeof(out)) > 0);
	assert_non_null(strstr(out, "zk_dpzk_zab_leader\t2\n"));
	assert_non_null(strstr(out, "zk_dpzk_zab_epoch\t7\n"));
	assert_non_null(strstr(out, "zk_synced_followers\t2\n"));
	/* a follower does not print the leader's lines */
	snprintf(st.server_state, sizeof(st.server_state), "follower");
	assert_true(fmt("mntr", &st, out, sizeof(out)) > 0);
	assert_null(strstr(out, "zk_synced_followers"));
}

static void
test_admin_mntr_is_complete_with_ensemble_lines(void **state)
{
	struct srv_stats st;
	char out[8192];
	int n;

	(void)state;
	memset(&st, 0, sizeof(st));
	snprintf(st.server_state, sizeof(st.server_state), "leader");
	st.ensemble = true;
	st.lat_p999_ns = UINT64_MAX / 3;
	st.packets_received = UINT64_MAX / 3;
	n = fmt("mntr", &st, out, sizeof(out));
	/* well over 1 KiB: the ADMIN reply goes out in fragments (srv.c
	 * admin_reply), not cut at one datagram; the last line is there */
	assert_true(n > 1024);
	assert_non_null(strstr(out, "zk_dpzk_arena\t"));
	assert_int_equal(out[n - 1], '\n');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_line_parses),
		cmocka_unit_test(test_server_line_replaced_by_same_id),
		cmocka_unit_test(test_bad_server_lines_refused),
		cmocka_unit_test(test_secret_must_be_32_hex),
		cmocka_unit_test(test_limits_parse_and_bound),
		cmocka_unit_test(test_default_timing_is_conservative),
		cmocka_unit_test(test_low_latency_profile_sets_every_timer),
		cmocka_unit_test(
			test_explicit_key_wins_over_profile_in_any_order),
		cmocka_unit_test(test_unknown_timing_profile_refused),
		cmocka_unit_test(test_unknown_key_is_not_ours),
		cmocka_unit_test(test_check_needs_self_and_secret),
		cmocka_unit_test(test_check_needs_a_voter),
		cmocka_unit_test(
			test_admin_role_comes_from_the_published_state),
		cmocka_unit_test(test_admin_standalone_has_no_ensemble_lines),
		cmocka_unit_test(test_admin_leader_lists_its_followers),
		cmocka_unit_test(
			test_admin_mntr_is_complete_with_ensemble_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
