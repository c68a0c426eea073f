/*
 * Defaults of a policy and the names of strategies.
 */
#include "config.h"

#include <string.h>

#include "core/policy.h"

void
policy_init(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->deref = DEREF_ALWAYS;
	p->reflink = REFLINK_AUTO;
	p->sparse = SPARSE_AUTO;
	p->link = LINK_COPY;
	p->overwrite = OVERWRITE_YES;
	p->backup = BACKUP_NONE;
	p->backup_suffix = "~";
}

const char *
policy_strategy_name(enum strategy s)
{
	static const char *const names[STRATEGY_COUNT] = {
		[STRATEGY_NONE] = "none",
		[STRATEGY_SNAPSHOT] = "snapshot",
		[STRATEGY_REFLINK] = "reflink",
		[STRATEGY_COPY_RANGE] = "copy_range",
		[STRATEGY_BYTECOPY] = "bytecopy",
		[STRATEGY_HARDLINK] = "hardlink",
		[STRATEGY_SYMLINK] = "symlink",
		[STRATEGY_MKDIR] = "mkdir",
		[STRATEGY_MKNOD] = "mknod",
		[STRATEGY_EXTRACT] = "extract",
		[STRATEGY_ATTRS] = "attrs",
		[STRATEGY_SKIP] = "skip",
	};

	if ((unsigned)s >= STRATEGY_COUNT)
		return "none";
	return names[s];
}

/* Whether rel is prefix or below it, comparing whole components. */
static bool
below(const char *rel, const char *prefix)
{
	size_t n;

	while (prefix[0] == '.' && prefix[1] == '/')
		prefix += 2;
	while (*prefix == '/')
		prefix++;
	n = strlen(prefix);
	while (n > 0 && prefix[n - 1] == '/')
		n--;
	if (n == 0 || (n == 1 && prefix[0] == '.'))
		return true;
	return strncmp(rel, prefix, n) == 0 &&
	    (rel[n] == '\0' || rel[n] == '/');
}

bool
policy_shares(const struct policy *p, const char *rel)
{
	size_t i;
	bool in = false;

	for (i = 0; i < p->nshared && !in; i++)
		in = below(rel, p->shared[i]);
	for (i = 0; i < p->nprivate && in; i++)
		if (below(rel, p->private[i]))
			in = false;
	return in;
}
