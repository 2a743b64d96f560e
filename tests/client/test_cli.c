/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/client/test_cli.c — dpzk-cli (path given as argv[1]) against the
 * in-test fake server: one-shot commands, zkCli's error wording and exit
 * status, a script on stdin, and the --latency loop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fakesrv.h"

static const char *cli;
static struct fakesrv *fs;

/* Runs `dpzk-cli -s <fake> <args>` (stdin from `input` if given),
 * returns the exit status and stdout+stderr in out. */
static int
run(const char *args, const char *input, char *out, size_t cap)
{
	char cmd[1024], tmp[] = "/tmp/dpzk-cli-in-XXXXXX";
	FILE *p;
	size_t n;
	int st, fd = -1;

	if (input) {
		fd = mkstemp(tmp);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, input, strlen(input)),
				 (ssize_t)strlen(input));
		close(fd);
	}
	snprintf(cmd, sizeof(cmd), "%s -s %s -t 5000 %s < %s 2>&1", cli,
		 fakesrv_addr(fs), args, input ? tmp : "/dev/null");
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	st = pclose(p);
	if (input)
		unlink(tmp);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
test_one_shot_create_get(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(run("create /x hello", NULL, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "Created /x"));
	assert_int_equal(run("get /x", NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "hello\n");
	assert_int_equal(run("get -s /x", NULL, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "dataVersion = 0"));
	assert_non_null(strstr(out, "dataLength = 5"));
}

static void
test_errors_worded_like_zkcli(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(run("get /nope", NULL, out, sizeof(out)), 1);
	assert_string_equal(out, "Node does not exist: /nope\n");
	run("create /dupe", NULL, out, sizeof(out));
	assert_int_equal(run("create /dupe", NULL, out, sizeof(out)), 1);
	assert_string_equal(out, "Node already exists: /dupe\n");
	assert_int_equal(run("frobnicate", NULL, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "Command not found"));
}

static void
test_script_on_stdin(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(run("",
			     "create /s one\nset /s 'two words'\nget /s\n"
			     "create /s/k\nls /s\nhistory\nquit\n",
			     out, sizeof(out)),
			 0);
	assert_non_null(strstr(out, "two words\n"));
	assert_non_null(strstr(out, "[k]\n"));
	assert_non_null(strstr(out, "0 - create /s one"));
}

static void
test_recursive_ls_and_deleteall(void **state)
{
	char out[4096];

	(void)state;
	int rc = run("",
		     "create /r\ncreate /r/a\ncreate /r/a/b\n"
		     "create /r/c\nls -R /r\ndeleteall /r\n"
		     "stat /r\n",
		     out, sizeof(out));

	printf("%s", out); /* what the shell said, for the log */
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "/r\n/r/a\n/r/a/b\n/r/c\n"));
	assert_non_null(strstr(out, "Node does not exist: /r\n"));
}

static void
test_latency_mode_prints_percentiles(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(run("--latency 200 /lat", NULL, out, sizeof(out)), 0);
	printf("%s", out); /* figures against the fake server, for the log */
	assert_non_null(strstr(out, "getData  n=200"));
	assert_non_null(strstr(out, "setData  n=200"));
	assert_non_null(strstr(out, "p99.9="));
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_shot_create_get),
		cmocka_unit_test(test_errors_worded_like_zkcli),
		cmocka_unit_test(test_script_on_stdin),
		cmocka_unit_test(test_recursive_ls_and_deleteall),
		cmocka_unit_test(test_latency_mode_prints_percentiles),
	};
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: test_cli path/to/dpzk-cli\n");
		return 77;
	}
	cli = argv[1];
	fs = fakesrv_start(NULL);
	if (fs == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	fakesrv_stop(fs);
	return rc;
}
