/*
 * xsync: the mirror (xsync_mirror.c) and the subcommands, among them the
 * manifest commands that prove a tree holds what was written: manifest,
 * verify and export.  Each subcommand is an entry of a table with its own
 * options; the work is done by lib/core (mirror, census, verify, export).
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

#include "common.h"
#include "core/afile.h"
#include "core/census.h"
#include "core/export.h"
#include "core/manifest.h"
#include "core/repo.h"
#include "core/verify.h"
#include "xsync.h"

struct command {
	const char	*name;
	int		(*run)(int, char **);
	const char	*synopsis;
};

static int	cmd_manifest(int, char **);
static int	cmd_verify(int, char **);
static int	cmd_export(int, char **);

static const struct command commands[] = {
	{ "snapshot", xsync_snapshot, N_("[OPTION]... SRC REPO") },
	{ "list", xsync_list, N_("[-0h] [--json] REPO") },
	{ "prune", xsync_prune, N_("--keep-KIND=N... [-0nv] [--json] REPO") },
	{ "diff", xsync_diff, N_("[-0] [--json] SNAP_A SNAP_B") },
	{ "manifest", cmd_manifest, N_("[-j N] [-o FILE] DIR") },
	{ "verify", cmd_verify,
	    N_("[-0v] [-j N] [--json] MANIFEST DIR | REPO[/SNAP]") },
	{ "export", cmd_export,
	    N_("--format=mtree|xxhsum [-o FILE] MANIFEST") },
};
#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

enum {
	OPT_FORMAT = 256,
	OPT_HELP,
	OPT_JSON,
	OPT_VERSION
};

void
xsync_commands_help(void)
{
	size_t i;

	fputs(_("\nCommands:\n"), stdout);
	for (i = 0; i < NCOMMANDS; i++)
		printf("  %s %s %s\n", common_progname(), commands[i].name,
		    _(commands[i].synopsis));
}

static void
usage(void)
{
	printf(_("Usage: %s COMMAND [OPTION]... ARGS\n"), common_progname());
	fputs(_("Prove a tree holds what was written.\n"), stdout);
	xsync_commands_help();
	fputs(_("\n"
"  -j, --jobs=N      hash with N threads (default: one per CPU but one)\n"
"  -o, --output=FILE write to FILE, atomically, instead of standard output\n"
"      --json        verify: one JSON document on standard output\n"
"  -0, --null        verify: \"KIND PATH\" records ended by NULs, PATH as\n"
"                      it is\n"
"  -v, --verbose     verify: a summary on standard error\n"
"      --format=FMT  export: mtree or xxhsum\n"
"      --help        display this help and exit\n"
"      --version     output version information and exit\n"
"\nExit status: 0 success (the tree matches), 1 usage error, 2 differences\n"
"found, 3 a manifest, directory or output that cannot be used, 23 some\n"
"entries could not be read.\n"), stdout);
	exit(XS_OK);
}

static const struct option sub_longopts[] = {
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "jobs", required_argument, NULL, 'j' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "null", no_argument, NULL, '0' },
	{ "output", required_argument, NULL, 'o' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

struct opts {
	unsigned	 jobs;
	const char	*output;
	const char	*format;
	bool		 json;
	bool		 null;
	bool		 verbose;
};

/* Which options a subcommand takes. */
#define TAKES_JOBS	0x01
#define TAKES_OUTPUT	0x02
#define TAKES_VERBOSE	0x04
#define TAKES_JSON	0x08
#define TAKES_FORMAT	0x10
#define TAKES_NULL	0x20

static unsigned
option_bit(int ch)
{
	switch (ch) {
	case 'j':
		return TAKES_JOBS;
	case 'o':
		return TAKES_OUTPUT;
	case 'v':
		return TAKES_VERBOSE;
	case OPT_JSON:
		return TAKES_JSON;
	case OPT_FORMAT:
		return TAKES_FORMAT;
	case '0':
		return TAKES_NULL;
	default:
		return 0;
	}
}

static const char *
option_name(int ch)
{
	switch (ch) {
	case 'j':
		return "-j";
	case 'o':
		return "-o";
	case 'v':
		return "-v";
	case OPT_JSON:
		return "--json";
	case OPT_FORMAT:
		return "--format";
	case '0':
		return "-0";
	default:
		return "?";
	}
}

/* Parse one subcommand's options; allowed has the TAKES_ bits it takes. */
static void
parse(int argc, char **argv, unsigned allowed, struct opts *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+0j:o:v", sub_longopts, NULL)) !=
	    -1) {
		if (ch == OPT_HELP)
			usage();
		if (ch == OPT_VERSION) {
			printf("xsync (%s) %s\n", PACKAGE_NAME,
			    PACKAGE_VERSION);
			exit(XS_OK);
		}
		if (ch == '?' || !(allowed & option_bit(ch))) {
			if (ch != '?')
				common_warn(0, _("option %s does not apply "
				    "to %s"), option_name(ch),
				    common_quote_arg(argv[0]));
			common_try_help();
		}
		switch (ch) {
		case 'j':
			o->jobs = common_jobs(optarg);
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		case OPT_FORMAT:
			o->format = optarg;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case '0':
			o->null = true;
			break;
		}
	}
	common_json_or_null(o->json, o->null);
}

static void
operands(int argc, char **argv, int want)
{
	if (argc - optind < want) {
		if (argc == optind)
			common_warn(0, _("missing operand"));
		else
			common_warn(0, _("missing operand after %s"),
			    common_quote(argv[argc - 1]));
		common_try_help();
	}
	if (argc - optind > want) {
		common_warn(0, _("extra operand %s"),
		    common_quote(argv[optind + want]));
		common_try_help();
	}
}

static int	partial;

/* The path of a tree entry ("." or "./a/b") as the user would type it. */
static char *
full_path(const char *root, const char *path)
{
	char *s;
	size_t n = strlen(root);

	if (strcmp(path, ".") == 0)
		return strdup(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	if (asprintf(&s, "%.*s%s", (int)n, root, path + 1) == -1)
		return NULL;
	return s;
}

static void
warn_entry(const char *root, const char *path, int err)
{
	char *full = full_path(root, path);

	common_warn(err, _("cannot read %s"), common_quote(full ? full :
	    path));
	free(full);
	partial = 1;
}

static void
census_error(void *arg, const char *path, int err)
{
	warn_entry(arg, path, err);
}

static int
cmd_manifest(int argc, char **argv)
{
	struct manifest_writer w;
	struct census_ops ops;
	struct opts o;
	struct stat st;
	const char *dir;

	parse(argc, argv, TAKES_JOBS | TAKES_OUTPUT, &o);
	operands(argc, argv, 1);
	dir = argv[optind];
	if (o.output != NULL && strcmp(o.output, "-") == 0)
		o.output = NULL;
	/* Nothing is written for a tree that is not there. */
	if (stat(dir, &st) == -1) {
		common_warn(errno, _("cannot read %s"), common_quote(dir));
		return XS_FILES;
	}
	if ((o.output ? manifest_create(&w, o.output) :
	    manifest_stream(&w, stdout)) == -1) {
		common_warn(errno, _("cannot create %s"),
		    common_quote(o.output ? o.output : "-"));
		return XS_FILES;
	}
	ops.error = census_error;
	ops.arg = (void *)dir;
	if (census_tree(dir, &w, o.jobs, &ops) == -1) {
		/* The writer's stream knows whether it was the output. */
		if (ferror(w.fp))
			common_warn(errno, _("cannot write %s"),
			    common_quote(o.output ? o.output : "-"));
		else
			common_warn(errno, _("cannot read %s"),
			    common_quote(dir));
		manifest_abort(&w);
		return XS_FILES;
	}
	if (manifest_commit(&w) == -1) {
		common_warn(errno, _("cannot write %s"),
		    common_quote(o.output ? o.output : "-"));
		return XS_FILES;
	}
	return partial ? XS_PARTIAL : XS_OK;
}

/*
 * How verify shows what it finds, and what it found in all the trees of
 * one command (a repository's snapshots make one document).
 */
struct report {
	const char	*root;
	const char	*snap;		/* the snapshot verified, or NULL */
	bool		 json;
	bool		 null;
	bool		 first;		/* no difference in the document yet */
	uint64_t	 entries;
	uint64_t	 missing;
	uint64_t	 extra;
	uint64_t	 changed;
	uint64_t	 unreadable;
};

/* One field's value, as JSON. */
static void
json_value(unsigned bit, const struct manifest_record *r, const char *hash,
    const char *algo)
{
	switch (bit) {
	case VERIFY_TYPE:
		printf("\"%c\"", r->type);
		break;
	case VERIFY_MODE:
		printf("\"%04o\"", (unsigned)r->mode);
		break;
	case VERIFY_UID:
		printf("%lu", (unsigned long)r->uid);
		break;
	case VERIFY_GID:
		printf("%lu", (unsigned long)r->gid);
		break;
	case VERIFY_SIZE:
		printf("%" PRIu64, r->size);
		break;
	case VERIFY_MTIME:
		printf("\"%lld.%09ld\"", (long long)r->mtime.tv_sec,
		    r->mtime.tv_nsec);
		break;
	case VERIFY_CONTENT:
		if (hash != NULL)
			printf("\"%s:%s\"", algo, hash);
		else
			fputs("null", stdout);
		break;
	case VERIFY_TARGET:
		common_json_str(r->type == 'f' ? NULL : r->target);
		break;
	}
}

static void
json_side(const char *key, unsigned fields, const struct manifest_record *r,
    const char *hash, const char *algo)
{
	unsigned bit;
	bool first = true;

	printf(",\"%s\":{", key);
	for (bit = 1; bit < 1U << VERIFY_NFIELDS; bit <<= 1) {
		if (!(fields & bit))
			continue;
		printf("%s\"%s\":", first ? "" : ",", verify_field_name(bit));
		json_value(bit, r, hash, algo);
		first = false;
	}
	putchar('}');
}

static void
on_diff(void *arg, const struct verify_diff *d)
{
	static const char *const kinds[] = {
		"missing", "extra", "changed", "unreadable"
	};
	struct report *rp = arg;
	unsigned bit;
	bool first = true;
	char *e;

	if (d->kind == VERIFY_UNREADABLE) {
		warn_entry(rp->root, d->path, d->err);
		if (!rp->json)
			return;
	}
	if (rp->json) {
		printf("%s\n{\"status\":\"%s\",", rp->first ? "" : ",",
		    kinds[d->kind]);
		rp->first = false;
		if (rp->snap != NULL) {
			fputs("\"snapshot\":", stdout);
			common_json_str(rp->snap);
			putchar(',');
		}
		fputs("\"path\":", stdout);
		common_json_str(d->path);
		if (d->kind == VERIFY_UNREADABLE) {
			printf(",\"error\":");
			common_json_text(strerror(d->err));
		}
		if (d->kind == VERIFY_CHANGED) {
			fputs(",\"fields\":[", stdout);
			for (bit = 1; bit < 1U << VERIFY_NFIELDS; bit <<= 1) {
				if (!(d->fields & bit))
					continue;
				printf("%s\"%s\"", first ? "" : ",",
				    verify_field_name(bit));
				first = false;
			}
			putchar(']');
			json_side("expected", d->fields, d->want, d->want_hash,
			    d->algo);
			json_side("actual", d->fields, d->got, d->got_hash,
			    d->algo);
		}
		putchar('}');
		return;
	}
	if (rp->null) {
		/* "changed mode,mtime ROOT/a/b": the path, last, as it is. */
		fputs(kinds[d->kind], stdout);
		for (bit = 1; bit < 1U << VERIFY_NFIELDS; bit <<= 1) {
			if (!(d->fields & bit) || d->kind != VERIFY_CHANGED)
				continue;
			printf("%c%s", first ? ' ' : ',',
			    verify_field_name(bit));
			first = false;
		}
		putchar(' ');
		common_put0_entry(rp->root, d->path);
		return;
	}
	if ((e = manifest_escape(d->path)) == NULL)
		err(XS_FILES, NULL);
	fputs(kinds[d->kind], stdout);
	if (d->kind == VERIFY_CHANGED) {
		for (bit = 1; bit < 1U << VERIFY_NFIELDS; bit <<= 1) {
			if (!(d->fields & bit))
				continue;
			printf("%c%s", first ? ' ' : ',',
			    verify_field_name(bit));
			first = false;
		}
	}
	printf(" %s\n", e);
	free(e);
}

/* Open a manifest operand: "-" is standard input. */
static FILE *
open_manifest(const char *path)
{
	FILE *fp;

	if (strcmp(path, "-") == 0)
		return stdin;
	if ((fp = fopen(path, "re")) == NULL)
		common_warn(errno, _("cannot open %s"), common_quote(path));
	return fp;
}

static void
bad_manifest(const char *path, int err, const char *why, uint64_t line)
{
	if (err != EINVAL || why == NULL)
		common_warn(err, _("cannot read %s"), common_quote(path));
	else if (line > 0)
		common_warn(0, _("%s: line %" PRIu64 ": invalid manifest: %s"),
		    common_quote(path), line, _(why));
	else
		common_warn(0, _("%s: invalid manifest: %s"),
		    common_quote(path), _(why));
}

/*
 * Verify the tree root against the manifest mpath, adding to the report
 * what was found.  Returns the status.
 */
static int
verify_one(const char *mpath, const char *root, const struct opts *o,
    struct report *rp)
{
	struct verify_stats st;
	struct verify_ops ops;
	FILE *fp;
	int rc, e, status;

	rp->root = root;
	if ((fp = open_manifest(mpath)) == NULL)
		return XS_FILES;
	ops.diff = on_diff;
	ops.arg = rp;
	rc = verify_tree(fp, rp->root, o->jobs, &ops, &st);
	e = errno;
	if (fp != stdin)
		(void)fclose(fp);
	if (rc == -1) {
		if (st.in_manifest)
			bad_manifest(mpath, e, st.why, st.line);
		else
			common_warn(e, _("cannot verify %s"),
			    common_quote(rp->root));
		status = XS_FILES;
	} else if (st.unreadable > 0)
		status = XS_PARTIAL;
	else if (st.missing + st.extra + st.changed > 0)
		status = XS_DIFFER;
	else
		status = XS_OK;
	rp->entries += st.entries;
	rp->missing += st.missing;
	rp->extra += st.extra;
	rp->changed += st.changed;
	rp->unreadable += st.unreadable;
	if (o->verbose && rc == 0)
		fprintf(stderr, _("%s: %s: %" PRIu64 " entries: %" PRIu64
		    " missing, %" PRIu64 " extra, %" PRIu64 " changed, %"
		    PRIu64 " unreadable\n"), common_progname(), root,
		    st.entries, st.missing, st.extra, st.changed,
		    st.unreadable);
	return status;
}

static void
report_begin(struct report *rp, const struct opts *o)
{
	memset(rp, 0, sizeof(*rp));
	rp->json = o->json;
	rp->null = o->null;
	rp->first = true;
	if (o->json)
		fputs("{\"differences\":[", stdout);
}

/* The end of the document: the counts of every tree, and the status. */
static void
report_end(const struct report *rp, int status)
{
	if (!rp->json)
		return;
	printf("%s],\"entries\":%" PRIu64 ",\"missing\":%" PRIu64
	    ",\"extra\":%" PRIu64 ",\"changed\":%" PRIu64
	    ",\"unreadable\":%" PRIu64 ",\"result\":\"%s\","
	    "\"status\":%d}\n", rp->first ? "" : "\n", rp->entries,
	    rp->missing, rp->extra, rp->changed, rp->unreadable,
	    status == XS_OK ? "match" : status == XS_DIFFER ?
	    "differ" : status == XS_PARTIAL ? "incomplete" : "error",
	    status);
}

/* The worse of two statuses: errors, then unreadable, then differences. */
static int
worse(int a, int b)
{
	static const int order[] = { XS_OK, XS_DIFFER, XS_PARTIAL, XS_FILES };
	int i, ra = 0, rb = 0;

	for (i = 0; i < 4; i++) {
		if (order[i] == a)
			ra = i;
		if (order[i] == b)
			rb = i;
	}
	return ra >= rb ? a : b;
}

/* verify REPO (every snapshot) or REPO/SNAP. */
static int
verify_repo(const char *arg, const struct opts *o, struct report *rp)
{
	struct repo r;
	char *base, *m, *t;
	size_t i;
	int status = XS_OK;

	if (repo_open(&r, arg, 0) == 0) {
		for (i = 0; i < r.n; i++) {
			m = repo_manifest_path(&r, r.v[i].name);
			t = repo_tree_path(&r, r.v[i].name);
			if (m == NULL || t == NULL)
				err(XS_FILES, NULL);
			rp->snap = r.v[i].name;
			status = worse(status, verify_one(m, t, o, rp));
			free(m);
			free(t);
		}
		rp->snap = NULL;
		repo_close(&r);
		return status;
	}
	if (xsync_open_snapshot(arg, &r, &base) == -1) {
		common_warn(errno == ENOENT ? 0 : errno, _("cannot verify %s: "
		    "neither a snapshot repository nor a snapshot"),
		    common_quote(arg));
		return XS_FILES;
	}
	m = repo_manifest_path(&r, base);
	t = repo_tree_path(&r, base);
	if (m == NULL || t == NULL)
		err(XS_FILES, NULL);
	rp->snap = base;
	status = verify_one(m, t, o, rp);
	rp->snap = NULL;
	free(m);
	free(t);
	free(base);
	repo_close(&r);
	return status;
}

static int
cmd_verify(int argc, char **argv)
{
	struct report rp;
	struct opts o;
	int status;

	parse(argc, argv, TAKES_JOBS | TAKES_VERBOSE | TAKES_JSON | TAKES_NULL,
	    &o);
	if (argc - optind != 1)
		operands(argc, argv, 2);
	report_begin(&rp, &o);
	if (argc - optind == 1)
		status = verify_repo(argv[optind], &o, &rp);
	else
		status = verify_one(argv[optind], argv[optind + 1], &o, &rp);
	report_end(&rp, status);
	if (common_flush_stdout() == -1)
		return XS_FILES;
	return status;
}

static void
export_skip(void *arg, const char *path, const char *why)
{
	(void)arg;
	common_warn(0, _("%s not exported: %s"), common_quote(path), _(why));
	partial = 1;
}

static int
cmd_export(int argc, char **argv)
{
	struct manifest_reader r;
	struct export_ops ops;
	enum export_format fmt;
	struct afile out;
	struct opts o;
	const char *mpath;
	FILE *fp, *to = stdout;
	int rc, e;

	parse(argc, argv, TAKES_OUTPUT | TAKES_FORMAT, &o);
	if (o.format == NULL) {
		common_warn(0, _("export needs --format=mtree or "
		    "--format=xxhsum"));
		common_try_help();
	}
	if (strcmp(o.format, "mtree") == 0)
		fmt = EXPORT_MTREE;
	else if (strcmp(o.format, "xxhsum") == 0)
		fmt = EXPORT_XXHSUM;
	else {
		common_warn(0, _("unknown format %s (mtree or xxhsum)"),
		    common_quote_arg(o.format));
		common_try_help();
	}
	operands(argc, argv, 1);
	mpath = argv[optind];
	if (o.output != NULL && strcmp(o.output, "-") == 0)
		o.output = NULL;
	if ((fp = open_manifest(mpath)) == NULL)
		return XS_FILES;
	if (manifest_open(&r, fp) == -1) {
		bad_manifest(mpath, errno, r.why, r.line);
		manifest_close(&r);
		if (fp != stdin)
			(void)fclose(fp);
		return XS_FILES;
	}
	if (o.output != NULL) {
		if (afile_create(&out, o.output) == -1) {
			common_warn(errno, _("cannot create %s"),
			    common_quote(o.output));
			return XS_FILES;
		}
		to = out.fp;
	}
	ops.skip = export_skip;
	ops.arg = NULL;
	rc = export_manifest(&r, fmt, to, &ops);
	e = errno;
	if (rc == -1) {
		if (e == EINVAL && r.why != NULL)
			bad_manifest(mpath, e, r.why, r.line);
		else
			common_warn(e, _("cannot write %s"),
			    common_quote(o.output ? o.output : "-"));
		if (o.output != NULL)
			afile_abort(&out);
	} else if (o.output != NULL && afile_commit(&out) == -1) {
		common_warn(errno, _("cannot write %s"),
		    common_quote(o.output));
		rc = -1;
	} else if (o.output == NULL && fflush(stdout) == EOF) {
		common_warn(errno, _("write error"));
		rc = -1;
	}
	manifest_close(&r);
	if (fp != stdin)
		(void)fclose(fp);
	return rc == -1 ? XS_FILES : partial ? XS_PARTIAL : XS_OK;
}

int
main(int argc, char **argv)
{
	size_t i;

	common_init(argv[0]);
	if (argc >= 2)
		for (i = 0; i < NCOMMANDS; i++)
			if (strcmp(argv[1], commands[i].name) == 0)
				return commands[i].run(argc - 1, argv + 1);
	/* Anything else is rsync's command line: a mirror. */
	return xsync_mirror(argc, argv);
}
