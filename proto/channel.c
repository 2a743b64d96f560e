/* SPDX-License-Identifier: Apache-2.0 */
/* proto/channel.c — being written. */
#include "proto/proto.h"
