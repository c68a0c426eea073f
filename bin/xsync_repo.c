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
	OPT_HELP
};

static const struct option snapshot_opts[] = {
	XSYNC_FILTER_OPTIONS,
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
	struct filter f;
	struct repo r;
	struct stat sb;
	char *src;
	unsigned flags = REPO_CREATE | REPO_LOCK;
	bool stats = false, rules = false;
	int ch, status, rc;

	memset(&so, 0, sizeof(so));
	memset(&v, 0, sizeof(v));
	memset(&st, 0, sizeof(st));
	filter_init(&f);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+cxivqj:f:", snapshot_opts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_EXCLUDE:
		case OPT_INCLUDE:
		case OPT_EXCLUDE_FROM:
		case OPT_INCLUDE_FROM:
		case 'f':
			xsync_filter_option(&f, ch, optarg);
			rules = true;
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
"      --wait            wait for another run on REPO to end\n"
"      --fsync           have the snapshot on disk before exiting\n"
"  -i, -v, -q, --stats, --progress, --no-progress   as for the mirror\n"
"  -j, --jobs=N          copy and hash with N threads\n"
"\nExit status: 0 done, 1 usage error, 3 REPO cannot be used or is in "
"use,\n11 the snapshot could not be completed, 23 complete but some "
"entries\nfailed, 24 complete but some sources vanished.\n"));
			break;
		default:
			common_try_help();
		}
	}
	want_operands(argc, argv, 2);
	if (stat(argv[optind], &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		common_warn(errno == 0 ? ENOTDIR : errno, _("cannot snapshot "
		    "%s"), common_quote(argv[optind]));
		return XS_FILES;
	}
	if (rules)
		so.filter = &f;
	so.quiet_items = v.itemize == 0;
	so.all_items = v.itemize > 1 || v.progress || v.progress2;
	open_repo(&r, argv[optind + 1], flags);
	ops.item = xsync_view_item;
	ops.report = xsync_view_report;
	ops.record = NULL;
	ops.arg = &v;
	v.st = &st;
	clock_gettime(CLOCK_MONOTONIC, &v.start);
	/* The snapshot holds SRC's contents: "SRC/" to the meter. */
	if (asprintf(&src, "%s/", argv[optind]) == -1)
		err(XS_FILES, NULL);
	so.progress = &xm.prog;
	xsync_meter_start(&xm, xsync_meter_mode(&v),
	    (const char *const *)&src, 1, so.filter, so.one_file_system);
	rc = repo_snapshot(&r, argv[optind], &so, &ops, &st, &res);
	meter_stop();
	free(src);
	if (rc == -1) {
		fflush(stdout);
		common_warn(errno, _("snapshot %s of %s not completed; the "
		    "next run goes on from it"), common_quote(res.name),
		    common_quote(argv[optind]));
		repo_close(&r);
		filter_free(&f);
		return XS_IO;
	}
	if (v.verbose > 0 && !v.quiet)
		printf(_("snapshot %s: %" PRIu64 " entries, %" PRIu64
		    " files written, %" PRIu64 " bytes copied, %" PRIu64
		    " shared%s%s%s%s\n"), res.name, st.files, st.transferred,
		    st.copied, st.shared, res.prev[0] ? _(", from ") : "",
		    res.prev, res.subvolume ?
		    _(" (btrfs snapshot)") : "", res.resumed ?
		    _(" (resumed)") : "");
	if (stats && !v.quiet)
		xsync_print_stats(&st);
	status = v.errors ? XS_PARTIAL : v.vanished ? XS_VANISHED : XS_OK;
	repo_close(&r);
	filter_free(&f);
	if (common_flush_stdout() == -1)
		return XS_PARTIAL;
	return status;
}

static void
put_size(uint64_t n, bool human)
{
	static const char units[] = "KMGTPE";
	double d = (double)n;
	int i = -1;

	if (!human) {
		printf("%14" PRIu64, n);
		return;
	}
	while (d >= 1024 && i < 5) {
		d /= 1024;
		i++;
	}
	if (i < 0)
		printf("%9" PRIu64, n);
	else
		printf("%8.1f%c", d, units[i]);
}

int
xsync_list(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "human-readable", no_argument, NULL, 'h' },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	struct repo_usage u;
	struct repo r;
	const char *head[4];
	bool human = false;
	size_t i;
	int ch, status = XS_OK;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		if (ch == 'h')
			human = true;
		else if (ch == OPT_HELP)
			sub_usage(_("list [-h] REPO"), _(
"One line per complete snapshot, oldest first: its name (the UTC time it\n"
"was taken), entries, bytes of file data, and bytes no other snapshot\n"
"shares.  -h: sizes in K, M, G.\n"));
		else
			common_try_help();
	}
	want_operands(argc, argv, 1);
	open_repo(&r, argv[optind], 0);
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

/* "last, daily" for the reasons a snapshot is kept. */
static void
put_reasons(unsigned why)
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
			printf("%s%s", first ? "" : ", ", names[i].name);
			first = false;
		}
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
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	struct repo_keep keep;
	struct repo_snap *v;
	struct repo r;
	unsigned *why, flags = REPO_LOCK;
	bool dry = false, verbose = false;
	size_t i, n;
	int ch, status = XS_OK;

	memset(&keep, 0, sizeof(keep));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+nv", lo, NULL)) != -1) {
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
		case OPT_HELP:
			sub_usage(_("prune --keep-KIND=N... [-n] [-v] REPO"), _(
"Delete the snapshots the policy does not keep.  KIND is last, hourly,\n"
"daily, weekly, monthly or yearly: each keeps the newest snapshot of each\n"
"of its N newest periods (UTC) that have one.  The latest snapshot and one\n"
"being made are never deleted.\n\n"
"  -n, --dry-run   show what would be kept and deleted, delete nothing\n"
"  -v, --verbose   show what is kept and why, and what is deleted\n"
"      --wait      wait for another run on REPO to end\n"));
			break;
		default:
			common_try_help();
		}
	}
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
	if (n > 0 && (v == NULL || why == NULL))
		err(XS_FILES, NULL);
	if (n > 0)
		memcpy(v, r.v, n * sizeof(*v));
	repo_prune_plan(v, n, &keep, why);
	for (i = 0; i < n; i++) {
		if (why[i] != 0) {
			if (verbose || dry) {
				printf(_("keep   %s ("), v[i].name);
				put_reasons(why[i]);
				puts(")");
			}
			continue;
		}
		if (verbose || dry)
			printf(_("delete %s\n"), v[i].name);
		fflush(stdout);
		if (!dry && repo_delete(&r, v[i].name) == -1) {
			common_warn(errno, _("cannot delete snapshot %s"),
			    common_quote(v[i].name));
			status = XS_PARTIAL;
		}
	}
	free(v);
	free(why);
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
		exit(XS_FILES);
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

int
xsync_diff(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	struct side a, b;
	FILE *fa, *fb;
	char *na, *nb;
	int ch, c;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
		if (ch == OPT_HELP)
			sub_usage(_("diff SNAP_A SNAP_B"), _(
"What changed from SNAP_A to SNAP_B, from their manifests: \"+ PATH\" for\n"
"what was added, \"- PATH\" for what was deleted, \"M PATH (WHAT)\" for\n"
"what changed, WHAT among content, type, mode, owner, group, mtime and\n"
"target.  A snapshot is REPO/NAME; a manifest file may stand for one.\n"));
		common_try_help();
	}
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
	next(&a);
	next(&b);
	while (a.have || b.have) {
		c = !a.have ? 1 : !b.have ? -1 : scan_pathcmp(a.path, b.path);
		if (c < 0) {
			put_escaped("- ", a.path);
			putchar('\n');
			next(&a);
			continue;
		}
		if (c > 0) {
			put_escaped("+ ", b.path);
			putchar('\n');
			next(&b);
			continue;
		}
		{
			const char *w[8];
			int k = 0, i;
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
			if (k > 0) {
				put_escaped("M ", a.path);
				fputs(" (", stdout);
				for (i = 0; i < k; i++)
					printf("%s%s", i ? ", " : "", w[i]);
				puts(")");
			}
		}
		next(&a);
		next(&b);
	}
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
	if (common_flush_stdout() == -1)
		return XS_PARTIAL;
	return XS_OK;
}
