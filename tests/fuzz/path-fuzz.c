/*
 * libFuzzer target for the names of archive entries: the input, up to its
 * first NUL as an archive's names end there, is given to
 * extract_clean_path().  Besides no crash, leak or undefined behaviour, a
 * name must be refused with a reason exactly when it is empty, absolute or
 * has a ".." component; an accepted one comes out as "." or "./" and its
 * components, none of them empty, "." or "..", the same as the name's
 * own in the same order, and cleaning it again gives it back unchanged.
 * Any other answer aborts.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "backends/extract.h"

int	LLVMFuzzerTestOneInput(const unsigned char *, size_t);

/* The length of the component at p, which ends at a slash or the end. */
static size_t
comp_len(const char *p)
{
	const char *q = strchr(p, '/');

	return q != NULL ? (size_t)(q - p) : strlen(p);
}

static bool
is_dotdot(const char *p, size_t n)
{
	return n == 2 && p[0] == '.' && p[1] == '.';
}

/* Whether the component is one cleaning drops: empty or ".". */
static bool
is_dropped(const char *p, size_t n)
{
	return n == 0 || (n == 1 && p[0] == '.');
}

/* Whether a name must be refused, from the rules alone. */
static bool
refused(const char *raw)
{
	const char *p;
	size_t n;

	if (*raw == '\0' || *raw == '/')
		return true;
	for (p = raw;; p += n + 1) {
		n = comp_len(p);
		if (is_dotdot(p, n))
			return true;
		if (p[n] == '\0')
			return false;
	}
}

/*
 * Check a cleaned name against the raw one: "." or "./" then the kept
 * components of raw, each once, separated by single slashes.
 */
static void
check_clean(const char *raw, const char *out)
{
	const char *p, *o;
	size_t n, m;

	if (out[0] != '.')
		abort();
	if (out[1] != '\0' && out[1] != '/')
		abort();
	if (strlen(out) > strlen(raw) + 2)
		abort();
	o = out + 1;
	for (p = raw;; p += n + 1) {
		n = comp_len(p);
		if (is_dotdot(p, n))
			abort();	/* refused() let it through */
		if (!is_dropped(p, n)) {
			if (*o++ != '/')
				abort();
			m = comp_len(o);
			if (m != n || memcmp(o, p, n) != 0)
				abort();
			if (is_dropped(o, m) || is_dotdot(o, m))
				abort();
			o += m;
		}
		if (p[n] == '\0')
			break;
	}
	if (*o != '\0')
		abort();	/* a component that raw does not have */
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *why, *why2;
	char *raw, *out, *again;
	size_t len;

	/*
	 * Exactly the name and its NUL are allocated, so AddressSanitizer
	 * sees any read past them.
	 */
	len = strnlen((const char *)data, size);
	if ((raw = malloc(len + 1)) == NULL)
		return 0;
	memcpy(raw, data, len);
	raw[len] = '\0';

	why = "(not set)";
	out = extract_clean_path(raw, &why);
	if (out == NULL) {
		/* No allocation fails here: NULL is a refusal, with a why. */
		if (why == NULL || *why == '\0' || !refused(raw))
			abort();
		free(raw);
		return 0;
	}
	if (refused(raw) || why != NULL)
		abort();
	check_clean(raw, out);

	/* Cleaning is idempotent: a cleaned name is already clean. */
	if ((again = extract_clean_path(out, &why2)) == NULL)
		abort();
	if (strcmp(again, out) != 0)
		abort();
	free(again);
	free(out);
	free(raw);
	return 0;
}
