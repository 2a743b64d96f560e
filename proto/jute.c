/* SPDX-License-Identifier: Apache-2.0 */
/* proto/jute.c — being written. */
#include "proto/proto.h"
