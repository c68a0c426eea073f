/*
 * The bytecopy backend: sendfile(2), or read(2) and write(2) through one
 * large aligned buffer.  The last resort, and the only way to a guaranteed independent
 * copy.  Holes in the source stay holes (SEEK_DATA/SEEK_HOLE); with
 * --sparse=always runs of zeros become holes too.  This file also holds the
 * segment driver that copy_range.c shares.
 */
#include "config.h"

#include <sys/sendfile.h>
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/backend.h"
#include "core/hash.h"
#include "core/progress.h"

#define BUF_SIZE	(1024 * 1024)
#define SEND_CHUNK	((size_t)1 << 30)
#define ZERO_BLOCK	4096

static const char zeros[ZERO_BLOCK];

static bool
is_zero(const char *p, size_t n)
{
	while (n >= ZERO_BLOCK) {
		if (memcmp(p, zeros, ZERO_BLOCK) != 0)
			return false;
		p += ZERO_BLOCK;
		n -= ZERO_BLOCK;
	}
	return n == 0 || memcmp(p, zeros, n) == 0;
}

static int
write_all(struct xfer *x, const char *p, size_t n, off_t off)
{
	ssize_t w;

	while (n > 0) {
		w = pwrite(x->dst_fd, p, n, off);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		x->wrote = true;
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

/* Write n bytes at off, leaving zero blocks unwritten under --sparse=always. */
static int
put(struct xfer *x, const char *p, size_t n, off_t off)
{
	size_t i, run, len;

	if (x->sparse_mode != SPARSE_ALWAYS)
		return write_all(x, p, n, off);
	for (i = 0; i < n; i += run) {
		len = n - i < ZERO_BLOCK ? n - i : ZERO_BLOCK;
		run = len;
		if (is_zero(p + i, len))
			continue;
		/* Extend over following non-zero blocks to write them at once. */
		while (i + run < n) {
			len = n - i - run < ZERO_BLOCK ? n - i - run : ZERO_BLOCK;
			if (is_zero(p + i + run, len))
				break;
			run += len;
		}
		if (write_all(x, p + i, run, off + (off_t)i) == -1)
			return -1;
	}
	return 0;
}

/* Holes read as zeros: feed them to the hash up to off. */
static void
hash_zeros(struct xfer *x, off_t off)
{
	size_t n;

	while (x->hashed < off) {
		n = off - x->hashed < ZERO_BLOCK ? (size_t)(off - x->hashed) :
		    ZERO_BLOCK;
		hash_update(x->hash, zeros, n);
		x->hashed += (off_t)n;
	}
}

/*
 * Move [*pos, end) (end < 0: to the end) with sendfile(2): the kernel
 * copies page cache to page cache, once instead of twice through a user
 * buffer.  For plain data only: no hash to feed, no zeros to look for.
 * Returns 0, or -1 when the rest must go through read(2) and write(2),
 * which also tells a read error from a write error.
 */
static int
send_range(struct xfer *x, off_t *pos, off_t end, off_t *eof)
{
	ssize_t n;
	size_t want;

	if (lseek(x->dst_fd, *pos, SEEK_SET) == -1)
		return -1;
	while (end < 0 || *pos < end) {
		want = SEND_CHUNK;
		if (end >= 0 && (off_t)want > end - *pos)
			want = (size_t)(end - *pos);
		n = sendfile(x->dst_fd, x->src_fd, pos, want);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			/* Short of st_size: let read(2) say why. */
			if (*pos < x->size)
				return -1;
			*eof = *pos;
			break;
		}
		x->wrote = true;
		x->bytes += (uint64_t)n;
		progress_bytes(x->progress, (uint64_t)n);
	}
	return 0;
}

/* Each thread's buffer is freed when the thread ends (pool workers). */
static pthread_key_t buf_key;
static pthread_once_t buf_once = PTHREAD_ONCE_INIT;

static void
buf_key_init(void)
{
	(void)pthread_key_create(&buf_key, free);
}

static int	read_range(struct xfer *, off_t, off_t, off_t *);

static int
bytecopy_range(struct xfer *x, off_t start, off_t end, off_t *eof)
{
	off_t pos = start;

	if (x->hash == NULL && x->sparse_mode != SPARSE_ALWAYS && !x->pseudo &&
	    x->size > 0 && send_range(x, &pos, end, eof) == 0)
		return 0;
	return read_range(x, pos, end, eof);
}

int
xfer_read_range(struct xfer *x, off_t start, off_t end, off_t *eof)
{
	return read_range(x, start, end, eof);
}

static int
read_range(struct xfer *x, off_t start, off_t end, off_t *eof)
{
	static _Thread_local char *buf;
	off_t pos = start;
	ssize_t r;
	size_t want;

	if (buf == NULL) {
		if (posix_memalign((void **)&buf, 4096, BUF_SIZE) != 0) {
			buf = NULL;
			errno = ENOMEM;
			return -1;
		}
		(void)pthread_once(&buf_once, buf_key_init);
		(void)pthread_setspecific(buf_key, buf);
	}
	/*
	 * SEEK_DATA and SEEK_HOLE moved the offset: always go back to where
	 * this segment starts.  Pipes and character devices cannot seek, and
	 * are only ever read whole from where they are.
	 */
	if (lseek(x->src_fd, pos, SEEK_SET) == -1 &&
	    (errno != ESPIPE || start != 0)) {
		x->read_failed = true;
		return -1;
	}
	while (end < 0 || pos < end) {
		want = BUF_SIZE;
		if (end >= 0 && (off_t)want > end - pos)
			want = (size_t)(end - pos);
		r = read(x->src_fd, buf, want);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			x->read_failed = true;
			return -1;
		}
		if (r == 0) {
			*eof = pos;
			break;
		}
		if (put(x, buf, (size_t)r, pos) == -1)
			return -1;
		if (x->hash != NULL) {
			hash_zeros(x, pos);
			hash_update(x->hash, buf, (size_t)r);
			x->hashed = pos + r;
		}
		pos += r;
		x->bytes += (uint64_t)r;
		progress_bytes(x->progress, (uint64_t)r);
	}
	return 0;
}

int
xfer_segments(struct xfer *x, xfer_range_fn fn)
{
	off_t pos = 0, data, hole, eof = -1, size;

	if (x->sparse && !x->pseudo && x->sparse_mode != SPARSE_NEVER) {
		size = x->size;
		for (;;) {
			data = lseek(x->src_fd, pos, SEEK_DATA);
			if (data == -1) {
				if (errno == ENXIO)
					break;		/* only a hole is left */
				if (pos == 0 && errno == EINVAL)
					goto whole;	/* no SEEK_DATA here */
				x->read_failed = true;
				return -1;
			}
			hole = lseek(x->src_fd, data, SEEK_HOLE);
			if (hole == -1) {
				x->read_failed = true;
				return -1;
			}
			if (fn(x, data, hole, &eof) == -1)
				return -1;
			if (eof >= 0) {
				size = eof;	/* it shrank under us */
				break;
			}
			pos = hole;
		}
		if (x->hash != NULL)
			hash_zeros(x, size);
		return ftruncate(x->dst_fd, size);
	}
whole:
	if (fn(x, 0, -1, &eof) == -1)
		return -1;
	/* A trailing zero run skipped by --sparse=always needs the size set. */
	if (x->sparse_mode == SPARSE_ALWAYS)
		return ftruncate(x->dst_fd, eof);
	return 0;
}

static int
bytecopy_data(struct xfer *x)
{
	return xfer_segments(x, bytecopy_range);
}

const struct backend backend_bytecopy = {
	.name = "bytecopy",
	.strategy = STRATEGY_BYTECOPY,
	.data = bytecopy_data,
	.link = NULL,
};

bool
backend_unsupported(int e)
{
	switch (e) {
	case ENOSYS:
	case ENOTTY:
	case EOPNOTSUPP:
#if EOPNOTSUPP != ENOTSUP
	case ENOTSUP:
#endif
	case EINVAL:
	case EBADF:
	case EXDEV:
	case ETXTBSY:
	case EPERM:
	case EACCES:
		return true;
	default:
		return false;
	}
}

bool
backend_fatal(int e)
{
	return e == ENOSPC || e == EIO || e == EDQUOT || e == ENOMEM;
}

const struct backend *
backend_for(enum strategy s)
{
	switch (s) {
	case STRATEGY_REFLINK:
		return &backend_reflink;
	case STRATEGY_COPY_RANGE:
		return &backend_copy_range;
	case STRATEGY_BYTECOPY:
		return &backend_bytecopy;
	case STRATEGY_HARDLINK:
		return &backend_hardlink;
	default:
		return NULL;
	}
}
