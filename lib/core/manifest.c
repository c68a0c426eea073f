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

char *
manifest_escape(const char *s)
{
	const unsigned char *p;
	size_t n = 0;
	char *out, *o;

	/* A lone "-" would read as "none". */
	if (strcmp(s, "-") == 0)
		return strdup("\\055");
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		n += needs_escape(*p) ? 4 : 1;
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (o = out, p = (const unsigned char *)s; *p != '\0'; p++) {
		if (needs_escape(*p)) {
			*o++ = '\\';
			*o++ = (char)('0' + (*p >> 6));
			*o++ = (char)('0' + ((*p >> 3) & 7));
			*o++ = (char)('0' + (*p & 7));
		} else
			*o++ = (char)*p;
	}
	*o = '\0';
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

/* Write bytes to the manifest and to its hash. */
static int
emit(struct manifest_writer *w, const char *p, size_t n)
{
	if (fwrite(p, 1, n, w->fp) != n)
		return -1;
	hash_update(&w->h, p, n);
	return 0;
}

static int
start(struct manifest_writer *w)
{
	w->records = 0;
	if (hash_init(&w->h) == -1)
		return -1;
	if (emit(w, HEADER, strlen(HEADER)) == -1 ||
	    emit(w, FIELDS, strlen(FIELDS)) == -1) {
		hash_free(&w->h);
		return -1;
	}
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
	/* Large writes: a million records in a few hundred calls. */
	(void)setvbuf(w->fp, NULL, _IOFBF, 1 << 20);
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

/* Emit a NUL-terminated string. */
static int
emit_str(struct manifest_writer *w, const char *p)
{
	return emit(w, p, strlen(p));
}

int
manifest_add(struct manifest_writer *w, const struct manifest_record *r)
{
	char head[256], hex[HASH_HEX_LEN + 1], *path, *target = NULL;
	int n, rc = -1;

	if (r->has_hash)
		hash_hex(r->hash, hex);
	/* Every field up to the target has a bounded length. */
	n = snprintf(head, sizeof(head),
	    "%c\t%04o\t%lu\t%lu\t%" PRIu64 "\t%lld.%09ld\t%s\t%s\t",
	    r->type, (unsigned)(r->mode & 07777), (unsigned long)r->uid,
	    (unsigned long)r->gid, r->size, (long long)r->mtime.tv_sec,
	    r->mtime.tv_nsec, r->has_hash ? hex : "-",
	    r->strategy ? r->strategy : "-");
	if (n < 0 || (size_t)n >= sizeof(head)) {
		errno = EINVAL;
		return -1;
	}
	if ((path = manifest_escape(r->path)) == NULL ||
	    (r->target != NULL && (target = manifest_escape(r->target)) ==
	    NULL))
		goto out;
	if (emit(w, head, (size_t)n) == -1 ||
	    emit_str(w, target ? target : "-") == -1 ||
	    emit(w, "\t", 1) == -1 || emit_str(w, path) == -1 ||
	    emit(w, "\n", 1) == -1)
		goto out;
	w->records++;
	rc = 0;
out:
	free(path);
	free(target);
	return rc;
}

int
manifest_commit(struct manifest_writer *w)
{
	unsigned char v[HASH_LEN];
	char hex[HASH_HEX_LEN + 1];
	int rc = 0, e;

	hash_final(&w->h, v);
	hash_hex(v, hex);
	if (fprintf(w->fp, TRAILER "records=%" PRIu64 " xxh128=%s\n",
	    w->records, hex) < 0 || fflush(w->fp) == EOF)
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

/* Read one line into r->buf without its newline; -1 at EOF or on error. */
static ssize_t
read_line(struct manifest_reader *r, bool hashed)
{
	ssize_t n;

	n = getline(&r->buf, &r->alloc, r->fp);
	if (n <= 0)
		return -1;
	r->line++;
	if (r->buf[n - 1] != '\n')
		return -2;	/* cut short */
	if (hashed)
		hash_update(&r->h, r->buf, (size_t)n);
	r->buf[--n] = '\0';
	return n;
}

int
manifest_open(struct manifest_reader *r, FILE *fp)
{
	memset(r, 0, sizeof(*r));
	r->fp = fp;
	if (hash_init(&r->h) == -1)
		return -1;
	if (read_line(r, true) < 0 || strcmp(r->buf, "#xcpm 1") != 0) {
		/* A read error is not a verdict on the content. */
		if (ferror(fp))
			return -1;
		return bad(r, "not an xcpm version 1 manifest");
	}
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
		return bad(r, "not an xcpm version 1 manifest");
	return 0;
}

/* Copy field src into a growing buffer, unescaped. */
static int
take(char **dst, size_t *alloc, const char *src)
{
	size_t n = strlen(src) + 1;
	char *p;

	if (n > *alloc) {
		if ((p = realloc(*dst, n)) == NULL)
			return -1;
		*dst = p;
		*alloc = n;
	}
	memcpy(*dst, src, n);
	return manifest_unescape(*dst);
}

static int
number(const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return *end != '\0' || errno != 0 || *out > max ? -1 : 0;
}

static int
trailer(struct manifest_reader *r)
{
	unsigned char v[HASH_LEN], want[HASH_LEN];
	unsigned long long n;
	char hex[HASH_HEX_LEN + 1];
	int used = 0;

	hash_final(&r->h, v);
	if (sscanf(r->buf, TRAILER "records=%llu xxh128=%32[0-9a-f]%n", &n,
	    hex, &used) != 2 || r->buf[used] != '\0' ||
	    strlen(hex) != HASH_HEX_LEN || hash_parse(hex, want) == -1)
		return bad(r, "malformed #end line");
	if (n != r->records)
		return bad(r, "record count does not match the #end line");
	if (memcmp(v, want, HASH_LEN) != 0)
		return bad(r, "checksum does not match the #end line");
	if (getc(r->fp) != EOF)
		return bad(r, "data after the #end line");
	r->done = true;
	return 0;
}

int
manifest_next(struct manifest_reader *r, struct manifest_record *rec)
{
	char *f[10], *p, *dot;
	uint64_t v, ns;
	ssize_t n;
	int i;

	if (r->done)
		return 0;
	for (;;) {
		/* The trailer is not part of what it hashes: peek first. */
		n = getline(&r->buf, &r->alloc, r->fp);
		if (n <= 0)
			return bad(r, "no #end line: the manifest is truncated");
		r->line++;
		if (r->buf[n - 1] != '\n')
			return bad(r, "last line cut short: the manifest is "
			    "truncated");
		if (strncmp(r->buf, TRAILER, strlen(TRAILER)) == 0) {
			r->buf[n - 1] = '\0';
			return trailer(r) == 0 ? 0 : -1;
		}
		hash_update(&r->h, r->buf, (size_t)n);
		r->buf[n - 1] = '\0';
		if (r->buf[0] != '#')
			break;
	}
	for (i = 0, p = r->buf; i < 10; i++) {
		f[i] = p;
		p = strchr(p, '\t');
		if (i < 9) {
			if (p == NULL)
				return bad(r, "too few fields");
			*p++ = '\0';
		} else if (p != NULL)
			return bad(r, "too many fields");
	}
	memset(rec, 0, sizeof(*rec));
	if (strlen(f[0]) != 1 || strchr("fdlhpscb", f[0][0]) == NULL)
		return bad(r, "unknown type");
	rec->type = f[0][0];
	if (strlen(f[1]) != 4 || strspn(f[1], "01234567") != 4)
		return bad(r, "bad mode");
	rec->mode = (mode_t)strtoul(f[1], NULL, 8);
	if (number(f[2], UINT32_MAX, &v) == -1)
		return bad(r, "bad uid");
	rec->uid = (uid_t)v;
	if (number(f[3], UINT32_MAX, &v) == -1)
		return bad(r, "bad gid");
	rec->gid = (gid_t)v;
	if (number(f[4], UINT64_MAX, &rec->size) == -1)
		return bad(r, "bad size");
	p = f[5];
	if ((dot = strchr(p, '.')) == NULL || strlen(dot + 1) != 9)
		return bad(r, "bad mtime");
	*dot = '\0';
	if (number(dot + 1, 999999999, &ns) == -1)
		return bad(r, "bad mtime");
	if (*p == '-') {
		if (number(p + 1, INT64_MAX, &v) == -1)
			return bad(r, "bad mtime");
		rec->mtime.tv_sec = -(time_t)v;
	} else {
		if (number(p, INT64_MAX, &v) == -1)
			return bad(r, "bad mtime");
		rec->mtime.tv_sec = (time_t)v;
	}
	rec->mtime.tv_nsec = (long)ns;
	if (strcmp(f[6], "-") != 0) {
		if (strlen(f[6]) != HASH_HEX_LEN ||
		    hash_parse(f[6], rec->hash) == -1)
			return bad(r, "bad xxh128");
		rec->has_hash = true;
	}
	if (strlen(f[7]) >= sizeof(r->strategy) || f[7][0] == '\0')
		return bad(r, "bad strategy");
	strcpy(r->strategy, f[7]);
	rec->strategy = r->strategy;
	if (strcmp(f[8], "-") != 0) {
		if (take(&r->target, &r->target_alloc, f[8]) == -1)
			return bad(r, "bad escape in target");
		rec->target = r->target;
	}
	if (f[9][0] == '\0' || take(&r->path, &r->path_alloc, f[9]) == -1)
		return bad(r, "bad path");
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
