/*
 * manifest-bench: the cost of writing and of reading back a large xcpm
 * manifest with lib/core/manifest.h, one phase per process so that each
 * has its own peak RSS; and a fast maker of the same tree on disk.
 *
 *   manifest-bench write FILE [N]   write N records (default 1000000)
 *   manifest-bench parse FILE [N]   read them back, check the count is N
 *   manifest-bench tree DIR [N [BYTES]]
 *                                   create the same N entries under DIR
 *                                   (DIR must not exist); files hold BYTES
 *                                   bytes each (default 0, at most 1 MiB)
 *   manifest-bench gen - [N]        only make the N records (no writer):
 *                                   the driver's own share of "write"
 *
 * The layout, in walk order: ".", then directories dirNNNN holding 20
 * subdirectories subNN holding 19 files file-NNNNNN.c each, so ~50,000
 * directories of ~20 entries for N = 1,000,000; the last directory is cut
 * short to make exactly N records.  Files get a size, a realistic mtime
 * and a hash (hash_buf of the path); strategy "reflink", as xcp would
 * record a clone.
 *
 * Output: one line per phase, "phase records bytes wall_s user_s sys_s
 * maxrss_kib", for bench/manifest-1m.sh to read.
 *
 * Build (from the repository root, as bench/manifest-1m.sh does):
 *   cc -O2 -I. -Ilib -DHAVE_CONFIG_H bench/manifest-bench.c lib/libxcp.a \
 *       $(pkg-config --libs libxxhash libarchive) -lpthread
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/hash.h"
#include "core/manifest.h"

#define SUBS		20	/* subdirectories per top directory */
#define FILES		19	/* files per subdirectory */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
report(const char *phase, uint64_t records, uint64_t bytes, double wall)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	printf("%s %" PRIu64 " %" PRIu64 " %.3f %.3f %.3f %ld\n", phase,
	    records, bytes, wall,
	    ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss);
}

/*
 * The layout as a sequence: calls fn for each of n entries in walk order
 * with its path ("." first) and whether it is a directory.  Returns 0, or
 * the first nonzero value fn returns.
 */
typedef int	(*visit_fn)(void *, const char *, int, uint64_t);

/* Write v as exactly width decimal digits (the layout's numbers fit). */
static char *
digits(char *p, uint64_t v, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

static int
layout(uint64_t n, visit_fn fn, void *arg)
{
	/* "./dirNNNN/subNN/file-NNNNNN.c", rebuilt in place, no printf. */
	char path[64], *d, *s, *f;
	uint64_t i = 0, file = 0, top, sub, k;
	int rc;

	if (n == 0)
		return 0;
	if ((rc = fn(arg, ".", 1, i++)) != 0)
		return rc;
	memcpy(path, "./dir", 5);
	for (top = 0; i < n; top++) {
		d = digits(path + 5, top, top < 10000 ? 4 : 8);
		*d = '\0';
		if ((rc = fn(arg, path, 1, i++)) != 0)
			return rc;
		memcpy(d, "/sub", 4);
		for (sub = 0; sub < SUBS && i < n; sub++) {
			s = digits(d + 4, sub, 2);
			*s = '\0';
			if ((rc = fn(arg, path, 1, i++)) != 0)
				return rc;
			memcpy(s, "/file-", 6);
			for (k = 0; k < FILES && i < n; k++, file++) {
				f = digits(s + 6, file, file < 1000000 ? 6 : 10);
				memcpy(f, ".c", 3);
				if ((rc = fn(arg, path, 0, i++)) != 0)
					return rc;
			}
		}
	}
	return 0;
}

/* Fill a record as a tree entry would give it. */
static void
fill(struct manifest_record *r, const char *path, int dir, uint64_t i)
{
	memset(r, 0, sizeof(*r));
	r->path = path;
	r->uid = 1000;
	r->gid = 1000;
	r->mtime.tv_sec = 1700000000 + (time_t)(i % 86400) * 37;
	r->mtime.tv_nsec = (long)((i * 2654435761u) % 1000000000u);
	if (dir) {
		r->type = 'd';
		r->mode = 0755;
		r->strategy = "mkdir";
	} else {
		r->type = 'f';
		r->mode = 0644;
		r->size = (i * 7919) % 200000;
		r->has_hash = true;
		hash_buf(path, strlen(path), r->hash);
		r->strategy = "reflink";
	}
}

/* The driver's own cost: the records without the writer. */
static int
gen_one(void *arg, const char *path, int dir, uint64_t i)
{
	struct manifest_record r;

	fill(&r, path, dir, i);
	*(uint64_t *)arg += r.size + r.hash[0];
	return 0;
}

static int
add_one(void *arg, const char *path, int dir, uint64_t i)
{
	struct manifest_writer *w = arg;
	struct manifest_record r;

	fill(&r, path, dir, i);
	return manifest_add(w, &r) == -1 ? errno ? errno : EIO : 0;
}

static int
do_write(const char *file, uint64_t n)
{
	struct manifest_writer w;
	struct stat st;
	double t0, t;
	int rc;

	t0 = now();
	if (manifest_create(&w, file) == -1) {
		perror(file);
		return 1;
	}
	if ((rc = layout(n, add_one, &w)) != 0) {
		errno = rc;
		perror("manifest_add");
		manifest_abort(&w);
		return 1;
	}
	if (manifest_commit(&w) == -1) {
		perror("manifest_commit");
		return 1;
	}
	t = now() - t0;
	if (stat(file, &st) == -1) {
		perror(file);
		return 1;
	}
	report("write", n, (uint64_t)st.st_size, t);
	return 0;
}

static int
do_gen(uint64_t n)
{
	uint64_t sink = 0;
	double t0;

	t0 = now();
	layout(n, gen_one, &sink);
	report("gen", n, sink & 1, now() - t0);
	return 0;
}

static int
do_parse(const char *file, uint64_t n)
{
	struct manifest_reader r;
	struct manifest_record rec;
	struct stat st;
	uint64_t count = 0, hashed = 0;
	double t0, t;
	FILE *fp;
	int rc;

	t0 = now();
	if ((fp = fopen(file, "re")) == NULL) {
		perror(file);
		return 1;
	}
	if (manifest_open(&r, fp) == -1) {
		fprintf(stderr, "%s: %s\n", file, r.why ? r.why : "?");
		return 1;
	}
	while ((rc = manifest_next(&r, &rec)) == 1) {
		count++;
		hashed += rec.has_hash;
	}
	if (rc == -1) {
		fprintf(stderr, "%s: line %" PRIu64 ": %s\n", file, r.line,
		    r.why ? r.why : strerror(errno));
		return 1;
	}
	manifest_close(&r);
	fclose(fp);
	t = now() - t0;
	if (count != n) {
		fprintf(stderr, "%s: %" PRIu64 " records, expected %" PRIu64
		    "\n", file, count, n);
		return 1;
	}
	if (stat(file, &st) == -1) {
		perror(file);
		return 1;
	}
	report("parse", count, (uint64_t)st.st_size, t);
	return 0;
}

struct tree_arg {
	int		 dfd;
	size_t		 bytes;		/* in each file */
	char		*buf;
};

static int
make_one(void *arg, const char *path, int dir, uint64_t i)
{
	struct tree_arg *a = arg;
	size_t n;
	int fd, rc = 0;

	if (strcmp(path, ".") == 0)
		return 0;
	if (dir)
		return mkdirat(a->dfd, path, 0755) == -1 ? errno : 0;
	fd = openat(a->dfd, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0644);
	if (fd == -1)
		return errno;
	if (a->bytes > 0) {
		/* Each file its own first line, then filler. */
		n = (size_t)snprintf(a->buf, a->bytes + 1, "%" PRIu64 "\n", i);
		if (n < a->bytes)
			a->buf[n] = '.';
		if (write(fd, a->buf, a->bytes) != (ssize_t)a->bytes)
			rc = errno ? errno : EIO;
	}
	close(fd);
	return rc;
}

static int
do_tree(const char *dir, uint64_t n, size_t bytes)
{
	struct tree_arg a;
	double t0;
	int rc;

	t0 = now();
	a.bytes = bytes;
	if ((a.buf = malloc(bytes + 1)) == NULL)
		return 1;
	memset(a.buf, '.', bytes);
	if (bytes > 0)
		a.buf[bytes - 1] = '\n';
	if (mkdir(dir, 0755) == -1 ||
	    (a.dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		perror(dir);
		return 1;
	}
	if ((rc = layout(n, make_one, &a)) != 0) {
		errno = rc;
		perror("creating the tree");
		return 1;
	}
	close(a.dfd);
	free(a.buf);
	report("tree", n, 0, now() - t0);
	return 0;
}

int
main(int argc, char **argv)
{
	uint64_t n = 1000000, bytes = 0;
	char *end;

	if (argc < 3 || argc > 5 || (argc == 5 && strcmp(argv[1], "tree"))) {
		fprintf(stderr, "usage: %s write|parse|gen FILE [N]\n"
		    "       %s tree DIR [N [BYTES]]\n", argv[0], argv[0]);
		return 2;
	}
	if (argc == 5) {
		errno = 0;
		bytes = strtoull(argv[4], &end, 10);
		if (*end != '\0' || errno != 0 || bytes > (1 << 20)) {
			fprintf(stderr, "bad size: %s\n", argv[4]);
			return 2;
		}
	}
	if (argc >= 4) {
		errno = 0;
		n = strtoull(argv[3], &end, 10);
		if (*end != '\0' || errno != 0) {
			fprintf(stderr, "bad count: %s\n", argv[3]);
			return 2;
		}
	}
	if (strcmp(argv[1], "write") == 0)
		return do_write(argv[2], n);
	if (strcmp(argv[1], "parse") == 0)
		return do_parse(argv[2], n);
	if (strcmp(argv[1], "gen") == 0)
		return do_gen(n);
	if (strcmp(argv[1], "tree") == 0)
		return do_tree(argv[2], n, (size_t)bytes);
	fprintf(stderr, "unknown phase: %s\n", argv[1]);
	return 2;
}
