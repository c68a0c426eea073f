/*
 * What the three front ends share: locale and gettext set-up, quoting of
 * file names in messages the way GNU tools quote them, and the "Try --help"
 * ending of usage errors.
 */
#ifndef COMMON_H
#define COMMON_H

#include <libintl.h>
#include <stdbool.h>

#include "core/nls.h"

#define _(s)	gettext(s)

/* Set up locale, message catalogues and the program name from argv[0]. */
void	common_init(const char *);

/* The program name, as invoked. */
const char *common_progname(void);

/*
 * A file name quoted for messages like GNU's quoteaf: 'a b', "it's",
 * 'a'$'\n''b'.  The result lives until four more calls.
 */
const char *common_quote(const char *);

/* An argument quoted in the locale's quotation marks, for option errors. */
const char *common_quote_arg(const char *);

/*
 * The printf field width that makes the text take width columns: printf
 * counts bytes, and a translated column heading may have letters of more
 * than one byte.
 */
int	common_width(const char *, int);

/* Print "Try 'PROG --help' for more information." and exit with 1. */
void	common_try_help(void) __attribute__((noreturn));

/*
 * The argument of -j/--jobs, from 1 to 256; anything else is a usage error
 * (the program exits).
 */
unsigned common_jobs(const char *);

/*
 * warnx(3) with a trailing ": strerror(err)" when err is not 0; a NULL
 * format gives "PROG: strerror(err)", as warn(NULL) does.
 */
void	common_warn(int, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Flush stdout and check that nothing written to it was lost; when
 * something was, say "write error" and return -1.  Returns 0 otherwise.
 */
int	common_flush_stdout(void);

/* A JSON string of text that is ASCII or UTF-8 already, on stdout. */
void	common_json_text(const char *);

/*
 * n bytes in the largest power of 1024 that keeps the value at 1 or more,
 * up to 1024^6: returns the power's letter (K M G T P E) and puts the
 * value in *v, or returns 0 and puts n in *v when n is under 1024.
 */
char	common_scale(double, double *);

/* A path as JSON, escaped as in a manifest (so ASCII); NULL: null. */
void	common_json_str(const char *);

/* --json and --null both given: a usage error (the program exits). */
void	common_json_or_null(bool, bool);

/* A name as it is, neither quoted nor escaped, and a NUL (-0), on stdout. */
void	common_put0(const char *);

/*
 * The path of a tree entry ("." or "./a/b", as manifests name them) below
 * root, as find(1) prints it from root, and a NUL, on stdout.
 */
void	common_put0_entry(const char *, const char *);

#endif
