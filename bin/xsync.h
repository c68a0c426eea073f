/*
 * What the files of xsync share: its exit statuses, rsync's where rsync
 * has one, and the entry points of the subcommands kept in their own file.
 */
#ifndef XSYNC_H
#define XSYNC_H

#define XS_OK		0
#define XS_USAGE	1	/* rsync: syntax or usage error */
#define XS_DIFFER	2	/* verify: the tree differs */
#define XS_FILES	3	/* rsync: errors selecting input/output files */
#define XS_IO		11	/* rsync: error in file I/O */
#define XS_PARTIAL	23	/* rsync: partial transfer due to error */
#define XS_VANISHED	24	/* rsync: some source files vanished */
#define XS_DEL_LIMIT	25	/* rsync: --max-delete stopped deletions */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "meter.h"
#include "core/progress.h"

struct filter;
struct mirror_item;
struct mirror_event;
struct mirror_stats;

/* The include and exclude options, shared by the mirror and snapshot. */
enum {
	OPT_EXCLUDE = 200,
	OPT_INCLUDE,
	OPT_EXCLUDE_FROM,
	OPT_INCLUDE_FROM,
	OPT_FILTER_LAST = OPT_INCLUDE_FROM
};
#define XSYNC_FILTER_OPTIONS \
	{ "exclude", required_argument, NULL, OPT_EXCLUDE }, \
	{ "include", required_argument, NULL, OPT_INCLUDE }, \
	{ "exclude-from", required_argument, NULL, OPT_EXCLUDE_FROM }, \
	{ "include-from", required_argument, NULL, OPT_INCLUDE_FROM }, \
	{ "filter", required_argument, NULL, 'f' }

/*
 * Add the rule of one of those options (or -f); exits on a bad one.  With
 * from0, the rules of a -from file are ended by NULs (-0, --from0).
 */
void	xsync_filter_option(struct filter *, int, const char *, bool);

/*
 * Those options in the order given, kept until -0 is known: rsync reads
 * the files of the options that come before -0 as lines, which surprises.
 */
struct xsync_rule {
	int		 ch;
	const char	*arg;
};

struct xsync_rules {
	struct xsync_rule *v;
	size_t		 n;
};

void	xsync_rules_add(struct xsync_rules *, int, const char *);

/*
 * Add the rules kept to the filter, in order, and free them; exits on a
 * bad one.  Returns whether there was any.
 */
bool	xsync_rules_apply(struct xsync_rules *, struct filter *, bool);

/* How the mirror and snapshot show what they do. */
struct xsync_view {
	int		 itemize;	/* -i given this many times */
	int		 verbose;
	bool		 quiet;
	bool		 progress;	/* --progress */
	bool		 progress2;	/* --info=progress2 */
	bool		 no_meter;	/* --no-progress */
	bool		 errors;	/* exit 23 */
	bool		 vanished;	/* exit 24 */
	unsigned	 xfers;
	uint64_t	 done;		/* bytes of the files handled */
	struct timespec	 start;
	const struct mirror_stats *st;
	bool		 json;		/* --json: items into the document */
	bool		 null;		/* --null: names ended by NULs */
	bool		 first;		/* no item in the document yet */
};

/*
 * The progress meter of a mirror or a snapshot: its scan counts the
 * sources less what the filter excludes.
 */
struct xsync_meter {
	struct progress	 prog;
	struct progress_scan scan;
	const struct filter *filter;	/* or NULL */
};

/*
 * Start the meter in mode over the sources srcs (n of them; each one's
 * contents when it ends in "/", as the mirror takes them).  The struct
 * and srcs must live until meter_stop.
 */
void	xsync_meter_start(struct xsync_meter *, enum meter_mode,
	    const char *const *, size_t, const struct filter *, bool one_fs);

/* The meter's mode for a view: off when the view shows progress itself. */
enum meter_mode xsync_meter_mode(const struct xsync_view *);

/* mirror_ops callbacks; the argument is a struct xsync_view. */
void	xsync_view_item(void *, const struct mirror_item *);
void	xsync_view_report(void *, const struct mirror_event *);
void	xsync_print_stats(FILE *, const struct mirror_stats *);

/*
 * --json: the start of the document, with its "changes" array when -i or
 * -v asks for them (else null), and its end: the array closed and the
 * "stats" object, after which the caller adds its own keys and the "}".
 */
void	xsync_json_begin(struct xsync_view *);
void	xsync_json_stats(const struct xsync_view *,
	    const struct mirror_stats *);

/*
 * Where progress, the summary of snapshot -v and --stats go: standard
 * output, or standard error when that is --json's or --null's.
 */
FILE	*xsync_view_out(const struct xsync_view *);

/* xsync [OPTION]... SRC... DST.  Returns the exit status. */
int	xsync_mirror(int, char **);

/* The repository subcommands (xsync_repo.c). */
int	xsync_snapshot(int, char **);
int	xsync_list(int, char **);
int	xsync_prune(int, char **);
int	xsync_diff(int, char **);

struct repo;

/*
 * Open the repository that holds the snapshot arg (REPO/NAME, or a link
 * to one such as REPO/latest) and give its name (malloc'd).  Returns 0,
 * or -1 with errno (ENOENT: no such snapshot).
 */
int	xsync_open_snapshot(const char *, struct repo *, char **);

/* Print the list of subcommands (for --help). */
void	xsync_commands_help(void);

#endif
