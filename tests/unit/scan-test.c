/*
 * Unit tests of the walk order (scan_pathcmp) and of the ordered hashing
 * queue: items come back in the order pushed, each with the hash of its own
 * file, whatever the number of workers and however the files' sizes make
 * the workers finish out of order.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/hash.h"
#include "core/hashq.h"
#include "core/scan.h"

#include "check.h"

static int
sign(int v)
{
	return v < 0 ? -1 : v > 0;
}

static void
test_pathcmp(void)
{
	/* Each list is in walk order. */
	static const char *order[] = {
		".", "./a", "./a/b", "./a/b/c", "./a/c", "./a.txt", "./a0",
		"./a\x7f", "./a\xff", "./b", "./b/x", "./b c", "./\xc3\xa9",
	};
	size_t n = sizeof(order) / sizeof(order[0]), i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			CHECK(sign(scan_pathcmp(order[i], order[j])) ==
			    (i < j ? -1 : i > j));
	/* '/' before every other byte, even before a space or a tab. */
	CHECK(scan_pathcmp("./a/z", "./a\tz") < 0);
	CHECK(scan_pathcmp("./a/z", "./a z") < 0);
	CHECK(scan_pathcmp("./a/z", "./a!") < 0);
}

#define NFILES	600

static void
test_hashq(unsigned threads)
{
	static unsigned char want[NFILES][HASH_LEN];
	unsigned char got[HASHQ_MAX];
	char path[] = "/tmp/scan-test.XXXXXX";
	struct hashq q;
	size_t pushed = 0, popped = 0, size;
	unsigned char *buf;
	uintptr_t v;
	int fd, err, bad = 0, order = 0;
	void *data;

	CHECK(hashq_init(&q, threads, 64) == 0);
	if ((buf = malloc(3 << 20)) == NULL)
		abort();
	for (size = 0; size < 3 << 20; size++)
		buf[size] = (unsigned char)(size * 2654435761u >> 13);
	while (popped < NFILES) {
		if (pushed < NFILES && !hashq_full(&q, true)) {
			/* Big files among small ones: finishes out of order. */
			size = pushed % 7 == 0 ? (size_t)(3 << 20) - pushed :
			    pushed * 13;
			if (pushed % 5 == 4) {
				/* No file: only keeps its place. */
				CHECK(hashq_push(&q, (void *)(pushed + 1), -1,
				    HASHQ_XXH128, -1) == 0);
				pushed++;
				continue;
			}
			fd = mkstemp(path);
			if (fd == -1 || write(fd, buf + pushed, size) !=
			    (ssize_t)size)
				abort();
			unlink(path);
			strcpy(path, "/tmp/scan-test.XXXXXX");
			hash_buf(buf + pushed, size, want[pushed]);
			/* Sizes known, unknown or too big: the same hash. */
			CHECK(hashq_push(&q, (void *)(pushed + 1), fd,
			    HASHQ_XXH128, pushed % 3 == 0 ? -1 : pushed % 3 ==
			    1 ? (off_t)size : (off_t)size * 2 + 1) == 0);
			pushed++;
			continue;
		}
		data = hashq_pop(&q, got, &err);
		v = (uintptr_t)data;
		if (v != popped + 1)
			order++;
		else if (popped % 5 == 4 ? err != -1 : err != 0 ||
		    memcmp(got, want[popped], HASH_LEN) != 0)
			bad++;
		popped++;
	}
	CHECK(order == 0);
	CHECK(bad == 0);
	CHECK(hashq_empty(&q));
	CHECK(hashq_pop(&q, got, &err) == NULL);
	/* A queue freed with files in it closes them. */
	fd = open("/dev/null", O_RDONLY);
	CHECK(hashq_push(&q, (void *)1, fd, HASHQ_XXH128, -1) == 0);
	hashq_free(&q);
	CHECK(fcntl(fd, F_GETFD) == -1 && errno == EBADF);
	free(buf);
}

int
main(void)
{
	test_pathcmp();
	test_hashq(1);
	test_hashq(2);
	test_hashq(8);
	return check_end();
}
