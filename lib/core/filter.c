/*
 * Include and exclude rules, with rsync's pattern rules (see filter.h).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/filter.h"

void
filter_init(struct filter *f)
{
	memset(f, 0, sizeof(*f));
}

static void
clear(struct filter *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->v[i].pat);
	f->n = 0;
}

void
filter_free(struct filter *f)
{
	clear(f);
	free(f->v);
	filter_init(f);
}

/*
 * A character class at p (just past '['): whether c is in it, and in *end
 * where the pattern goes on.  false with *end NULL: no closing ']', so the
 * '[' is an ordinary character.
 */
static bool
in_class(const char *p, char c, const char **end)
{
	bool neg = false, in = false;
	unsigned char lo, hi;

	*end = NULL;
	if (*p == '!' || *p == '^') {
		neg = true;
		p++;
	}
	/* A ']' first is one of the class. */
	if (*p == ']') {
		in = c == ']';
		p++;
	}
	while (*p != ']') {
		if (*p == '\0')
			return false;
		if (*p == '\\' && p[1] != '\0')
			p++;
		lo = (unsigned char)*p++;
		hi = lo;
		if (*p == '-' && p[1] != ']' && p[1] != '\0') {
			p++;
			if (*p == '\\' && p[1] != '\0')
				p++;
			hi = (unsigned char)*p++;
		}
		if ((unsigned char)c >= lo && (unsigned char)c <= hi)
			in = true;
	}
	*end = p + 1;
	return in != neg;
}

/*
 * What wild() answers.  The two aborts are rsync's (and git's): they stop
 * the loops of the stars around from trying later starts that cannot
 * match, without which a pattern of k stars costs n^k steps on a string
 * of n characters ("*a*a*a*a*a*b" and a name of 160 a's: minutes).
 */
enum wild {
	WILD_NOMATCH,
	WILD_MATCH,
	/* The string ran out: a later start leaves even less of it. */
	WILD_ABORT_ALL,
	/* A "*" met a slash: only a "**" further out can go past it. */
	WILD_ABORT_TO_STARSTAR
};

static enum wild
wild(const char *p, const char *s)
{
	const char *end;
	enum wild r;
	bool m, starstar;

	for (; *p != '\0'; p++, s++) {
		/* Everything but a star takes one character. */
		if (*s == '\0' && *p != '*')
			return WILD_ABORT_ALL;
		switch (*p) {
		case '?':
			if (*s == '/')
				return WILD_NOMATCH;
			break;
		case '*':
			/* "**" and longer runs: anything, slashes too. */
			starstar = p[1] == '*';
			while (*p == '*')
				p++;
			if (*p == '\0')
				return starstar || strchr(s, '/') == NULL ?
				    WILD_MATCH : WILD_NOMATCH;
			/*
			 * The rest of the pattern starts with a character,
			 * so it cannot match at the end of s.
			 */
			for (; *s != '\0'; s++) {
				r = wild(p, s);
				if (r == WILD_NOMATCH) {
					if (!starstar && *s == '/')
						return WILD_ABORT_TO_STARSTAR;
				} else if (!starstar ||
				    r != WILD_ABORT_TO_STARSTAR)
					return r;
			}
			return WILD_ABORT_ALL;
		case '[':
			if (*s == '/')
				return WILD_NOMATCH;
			m = in_class(p + 1, *s, &end);
			if (end != NULL) {
				if (!m)
					return WILD_NOMATCH;
				p = end - 1;
				break;
			}
			if (*s != '[')
				return WILD_NOMATCH;
			break;
		case '\\':
			if (p[1] != '\0')
				p++;
			/* FALLTHROUGH */
		default:
			if (*s != *p)
				return WILD_NOMATCH;
			break;
		}
	}
	return *s == '\0' ? WILD_MATCH : WILD_NOMATCH;
}

bool
filter_wildmatch(const char *p, const char *s)
{
	return wild(p, s) == WILD_MATCH;
}

/* Whether the rule's pattern matches path itself (not its ancestors). */
static bool
match_here(const struct filter_rule *r, const char *path)
{
	const char *s;

	if (!r->whole) {
		s = strrchr(path, '/');
		return filter_wildmatch(r->pat, s != NULL ? s + 1 : path);
	}
	if (filter_wildmatch(r->pat, path))
		return true;
	if (r->anchored)
		return false;
	/* Unanchored: at the end of the path, from any component on. */
	for (s = strchr(path, '/'); s != NULL; s = strchr(s + 1, '/'))
		if (filter_wildmatch(r->pat, s + 1))
			return true;
	return false;
}

static bool
match_rule(const struct filter_rule *r, const char *path, bool dir)
{
	char *copy, *slash;
	bool m;

	if (!r->and_below)
		return (dir || !r->dir_only) && match_here(r, path);
	/* Slash and three stars: the directory, or anything below it. */
	if (match_here(r, path))
		return true;
	if ((copy = strdup(path)) == NULL)
		return false;
	m = false;
	while (!m && (slash = strrchr(copy, '/')) != NULL) {
		*slash = '\0';
		m = match_here(r, copy);
	}
	free(copy);
	return m;
}

enum filter_kind
filter_check(const struct filter *f, const char *path, bool dir)
{
	size_t i;
	bool m;

	for (i = 0; i < f->n; i++) {
		m = match_rule(&f->v[i], path, dir);
		if (f->v[i].negate)
			m = !m;
		if (m)
			return f->v[i].kind;
	}
	return FILTER_INCLUDE;
}

static int
push(struct filter *f, enum filter_kind kind, bool negate, const char *pat)
{
	struct filter_rule *r, *v;
	size_t len = strlen(pat), n;

	if (f->n == f->alloc) {
		n = f->alloc ? 2 * f->alloc : 16;
		if ((v = reallocarray(f->v, n, sizeof(*v))) == NULL)
			return -1;
		f->v = v;
		f->alloc = n;
	}
	r = &f->v[f->n];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->negate = negate;
	if (len > 0 && pat[0] == '/') {
		r->anchored = true;
		pat++;
		len--;
	}
	if (len >= 4 && strcmp(pat + len - 4, "/***") == 0) {
		r->and_below = true;
		len -= 4;
	} else
		while (len > 0 && pat[len - 1] == '/') {
			r->dir_only = true;
			len--;
		}
	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	if ((r->pat = strndup(pat, len)) == NULL)
		return -1;
	r->whole = r->anchored || r->and_below ||
	    strchr(r->pat, '/') != NULL || strstr(r->pat, "**") != NULL;
	f->n++;
	return 0;
}

int
filter_add(struct filter *f, enum filter_kind kind, const char *s)
{
	if ((s[0] == '-' || s[0] == '+') && s[1] == ' ') {
		kind = s[0] == '+' ? FILTER_INCLUDE : FILTER_EXCLUDE;
		s += 2;
	}
	return push(f, kind, false, s);
}

int
filter_rule(struct filter *f, const char *s)
{
	enum filter_kind kind;
	bool negate = false;
	size_t n;

	if (strcmp(s, "!") == 0 || strcmp(s, "clear") == 0) {
		clear(f);
		return 0;
	}
	if (s[0] == '-' || s[0] == '+') {
		kind = s[0] == '+' ? FILTER_INCLUDE : FILTER_EXCLUDE;
		for (s++; *s != ' ' && *s != '_'; s++) {
			if (*s != '!') {
				errno = EINVAL;
				return -1;
			}
			negate = true;
		}
		return push(f, kind, negate, s + 1);
	}
	n = strcspn(s, " ");
	if (s[n] == ' ' && n == 7 && strncmp(s, "exclude", 7) == 0)
		return push(f, FILTER_EXCLUDE, false, s + 8);
	if (s[n] == ' ' && n == 7 && strncmp(s, "include", 7) == 0)
		return push(f, FILTER_INCLUDE, false, s + 8);
	errno = EINVAL;
	return -1;
}

int
filter_load(struct filter *f, enum filter_kind kind, FILE *fp, size_t *line)
{
	return filter_load_delim(f, kind, fp, '\n', line);
}

int
filter_load_delim(struct filter *f, enum filter_kind kind, FILE *fp,
    int delim, size_t *line)
{
	char *buf = NULL;
	size_t cap = 0, no = 0;
	ssize_t len;
	int ret = 0;

	*line = 0;
	errno = 0;
	while ((len = getdelim(&buf, &cap, delim, fp)) != -1) {
		no++;
		if (len > 0 && buf[len - 1] == (char)delim)
			buf[--len] = '\0';
		if (len == 0 || buf[0] == ';' || buf[0] == '#')
			continue;
		if (filter_add(f, kind, buf) == -1) {
			*line = no;
			ret = -1;
			break;
		}
	}
	if (ret == 0 && ferror(fp)) {
		if (errno == 0)
			errno = EIO;
		ret = -1;
	}
	free(buf);
	return ret;
}
