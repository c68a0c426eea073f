/*
 * Jails: complete, independent copies of a template root tree, made at
 * metadata cost where the filesystem allows (a btrfs snapshot of a
 * subvolume, per-file clones), each with a manifest of what it holds so
 * that drift from the template is seen, and updates, measurement and
 * removal that never step outside the jail.
 *
 * A jail JAIL = DIR/NAME keeps its own records in DIR/.jailclone/NAME/,
 * out of reach of what runs inside it:
 *   manifest.xcpm  the jail as made (the template's hashes, the strategy
 *                  used for each entry, the overrides as written);
 *   base.xcpm      the template's manifest, the base of a 3-way update;
 *   jail.conf      template, kind, mode, creation time and overrides.
 * DIR/.jailclone/NAME.lock serialises commands on one jail.  A jail is
 * built as DIR/.jailclone/NAME/partial and renamed to DIR/NAME only when
 * it and its records are complete.
 *
 * An archive template is unpacked once into a store, STORE/<hash>/ with
 * STORE/<hash>.xcpm, keyed by the XXH3-128 of the archive's bytes, and
 * jails are cloned from there.  STORE/.lock serialises unpacking.
 */
#ifndef JAIL_H
#define JAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct progress;

enum jail_mode {
	JAIL_AUTO,
	JAIL_SNAPSHOT,		/* btrfs subvolume snapshot */
	JAIL_REFLINK,		/* a clone of every regular file */
	JAIL_HARDLINK,		/* hard links below the shared paths */
	JAIL_COPY		/* independent copies of the data */
};

enum jail_kind {
	JAIL_TEMPLATE_DIR,
	JAIL_TEMPLATE_SUBVOLUME,
	JAIL_TEMPLATE_ARCHIVE
};

/* Problems, each with the message a front end shows for it. */
enum jail_err {
	JE_TEMPLATE,		/* cannot use template PATH */
	JE_STORE,		/* template store PATH */
	JE_UNPACK,		/* archive entry PATH refused: DETAIL */
	JE_EXISTS,		/* JAIL exists already */
	JE_NOT_JAIL,		/* JAIL is not a jail made by jailclone */
	JE_LOCKED,		/* JAIL is in use by another jailclone */
	JE_MODE,		/* mode DETAIL is not possible for JAIL */
	JE_COPY,		/* PATH: copying failed (DETAIL) */
	JE_OVERRIDE,		/* cannot write PATH in JAIL */
	JE_RECORDS,		/* cannot write the records of JAIL */
	JE_CHANGED,		/* the template changed while JAIL was made */
	JE_MOUNTED,		/* PATH is mounted below JAIL */
	JE_REMOVE,		/* cannot remove PATH */
	JE_READ,		/* cannot read PATH */
	JE_NOMEM
};

struct jail_event {
	enum jail_err	 kind;
	int		 err;		/* errno, 0 when none applies */
	const char	*jail;		/* the jail as given, or NULL */
	const char	*path;		/* the path concerned, or NULL */
	const char	*detail;	/* more words, or NULL */
};

struct jail_ops {
	/* A problem; the command goes on with the other jails. */
	void	(*report)(void *, const struct jail_event *);
	/* A jail made, updated or destroyed (-v).  May be NULL. */
	void	(*done)(void *, const char *, enum jail_mode);
	void	*arg;
};

/* An expected difference from the template, written into each jail. */
struct jail_override {
	const char	*path;		/* in the jail: "etc/hostname" */
	const char	*content;	/* --set: the bytes; NULL: from */
	size_t		 len;
	const char	*from;		/* --copy-in: a file outside */
};

struct jail_create_opts {
	enum jail_mode	 mode;
	const char	*store;		/* for archive templates */
	const char *const *shared;	/* hardlink mode: paths shared */
	size_t		 nshared;
	const char *const *private;	/* never hard linked */
	size_t		 nprivate;
	const struct jail_override *ov;
	size_t		 nov;
	const char	*hostname;	/* recorded; its override is in ov */
	unsigned	 jobs;		/* threads; 0: one per CPU */
	bool		 wait;		/* wait for locks instead of failing */
	/* create: see policy; from progress_new, as workers may fork. */
	struct progress	*progress;
};

/*
 * Clean a path inside a jail, in place: no leading "/", no "." or empty
 * components ("/etc//./motd" becomes "etc/motd").  Returns 0, or -1 when
 * nothing is left or a component is "..".
 */
int	jail_path_clean(char *);

/* The name of a mode ("reflink"), and back (-1 when unknown). */
const char *jail_mode_name(enum jail_mode);
int	jail_mode_parse(const char *);

/*
 * Make each jail (a path that must not exist, in an existing directory)
 * from the template: a directory, a btrfs subvolume or an archive.
 * Returns 0 when every jail was made, 1 when some were not (reported), or
 * -1 with errno when the template could not be used (reported): then no
 * jail was made.
 */
int	jail_create(const char *, const char *const *, size_t,
	    const struct jail_create_opts *, const struct jail_ops *);

/* What verify found for one path. */
enum jail_drift {
	JAIL_OVERRIDE,		/* an expected difference, as written */
	JAIL_MODIFIED,
	JAIL_ADDED,
	JAIL_REMOVED
};

struct jail_diff {
	const char	*jail;
	enum jail_drift	 kind;
	const char	*path;		/* "./etc/passwd" */
	unsigned	 fields;	/* JAIL_MODIFIED: VERIFY_* bits */
};

struct jail_verify_ops {
	void	(*diff)(void *, const struct jail_diff *);
	void	*arg;
};

struct jail_verify_stats {
	uint64_t	 entries;
	uint64_t	 overrides;
	uint64_t	 modified;
	uint64_t	 added;
	uint64_t	 removed;
};

/*
 * Compare a jail with its manifest; with content set, regular files whose
 * metadata matches are also hashed.  Returns 0 once compared (stats say
 * what drifted), or -1 after reporting why it could not be (not a jail,
 * records unreadable, locked).
 */
int	jail_verify(const char *, bool, unsigned, bool,
	    const struct jail_verify_ops *, const struct jail_ops *,
	    struct jail_verify_stats *);

/* What update did to one path. */
enum jail_change {
	JAIL_FOLLOWED,		/* changed as the template changed */
	JAIL_NEW,		/* new in the template, added */
	JAIL_GONE,		/* gone from the template, removed */
	JAIL_KEPT,		/* changed in the jail only: kept */
	JAIL_CONFLICT		/* changed in both: the jail's kept */
};

struct jail_update_ops {
	/*
	 * One path: for a conflict, old and new are the paths in the jail
	 * where the old and the new template's versions were put (NULL when
	 * there was none to put).
	 */
	void	(*change)(void *, const char *jail, enum jail_change,
		    const char *path, const char *old, const char *new);
	void	*arg;
};

/*
 * Move each jail to the template tmpl (as jail_create takes it; opts:
 * store, jobs, wait): what the jail never changed follows it; what the
 * jail changed (or overrode) is kept, and where the template changed it
 * too, it is a conflict, with both templates' versions put beside it as
 * PATH.jailclone-old and PATH.jailclone-new.  Returns 0 when every jail
 * was updated without conflict, 2 when some had conflicts, 1 when some
 * could not be updated (reported), -1 when the template cannot be used.
 */
int	jail_update(const char *, const char *const *, size_t,
	    const struct jail_create_opts *, const struct jail_update_ops *,
	    const struct jail_ops *);

/* One jail as list shows it. */
struct jail_info {
	const char	*name;		/* the jail's name in DIR */
	const char	*template;
	enum jail_kind	 kind;
	enum jail_mode	 mode;
	const char	*created;	/* UTC, ISO 8601 */
	const char	*hostname;	/* or NULL */
	bool		 complete;	/* false: an interrupted create */
	int64_t		 drift;		/* paths drifted (metadata), -1: unknown */
};

/*
 * Call fn for every jail whose records are in dir, in name order.
 * Returns 0, or -1 with errno (dir unreadable).
 */
int	jail_list(const char *, unsigned, void (*)(void *,
	    const struct jail_info *), void *);

struct jail_usage {
	uint64_t	 files;		/* distinct inodes of regular files */
	uint64_t	 exclusive;	/* bytes in extents only this jail has */
	uint64_t	 shared;	/* bytes in extents shared with others */
};

/*
 * Measure jails from FIEMAP's shared-extent flags, hard links counted
 * once; out[i] for jails[i], and *total the bytes of the distinct
 * extents of them all (what they really use together).  Returns 0 when
 * every jail was measured, 1 when some were not (reported).
 */
int	jail_du(const char *const *, size_t, struct jail_usage *, uint64_t *,
	    const struct jail_ops *);

/*
 * Remove jails and their records: refused for a jail with anything
 * mounted below it; immutable and append-only flags are cleared first.
 * Returns 0 when every jail went, 1 when some did not (reported).
 */
int	jail_destroy(const char *const *, size_t, bool,
	    const struct jail_ops *);

#endif
