/* SPDX-License-Identifier: Apache-2.0 */
/* proto/txn.c — being written. */
#include "proto/proto.h"
