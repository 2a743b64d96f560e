/* SPDX-License-Identifier: Apache-2.0 */
/* proto/records.c — being written. */
#include "proto/proto.h"
