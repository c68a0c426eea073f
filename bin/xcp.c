/*
 * xcp: a drop-in cp.  Parses GNU cp's options into a struct policy, works
 * out each operand's destination name like cp (into a directory or to a new
 * name), and hands each pair to the core's runner.  Messages and exit
 * statuses are cp's.
 */
#include "config.h"

#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "meter.h"
#include "core/policy.h"
#include "core/progress.h"
#include "core/record.h"
#include "core/run.h"
#include "core/scribe.h"

enum {
	OPT_ATTRIBUTES_ONLY = 256,
	OPT_BACKUP,
	OPT_COPY_CONTENTS,
	OPT_DEBUG,
	OPT_MANIFEST,
	OPT_NO_PRESERVE,
	OPT_PARENTS,
	OPT_PRESERVE,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
	OPT_REFLINK,
	OPT_REMOVE_DESTINATION,
	OPT_SPARSE,
	OPT_STRIP_TRAILING_SLASHES,
	OPT_HELP,
	OPT_VERSION
};

static const struct option longopts[] = {
	{ "archive", no_argument, NULL, 'a' },
	{ "attributes-only", no_argument, NULL, OPT_ATTRIBUTES_ONLY },
	{ "backup", optional_argument, NULL, OPT_BACKUP },
	{ "context", optional_argument, NULL, 'Z' },
	{ "copy-contents", no_argument, NULL, OPT_COPY_CONTENTS },
	{ "debug", no_argument, NULL, OPT_DEBUG },
	{ "dereference", no_argument, NULL, 'L' },
	{ "force", no_argument, NULL, 'f' },
	{ "interactive", no_argument, NULL, 'i' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "link", no_argument, NULL, 'l' },
	{ "manifest", required_argument, NULL, OPT_MANIFEST },
	{ "no-clobber", no_argument, NULL, 'n' },
	{ "no-dereference", no_argument, NULL, 'P' },
	{ "no-preserve", required_argument, NULL, OPT_NO_PRESERVE },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "no-target-directory", no_argument, NULL, 'T' },
	{ "one-file-system", no_argument, NULL, 'x' },
	{ "parents", no_argument, NULL, OPT_PARENTS },
	{ "preserve", optional_argument, NULL, OPT_PRESERVE },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "recursive", no_argument, NULL, 'R' },
	{ "reflink", optional_argument, NULL, OPT_REFLINK },
	{ "remove-destination", no_argument, NULL, OPT_REMOVE_DESTINATION },
	{ "sparse", required_argument, NULL, OPT_SPARSE },
	{ "strip-trailing-slashes", no_argument, NULL,
	    OPT_STRIP_TRAILING_SLASHES },
	{ "suffix", required_argument, NULL, 'S' },
	{ "symbolic-link", no_argument, NULL, 's' },
	{ "target-directory", required_argument, NULL, 't' },
	{ "update", no_argument, NULL, 'u' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

/* State of the command, shared with the runner's callbacks. */
struct xcp {
	struct policy	 pol;
	bool		 verbose;
	bool		 debug;
	bool		 parents;
	bool		 failed;
	struct scribe	*scribe;	/* --manifest */
	const char	*manifest;
	bool		 scribe_failed;
};

struct choice {
	const char	*name;
	int		 value;
};

static const struct choice reflink_choices[] = {
	{ "auto", REFLINK_AUTO }, { "always", REFLINK_ALWAYS },
	{ "never", REFLINK_NEVER }, { NULL, 0 }
};
static const struct choice sparse_choices[] = {
	{ "never", SPARSE_NEVER }, { "auto", SPARSE_AUTO },
	{ "always", SPARSE_ALWAYS }, { NULL, 0 }
};
static const struct choice backup_choices[] = {
	{ "none", BACKUP_NONE }, { "off", BACKUP_NONE },
	{ "simple", BACKUP_SIMPLE }, { "never", BACKUP_SIMPLE },
	{ "existing", BACKUP_EXISTING }, { "nil", BACKUP_EXISTING },
	{ "numbered", BACKUP_NUMBERED }, { "t", BACKUP_NUMBERED },
	{ NULL, 0 }
};
static const struct choice preserve_choices[] = {
	{ "mode", PRESERVE_MODE }, { "timestamps", PRESERVE_TIMES },
	{ "ownership", PRESERVE_OWNER }, { "links", PRESERVE_LINKS },
	{ "context", PRESERVE_CONTEXT }, { "xattr", PRESERVE_XATTR },
	{ "all", PRESERVE_ALL }, { NULL, 0 }
};

/*
 * Look arg up in choices as GNU argmatch does: an exact match, or an
 * unambiguous prefix.  On failure print cp's message and exit.
 */
static int
choose(const struct choice *c, const char *arg, const char *what)
{
	const struct choice *hit = NULL, *p;
	/* arg is optarg, which getopt_long() sets for these options. */
	/* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
	size_t len = strlen(arg);
	bool ambiguous = false;
	int last = -1;

	for (p = c; p->name != NULL; p++) {
		if (strcmp(p->name, arg) == 0)
			return p->value;
		if (strncmp(p->name, arg, len) == 0) {
			if (hit != NULL && hit->value != p->value)
				ambiguous = true;
			hit = p;
		}
	}
	if (hit != NULL && !ambiguous && len > 0)
		return hit->value;
	fprintf(stderr, ambiguous ?
	    _("%s: ambiguous argument %s for %s\n") :
	    _("%s: invalid argument %s for %s\n"), common_progname(),
	    common_quote_arg(arg), common_quote_arg(what));
	fputs(_("Valid arguments are:"), stderr);
	for (p = c; p->name != NULL; p++) {
		if (p->value == last)
			fprintf(stderr, ", %s", common_quote_arg(p->name));
		else
			fprintf(stderr, "\n  - %s", common_quote_arg(p->name));
		last = p->value;
	}
	fputc('\n', stderr);
	common_try_help();
}

static unsigned
preserve_list(const char *arg, const char *what)
{
	char *copy, *tok, *save = NULL;
	unsigned bits = 0;

	/* arg is optarg, which getopt_long() sets for these options. */
	/* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
	if ((copy = strdup(arg)) == NULL)
		err(1, NULL);
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save))
		bits |= (unsigned)choose(preserve_choices, tok, what);
	free(copy);
	return bits;
}

static void
usage(void)
{
	const char *p = common_progname();

	printf(_("Usage: %s [OPTION]... [-T] SOURCE DEST\n"
	    "  or:  %s [OPTION]... SOURCE... DIRECTORY\n"
	    "  or:  %s [OPTION]... -t DIRECTORY SOURCE...\n"), p, p, p);
	fputs(_("Copy SOURCE to DEST, or several SOURCEs into DIRECTORY, "
	    "as cheaply as the\nfilesystems allow: a copy-on-write clone, "
	    "a kernel copy, or a byte copy.\n\n"), stdout);
	fputs(_(
"  -a, --archive                same as -dR --preserve=all\n"
"      --attributes-only        copy attributes only, not file data\n"
"      --backup[=CONTROL]       back up each existing destination file\n"
"  -b                           like --backup but takes no argument\n"
"      --copy-contents          read special files as data when recursive\n"
"  -d                           same as --no-dereference --preserve=links\n"
"      --debug                  show the strategy used for each file\n"
"  -f, --force                  replace a destination that cannot be opened\n"
"  -i, --interactive            prompt before overwriting\n"
"  -j, --jobs=N                 copy files with N threads (default: one per\n"
"                                 CPU; one into btrfs)\n"
"  -H                           follow symbolic links given on the command "
"line\n"
"  -l, --link                   hard link files instead of copying them\n"
"      --manifest=FILE          write an xcpm manifest of the destination to FILE\n"
"  -L, --dereference            always follow symbolic links in SOURCE\n"
"  -n, --no-clobber             do not overwrite an existing file\n"
"  -P, --no-dereference         never follow symbolic links in SOURCE\n"
"  -p                           same as --preserve=mode,ownership,timestamps\n"
"      --preserve[=ATTR_LIST]   keep these attributes (default: mode,\n"
"                                 ownership,timestamps); also: context,\n"
"                                 links, xattr, all\n"
"      --no-preserve=ATTR_LIST  do not keep these attributes\n"
"      --parents                append the source path to DIRECTORY\n"
"      --progress               show the progress line from the start and\n"
"                                 keep its last state (on a terminal)\n"
"      --no-progress            no progress line\n"
"  -R, -r, --recursive          copy directories recursively\n"
"      --reflink[=WHEN]         when to clone: auto (default), always, "
"never\n"
"      --remove-destination     remove each existing destination first\n"
"      --sparse=WHEN            hole handling: auto (default), always, "
"never\n"
"      --strip-trailing-slashes  remove trailing slashes from SOURCEs\n"
"  -s, --symbolic-link          make symbolic links instead of copying\n"
"  -S, --suffix=SUFFIX          backup suffix instead of '~'\n"
"  -t, --target-directory=DIRECTORY  copy all SOURCEs into DIRECTORY\n"
"  -T, --no-target-directory    treat DEST as a normal file\n"
"  -u, --update                 copy only when SOURCE is newer than DEST\n"
"                                 or DEST is missing\n"
"  -v, --verbose                explain what is being done\n"
"  -x, --one-file-system        stay on this file system\n"
"  -Z, --context[=CTX]          accepted for compatibility; without SELinux\n"
"                                 no security context is set\n"
"      --help                   display this help and exit\n"
"      --version                output version information and exit\n"),
	    stdout);
	fputs(_("\nBackups: CONTROL is none/off, numbered/t, existing/nil or "
	    "simple/never;\nthe default comes from VERSION_CONTROL, the suffix "
	    "from SIMPLE_BACKUP_SUFFIX.\n"), stdout);
	fputs(_("\nExit status: 0 when everything was copied, 1 when anything "
	    "failed.\n"), stdout);
	exit(0);
}

static void
report(void *arg, const struct run_event *ev)
{
	struct xcp *x = arg;
	const char *s = ev->src, *d = ev->dst;

	x->failed = true;
	switch (ev->kind) {
	case RE_STAT:
		common_warn(ev->err, _("cannot stat %s"), common_quote(s));
		break;
	case RE_OPEN_READ:
		common_warn(ev->err, _("cannot open %s for reading"),
		    common_quote(s));
		break;
	case RE_OPEN_DIR:
		common_warn(ev->err, _("cannot access %s"), common_quote(s));
		break;
	case RE_READ:
		common_warn(ev->err, _("error reading %s"), common_quote(s));
		break;
	case RE_WRITE:
		common_warn(ev->err, _("error writing %s"), common_quote(d));
		break;
	case RE_CLONE:
		common_warn(ev->err, _("failed to clone %s from %s"),
		    common_quote(d), common_quote(s));
		break;
	case RE_CREATE:
		common_warn(ev->err, _("cannot create regular file %s"),
		    common_quote(d));
		break;
	case RE_MKDIR:
		common_warn(ev->err, _("cannot create directory %s"),
		    common_quote(d));
		break;
	case RE_MKFIFO:
		common_warn(ev->err, _("cannot create fifo %s"),
		    common_quote(d));
		break;
	case RE_MKNOD:
		common_warn(ev->err, _("cannot create special file %s"),
		    common_quote(d));
		break;
	case RE_SYMLINK:
		common_warn(ev->err, _("cannot create symbolic link %s to %s"),
		    common_quote(d), common_quote(s));
		break;
	case RE_LINK:
		common_warn(ev->err, _("cannot create hard link %s to %s"),
		    common_quote(d), common_quote(s));
		break;
	case RE_READLINK:
		common_warn(ev->err, _("cannot read symbolic link %s"),
		    common_quote(s));
		break;
	case RE_OMIT_DIR:
		common_warn(0, _("-r not specified; omitting directory %s"),
		    common_quote(s));
		break;
	case RE_UNSTAGE:
		common_warn(ev->err, _("cannot rename %s to %s"),
		    common_quote(s), common_quote(d));
		break;
	case RE_INTO_SELF:
		common_warn(0, _("cannot copy a directory, %s, into itself, %s"),
		    common_quote(s), common_quote(d));
		break;
	case RE_CYCLE:
		common_warn(0, _("cannot copy cyclic symbolic link %s"),
		    common_quote(s));
		break;
	case RE_SAME_FILE:
		common_warn(0, _("%s and %s are the same file"),
		    common_quote(s), common_quote(d));
		break;
	case RE_OVER_DIR:
		common_warn(0, _("cannot overwrite directory %s with "
		    "non-directory"), common_quote(d));
		break;
	case RE_OVER_NONDIR:
		common_warn(0, _("cannot overwrite non-directory %s with "
		    "directory %s"), common_quote(d), common_quote(s));
		break;
	case RE_JUST_CREATED:
		common_warn(0, _("will not overwrite just-created %s with %s"),
		    common_quote(d), common_quote(s));
		break;
	case RE_DANGLING:
		common_warn(0, _("not writing through dangling symlink %s"),
		    common_quote(d));
		break;
	case RE_RELATIVE_SYMLINK:
		common_warn(0, _("%s: can make relative symbolic links only in "
		    "current directory"), d);
		break;
	case RE_BACKUP:
		common_warn(ev->err, _("cannot backup %s"), common_quote(d));
		break;
	case RE_REMOVE:
		common_warn(ev->err, _("cannot remove %s"), common_quote(d));
		break;
	case RE_TIMES:
		common_warn(ev->err, _("preserving times for %s"),
		    common_quote(d));
		break;
	case RE_OWNER:
		common_warn(ev->err, _("failed to preserve ownership for %s"),
		    common_quote(d));
		break;
	case RE_XATTR:
		common_warn(ev->err, _("setting attributes for %s"),
		    common_quote(d));
		break;
	case RE_PERMS:
		common_warn(ev->err, _("preserving permissions for %s"),
		    common_quote(d));
		break;
	case RE_CHANGED:
		common_warn(0, _("skipping file %s, as it was replaced while "
		    "being copied"), common_quote(s));
		break;
	case RE_NOMEM:
	default:
		common_warn(ev->err ? ev->err : ENOMEM, "%s", common_quote(s));
		break;
	}
}

static void
record(void *arg, const struct record *rec)
{
	struct xcp *x = arg;

	if (x->scribe != NULL && !x->scribe_failed &&
	    scribe_add(x->scribe, rec) == -1) {
		common_warn(errno, _("cannot write %s"),
		    common_quote(x->manifest));
		x->scribe_failed = x->failed = true;
	}
	if ((!x->verbose && !x->debug) || rec->quiet || rec->post)
		return;
	meter_hold();
	if (rec->depth < 0) {
		/* --parents prints the directories it makes unquoted. */
		printf("%s -> %s\n", rec->src, rec->dst);
	} else {
		printf("%s -> %s", common_quote(rec->src),
		    common_quote(rec->dst));
		if (rec->backup != NULL)
			printf(_(" (backup: %s)"), common_quote(rec->backup));
		if (x->debug)
			printf(_(" (strategy: %s)"),
			    policy_strategy_name(rec->strategy));
		putchar('\n');
	}
	meter_release();
}

static void
manifest_error(void *arg, const char *path, int err)
{
	struct xcp *x = arg;

	common_warn(err, _("cannot hash %s for the manifest"),
	    common_quote(path));
	x->failed = true;
}

/*
 * Name the entries of the next operand in the manifest: the destination
 * itself is ".", or "./NAME" when several operands go into a directory.
 */
static void
manifest_root(struct xcp *x, const char *dst, const char *rel)
{
	const char *base;
	char *r;

	if (x->scribe == NULL)
		return;
	if (rel != NULL) {
		if (scribe_root(x->scribe, dst, rel) == -1)
			err(1, NULL);
		return;
	}
	base = strrchr(dst, '/');
	base = base ? base + 1 : dst;
	/* "src/." copies into the directory itself. */
	if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		base = NULL;
	if (asprintf(&r, base ? "./%s" : ".", base) == -1 ||
	    scribe_root(x->scribe, dst, r) == -1)
		err(1, NULL);
	free(r);
}

static void
removed(void *arg, const char *path)
{
	struct xcp *x = arg;

	if (x->verbose) {
		meter_hold();
		printf(_("removed %s\n"), common_quote(path));
		meter_release();
	}
}

static bool
ask(void *arg, const char *dst)
{
	char *line = NULL;
	size_t len = 0;
	bool yes;

	(void)arg;
	meter_hold();
	fflush(stdout);
	fprintf(stderr, _("%s: overwrite %s? "), common_progname(),
	    common_quote(dst));
	/* The locale's yes (y, or j in German): the question is translated. */
	yes = getline(&line, &len, stdin) != -1 && rpmatch(line) == 1;
	free(line);
	meter_release();
	return yes;
}

static void
strip_slashes(char *s)
{
	size_t len = strlen(s);

	while (len > 1 && s[len - 1] == '/')
		s[--len] = '\0';
}

/* The last component of a source, trailing slashes ignored. */
static char *
last_component(const char *s)
{
	size_t len = strlen(s);
	const char *b;

	while (len > 1 && s[len - 1] == '/')
		len--;
	for (b = s + len; b > s && b[-1] != '/'; b--)
		;
	return strndup(b, (size_t)(s + len - b));
}

/* Whether operand i names a non-directory already given before it. */
static bool
given_before(char **argv, int i)
{
	struct stat st;
	int j;

	for (j = 0; j < i; j++)
		if (strcmp(argv[j], argv[i]) == 0)
			return stat(argv[i], &st) == 0 && !S_ISDIR(st.st_mode);
	return false;
}

/* Without -R, the progress scan counts the operands alone. */
static bool
top_only(void *arg, size_t which, const char *rel, bool dir)
{
	(void)arg;
	(void)which;
	(void)rel;
	(void)dir;
	return false;
}

static bool
is_dir(const char *path, int *err)
{
	struct stat st;

	if (stat(path, &st) == -1) {
		*err = errno;
		return false;
	}
	*err = 0;
	return S_ISDIR(st.st_mode);
}

int
main(int argc, char *argv[])
{
	struct xcp x;
	struct run run;
	struct run_ops ops;
	struct policy *pol = &x.pol;
	const char *target = NULL, *suffix = NULL, *vc = NULL;
	const char *manifest = NULL;
	struct scribe_ops sops;
	struct progress prog;
	struct progress_scan scan;
	enum meter_mode meter = METER_AUTO;
	bool no_target = false, strip = false, deref_set = false;
	bool make_backups = false, sparse_set = false, hard = false;
	bool sym = false, last_is_dir;
	unsigned keep = 0, drop = 0;
	char *dst, *base;
	int ch, n, i, e;

	common_init(argv[0]);
	memset(&x, 0, sizeof(x));
	policy_init(pol);
	while ((ch = getopt_long(argc, argv, "abdfHij:lLnPpRrS:st:TuvxZ",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			pol->recursive = true;
			pol->deref = DEREF_NEVER;
			deref_set = true;
			keep |= PRESERVE_ALL;
			break;
		case 'b':
			make_backups = true;
			break;
		case 'd':
			pol->deref = DEREF_NEVER;
			deref_set = true;
			keep |= PRESERVE_LINKS;
			break;
		case 'f':
			pol->force = true;
			break;
		case 'H':
			pol->deref = DEREF_CMDLINE;
			deref_set = true;
			break;
		case 'i':
			pol->overwrite = OVERWRITE_ASK;
			break;
		case 'l':
			hard = true;
			pol->link = LINK_HARD;
			break;
		case 'L':
			pol->deref = DEREF_ALWAYS;
			deref_set = true;
			break;
		case 'n':
			pol->overwrite = OVERWRITE_NEVER;
			break;
		case 'P':
			pol->deref = DEREF_NEVER;
			deref_set = true;
			break;
		case 'p':
			keep |= PRESERVE_MODE | PRESERVE_OWNER | PRESERVE_TIMES;
			pol->require |= PRESERVE_MODE | PRESERVE_OWNER |
			    PRESERVE_TIMES;
			break;
		case 'R':
		case 'r':
			pol->recursive = true;
			break;
		case 'S':
			make_backups = true;
			suffix = optarg;
			break;
		case 's':
			sym = true;
			pol->link = LINK_SYMBOLIC;
			break;
		case 't':
			if (target != NULL)
				errx(1, _("multiple target directories "
				    "specified"));
			target = optarg;
			break;
		case 'T':
			no_target = true;
			break;
		case 'u':
			pol->update = true;
			break;
		case 'v':
			x.verbose = true;
			break;
		case 'j':
			pol->jobs = common_jobs(optarg);
			break;
		case 'x':
			pol->one_file_system = true;
			break;
		case 'Z':
			break;
		case OPT_ATTRIBUTES_ONLY:
			pol->attributes_only = true;
			break;
		case OPT_MANIFEST:
			manifest = optarg;
			break;
		case OPT_BACKUP:
			make_backups = true;
			if (optarg != NULL)
				vc = optarg;
			break;
		case OPT_COPY_CONTENTS:
			pol->copy_contents = true;
			break;
		case OPT_DEBUG:
			x.debug = true;
			break;
		case OPT_NO_PRESERVE:
			n = (int)preserve_list(optarg, "--no-preserve");
			drop |= (unsigned)n;
			if (n & PRESERVE_MODE)
				pol->default_mode = true;
			break;
		case OPT_PROGRESS:
			meter = METER_ON;
			break;
		case OPT_NO_PROGRESS:
			meter = METER_OFF;
			break;
		case OPT_PARENTS:
			x.parents = true;
			break;
		case OPT_PRESERVE:
			pol->default_mode = false;
			if (optarg == NULL) {
				keep |= PRESERVE_MODE | PRESERVE_OWNER |
				    PRESERVE_TIMES;
				break;
			}
			n = (int)preserve_list(optarg, "--preserve");
			keep |= (unsigned)n;
			/* Explicitly asked for: failures are errors. */
			pol->require |= (unsigned)n & ~(n == PRESERVE_ALL ?
			    PRESERVE_XATTR | PRESERVE_CONTEXT : 0u);
			break;
		case OPT_REFLINK:
			pol->reflink = optarg == NULL ? REFLINK_ALWAYS :
			    choose(reflink_choices, optarg, "--reflink");
			break;
		case OPT_REMOVE_DESTINATION:
			pol->remove_destination = true;
			break;
		case OPT_SPARSE:
			pol->sparse = choose(sparse_choices, optarg, "--sparse");
			sparse_set = true;
			break;
		case OPT_STRIP_TRAILING_SLASHES:
			strip = true;
			break;
		case OPT_HELP:
			usage();
			break;
		case OPT_VERSION:
			printf("%s (%s) %s\n", common_progname(), PACKAGE_NAME,
			    PACKAGE_VERSION);
			return 0;
		default:
			common_try_help();
		}
	}
	pol->preserve = keep & ~drop;
	if (pol->preserve & PRESERVE_MODE)
		pol->default_mode = false;
	pol->require &= pol->preserve;
	if (!deref_set)
		pol->deref = pol->recursive && pol->link != LINK_HARD ?
		    DEREF_NEVER : DEREF_ALWAYS;
	if (hard && sym) {
		common_warn(0, _("cannot make both hard and symbolic links"));
		common_try_help();
	}
	if (make_backups && pol->overwrite == OVERWRITE_NEVER) {
		common_warn(0, _("options --backup and --no-clobber are "
		    "mutually exclusive"));
		common_try_help();
	}
	if (pol->reflink == REFLINK_ALWAYS && sparse_set &&
	    pol->sparse != SPARSE_AUTO) {
		common_warn(0, _("--reflink can be used only with "
		    "--sparse=auto"));
		common_try_help();
	}
	if (make_backups) {
		if (vc == NULL)
			vc = getenv("VERSION_CONTROL");
		pol->backup = vc == NULL || *vc == '\0' ? BACKUP_EXISTING :
		    choose(backup_choices, vc, _("backup type"));
		if (suffix == NULL)
			suffix = getenv("SIMPLE_BACKUP_SUFFIX");
		if (suffix != NULL && *suffix != '\0' &&
		    strchr(suffix, '/') == NULL)
			pol->backup_suffix = suffix;
	}
	if ((pol->require & PRESERVE_CONTEXT) &&
	    access("/sys/fs/selinux/enforce", F_OK) == -1)
		errx(1, _("cannot preserve security context without an "
		    "SELinux-enabled kernel"));
	if (target != NULL && no_target)
		errx(1, _("cannot combine --target-directory (-t) and "
		    "--no-target-directory (-T)"));

	argc -= optind;
	argv += optind;
	if (argc <= (target == NULL ? 1 : 0)) {
		if (argc == 0)
			common_warn(0, _("missing file operand"));
		else
			common_warn(0, _("missing destination file operand "
			    "after %s"), common_quote(argv[0]));
		common_try_help();
	}
	if (no_target && argc > 2) {
		common_warn(0, _("extra operand %s"), common_quote(argv[2]));
		common_try_help();
	}
	last_is_dir = target == NULL && is_dir(argv[argc - 1], &e);
	if (target == NULL && !no_target &&
	    (argc > 2 || last_is_dir || x.parents)) {
		target = argv[--argc];
		if (!last_is_dir) {
			if (x.parents) {
				common_warn(0, _("with --parents, the "
				    "destination must be a directory"));
				common_try_help();
			}
			errx(1, _("target %s: %s"), common_quote(target),
			    strerror(e != 0 ? e : ENOTDIR));
		}
	} else if (target != NULL && !is_dir(target, &e))
		errx(1, _("target directory %s: %s"), common_quote(target),
		    strerror(e != 0 ? e : ENOTDIR));
	/* cp strips only the operands it copies into a directory. */
	if (strip && target != NULL)
		for (i = 0; i < argc; i++)
			strip_slashes(argv[i]);

	ops.report = report;
	/* Records cost a copy per file on threads: only when used. */
	ops.record = manifest != NULL || x.verbose || x.debug ? record : NULL;
	ops.ask = ask;
	ops.removed = removed;
	ops.arg = &x;
	if (manifest != NULL) {
		pol->manifest = true;
		x.manifest = manifest;
		sops.error = manifest_error;
		sops.arg = &x;
		if ((x.scribe = scribe_open(manifest, 0, &sops)) == NULL)
			err(1, _("cannot create %s"), common_quote(manifest));
	}
	progress_init(&prog);
	pol->progress = &prog;
	memset(&scan, 0, sizeof(scan));
	scan.paths = (const char *const *)argv;
	scan.npaths = target == NULL ? 1 : (size_t)argc;
	scan.follow_top = pol->deref != DEREF_NEVER;
	scan.follow = pol->deref == DEREF_ALWAYS;
	scan.one_fs = pol->one_file_system;
	scan.keep = pol->recursive ? NULL : top_only;
	meter_start(&prog, meter, &scan);
	if (run_init(&run, pol, &ops) == -1)
		err(1, NULL);
	if (target == NULL) {
		manifest_root(&x, argv[1], ".");
		(void)run_copy(&run, argv[0], argv[1]);
	} else {
		for (i = 0; i < argc && !run_stopped(&run); i++) {
			if (given_before(argv, i)) {
				common_warn(0, _("warning: source file %s "
				    "specified more than once"),
				    common_quote(argv[i]));
				continue;
			}
			if (x.parents) {
				manifest_root(&x, target, ".");
				(void)run_copy_parents(&run, argv[i], target);
				continue;
			}
			if ((base = last_component(argv[i])) == NULL ||
			    asprintf(&dst, "%s%s%s", target,
			    target[strlen(target) - 1] == '/' ? "" : "/",
			    base) == -1)
				err(1, NULL);
			manifest_root(&x, dst, NULL);
			(void)run_copy(&run, argv[i], dst);
			free(dst);
			free(base);
		}
	}
	run_free(&run);
	meter_stop();
	if (x.scribe != NULL) {
		if (x.scribe_failed)
			scribe_abort(x.scribe);
		else if (scribe_commit(x.scribe) == -1) {
			common_warn(errno, _("cannot write %s"),
			    common_quote(manifest));
			x.failed = true;
		}
	}
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, _("write error"));
	return x.failed ? 1 : 0;
}
