/*
 * Verification.  The expected side is a cursor over records in walk order:
 * an xcpm manifest streams (its order is checked as it is read); an mtree
 * spec, which may list entries in any order, is read whole through
 * libarchive and sorted.  The scan of the tree drives the merge: records
 * that sort before the current entry are missing, an entry with no record
 * is extra, and a matching pair is compared field by field.  Each result
 * goes through the ordered hashing queue, so reports come out in walk
 * order while files are hashed in parallel.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/digest.h"
#include "core/hashq.h"
#include "core/inomap.h"
#include "core/manifest.h"
#include "core/nls.h"
#include "core/scan.h"
#include "core/verify.h"

#define DEPTH		4096
#define NO_HASH		(-2)

/* One expected entry. */
struct want {
	struct manifest_record rec;
	char		*path;
	char		*target;
	int		 algo;		/* HASHQ_XXH128, a digest, NO_HASH */
	unsigned char	 digest[HASHQ_MAX];
	bool		 has_mode;
	bool		 has_uid;
	bool		 has_gid;
	bool		 has_size;
	bool		 has_mtime;
	bool		 has_target;
	bool		 mtree;
	size_t		 seq;		/* place in the spec */		/* no hard link groups recorded */
};

/* The expected side: an xcpm reader, or sorted mtree entries. */
struct source {
	bool		 xcpm;
	struct manifest_reader r;
	struct want	*v;
	size_t		 n;
	size_t		 i;
	struct want	*cur;		/* NULL at the end */
	char		*prev;		/* last xcpm path, for the order */
	bool		 has_root;	/* the manifest has a "." record */
	const char	*why;
	uint64_t	 line;
};

/* One result, waiting in the queue for its hash. */
struct item {
	enum verify_kind kind;
	unsigned	 fields;
	struct want	*w;
	struct manifest_record got;
	char		*gpath;
	char		*gtarget;
	bool		 hashing;
	int		 err;		/* could not be read: errno */
};

struct verify {
	const struct verify_ops *ops;
	struct verify_stats *stats;
	struct source	 src;
	struct hashq	 q;
	struct inomap	 links;
	char		*skip;		/* could not be read: not missing */
	int		 err;		/* errno that stops the merge */
	bool		 no_content;	/* metadata only: nothing hashed */
};

static const char *const field_names[VERIFY_NFIELDS] = {
	"type", "mode", "uid", "gid", "size", "mtime", "content", "target"
};

const char *
verify_field_name(unsigned bit)
{
	unsigned i;

	for (i = 0; i < VERIFY_NFIELDS; i++)
		if (bit == 1U << i)
			return field_names[i];
	return "?";
}

static void
want_free(struct want *w)
{
	if (w == NULL)
		return;
	free(w->path);
	free(w->target);
	free(w);
}

static size_t
algo_len(int algo)
{
	return algo == HASHQ_XXH128 ? HASH_LEN :
	    digest_len((enum digest_type)algo);
}

static int
bad(struct source *s, const char *why, uint64_t line)
{
	s->why = why;
	s->line = line;
	errno = EINVAL;
	return -1;
}

/* Advance to the next expected record: 1, 0 at the end, -1 on error. */
static int
source_next(struct source *s)
{
	struct manifest_record rec;
	struct want *w;
	int rc;

	s->cur = NULL;
	if (!s->xcpm) {
		if (s->i == s->n)
			return 0;
		s->cur = malloc(sizeof(*s->cur));
		if (s->cur == NULL)
			return -1;
		*s->cur = s->v[s->i];
		/* The array gives its strings away. */
		s->v[s->i].path = s->v[s->i].target = NULL;
		s->i++;
		s->cur->rec.path = s->cur->path;
		s->cur->rec.target = s->cur->target;
		return 1;
	}
	if ((rc = manifest_next(&s->r, &rec)) <= 0) {
		if (rc == -1)
			return bad(s, s->r.why, s->r.line);
		return 0;
	}
	if (strcmp(rec.path, ".") != 0 && strncmp(rec.path, "./", 2) != 0)
		return bad(s, N_("path does not start with \"./\""), s->r.line);
	if (s->prev != NULL && scan_pathcmp(s->prev, rec.path) >= 0)
		return bad(s, N_("records are not in walk order"), s->r.line);
	if (strcmp(rec.path, ".") == 0)
		s->has_root = true;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	w->rec = rec;
	w->path = strdup(rec.path);
	w->target = rec.target ? strdup(rec.target) : NULL;
	if (w->path == NULL || (rec.target != NULL && w->target == NULL)) {
		want_free(w);
		return -1;
	}
	w->rec.path = w->path;
	w->rec.target = w->target;
	w->rec.strategy = NULL;
	w->algo = rec.has_hash ? HASHQ_XXH128 : NO_HASH;
	if (rec.has_hash)
		memcpy(w->digest, rec.hash, HASH_LEN);
	w->has_mode = w->has_uid = w->has_gid = true;
	w->has_size = w->has_mtime = w->has_target = true;
	free(s->prev);
	if ((s->prev = strdup(rec.path)) == NULL) {
		want_free(w);
		return -1;
	}
	s->cur = w;
	return 1;
}

/*
 * libarchive reads the spec through the line already taken off fp.  It
 * fills in 0 for a keyword the spec never gives, so the raw text is also
 * searched for each keyword: one absent from the whole spec is not
 * compared.
 */
struct spec_input {
	FILE		*fp;
	const char	*first;
	size_t		 first_len;
	unsigned	 seen;		/* SEEN_ bits */
	char		 carry[8];	/* the end of the last chunk */
	size_t		 ncarry;
	char		 buf[65536 + 8];
};

#define SEEN_MODE	0x01
#define SEEN_UID	0x02
#define SEEN_GID	0x04
#define SEEN_SIZE	0x08
#define SEEN_TIME	0x10
#define SEEN_LINK	0x20
#define SEEN_DEVICE	0x40

static void
spec_keywords(struct spec_input *in, const char *p, size_t n)
{
	static const struct {
		const char	*kw;
		unsigned	 bit;
	} kws[] = {
		{ "mode=", SEEN_MODE }, { "uid=", SEEN_UID },
		{ "gid=", SEEN_GID }, { "size=", SEEN_SIZE },
		{ "time=", SEEN_TIME }, { "link=", SEEN_LINK },
		{ "device=", SEEN_DEVICE },
	};
	size_t i;

	for (i = 0; i < sizeof(kws) / sizeof(kws[0]); i++)
		if (!(in->seen & kws[i].bit) && memmem(p, n, kws[i].kw,
		    strlen(kws[i].kw)) != NULL)
			in->seen |= kws[i].bit;
}

static ssize_t
spec_read(struct archive *a, void *arg, const void **out)
{
	struct spec_input *in = arg;
	size_t n, keep;

	if (in->first != NULL) {
		*out = in->first;
		n = in->first_len;
		in->first = NULL;
		spec_keywords(in, *out, n);
		return (ssize_t)n;
	}
	/* The carry lets a keyword cut between two chunks be found. */
	keep = in->ncarry;
	memcpy(in->buf, in->carry, keep);
	n = fread(in->buf + keep, 1, sizeof(in->buf) - keep, in->fp);
	if (n == 0 && ferror(in->fp)) {
		archive_set_error(a, errno, "read error");
		return -1;
	}
	spec_keywords(in, in->buf, keep + n);
	in->ncarry = keep + n < sizeof(in->carry) ? keep + n :
	    sizeof(in->carry);
	memcpy(in->carry, in->buf + keep + n - in->ncarry, in->ncarry);
	*out = in->buf + keep;
	return (ssize_t)n;
}

/* "./a/b" from "a/b", "./a/b", "/a/b/" or ".". */
static char *
spec_path(const char *p)
{
	size_t n;
	char *out;

	while (p[0] == '.' && p[1] == '/')
		p += 2;
	while (*p == '/')
		p++;
	n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		n--;
	if (n == 0 || (n == 1 && p[0] == '.'))
		return strdup(".");
	if ((out = malloc(n + 3)) == NULL)
		return NULL;
	memcpy(out, "./", 2);
	memcpy(out + 2, p, n);
	out[n + 2] = '\0';
	return out;
}

static int
want_cmp(const void *a, const void *b)
{
	const struct want *x = a, *y = b;
	int c = scan_pathcmp(x->path, y->path);

	/* Equal paths keep the spec's order: the last one wins. */
	if (c == 0)
		c = x->seq < y->seq ? -1 : x->seq > y->seq;
	return c;
}

static bool
nonzero(const unsigned char *p, size_t n)
{
	while (n-- > 0)
		if (*p++ != 0)
			return true;
	return false;
}

/* Take the strongest digest the spec gives for an entry. */
static void
spec_digest(struct archive_entry *e, struct want *w)
{
	static const struct {
		int		 la;
		enum digest_type d;
	} order[] = {
		{ ARCHIVE_ENTRY_DIGEST_SHA512, DIGEST_SHA512 },
		{ ARCHIVE_ENTRY_DIGEST_SHA384, DIGEST_SHA384 },
		{ ARCHIVE_ENTRY_DIGEST_SHA256, DIGEST_SHA256 },
		{ ARCHIVE_ENTRY_DIGEST_SHA1, DIGEST_SHA1 },
		{ ARCHIVE_ENTRY_DIGEST_MD5, DIGEST_MD5 },
	};
	const unsigned char *d;
	size_t i;

	w->algo = NO_HASH;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		d = archive_entry_digest(e, order[i].la);
		if (d != NULL && nonzero(d, digest_len(order[i].d))) {
			w->algo = (int)order[i].d;
			memcpy(w->digest, d, digest_len(order[i].d));
			return;
		}
	}
}

static int
spec_entry(struct archive_entry *e, struct want *w)
{
	char dev[64];
	const char *t = NULL;

	memset(w, 0, sizeof(*w));
	w->mtree = true;
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
		w->rec.type = 'f';
		break;
	case AE_IFDIR:
		w->rec.type = 'd';
		break;
	case AE_IFLNK:
		w->rec.type = 'l';
		t = archive_entry_symlink(e);
		break;
	case AE_IFIFO:
		w->rec.type = 'p';
		break;
	case AE_IFSOCK:
		w->rec.type = 's';
		break;
	case AE_IFCHR:
	case AE_IFBLK:
		w->rec.type = archive_entry_filetype(e) == AE_IFCHR ? 'c' :
		    'b';
		snprintf(dev, sizeof(dev), "%u,%u",
		    (unsigned)archive_entry_rdevmajor(e),
		    (unsigned)archive_entry_rdevminor(e));
		t = dev;
		break;
	default:
		return 0;	/* no type: nothing to compare */
	}
	w->rec.mode = archive_entry_perm(e) & 07777;
	w->rec.uid = (uid_t)archive_entry_uid(e);
	w->rec.gid = (gid_t)archive_entry_gid(e);
	w->has_size = archive_entry_size_is_set(e) && w->rec.type != 'd';
	w->rec.size = (uint64_t)archive_entry_size(e);
	w->has_mtime = archive_entry_mtime_is_set(e);
	w->rec.mtime.tv_sec = archive_entry_mtime(e);
	w->rec.mtime.tv_nsec = archive_entry_mtime_nsec(e);
	/* A symlink's size is its target's length, known only with it. */
	w->has_target = true;
	if (w->rec.type == 'l') {
		w->rec.size = t != NULL ? strlen(t) : 0;
		w->has_size = t != NULL;
	}
	spec_digest(e, w);
	if ((w->path = spec_path(archive_entry_pathname(e))) == NULL ||
	    (t != NULL && (w->target = strdup(t)) == NULL)) {
		free(w->path);
		w->path = NULL;
		return -1;
	}
	return 1;
}

static int
load_mtree(struct source *s, FILE *fp, const char *first, size_t len)
{
	struct spec_input in;
	struct archive *a;
	struct archive_entry *e;
	struct want *v, w;
	size_t alloc = 0, i, j;
	int rc = -1, r;

	if ((a = archive_read_new()) == NULL)
		return -1;
	archive_read_support_format_mtree(a);
	memset(&in, 0, sizeof(in));
	in.fp = fp;
	in.first = first;
	in.first_len = len;
	if (archive_read_open(a, &in, NULL, spec_read, NULL) != ARCHIVE_OK) {
		bad(s, N_("neither an xcpm manifest nor an mtree spec"), 1);
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
	    r == ARCHIVE_WARN) {
		if (archive_entry_pathname(e) == NULL)
			continue;
		if ((r = spec_entry(e, &w)) == -1)
			goto out;
		if (r == 0)
			continue;
		if (s->n == alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			if ((v = realloc(s->v, alloc * sizeof(*v))) == NULL) {
				free(w.path);
				free(w.target);
				goto out;
			}
			s->v = v;
		}
		w.seq = s->n;
		s->v[s->n++] = w;
	}
	if (r != ARCHIVE_EOF) {
		/* libarchive's message is kept for the front end. */
		s->why = archive_error_string(a) ? strdup(archive_error_string(
		    a)) : NULL;
		if (s->why == NULL)
			s->why = N_("invalid mtree spec");
		s->line = 0;
		errno = EINVAL;
		goto out;
	}
	for (i = 0; i < s->n; i++) {
		s->v[i].has_mode = in.seen & SEEN_MODE;
		s->v[i].has_uid = in.seen & SEEN_UID;
		s->v[i].has_gid = in.seen & SEEN_GID;
		if (!(in.seen & SEEN_SIZE) && s->v[i].rec.type != 'l')
			s->v[i].has_size = false;
		if (!(in.seen & (s->v[i].rec.type == 'l' ? SEEN_LINK :
		    SEEN_DEVICE)))
			s->v[i].has_target = false;
		if (!(in.seen & SEEN_TIME))
			s->v[i].has_mtime = false;
	}
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), want_cmp);
	for (i = j = 0; i < s->n; i++) {
		if (i + 1 < s->n && strcmp(s->v[i].path, s->v[i + 1].path) ==
		    0) {
			free(s->v[i].path);
			free(s->v[i].target);
			continue;
		}
		s->v[j++] = s->v[i];
	}
	s->n = j;
	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].path, ".") == 0)
			s->has_root = true;
	rc = 0;
out:
	archive_read_free(a);
	return rc;
}

static int
source_open(struct source *s, FILE *fp)
{
	char *line = NULL;
	size_t alloc = 0;
	ssize_t n;
	int rc;

	memset(s, 0, sizeof(*s));
	n = getline(&line, &alloc, fp);
	if (n <= 0) {
		free(line);
		if (ferror(fp))
			return -1;
		return bad(s, N_("empty manifest"), 1);
	}
	if (strcmp(line, "#xcpm 1\n") == 0) {
		s->xcpm = true;
		rc = manifest_open_header(&s->r, fp, line, (size_t)n);
		if (rc == -1)
			bad(s, s->r.why, s->r.line);
	} else
		rc = load_mtree(s, fp, line, (size_t)n);
	free(line);
	if (rc == -1)
		return -1;
	return source_next(s) == -1 ? -1 : 0;
}

static void
source_close(struct source *s)
{
	size_t i;

	if (s->xcpm)
		manifest_close(&s->r);
	for (i = s->i; i < s->n; i++) {
		free(s->v[i].path);
		free(s->v[i].target);
	}
	free(s->v);
	want_free(s->cur);
	free(s->prev);
}

/* Compare what can be compared without reading the data. */
static unsigned
compare(const struct want *w, const struct manifest_record *g, bool *hash)
{
	const struct manifest_record *r = &w->rec;
	int wt = r->type == 'h' ? 'f' : r->type;
	int gt = g->type == 'h' ? 'f' : g->type;
	const char *a, *b;
	unsigned f = 0;

	*hash = false;
	if (wt != gt)
		return VERIFY_TYPE;
	if (w->has_mode && wt != 'l' && r->mode != g->mode)
		f |= VERIFY_MODE;
	if (w->has_uid && r->uid != g->uid)
		f |= VERIFY_UID;
	if (w->has_gid && r->gid != g->gid)
		f |= VERIFY_GID;
	if (w->has_size && (wt == 'f' || wt == 'l') && r->size != g->size)
		f |= VERIFY_SIZE;
	if (w->has_mtime && (r->mtime.tv_sec != g->mtime.tv_sec ||
	    r->mtime.tv_nsec != g->mtime.tv_nsec))
		f |= VERIFY_MTIME;
	if (wt == 'f') {
		/* f and h: which first path the data is shared with. */
		a = r->type == 'h' ? r->target : NULL;
		b = g->type == 'h' ? g->target : NULL;
		if (!w->mtree && ((a == NULL) != (b == NULL) ||
		    (a != NULL && strcmp(a, b) != 0)))
			f |= VERIFY_TARGET;
		if (w->algo != NO_HASH) {
			/* A different size is different content. */
			if (f & VERIFY_SIZE)
				f |= VERIFY_CONTENT;
			else
				*hash = true;
		}
	} else if (w->has_target && (wt == 'l' || wt == 'c' || wt == 'b')) {
		a = r->target ? r->target : "";
		b = g->target ? g->target : "";
		if (strcmp(a, b) != 0)
			f |= VERIFY_TARGET;
	}
	return f;
}

static void
item_free(struct item *it)
{
	want_free(it->w);
	free(it->gpath);
	free(it->gtarget);
	free(it);
}

static void
tell(struct verify *v, struct item *it, const unsigned char *got, int err)
{
	char wh[2 * HASHQ_MAX + 1], gh[2 * HASHQ_MAX + 1];
	struct verify_diff d;
	size_t i, n;

	memset(&d, 0, sizeof(d));
	d.kind = it->kind;
	d.fields = it->fields;
	d.want = it->w ? &it->w->rec : NULL;
	d.got = it->kind != VERIFY_MISSING ? &it->got : NULL;
	d.path = it->w ? it->w->path : it->gpath;
	if (it->err > 0) {
		d.kind = VERIFY_UNREADABLE;
		d.err = it->err;
	} else if (it->hashing && err > 0) {
		d.kind = VERIFY_UNREADABLE;
		d.err = err;
	} else if (it->hashing && err == 0) {
		/* Only an item with a wanted digest (w) is hashed. */
		/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
		n = algo_len(it->w->algo);
		if (memcmp(got, it->w->digest, n) != 0) {
			d.fields |= VERIFY_CONTENT;
			for (i = 0; i < n; i++) {
				snprintf(wh + 2 * i, 3, "%02x",
				    it->w->digest[i]);
				snprintf(gh + 2 * i, 3, "%02x", got[i]);
			}
			d.algo = it->w->algo == HASHQ_XXH128 ? "xxh128" :
			    digest_name((enum digest_type)it->w->algo);
			d.want_hash = wh;
			d.got_hash = gh;
		}
	}
	if (d.kind == VERIFY_CHANGED && d.fields == 0)
		return;
	switch (d.kind) {
	case VERIFY_MISSING:
		v->stats->missing++;
		break;
	case VERIFY_EXTRA:
		v->stats->extra++;
		break;
	case VERIFY_CHANGED:
		v->stats->changed++;
		break;
	case VERIFY_UNREADABLE:
		v->stats->unreadable++;
		break;
	}
	v->ops->diff(v->ops->arg, &d);
}

static void
drain_one(struct verify *v)
{
	unsigned char got[HASHQ_MAX];
	struct item *it;
	int err;

	if ((it = hashq_pop(&v->q, got, &err)) == NULL)
		return;
	tell(v, it, got, err);
	item_free(it);
}

/* Queue an item in its turn; with e, the entry's file is hashed with algo. */
static int
push(struct verify *v, struct item *it, const struct scan_entry *e, int algo)
{
	const char *name;

	while (hashq_full(&v->q, e != NULL))
		drain_one(v);
	it->hashing = e != NULL;
	/*
	 * A worker opens the file by the name that ends its path: the root
	 * has no such name, but the path it was given lives as long as this.
	 */
	if (e != NULL)
		name = e->depth == 0 ? e->name : it->gpath + strlen(it->gpath) -
		    strlen(e->name);
	if ((e != NULL ? hashq_push_at(&v->q, it, e->dirfd, e->dirid, name,
	    e->depth == 0, algo, (off_t)it->got.size) : hashq_push(&v->q, it,
	    -1, algo, -1)) == -1) {
		item_free(it);
		return -1;
	}
	while (hashq_ready(&v->q))
		drain_one(v);
	return 0;
}

/* Whether path is skip or below it. */
static bool
below(const char *path, const char *skip)
{
	size_t n = strlen(skip);

	return strncmp(path, skip, n) == 0 && (path[n] == '\0' ||
	    path[n] == '/' || n == 1);
}

/* Report the current record as missing and move on. */
static int
missing(struct verify *v)
{
	struct item *it;

	/* Under a directory that could not be read, nothing is missing. */
	if (v->skip != NULL && below(v->src.cur->path, v->skip)) {
		v->stats->entries++;
		want_free(v->src.cur);
		v->src.cur = NULL;
		return source_next(&v->src);
	}

	if ((it = calloc(1, sizeof(*it))) == NULL)
		return -1;
	it->kind = VERIFY_MISSING;
	it->w = v->src.cur;
	v->stats->entries++;
	v->src.cur = NULL;
	if (push(v, it, NULL, 0) == -1)
		return -1;
	return source_next(&v->src);
}

/* The record can be made: an entry that could not be read is reported. */
static int
entry(void *arg, const struct scan_entry *e)
{
	struct verify *v = arg;
	struct manifest_record g;
	struct item *it;
	char dev[64], *target = NULL;
	bool hash = false;
	int c = 1, err = 0;

	while (v->src.cur != NULL &&
	    (c = scan_pathcmp(v->src.cur->path, e->path)) < 0)
		if (missing(v) == -1)
			return -1;
	/* A manifest of operands copied into a directory has no root. */
	if (c != 0 && e->depth == 0 && !v->src.has_root)
		return 0;
	if (scan_record(e, &v->links, &g, &target, dev, sizeof(dev)) == -1) {
		if (errno == ENOMEM)
			return -1;
		err = errno;
		memset(&g, 0, sizeof(g));
	}
	if ((it = calloc(1, sizeof(*it))) == NULL) {
		free(target);
		return -1;
	}
	it->got = g;
	it->err = err;
	it->gpath = strdup(e->path);
	it->gtarget = target ? target : g.target ? strdup(g.target) : NULL;
	if (it->gpath == NULL || (g.target != NULL && it->gtarget == NULL)) {
		item_free(it);
		errno = ENOMEM;
		return -1;
	}
	it->got.path = it->gpath;
	it->got.target = it->gtarget;
	if (c != 0) {
		it->kind = VERIFY_EXTRA;
		return push(v, it, NULL, 0);
	}
	it->kind = VERIFY_CHANGED;
	it->w = v->src.cur;
	v->src.cur = NULL;
	v->stats->entries++;
	if (err == 0)
		it->fields = compare(it->w, &it->got, &hash);
	if (v->no_content)
		hash = false;
	if (push(v, it, hash ? e : NULL, it->w->algo) == -1)
		return -1;
	return source_next(&v->src);
}

static void
scan_error(void *arg, const char *path, int err)
{
	struct verify *v = arg;
	struct item *it;

	/* In its turn, after what came before it. */
	if ((it = calloc(1, sizeof(*it))) == NULL ||
	    (it->gpath = strdup(path)) == NULL) {
		free(it);
		v->err = ENOMEM;
		return;
	}
	it->kind = VERIFY_UNREADABLE;
	it->err = err;
	if (push(v, it, NULL, 0) == -1)
		v->err = errno;
	free(v->skip);
	if ((v->skip = strdup(path)) == NULL)
		v->err = ENOMEM;
}

int
verify_tree(FILE *fp, const char *root, unsigned threads,
    const struct verify_ops *ops, struct verify_stats *stats)
{
	return verify_tree_opts(fp, root, threads, true, ops, stats);
}

int
verify_tree_opts(FILE *fp, const char *root, unsigned threads, bool content,
    const struct verify_ops *ops, struct verify_stats *stats)
{
	struct verify v;
	struct scan_ops so;
	int rc, e = 0;

	memset(&v, 0, sizeof(v));
	v.no_content = !content;
	memset(stats, 0, sizeof(*stats));
	v.ops = ops;
	v.stats = stats;
	inomap_init(&v.links);
	if (source_open(&v.src, fp) == -1) {
		e = errno;
		stats->in_manifest = true;
		stats->why = v.src.why;
		stats->line = v.src.line;
		source_close(&v.src);
		errno = e;
		return -1;
	}
	if (hashq_init(&v.q, threads, DEPTH) == -1) {
		e = errno;
		source_close(&v.src);
		errno = e;
		return -1;
	}
	so.entry = entry;
	so.error = scan_error;
	so.arg = &v;
	/* A manifest of a symlink (xcp -P) describes the link itself. */
	rc = scan_tree(root, !(v.src.cur != NULL &&
	    strcmp(v.src.cur->path, ".") == 0 && v.src.cur->rec.type == 'l'),
	    &so);
	if (rc == -1)
		e = errno;
	while (rc == 0 && v.src.cur != NULL)
		if (missing(&v) == -1) {
			rc = -1;
			e = errno;
		}
	if (rc == 0 && v.err != 0) {
		rc = -1;
		e = v.err;
	}
	while (!hashq_empty(&v.q))
		drain_one(&v);
	hashq_free(&v.q);
	if (rc == -1 && (v.src.why != NULL || ferror(fp))) {
		stats->in_manifest = true;
		stats->why = v.src.why;
		stats->line = v.src.line;
	}
	source_close(&v.src);
	inomap_free(&v.links);
	free(v.skip);
	errno = e;
	return rc;
}
