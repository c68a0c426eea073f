/*
 * treedump - print a canonical, line-per-entry description of a directory
 * tree, so that two copies of a tree can be compared with diff(1):
 *
 *     diff <(treedump A) <(treedump B)
 *
 * Usage: treedump [-A] [-D] [-H] [-X] [-x PREFIX]... [-n EPOCH] DIR
 *
 *   -A        omit atimes
 *   -D        omit directory mtimes (a replaced file changes its parent)
 *   -H        omit the data/hole map of regular files
 *   -X        omit extended attributes (and so POSIX ACLs)
 *   -x PREFIX omit the extended attributes whose name starts with PREFIX
 *             (may be repeated; e.g. -x trusted.SGI_ for XFS's private
 *             copies of the ACLs, which exist only on XFS)
 *   -n EPOCH  print every time t with EPOCH <= t.sec < EPOCH + 86400 as
 *             "new" (used to compare two trees where some files were
 *             created "now" by the programs under test)
 *
 * One line per entry, root first (as "."), then a depth-first walk with
 * the entries of every directory sorted by strcmp(3) byte order:
 *
 *   PATH TYPE [mode=OOOO] uid=U gid=G [size=N] mtime=S.NNNNNNNNN
 *        [atime=S.NNNNNNNNN] [rdev=MAJ,MIN] [target=ESC] [hash=H]
 *        [data=OFF-END,...] [xattr:NAME=HEX ...] [link=PATH]
 *
 *   TYPE   f regular, d directory, l symlink, p fifo, s socket,
 *          c char device, b block device
 *   mode   permission bits incl. setuid/setgid/sticky (not for symlinks)
 *   size   not for directories (their size is filesystem specific)
 *   atime  regular files only
 *   hash   64-bit hash of the contents (regular files only; chunks that
 *          are holes are hashed as zeros without being read)
 *   data   data ranges according to lseek(SEEK_DATA/SEEK_HOLE); "none"
 *          for a file without data
 *   xattr  every extended attribute (llistxattr order is not used: names
 *          are sorted), value in hex; includes system.posix_acl_*
 *   link   for a non-directory whose inode is reached by more than one
 *          path inside the tree: the first such path in walk order
 *
 * Paths, symlink targets and xattr names are escaped: bytes <= 0x20,
 * >= 0x7f and the backslash are written as \ooo (three octal digits).
 *
 * The walk uses openat/fstatat relative to directory file descriptors, so
 * there is no PATH_MAX limit on depth.  Symlinks are never followed, FIFOs
 * and devices are never opened.  Regular files are opened with
 * O_NOATIME when permitted so that dumping a tree does not change it.
 *
 * Exit status: 0 on success, 1 if any entry could not be fully examined
 * (the line for it then contains "error=..."), 2 on usage errors.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef O_NOATIME
#define O_NOATIME 0
#endif

static int opt_no_atime;
static int opt_no_holes;
static int opt_no_xattr;
static int opt_no_dir_mtime;
static int opt_new_set;
static long long opt_new_epoch;
static int exit_status;
static const char **opt_skip_xattr;
static size_t opt_nskip_xattr;

/* ---------- growable string ---------- */

struct str {
	char *buf;
	size_t len, cap;
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		perror("treedump: realloc");
		exit(2);
	}
	return p;
}

static void str_grow(struct str *s, size_t extra)
{
	if (s->len + extra + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 64;
		while (cap < s->len + extra + 1)
			cap *= 2;
		s->buf = xrealloc(s->buf, cap);
		s->cap = cap;
	}
}

static void str_addn(struct str *s, const char *p, size_t n)
{
	str_grow(s, n);
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

static void str_add(struct str *s, const char *p)
{
	str_addn(s, p, strlen(p));
}

static void str_printf(struct str *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void str_printf(struct str *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	str_grow(s, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(s->buf + s->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	s->len += (size_t)n;
}

static void str_add_escaped(struct str *s, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c <= 0x20 || c >= 0x7f || c == '\\') {
			char tmp[5];
			snprintf(tmp, sizeof tmp, "\\%03o", c);
			str_addn(s, tmp, 4);
		} else {
			str_addn(s, (const char *)&c, 1);
		}
	}
}

static char *str_take(struct str *s)
{
	char *p = s->buf ? s->buf : strdup("");
	s->buf = NULL;
	s->len = s->cap = 0;
	return p;
}

/* ---------- records ---------- */

struct rec {
	char *line;	/* everything but the link= field */
	char *path;	/* escaped relative path */
	dev_t dev;
	ino_t ino;
	int linkable;	/* non-directory with st_nlink > 1 */
	size_t order;
	const char *first;	/* first path of the hardlink group, or NULL */
};

static struct rec *recs;
static size_t nrecs, caprecs;

static struct rec *new_rec(void)
{
	if (nrecs == caprecs) {
		caprecs = caprecs ? caprecs * 2 : 256;
		recs = xrealloc(recs, caprecs * sizeof *recs);
	}
	memset(&recs[nrecs], 0, sizeof recs[nrecs]);
	recs[nrecs].order = nrecs;
	return &recs[nrecs++];
}

/* ---------- helpers ---------- */

static void add_time(struct str *s, const char *key, const struct timespec *ts)
{
	long long sec = (long long)ts->tv_sec;

	if (opt_new_set && sec >= opt_new_epoch && sec < opt_new_epoch + 86400)
		str_printf(s, " %s=new", key);
	else
		str_printf(s, " %s=%lld.%09ld", key, sec, (long)ts->tv_nsec);
}

static void add_error(struct str *s, const char *what, int err)
{
	str_printf(s, " error=%s:", what);
	str_add_escaped(s, strerror(err), strlen(strerror(err)));
	exit_status = 1;
}

/* A simple 64-bit hash over 8-byte words (tail zero padded, length mixed
 * in at the end).  Not cryptographic; good enough to tell copies apart. */
struct hash {
	uint64_t h;
	uint64_t len;
	unsigned char pend[8];
	size_t npend;
};

#define HK1 0x9e3779b97f4a7c15ULL
#define HK2 0xff51afd7ed558ccdULL
#define HK3 0xc4ceb9fe1a85ec53ULL

static void hash_init(struct hash *h)
{
	h->h = 0x6a09e667f3bcc909ULL;
	h->len = 0;
	h->npend = 0;
}

static inline void hash_word(struct hash *h, uint64_t w)
{
	h->h = (h->h ^ w) * HK1;
	h->h ^= h->h >> 29;
}

static void hash_feed(struct hash *h, const unsigned char *p, size_t n)
{
	h->len += n;
	while (h->npend && n) {
		h->pend[h->npend++] = *p++;
		n--;
		if (h->npend == 8) {
			uint64_t w;
			memcpy(&w, h->pend, 8);
			hash_word(h, w);
			h->npend = 0;
		}
	}
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		hash_word(h, w);
		p += 8;
		n -= 8;
	}
	while (n) {
		h->pend[h->npend++] = *p++;
		n--;
	}
}

static uint64_t hash_final(struct hash *h)
{
	uint64_t x;

	if (h->npend) {
		uint64_t w = 0;
		memcpy(&w, h->pend, h->npend);
		hash_word(h, w);
	}
	x = h->h ^ h->len;
	x *= HK2;
	x ^= x >> 33;
	x *= HK3;
	x ^= x >> 33;
	return x;
}

/* Content hash: the file is cut into CHUNK-byte chunks (the last one may
 * be shorter), each chunk is hashed on its own and the chunk hashes are
 * combined in order.  Chunks that lie entirely in a hole (according to
 * SEEK_DATA/SEEK_HOLE) are not read: the hash of a zero chunk is used, so
 * the result depends only on the bytes, not on the hole layout, and a
 * 256 MiB sparse file costs almost nothing. */
#define CHUNK 4096

struct range {
	long long start, end;
};

static uint64_t chunk_hash(const unsigned char *p, size_t n)
{
	struct hash h;

	hash_init(&h);
	hash_feed(&h, p, n);
	return hash_final(&h);
}

static void add_file_data(struct str *s, int dirfd, const char *name,
			  const struct stat *st)
{
	static unsigned char zero[CHUNK], buf[CHUNK];
	static uint64_t zero_hash;
	static int zero_done;
	struct range *map = NULL;
	size_t nmap = 0, mi = 0;
	int map_ok = 1, map_err = 0;
	uint64_t total = 0;
	struct hash all;
	long long off = 0;
	size_t acc = 0;
	int fd;

	if (!zero_done) {
		zero_hash = chunk_hash(zero, CHUNK);
		zero_done = 1;
	}

	fd = openat(dirfd, name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOATIME);
	if (fd < 0 && errno == EPERM && O_NOATIME)
		fd = openat(dirfd, name,
			    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		add_error(s, "open", errno);
		return;
	}

	/* data map */
	for (;;) {
		off_t d = lseek(fd, off, SEEK_DATA);
		off_t e;
		if (d < 0) {
			if (errno != ENXIO) {
				map_ok = 0;
				map_err = errno;
			}
			break;
		}
		e = lseek(fd, d, SEEK_HOLE);
		if (e < 0 || e <= d) {
			map_ok = 0;
			map_err = e < 0 ? errno : EINVAL;
			break;
		}
		map = xrealloc(map, (nmap + 1) * sizeof *map);
		map[nmap].start = d;
		map[nmap].end = e;
		nmap++;
		off = e;
	}

	/* contents */
	hash_init(&all);
	off = 0;
	for (;;) {
		ssize_t n;

		if (acc == 0 && map_ok && off + CHUNK <= (long long)st->st_size) {
			while (mi < nmap && map[mi].end <= off)
				mi++;
			if (mi == nmap || map[mi].start >= off + CHUNK) {
				/* whole chunk in a hole */
				uint64_t w = zero_hash;
				hash_feed(&all, (unsigned char *)&w, sizeof w);
				off += CHUNK;
				total += CHUNK;
				continue;
			}
		}
		n = pread(fd, buf + acc, CHUNK - acc, off);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			add_error(s, "read", errno);
			close(fd);
			free(map);
			return;
		}
		if (n == 0)
			break;
		acc += (size_t)n;
		off += n;
		total += (uint64_t)n;
		if (acc == CHUNK) {
			uint64_t w = chunk_hash(buf, CHUNK);
			hash_feed(&all, (unsigned char *)&w, sizeof w);
			acc = 0;
		}
	}
	if (acc) {
		uint64_t w = chunk_hash(buf, acc);
		hash_feed(&all, (unsigned char *)&w, sizeof w);
	}
	hash_feed(&all, (unsigned char *)&total, sizeof total);
	str_printf(s, " hash=%016llx", (unsigned long long)hash_final(&all));

	if (!opt_no_holes) {
		size_t i;

		str_add(s, " data=");
		if (!map_ok)
			add_error(s, "seek_data", map_err);
		for (i = 0; i < nmap; i++)
			str_printf(s, "%s%lld-%lld", i ? "," : "",
				   map[i].start, map[i].end);
		if (!nmap)
			str_add(s, "none");
	}
	free(map);
	close(fd);
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* xattrs of NAME in the current working directory (we fchdir to its
 * parent first: there is no *xattrat() call for symlinks and devices). */
static void add_xattrs(struct str *s, const char *name)
{
	char *list = NULL, **names = NULL;
	ssize_t len;
	size_t nnames = 0, i;
	char *p;

	for (;;) {
		len = llistxattr(name, NULL, 0);
		if (len < 0)
			break;
		list = xrealloc(list, (size_t)len + 1);
		len = llistxattr(name, list, (size_t)len);
		if (len >= 0 || errno != ERANGE)
			break;
	}
	if (len < 0) {
		if (errno != ENOTSUP && errno != ENODATA)
			add_error(s, "listxattr", errno);
		free(list);
		return;
	}

	for (p = list; p < list + len; p += strlen(p) + 1) {
		size_t k;
		int skip = 0;
		for (k = 0; k < opt_nskip_xattr; k++)
			if (!strncmp(p, opt_skip_xattr[k],
				     strlen(opt_skip_xattr[k])))
				skip = 1;
		if (skip)
			continue;
		names = xrealloc(names, (nnames + 1) * sizeof *names);
		names[nnames++] = p;
	}
	if (nnames)
		qsort(names, nnames, sizeof *names, cmp_strp);

	for (i = 0; i < nnames; i++) {
		unsigned char *val = NULL;
		ssize_t vlen;
		ssize_t j;

		for (;;) {
			vlen = lgetxattr(name, names[i], NULL, 0);
			if (vlen < 0)
				break;
			val = xrealloc(val, (size_t)vlen + 1);
			vlen = lgetxattr(name, names[i], val, (size_t)vlen);
			if (vlen >= 0 || errno != ERANGE)
				break;
		}
		str_add(s, " xattr:");
		str_add_escaped(s, names[i], strlen(names[i]));
		if (vlen < 0) {
			add_error(s, "getxattr", errno);
		} else {
			str_add(s, "=");
			for (j = 0; j < vlen; j++)
				str_printf(s, "%02x", val[j]);
		}
		free(val);
	}
	free(names);
	free(list);
}

static char type_letter(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG: return 'f';
	case S_IFDIR: return 'd';
	case S_IFLNK: return 'l';
	case S_IFIFO: return 'p';
	case S_IFSOCK: return 's';
	case S_IFCHR: return 'c';
	case S_IFBLK: return 'b';
	default: return '?';
	}
}

/* Describe NAME in directory DIRFD; RELPATH is its escaped path.
 * Returns 1 if it is a directory to descend into. */
static int describe(int dirfd, const char *name, const char *relpath,
		    struct stat *st)
{
	struct str s = { 0 };
	struct rec *r;

	str_add(&s, relpath);
	if (fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) < 0) {
		str_add(&s, " ?");
		add_error(&s, "stat", errno);
		r = new_rec();
		r->path = strdup(relpath);
		r->line = str_take(&s);
		return 0;
	}

	str_printf(&s, " %c", type_letter(st->st_mode));
	if (!S_ISLNK(st->st_mode))
		str_printf(&s, " mode=%04o", (unsigned)(st->st_mode & 07777));
	str_printf(&s, " uid=%lu gid=%lu", (unsigned long)st->st_uid,
		   (unsigned long)st->st_gid);
	if (!S_ISDIR(st->st_mode))
		str_printf(&s, " size=%lld", (long long)st->st_size);
	if (!(S_ISDIR(st->st_mode) && opt_no_dir_mtime))
		add_time(&s, "mtime", &st->st_mtim);
	if (S_ISREG(st->st_mode) && !opt_no_atime)
		add_time(&s, "atime", &st->st_atim);
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		str_printf(&s, " rdev=%u,%u", major(st->st_rdev),
			   minor(st->st_rdev));
	if (S_ISLNK(st->st_mode)) {
		size_t sz = st->st_size > 0 ? (size_t)st->st_size + 1 : 256;
		char *t = NULL;
		ssize_t n;
		for (;;) {
			t = xrealloc(t, sz);
			n = readlinkat(dirfd, name, t, sz);
			if (n < 0 || (size_t)n < sz)
				break;
			sz *= 2;
		}
		if (n < 0) {
			add_error(&s, "readlink", errno);
		} else {
			str_add(&s, " target=");
			str_add_escaped(&s, t, (size_t)n);
		}
		free(t);
	}
	if (S_ISREG(st->st_mode))
		add_file_data(&s, dirfd, name, st);
	if (!opt_no_xattr) {
		if (fchdir(dirfd) < 0)
			add_error(&s, "fchdir", errno);
		else
			add_xattrs(&s, name);
	}

	r = new_rec();
	r->path = strdup(relpath);
	r->line = str_take(&s);
	r->dev = st->st_dev;
	r->ino = st->st_ino;
	r->linkable = !S_ISDIR(st->st_mode) && st->st_nlink > 1;
	return S_ISDIR(st->st_mode);
}

/* Walk the directory open as FD (consumed); PREFIX is the escaped path
 * of the directory followed by '/', or "" for the root. */
static void walk(int fd, const char *prefix)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	int dfd = dup(fd);

	if (dfd < 0 || !(d = fdopendir(dfd))) {
		fprintf(stderr, "treedump: opendir %s: %s\n",
			*prefix ? prefix : ".", strerror(errno));
		if (dfd >= 0)
			close(dfd);
		close(fd);
		exit_status = 1;
		return;
	}
	errno = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		names = xrealloc(names, (n + 1) * sizeof *names);
		names[n++] = strdup(de->d_name);
		errno = 0;
	}
	if (errno) {
		fprintf(stderr, "treedump: readdir %s: %s\n",
			*prefix ? prefix : ".", strerror(errno));
		exit_status = 1;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_strp);

	for (i = 0; i < n; i++) {
		struct str path = { 0 };
		struct stat st;

		str_add(&path, prefix);
		str_add_escaped(&path, names[i], strlen(names[i]));
		if (describe(fd, names[i], path.buf, &st)) {
			int sub = openat(fd, names[i],
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					 O_CLOEXEC);
			if (sub < 0) {
				fprintf(stderr, "treedump: open %s: %s\n",
					path.buf, strerror(errno));
				exit_status = 1;
			} else {
				str_add(&path, "/");
				walk(sub, path.buf);
			}
		}
		free(path.buf);
		free(names[i]);
	}
	free(names);
	close(fd);
}

static int cmp_inode(const void *a, const void *b)
{
	const struct rec *x = *(struct rec *const *)a;
	const struct rec *y = *(struct rec *const *)b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void resolve_links(void)
{
	struct rec **v = NULL;
	size_t n = 0, i, j;

	for (i = 0; i < nrecs; i++)
		if (recs[i].linkable) {
			v = xrealloc(v, (n + 1) * sizeof *v);
			v[n++] = &recs[i];
		}
	if (n)
		qsort(v, n, sizeof *v, cmp_inode);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && v[j]->dev == v[i]->dev &&
			     v[j]->ino == v[i]->ino; j++)
			;
		if (j - i > 1) {
			size_t k;
			for (k = i; k < j; k++)
				v[k]->first = v[i]->path;
		}
	}
	free(v);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: treedump [-A] [-D] [-H] [-X] [-x PREFIX]... [-n EPOCH] DIR\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int c, fd;
	struct stat st;
	size_t i;

	while ((c = getopt(argc, argv, "ADHXx:n:")) != -1) {
		switch (c) {
		case 'A': opt_no_atime = 1; break;
		case 'D': opt_no_dir_mtime = 1; break;
		case 'H': opt_no_holes = 1; break;
		case 'X': opt_no_xattr = 1; break;
		case 'x':
			opt_skip_xattr = xrealloc(opt_skip_xattr,
				(opt_nskip_xattr + 1) * sizeof *opt_skip_xattr);
			opt_skip_xattr[opt_nskip_xattr++] = optarg;
			break;
		case 'n': {
			char *end;
			errno = 0;
			opt_new_epoch = strtoll(optarg, &end, 10);
			if (errno || *end || end == optarg)
				usage();
			opt_new_set = 1;
			break;
		}
		default: usage();
		}
	}
	if (optind != argc - 1)
		usage();

	fd = open(argv[optind], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "treedump: %s: %s\n", argv[optind],
			strerror(errno));
		return 2;
	}
	if (describe(fd, ".", ".", &st))
		walk(fd, "");
	else
		close(fd);

	resolve_links();
	for (i = 0; i < nrecs; i++) {
		fputs(recs[i].line, stdout);
		if (recs[i].first) {
			fputs(" link=", stdout);
			fputs(recs[i].first, stdout);
		}
		putchar('\n');
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("treedump: write");
		return 2;
	}
	return exit_status;
}
