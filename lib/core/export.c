/*
 * Export.  The mtree spec uses full paths ("./dir/name"), so that entries
 * need no "/set" state or ".." lines; our escapes are mtree's octal ones.
 * Only standard keywords are written: the XXH3-128 hash goes in tags=,
 * which mtree(8) carries but does not check and libarchive ignores.  A
 * later link of a hard link group is written as a file of its own.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/export.h"
#include "core/manifest.h"
#include "core/nls.h"

static const char *
mtree_type(char t)
{
	switch (t) {
	case 'd':
		return "dir";
	case 'l':
		return "link";
	case 'p':
		return "fifo";
	case 's':
		return "socket";
	case 'c':
		return "char";
	case 'b':
		return "block";
	default:
		return "file";
	}
}

static int
put_mtree(FILE *out, const struct manifest_record *r)
{
	char hex[HASH_HEX_LEN + 1], *path, *t = NULL;
	int rc = -1;

	if ((path = manifest_escape(r->path)) == NULL)
		return -1;
	if (fprintf(out, "%s type=%s mode=%04o uid=%lu gid=%lu", path,
	    mtree_type(r->type), (unsigned)r->mode, (unsigned long)r->uid,
	    (unsigned long)r->gid) < 0)
		goto out;
	if ((r->type == 'f' || r->type == 'h') &&
	    fprintf(out, " size=%" PRIu64, r->size) < 0)
		goto out;
	/* mtree's time is seconds and nanoseconds, both as integers. */
	if (r->mtime.tv_sec >= 0 && fprintf(out, " time=%lld.%09ld",
	    (long long)r->mtime.tv_sec, r->mtime.tv_nsec) < 0)
		goto out;
	if (r->type == 'l' && r->target != NULL) {
		if ((t = manifest_escape(r->target)) == NULL ||
		    fprintf(out, " link=%s", t) < 0)
			goto out;
	}
	if ((r->type == 'c' || r->type == 'b') && r->target != NULL &&
	    fprintf(out, " device=native,%s", r->target) < 0)
		goto out;
	if (r->has_hash) {
		hash_hex(r->hash, hex);
		if (fprintf(out, " tags=xxh128:%s", hex) < 0)
			goto out;
	}
	if (fputc('\n', out) == EOF)
		goto out;
	rc = 0;
out:
	free(path);
	free(t);
	return rc;
}

static int
put_xxhsum(FILE *out, const struct manifest_record *r,
    const struct export_ops *ops)
{
	char hex[HASH_HEX_LEN + 1];

	if (!r->has_hash)
		return 0;
	/* xxhsum reads a name up to the end of its line. */
	if (strchr(r->path, '\n') != NULL) {
		ops->skip(ops->arg, r->path, N_("a newline in the name"));
		return 0;
	}
	hash_hex(r->hash, hex);
	return fprintf(out, "%s  %s\n", hex, r->path) < 0 ? -1 : 0;
}

int
export_manifest(struct manifest_reader *r, enum export_format fmt,
    FILE *out, const struct export_ops *ops)
{
	struct manifest_record rec;
	int rc;

	if (fmt == EXPORT_MTREE && fputs("#mtree\n", out) == EOF)
		return -1;
	while ((rc = manifest_next(r, &rec)) == 1) {
		if (fmt == EXPORT_MTREE)
			rc = put_mtree(out, &rec);
		else
			rc = put_xxhsum(out, &rec, ops);
		if (rc == -1)
			return -1;
	}
	return rc;
}
