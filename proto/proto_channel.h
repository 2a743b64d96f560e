/* SPDX-License-Identifier: Apache-2.0 */
/* proto/proto_channel.h — the channel state machine's API (being written).
 * Included from proto/proto.h; do not include directly. */
#ifndef DPZK_PROTO_CHANNEL_H
#define DPZK_PROTO_CHANNEL_H
#endif
