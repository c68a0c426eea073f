/*
 * The policy of a copy: every choice the user made on the command line that
 * changes what the core does, as plain values.  Front ends fill a struct
 * policy; the planner and the runner read it and never change it.
 */
#ifndef POLICY_H
#define POLICY_H

#include <stdbool.h>
#include <stddef.h>

struct progress;

/* Ways to move one entry's data, in the planner's order of preference. */
enum strategy {
	STRATEGY_NONE = 0,
	STRATEGY_SNAPSHOT,
	STRATEGY_REFLINK,
	STRATEGY_COPY_RANGE,
	STRATEGY_BYTECOPY,
	STRATEGY_HARDLINK,
	STRATEGY_SYMLINK,
	STRATEGY_MKDIR,
	STRATEGY_MKNOD,
	STRATEGY_EXTRACT,
	STRATEGY_ATTRS,		/* --attributes-only: metadata, no data */
	STRATEGY_SKIP,
	STRATEGY_COUNT
};

enum deref {
	DEREF_NEVER,		/* -P */
	DEREF_CMDLINE,		/* -H */
	DEREF_ALWAYS		/* -L */
};

enum reflink_when {
	REFLINK_NEVER,
	REFLINK_AUTO,
	REFLINK_ALWAYS
};

enum sparse_when {
	SPARSE_NEVER,
	SPARSE_AUTO,
	SPARSE_ALWAYS
};

enum backup_kind {
	BACKUP_NONE,
	BACKUP_SIMPLE,
	BACKUP_NUMBERED,
	BACKUP_EXISTING		/* numbered if numbered backups exist */
};

enum link_mode {
	LINK_COPY,		/* copy data */
	LINK_HARD,		/* -l */
	LINK_SYMBOLIC,		/* -s */
	LINK_SHARED		/* regular files below policy.shared (and not
				   below policy.private): hard links to the
				   source; the rest copied (jailclone) */
};

enum overwrite {
	OVERWRITE_YES,
	OVERWRITE_NEVER,	/* -n */
	OVERWRITE_ASK		/* -i */
};

/* Attributes that can be preserved (--preserve=LIST). */
#define PRESERVE_MODE		0x01
#define PRESERVE_OWNER		0x02
#define PRESERVE_TIMES		0x04
#define PRESERVE_LINKS		0x08
#define PRESERVE_XATTR		0x10
#define PRESERVE_CONTEXT	0x20
#define PRESERVE_ALL		0x3f

struct policy {
	bool		 recursive;
	enum deref	 deref;
	unsigned	 preserve;	/* PRESERVE_* to keep */
	unsigned	 require;	/* PRESERVE_* whose failure is an error */
	enum reflink_when reflink;
	enum sparse_when sparse;
	enum link_mode	 link;
	enum overwrite	 overwrite;
	bool		 update;	/* -u: skip unless source is newer */
	bool		 force;		/* -f */
	bool		 remove_destination;
	bool		 one_file_system;
	bool		 attributes_only;
	bool		 copy_contents;	/* read special files as data */
	bool		 default_mode;	/* --no-preserve=mode: 0666/0777 & ~umask */
	enum backup_kind backup;
	const char	*backup_suffix;
	bool		 manifest;	/* records carry what a manifest needs */
	unsigned	 jobs;		/* threads copying files; 0: one per CPU */
	/* LINK_SHARED: paths relative to the operand ("usr", "usr/lib"). */
	const char *const *shared;
	size_t		 nshared;
	const char *const *private;
	size_t		 nprivate;
	/* Counters to bump as data moves and entries are done, or NULL. */
	struct progress	*progress;
};

/* Fill a policy with cp's defaults (no options given). */
void	policy_init(struct policy *);

/* Name of a strategy as shown to users and written to manifests. */
const char *policy_strategy_name(enum strategy);

/*
 * LINK_SHARED: whether the entry at rel (relative to the operand, "" for
 * the operand itself) is below one of the shared paths and below none of
 * the private ones.  Paths match whole components; "." and "" name the
 * operand.
 */
bool	policy_shares(const struct policy *, const char *);

#endif
