/*
 * Unit tests of the digest module: the published MD5 (RFC 1321) and
 * FIPS 180-4 vectors fed in many chunk sizes, digest_fd against
 * digest_update, and random inputs (and 512 MiB of zeros for MD5's
 * long length) cross-checked with coreutils' md5sum, sha1sum,
 * sha256sum, sha384sum and sha512sum.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/digest.h"

#include "check.h"

#define NTYPES	5
#define NRANDOM	301			/* random inputs of 0..300 bytes */
#define BIGLEN	(3 * 1024 * 1024 + 17)

static char dir[] = "/tmp/digest-test.XXXXXX";

static const char s448[] =
    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char s896[] =
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
    "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

/* Published vectors; a NULL input stands for one million 'a'. */
static const struct vector {
	enum digest_type type;
	const char	*in;
	const char	*hex;
} vectors[] = {
	{ DIGEST_MD5, "", "d41d8cd98f00b204e9800998ecf8427e" },
	{ DIGEST_MD5, "abc", "900150983cd24fb0d6963f7d28e17f72" },
	{ DIGEST_MD5, s448, "8215ef0796a20bcaaae116d3876c664a" },
	{ DIGEST_MD5, NULL, "7707d6ae4e027c70eea2a935c2296f21" },
	{ DIGEST_SHA1, "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
	{ DIGEST_SHA1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
	{ DIGEST_SHA1, s448, "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
	{ DIGEST_SHA1, NULL, "34aa973cd4c4daa4f61eeb2bdbad27316534016f" },
	{ DIGEST_SHA256, "", "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855" },
	{ DIGEST_SHA256, "abc", "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad" },
	{ DIGEST_SHA256, s448, "248d6a61d20638b8e5c026930c3e6039"
	    "a33ce45964ff2167f6ecedd419db06c1" },
	{ DIGEST_SHA256, NULL, "cdc76e5c9914fb9281a1c7e284d73e67"
	    "f1809a48a497200e046d39ccc7112cd0" },
	{ DIGEST_SHA384, "", "38b060a751ac96384cd9327eb1b1e36a"
	    "21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b" },
	{ DIGEST_SHA384, "abc", "cb00753f45a35e8bb5a03d699ac65007"
	    "272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7" },
	{ DIGEST_SHA384, s448, "3391fdddfc8dc7393707a65b1b470939"
	    "7cf8b1d162af05abfe8f450de5f36bc6b0455a8520bc4e6f5fe95b1fe3c8452b" },
	{ DIGEST_SHA384, s896, "09330c33f71147e83d192fc782cd1b47"
	    "53111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039" },
	{ DIGEST_SHA384, NULL, "9d0e1809716474cb086e834e310a4a1c"
	    "ed149e9c00f248527972cec5704c2a5b07b8b3dc38ecc4ebae97ddd87f3d8985" },
	{ DIGEST_SHA512, "", "cf83e1357eefb8bdf1542850d66d8007"
	    "d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f"
	    "63b931bd47417a81a538327af927da3e" },
	{ DIGEST_SHA512, "abc", "ddaf35a193617abacc417349ae204131"
	    "12e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
	    "454d4423643ce80e2a9ac94fa54ca49f" },
	{ DIGEST_SHA512, s448, "204a8fc6dda82f0a0ced7beb8e08a416"
	    "57c16ef468b228a8279be331a703c33596fd15c13b1b07f9aa1d3bea57789ca0"
	    "31ad85c7a71dd70354ec631238ca3445" },
	{ DIGEST_SHA512, s896, "8e959b75dae313da8cf4f72814fc143f"
	    "8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433a"
	    "c7d329eeb6dd26545e96e55b874be909" },
	{ DIGEST_SHA512, NULL, "e718483d0ce769644e2e42c7bc15b463"
	    "8e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31b"
	    "eb009c5c2c49aa2e4eadb217ad8cc09b" },
};

static const size_t chunks[] = {
	1, 3, 7, 55, 56, 57, 63, 64, 65, 111, 112, 113, 127, 128, 129,
	200, 255, 256, 257, 1000, 4096, 65536,
};

static unsigned char *big;		/* BIGLEN random bytes */

static void
hex(const unsigned char *v, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[v[i] >> 4];
		out[2 * i + 1] = digits[v[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The hex digest of p fed to digest_update chunk bytes at a time. */
static void
digest_chunked(enum digest_type t, const void *p, size_t n, size_t chunk,
    char *out)
{
	const unsigned char *c = p;
	unsigned char md[DIGEST_MAX];
	struct digest d;
	size_t take;

	digest_init(&d, t);
	for (; n > 0; c += take, n -= take) {
		take = n < chunk ? n : chunk;
		digest_update(&d, c, take);
	}
	digest_final(&d, md);
	hex(md, digest_len(t), out);
}

static void
test_names(void)
{
	static const char *names[NTYPES] = {
		"md5", "sha1", "sha256", "sha384", "sha512",
	};
	static const size_t lens[NTYPES] = { 16, 20, 32, 48, 64 };
	int t;

	for (t = 0; t < NTYPES; t++) {
		CHECK(strcmp(digest_name((enum digest_type)t), names[t]) == 0);
		CHECK(digest_len((enum digest_type)t) == lens[t]);
		CHECK(digest_len((enum digest_type)t) <= DIGEST_MAX);
	}
}

static void
test_vectors(void)
{
	char out[2 * DIGEST_MAX + 1];
	size_t i, c;
	char *million;

	if ((million = malloc(1000000)) == NULL)
		abort();
	memset(million, 'a', 1000000);
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		const char *in = v->in != NULL ? v->in : million;
		size_t n = v->in != NULL ? strlen(v->in) : 1000000;

		digest_chunked(v->type, in, n, n + 1, out);
		CHECK(strcmp(out, v->hex) == 0);
		for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			digest_chunked(v->type, in, n, chunks[c], out);
			CHECK(strcmp(out, v->hex) == 0);
		}
	}
	free(million);
}

/* Random chunk sizes, empty updates included, against one call. */
static void
test_random_chunks(void)
{
	char want[2 * DIGEST_MAX + 1], got[2 * DIGEST_MAX + 1];
	unsigned char md[DIGEST_MAX];
	struct digest d;
	size_t off, take;
	int t;

	srandom(1);
	for (t = 0; t < NTYPES; t++) {
		digest_chunked((enum digest_type)t, big, BIGLEN, BIGLEN, want);
		digest_init(&d, (enum digest_type)t);
		for (off = 0; off < BIGLEN; off += take) {
			take = (size_t)random() % (random() % 4 == 0 ?
			    3000 : 300);
			if (take > BIGLEN - off)
				take = BIGLEN - off;
			digest_update(&d, big + off, take);
		}
		digest_final(&d, md);
		hex(md, digest_len((enum digest_type)t), got);
		CHECK(strcmp(want, got) == 0);
	}
}

static char *
path_in(const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) == -1)
		abort();
	return p;
}

static void
write_file(const char *name, const void *p, size_t n)
{
	char *path = path_in(name);
	FILE *f;

	if ((f = fopen(path, "w")) == NULL ||
	    fwrite(p, 1, n, f) != n || fclose(f) != 0)
		abort();
	free(path);
}

static void
test_fd(void)
{
	char want[2 * DIGEST_MAX + 1], got[2 * DIGEST_MAX + 1];
	unsigned char md[DIGEST_MAX];
	char *path;
	int t, fd;

	write_file("empty", "", 0);
	path = path_in("big");
	if ((fd = open(path, O_RDONLY)) == -1)
		abort();
	/* digest_fd reads from offset 0 and leaves the offset alone. */
	CHECK(lseek(fd, 12345, SEEK_SET) == 12345);
	for (t = 0; t < NTYPES; t++) {
		digest_chunked((enum digest_type)t, big, BIGLEN, 4096, want);
		CHECK(digest_fd((enum digest_type)t, fd, md) == 0);
		hex(md, digest_len((enum digest_type)t), got);
		CHECK(strcmp(want, got) == 0);
	}
	CHECK(lseek(fd, 0, SEEK_CUR) == 12345);
	close(fd);
	free(path);

	path = path_in("empty");
	if ((fd = open(path, O_RDONLY)) == -1)
		abort();
	CHECK(digest_fd(DIGEST_SHA256, fd, md) == 0);
	hex(md, 32, got);
	CHECK(strcmp(got, vectors[8].hex) == 0);
	close(fd);
	free(path);

	errno = 0;
	CHECK(digest_fd(DIGEST_MD5, -1, md) == -1 && errno == EBADF);
	/* A directory fails with EISDIR on Linux. */
	if ((fd = open(dir, O_RDONLY)) == -1)
		abort();
	CHECK(digest_fd(DIGEST_SHA1, fd, md) == -1 && errno == EISDIR);
	close(fd);
}

/*
 * Run the coreutils tool on the random files r0..r300 and big, and
 * compare each line with our digest of the same bytes.
 */
static void
test_coreutils(void)
{
	char want[2 * DIGEST_MAX + 1], line[512], *cmd, *tmp;
	unsigned char md[DIGEST_MAX];
	struct digest d;
	size_t n;
	int t, i, lines;

	for (t = 0; t < NTYPES; t++) {
		FILE *f;

		if (asprintf(&cmd, "cd '%s' && %ssum", dir,
		    digest_name((enum digest_type)t)) == -1)
			abort();
		for (i = 0; i < NRANDOM; i++) {
			if (asprintf(&tmp, "%s r%d", cmd, i) == -1)
				abort();
			free(cmd);
			cmd = tmp;
		}
		if (asprintf(&tmp, "%s big", cmd) == -1)
			abort();
		free(cmd);
		cmd = tmp;
		if ((f = popen(cmd, "r")) == NULL)
			abort();
		for (lines = 0; fgets(line, sizeof(line), f) != NULL;
		    lines++) {
			/* Input r<i> is the first i bytes of big. */
			n = lines < NRANDOM ? (size_t)lines : BIGLEN;
			digest_init(&d, (enum digest_type)t);
			digest_update(&d, big, n);
			digest_final(&d, md);
			hex(md, digest_len((enum digest_type)t), want);
			if (strncmp(line, want, strlen(want)) != 0 ||
			    line[strlen(want)] != ' ') {
				fprintf(stderr, "%ssum, %zu bytes: %s",
				    digest_name((enum digest_type)t), n, line);
				failed++;
			} else
				passed++;
		}
		CHECK(pclose(f) == 0);
		CHECK(lines == NRANDOM + 1);
		free(cmd);
	}
}

/*
 * MD5 stores the bit length as two little-endian words; the high one is
 * first nonzero at 2^29 bytes.  Zeros, so coreutils reads a pipe.
 */
static void
test_md5_long(void)
{
	static unsigned char zero[65536];
	char want[2 * DIGEST_MAX + 1], line[512], *cmd;
	unsigned char md[DIGEST_MAX];
	size_t n = ((size_t)1 << 29) + 77, off, take;
	struct digest d;
	FILE *f;

	digest_init(&d, DIGEST_MD5);
	for (off = 0; off < n; off += take) {
		take = n - off < sizeof(zero) ? n - off : sizeof(zero);
		digest_update(&d, zero, take);
	}
	digest_final(&d, md);
	hex(md, 16, want);
	if (asprintf(&cmd, "head -c %zu /dev/zero | md5sum", n) == -1 ||
	    (f = popen(cmd, "r")) == NULL)
		abort();
	CHECK(fgets(line, sizeof(line), f) != NULL &&
	    strncmp(line, want, 32) == 0);
	CHECK(pclose(f) == 0);
	free(cmd);
}

int
main(void)
{
	char *cmd, name[32];
	size_t i;

	if (mkdtemp(dir) == NULL)
		return 1;
	if ((big = malloc(BIGLEN)) == NULL)
		return 1;
	srandom(20240601);
	for (i = 0; i < BIGLEN; i++)
		big[i] = (unsigned char)(random() >> 7);
	for (i = 0; i < NRANDOM; i++) {
		snprintf(name, sizeof(name), "r%zu", i);
		write_file(name, big, i);
	}
	write_file("big", big, BIGLEN);

	test_names();
	test_vectors();
	test_random_chunks();
	test_fd();
	test_coreutils();
	test_md5_long();

	free(big);
	if (asprintf(&cmd, "rm -rf '%s'", dir) != -1 && system(cmd) != 0)
		failed++;
	free(cmd);
	return check_end();
}
