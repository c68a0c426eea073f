/*
 * xsync snapshot, list, prune and diff: the snapshot repository's
 * commands.  Options in, lib/core/repo out; what is printed is here.
 */
#include "config.h"

#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "core/filter.h"
#include "core/manifest.h"
#include "core/mirror.h"
#include "core/repo.h"
#include "core/scan.h"
#include "xsync.h"

enum {
	OPT_LINK = OPT_FILTER_LAST + 1,
	OPT_WAIT,
	OPT_FSYNC,
	OPT_STATS,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
	OPT_KEEP_LAST,
	OPT_KEEP_HOURLY,
	OPT_KEEP_DAILY,
	OPT_KEEP_WEEKLY,
	OPT_KEEP_MONTHLY,
	OPT_KEEP_YEARLY,
	OPT_JSON,
	OPT_NULL,
	OPT_HELP
};

static const struct option snapshot_opts[] = {
	XSYNC_FILTER_OPTIONS,
	{ "from0", no_argument, NULL, '0' },
	{ "link", no_argument, NULL, OPT_LINK },
	{ "wait", no_argument, NULL, OPT_WAIT },
	{ "fsync", no_argument, NULL, OPT_FSYNC },
	{ "checksum", no_argument, NULL, 'c' },
	{ "one-file-system", no_argument, NULL, 'x' },
	{ "itemize-changes", no_argument, NULL, 'i' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "null", no_argument, NULL, OPT_NULL },
	{ "jobs", required_argument, NULL, 'j' },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 }
};

static void
sub_usage(const char *synopsis, const char *text)
{
	printf(_("Usage: %s %s\n"), common_progname(), synopsis);
	fputs(text, stdout);
	exit(XS_OK);
}

static void
want_operands(int argc, char **argv, int n)
{
	if (argc - optind < n) {
		common_warn(0, _("missing operand"));
		common_try_help();
	}
	if (argc - optind > n) {
		common_warn(0, _("extra operand %s"),
		    common_quote(argv[optind + n]));
		common_try_help();
	}
}

/* Open a repository, saying why not; exits with XS_FILES. */
static void
open_repo(struct repo *r, const char *path, unsigned flags)
{
	if (repo_open(r, path, flags) == 0)
		return;
	if (errno == EWOULDBLOCK)
		common_warn(0, _("repository %s is in use by another run "
		    "(--wait waits for it)"), common_quote(path));
	else if (errno == ENOTDIR)
		common_warn(0, _("%s is not a snapshot repository"),
		    common_quote(path));
	else
		common_warn(errno, _("cannot open repository %s"),
		    common_quote(path));
	exit(XS_FILES);
}

int
xsync_snapshot(int argc, char **argv)
{
	struct repo_snapshot_opts so;
	struct repo_result res;
	struct mirror_stats st;
	struct mirror_ops ops = { 0 };
	struct xsync_view v;
	struct xsync_meter xm;
	struct xsync_rules rules = { NULL, 0 };
	struct filter f;
	struct repo r;
	struct stat sb;
	char *src;
	unsigned flags = REPO_CREATE | REPO_LOCK;
	bool stats = false, from0 = false, done;
	int ch, status;

	memset(&so, 0, sizeof(so));
	memset(&v, 0, sizeof(v));
	memset(&st, 0, sizeof(st));
	filter_init(&f);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+0cxivqj:f:", snapshot_opts,
	    NULL)) != -1) {
		switch (ch) {
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
		case OPT_LINK:
			so.link = true;
			break;
		case OPT_WAIT:
			flags = REPO_CREATE | REPO_WAIT;
			break;
		case OPT_FSYNC:
			so.fsync = true;
			break;
		case 'c':
			so.checksum = true;
			break;
		case 'x':
			so.one_file_system = true;
			break;
		case 'i':
			v.itemize++;
			break;
		case 'v':
			v.verbose++;
			break;
		case 'q':
			v.quiet = true;
			break;
		case OPT_STATS:
			stats = true;
			break;
		case OPT_PROGRESS:
			v.progress = true;
			v.no_meter = false;
			break;
		case OPT_NO_PROGRESS:
			v.progress = false;
			v.no_meter = true;
			break;
		case OPT_JSON:
			v.json = true;
			break;
		case OPT_NULL:
			v.null = true;
			break;
		case 'j':
			so.jobs = common_jobs(optarg);
			break;
		case OPT_HELP:
			sub_usage(_("snapshot [OPTION]... SRC REPO"), _(
"Take a snapshot of SRC into REPO/<UTC time>/: a full tree that shares\n"
"unchanged files with the previous snapshot (clones, else hard links),\n"
"with its manifest.\n\n"
"      --link            hard link unchanged files, never clone them\n"
"  -c, --checksum        compare contents with the stored hashes\n"
"  -x, --one-file-system do not cross filesystem boundaries\n"
"      --exclude=PATTERN, --include=PATTERN, --exclude-from=FILE,\n"
"      --include-from=FILE, -f RULE   rsync's filter rules\n"
"  -0, --from0           patterns in FILE end with NULs, not newlines\n"
"      --wait            wait for another run on REPO to end\n"
"      --fsync           have the snapshot on disk before exiting\n"
"  -i, -v, -q, --stats, --progress, --no-progress, --json, --null\n"
"                        as for the mirror\n"
"  -j, --jobs=N          copy and hash with N threads\n"
"\nExit status: 0 done, 1 usage error, 3 REPO cannot be used or is in "
"use,\n11 the snapshot could not be completed, 23 complete but some "
"entries\nfailed, 24 complete but some sources vanished.\n"));
			break;
		default:
			common_try_help();
		}
	}
	common_json_or_null(v.json, v.null);
	want_operands(argc, argv, 2);
	if (xsync_rules_apply(&rules, &f, from0))
		so.filter = &f;
	if (stat(argv[optind], &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		common_warn(errno == 0 ? ENOTDIR : errno, _("cannot snapshot "
		    "%s"), common_quote(argv[optind]));
		return XS_FILES;
	}
	/* The document tells what changed in every column, -v or -i. */
	so.quiet_items = v.itemize == 0 && !v.json;
	so.all_items = v.itemize > 1 || v.progress || v.progress2;
	open_repo(&r, argv[optind + 1], flags);
	ops.item = xsync_view_item;
	ops.report = xsync_view_report;
	ops.record = NULL;
	ops.arg = &v;
	v.st = &st;
	clock_gettime(CLOCK_MONOTONIC, &v.start);
	if (v.json)
		xsync_json_begin(&v);
	/* The snapshot holds SRC's contents: "SRC/" to the meter. */
	if (asprintf(&src, "%s/", argv[optind]) == -1)
		err(XS_FILES, NULL);
	so.progress = &xm.prog;
	xsync_meter_start(&xm, xsync_meter_mode(&v),
	    (const char *const *)&src, 1, so.filter, so.one_file_system);
	done = repo_snapshot(&r, argv[optind], &so, &ops, &st, &res) == 0;
	meter_stop();
	free(src);
	if (!done) {
		fflush(stdout);
		common_warn(errno, _("snapshot %s of %s not completed; the "
		    "next run goes on from it"), common_quote(res.name),
		    common_quote(argv[optind]));
		status = XS_IO;
	} else
		status = v.errors ? XS_PARTIAL : v.vanished ? XS_VANISHED :
		    XS_OK;
	if (v.json) {
		xsync_json_stats(&v, &st);
		fputs(",\"repository\":", stdout);
		common_json_str(argv[optind + 1]);
		fputs(",\"snapshot\":", stdout);
		common_json_str(res.name[0] != '\0' ? res.name : NULL);
		fputs(",\"previous\":", stdout);
		common_json_str(res.prev[0] != '\0' ? res.prev : NULL);
		printf(",\"complete\":%s,\"subvolume\":%s,\"resumed\":%s,"
		    "\"status\":%d}\n", done ? "true" : "false",
		    res.subvolume ? "true" : "false",
		    res.resumed ? "true" : "false", status);
	}
	if (!done) {
		repo_close(&r);
		filter_free(&f);
		(void)common_flush_stdout();
		return XS_IO;
	}
	if (v.verbose > 0 && !v.quiet && !v.json)
		fprintf(xsync_view_out(&v), _("snapshot %s: %" PRIu64
		    " entries, %" PRIu64
		    " files written, %" PRIu64 " bytes copied, %" PRIu64
		    " shared%s%s%s%s\n"), res.name, st.files, st.transferred,
		    st.copied, st.shared, res.prev[0] ? _(", from ") : "",
		    res.prev, res.subvolume ?
		    _(" (btrfs snapshot)") : "", res.resumed ?
		    _(" (resumed)") : "");
	if (stats && !v.quiet && !v.json)
		xsync_print_stats(xsync_view_out(&v), &st);
	repo_close(&r);
	filter_free(&f);
	if (common_flush_stdout() == -1)
		return XS_PARTIAL;
	return status;
}

static void
put_size(uint64_t n, bool human)
{
	double d;
	char unit = common_scale((double)n, &d);

	if (!human)
		printf("%14" PRIu64, n);
	else if (unit == '\0')
		printf("%9" PRIu64, n);
	else
		printf("%8.1f%c", d, unit);
}

/* list --json: the document, one object per snapshot. */
static int
list_json(const struct repo *r, const char *path)
{
	struct repo_usage u;
	size_t i;
	int e, status = XS_OK;

	fputs("{\"repository\":", stdout);
	common_json_str(path);
	fputs(",\"snapshots\":[", stdout);
	for (i = 0; i < r->n; i++) {
		printf("%s\n{\"name\":", i > 0 ? "," : "");
		common_json_str(r->v[i].name);
		printf(",\"time\":%lld", (long long)r->v[i].when);
		if (repo_usage(r, r->v[i].name, &u) == -1) {
			e = errno;
			common_warn(e, _("cannot measure %s"),
			    common_quote(r->v[i].name));
			fputs(",\"entries\":null,\"bytes\":null,\"exclusive\":"
			    "null,\"error\":", stdout);
			common_json_text(strerror(e));
			putchar('}');
			status = XS_PARTIAL;
			continue;
		}
		printf(",\"entries\":%" PRIu64 ",\"bytes\":%" PRIu64
		    ",\"exclusive\":%" PRIu64 "}", u.files, u.bytes,
		    u.exclusive);
	}
	printf("%s],\"status\":%d}\n", r->n > 0 ? "\n" : "", status);
	return status;
}

int
xsync_list(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "null", no_argument, NULL, '0' },
		{ "human-readable", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	struct repo_usage u;
	struct repo r;
	const char *head[4];
	bool human = false, json = false, null = false;
	size_t i;
	int ch, status = XS_OK;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+0h", lo, NULL)) != -1) {
		if (ch == 'h')
			human = true;
		else if (ch == '0')
			null = true;
		else if (ch == OPT_JSON)
			json = true;
		else if (ch == OPT_HELP)
			sub_usage(_("list [-0h] [--json] REPO"), _(
"One line per complete snapshot, oldest first: its name (the UTC time it\n"
"was taken), entries, bytes of file data, and bytes no other snapshot\n"
"shares.  -h: sizes in K, M, G.\n"
"\n"
"  -0, --null      only the names, each ended by a NUL\n"
"      --json      one JSON document on standard output\n"
"\nExit status: 0 success, 1 usage error, 3 REPO cannot be used, 23 some\n"
"snapshots could not be measured.\n"));
		else
			common_try_help();
	}
	common_json_or_null(json, null);
	want_operands(argc, argv, 1);
	open_repo(&r, argv[optind], 0);
	if (json || null) {
		if (json)
			status = list_json(&r, argv[optind]);
		else
			for (i = 0; i < r.n; i++)
				common_put0(r.v[i].name);
		repo_close(&r);
		if (common_flush_stdout() == -1)
			return XS_PARTIAL;
		return status;
	}
	/*
	 * TRANSLATORS: the headings of xsync list's columns, 22, 10, 9 and
	 * 9 characters wide at most.
	 */
	head[0] = _("SNAPSHOT");
	head[1] = _("ENTRIES");
	head[2] = _("BYTES");
	head[3] = _("EXCLUSIVE");
	printf("%-*s %*s %*s %*s\n", common_width(head[0], 22), head[0],
	    common_width(head[1], 10), head[1],
	    common_width(head[2], human ? 9 : 14), head[2],
	    common_width(head[3], human ? 9 : 14), head[3]);
	for (i = 0; i < r.n; i++) {
		if (repo_usage(&r, r.v[i].name, &u) == -1) {
			common_warn(errno, _("cannot measure %s"),
			    common_quote(r.v[i].name));
			status = XS_PARTIAL;
			continue;
		}
		printf("%-22s %10" PRIu64 " ", r.v[i].name, u.files);
		put_size(u.bytes, human);
		putchar(' ');
		put_size(u.exclusive, human);
		putchar('\n');
	}
	repo_close(&r);
	if (common_flush_stdout() == -1)
		return XS_PARTIAL;
	return status;
}

static unsigned
count_arg(const char *arg)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || n > 1000000 ||
	    arg[0] == '-') {
		common_warn(0, _("invalid count %s"), common_quote_arg(arg));
		common_try_help();
	}
	return (unsigned)n;
}

/*
 * "last, daily" for the reasons a snapshot is kept; as JSON strings,
 * "last","daily".
 */
static void
put_reasons(unsigned why, bool json)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ REPO_KEEP_LATEST, "latest" }, { REPO_KEEP_LAST, "last" },
		{ REPO_KEEP_HOURLY, "hourly" }, { REPO_KEEP_DAILY, "daily" },
		{ REPO_KEEP_WEEKLY, "weekly" }, { REPO_KEEP_MONTHLY, "monthly" },
		{ REPO_KEEP_YEARLY, "yearly" },
	};
	size_t i;
	bool first = true;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (why & names[i].bit) {
			printf(json ? "%s\"%s\"" : "%s%s", first ? "" : json ?
			    "," : ", ", names[i].name);
			first = false;
		}
}

/*
 * prune --json: what was kept and why, what was deleted (or would be,
 * dry), and what could not be (err[i] its errno).
 */
static void
prune_json(const struct repo_snap *v, size_t n, const unsigned *why,
    const int *err, bool dry, int status)
{
	size_t i;
	bool first = true;

	printf("{\"dry_run\":%s,\"kept\":[", dry ? "true" : "false");
	for (i = 0; i < n; i++) {
		if (why[i] == 0)
			continue;
		printf("%s\n{\"name\":", first ? "" : ",");
		common_json_str(v[i].name);
		fputs(",\"reasons\":[", stdout);
		put_reasons(why[i], true);
		fputs("]}", stdout);
		first = false;
	}
	fputs(first ? "],\"deleted\":[" : "\n],\"deleted\":[", stdout);
	first = true;
	for (i = 0; i < n; i++) {
		if (why[i] != 0 || err[i] != 0)
			continue;
		fputs(first ? "" : ",", stdout);
		common_json_str(v[i].name);
		first = false;
	}
	fputs("],\"failed\":[", stdout);
	first = true;
	for (i = 0; i < n; i++) {
		if (why[i] != 0 || err[i] == 0)
			continue;
		fputs(first ? "{\"name\":" : ",{\"name\":", stdout);
		common_json_str(v[i].name);
		fputs(",\"error\":", stdout);
		common_json_text(strerror(err[i]));
		putchar('}');
		first = false;
	}
	printf("],\"status\":%d}\n", status);
}

int
xsync_prune(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "keep-last", required_argument, NULL, OPT_KEEP_LAST },
		{ "keep-hourly", required_argument, NULL, OPT_KEEP_HOURLY },
		{ "keep-daily", required_argument, NULL, OPT_KEEP_DAILY },
		{ "keep-weekly", required_argument, NULL, OPT_KEEP_WEEKLY },
		{ "keep-monthly", required_argument, NULL, OPT_KEEP_MONTHLY },
		{ "keep-yearly", required_argument, NULL, OPT_KEEP_YEARLY },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "wait", no_argument, NULL, OPT_WAIT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "null", no_argument, NULL, '0' },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	struct repo_keep keep;
	struct repo_snap *v;
	struct repo r;
	unsigned *why, flags = REPO_LOCK;
	bool dry = false, verbose = false, json = false, null = false;
	size_t i, n;
	int *errs, ch, status = XS_OK;

	memset(&keep, 0, sizeof(keep));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+0nv", lo, NULL)) != -1) {
		switch (ch) {
		case OPT_KEEP_LAST:
			keep.last = count_arg(optarg);
			break;
		case OPT_KEEP_HOURLY:
			keep.hourly = count_arg(optarg);
			break;
		case OPT_KEEP_DAILY:
			keep.daily = count_arg(optarg);
			break;
		case OPT_KEEP_WEEKLY:
			keep.weekly = count_arg(optarg);
			break;
		case OPT_KEEP_MONTHLY:
			keep.monthly = count_arg(optarg);
			break;
		case OPT_KEEP_YEARLY:
			keep.yearly = count_arg(optarg);
			break;
		case 'n':
			dry = true;
			break;
		case 'v':
			verbose = true;
			break;
		case OPT_WAIT:
			flags = REPO_WAIT;
			break;
		case OPT_JSON:
			json = true;
			break;
		case '0':
			null = true;
			break;
		case OPT_HELP:
			sub_usage(_("prune --keep-KIND=N... [-0nv] [--json] "
			    "REPO"), _(
"Delete the snapshots the policy does not keep.  KIND is last, hourly,\n"
"daily, weekly, monthly or yearly: each keeps the newest snapshot of each\n"
"of its N newest periods (UTC) that have one.  The latest snapshot and one\n"
"being made are never deleted.\n\n"
"  -n, --dry-run   show what would be kept and deleted, delete nothing\n"
"  -v, --verbose   show what is kept and why, and what is deleted\n"
"  -0, --null      only the names of what is deleted, each ended by a NUL\n"
"      --json      what is kept and why, and what is deleted, as JSON\n"
"      --wait      wait for another run on REPO to end\n"
"\nExit status: 0 success, 1 usage error, 3 REPO cannot be used or is in "
"use,\n23 some snapshots could not be deleted.\n"));
			break;
		default:
			common_try_help();
		}
	}
	common_json_or_null(json, null);
	want_operands(argc, argv, 1);
	if (keep.last + keep.hourly + keep.daily + keep.weekly +
	    keep.monthly + keep.yearly == 0) {
		common_warn(0, _("no --keep-* option: nothing would be kept "
		    "but the latest"));
		common_try_help();
	}
	open_repo(&r, argv[optind], flags);
	n = r.n;
	v = n > 0 ? malloc(n * sizeof(*v)) : NULL;
	why = n > 0 ? malloc(n * sizeof(*why)) : NULL;
	errs = n > 0 ? calloc(n, sizeof(*errs)) : NULL;
	if (n > 0 && (v == NULL || why == NULL || errs == NULL))
		err(XS_FILES, NULL);
	if (n > 0)
		memcpy(v, r.v, n * sizeof(*v));
	repo_prune_plan(v, n, &keep, why);
	for (i = 0; i < n; i++) {
		if (why[i] != 0) {
			if ((verbose || dry) && !json && !null) {
				printf(_("keep   %s ("), v[i].name);
				put_reasons(why[i], false);
				puts(")");
			}
			continue;
		}
		if ((verbose || dry) && !json && !null)
			printf(_("delete %s\n"), v[i].name);
		fflush(stdout);
		if (!dry && repo_delete(&r, v[i].name) == -1) {
			errs[i] = errno != 0 ? errno : EIO;
			common_warn(errs[i], _("cannot delete snapshot %s"),
			    common_quote(v[i].name));
			status = XS_PARTIAL;
		} else if (null) {
			common_put0(v[i].name);
			fflush(stdout);
		}
	}
	if (json)
		prune_json(v, n, why, errs, dry, status);
	free(v);
	free(why);
	free(errs);
	repo_close(&r);
	if (common_flush_stdout() == -1)
		return XS_PARTIAL;
	return status;
}

int
xsync_open_snapshot(const char *arg, struct repo *r, char **name)
{
	char *dir, *slash;
	size_t n;
	int e;

	/* REPO/latest and other links name the snapshot they point to. */
	if ((dir = realpath(arg, NULL)) == NULL)
		return -1;
	n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		dir[--n] = '\0';
	slash = strrchr(dir, '/');
	if ((*name = strdup(slash + 1)) == NULL) {
		free(dir);
		return -1;
	}
	*slash = '\0';
	if (repo_open(r, dir[0] != '\0' ? dir : "/", 0) == -1) {
		e = errno == ENOTDIR ? ENOENT : errno;
		goto fail;
	}
	if (repo_find(r, *name) == NULL) {
		repo_close(r);
		e = ENOENT;
		goto fail;
	}
	free(dir);
	return 0;
fail:
	free(dir);
	free(*name);
	*name = NULL;
	errno = e;
	return -1;
}

/*
 * The manifest of a snapshot operand: REPO/NAME (its manifest in
 * REPO/.xsync), or a manifest file.  Exits when there is none.
 */
static FILE *
snap_manifest(const char *arg, char **shown)
{
	struct repo r;
	struct stat st;
	char *base, *mpath = NULL;
	FILE *fp;

	*shown = NULL;
	if (stat(arg, &st) == 0 && S_ISREG(st.st_mode)) {
		if ((fp = fopen(arg, "re")) == NULL)
			goto fail;
		return fp;
	}
	if (xsync_open_snapshot(arg, &r, &base) == -1) {
		common_warn(errno == ENOENT ? 0 : errno, _("%s is not a "
		    "snapshot"), common_quote(arg));
		exit(XS_FILES);
	}
	mpath = repo_manifest_path(&r, base);
	repo_close(&r);
	free(base);
	if (mpath == NULL || (fp = fopen(mpath, "re")) == NULL)
		goto fail;
	*shown = mpath;
	return fp;
fail:
	common_warn(errno, _("cannot read the manifest of %s"),
	    common_quote(arg));
	exit(XS_FILES);
}

/* One record of a manifest, kept while the next one is read. */
struct side {
	struct manifest_reader rd;
	struct manifest_record rec;
	char		*path;
	char		*target;
	bool		 have;
	bool		 bad;		/* a record could not be read */
	const char	*name;
};

static int
next(struct side *s)
{
	int k = manifest_next(&s->rd, &s->rec);

	s->have = k == 1;
	if (k == -1) {
		if (s->rd.why != NULL)
			common_warn(0, _("%s, line %" PRIu64 ": %s"),
			    common_quote(s->name), s->rd.line, _(s->rd.why));
		else
			common_warn(errno, _("cannot read %s"),
			    common_quote(s->name));
		/* What was found so far stays printed: the comparison stops. */
		s->bad = true;
	}
	if (s->have) {
		free(s->path);
		free(s->target);
		s->path = strdup(s->rec.path);
		s->target = s->rec.target ? strdup(s->rec.target) : NULL;
		if (s->path == NULL)
			err(XS_FILES, NULL);
	}
	return k;
}

static void
put_escaped(const char *prefix, const char *path)
{
	char *e = manifest_escape(path);

	printf("%s%s", prefix, e != NULL ? e : path);
	free(e);
}

/* How diff shows what it finds: lines, NUL-ended records or JSON. */
struct diff_view {
	bool		 json;
	bool		 null;
	bool		 first;		/* nothing in the document yet */
	uint64_t	 added;
	uint64_t	 removed;
	uint64_t	 changed;
};

/*
 * One path added ('+'), removed ('-') or changed ('M', in the k fields
 * named by w).
 */
static void
diff_show(struct diff_view *dv, int kind, const char *path, const char *w[],
    int k)
{
	int i;

	if (kind == '+')
		dv->added++;
	else if (kind == '-')
		dv->removed++;
	else
		dv->changed++;
	if (dv->json) {
		printf("%s\n{\"status\":\"%s\",\"path\":", dv->first ? "" :
		    ",", kind == '+' ? "added" : kind == '-' ? "removed" :
		    "changed");
		common_json_str(path);
		if (kind == 'M') {
			fputs(",\"fields\":[", stdout);
			for (i = 0; i < k; i++)
				printf("%s\"%s\"", i ? "," : "", w[i]);
			putchar(']');
		}
		putchar('}');
		dv->first = false;
		return;
	}
	if (dv->null) {
		/* The fields first: the path, last, may hold anything. */
		printf("%c ", kind);
		for (i = 0; i < k; i++)
			printf("%s%s", i ? "," : "", w[i]);
		if (k > 0)
			putchar(' ');
		common_put0(path);
		return;
	}
	if (kind != 'M') {
		put_escaped(kind == '+' ? "+ " : "- ", path);
		putchar('\n');
		return;
	}
	put_escaped("M ", path);
	fputs(" (", stdout);
	for (i = 0; i < k; i++)
		printf("%s%s", i ? ", " : "", w[i]);
	puts(")");
}

int
xsync_diff(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "null", no_argument, NULL, '0' },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	struct diff_view dv;
	struct side a, b;
	FILE *fa, *fb;
	char *na, *nb;
	int ch, c, status;

	memset(&dv, 0, sizeof(dv));
	dv.first = true;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+0", lo, NULL)) != -1) {
		if (ch == OPT_JSON)
			dv.json = true;
		else if (ch == '0')
			dv.null = true;
		else if (ch == OPT_HELP)
			sub_usage(_("diff [-0] [--json] SNAP_A SNAP_B"), _(
"What changed from SNAP_A to SNAP_B, from their manifests: \"+ PATH\" for\n"
"what was added, \"- PATH\" for what was deleted, \"M PATH (WHAT)\" for\n"
"what changed, WHAT among content, type, mode, owner, group, mtime and\n"
"target.  A snapshot is REPO/NAME; a manifest file may stand for one.\n"
"\n"
"  -0, --null      \"+ PATH\", \"- PATH\", \"M WHAT PATH\", each ended by a\n"
"                  NUL, PATH as it is and WHAT as content,mode\n"
"      --json      one JSON document on standard output\n"
"\nExit status: 0 success (whether the snapshots differ or not), 1 usage\n"
"error, 3 a snapshot or manifest that cannot be read, 23 a write error.\n"));
		else
			common_try_help();
	}
	common_json_or_null(dv.json, dv.null);
	want_operands(argc, argv, 2);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	fa = snap_manifest(argv[optind], &na);
	fb = snap_manifest(argv[optind + 1], &nb);
	a.name = na ? na : argv[optind];
	b.name = nb ? nb : argv[optind + 1];
	if (manifest_open(&a.rd, fa) == -1 || manifest_open(&b.rd, fb) ==
	    -1) {
		common_warn(0, _("not a manifest: %s"),
		    common_quote(a.rd.why ? a.name : b.name));
		return XS_FILES;
	}
	if (dv.json)
		fputs("{\"differences\":[", stdout);
	next(&a);
	next(&b);
	while ((a.have || b.have) && !a.bad && !b.bad) {
		c = !a.have ? 1 : !b.have ? -1 : scan_pathcmp(a.path, b.path);
		if (c < 0) {
			diff_show(&dv, '-', a.path, NULL, 0);
			next(&a);
			continue;
		}
		if (c > 0) {
			diff_show(&dv, '+', b.path, NULL, 0);
			next(&b);
			continue;
		}
		{
			const char *w[8];
			int k = 0;
			int ta = a.rec.type == 'h' ? 'f' : a.rec.type;
			int tb = b.rec.type == 'h' ? 'f' : b.rec.type;

			if (ta != tb)
				w[k++] = "type";
			else if (ta == 'f' && (a.rec.size != b.rec.size ||
			    (a.rec.has_hash && b.rec.has_hash &&
			    memcmp(a.rec.hash, b.rec.hash, HASH_LEN) != 0)))
				w[k++] = "content";
			if (a.rec.mode != b.rec.mode)
				w[k++] = "mode";
			if (a.rec.uid != b.rec.uid)
				w[k++] = "owner";
			if (a.rec.gid != b.rec.gid)
				w[k++] = "group";
			if (ta != 'd' && (a.rec.mtime.tv_sec !=
			    b.rec.mtime.tv_sec || a.rec.mtime.tv_nsec !=
			    b.rec.mtime.tv_nsec))
				w[k++] = "mtime";
			if (ta == tb && ta != 'f' && ta != 'd' &&
			    (a.target != NULL || b.target != NULL) &&
			    (a.target == NULL || b.target == NULL ||
			    strcmp(a.target, b.target) != 0))
				w[k++] = "target";
			if (k > 0)
				diff_show(&dv, 'M', a.path, w, k);
		}
		next(&a);
		next(&b);
	}
	status = a.bad || b.bad ? XS_FILES : XS_OK;
	if (dv.json)
		printf("%s],\"added\":%" PRIu64 ",\"removed\":%" PRIu64
		    ",\"changed\":%" PRIu64 ",\"status\":%d}\n", dv.first ? "" :
		    "\n", dv.added, dv.removed, dv.changed, status);
	manifest_close(&a.rd);
	manifest_close(&b.rd);
	(void)fclose(fa);
	(void)fclose(fb);
	free(a.path);
	free(b.path);
	free(a.target);
	free(b.target);
	free(na);
	free(nb);
	if (common_flush_stdout() == -1 && status == XS_OK)
		return XS_PARTIAL;
	return status;
}
