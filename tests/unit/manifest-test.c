/*
 * Unit tests of the manifest writer and reader: round trips of awkward
 * names, and rejection of truncated, edited and random files.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/hash.h"
#include "core/manifest.h"

#include "check.h"

static char dir[] = "/tmp/manifest-test.XXXXXX";

static const char *names[] = {
	".", "./plain", "./with space", "./tab\there", "./new\nline",
	"./\xff\xfe", "./#hash=eq*star?q[b\\s", "-", "./caf\xc3\xa9",
};

static char *
path_in(const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) == -1)
		abort();
	return p;
}

/* Write a manifest with one record per name. */
static char *
write_sample(void)
{
	struct manifest_writer w;
	struct manifest_record r;
	char *p = path_in("m.xcpm");
	size_t i;

	CHECK(manifest_create(&w, p) == 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.type = i == 0 ? 'd' : i == 3 ? 'l' : 'f';
		r.mode = i == 0 ? 0755 : 04750;
		r.uid = 1234;
		r.gid = 4294967294u;
		r.size = 1ull << 40;
		r.mtime.tv_sec = i == 2 ? -5 : 1795496886;
		r.mtime.tv_nsec = 5;
		r.has_hash = r.type == 'f';
		hash_buf(names[i], strlen(names[i]), r.hash);
		r.strategy = "reflink";
		r.target = r.type == 'l' ? names[i] : NULL;
		r.path = names[i];
		CHECK(manifest_add(&w, &r) == 0);
	}
	CHECK(manifest_commit(&w) == 0);
	return p;
}

static void
test_round_trip(const char *p)
{
	struct manifest_reader rd;
	struct manifest_record r;
	unsigned char h[HASH_LEN];
	FILE *fp = fopen(p, "r");
	size_t i = 0;
	int rc;

	CHECK(fp != NULL);
	CHECK(manifest_open(&rd, fp) == 0);
	while ((rc = manifest_next(&rd, &r)) == 1) {
		CHECK(i < sizeof(names) / sizeof(names[0]));
		CHECK(strcmp(r.path, names[i]) == 0);
		CHECK(r.uid == 1234 && r.gid == 4294967294u);
		CHECK(r.size == 1ull << 40);
		CHECK(r.mtime.tv_sec == (i == 2 ? -5 : 1795496886));
		CHECK(r.mtime.tv_nsec == 5);
		CHECK(r.mode == (i == 0 ? 0755u : 04750u));
		CHECK(strcmp(r.strategy, "reflink") == 0);
		if (r.type == 'f') {
			hash_buf(names[i], strlen(names[i]), h);
			CHECK(r.has_hash && memcmp(h, r.hash, HASH_LEN) == 0);
		}
		if (r.type == 'l')
			CHECK(r.target && strcmp(r.target, names[i]) == 0);
		i++;
	}
	CHECK(rc == 0);
	CHECK(i == sizeof(names) / sizeof(names[0]));
	manifest_close(&rd);
	fclose(fp);
}

/* Read a whole file into memory. */
static char *
slurp(const char *p, size_t *len)
{
	FILE *fp = fopen(p, "r");
	char *buf = malloc(1 << 16);

	*len = fread(buf, 1, 1 << 16, fp);
	fclose(fp);
	return buf;
}

/* Whether reading the bytes gives an error (and on which line). */
static int
rejects(const char *bytes, size_t len, unsigned long *line)
{
	struct manifest_record r;
	struct manifest_reader rd;
	FILE *fp = fmemopen((void *)bytes, len, "r");
	int rc;

	if (fp == NULL)
		return 0;
	if (manifest_open(&rd, fp) == -1) {
		*line = rd.line;
		manifest_close(&rd);
		fclose(fp);
		return 1;
	}
	while ((rc = manifest_next(&rd, &r)) == 1)
		;
	*line = rd.line;
	manifest_close(&rd);
	fclose(fp);
	return rc == -1 && errno == EINVAL;
}

static void
test_rejects(const char *p)
{
	unsigned long line;
	size_t len, i, cut;
	char *buf = slurp(p, &len), *copy;
	unsigned seed = 42;

	CHECK(!rejects(buf, len, &line));
	/* Truncated anywhere: rejected. */
	for (cut = 0; cut < len; cut += 7)
		CHECK(rejects(buf, cut, &line));
	/* One byte edited anywhere before the trailer: rejected. */
	copy = malloc(len);
	for (i = 0; i < len - 60; i += 5) {
		memcpy(copy, buf, len);
		copy[i] ^= 0x01;
		CHECK(rejects(copy, len, &line));
	}
	/* Random bytes: rejected, no crash. */
	for (i = 0; i < 200; i++) {
		size_t j, n = (size_t)rand_r(&seed) % len;

		for (j = 0; j < n; j++)
			copy[j] = (char)rand_r(&seed);
		CHECK(rejects(copy, n, &line));
	}
	/* A line count is given for a bad record. */
	memcpy(copy, buf, len);
	copy[strchr(buf, '\n') - buf + 1 + strlen("#fields")] = 'x';
	CHECK(rejects(copy, len, &line) && line >= 1);
	free(copy);
	free(buf);
}

static void
test_escape(void)
{
	char *e = manifest_escape("a b\\#=*?[\n\xff-");
	char *d;

	CHECK(e && strcmp(e, "a\\040b\\134\\043\\075\\052\\077\\133"
	    "\\012\\377-") == 0);
	d = strdup(e);
	CHECK(manifest_unescape(d) == 0 &&
	    strcmp(d, "a b\\#=*?[\n\xff-") == 0);
	free(d);
	free(e);
	d = strdup("bad\\9");
	CHECK(manifest_unescape(d) == -1);
	free(d);
	e = manifest_escape("-");
	CHECK(e && strcmp(e, "\\055") == 0);
	free(e);
}

static void
test_hash(void)
{
	unsigned char h[HASH_LEN];
	char hex[HASH_HEX_LEN + 1];

	/* xxhsum -H2 of the empty input. */
	hash_buf("", 0, h);
	hash_hex(h, hex);
	CHECK(strcmp(hex, "99aa06d3014798d86001c324468d497f") == 0);
}

int
main(void)
{
	char *p, *cmd;

	if (mkdtemp(dir) == NULL)
		return 1;
	test_escape();
	test_hash();
	p = write_sample();
	test_round_trip(p);
	test_rejects(p);
	unlink(p);
	free(p);
	if (asprintf(&cmd, "rm -rf '%s'", dir) != -1 && system(cmd) != 0)
		failed++;
	free(cmd);
	return check_end();
}
