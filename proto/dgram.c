/* SPDX-License-Identifier: Apache-2.0 */
/* proto/dgram.c — being written. */
#include "proto/proto.h"
