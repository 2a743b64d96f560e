/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gateway/main.c — the dpzk-gateway executable: parse the command line,
 * run the loop (gateway/gw.c).  Kept apart from the library so the unit
 * tests link everything else.
 */
#include <errno.h>

#include "gateway/gateway.h"

int
main(int argc, char **argv)
{
	struct gw_config cfg;
	int rc = gw_config_parse(&cfg, argc, argv);

	if (rc == 1)
		return 0;
	if (rc < 0)
		return 2;
	return gw_run(&cfg) == 0 ? 0 : 1;
}
