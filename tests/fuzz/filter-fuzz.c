/*
 * libFuzzer target for the include and exclude rules.  The input is lines:
 * rules up to the first empty line, paths after it.  Each rule goes to
 * filter_rule() as --filter gives it and, when that refuses it, to
 * filter_add() as --exclude does; each path is checked against the rules,
 * as a file and as a directory.  Besides no crash, leak or undefined
 * behaviour (every string is allocated to its exact length, so a read
 * past its end is seen), what filter.h promises is checked, and any
 * other answer aborts:
 *   - a rule is parsed into its anchor, trailing slashes or slash and
 *     three stars, and a pattern that is the rest of its text; an empty
 *     pattern is refused with EINVAL; filter_load() reads a file of the
 *     same lines as filter_add() takes them one by one;
 *   - the first rule that matches decides, and "!" turns a match around;
 *   - a directory-only rule never matches a file; a rule without a slash
 *     looks at the last component only; an unanchored rule that matches
 *     "p" matches "x/p"; a slash-and-three-stars rule that matches "p"
 *     matches everything below it;
 *   - a pattern without wildcards matches exactly the paths it names;
 *   - a pattern made from a path (each character kept, escaped, put in a
 *     class or replaced by "?", runs replaced by "*" or "**") matches it,
 *     and a fully escaped path matches it and nothing longer;
 *   - filter_wildmatch() answers as a plain backtracking matcher does,
 *     wherever that one ends in a bounded number of steps.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/filter.h"

#define MAX_RULES	24
#define MAX_PATHS	24

int	LLVMFuzzerTestOneInput(const unsigned char *, size_t);

struct line {
	char		*s;		/* up to its first NUL, exactly */
	size_t		 rawlen;	/* its length in the input */
};

/* What a rule's text should give, from filter.h alone. */
struct want {
	enum { W_RULE, W_CLEAR, W_BAD } what;
	enum filter_kind kind;
	bool		 negate;
	const char	*body;		/* after the kind: anchor, pattern... */
};

static uint64_t rng;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 32);
}

static void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n)) == NULL)
		abort();
	return p;
}

/* a and b joined, in a buffer of exactly their length. */
static char *
cat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = xmalloc(la + lb + 1);

	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}

static char *
copy_line(const unsigned char *p, size_t n)
{
	size_t len = strnlen((const char *)p, n);
	char *s = xmalloc(len + 1);

	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

static bool
is_literal(const char *pat)
{
	return strpbrk(pat, "*?[\\") == NULL;
}

static bool
same_rule(const struct filter_rule *a, const struct filter_rule *b)
{
	return strcmp(a->pat, b->pat) == 0 && a->kind == b->kind &&
	    a->anchored == b->anchored && a->dir_only == b->dir_only &&
	    a->whole == b->whole && a->negate == b->negate &&
	    a->and_below == b->and_below;
}

/*
 * Whether body (a rule's text after any kind prefix) holds a pattern once
 * the anchor and the trailing slashes, or slash and three stars, are off.
 * Without one the rule must be refused.
 */
static bool
body_ok(const char *body)
{
	size_t len;

	if (*body == '/')
		body++;
	len = strlen(body);
	if (strcmp(body, "/***") == 0)
		return false;
	return strspn(body, "/") != len;
}

/*
 * The rule as body must give it: an anchor or not, the pattern, then
 * nothing, slashes (directories only) or a slash and three stars.
 */
static void
check_parsed(const struct filter_rule *r, enum filter_kind kind,
    bool negate, const char *body)
{
	const char *rest;
	size_t len = strlen(r->pat);

	if (r->kind != kind || r->negate != negate)
		abort();
	if (r->anchored != (*body == '/'))
		abort();
	if (r->anchored)
		body++;
	if (len == 0 || strncmp(body, r->pat, len) != 0)
		abort();
	rest = body + len;
	if (r->dir_only && r->and_below)
		abort();
	if (r->and_below && strcmp(rest, "/***") != 0)
		abort();
	if (r->dir_only && (*rest == '\0' || strspn(rest, "/") != strlen(rest)))
		abort();
	if (!r->dir_only && !r->and_below && *rest != '\0')
		abort();
	/* Trailing slashes are all taken off, unless three stars follow. */
	if (!r->and_below && r->pat[len - 1] == '/')
		abort();
	if (r->whole != (r->anchored || r->and_below ||
	    strchr(r->pat, '/') != NULL || strstr(r->pat, "**") != NULL))
		abort();
}

/* What filter_rule() should make of s, from filter.h. */
static void
want_rule(const char *s, struct want *w)
{
	const char *p;

	memset(w, 0, sizeof(*w));
	w->what = W_BAD;
	if (strcmp(s, "!") == 0 || strcmp(s, "clear") == 0) {
		w->what = W_CLEAR;
		return;
	}
	if (s[0] == '-' || s[0] == '+') {
		w->kind = s[0] == '+' ? FILTER_INCLUDE : FILTER_EXCLUDE;
		for (p = s + 1; *p == '!'; p++)
			w->negate = true;
		if (*p != ' ' && *p != '_')
			return;
		w->body = p + 1;
	} else if (strncmp(s, "exclude ", 8) == 0) {
		w->kind = FILTER_EXCLUDE;
		w->body = s + 8;
	} else if (strncmp(s, "include ", 8) == 0) {
		w->kind = FILTER_INCLUDE;
		w->body = s + 8;
	} else
		return;
	w->what = W_RULE;
}

/* Parse the rule text both ways, on filters of their own. */
static void
check_parse(const char *s)
{
	struct filter f;
	struct want w;
	const char *body = s;
	enum filter_kind kind = FILTER_EXCLUDE;
	int rc;

	/* --filter */
	want_rule(s, &w);
	filter_init(&f);
	if (filter_add(&f, FILTER_INCLUDE, "before") == -1)
		abort();
	errno = 0;
	rc = filter_rule(&f, s);
	switch (w.what) {
	case W_CLEAR:
		if (rc != 0 || f.n != 0)
			abort();
		break;
	case W_BAD:
		if (rc != -1 || errno != EINVAL || f.n != 1)
			abort();
		break;
	case W_RULE:
		if (!body_ok(w.body)) {
			if (rc != -1 || errno != EINVAL || f.n != 1)
				abort();
			break;
		}
		if (rc != 0 || f.n != 2)
			abort();
		check_parsed(&f.v[1], w.kind, w.negate, w.body);
		break;
	}
	filter_free(&f);

	/* --exclude: "- " and "+ " say the kind, the rest is the pattern. */
	if ((s[0] == '-' || s[0] == '+') && s[1] == ' ') {
		kind = s[0] == '+' ? FILTER_INCLUDE : FILTER_EXCLUDE;
		body = s + 2;
	}
	filter_init(&f);
	errno = 0;
	rc = filter_add(&f, FILTER_EXCLUDE, s);
	if (!body_ok(body)) {
		if (rc != -1 || errno != EINVAL || f.n != 0)
			abort();
	} else {
		if (rc != 0 || f.n != 1)
			abort();
		check_parsed(&f.v[0], kind, false, body);
	}
	filter_free(&f);
}

/*
 * filter_load() on the text of the rules must give what filter_add() gives
 * line by line: comments and blank lines skipped, stopping at the first
 * line refused.
 */
static void
check_load(const unsigned char *text, size_t size, const struct line *v,
    size_t n)
{
	struct filter f, g;
	FILE *fp;
	size_t i, line, bad = 0;
	char *copy;
	int rc;

	if (size == 0)
		return;
	copy = xmalloc(size);
	memcpy(copy, text, size);
	if ((fp = fmemopen(copy, size, "r")) == NULL)
		abort();
	filter_init(&f);
	rc = filter_load(&f, FILTER_EXCLUDE, fp, &line);
	fclose(fp);
	free(copy);

	filter_init(&g);
	for (i = 0; i < n && bad == 0; i++) {
		if (v[i].rawlen == 0 || v[i].s[0] == ';' || v[i].s[0] == '#')
			continue;
		if (filter_add(&g, FILTER_EXCLUDE, v[i].s) == -1)
			bad = i + 1;
	}
	if ((rc == -1) != (bad != 0) || (rc == -1 && line != bad) ||
	    f.n != g.n)
		abort();
	for (i = 0; i < f.n; i++)
		if (!same_rule(&f.v[i], &g.v[i]))
			abort();
	filter_free(&f);
	filter_free(&g);
}

/*
 * The reference for filter_wildmatch(): the rules of filter.h, tried every
 * way with no shortcut.  Its cost grows as the string's length to the
 * number of stars, so it gives up (-1) after ref_budget steps.
 */
static long ref_budget;

static int
ref_class(const char *p, unsigned char c, const char **end)
{
	bool neg = false, in = false;
	unsigned char lo, hi;

	if (*p == '!' || *p == '^') {
		neg = true;
		p++;
	}
	if (*p == ']') {
		in = c == ']';
		p++;
	}
	for (; *p != ']'; p++) {
		if (*p == '\0') {
			*end = NULL;
			return 0;
		}
		if (*p == '\\' && p[1] != '\0')
			p++;
		lo = hi = (unsigned char)*p;
		if (p[1] == '-' && p[2] != ']' && p[2] != '\0') {
			p += 2;
			if (*p == '\\' && p[1] != '\0')
				p++;
			hi = (unsigned char)*p;
		}
		if (c >= lo && c <= hi)
			in = true;
	}
	*end = p + 1;
	return in != neg;
}

static int
ref_wildmatch(const char *p, const char *s)
{
	const char *end;
	int r;

	for (; *p != '\0'; p++, s++) {
		if (--ref_budget < 0)
			return -1;
		if (*p == '*') {
			if (p[1] == '*') {
				while (*p == '*')
					p++;
				for (;; s++) {
					if ((r = ref_wildmatch(p, s)) != 0)
						return r;
					if (*s == '\0')
						return 0;
				}
			}
			for (p++;; s++) {
				if ((r = ref_wildmatch(p, s)) != 0)
					return r;
				if (*s == '\0' || *s == '/')
					return 0;
			}
		}
		if (*s == '\0')
			return 0;
		if (*p == '?') {
			if (*s == '/')
				return 0;
		} else if (*p == '[') {
			/* A class never matches a slash; unclosed, "[" is. */
			if (*s == '/')
				return 0;
			r = ref_class(p + 1, (unsigned char)*s, &end);
			if (end == NULL) {
				if (*s != '[')
					return 0;
			} else if (!r)
				return 0;
			else
				p = end - 1;
		} else {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (*p != *s)
				return 0;
		}
	}
	return *s == '\0';
}

static void
check_against_ref(const char *pat, const char *path)
{
	int r;

	ref_budget = 20000;
	r = ref_wildmatch(pat, path);
	if (r >= 0 && filter_wildmatch(pat, path) != (r == 1))
		abort();
}

/* Whether the rule's pattern matches, whatever its kind and "!". */
static bool
matches(const struct filter_rule *r, const char *path, bool dir)
{
	struct filter one;
	struct filter_rule bare = *r;

	bare.kind = FILTER_EXCLUDE;
	bare.negate = false;
	one.v = &bare;
	one.n = one.alloc = 1;
	return filter_check(&one, path, dir) == FILTER_EXCLUDE;
}

/* A literal pattern against path[0..len): the same text, as filter.h says. */
static bool
lit_here(const struct filter_rule *r, const char *path, size_t len)
{
	size_t plen = strlen(r->pat);
	const char *base;

	if (!r->anchored && !r->and_below && strchr(r->pat, '/') == NULL) {
		for (base = path + len; base > path && base[-1] != '/'; base--)
			;
		return (size_t)(path + len - base) == plen &&
		    memcmp(base, r->pat, plen) == 0;
	}
	if (len == plen && memcmp(path, r->pat, plen) == 0)
		return true;
	return !r->anchored && len > plen && path[len - plen - 1] == '/' &&
	    memcmp(path + len - plen, r->pat, plen) == 0;
}

static bool
lit_matches(const struct filter_rule *r, const char *path, bool dir)
{
	size_t len = strlen(path), i;

	if (!r->and_below)
		return (dir || !r->dir_only) && lit_here(r, path, len);
	if (lit_here(r, path, len))
		return true;
	for (i = len; i-- > 0;)
		if (path[i] == '/' && lit_here(r, path, i))
			return true;
	return false;
}

static void
check_rule_on(const struct filter_rule *r, const char *path, bool dir)
{
	const char *base;
	char *longer;
	bool m = matches(r, path, dir);

	if (r->dir_only && !r->and_below && !dir && m)
		abort();
	if (!r->whole) {
		base = strrchr(path, '/');
		if (base != NULL && matches(r, base + 1, dir) != m)
			abort();
	}
	if (is_literal(r->pat) && lit_matches(r, path, dir) != m)
		abort();
	if (!m)
		return;
	if (!r->anchored) {
		longer = cat("x/", path);
		if (!matches(r, longer, dir))
			abort();
		free(longer);
	}
	if (r->and_below) {
		longer = cat(path, "/y");
		if (!matches(r, longer, false) || !matches(r, longer, true))
			abort();
		free(longer);
	}
}

/*
 * A pattern that must match path: each character kept, escaped, put in a
 * class of its own or matched by "?", or a run of them by "*" (no slash)
 * or "**".  Two runs of stars are never next to each other, nor a star
 * after a run: "***" would be another pattern.
 */
static char *
pattern_of(const char *path)
{
	size_t len = strlen(path), i, j, k, o = 0;
	/* At worst an empty "**" then "[\\c]" for each character. */
	char *pat = xmalloc(6 * len + 1);
	bool stars = false;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)path[i];
		switch (stars ? rnd() % 4 : rnd() % 6) {
		case 0:
			if (strchr("*?[\\", c) != NULL)
				pat[o++] = '\\';
			pat[o++] = (char)c;
			break;
		case 1:
			pat[o++] = '\\';
			pat[o++] = (char)c;
			break;
		case 2:
			if (c == '/') {
				pat[o++] = '/';
				break;
			}
			pat[o++] = '[';
			pat[o++] = '\\';
			pat[o++] = (char)c;
			pat[o++] = ']';
			break;
		case 3:
			pat[o++] = c == '/' ? '/' : '?';
			break;
		case 4:
			/* "*": up to the next slash, maybe none. */
			k = rnd() % 8;
			for (j = i; j < len && j - i < k && path[j] != '/'; j++)
				;
			pat[o++] = '*';
			i = j - 1;
			stars = true;
			continue;
		default:
			j = i + rnd() % 8;
			if (j > len)
				j = len;
			pat[o++] = '*';
			pat[o++] = '*';
			i = j - 1;
			stars = true;
			continue;
		}
		stars = false;
	}
	pat[o] = '\0';
	return pat;
}

static char *
escaped(const char *path)
{
	size_t len = strlen(path), i;
	char *pat = xmalloc(2 * len + 1);

	for (i = 0; i < len; i++) {
		pat[2 * i] = '\\';
		pat[2 * i + 1] = path[i];
	}
	pat[2 * len] = '\0';
	return pat;
}

static void
check_wildmatch(const char *path)
{
	struct filter f;
	char *pat, *rule, *longer;

	if (!filter_wildmatch("**", path))
		abort();
	if (filter_wildmatch("*", path) != (strchr(path, '/') == NULL))
		abort();

	pat = escaped(path);
	longer = cat(path, "x");
	if (!filter_wildmatch(pat, path) || filter_wildmatch(pat, longer))
		abort();
	free(longer);
	longer = cat(pat, "x");
	if (filter_wildmatch(longer, path))
		abort();
	free(longer);
	free(pat);

	pat = pattern_of(path);
	if (!filter_wildmatch(pat, path))
		abort();
	/*
	 * The same as a rule, anchored or not: a trailing slash would make
	 * it another rule, and "/" alone is a path no walk gives.
	 */
	if (*path != '\0' && path[strlen(path) - 1] != '/') {
		filter_init(&f);
		rule = cat(*path == '/' ? "- /" : "- ", pat);
		if (filter_rule(&f, rule) == -1)
			abort();
		free(rule);
		rule = cat("- /", pat);
		if (filter_rule(&f, rule) == -1)
			abort();
		free(rule);
		if (!matches(&f.v[0], path, false) ||
		    !matches(&f.v[1], path, false))
			abort();
		filter_free(&f);
	}
	free(pat);
}

/* filter_check() against the rules one by one: the first match decides. */
static void
check_path(const struct filter *f, const char *path, bool dir)
{
	enum filter_kind want = FILTER_INCLUDE;
	size_t i;
	bool found = false;

	for (i = 0; i < f->n; i++) {
		if (!dir)
			check_against_ref(f->v[i].pat, path);
		check_rule_on(&f->v[i], path, dir);
		if (!found && matches(&f->v[i], path, dir) != f->v[i].negate) {
			want = f->v[i].kind;
			found = true;
		}
	}
	if (filter_check(f, path, dir) != want)
		abort();
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct line rules[MAX_RULES], paths[MAX_PATHS];
	struct filter f;
	const unsigned char *p = data, *end = data + size, *nl;
	const char *path;
	size_t nrules = 0, npaths = 0, i, textlen = 0, n;
	bool in_paths = false;

	rng = 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < size; i++)
		rng = (rng ^ data[i]) * 0x100000001b3ULL;
	rng |= 1;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (!in_paths && n == 0)
			in_paths = true;
		else if (!in_paths && nrules < MAX_RULES) {
			rules[nrules].s = copy_line(p, n);
			rules[nrules++].rawlen = n;
			textlen = (size_t)(p - data) + n;
		} else if (in_paths && npaths < MAX_PATHS) {
			paths[npaths].s = copy_line(p, n);
			paths[npaths++].rawlen = n;
		}
		p += n + 1;
	}

	check_load(data, textlen, rules, nrules);
	filter_init(&f);
	for (i = 0; i < nrules; i++) {
		check_parse(rules[i].s);
		if (filter_rule(&f, rules[i].s) == -1)
			(void)filter_add(&f, FILTER_EXCLUDE, rules[i].s);
	}
	/* The rules' own texts are paths too: literal ones name themselves. */
	for (i = 0; i < nrules + npaths; i++) {
		path = i < nrules ? rules[i].s : paths[i - nrules].s;
		check_path(&f, path, false);
		check_path(&f, path, true);
		check_wildmatch(path);
	}
	for (i = 0; i < f.n; i++) {
		check_path(&f, f.v[i].pat, false);
		check_path(&f, f.v[i].pat, true);
	}
	filter_free(&f);
	for (i = 0; i < nrules; i++)
		free(rules[i].s);
	for (i = 0; i < npaths; i++)
		free(paths[i].s);
	return 0;
}
