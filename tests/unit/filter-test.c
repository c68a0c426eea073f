/*
 * Unit tests of the include/exclude rules: rsync's wildcards, anchoring,
 * directory-only rules and the slash-and-three-stars one, first match wins,
 * rule parsing.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/filter.h"

#include "check.h"

#define WM(p, s)	filter_wildmatch(p, s)

static void
test_wildmatch(void)
{
	CHECK(WM("foo", "foo"));
	CHECK(!WM("foo", "foobar"));
	CHECK(WM("*.o", "main.o"));
	CHECK(!WM("*.o", "dir/main.o"));
	CHECK(WM("*", ""));
	CHECK(WM("a*b*c", "aXXbYYc"));
	CHECK(!WM("a*b*c", "aXXbYY"));
	CHECK(WM("a?c", "abc"));
	CHECK(!WM("a?c", "a/c"));
	CHECK(!WM("a?c", "ac"));
	CHECK(WM("**", "a/b/c"));
	CHECK(WM("a/**/z", "a/b/c/z"));
	CHECK(WM("a/**z", "a/b/c/z"));
	CHECK(!WM("a/*/z", "a/b/c/z"));
	CHECK(WM("a/*/z", "a/b/z"));
	CHECK(WM("[abc]x", "bx"));
	CHECK(!WM("[abc]x", "dx"));
	CHECK(WM("[!abc]x", "dx"));
	CHECK(WM("[^abc]x", "dx"));
	CHECK(!WM("[!abc]x", "ax"));
	CHECK(WM("[a-c]", "b"));
	CHECK(!WM("[a-c]", "d"));
	CHECK(WM("[]]", "]"));
	CHECK(WM("[a-]", "-"));
	CHECK(!WM("[/]", "/"));
	CHECK(WM("[ab", "[ab"));	/* no closing bracket: literal */
	CHECK(WM("\\*", "*"));
	CHECK(!WM("\\*", "x"));
	CHECK(WM("a\\?", "a?"));
	CHECK(WM("*.tar.*", "x.tar.gz"));
}

/*
 * Patterns with many stars against long names that do not match: tried
 * every way, "*a*a*a*a*a*b" takes minutes on 160 a's.  Each of these must
 * answer at once.
 */
static void
test_wildmatch_stars(void)
{
	char s[4097];
	size_t i;

	memset(s, 'a', 255);
	s[255] = '\0';
	CHECK(!WM("*a*a*a*a*a*a*a*a*a*a*a*a*b", s));
	CHECK(WM("*a*a*a*a*a*a*a*a*a*a*a*a*", s));
	CHECK(!WM("**a**a**a**a**a**a**a**b", s));
	/* "a/a/.../a", 4095 characters. */
	for (i = 0; i < 4095; i++)
		s[i] = i % 2 == 0 ? 'a' : '/';
	s[4095] = '\0';
	CHECK(!WM("**a**a**a**a**a**a**b", s));
	CHECK(!WM("**/*a*a*a*a*a*b", s));
	CHECK(WM("**a/*a**a", s));
	/* A "*" that meets a slash leaves the rest to a "**" further out. */
	CHECK(!WM("*/*b", "a/c/b"));
	CHECK(WM("*/*/b", "a/c/b"));
	CHECK(WM("**/*b", "a/c/xb"));
	CHECK(!WM("**/*b", "a/c/xb/y"));
	CHECK(WM("a*b**c*d", "aXb/Y/cZd"));
	CHECK(!WM("a*b*c*d", "aXb/Y/cZd"));
	CHECK(WM("*x*", "axb"));
	CHECK(!WM("*x*", "ax/x"));
	CHECK(WM("**x*", "ab/bxc"));
}

static enum filter_kind
one(const char *rule, const char *path, bool dir)
{
	struct filter f;
	enum filter_kind k;

	filter_init(&f);
	if (filter_rule(&f, rule) == -1) {
		fprintf(stderr, "rule refused: %s\n", rule);
		failed++;
	}
	k = filter_check(&f, path, dir);
	filter_free(&f);
	return k;
}

#define EX(rule, path, dir)	(one(rule, path, dir) == FILTER_EXCLUDE)

static void
test_rules(void)
{
	/* No slash: the last component, at any depth. */
	CHECK(EX("- *.o", "main.o", false));
	CHECK(EX("- *.o", "src/lib/main.o", false));
	CHECK(!EX("- *.o", "main.c", false));
	CHECK(EX("- foo", "a/b/foo", true));
	CHECK(!EX("- foo", "a/foo/b", false));
	/* Anchored: from the root only. */
	CHECK(EX("- /foo", "foo", false));
	CHECK(!EX("- /foo", "a/foo", false));
	CHECK(EX("- /a/foo", "a/foo", false));
	/* A slash inside: the end of the path, at a component boundary. */
	CHECK(EX("- a/foo", "a/foo", false));
	CHECK(EX("- a/foo", "x/y/a/foo", false));
	CHECK(!EX("- a/foo", "xa/foo", false));
	CHECK(!EX("- a/foo", "a/foo/bar", false));
	CHECK(EX("- a/*/c", "x/a/b/c", false));
	/* Trailing slash: directories only. */
	CHECK(EX("- tmp/", "tmp", true));
	CHECK(!EX("- tmp/", "tmp", false));
	CHECK(EX("- tmp/", "x/tmp", true));
	/* "**" makes a whole-path pattern. */
	CHECK(EX("- **/cache", "a/b/cache", false));
	CHECK(EX("- a/**", "a/b/c", false));
	CHECK(!EX("- a/**", "b/c", false));
	/* Slash and three stars: the directory and everything below it. */
	CHECK(EX("- /dir/***", "dir", true));
	CHECK(EX("- /dir/***", "dir/x", false));
	CHECK(EX("- /dir/***", "dir/x/y", false));
	CHECK(!EX("- /dir/***", "dirx", false));
	CHECK(!EX("- /dir/***", "a/dir", true));
	/* Negated: the rule applies when the pattern does not match. */
	CHECK(EX("-! *.c", "main.o", false));
	CHECK(!EX("-! *.c", "main.c", false));
	/* Long forms and the underscore separator. */
	CHECK(EX("exclude *.o", "x.o", false));
	CHECK(!EX("include *.o", "x.o", false));
	CHECK(EX("-_*.o", "x.o", false));
}

static void
test_first_match(void)
{
	struct filter f;
	size_t line;
	FILE *fp;

	/* rsync's classic: only *.c files, in every directory. */
	filter_init(&f);
	CHECK(filter_add(&f, FILTER_INCLUDE, "*/") == 0);
	CHECK(filter_add(&f, FILTER_INCLUDE, "*.c") == 0);
	CHECK(filter_add(&f, FILTER_EXCLUDE, "*") == 0);
	CHECK(filter_check(&f, "src", true) == FILTER_INCLUDE);
	CHECK(filter_check(&f, "src/a.c", false) == FILTER_INCLUDE);
	CHECK(filter_check(&f, "src/a.h", false) == FILTER_EXCLUDE);
	/* "- " and "+ " say the kind whatever the option. */
	CHECK(filter_add(&f, FILTER_INCLUDE, "- *.h") == 0);
	CHECK(f.v[f.n - 1].kind == FILTER_EXCLUDE);
	/* "!" drops the rules so far. */
	CHECK(filter_rule(&f, "!") == 0);
	CHECK(f.n == 0);
	CHECK(filter_check(&f, "src/a.h", false) == FILTER_INCLUDE);
	/* Rules nobody asked for here are refused, not ignored. */
	errno = 0;
	CHECK(filter_rule(&f, "merge .rules") == -1 && errno == EINVAL);
	CHECK(filter_rule(&f, "P /keep") == -1);
	CHECK(filter_rule(&f, "-x foo") == -1);
	CHECK(filter_rule(&f, "- ") == -1);
	CHECK(filter_add(&f, FILTER_EXCLUDE, "") == -1);
	filter_free(&f);

	/* A file of rules: comments and blank lines skipped. */
	filter_init(&f);
	fp = tmpfile();
	CHECK(fp != NULL);
	if (fp == NULL)
		return;
	fputs("# comment\n; also\n\n+ keep.o\n*.o\n/build/\n", fp);
	rewind(fp);
	CHECK(filter_load(&f, FILTER_EXCLUDE, fp, &line) == 0);
	CHECK(f.n == 3);
	CHECK(filter_check(&f, "a/keep.o", false) == FILTER_INCLUDE);
	CHECK(filter_check(&f, "a/x.o", false) == FILTER_EXCLUDE);
	CHECK(filter_check(&f, "build", true) == FILTER_EXCLUDE);
	CHECK(filter_check(&f, "a/build", true) == FILTER_INCLUDE);
	fclose(fp);
	filter_free(&f);

	/* NUL-separated (--from0): a newline belongs to the pattern. */
	filter_init(&f);
	fp = tmpfile();
	CHECK(fp != NULL);
	if (fp == NULL)
		return;
	{
		static const char rules[] =
		    "# comment\0\0new\nline\0+ keep.o\0*.o";

		fwrite(rules, 1, sizeof(rules) - 1, fp);
	}
	rewind(fp);
	CHECK(filter_load_delim(&f, FILTER_EXCLUDE, fp, '\0', &line) == 0);
	CHECK(f.n == 3);
	CHECK(filter_check(&f, "a/new\nline", false) == FILTER_EXCLUDE);
	CHECK(filter_check(&f, "a/new", false) == FILTER_INCLUDE);
	CHECK(filter_check(&f, "a/keep.o", false) == FILTER_INCLUDE);
	CHECK(filter_check(&f, "a/x.o", false) == FILTER_EXCLUDE);
	fclose(fp);
	filter_free(&f);
}

int
main(void)
{
	/* A matcher gone exponential fails the test instead of hanging. */
	alarm(60);
	test_wildmatch();
	test_wildmatch_stars();
	test_rules();
	test_first_match();
	return check_end();
}
