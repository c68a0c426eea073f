/*
 * Include and exclude rules with rsync's pattern rules, for xsync's
 * --exclude, --include, --exclude-from, --include-from and --filter.
 *
 * A path is relative to the transfer root, without a leading slash
 * ("dir/file").  The first rule whose pattern matches decides:
 *   - "/pat" is anchored at the root; "pat" matches at the end of the
 *     path, at a component boundary;
 *   - "pat/" matches directories only;
 *   - a pattern with no slash (a trailing one aside) and no "**" matches
 *     the last component only;
 *   - "*" and "?" do not match "/", "**" matches anything, "[...]" a class
 *     of one character, "\x" the character x;
 *   - a pattern ending in "/" and three stars matches the directory
 *     before them and everything below it.
 * The "!" modifier ("-! pat") turns a rule's match around.
 */
#ifndef FILTER_H
#define FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum filter_kind {
	FILTER_EXCLUDE,
	FILTER_INCLUDE
};

struct filter_rule {
	char		*pat;		/* without the anchor and trailing slash */
	enum filter_kind kind;
	bool		 anchored;
	bool		 dir_only;
	bool		 whole;		/* matched against the whole path */
	bool		 negate;
	bool		 and_below;	/* ended in a slash and three stars */
};

struct filter {
	struct filter_rule *v;
	size_t		 n;
	size_t		 alloc;
};

void	filter_init(struct filter *);
void	filter_free(struct filter *);

/*
 * Add a rule as --exclude or --include (kind) give it: the pattern, unless
 * it starts with "- " or "+ ", which then says the kind.  Returns 0, or -1
 * with errno (EINVAL: an empty pattern; ENOMEM).
 */
int	filter_add(struct filter *, enum filter_kind, const char *);

/*
 * Add a rule as --filter gives it: "- PAT", "+ PAT", "exclude PAT",
 * "include PAT", with the "!" modifier ("-! PAT"), or "!" / "clear" to
 * drop the rules so far.  Returns 0, or -1 with errno EINVAL for a rule
 * it does not know (merge files, protect and risk rules among them).
 */
int	filter_rule(struct filter *, const char *);

/*
 * Add the rules of a file, one per line, as --exclude-from or
 * --include-from read them: blank lines and lines starting with ';' or '#'
 * are skipped.  Returns 0, or -1 with errno (a read error, ENOMEM); *line
 * is the number of the line at fault, 0 for none.
 */
int	filter_load(struct filter *, enum filter_kind, FILE *, size_t *line);

/*
 * The same with each rule ended by delim instead of a newline: '\0' for
 * rsync's --from0, where a newline is part of the rule it is in.
 */
int	filter_load_delim(struct filter *, enum filter_kind, FILE *, int delim,
	    size_t *line);

/*
 * What the rules say of path (a directory if dir): FILTER_EXCLUDE or
 * FILTER_INCLUDE from the first rule that matches; FILTER_INCLUDE when
 * none does.
 */
enum filter_kind filter_check(const struct filter *, const char *, bool);

/* Whether the rsync wildcard pattern matches the whole string. */
bool	filter_wildmatch(const char *pattern, const char *string);

#endif
