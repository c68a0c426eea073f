/*
 * XXH3-128 hashing.  The _dispatch entry points pick the widest vector
 * unit at run time; configure enables them when xxh_x86dispatch.h exists.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>
#ifdef HAVE_XXH_X86DISPATCH_H
#include <xxh_x86dispatch.h>
#define UPDATE	XXH3_128bits_update_dispatch
#define ONESHOT	XXH3_128bits_dispatch
#else
#define UPDATE	XXH3_128bits_update
#define ONESHOT	XXH3_128bits
#endif

#include "core/hash.h"

/* Files up to this size are hashed in one call. */
#define HASH_BUF	(HASH_FD_BUF - 1)

int
hash_init(struct hash *h)
{
	XXH3_state_t *st;

	if ((st = XXH3_createState()) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	XXH3_128bits_reset(st);
	h->state = st;
	return 0;
}

void
hash_update(struct hash *h, const void *p, size_t n)
{
	(void)UPDATE(h->state, p, n);
}

static void
canonical(XXH128_hash_t v, unsigned char *out)
{
	XXH128_canonical_t c;

	XXH128_canonicalFromHash(&c, v);
	memcpy(out, c.digest, HASH_LEN);
}

void
hash_final(struct hash *h, unsigned char *out)
{
	canonical(XXH3_128bits_digest(h->state), out);
	hash_free(h);
}

void
hash_free(struct hash *h)
{
	if (h->state != NULL)
		XXH3_freeState(h->state);
	h->state = NULL;
}

void
hash_buf(const void *p, size_t n, unsigned char *out)
{
	canonical(ONESHOT(p, n), out);
}

int
hash_fd(int fd, unsigned char *out, char *buf, off_t size)
{
	struct hash h;
	off_t off = 0;
	ssize_t r, first;

	while ((first = pread(fd, buf, HASH_BUF, 0)) == -1 && errno == EINTR)
		;
	if (first == -1)
		return -1;
	/*
	 * Most files fit the buffer: one call, no streaming state.  (Pseudo
	 * files say size 0 and may return less than they hold: read on.)
	 */
	if (first < HASH_BUF && first == size && size > 0) {
		hash_buf(buf, (size_t)first, out);
		return 0;
	}
	if (first < HASH_BUF) {
		while ((r = pread(fd, buf + first, 1, first)) == -1 &&
		    errno == EINTR)
			;
		if (r == -1)
			return -1;
		if (r == 0) {
			hash_buf(buf, (size_t)first, out);
			return 0;
		}
	}
	if (hash_init(&h) == -1)
		return -1;
	hash_update(&h, buf, (size_t)first);
	off = first;
	for (;;) {
		/* Past the size stat gave, one byte tells it changed. */
		if (size > 0 && off > size)
			break;
		r = pread(fd, buf, HASH_BUF, off);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			hash_free(&h);
			return -1;
		}
		if (r == 0)
			break;
		hash_update(&h, buf, (size_t)r);
		off += r;
	}
	hash_final(&h, out);
	return 0;
}

void
hash_hex(const unsigned char *v, char *out)
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < HASH_LEN; i++) {
		out[2 * i] = digits[v[i] >> 4];
		out[2 * i + 1] = digits[v[i] & 15];
	}
	out[HASH_HEX_LEN] = '\0';
}

int
hash_parse(const char *s, unsigned char *out)
{
	/* Each lowercase hex digit's value plus one; 0 for anything else. */
	static const unsigned char value[256] = {
		['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
		['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
		['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15,
		['f'] = 16,
	};
	unsigned hi, lo, bad = 0;
	int i;

	for (i = 0; i < HASH_LEN; i++) {
		hi = value[(unsigned char)s[2 * i]];
		lo = value[(unsigned char)s[2 * i + 1]];
		bad |= (hi == 0) | (lo == 0);
		out[i] = (unsigned char)((hi - 1) << 4 | (lo - 1));
	}
	return bad ? -1 : 0;
}
