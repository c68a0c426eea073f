/*
 * jailclone: provision jail and container roots from a template and
 * verify, measure, list and destroy them.  Each subcommand is an entry of
 * a table; the work is done by lib/core/jail.c.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "meter.h"
#include "core/jail.h"
#include "core/manifest.h"
#include "core/progress.h"
#include "core/verify.h"

/* Exit statuses (jailclone(1), EXIT STATUS). */
enum {
	JC_OK = 0,
	JC_USAGE = 1,
	JC_DRIFT = 2,		/* verify: drift found */
	JC_FAILED = 3,		/* some jail could not be done */
	JC_TEMPLATE = 4		/* the template cannot be used */
};

#define DEFAULT_STORE	"/var/lib/jailclone/store"

struct command {
	const char	*name;
	int		(*run)(int, char **);
	const char	*synopsis;
};

static int	cmd_create(int, char **);
static int	cmd_verify(int, char **);
static int	cmd_du(int, char **);
static int	cmd_destroy(int, char **);
static int	cmd_list(int, char **);
static int	cmd_update(int, char **);

static const struct command commands[] = {
	{ "create", cmd_create, N_("[OPTION]... TEMPLATE JAIL...") },
	{ "verify", cmd_verify, N_("[-0] [--json] [--fast] [-j N] JAIL...") },
	{ "update", cmd_update,
	    N_("--template=TEMPLATE [OPTION]... JAIL...") },
	{ "du", cmd_du, N_("[--json] [-h] JAIL...") },
	{ "destroy", cmd_destroy, N_("[-v] [--wait] JAIL...") },
	{ "list", cmd_list, N_("[-0] [--json] [DIR]") },
};
#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

enum {
	OPT_COPY_IN = 256,
	OPT_FAST,
	OPT_HELP,
	OPT_HOSTNAME,
	OPT_JSON,
	OPT_NO_PROGRESS,
	OPT_PRIVATE,
	OPT_PROGRESS,
	OPT_SET,
	OPT_SHARED,
	OPT_STORE,
	OPT_TEMPLATE,
	OPT_VERSION,
	OPT_WAIT
};

static void
usage(void)
{
	size_t i;

	printf(_("Usage: %s COMMAND [OPTION]... ARGS\n"), common_progname());
	fputs(_("Provision jail and container roots from a template at "
	    "metadata cost.\n"), stdout);
	fputs(_("\nCommands:\n"), stdout);
	for (i = 0; i < NCOMMANDS; i++)
		printf("  %s %s %s\n", common_progname(), commands[i].name,
		    _(commands[i].synopsis));
	printf(_("\n"
"  -m, --mode=MODE     create: auto, snapshot, reflink, hardlink or copy\n"
"      --template=T    update: the new template\n"
"      --store=DIR     create, update: where archives are unpacked (default\n"
"                        %s)\n"
"      --shared=PATH   create: hard link the files below PATH (hardlink)\n"
"      --private=PATH  create: never hard link below PATH (default: etc,\n"
"                        var, root, tmp and home)\n"
"      --hostname=NAME create: write NAME to etc/hostname (%%n: the jail)\n"
"      --set=PATH=TEXT create: write TEXT to PATH in each jail\n"
"      --copy-in=SRC:PATH  create: copy the file SRC to PATH in each jail\n"
"      --progress      create: the progress line from the start, kept at the\n"
"                        end (on a terminal)\n"
"      --no-progress   create: no progress line\n"
"      --fast          verify: compare metadata only, read no content\n"
"      --json          verify, update, du, list: one JSON document on stdout\n"
"  -0, --null          verify, update, list: paths or names ended by NULs,\n"
"                        neither quoted nor escaped\n"
"  -h, --human-readable  du: sizes in K, M, G\n"
"  -j, --jobs=N        use N threads (default: one per CPU)\n"
"  -v, --verbose       name each jail done; update: each path changed\n"
"      --wait          wait for a jail or store in use instead of failing\n"
"      --help          display this help and exit\n"
"      --version       output version information and exit\n"
"\nExit status: 0 success, 1 usage error, 2 verify found drift or update\n"
"conflicts, 3 some jail"
" could not be done, 4 the template cannot be used.\n"), DEFAULT_STORE);
	exit(JC_OK);
}

static const struct option longopts[] = {
	{ "copy-in", required_argument, NULL, OPT_COPY_IN },
	{ "fast", no_argument, NULL, OPT_FAST },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "hostname", required_argument, NULL, OPT_HOSTNAME },
	{ "human-readable", no_argument, NULL, 'h' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "mode", required_argument, NULL, 'm' },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "null", no_argument, NULL, '0' },
	{ "private", required_argument, NULL, OPT_PRIVATE },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "set", required_argument, NULL, OPT_SET },
	{ "shared", required_argument, NULL, OPT_SHARED },
	{ "store", required_argument, NULL, OPT_STORE },
	{ "template", required_argument, NULL, OPT_TEMPLATE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "wait", no_argument, NULL, OPT_WAIT },
	{ NULL, 0, NULL, 0 }
};

struct opts {
	struct jail_create_opts c;
	const char	**shared;
	const char	**private;
	struct jail_override *ov;
	char		*hostname_text;
	const char	*template;
	bool		 private_given;
	bool		 fast;
	bool		 json;
	bool		 null;
	bool		 human;
	bool		 verbose;
	enum meter_mode	 meter;
};

/* The subcommands that take an option, each between spaces. */
static const char *
takes(int ch)
{
	switch (ch) {
	case 'm': case OPT_SHARED: case OPT_PRIVATE:
	case OPT_HOSTNAME: case OPT_SET: case OPT_COPY_IN:
	case OPT_PROGRESS: case OPT_NO_PROGRESS:
		return " create ";
	case OPT_STORE:
		return " create update ";
	case OPT_TEMPLATE:
		return " update ";
	case OPT_FAST:
		return " verify ";
	case OPT_JSON:
		return " verify update du list ";
	case '0':
		return " verify update list ";
	case 'h':
		return " du ";
	case 'j':
		return " create update verify ";
	case 'v':
		return " create update destroy ";
	case OPT_WAIT:
		return " create update verify destroy ";
	}
	return "";
}

/* Whether the subcommand name takes the option ch. */
static bool
applies(int ch, const char *name)
{
	const char *t = takes(ch), *p;
	size_t n = strlen(name);

	for (p = strstr(t, name); p != NULL; p = strstr(p + 1, name))
		if (p[-1] == ' ' && p[n] == ' ')
			return true;
	return false;
}

static void *
grow(void *v, size_t n, size_t size)
{
	void *nv = reallocarray(v, n + 1, size);

	if (nv == NULL) {
		common_warn(ENOMEM, NULL);
		exit(JC_FAILED);
	}
	return nv;
}

static void
add_override(struct opts *o, char *path, const char *content,
    const char *from)
{
	struct jail_override *ov;
	size_t i;

	if (jail_path_clean(path) == -1) {
		common_warn(0, _("invalid path in the jail %s: it must name a "
		    "file below the jail's root"), common_quote_arg(path));
		common_try_help();
	}
	/* The same path again: the last one given wins. */
	for (i = 0; i < o->c.nov && strcmp(o->ov[i].path, path) != 0; i++)
		;
	if (i == o->c.nov) {
		o->ov = grow(o->ov, o->c.nov, sizeof(*o->ov));
		o->c.nov++;
	}
	ov = &o->ov[i];
	ov->path = path;
	ov->content = content;
	ov->len = content ? strlen(content) : 0;
	ov->from = from;
}

static void
parse(int argc, char **argv, struct opts *o)
{
	static char hostname_path[] = "etc/hostname";
	static const char *const private_default[] = {
		"etc", "var", "root", "tmp", "home"
	};
	char *eq;
	int ch, m;
	size_t i;

	memset(o, 0, sizeof(*o));
	o->c.store = DEFAULT_STORE;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+0hj:m:v", longopts, NULL)) !=
	    -1) {
		if (ch == OPT_HELP)
			usage();
		if (ch == OPT_VERSION) {
			printf("jailclone (%s) %s\n", PACKAGE_NAME,
			    PACKAGE_VERSION);
			exit(JC_OK);
		}
		if (ch == '?' || !applies(ch, argv[0])) {
			if (ch != '?')
				common_warn(0, _("option %s does not apply "
				    "to %s"), argv[optind - 1],
				    common_quote_arg(argv[0]));
			common_try_help();
		}
		switch (ch) {
		case 'h':
			o->human = true;
			break;
		case 'j':
			o->c.jobs = common_jobs(optarg);
			break;
		case 'm':
			if ((m = jail_mode_parse(optarg)) < 0) {
				common_warn(0, _("invalid mode %s: use auto, "
				    "snapshot, reflink, hardlink or copy"),
				    common_quote_arg(optarg));
				common_try_help();
			}
			o->c.mode = (enum jail_mode)m;
			break;
		case 'v':
			o->verbose = true;
			break;
		case OPT_STORE:
			o->c.store = optarg;
			break;
		case OPT_TEMPLATE:
			o->template = optarg;
			break;
		case OPT_SHARED:
			o->shared = grow(o->shared, o->c.nshared,
			    sizeof(*o->shared));
			o->shared[o->c.nshared++] = optarg;
			break;
		case OPT_PRIVATE:
			o->private_given = true;
			o->private = grow(o->private, o->c.nprivate,
			    sizeof(*o->private));
			o->private[o->c.nprivate++] = optarg;
			break;
		case OPT_HOSTNAME:
			free(o->hostname_text);
			if (*optarg == '\0' || strchr(optarg, '\n') != NULL ||
			    asprintf(&o->hostname_text, "%s\n", optarg) ==
			    -1) {
				common_warn(0, _("invalid host name %s"),
				    common_quote_arg(optarg));
				common_try_help();
			}
			o->c.hostname = optarg;
			break;
		case OPT_SET:
			if ((eq = strchr(optarg, '=')) == NULL) {
				common_warn(0, _("--set needs PATH=TEXT: %s"),
				    common_quote_arg(optarg));
				common_try_help();
			}
			*eq = '\0';
			add_override(o, optarg, eq + 1, NULL);
			break;
		case OPT_COPY_IN:
			if ((eq = strrchr(optarg, ':')) == NULL) {
				common_warn(0, _("--copy-in needs SRC:PATH: "
				    "%s"), common_quote_arg(optarg));
				common_try_help();
			}
			*eq = '\0';
			add_override(o, eq + 1, NULL, optarg);
			break;
		case OPT_FAST:
			o->fast = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case '0':
			o->null = true;
			break;
		case OPT_WAIT:
			o->c.wait = true;
			break;
		case OPT_PROGRESS:
			o->meter = METER_ON;
			break;
		case OPT_NO_PROGRESS:
			o->meter = METER_OFF;
			break;
		}
	}
	common_json_or_null(o->json, o->null);
	if (o->hostname_text != NULL)
		add_override(o, hostname_path, o->hostname_text, NULL);
	if (!o->private_given)
		for (i = 0; i < sizeof(private_default) /
		    sizeof(private_default[0]); i++) {
			o->private = grow(o->private, o->c.nprivate,
			    sizeof(*o->private));
			o->private[o->c.nprivate++] = private_default[i];
		}
	o->c.shared = o->shared;
	o->c.private = o->private;
	o->c.ov = o->ov;
}

static void
opts_free(struct opts *o)
{
	free(o->shared);
	free(o->private);
	free(o->ov);
	free(o->hostname_text);
}

static void
need(int argc, int want)
{
	if (argc - optind < want) {
		common_warn(0, _("missing operand"));
		common_try_help();
	}
}

/*
 * The same jail twice in one command would wait for its own lock: a
 * usage error.  Jails are told apart by their directory's real path and
 * their name.
 */
static void
distinct(char **jails, int n)
{
	char **key, *copy, *slash, *real;
	int i, j;

	if ((key = calloc((size_t)n, sizeof(*key))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		if ((copy = strdup(jails[i])) == NULL)
			break;
		for (j = (int)strlen(copy); j > 1 && copy[j - 1] == '/'; j--)
			copy[j - 1] = '\0';
		slash = strrchr(copy, '/');
		if (slash != NULL)
			*slash = '\0';
		real = realpath(slash == NULL ? "." : slash == copy ? "/" :
		    copy, NULL);
		if (real == NULL || asprintf(&key[i], "%s/%s", real,
		    slash == NULL ? copy : slash + 1) == -1)
			key[i] = NULL;
		free(real);
		free(copy);
		for (j = 0; key[i] != NULL && j < i; j++)
			if (key[j] != NULL && strcmp(key[i], key[j]) == 0) {
				common_warn(0, _("jail %s given twice"),
				    common_quote(jails[i]));
				common_try_help();
			}
	}
	for (i = 0; i < n; i++)
		free(key[i]);
	free(key);
}

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static bool verbose;

static void
report(void *arg, const struct jail_event *ev)
{
	const char *j = ev->jail ? common_quote(ev->jail) : NULL;
	const char *p = ev->path ? common_quote(ev->path) : "";
	int e = ev->err;

	(void)arg;
	pthread_mutex_lock(&out_lock);
	switch (ev->kind) {
	case JE_TEMPLATE:
		if (ev->detail != NULL)
			common_warn(0, _("cannot use template %s: %s"), p,
			    _(ev->detail));
		else
			common_warn(e, _("cannot use template %s"), p);
		break;
	case JE_STORE:
		common_warn(e, _("template store %s"), p);
		break;
	case JE_UNPACK:
		common_warn(e, _("%s: archive entry %s refused: %s"),
		    j ? j : "", p, ev->detail ? _(ev->detail) : "");
		break;
	case JE_EXISTS:
		common_warn(e, _("cannot create jail %s: it exists"), j);
		break;
	case JE_NOT_JAIL:
		common_warn(e, _("%s is not a jail made by jailclone"), j);
		break;
	case JE_LOCKED:
		common_warn(0, _("%s is in use by another jailclone (--wait "
		    "waits for it)"), j ? j : p);
		break;
	case JE_MODE:
		common_warn(e, _("%s: mode %s is not possible here"), j,
		    ev->detail ? ev->detail : "");
		break;
	case JE_COPY:
		common_warn(e, _("%s: cannot copy %s"), j, p);
		break;
	case JE_OVERRIDE:
		common_warn(e, _("%s: cannot write %s"), j, p);
		break;
	case JE_RECORDS:
		if (ev->detail != NULL)
			common_warn(0, _("%s: its records cannot be used: %s"),
			    j, _(ev->detail));
		else
			common_warn(e, _("%s: its records cannot be written "
			    "or read"), j);
		break;
	case JE_CHANGED:
		common_warn(0, _("%s: the template changed while it was made "
		    "(%s); run again"), j, p);
		break;
	case JE_MOUNTED:
		common_warn(0, _("cannot destroy %s: %s is mounted in it"), j,
		    p);
		break;
	case JE_REMOVE:
		common_warn(e, _("cannot remove %s"), j);
		break;
	case JE_READ:
		common_warn(e, _("cannot read %s"), j ? j : p);
		break;
	case JE_NOMEM:
	default:
		common_warn(ENOMEM, "%s", j ? j : "");
		break;
	}
	pthread_mutex_unlock(&out_lock);
}

static void
done(void *arg, const char *jail, enum jail_mode mode)
{
	const char *what = arg;

	if (!verbose)
		return;
	pthread_mutex_lock(&out_lock);
	meter_hold();
	if (strcmp(what, "create") == 0)
		printf(_("created %s (%s)\n"), common_quote(jail),
		    jail_mode_name(mode));
	else
		printf(_("destroyed %s\n"), common_quote(jail));
	meter_release();
	pthread_mutex_unlock(&out_lock);
}

static int
cmd_create(int argc, char **argv)
{
	struct jail_ops ops = { report, done, (void *)"create" };
	struct progress *prog;
	struct progress_scan scan;
	struct stat st;
	struct opts o;
	int rc;

	parse(argc, argv, &o);
	need(argc, 2);
	distinct(argv + optind + 1, argc - optind - 1);
	verbose = o.verbose;
	/*
	 * The meter counts a directory template once for each jail; an
	 * archive's size says nothing of what it unpacks to.
	 */
	prog = progress_new();
	memset(&scan, 0, sizeof(scan));
	scan.paths = (const char *const *)argv + optind;
	scan.npaths = 1;
	scan.follow_top = true;
	scan.times = (unsigned)(argc - optind - 1);
	o.c.progress = prog;
	if (prog != NULL)
		meter_start(prog, o.meter, stat(argv[optind], &st) == 0 &&
		    S_ISDIR(st.st_mode) ? &scan : NULL);
	rc = jail_create(argv[optind], (const char *const *)argv + optind + 1,
	    (size_t)(argc - optind - 1), &o.c, &ops);
	meter_stop();
	progress_delete(prog);
	opts_free(&o);
	return rc == 0 ? JC_OK : rc > 0 ? JC_FAILED : JC_TEMPLATE;
}

static const char *const change_names[] = {
	[JAIL_FOLLOWED] = "updated",
	[JAIL_NEW] = "added",
	[JAIL_GONE] = "removed",
	[JAIL_KEPT] = "kept",
	[JAIL_CONFLICT] = "conflict",
};

/*
 * How update shows what it does: lines, NUL-ended records, or one JSON
 * document with an object per jail.  The jails are updated one after the
 * other, in the order given, so each object is written as its jail is
 * done; a problem with a jail may be reported before its turn.
 */
struct updating {
	char *const	*jails;
	size_t		 n;
	bool		*failed;	/* a problem was reported with jail i */
	size_t		 written;	/* the jails before it are written */
	bool		 open;		/* jail number written is begun */
	bool		 first;		/* no change in its object yet */
	uint64_t	 conflicts;	/* in it */
	bool		 all;		/* -v */
	bool		 json;
	bool		 null;
	bool		 template_failed;
};

/* The number of the jail named jail (as given), or n. */
static size_t
jail_index(const struct updating *u, const char *jail)
{
	size_t i;

	for (i = 0; jail != NULL && i < u->n; i++)
		if (u->jails[i] == jail || strcmp(u->jails[i], jail) == 0)
			return i;
	return u->n;
}

/* Write the jails' objects up to jail k, and open k's (k < n). */
static void
update_json_to(struct updating *u, size_t k)
{
	size_t i;

	while (u->written < k || (u->written == k && !u->open && k < u->n)) {
		i = u->written;
		if (!u->open) {
			printf("%s\n{\"jail\":", i > 0 ? "," : "");
			common_json_str(u->jails[i]);
			fputs(",\"changes\":[", stdout);
			u->open = true;
			u->first = true;
			u->conflicts = 0;
			if (i == k)
				return;
		}
		printf("%s],\"conflicts\":%" PRIu64 ",\"ok\":%s}",
		    u->first ? "" : "\n", u->conflicts,
		    u->failed[i] || u->template_failed ? "false" : "true");
		u->open = false;
		u->written++;
	}
}

static void
update_report(void *arg, const struct jail_event *ev)
{
	struct updating *u = arg;
	size_t k = jail_index(u, ev->jail);

	if (k < u->n)
		u->failed[k] = true;
	report(NULL, ev);
}

static void
changed(void *arg, const char *jail, enum jail_change c, const char *path,
    const char *old, const char *new)
{
	struct updating *u = arg;
	char *esc;
	size_t k;

	if (u->json) {
		if ((k = jail_index(u, jail)) == u->n)
			return;
		update_json_to(u, k);
		printf("%s\n{\"path\":", u->first ? "" : ",");
		common_json_str(path);
		printf(",\"change\":\"%s\",\"old\":", change_names[c]);
		common_json_str(old);
		fputs(",\"new\":", stdout);
		common_json_str(new);
		putchar('}');
		u->first = false;
		if (c == JAIL_CONFLICT)
			u->conflicts++;
		return;
	}
	if (c != JAIL_CONFLICT && !u->all)
		return;
	if (u->null) {
		/* "conflict JAIL/etc/motd": the path, last, as it is. */
		printf("%s ", change_names[c]);
		common_put0_entry(jail, path);
		return;
	}
	esc = manifest_escape(path);
	printf("%s: %s %s", jail, change_names[c], esc ? esc : path);
	if (c == JAIL_CONFLICT && (old != NULL || new != NULL)) {
		fputs(" (", stdout);
		if (old != NULL)
			printf(_("old template: %s"), old);
		if (old != NULL && new != NULL)
			fputs(", ", stdout);
		if (new != NULL)
			printf(_("new template: %s"), new);
		putchar(')');
	}
	putchar('\n');
	free(esc);
}

static int
cmd_update(int argc, char **argv)
{
	struct jail_ops ops = { update_report, NULL, NULL };
	struct jail_update_ops uops;
	struct updating u;
	struct opts o;
	int rc, status;

	parse(argc, argv, &o);
	need(argc, 1);
	if (o.template == NULL) {
		common_warn(0, _("update needs --template"));
		common_try_help();
	}
	distinct(argv + optind, argc - optind);
	memset(&u, 0, sizeof(u));
	u.jails = argv + optind;
	u.n = (size_t)(argc - optind);
	u.all = o.verbose;
	u.json = o.json;
	u.null = o.null;
	if ((u.failed = calloc(u.n, sizeof(*u.failed))) == NULL) {
		common_warn(ENOMEM, NULL);
		return JC_FAILED;
	}
	uops.change = changed;
	uops.arg = &u;
	ops.arg = &u;
	if (u.json)
		fputs("{\"jails\":[", stdout);
	rc = jail_update(o.template, (const char *const *)argv + optind,
	    u.n, &o.c, &uops, &ops);
	status = rc == 0 ? JC_OK : rc == 2 ? JC_DRIFT : rc > 0 ? JC_FAILED :
	    JC_TEMPLATE;
	if (u.json) {
		u.template_failed = rc == -1;
		update_json_to(&u, u.n);
		printf("%s],\"status\":%d}\n", u.n > 0 ? "\n" : "", status);
	}
	free(u.failed);
	opts_free(&o);
	return status;
}

struct verifying {
	bool		 json;
	bool		 null;
	bool		 first;		/* no drift printed yet, this jail */
	bool		 multi;		/* name the jail on each line */
};

static const char *const drift_names[] = {
	[JAIL_OVERRIDE] = "override",
	[JAIL_MODIFIED] = "modified",
	[JAIL_ADDED] = "added",
	[JAIL_REMOVED] = "removed",
};

/* The names of the fields f: "mode, uid"; as JSON; or "mode,uid". */
enum fields_as { FIELDS_TEXT, FIELDS_JSON, FIELDS_WORD };

static void
fields(unsigned f, enum fields_as as)
{
	unsigned bit;
	bool first = true;

	for (bit = 1; bit < (1u << VERIFY_NFIELDS); bit <<= 1) {
		if (!(f & bit))
			continue;
		if (as == FIELDS_JSON)
			printf("%s\"%s\"", first ? "" : ",",
			    verify_field_name(bit));
		else
			printf("%s%s", first ? "" : as == FIELDS_WORD ? "," :
			    ", ", verify_field_name(bit));
		first = false;
	}
}

static void
diff(void *arg, const struct jail_diff *d)
{
	struct verifying *v = arg;
	char *esc;

	if (v->json) {
		printf("%s{\"path\":", v->first ? "" : ",");
		common_json_str(d->path);
		printf(",\"kind\":\"%s\"", drift_names[d->kind]);
		if (d->kind == JAIL_MODIFIED) {
			fputs(",\"fields\":[", stdout);
			fields(d->fields, FIELDS_JSON);
			putchar(']');
		}
		putchar('}');
		v->first = false;
		return;
	}
	if (v->null) {
		/* "modified mode,uid JAIL/etc/passwd": the path last. */
		fputs(drift_names[d->kind], stdout);
		if (d->kind == JAIL_MODIFIED) {
			putchar(' ');
			fields(d->fields, FIELDS_WORD);
		}
		putchar(' ');
		common_put0_entry(d->jail, d->path);
		return;
	}
	esc = manifest_escape(d->path);
	if (v->multi)
		printf("%s: ", d->jail);
	printf("%s %s", drift_names[d->kind], esc ? esc : d->path);
	if (d->kind == JAIL_MODIFIED) {
		fputs(" (", stdout);
		fields(d->fields, FIELDS_TEXT);
		putchar(')');
	}
	putchar('\n');
	free(esc);
}

static int
cmd_verify(int argc, char **argv)
{
	struct jail_ops ops = { report, NULL, NULL };
	struct jail_verify_ops vops;
	struct jail_verify_stats st;
	struct verifying v;
	struct opts o;
	int i, status = JC_OK, rc;

	parse(argc, argv, &o);
	need(argc, 1);
	memset(&v, 0, sizeof(v));
	v.json = o.json;
	v.null = o.null;
	v.multi = argc - optind > 1;
	vops.diff = diff;
	vops.arg = &v;
	if (o.json)
		fputs("{\"jails\":[", stdout);
	for (i = optind; i < argc; i++) {
		if (o.json) {
			printf("%s{\"jail\":", i > optind ? "," : "");
			common_json_str(argv[i]);
			fputs(",\"drift\":[", stdout);
		}
		v.first = true;
		rc = jail_verify(argv[i], !o.fast, o.c.jobs, o.c.wait, &vops,
		    &ops, &st);
		if (rc == -1)
			status = JC_FAILED;
		else if (st.modified + st.added + st.removed > 0 &&
		    status == JC_OK)
			status = JC_DRIFT;
		if (o.json)
			printf("],\"ok\":%s,\"entries\":%" PRIu64 ",\"overrides"
			    "\":%" PRIu64 ",\"modified\":%" PRIu64 ",\"added\":"
			    "%" PRIu64 ",\"removed\":%" PRIu64 "}",
			    rc == -1 ? "false" : "true", st.entries,
			    st.overrides, st.modified, st.added, st.removed);
	}
	if (o.json)
		fputs("]}\n", stdout);
	opts_free(&o);
	return status;
}

static void
size_text(uint64_t n, bool human, char *buf, size_t len)
{
	double v;
	char unit = common_scale((double)n, &v);

	if (!human || unit == '\0')
		snprintf(buf, len, "%" PRIu64, n);
	else
		snprintf(buf, len, v < 10 ? "%.1f%c" : "%.0f%c", v, unit);
}

static int
cmd_du(int argc, char **argv)
{
	struct jail_ops ops = { report, NULL, NULL };
	struct jail_usage *u;
	struct opts o;
	const char *head[3];
	char a[32], b[32];
	uint64_t total;
	size_t n, i;
	int rc;

	parse(argc, argv, &o);
	need(argc, 1);
	n = (size_t)(argc - optind);
	if ((u = calloc(n, sizeof(*u))) == NULL) {
		common_warn(ENOMEM, NULL);
		return JC_FAILED;
	}
	rc = jail_du((const char *const *)argv + optind, n, u, &total, &ops);
	if (o.json)
		fputs("{\"jails\":[", stdout);
	else {
		/*
		 * TRANSLATORS: the headings of jailclone du's columns, 12
		 * characters wide at most.
		 */
		head[0] = _("exclusive");
		head[1] = _("shared");
		head[2] = _("files");
		printf("%-*s %*s %*s %s\n", common_width(head[0], 12),
		    head[0], common_width(head[1], 12), head[1],
		    common_width(head[2], 12), head[2], _("jail"));
	}
	for (i = 0; i < n; i++) {
		if (o.json) {
			printf("%s{\"jail\":", i ? "," : "");
			common_json_str(argv[optind + (int)i]);
			printf(",\"exclusive\":%" PRIu64 ",\"shared\":%" PRIu64
			    ",\"files\":%" PRIu64 "}", u[i].exclusive,
			    u[i].shared, u[i].files);
			continue;
		}
		size_text(u[i].exclusive, o.human, a, sizeof(a));
		size_text(u[i].shared, o.human, b, sizeof(b));
		printf("%-12s %12s %12" PRIu64 " %s\n", a, b, u[i].files,
		    argv[optind + (int)i]);
	}
	size_text(total, o.human, a, sizeof(a));
	if (o.json)
		printf("],\"total\":%" PRIu64 "}\n", total);
	else
		printf(_("%-12s total really used\n"), a);
	free(u);
	opts_free(&o);
	return rc == 0 ? JC_OK : JC_FAILED;
}

static int
cmd_destroy(int argc, char **argv)
{
	struct jail_ops ops = { report, done, (void *)"destroy" };
	struct opts o;
	int rc;

	parse(argc, argv, &o);
	need(argc, 1);
	distinct(argv + optind, argc - optind);
	verbose = o.verbose;
	rc = jail_destroy((const char *const *)argv + optind,
	    (size_t)(argc - optind), o.c.wait, &ops);
	opts_free(&o);
	return rc == 0 ? JC_OK : JC_FAILED;
}

struct listing {
	bool		 json;
	bool		 null;
	bool		 first;
};

static const char *const kinds[] = { "dir", "subvolume", "archive" };

static void
list_one(void *arg, const struct jail_info *ji)
{
	struct listing *l = arg;
	const char *mode;
	char drift[24];

	if (l->null) {
		/* Jails to work on: an interrupted create made none. */
		if (ji->complete)
			common_put0(ji->name);
		return;
	}
	if (ji->drift >= 0)
		snprintf(drift, sizeof(drift), "%" PRId64, ji->drift);
	else
		snprintf(drift, sizeof(drift), "-");
	if (l->json) {
		printf("%s{\"name\":", l->first ? "" : ",");
		common_json_str(ji->name);
		fputs(",\"template\":", stdout);
		common_json_str(ji->template);
		printf(",\"kind\":\"%s\",\"mode\":\"%s\",\"created\":",
		    kinds[ji->kind], jail_mode_name(ji->mode));
		common_json_str(ji->created);
		fputs(",\"hostname\":", stdout);
		common_json_str(ji->hostname);
		printf(",\"complete\":%s,\"drift\":%s}",
		    ji->complete ? "true" : "false",
		    ji->drift >= 0 ? drift : "null");
		l->first = false;
		return;
	}
	mode = ji->complete ? jail_mode_name(ji->mode) : _("partial");
	printf("%-20s %-*s %6s %-20s %s\n", ji->name, common_width(mode, 9),
	    mode, drift, ji->created ? ji->created : "-", ji->template ?
	    ji->template : "-");
}

static int
cmd_list(int argc, char **argv)
{
	struct listing l = { false, false, true };
	struct opts o;
	const char *head[4];
	const char *dir = ".";

	parse(argc, argv, &o);
	if (argc - optind > 1) {
		common_warn(0, _("extra operand %s"),
		    common_quote(argv[optind + 1]));
		common_try_help();
	}
	if (argc - optind == 1)
		dir = argv[optind];
	l.json = o.json;
	l.null = o.null;
	if (o.json)
		fputs("{\"jails\":[", stdout);
	else if (!o.null) {
		/*
		 * TRANSLATORS: the headings of jailclone list's columns:
		 * 20, 9, 6 and 20 characters wide at most.
		 */
		head[0] = _("NAME");
		head[1] = _("MODE");
		head[2] = _("DRIFT");
		head[3] = _("CREATED");
		printf("%-*s %-*s %*s %-*s %s\n", common_width(head[0], 20),
		    head[0], common_width(head[1], 9), head[1],
		    common_width(head[2], 6), head[2],
		    common_width(head[3], 20), head[3], _("TEMPLATE"));
	}
	if (jail_list(dir, o.c.jobs, list_one, &l) == -1) {
		common_warn(errno, _("cannot list jails in %s"),
		    common_quote(dir));
		opts_free(&o);
		return JC_FAILED;
	}
	if (o.json)
		fputs("]}\n", stdout);
	opts_free(&o);
	return JC_OK;
}

int
main(int argc, char **argv)
{
	size_t i;
	int status;

	common_init(argv[0]);
	if (argc < 2) {
		common_warn(0, _("missing command"));
		common_try_help();
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		usage();
	if (strcmp(argv[1], "--version") == 0) {
		printf("jailclone (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		return JC_OK;
	}
	for (i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		status = commands[i].run(argc - 1, argv + 1);
		/* What list, du and verify print is lost on a full disk. */
		if ((status == JC_OK || status == JC_DRIFT) &&
		    common_flush_stdout() == -1)
			status = JC_FAILED;
		return status;
	}
	common_warn(0, _("unknown command %s"), common_quote_arg(argv[1]));
	common_try_help();
}
