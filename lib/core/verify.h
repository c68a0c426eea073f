/*
 * Verifying a tree against a manifest: a streaming merge of the manifest's
 * records (xcpm, read in walk order; or an mtree spec, read whole through
 * libarchive and sorted) with a scan of the tree.  Every entry that is
 * missing, extra or changed is reported once, in walk order, with the
 * fields that differ; content is hashed by worker threads only where every
 * cheaper field matched and the manifest has a hash to compare with.
 */
#ifndef VERIFY_H
#define VERIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct manifest_record;

enum verify_kind {
	VERIFY_MISSING,			/* in the manifest, not in the tree */
	VERIFY_EXTRA,			/* in the tree, not in the manifest */
	VERIFY_CHANGED,			/* in both, fields differ */
	VERIFY_UNREADABLE		/* could not be checked: err */
};

/* Fields of a changed entry, in the order front ends name them. */
#define VERIFY_TYPE	0x01
#define VERIFY_MODE	0x02
#define VERIFY_UID	0x04
#define VERIFY_GID	0x08
#define VERIFY_SIZE	0x10
#define VERIFY_MTIME	0x20
#define VERIFY_CONTENT	0x40
#define VERIFY_TARGET	0x80
#define VERIFY_NFIELDS	8

struct verify_diff {
	enum verify_kind kind;
	unsigned	 fields;	/* VERIFY_CHANGED: what differs */
	const char	*path;		/* unescaped, "./..." */
	const struct manifest_record *want;	/* NULL when extra */
	const struct manifest_record *got;	/* NULL when missing */
	const char	*algo;		/* "xxh128", "sha256", ... */
	const char	*want_hash;	/* hex of the expected content */
	const char	*got_hash;	/* hex of what was read, or NULL */
	int		 err;		/* VERIFY_UNREADABLE */
};

struct verify_ops {
	void	(*diff)(void *, const struct verify_diff *);
	void	*arg;
};

struct verify_stats {
	uint64_t	 entries;	/* records in the manifest */
	uint64_t	 missing;
	uint64_t	 extra;
	uint64_t	 changed;
	uint64_t	 unreadable;
	/* Set when the manifest could not be read or is invalid (EINVAL): */
	bool		 in_manifest;
	const char	*why;
	uint64_t	 line;		/* 0 when no line is to blame */
};

/* The name of one VERIFY_* field bit: "type", "mode", ... */
const char *verify_field_name(unsigned);

/*
 * Verify the tree at root against the manifest read from fp (xcpm or
 * mtree, told apart by the first line), hashing with threads workers (0:
 * one per CPU).  Returns 0 once every entry was checked (stats say what
 * differed), or -1 with errno: EINVAL for an invalid manifest (stats->why
 * and stats->line say where), else the errno of the root or a read error.
 */
int	verify_tree(FILE *, const char *, unsigned, const struct verify_ops *,
	    struct verify_stats *);

/* The same; without content, nothing is hashed (metadata only). */
int	verify_tree_opts(FILE *, const char *, unsigned, bool,
	    const struct verify_ops *, struct verify_stats *);

#endif
