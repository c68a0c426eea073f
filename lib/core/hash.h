/*
 * Content hashing: XXH3-128 through libxxhash's streaming API, with the
 * run-time CPU dispatch (AVX2 where present) when the library has it.
 * Hashes print in the canonical lowercase hex of `xxhsum -H2`.
 */
#ifndef HASH_H
#define HASH_H

#include <stddef.h>
#include <sys/types.h>

#define HASH_LEN	16
#define HASH_HEX_LEN	(2 * HASH_LEN)

struct hash {
	void		*state;		/* XXH3_state_t */
};

/* Start a hash.  Returns 0, or -1 with errno ENOMEM. */
int	hash_init(struct hash *);
void	hash_update(struct hash *, const void *, size_t);
/* Finish into out (canonical byte order) and free the state. */
void	hash_final(struct hash *, unsigned char *);
void	hash_free(struct hash *);

/* The hash of a buffer in one call. */
void	hash_buf(const void *, size_t, unsigned char *);

/* The size of the buffer hash_fd reads through. */
#define HASH_FD_BUF	((1 << 20) + 1)

/*
 * Hash the whole content of the regular file fd from offset 0, reading
 * through buf (HASH_FD_BUF bytes).  size is what stat said (-1: unknown):
 * a first read that gets exactly that much is taken as the whole file,
 * saving the read that would return 0, and reading stops soon after it
 * (a device put in the file's place cannot make it read forever).
 * Returns 0 or -1 with errno.
 */
int	hash_fd(int, unsigned char *, char *, off_t);

/* out: HASH_HEX_LEN + 1 bytes, NUL-terminated lowercase hex. */
void	hash_hex(const unsigned char *, char *);

/*
 * Parse the HASH_HEX_LEN lowercase hex digits at s (all of them are read).
 * Returns 0, or -1 when one is not a lowercase hex digit.
 */
int	hash_parse(const char *, unsigned char *);

#endif
