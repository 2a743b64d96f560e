/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tree/path.c — ZooKeeper's path rules (PathUtils.validatePath) and the
 * reserved /zookeeper subtree.
 *
 * Why it is built this way: ZooKeeper checks paths as Java strings, i.e. as
 * UTF-16 code units, and rejects control characters, U+007F..U+009F,
 * U+D800..U+F8FF (which includes both halves of every surrogate pair, so no
 * character outside the BMP is allowed) and U+FFF0..U+FFFF.  We get UTF-8
 * bytes, so we decode them and apply the same ranges; bytes that are not
 * valid UTF-8 would decode to U+FFFD in Java, which is rejected too.
 */
#include <string.h>

#include "tree/tree_priv.h"

/* Decodes one UTF-8 character at p[0..len); returns its length and the code
 * point in *cp, or 0 when malformed. */
static size_t
utf8_next(const unsigned char *p, size_t len, uint32_t *cp)
{
	unsigned char c = p[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t n;
	uint32_t v, min;
	if ((c & 0xe0) == 0xc0) {
		n = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff)
		return 0;
	*cp = v;
	return n;
}

bool
path_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	if (len == 0 || p[0] != '/')
		return false;
	if (len == 1)
		return true;
	if (p[len - 1] == '/')
		return false;
	uint32_t last = '/';
	for (size_t i = 1; i < len;) {
		uint32_t c;
		size_t n;
		unsigned char b = p[i];
		/* fast path: printable ASCII other than '/' and '.' */
		if (b > 0x2f && b < 0x7f) {
			last = b;
			i++;
			continue;
		}
		n = utf8_next(p + i, len - i, &c);
		if (n == 0)
			return false;
		if (c == 0)
			return false;
		if (c == '/' && last == '/')
			return false;
		if (c == '.' && last == '.') {
			if (p[i - 2] == '/' &&
			    (i + 1 == len || p[i + 1] == '/'))
				return false;
		} else if (c == '.') {
			if (p[i - 1] == '/' &&
			    (i + 1 == len || p[i + 1] == '/'))
				return false;
		} else if ((c > 0 && c <= 0x1f) || (c >= 0x7f && c <= 0x9f) ||
			   (c >= 0xd800 && c <= 0xf8ff) || c >= 0xfff0) {
			/* >= 0x10000 is a surrogate pair in Java: rejected */
			return false;
		}
		last = c;
		i += n;
	}
	return true;
}

size_t
path_parent_len(const char *p, size_t len)
{
	size_t i = len;
	while (i > 0 && p[i - 1] != '/')
		i--;
	/* i is just past the last '/'; the parent is p[0..i-1), or "/" */
	return i <= 1 ? 1 : i - 1;
}

static bool
eq(const char *p, size_t len, const char *lit)
{
	size_t l = strlen(lit);
	return len == l && memcmp(p, lit, l) == 0;
}

bool
path_is_reserved(const char *p, size_t len)
{
	return eq(p, len, "/") || eq(p, len, "/zookeeper") ||
	       eq(p, len, "/zookeeper/quota") ||
	       eq(p, len, "/zookeeper/config");
}
