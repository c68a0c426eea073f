/*
 * The runner: copies one operand (a file or a whole tree) to its final
 * destination name, following a policy.  It walks the source through
 * directory fds, asks the planner what to do with each entry, moves data
 * through the backends, applies metadata with meta, and tells the caller
 * about every entry (a record) and every problem (an event).  It never
 * prints and never exits.
 */
#ifndef RUN_H
#define RUN_H

#include <stdbool.h>
#include <sys/types.h>

#include "core/inomap.h"
#include "core/policy.h"
#include "core/probe.h"

struct batch;
struct record;
struct run_pool;

/* Problems, each with the message a front end shows for it. */
enum run_err {
	RE_STAT,		/* cannot stat SRC */
	RE_OPEN_READ,		/* cannot open SRC for reading */
	RE_OPEN_DIR,		/* cannot access SRC (a directory) */
	RE_READ,		/* error reading SRC */
	RE_WRITE,		/* error writing DST */
	RE_CLONE,		/* failed to clone DST from SRC */
	RE_CREATE,		/* cannot create regular file DST */
	RE_MKDIR,		/* cannot create directory DST */
	RE_MKFIFO,		/* cannot create fifo DST */
	RE_MKNOD,		/* cannot create special file DST */
	RE_SYMLINK,		/* cannot create symbolic link DST to SRC */
	RE_LINK,		/* cannot create hard link DST to SRC */
	RE_READLINK,		/* cannot read symbolic link SRC */
	RE_OMIT_DIR,		/* -r not specified; omitting directory SRC */
	RE_INTO_SELF,		/* cannot copy a directory, SRC, into itself, DST */
	RE_CYCLE,		/* cannot copy cyclic symbolic link SRC */
	RE_SAME_FILE,		/* SRC and DST are the same file */
	RE_OVER_DIR,		/* cannot overwrite directory DST with non-directory */
	RE_OVER_NONDIR,		/* cannot overwrite non-directory DST with directory SRC */
	RE_JUST_CREATED,	/* will not overwrite just-created DST with SRC */
	RE_DANGLING,		/* not writing through dangling symlink DST */
	RE_RELATIVE_SYMLINK,	/* DST: can make relative symbolic links only in current directory */
	RE_BACKUP,		/* cannot backup DST */
	RE_REMOVE,		/* cannot remove DST */
	RE_TIMES,		/* preserving times for DST */
	RE_OWNER,		/* failed to preserve ownership for DST */
	RE_XATTR,		/* setting attributes for DST */
	RE_PERMS,		/* preserving permissions for DST */
	RE_CHANGED,		/* skipping SRC: it changed while being copied */
	RE_UNSTAGE,		/* cannot rename SRC (a new directory, complete) to DST */
	RE_NOMEM
};

struct run_event {
	enum run_err	 kind;
	int		 err;		/* errno, 0 when none applies */
	const char	*src;
	const char	*dst;
};

struct run_ops {
	/* A problem with one entry; the run goes on unless run_stopped(). */
	void		(*report)(void *, const struct run_event *);
	/* An entry done (-v, --debug, manifests).  May be NULL. */
	void		(*record)(void *, const struct record *);
	/* -i: whether to overwrite dst.  May be NULL (never). */
	bool		(*ask)(void *, const char *);
	/* --remove-destination and -f removals, for -v.  May be NULL. */
	void		(*removed)(void *, const char *);
	void		*arg;
};

struct stage;

/* A directory by identity, to find a cycle (-L, bind mounts). */
struct run_dirid {
	dev_t		 dev;
	ino_t		 ino;
};

struct run {
	const struct policy *pol;
	struct run_ops	 ops;
	struct probe	 probe;
	struct inomap	 links;		/* source inode -> first destination */
	struct inomap	 created;	/* destination inodes made by operands */
	mode_t		 umask;
	uid_t		 euid;		/* who new files belong to */
	gid_t		 egid;
	bool		 privileged;
	bool		 stopped;	/* a terminal error: no more copying */
	unsigned	 errors;
	/* The operand being copied. */
	const char	*top_src;
	const char	*top_dst;
	dev_t		 top_dev;
	dev_t		 self_dev;	/* the destination directory made */
	ino_t		 self_ino;	/* for this operand, to skip it */
	bool		 self_set;
	bool		 into_self;	/* found it: stop this operand */
	bool		 inode_order;	/* the copy lands inside the source */
	unsigned	 tmp_seq;
	bool		 no_tmpfile;	/* O_TMPFILE is not supported */
	struct stage	*stages;	/* new trees not yet under their names */
	struct run_dirid *up;		/* the source directories being copied */
	size_t		 nup;
	size_t		 aup;
	/* For the next record, with policy.manifest: */
	int		 emit_fd;	/* data_fd */
	const char	*emit_first;	/* first */
	bool		 emit_hashed;
	unsigned char	 emit_hash[16];
	/*
	 * Copying files on several threads (policy.jobs): what the entries
	 * report is kept in batches (ops then keep it) and handed to out, in
	 * walk order, when their batch is popped.
	 */
	struct run_pool	*pool;		/* NULL: everything on this thread */
	bool		 serial;	/* this operand: no files to the pool */
	/* The filesystem type of the destination device magic_dev. */
	bool		 magic_known;
	dev_t		 magic_dev;
	long		 magic;
	/* Its allocation groups (probe_group_shift), for the pool's keys. */
	bool		 group_known;
	dev_t		 group_dev;
	int		 group_shift;
	struct run_ops	 out;
	struct batch	*batch;		/* what this thread reports now */
	struct run	*main;		/* in a worker's copy: the run */
	unsigned	 worker;		/* 0, or which worker's copy */
};

/*
 * Prepare a run, with its threads when policy.jobs asks for more than one
 * (and the run does not ask questions, -i).  Returns 0 or -1 with errno.
 */
int	run_init(struct run *, const struct policy *, const struct run_ops *);
void	run_free(struct run *);

/*
 * Copy src to dst, where dst is the final name (the front end has already
 * decided between "into a directory" and "to a new name").  Returns 0 when
 * everything was copied, else -1 after reporting each problem.
 */
int	run_copy(struct run *, const char *, const char *);

/*
 * --parents: copy src to dstdir/src, making the missing directories of src
 * below dstdir first.  Same return as run_copy.
 */
int	run_copy_parents(struct run *, const char *, const char *);

/* Whether a terminal error (ENOSPC, EIO, EDQUOT, ENOMEM) stopped the run. */
bool	run_stopped(const struct run *);

#endif
