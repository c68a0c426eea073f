/*
 * xsync SRC... DST: the rsync-style mirror.  Parses rsync's options for
 * local copies, applies the trailing-slash rule, and prints what the
 * mirror reports: itemized changes (-i), names (-v), progress, --stats.
 * The work is lib/core/mirror's.
 */
#include "config.h"

#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "core/filter.h"
#include "core/mirror.h"
#include "xsync.h"

enum {
	OPT_DELETE = OPT_FILTER_LAST + 1,
	OPT_DELETE_EXCLUDED,
	OPT_MAX_DELETE,
	OPT_LINK_DEST,
	OPT_REFLINK_DEST,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
	OPT_INFO,
	OPT_STATS,
	OPT_DEVICES,
	OPT_SPECIALS,
	OPT_NUMERIC_IDS,
	OPT_FSYNC,
	OPT_JSON,
	OPT_NULL,
	OPT_HELP,
	OPT_VERSION
};

static const struct option longopts[] = {
	{ "archive", no_argument, NULL, 'a' },
	{ "recursive", no_argument, NULL, 'r' },
	{ "links", no_argument, NULL, 'l' },
	{ "perms", no_argument, NULL, 'p' },
	{ "times", no_argument, NULL, 't' },
	{ "owner", no_argument, NULL, 'o' },
	{ "group", no_argument, NULL, 'g' },
	{ "devices", no_argument, NULL, OPT_DEVICES },
	{ "specials", no_argument, NULL, OPT_SPECIALS },
	{ "hard-links", no_argument, NULL, 'H' },
	{ "acls", no_argument, NULL, 'A' },
	{ "xattrs", no_argument, NULL, 'X' },
	{ "one-file-system", no_argument, NULL, 'x' },
	{ "delete", no_argument, NULL, OPT_DELETE },
	{ "delete-during", no_argument, NULL, OPT_DELETE },
	{ "delete-excluded", no_argument, NULL, OPT_DELETE_EXCLUDED },
	{ "max-delete", required_argument, NULL, OPT_MAX_DELETE },
	XSYNC_FILTER_OPTIONS,
	{ "from0", no_argument, NULL, '0' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "itemize-changes", no_argument, NULL, 'i' },
	{ "checksum", no_argument, NULL, 'c' },
	{ "link-dest", required_argument, NULL, OPT_LINK_DEST },
	{ "reflink-dest", required_argument, NULL, OPT_REFLINK_DEST },
	{ "jobs", required_argument, NULL, 'j' },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "info", required_argument, NULL, OPT_INFO },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "null", no_argument, NULL, OPT_NULL },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "numeric-ids", no_argument, NULL, OPT_NUMERIC_IDS },
	{ "fsync", no_argument, NULL, OPT_FSYNC },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static void
mirror_usage(void)
{
	printf(_("Usage: %s [OPTION]... SRC... DST\n"), common_progname());
	fputs(_("Make DST a mirror of the sources, as rsync does for local "
	    "copies: a source\nending in / gives its contents, else itself "
	    "as DST/NAME.\n\n"), stdout);
	fputs(_(
"  -a, --archive           -rlptgoD\n"
"  -r, --recursive         into directories\n"
"  -l, --links             copy symbolic links as links\n"
"  -p, --perms             keep permissions\n"
"  -t, --times             keep modification times\n"
"  -o, --owner             keep the owner (root only)\n"
"  -g, --group             keep the group\n"
"  -D                      --devices --specials\n"
"  -H, --hard-links        keep hard links\n"
"  -A, --acls              keep ACLs\n"
"  -X, --xattrs            keep extended attributes\n"
"  -x, --one-file-system   do not cross filesystem boundaries\n"
"      --delete            delete what the sources do not have\n"
"      --delete-excluded   also delete excluded files\n"
"      --max-delete=N      delete at most N entries\n"
"      --exclude=PATTERN   exclude what matches PATTERN\n"
"      --include=PATTERN   do not exclude what matches PATTERN\n"
"      --exclude-from=FILE, --include-from=FILE  patterns from FILE\n"
"  -0, --from0             patterns in FILE end with NULs, not newlines\n"
"  -f, --filter=RULE       an rsync filter rule (\"- PAT\", \"+ PAT\")\n"
"  -c, --checksum          compare contents, not size and time\n"
"      --link-dest=DIR     hard link files unchanged in DIR\n"
"      --reflink-dest=DIR  clone files unchanged in DIR\n"
"  -j, --jobs=N            N threads for files (default: one per CPU)\n"
"  -n, --dry-run           show what would be done, change nothing\n"
"  -i, --itemize-changes   one line per change (-ii: per entry)\n"
"  -v, --verbose           the names of what changed\n"
"  -q, --quiet             no messages but errors\n"
"      --progress          a line per file copied\n"
"      --info=progress2    the progress of the whole transfer\n"
"      --no-progress       no progress line on the terminal, nor the above\n"
"      --stats             counts and sizes at the end\n"
"      --json              the counts, and what -i or -v shows, as JSON\n"
"      --null              -i, -v: end each name with a NUL, unescaped\n"
"      --fsync             have what was written on disk before exiting\n"
"      --help              display this help and exit\n"
"      --version           output version information and exit\n"
"\nExit status: 0 success, 1 usage error, 3 a source or DST that cannot "
"be\nused, 11 stopped: DST full or failing, 23 some entries failed, 24 "
"some\nsources vanished or changed, 25 --max-delete stopped deletions.\n"), stdout);
	xsync_commands_help();
	exit(XS_OK);
}

/* A path as rsync prints it: control bytes as \#ooo. */
static void
put_path(const char *p)
{
	for (; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			printf("\\#%03o", (unsigned char)*p);
		else
			putchar(*p);
	}
}

static double
elapsed(const struct xsync_view *v)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - v->start.tv_sec) +
	    (double)(now.tv_nsec - v->start.tv_nsec) / 1e9;
}

/* n with thousands separators, as rsync prints sizes. */
static const char *
commas(uint64_t n, char *buf, size_t len)
{
	char tmp[32];
	size_t i, j, k;

	snprintf(tmp, sizeof(tmp), "%" PRIu64, n);
	k = strlen(tmp);
	for (i = j = 0; i < k && j + 2 < len; i++) {
		if (i > 0 && (k - i) % 3 == 0)
			buf[j++] = ',';
		buf[j++] = tmp[i];
	}
	buf[j] = '\0';
	return buf;
}

FILE *
xsync_view_out(const struct xsync_view *v)
{
	return v->json || v->null ? stderr : stdout;
}

static void
show_progress(struct xsync_view *v, const struct mirror_item *it)
{
	FILE *out = xsync_view_out(v);
	char a[32];
	double t = elapsed(v);
	uint64_t total = v->st->total_size;
	int pct;

	if (v->progress && it->update == '>' && it->st != NULL) {
		fprintf(out, "%15s 100%% (xfr#%u)\n",
		    commas((uint64_t)it->st->st_size, a, sizeof(a)), v->xfers);
	}
	if (v->progress2) {
		pct = total > 0 ? (int)(v->done * 100 / total) : 100;
		/* The line is rewritten in place: \r is no part of it. */
		putc('\r', out);
		/*
		 * TRANSLATORS: the --info=progress2 line: bytes done,
		 * percentage, rate, seconds, files copied and files seen.
		 */
		fprintf(out, _("%15s %3d%% %7.2fMB/s %8.1fs (xfr#%u, files %"
		    PRIu64 ")"), commas(v->done, a, sizeof(a)), pct,
		    t > 0 ? (double)v->done / t / 1e6 : 0.0, t, v->xfers,
		    v->st->files);
		fflush(out);
	}
}

/* One item of the document's "changes" array. */
static void
json_item(struct xsync_view *v, const struct mirror_item *it)
{
	static const struct {
		unsigned	 bit;
		const char	*name;
	} attrs[] = {
		{ MI_CHECKSUM, "checksum" }, { MI_SIZE, "size" },
		{ MI_TIME, "time" }, { MI_PERMS, "perms" },
		{ MI_OWNER, "owner" }, { MI_GROUP, "group" },
		{ MI_ACL, "acl" }, { MI_XATTR, "xattr" },
	};
	char code[12];
	size_t i;
	bool first = true;

	mirror_itemize(it, code);
	printf("%s\n{\"path\":", v->first ? "" : ",");
	v->first = false;
	common_json_str(it->path);
	printf(",\"item\":\"%s\",\"type\":", code);
	/* A deletion's type is not known: it was not looked at. */
	if (it->type != '\0')
		printf("\"%c\"", it->type);
	else
		fputs("null", stdout);
	printf(",\"new\":%s,\"deleted\":%s,\"data\":%s,\"attributes\":[",
	    it->flags & MI_NEW ? "true" : "false",
	    it->flags & MI_DELETED ? "true" : "false",
	    it->update == '>' ? "true" : "false");
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (!(it->flags & (MI_NEW | MI_DELETED)) &&
		    (it->flags & attrs[i].bit)) {
			printf("%s\"%s\"", first ? "" : ",", attrs[i].name);
			first = false;
		}
	fputs("],\"link\":", stdout);
	common_json_str(it->type == 'L' || it->update == 'h' ? it->link :
	    NULL);
	putchar('}');
}

void
xsync_json_begin(struct xsync_view *v)
{
	v->first = true;
	fputs(v->itemize > 0 || v->verbose > 0 ? "{\"changes\":[" :
	    "{\"changes\":null", stdout);
}

void
xsync_json_stats(const struct xsync_view *v, const struct mirror_stats *s)
{
	if (v->itemize > 0 || v->verbose > 0)
		fputs(v->first ? "]" : "\n]", stdout);
	printf(",\"stats\":{\"files\":%" PRIu64 ",\"regular\":%" PRIu64
	    ",\"dirs\":%" PRIu64 ",\"symlinks\":%" PRIu64 ",\"devices\":%"
	    PRIu64 ",\"specials\":%" PRIu64 ",\"created\":%" PRIu64
	    ",\"created_regular\":%" PRIu64 ",\"created_dirs\":%" PRIu64
	    ",\"created_symlinks\":%" PRIu64 ",\"deleted\":%" PRIu64
	    ",\"transferred\":%" PRIu64 ",\"total_size\":%" PRIu64
	    ",\"transferred_size\":%" PRIu64 ",\"copied\":%" PRIu64
	    ",\"shared\":%" PRIu64 ",\"skipped_deletes\":%" PRIu64 "}",
	    s->files, s->regular, s->dirs, s->symlinks, s->devices,
	    s->specials, s->created, s->created_reg, s->created_dir,
	    s->created_link, s->deleted, s->transferred, s->total_size,
	    s->transferred_size, s->copied, s->shared, s->skipped_deletes);
}

void
xsync_view_item(void *arg, const struct mirror_item *it)
{
	struct xsync_view *v = arg;
	char code[12];
	const char *arrow;

	if (it->update == '>') {
		v->xfers++;
		if (it->st != NULL)
			v->done += (uint64_t)it->st->st_size;
	} else if (it->type == 'f' && it->st != NULL) {
		v->done += (uint64_t)it->st->st_size;
	}
	if (v->json) {
		/* -q silences messages, not the document asked for. */
		if ((v->itemize > 0 || v->verbose > 0) &&
		    (v->itemize > 1 || mirror_significant(it)))
			json_item(v, it);
		if (v->quiet)
			return;
		goto progress;
	}
	if (v->quiet)
		return;
	arrow = it->type == 'L' ? " -> " : it->update == 'h' &&
	    it->link != NULL ? " => " : NULL;
	if (v->null) {
		/* The name as it is, no arrow: a target may hold anything. */
		if (v->itemize > 0 &&
		    (v->itemize > 1 || mirror_significant(it))) {
			mirror_itemize(it, code);
			printf("%s ", code);
			common_put0(it->path);
		} else if (v->itemize == 0 && v->verbose > 0 &&
		    mirror_significant(it))
			common_put0(it->path);
	} else if (v->itemize > 0 &&
	    (v->itemize > 1 || mirror_significant(it))) {
		meter_hold();
		mirror_itemize(it, code);
		printf("%s ", code);
		put_path(it->path);
		if (arrow != NULL && it->link != NULL) {
			fputs(arrow, stdout);
			put_path(it->link);
		}
		putchar('\n');
		meter_release();
	} else if (v->itemize == 0 && v->verbose > 0 &&
	    mirror_significant(it)) {
		meter_hold();
		if (it->flags & MI_DELETED)
			fputs(_("deleting "), stdout);
		put_path(it->path);
		if (arrow != NULL && it->link != NULL) {
			fputs(arrow, stdout);
			put_path(it->link);
		}
		putchar('\n');
		meter_release();
	}
progress:
	if (v->progress || v->progress2)
		show_progress(v, it);
}

void
xsync_view_report(void *arg, const struct mirror_event *ev)
{
	static const char *const what[] = {
		[ME_VANISHED] = N_("file has vanished: %s"),
		[ME_STAT] = N_("cannot stat %s"),
		[ME_OPEN_DIR] = N_("cannot open directory %s"),
		[ME_READ] = N_("error reading %s"),
		[ME_READLINK] = N_("cannot read symbolic link %s"),
		[ME_CREATE] = N_("cannot create %s"),
		[ME_WRITE] = N_("error writing %s"),
		[ME_RENAME] = N_("cannot rename into place %s"),
		[ME_DELETE] = N_("cannot delete %s"),
		[ME_NOT_EMPTY] = N_("cannot delete non-empty directory %s"),
		[ME_META] = N_("cannot set the attributes of %s"),
		[ME_CHANGED] = N_("%s changed while it was copied"),
		[ME_SKIP_DIR] = N_("skipping directory %s"),
		[ME_SKIP_SPECIAL] = N_("skipping non-regular file %s"),
		[ME_OTHER_FS] = NULL,
		[ME_DEST_INSIDE] = N_("skipping %s: the destination is there"),
		[ME_REF] = N_("cannot open reference directory %s"),
	};
	struct xsync_view *v = arg;

	if (ev->kind == ME_VANISHED || ev->kind == ME_CHANGED)
		v->vanished = true;
	else if (ev->kind != ME_SKIP_DIR && ev->kind != ME_SKIP_SPECIAL &&
	    ev->kind != ME_OTHER_FS && ev->kind != ME_DEST_INSIDE)
		v->errors = true;
	if (what[ev->kind] == NULL ||
	    ((ev->kind == ME_SKIP_DIR || ev->kind == ME_SKIP_SPECIAL) &&
	    v->quiet))
		return;
	fflush(stdout);
	common_warn(ev->err, _(what[ev->kind]), common_quote(ev->path));
}

void
xsync_print_stats(FILE *out, const struct mirror_stats *s)
{
	char a[32], b[32];

	fprintf(out, _("\nNumber of files: %s (reg: %" PRIu64 ", dir: %" PRIu64
	    ", link: %" PRIu64 ", dev: %" PRIu64 ", special: %" PRIu64 ")\n"),
	    commas(s->files, a, sizeof(a)), s->regular, s->dirs, s->symlinks,
	    s->devices, s->specials);
	fprintf(out, _("Number of created files: %s (reg: %" PRIu64 ", dir: %"
	    PRIu64 ", link: %" PRIu64 ")\n"), commas(s->created, a,
	    sizeof(a)), s->created_reg, s->created_dir, s->created_link);
	fprintf(out, _("Number of deleted files: %s\n"),
	    commas(s->deleted, a, sizeof(a)));
	fprintf(out, _("Number of regular files transferred: %s\n"),
	    commas(s->transferred, a, sizeof(a)));
	fprintf(out, _("Total file size: %s bytes\n"),
	    commas(s->total_size, a, sizeof(a)));
	fprintf(out, _("Total transferred file size: %s bytes\n"),
	    commas(s->transferred_size, a, sizeof(a)));
	fprintf(out, _("Copied data: %s bytes\nShared data: %s bytes\n"),
	    commas(s->copied, a, sizeof(a)), commas(s->shared, b,
	    sizeof(b)));
}

static void
load_rules(struct filter *f, enum filter_kind kind, const char *path,
    bool from0)
{
	FILE *fp;
	size_t line = 0;

	fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (fp == NULL) {
		common_warn(errno, _("cannot read %s"), common_quote(path));
		exit(XS_USAGE);
	}
	if (filter_load_delim(f, kind, fp, from0 ? '\0' : '\n', &line) == -1) {
		common_warn(errno, _("%s, line %zu"), common_quote(path), line);
		exit(XS_USAGE);
	}
	if (fp != stdin)
		(void)fclose(fp);
}

void
xsync_filter_option(struct filter *f, int ch, const char *arg, bool from0)
{
	switch (ch) {
	case OPT_EXCLUDE:
	case OPT_INCLUDE:
		if (filter_add(f, ch == OPT_EXCLUDE ? FILTER_EXCLUDE :
		    FILTER_INCLUDE, arg) == -1) {
			common_warn(errno, _("invalid pattern %s"),
			    common_quote_arg(arg));
			common_try_help();
		}
		break;
	case OPT_EXCLUDE_FROM:
	case OPT_INCLUDE_FROM:
		load_rules(f, ch == OPT_EXCLUDE_FROM ? FILTER_EXCLUDE :
		    FILTER_INCLUDE, arg, from0);
		break;
	default:
		if (filter_rule(f, arg) == -1) {
			common_warn(0, _("unsupported filter rule %s"),
			    common_quote_arg(arg));
			common_try_help();
		}
		break;
	}
}

void
xsync_rules_add(struct xsync_rules *r, int ch, const char *arg)
{
	struct xsync_rule *v;

	if ((v = reallocarray(r->v, r->n + 1, sizeof(*v))) == NULL)
		err(XS_FILES, NULL);
	r->v = v;
	r->v[r->n].ch = ch;
	r->v[r->n++].arg = arg;
}

bool
xsync_rules_apply(struct xsync_rules *r, struct filter *f, bool from0)
{
	bool any = r->n > 0;
	size_t i;

	for (i = 0; i < r->n; i++)
		xsync_filter_option(f, r->v[i].ch, r->v[i].arg, from0);
	free(r->v);
	r->v = NULL;
	r->n = 0;
	return any;
}

static long
max_delete(const char *arg)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || n < 0) {
		common_warn(0, _("invalid --max-delete value %s"),
		    common_quote_arg(arg));
		common_try_help();
	}
	return n;
}

/* Whether the operand names its contents (rsync's trailing slash). */
static bool
contents(const char *src)
{
	size_t n = strlen(src);

	return (n > 0 && src[n - 1] == '/') || strcmp(src, ".") == 0 ||
	    (n >= 2 && strcmp(src + n - 2, "/.") == 0);
}

/*
 * The progress scan's filter: rules see paths from the top of the
 * transfer, which for "src" (not "src/") starts with its name.
 */
static bool
meter_keep(void *arg, size_t which, const char *rel, bool dir)
{
	struct xsync_meter *xm = arg;
	const char *src = xm->scan.paths[which], *base;
	char *path;
	size_t n;
	bool keep;

	if (contents(src))
		return filter_check(xm->filter, rel, dir) != FILTER_EXCLUDE;
	n = strlen(src);
	base = src + n;
	while (base > src && base[-1] != '/')
		base--;
	if (asprintf(&path, "%s/%s", base, rel) == -1)
		return true;
	keep = filter_check(xm->filter, path, dir) != FILTER_EXCLUDE;
	free(path);
	return keep;
}

void
xsync_meter_start(struct xsync_meter *xm, enum meter_mode mode,
    const char *const *srcs, size_t n, const struct filter *f, bool one_fs)
{
	progress_init(&xm->prog);
	memset(&xm->scan, 0, sizeof(xm->scan));
	xm->filter = f;
	xm->scan.paths = srcs;
	xm->scan.npaths = n;
	xm->scan.one_fs = one_fs;
	xm->scan.keep = f != NULL ? meter_keep : NULL;
	xm->scan.arg = xm;
	meter_start(&xm->prog, mode, &xm->scan);
}

/*
 * The meter's mode: its line unless the run shows progress its own way
 * (--progress, --info=progress2), nothing but errors (-q), or a document
 * for scripts on the same terminal, whose lines it would cut into.
 */
enum meter_mode
xsync_meter_mode(const struct xsync_view *v)
{
	return v->no_meter || v->progress || v->progress2 || v->quiet ||
	    ((v->json || v->null) && isatty(STDOUT_FILENO)) ?
	    METER_OFF : METER_AUTO;
}

int
xsync_mirror(int argc, char **argv)
{
	struct mirror_opts o;
	struct mirror_ops ops = { 0 };
	struct mirror *m;
	struct filter f;
	struct xsync_view v;
	struct xsync_meter xm;
	struct xsync_rules rules = { NULL, 0 };
	struct stat st;
	const char *dst;
	bool stats = false, from0 = false, fsync_dst = false, dst_dir;
	int ch, i, nsrc, status;

	memset(&o, 0, sizeof(o));
	memset(&v, 0, sizeof(v));
	policy_init(&o.data);
	o.max_delete = -1;
	o.ref_kind = MIRROR_REF_LINK;
	filter_init(&f);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "0arlptogDHAXxf:j:nicvqP",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			o.recursive = o.links = o.perms = o.times = true;
			o.owner = o.group = o.devices = o.specials = true;
			break;
		case 'r':
			o.recursive = true;
			break;
		case 'l':
			o.links = true;
			break;
		case 'p':
			o.perms = true;
			break;
		case 't':
			o.times = true;
			break;
		case 'o':
			o.owner = true;
			break;
		case 'g':
			o.group = true;
			break;
		case 'D':
			o.devices = o.specials = true;
			break;
		case OPT_DEVICES:
			o.devices = true;
			break;
		case OPT_SPECIALS:
			o.specials = true;
			break;
		case 'H':
			o.hard_links = true;
			break;
		case 'A':
			o.acls = o.perms = true;
			break;
		case 'X':
			o.xattrs = true;
			break;
		case 'x':
			o.one_file_system = true;
			break;
		case OPT_DELETE:
			o.delete = true;
			break;
		case OPT_DELETE_EXCLUDED:
			o.delete = o.delete_excluded = true;
			break;
		case OPT_MAX_DELETE:
			o.max_delete = max_delete(optarg);
			break;
		case OPT_EXCLUDE:
		case OPT_INCLUDE:
		case OPT_EXCLUDE_FROM:
		case OPT_INCLUDE_FROM:
		case 'f':
			xsync_rules_add(&rules, ch, optarg);
			break;
		case '0':
			from0 = true;
			break;
		case 'j':
			o.data.jobs = common_jobs(optarg);
			break;
		case 'n':
			o.dry_run = true;
			break;
		case 'i':
			v.itemize++;
			break;
		case 'c':
			o.checksum = true;
			break;
		case OPT_LINK_DEST:
		case OPT_REFLINK_DEST:
			if (o.nrefs == MIRROR_MAX_REFS) {
				common_warn(0, _("at most %d reference "
				    "directories"), MIRROR_MAX_REFS);
				common_try_help();
			}
			if (o.nrefs > 0 && (o.ref_kind == MIRROR_REF_CLONE) !=
			    (ch == OPT_REFLINK_DEST)) {
				common_warn(0, _("--link-dest and "
				    "--reflink-dest do not mix"));
				common_try_help();
			}
			o.ref_kind = ch == OPT_REFLINK_DEST ?
			    MIRROR_REF_CLONE : MIRROR_REF_LINK;
			o.refs[o.nrefs++] = optarg;
			break;
		case 'P':
		case OPT_PROGRESS:
			v.progress = true;
			v.no_meter = false;
			break;
		case OPT_NO_PROGRESS:
			v.progress = v.progress2 = false;
			v.no_meter = true;
			break;
		case OPT_INFO:
			if (strcmp(optarg, "progress2") == 0)
				v.progress2 = true;
			else if (strcmp(optarg, "progress1") == 0 ||
			    strcmp(optarg, "progress") == 0)
				v.progress = true;
			else if (strcmp(optarg, "stats") == 0 ||
			    strcmp(optarg, "stats2") == 0)
				stats = true;
			else {
				common_warn(0, _("unknown --info flag %s"),
				    common_quote_arg(optarg));
				common_try_help();
			}
			break;
		case OPT_STATS:
			stats = true;
			break;
		case 'v':
			v.verbose++;
			break;
		case 'q':
			v.quiet = true;
			break;
		case OPT_NUMERIC_IDS:
			break;
		case OPT_FSYNC:
			fsync_dst = true;
			break;
		case OPT_JSON:
			v.json = true;
			break;
		case OPT_NULL:
			v.null = true;
			break;
		case OPT_HELP:
			mirror_usage();
			break;
		case OPT_VERSION:
			printf("xsync (%s) %s\n", PACKAGE_NAME,
			    PACKAGE_VERSION);
			exit(XS_OK);
		default:
			common_try_help();
		}
	}
	common_json_or_null(v.json, v.null);
	nsrc = argc - optind - 1;
	if (nsrc < 1) {
		common_warn(0, argc == optind ? _("missing operand") :
		    _("missing destination operand after %s"),
		    common_quote(argv[argc - 1]));
		common_try_help();
	}
	if (xsync_rules_apply(&rules, &f, from0))
		o.filter = &f;
	dst = argv[argc - 1];
	/* Every source must be there before anything is made. */
	for (i = optind; i < argc - 1; i++)
		if (lstat(argv[i], &st) == -1) {
			common_warn(errno, _("cannot stat %s"),
			    common_quote(argv[i]));
			filter_free(&f);
			return XS_FILES;
		}
	o.all_items = v.itemize > 1 || v.progress || v.progress2;
	ops.item = xsync_view_item;
	ops.report = xsync_view_report;
	ops.record = NULL;
	ops.arg = &v;
	o.data.progress = &xm.prog;
	xsync_meter_start(&xm, xsync_meter_mode(&v),
	    (const char *const *)argv + optind, (size_t)nsrc, o.filter,
	    o.one_file_system);
	if ((m = mirror_new(&o, &ops)) == NULL)
		err(XS_FILES, NULL);
	v.st = mirror_stats(m);
	clock_gettime(CLOCK_MONOTONIC, &v.start);
	if (v.json)
		xsync_json_begin(&v);
	dst_dir = stat(dst, &st) == 0 && S_ISDIR(st.st_mode);
	if (nsrc == 1 && !dst_dir && dst[strlen(dst) - 1] != '/' &&
	    lstat(argv[optind], &st) == 0 && !S_ISDIR(st.st_mode)) {
		/* One file to a new name. */
		if (mirror_file(m, argv[optind], dst) == -1 && errno != 0 &&
		    !v.errors) {
			common_warn(errno, _("cannot copy %s to %s"),
			    common_quote(argv[optind]), common_quote(dst));
			v.errors = true;
		}
	} else {
		if (!dst_dir && (v.itemize > 0 || v.verbose > 0) && !v.quiet &&
		    !v.json && !v.null)
			printf(_("created directory %.*s\n"),
			    (int)(strlen(dst) - (strlen(dst) > 1 &&
			    dst[strlen(dst) - 1] == '/')), dst);
		for (i = optind; i < argc - 1 && !mirror_stopped(m); i++) {
			errno = 0;
			if (mirror_run(m, argv[i], dst, contents(argv[i])) ==
			    -1 &&
			    errno != 0 && !v.errors) {
				fflush(stdout);
				common_warn(errno, _("cannot mirror %s to %s"),
				    common_quote(argv[i]), common_quote(dst));
				status = XS_FILES;
				goto done;
			}
		}
	}
	meter_stop();
	if (v.progress2)
		putc('\n', xsync_view_out(&v));
	if (fsync_dst && !mirror_stopped(m) && mirror_sync(m, dst) == -1) {
		fflush(stdout);
		common_warn(errno, _("cannot flush %s to disk"),
		    common_quote(dst));
		v.errors = true;
	}
	if (mirror_stats(m)->skipped_deletes > 0) {
		fflush(stdout);
		common_warn(0, _("deletions stopped due to --max-delete limit "
		    "(%" PRIu64 " skipped)"), mirror_stats(m)->skipped_deletes);
	}
	if (stats && !v.quiet && !v.json)
		xsync_print_stats(xsync_view_out(&v), mirror_stats(m));
	/* A full or failing destination stopped it: rsync's 11. */
	status = mirror_stopped(m) ? XS_IO : v.errors ? XS_PARTIAL :
	    mirror_stats(m)->skipped_deletes ?
	    XS_DEL_LIMIT : v.vanished ? XS_VANISHED : XS_OK;
done:
	meter_stop();
	if (v.json) {
		xsync_json_stats(&v, mirror_stats(m));
		printf(",\"dry_run\":%s,\"status\":%d}\n",
		    o.dry_run ? "true" : "false", status);
	}
	mirror_free(m);
	filter_free(&f);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		common_warn(errno, _("write error"));
		return XS_PARTIAL;
	}
	return status;
}
