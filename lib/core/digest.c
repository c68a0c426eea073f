/*
 * MD5 after RFC 1321 and SHA-1, SHA-256, SHA-384, SHA-512 after FIPS
 * 180-4, written for checking mtree digests rather than for secrecy: no
 * state wiping, no constant-time concerns beyond what the algorithms
 * give.  Words are loaded and stored byte by byte in the byte order the
 * standard names, so the code does not depend on the host's.  Each
 * algorithm is a compression function over one block; the buffering and
 * padding around it are shared.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/digest.h"

#define DIGEST_FD_BUF	(256 * 1024)

static inline uint32_t
rol32(uint32_t x, int n)
{
	return x << n | x >> (32 - n);
}

static inline uint32_t
ror32(uint32_t x, int n)
{
	return x >> n | x << (32 - n);
}

static inline uint64_t
ror64(uint64_t x, int n)
{
	return x >> n | x << (64 - n);
}

static inline uint32_t
load_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline uint32_t
load_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline uint64_t
load_be64(const unsigned char *p)
{
	return (uint64_t)load_be32(p) << 32 | load_be32(p + 4);
}

static inline void
store_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static inline void
store_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static inline void
store_be64(unsigned char *p, uint64_t v)
{
	store_be32(p, (uint32_t)(v >> 32));
	store_be32(p + 4, (uint32_t)v);
}

/* RFC 1321 3.4: floor(abs(sin(i + 1)) * 2^32). */
static const uint32_t md5_k[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee,
	0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
	0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
	0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
	0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa,
	0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
	0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
	0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
	0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
	0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05,
	0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039,
	0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
	0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

/* FIPS 180-4 4.2.2: the first 32 bits of the cube roots of 64 primes. */
static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
	0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
	0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
	0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* FIPS 180-4 4.2.3: the first 64 bits of the cube roots of 80 primes. */
static const uint64_t sha512_k[80] = {
	0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL,
	0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
	0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL,
	0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
	0xd807aa98a3030242ULL, 0x12835b0145706fbeULL,
	0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
	0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL,
	0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
	0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL,
	0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
	0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL,
	0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
	0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL,
	0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
	0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL,
	0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
	0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL,
	0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
	0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL,
	0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
	0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL,
	0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
	0xd192e819d6ef5218ULL, 0xd69906245565a910ULL,
	0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
	0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL,
	0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
	0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL,
	0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
	0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL,
	0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
	0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL,
	0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
	0xca273eceea26619cULL, 0xd186b8c721c0c207ULL,
	0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
	0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL,
	0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
	0x28db77f523047d84ULL, 0x32caab7b40c72493ULL,
	0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
	0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL,
	0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL,
};

/* Initial hash values: RFC 1321 3.3 and FIPS 180-4 5.3. */
static const uint32_t sha1_iv[5] = {
	0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0,
};
static const uint32_t sha256_iv[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};
static const uint64_t sha384_iv[8] = {
	0xcbbb9d5dc1059ed8ULL, 0x629a292a367cd507ULL,
	0x9159015a3070dd17ULL, 0x152fecd8f70e5939ULL,
	0x67332667ffc00b31ULL, 0x8eb44a8768581511ULL,
	0xdb0c2e0d64f98fa7ULL, 0x47b5481dbefa4fa4ULL,
};
static const uint64_t sha512_iv[8] = {
	0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL,
	0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
	0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL,
	0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
};

/* RFC 1321 3.4.  The message word of step i is m[(mul * i + add) % 16]. */
#define MD5_F(x, y, z)	((z) ^ ((x) & ((y) ^ (z))))
#define MD5_G(x, y, z)	((y) ^ ((z) & ((x) ^ (y))))
#define MD5_H(x, y, z)	((x) ^ (y) ^ (z))
#define MD5_I(x, y, z)	((y) ^ ((x) | ~(z)))
#define MD5_STEP(f, a, b, c, d, i, mul, add, s)				\
	((a) = (b) + rol32((a) + f(b, c, d) + md5_k[i] +		\
	    m[((mul) * (i) + (add)) & 15], s))
#define MD5_ROUND(f, mul, add, s0, s1, s2, s3)				\
	for (j = i + 16; i < j; i += 4) {				\
		MD5_STEP(f, a, b, c, d, i, mul, add, s0);		\
		MD5_STEP(f, d, a, b, c, i + 1, mul, add, s1);		\
		MD5_STEP(f, c, d, a, b, i + 2, mul, add, s2);		\
		MD5_STEP(f, b, c, d, a, i + 3, mul, add, s3);		\
	}

static void
md5_block(struct digest *dg, const unsigned char *p)
{
	uint32_t *h = dg->h.w32, m[16];
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
	int i, j;

	for (i = 0; i < 16; i++)
		m[i] = load_le32(p + 4 * i);
	i = 0;
	MD5_ROUND(MD5_F, 1, 0, 7, 12, 17, 22)
	MD5_ROUND(MD5_G, 5, 1, 5, 9, 14, 20)
	MD5_ROUND(MD5_H, 3, 5, 4, 11, 16, 23)
	MD5_ROUND(MD5_I, 7, 0, 6, 10, 15, 21)
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
}

/*
 * FIPS 180-4 6.1.2, five steps per iteration with the variables rotated
 * by name.  The schedule is expanded in place in 16 words as the steps
 * need it: gcc vectorises a separate expansion loop into overlapping
 * loads and stores that stall on store forwarding, at half the speed.
 */
#define SHA1_F0(x, y, z)	((z) ^ ((x) & ((y) ^ (z))))
#define SHA1_F1(x, y, z)	((x) ^ (y) ^ (z))
#define SHA1_F2(x, y, z)	(((x) & (y)) | ((z) & ((x) | (y))))
#define SHA1_STEP(f, k, a, b, c, d, e, i) do {				\
	(e) += rol32(a, 5) + f(b, c, d) + (k) + sha1_w(w, i);		\
	(b) = rol32(b, 30);						\
} while (0)
#define SHA1_ROUND(f, k)						\
	for (j = i + 20; i < j; i += 5) {				\
		SHA1_STEP(f, k, a, b, c, d, e, i);			\
		SHA1_STEP(f, k, e, a, b, c, d, i + 1);			\
		SHA1_STEP(f, k, d, e, a, b, c, i + 2);			\
		SHA1_STEP(f, k, c, d, e, a, b, i + 3);			\
		SHA1_STEP(f, k, b, c, d, e, a, i + 4);			\
	}

static inline uint32_t
sha1_w(uint32_t *w, int i)
{
	if (i < 16)
		return w[i];
	return w[i & 15] = rol32(w[(i + 13) & 15] ^ w[(i + 8) & 15] ^
	    w[(i + 2) & 15] ^ w[i & 15], 1);
}

static void
sha1_block(struct digest *dg, const unsigned char *p)
{
	uint32_t *h = dg->h.w32, w[16];
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
	int i, j;

	for (i = 0; i < 16; i++)
		w[i] = load_be32(p + 4 * i);
	i = 0;
	SHA1_ROUND(SHA1_F0, 0x5a827999)
	SHA1_ROUND(SHA1_F1, 0x6ed9eba1)
	SHA1_ROUND(SHA1_F2, 0x8f1bbcdc)
	SHA1_ROUND(SHA1_F1, 0xca62c1d6)
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

/* FIPS 180-4 4.1.2 and 6.2.2. */
static void
sha256_block(struct digest *dg, const unsigned char *p)
{
	uint32_t *h = dg->h.w32, w[64];
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
	uint32_t e = h[4], f = h[5], g = h[6], k = h[7];
	int i;

	for (i = 0; i < 16; i++)
		w[i] = load_be32(p + 4 * i);
	for (; i < 64; i++)
		w[i] = (ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^
		    w[i - 2] >> 10) + w[i - 7] + (ror32(w[i - 15], 7) ^
		    ror32(w[i - 15], 18) ^ w[i - 15] >> 3) + w[i - 16];
	for (i = 0; i < 64; i++) {
		uint32_t t1, t2;

		t1 = k + (ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25)) +
		    (g ^ (e & (f ^ g))) + sha256_k[i] + w[i];
		t2 = (ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)) +
		    ((a & b) | (c & (a | b)));
		k = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += k;
}

/* FIPS 180-4 4.1.3 and 6.4.2; SHA-384 differs only in IV and length. */
static void
sha512_block(struct digest *dg, const unsigned char *p)
{
	uint64_t *h = dg->h.w64, w[80];
	uint64_t a = h[0], b = h[1], c = h[2], d = h[3];
	uint64_t e = h[4], f = h[5], g = h[6], k = h[7];
	int i;

	for (i = 0; i < 16; i++)
		w[i] = load_be64(p + 8 * i);
	for (; i < 80; i++)
		w[i] = (ror64(w[i - 2], 19) ^ ror64(w[i - 2], 61) ^
		    w[i - 2] >> 6) + w[i - 7] + (ror64(w[i - 15], 1) ^
		    ror64(w[i - 15], 8) ^ w[i - 15] >> 7) + w[i - 16];
	for (i = 0; i < 80; i++) {
		uint64_t t1, t2;

		t1 = k + (ror64(e, 14) ^ ror64(e, 18) ^ ror64(e, 41)) +
		    (g ^ (e & (f ^ g))) + sha512_k[i] + w[i];
		t2 = (ror64(a, 28) ^ ror64(a, 34) ^ ror64(a, 39)) +
		    ((a & b) | (c & (a | b)));
		k = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += k;
}

static const struct algo {
	const char	*name;
	size_t		 len;		/* digest bytes */
	size_t		 block;		/* block bytes, a power of two */
	const void	*iv;
	size_t		 ivlen;
	void		(*compress)(struct digest *, const unsigned char *);
} algos[] = {
	{ "md5", 16, 64, sha1_iv, 4 * 4, md5_block },
	{ "sha1", 20, 64, sha1_iv, 5 * 4, sha1_block },
	{ "sha256", 32, 64, sha256_iv, 8 * 4, sha256_block },
	{ "sha384", 48, 128, sha384_iv, 8 * 8, sha512_block },
	{ "sha512", 64, 128, sha512_iv, 8 * 8, sha512_block },
};

size_t
digest_len(enum digest_type type)
{
	return algos[type].len;
}

const char *
digest_name(enum digest_type type)
{
	return algos[type].name;
}

void
digest_init(struct digest *d, enum digest_type type)
{
	memset(d, 0, sizeof(*d));
	d->type = type;
	/* MD5's A, B, C, D are SHA-1's first four words. */
	memcpy(&d->h, algos[type].iv, algos[type].ivlen);
}

void
digest_update(struct digest *d, const void *data, size_t n)
{
	const struct algo *a = &algos[d->type];
	const unsigned char *p = data;
	size_t used = (size_t)d->count & (a->block - 1);

	if (n == 0)
		return;
	d->count += n;
	if (used > 0) {
		size_t take = a->block - used < n ? a->block - used : n;
		memcpy(d->buf + used, p, take);
		if (used + take < a->block)
			return;
		a->compress(d, d->buf);
		p += take;
		n -= take;
	}
	for (; n >= a->block; p += a->block, n -= a->block)
		a->compress(d, p);
	if (n > 0)
		memcpy(d->buf, p, n);
}

void
digest_final(struct digest *d, unsigned char *out)
{
	const struct algo *a = &algos[d->type];
	size_t used = (size_t)d->count & (a->block - 1), i;
	size_t lenat = a->block - (a->block == 128 ? 16 : 8);

	/* Pad with one bit, zeros, then the bit length in the last 8 or
	 * 16 bytes of a block, spilling into a new block if need be. */
	d->buf[used++] = 0x80;
	if (used > lenat) {
		memset(d->buf + used, 0, a->block - used);
		a->compress(d, d->buf);
		used = 0;
	}
	memset(d->buf + used, 0, a->block - used);
	if (d->type == DIGEST_MD5) {
		store_le32(d->buf + 56, (uint32_t)(d->count << 3));
		store_le32(d->buf + 60, (uint32_t)(d->count >> 29));
	} else {
		if (a->block == 128)
			store_be64(d->buf + 112, d->count >> 61);
		store_be64(d->buf + a->block - 8, d->count << 3);
	}
	a->compress(d, d->buf);

	for (i = 0; i < a->len / 4; i++) {
		if (d->type == DIGEST_MD5)
			store_le32(out + 4 * i, d->h.w32[i]);
		else if (a->block == 64)
			store_be32(out + 4 * i, d->h.w32[i]);
		else if (i % 2 == 0)
			store_be64(out + 4 * i, d->h.w64[i / 2]);
	}
}

int
digest_fd(enum digest_type type, int fd, unsigned char *out)
{
	struct digest d;
	unsigned char *buf;
	off_t off = 0;
	ssize_t r;
	int saved;

	if ((buf = malloc(DIGEST_FD_BUF)) == NULL)
		return -1;
	digest_init(&d, type);
	while ((r = pread(fd, buf, DIGEST_FD_BUF, off)) != 0) {
		if (r == -1) {
			if (errno == EINTR)
				continue;
			saved = errno;
			free(buf);
			errno = saved;
			return -1;
		}
		digest_update(&d, buf, (size_t)r);
		off += r;
	}
	free(buf);
	digest_final(&d, out);
	return 0;
}
