/*
 * Streaming message digests for checking the md5digest, sha1digest,
 * sha256digest, sha384digest and sha512digest keywords of mtree specs:
 * MD5 (RFC 1321), SHA-1, SHA-256, SHA-384 and SHA-512 (FIPS 180-4) in
 * plain portable C, with no allocation in the streaming interface.
 */
#ifndef DIGEST_H
#define DIGEST_H

#include <stddef.h>
#include <stdint.h>

enum digest_type {
	DIGEST_MD5,
	DIGEST_SHA1,
	DIGEST_SHA256,
	DIGEST_SHA384,
	DIGEST_SHA512
};

/* The longest digest_len(), in bytes. */
#define DIGEST_MAX	64

struct digest {
	enum digest_type type;
	union {				/* chaining state of the algorithm */
		uint32_t	w32[8];	/* MD5, SHA-1, SHA-256 */
		uint64_t	w64[8];	/* SHA-384, SHA-512 */
	} h;
	uint64_t	count;		/* bytes consumed so far */
	unsigned char	buf[128];	/* partial block, count % block size */
};

/* The length of a digest in bytes: 16, 20, 32, 48 or 64. */
size_t	digest_len(enum digest_type);

/* The lowercase name: "md5", "sha1", "sha256", "sha384" or "sha512". */
const char *digest_name(enum digest_type);

void	digest_init(struct digest *, enum digest_type);
void	digest_update(struct digest *, const void *, size_t);
/* Write digest_len() bytes to out.  The digest must be re-initialised
 * before it is used again. */
void	digest_final(struct digest *, unsigned char *);

/*
 * Digest the whole content of fd from offset 0, read with pread(2) so
 * the file offset is left alone.  Returns 0, or -1 with errno set by
 * pread (EINTR is retried) or ENOMEM.
 */
int	digest_fd(enum digest_type, int, unsigned char *);

#endif
