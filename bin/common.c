/*
 * Shared front-end code: locale, program name, and message quoting.
 */
#include "config.h"

#include <sys/resource.h>

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>
#include <unistd.h>

#include "common.h"
#include "meter.h"
#include "core/manifest.h"

static const char *progname = "xcp";

/*
 * Deep trees hold a few directory descriptors per level: take the hard
 * limit, and as root at least FD_WANT where the kernel allows it.
 */
#define FD_WANT	65536

static void
raise_fd_limit(void)
{
	struct rlimit rl, want;
	unsigned long max;
	char buf[32];
	FILE *f;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	want = rl;
	want.rlim_cur = rl.rlim_max;
	if (geteuid() == 0 && rl.rlim_max != RLIM_INFINITY &&
	    rl.rlim_max < FD_WANT &&
	    (f = fopen("/proc/sys/fs/nr_open", "re")) != NULL) {
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    (max = strtoul(buf, NULL, 10)) > rl.rlim_max)
			want.rlim_cur = want.rlim_max = max < FD_WANT ? max :
			    FD_WANT;
		(void)fclose(f);
	}
	if (want.rlim_cur <= rl.rlim_cur ||
	    setrlimit(RLIMIT_NOFILE, &want) == 0)
		return;
	/* Without CAP_SYS_RESOURCE (in a container): up to the hard limit. */
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

void
common_init(const char *argv0)
{
	const char *s;

	raise_fd_limit();
	(void)setlocale(LC_ALL, "");
	bindtextdomain(PACKAGE, LOCALEDIR);
	textdomain(PACKAGE);
	if (argv0 != NULL && *argv0 != '\0') {
		s = strrchr(argv0, '/');
		progname = s ? s + 1 : argv0;
	}
	program_invocation_short_name = (char *)progname;
}

const char *
common_progname(void)
{
	return progname;
}

struct out {
	char	*p;
	size_t	 len;
	size_t	 alloc;
};

static void
put(struct out *o, const char *s, size_t n)
{
	char *np;

	if (o->len + n + 1 > o->alloc) {
		o->alloc = (o->len + n + 1) * 2;
		if ((np = realloc(o->p, o->alloc)) == NULL) {
			fprintf(stderr, "%s\n", _("out of memory"));
			exit(1);
		}
		o->p = np;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

/* Length of the printable character at s, or 0 when it is not one. */
static size_t
printable(const char *s, size_t left)
{
	mbstate_t ps;
	wchar_t wc;
	size_t n;

	if ((unsigned char)*s < 0x80)
		return (*s >= 0x20 && *s < 0x7f) ? 1 : 0;
	memset(&ps, 0, sizeof(ps));
	n = mbrtowc(&wc, s, left, &ps);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0 || !iswprint(wc))
		return 0;
	return n;
}

static void
put_escape(struct out *o, unsigned char c)
{
	char buf[8];

	switch (c) {
	case '\a': put(o, "\\a", 2); return;
	case '\b': put(o, "\\b", 2); return;
	case '\f': put(o, "\\f", 2); return;
	case '\n': put(o, "\\n", 2); return;
	case '\r': put(o, "\\r", 2); return;
	case '\t': put(o, "\\t", 2); return;
	case '\v': put(o, "\\v", 2); return;
	default:
		snprintf(buf, sizeof(buf), "\\%03o", c);
		put(o, buf, 4);
	}
}

const char *
common_quote(const char *s)
{
	static char *slots[4];
	static int next;
	struct out o = { NULL, 0, 0 };
	size_t left = strlen(s), n, i;
	bool squote = false, dq_ok = true, esc = false;
	const char *p;

	for (p = s, i = left; i > 0; p += n, i -= n) {
		if ((n = printable(p, i)) == 0) {
			dq_ok = false;
			n = 1;
		} else if (*p == '\'')
			squote = true;
		else if (strchr("\"$`\\", *p) != NULL)
			dq_ok = false;
	}
	if (squote && dq_ok) {
		/* "it's" reads better than 'it'\''s'. */
		put(&o, "\"", 1);
		put(&o, s, left);
		put(&o, "\"", 1);
		goto done;
	}
	put(&o, "'", 1);
	for (p = s; left > 0; p += n, left -= n) {
		n = printable(p, left);
		if (n == 0) {
			if (!esc)
				put(&o, "'$'", 3);
			esc = true;
			put_escape(&o, (unsigned char)*p);
			n = 1;
			continue;
		}
		if (esc) {
			put(&o, "''", 2);
			esc = false;
		}
		if (*p == '\'')
			put(&o, "'\\''", 4);
		else
			put(&o, p, n);
	}
	if (!esc)
		put(&o, "'", 1);
done:
	free(slots[next]);
	slots[next] = o.p;
	next = (next + 1) % 4;
	return o.p;
}

const char *
common_quote_arg(const char *s)
{
	static char *slots[4];
	static int next;
	const char *cs = nl_langinfo(CODESET);
	bool utf8 = cs != NULL && strcmp(cs, "UTF-8") == 0;
	char *q;

	if (asprintf(&q, utf8 ? "\xe2\x80\x98%s\xe2\x80\x99" : "'%s'",
	    s) == -1)
		return s;
	free(slots[next]);
	slots[next] = q;
	next = (next + 1) % 4;
	return q;
}

int
common_width(const char *s, int width)
{
	mbstate_t ps;
	wchar_t wc;
	size_t left = strlen(s), n;
	int w;

	memset(&ps, 0, sizeof(ps));
	while (left > 0) {
		n = mbrtowc(&wc, s, left, &ps);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0)
			return width;	/* not text in this locale: bytes */
		w = wcwidth(wc);
		width += (int)n - (w > 0 ? w : 0);
		s += n;
		left -= n;
	}
	return width;
}

void
common_try_help(void)
{
	fprintf(stderr, _("Try '%s --help' for more information.\n"),
	    progname);
	exit(1);
}

void
common_warn(int err, const char *fmt, ...)
{
	va_list ap;

	meter_hold();
	fflush(stdout);
	fprintf(stderr, "%s: ", progname);
	if (fmt != NULL) {
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	if (err != 0)
		fprintf(stderr, fmt != NULL ? ": %s" : "%s", strerror(err));
	fputc('\n', stderr);
	meter_release();
}

int
common_flush_stdout(void)
{
	int e = 0;

	if (fflush(stdout) == EOF)
		e = errno;
	else if (ferror(stdout))
		e = EIO;	/* an earlier write failed, its errno is gone */
	if (e == 0)
		return 0;
	common_warn(e, _("write error"));
	return -1;
}

unsigned
common_jobs(const char *s)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || n < 1 ||
	    n > 256) {
		common_warn(0, _("invalid number of jobs: %s"),
		    common_quote_arg(s));
		common_try_help();
	}
	return (unsigned)n;
}

/* A JSON string of text that is ASCII or UTF-8 already. */
void
common_json_text(const char *s)
{
	const unsigned char *p;

	putchar('"');
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

/* A path or link target: escaped as in a manifest, so always ASCII. */
void
common_json_str(const char *s)
{
	char *e = s ? manifest_escape(s) : NULL;

	if (e == NULL) {
		fputs("null", stdout);
		return;
	}
	common_json_text(e);
	free(e);
}

char
common_scale(double n, double *v)
{
	static const char units[] = "KMGTPE";
	int u = -1;

	while (n >= 1024 && u < 5) {
		n /= 1024;
		u++;
	}
	*v = n;
	if (u < 0)
		return '\0';
	return units[u];
}

void
common_json_or_null(bool json, bool null)
{
	if (!json || !null)
		return;
	common_warn(0, _("--json and --null do not mix"));
	common_try_help();
}

void
common_put0(const char *s)
{
	fputs(s, stdout);
	putchar('\0');
}

void
common_put0_entry(const char *root, const char *path)
{
	size_t n = strlen(root);

	if (strcmp(path, ".") == 0) {
		common_put0(root);
		return;
	}
	while (n > 1 && root[n - 1] == '/')
		n--;
	if (n == 1 && root[0] == '/')
		n = 0;
	/* path is "./a/b": root, then "/a/b". */
	fwrite(root, 1, n, stdout);
	common_put0(path + 1);
}
