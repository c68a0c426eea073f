/*
 * Exporting an xcpm manifest to the formats other tools check: an mtree
 * spec (for mtree -f and bsdtar @spec) and an `xxhsum -H2 -c` list.
 */
#ifndef EXPORT_H
#define EXPORT_H

#include <stdio.h>

struct manifest_reader;

enum export_format {
	EXPORT_MTREE,
	EXPORT_XXHSUM
};

struct export_ops {
	/* A record the format cannot express (a name with a newline). */
	void	(*skip)(void *, const char *, const char *);
	void	*arg;
};

/*
 * Read every record of r and write it to out in format.  Returns 0, or -1
 * with errno: EINVAL when the manifest is invalid (r->why, r->line), else
 * a write error.
 */
int	export_manifest(struct manifest_reader *, enum export_format, FILE *,
	    const struct export_ops *);

#endif
