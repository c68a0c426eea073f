/*
 * Writing and reading xcpm manifests.  Every byte written before the
 * trailer also goes through the hash, so the trailer proves the whole
 * file; the reader hashes the same bytes as it parses, line by line.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/afile.h"
#include "core/manifest.h"
#include "core/nls.h"

#define HEADER		"#xcpm 1\n"
#define FIELDS		"#fields type mode uid gid size mtime xxh128 " \
			"strategy target path\n"
#define TRAILER		"#end "

static inline bool
needs_escape(unsigned char c)
{
	/* Printable ASCII but for these: one test per byte, no search. */
	return c <= 0x20 || c >= 0x7f || c == '\\' || c == '#' || c == '=' ||
	    c == '*' || c == '?' || c == '[';
}

/*
 * Write s escaped at o, which has room for 4 * strlen(s) + 1 bytes; returns
 * the end of what was written (not NUL-terminated).
 */
static char *
escape_into(char *o, const char *s)
{
	const unsigned char *p;

	/* A lone "-" would read as "none". */
	if (s[0] == '-' && s[1] == '\0') {
		/* A field of the line, not a string. */
		/* NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
		memcpy(o, "\\055", 4);
		return o + 4;
	}
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (needs_escape(*p)) {
			*o++ = '\\';
			*o++ = (char)('0' + (*p >> 6));
			*o++ = (char)('0' + ((*p >> 3) & 7));
			*o++ = (char)('0' + (*p & 7));
		} else
			*o++ = (char)*p;
	}
	return o;
}

char *
manifest_escape(const char *s)
{
	char *out;

	if ((out = malloc(4 * strlen(s) + 1)) == NULL)
		return NULL;
	*escape_into(out, s) = '\0';
	return out;
}

int
manifest_unescape(char *s)
{
	char *o = s;
	int v;

	for (; *s != '\0'; s++) {
		if (*s != '\\') {
			*o++ = *s;
			continue;
		}
		if (s[1] < '0' || s[1] > '3' || s[2] < '0' || s[2] > '7' ||
		    s[3] < '0' || s[3] > '7')
			return -1;
		v = (s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0');
		if (v == 0)
			return -1;
		*o++ = (char)v;
		s += 3;
	}
	*o = '\0';
	return 0;
}

/*
 * The writer formats records into its own buffer and hands the buffer to
 * the hash and to the stream in large blocks: a million records cost a
 * few hundred writes and hash updates, not several million.
 */
#define WRITE_BUF	(1 << 20)

/* Hash and write what the buffer holds. */
static int
flush(struct manifest_writer *w)
{
	if (w->len == 0)
		return 0;
	hash_update(&w->h, w->buf, w->len);
	if (fwrite(w->buf, 1, w->len, w->fp) != w->len)
		return -1;
	w->len = 0;
	return 0;
}

/* Make room for n more bytes. */
static int
reserve(struct manifest_writer *w, size_t n)
{
	char *p;

	if (w->len + n <= w->cap)
		return 0;
	if (flush(w) == -1)
		return -1;
	if (n <= w->cap)
		return 0;
	if ((p = realloc(w->buf, n)) == NULL)
		return -1;
	w->buf = p;
	w->cap = n;
	return 0;
}

static int
start(struct manifest_writer *w)
{
	w->records = 0;
	w->len = 0;
	w->cap = WRITE_BUF;
	if ((w->buf = malloc(w->cap)) == NULL)
		return -1;
	if (hash_init(&w->h) == -1) {
		free(w->buf);
		w->buf = NULL;
		return -1;
	}
	memcpy(w->buf, HEADER FIELDS, strlen(HEADER FIELDS));
	w->len = strlen(HEADER FIELDS);
	return 0;
}

int
manifest_stream(struct manifest_writer *w, FILE *fp)
{
	w->fp = fp;
	w->to_file = false;
	return start(w);
}

int
manifest_create(struct manifest_writer *w, const char *path)
{
	int e;

	if (afile_create(&w->out, path) == -1)
		return -1;
	w->fp = w->out.fp;
	w->to_file = true;
	if (start(w) == -1) {
		e = errno;
		afile_abort(&w->out);
		w->fp = NULL;
		w->to_file = false;
		errno = e;
		return -1;
	}
	return 0;
}

/* Decimal digits of v at o; returns the end. */
static char *
put_u64(char *o, uint64_t v)
{
	char tmp[20], *t = tmp + sizeof(tmp);

	do
		*--t = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	memcpy(o, t, (size_t)(tmp + sizeof(tmp) - t));
	return o + (tmp + sizeof(tmp) - t);
}

int
manifest_add(struct manifest_writer *w, const struct manifest_record *r)
{
	const char *strategy = r->strategy ? r->strategy : "-";
	size_t slen = strlen(strategy), plen = strlen(r->path), tlen;
	long ns = r->mtime.tv_nsec;
	char *o;
	int i;

	if (ns < 0 || ns > 999999999 || slen == 0 ||
	    memchr(strategy, '\t', slen) != NULL) {
		errno = EINVAL;
		return -1;
	}
	tlen = r->target ? strlen(r->target) : 0;
	/* Fixed fields take at most 128 bytes; escaping at most quadruples. */
	if (reserve(w, 128 + slen + 4 * (plen + tlen)) == -1)
		return -1;
	o = w->buf + w->len;
	*o++ = r->type;
	*o++ = '\t';
	*o++ = (char)('0' + ((r->mode >> 9) & 7));
	*o++ = (char)('0' + ((r->mode >> 6) & 7));
	*o++ = (char)('0' + ((r->mode >> 3) & 7));
	*o++ = (char)('0' + (r->mode & 7));
	*o++ = '\t';
	o = put_u64(o, (uint64_t)r->uid);
	*o++ = '\t';
	o = put_u64(o, (uint64_t)r->gid);
	*o++ = '\t';
	o = put_u64(o, r->size);
	*o++ = '\t';
	if (r->mtime.tv_sec < 0) {
		*o++ = '-';
		o = put_u64(o, -(uint64_t)r->mtime.tv_sec);
	} else
		o = put_u64(o, (uint64_t)r->mtime.tv_sec);
	*o++ = '.';
	for (i = 8; i >= 0; i--, ns /= 10)
		o[i] = (char)('0' + ns % 10);
	o += 9;
	*o++ = '\t';
	if (r->has_hash) {
		hash_hex(r->hash, o);
		o += HASH_HEX_LEN;
	} else
		*o++ = '-';
	*o++ = '\t';
	/* A field of the line, not a string. */
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
	memcpy(o, strategy, slen);
	o += slen;
	*o++ = '\t';
	if (r->target != NULL)
		o = escape_into(o, r->target);
	else
		*o++ = '-';
	*o++ = '\t';
	o = escape_into(o, r->path);
	*o++ = '\n';
	w->len = (size_t)(o - w->buf);
	w->records++;
	return 0;
}

static void
release(struct manifest_writer *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

int
manifest_commit(struct manifest_writer *w)
{
	unsigned char v[HASH_LEN];
	char hex[HASH_HEX_LEN + 1];
	int rc = 0, e;

	if (flush(w) == -1)
		rc = -1;
	release(w);
	hash_final(&w->h, v);
	hash_hex(v, hex);
	if (rc == -1 || fprintf(w->fp, TRAILER "records=%" PRIu64
	    " xxh128=%s\n", w->records, hex) < 0 || fflush(w->fp) == EOF)
		rc = -1;
	if (!w->to_file)
		return rc;
	w->fp = NULL;
	w->to_file = false;
	if (rc == -1) {
		e = errno;
		afile_abort(&w->out);
		errno = e;
		return -1;
	}
	return afile_commit(&w->out);
}

void
manifest_abort(struct manifest_writer *w)
{
	release(w);
	hash_free(&w->h);
	if (w->to_file)
		afile_abort(&w->out);
	w->fp = NULL;
	w->to_file = false;
}

static int
bad(struct manifest_reader *r, const char *why)
{
	r->why = why;
	errno = EINVAL;
	return -1;
}

/*
 * The reader, too, works on its own buffer: a line is found with memchr and
 * parsed where it lies, and the buffer is refilled with large reads.
 */
#define READ_BUF	(1 << 18)

/* Read more after the unread bytes, growing the buffer for a long line. */
static int
fill(struct manifest_reader *r)
{
	size_t n;
	char *p;

	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->end - r->pos);
		r->end -= r->pos;
		r->pos = 0;
	}
	if (r->end == r->alloc) {
		n = r->alloc ? 2 * r->alloc : READ_BUF;
		if ((p = realloc(r->buf, n)) == NULL)
			return -1;
		r->buf = p;
		r->alloc = n;
	}
	n = fread(r->buf + r->end, 1, r->alloc - r->end, r->fp);
	if (n == 0) {
		if (ferror(r->fp))
			return -1;
		r->eof = true;
	}
	r->end += n;
	return 0;
}

/*
 * The next line, newline included: its length; 0 at the end of the file;
 * -1 on a read error (errno); -2 for a last line without a newline.
 */
static ssize_t
next_line(struct manifest_reader *r, char **line)
{
	char *nl;
	size_t n;

	for (;;) {
		nl = r->pos < r->end ? memchr(r->buf + r->pos, '\n', r->end -
		    r->pos) : NULL;
		if (nl != NULL) {
			*line = r->buf + r->pos;
			n = (size_t)(nl + 1 - *line);
			r->pos += n;
			r->line++;
			return (ssize_t)n;
		}
		if (r->eof) {
			if (r->pos == r->end)
				return 0;
			r->line++;
			return -2;
		}
		if (fill(r) == -1)
			return -1;
	}
}

int
manifest_open(struct manifest_reader *r, FILE *fp)
{
	ssize_t n;
	char *line;

	memset(r, 0, sizeof(*r));
	r->fp = fp;
	if (hash_init(&r->h) == -1)
		return -1;
	if ((n = next_line(r, &line)) == -1)
		return -1;	/* a read error is not a verdict on the content */
	if (n != (ssize_t)strlen(HEADER) || memcmp(line, HEADER, (size_t)n) !=
	    0)
		return bad(r, N_("not an xcpm version 1 manifest"));
	hash_update(&r->h, line, (size_t)n);
	return 0;
}

int
manifest_open_header(struct manifest_reader *r, FILE *fp, const char *line,
    size_t n)
{
	memset(r, 0, sizeof(*r));
	r->fp = fp;
	if (hash_init(&r->h) == -1)
		return -1;
	r->line = 1;
	hash_update(&r->h, line, n);
	if (n != strlen(HEADER) || memcmp(line, HEADER, n) != 0)
		return bad(r, N_("not an xcpm version 1 manifest"));
	return 0;
}

/* Copy the n bytes of field src into a growing buffer, unescaped. */
static int
take(char **dst, size_t *alloc, const char *src, size_t n)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i;
	char *o;
	int v;

	if (n + 1 > *alloc) {
		if ((o = realloc(*dst, n + 1)) == NULL)
			return -1;
		*dst = o;
		*alloc = n + 1;
	}
	o = *dst;
	if (memchr(src, '\\', n) == NULL) {
		/* No escape: one copy, but a raw NUL would cut the name. */
		if (memchr(src, '\0', n) != NULL)
			return -1;
		memcpy(o, src, n);
		o[n] = '\0';
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '\0')
			return -1;
		if (s[i] != '\\') {
			*o++ = (char)s[i];
			continue;
		}
		if (n - i < 4 || s[i + 1] < '0' || s[i + 1] > '3' ||
		    s[i + 2] < '0' || s[i + 2] > '7' || s[i + 3] < '0' ||
		    s[i + 3] > '7')
			return -1;
		v = (s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 |
		    (s[i + 3] - '0');
		if (v == 0)
			return -1;
		*o++ = (char)v;
		i += 3;
	}
	*o = '\0';
	return 0;
}

/* The n decimal digits at s, at most max. */
static int
number(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	unsigned d;
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if ((d = (unsigned)((unsigned char)s[i] - '0')) > 9)
			return -1;
		/* Up to 19 digits cannot overflow; beyond, check each. */
		if (i >= 19 && v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

static int
trailer(struct manifest_reader *r, const char *line)
{
	unsigned char v[HASH_LEN], want[HASH_LEN];
	unsigned long long n;
	char hex[HASH_HEX_LEN + 1];
	int used = 0;

	hash_final(&r->h, v);
	/* A count out of range cannot equal r->records. */
	/* NOLINTNEXTLINE(cert-err34-c) */
	if (sscanf(line, TRAILER "records=%llu xxh128=%32[0-9a-f]%n", &n,
	    hex, &used) != 2 || line[used] != '\0' ||
	    strlen(hex) != HASH_HEX_LEN || hash_parse(hex, want) == -1)
		return bad(r, N_("malformed #end line"));
	if (n != r->records)
		return bad(r, N_("record count does not match the #end line"));
	if (memcmp(v, want, HASH_LEN) != 0)
		return bad(r, N_("checksum does not match the #end line"));
	if (r->pos == r->end && fill(r) == -1)
		return -1;
	if (r->pos != r->end)
		return bad(r, N_("data after the #end line"));
	r->done = true;
	return 0;
}

int
manifest_next(struct manifest_reader *r, struct manifest_record *rec)
{
	char *line, *f[11], *p, *e, *dot;
	uint64_t v, ns;
	size_t len[10];
	ssize_t n;
	int i;

	if (r->done)
		return 0;
	for (;;) {
		if ((n = next_line(r, &line)) == -1)
			return -1;
		if (n == 0)
			return bad(r, N_("no #end line: the manifest is "
			    "truncated"));
		if (n == -2)
			return bad(r, N_("last line cut short: the manifest "
			    "is truncated"));
		/* The trailer is not part of what it hashes. */
		if (strncmp(line, TRAILER, strlen(TRAILER)) == 0) {
			line[n - 1] = '\0';
			return trailer(r, line) == 0 ? 0 : -1;
		}
		hash_update(&r->h, line, (size_t)n);
		line[n - 1] = '\0';
		if (line[0] != '#')
			break;
	}
	e = line + n - 1;
	for (i = 0, p = line; i < 9; i++) {
		f[i] = p;
		if ((p = memchr(p, '\t', (size_t)(e - p))) == NULL)
			return bad(r, N_("too few fields"));
		*p++ = '\0';
	}
	f[9] = p;
	if (memchr(p, '\t', (size_t)(e - p)) != NULL)
		return bad(r, N_("too many fields"));
	f[10] = e + 1;
	for (i = 0; i < 10; i++)
		len[i] = (size_t)(f[i + 1] - f[i] - 1);
	memset(rec, 0, sizeof(*rec));
	if (len[0] != 1 || f[0][0] == '\0' || strchr("fdlhpscb", f[0][0]) ==
	    NULL)
		return bad(r, N_("unknown type"));
	rec->type = f[0][0];
	if (len[1] != 4)
		return bad(r, N_("bad mode"));
	for (i = 0; i < 4; i++) {
		if (f[1][i] < '0' || f[1][i] > '7')
			return bad(r, N_("bad mode"));
		rec->mode = rec->mode << 3 | (mode_t)(f[1][i] - '0');
	}
	if (number(f[2], len[2], UINT32_MAX, &v) == -1)
		return bad(r, N_("bad uid"));
	rec->uid = (uid_t)v;
	if (number(f[3], len[3], UINT32_MAX, &v) == -1)
		return bad(r, N_("bad gid"));
	rec->gid = (gid_t)v;
	if (number(f[4], len[4], UINT64_MAX, &rec->size) == -1)
		return bad(r, N_("bad size"));
	p = f[5];
	if ((dot = memchr(p, '.', len[5])) == NULL ||
	    f[6] - 1 - (dot + 1) != 9 ||
	    number(dot + 1, 9, 999999999, &ns) == -1)
		return bad(r, N_("bad mtime"));
	if (*p == '-') {
		if (number(p + 1, (size_t)(dot - p - 1), INT64_MAX, &v) == -1)
			return bad(r, N_("bad mtime"));
		rec->mtime.tv_sec = -(time_t)v;
	} else {
		if (number(p, (size_t)(dot - p), INT64_MAX, &v) == -1)
			return bad(r, N_("bad mtime"));
		rec->mtime.tv_sec = (time_t)v;
	}
	rec->mtime.tv_nsec = (long)ns;
	if (len[6] != 1 || f[6][0] != '-') {
		if (len[6] != HASH_HEX_LEN || hash_parse(f[6], rec->hash) == -1)
			return bad(r, N_("bad xxh128"));
		rec->has_hash = true;
	}
	if (len[7] == 0 || len[7] >= sizeof(r->strategy) ||
	    memchr(f[7], '\0', len[7]) != NULL)
		return bad(r, N_("bad strategy"));
	memcpy(r->strategy, f[7], len[7] + 1);
	rec->strategy = r->strategy;
	if (len[8] != 1 || f[8][0] != '-') {
		if (take(&r->target, &r->target_alloc, f[8], len[8]) == -1)
			return bad(r, N_("bad escape in target"));
		rec->target = r->target;
	}
	if (len[9] == 0 || take(&r->path, &r->path_alloc, f[9], len[9]) == -1)
		return bad(r, N_("bad path"));
	rec->path = r->path;
	r->records++;
	return 1;
}

void
manifest_close(struct manifest_reader *r)
{
	hash_free(&r->h);
	free(r->buf);
	free(r->path);
	free(r->target);
	memset(r, 0, sizeof(*r));
}
