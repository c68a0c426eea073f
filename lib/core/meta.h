/*
 * The metadata step: apply a source's timestamps, owner, extended
 * attributes, ACLs and mode to a destination, in that order.  Times first
 * because nothing after them touches mtime; owner before xattrs because
 * chown(2) clears security.capability; mode last because chown clears the
 * setuid and setgid bits and an ACL rewrites the group bits.
 */
#ifndef META_H
#define META_H

#include <stdbool.h>
#include <sys/stat.h>

enum meta_step {
	META_TIMES,
	META_OWNER,
	META_XATTR,
	META_ACL,
	META_MODE,
	META_NSTEPS
};

struct meta_req {
	const struct stat *st;		/* the source */
	int		 src_fd;	/* for xattrs; -1: none to copy */
	bool		 times;
	bool		 owner;
	bool		 xattr;		/* user/trusted/security attributes */
	bool		 acl;		/* POSIX ACLs (with the mode) */
	bool		 context;	/* security.selinux */
	bool		 privileged;	/* chown failures are real errors */
	mode_t		 mode;		/* permission bits to set last */
	bool		 set_mode;
	/*
	 * The destination as it is now, when known: an owner or a mode it
	 * already has is not set again.  NULL: unknown.
	 */
	const struct stat *cur;
};

struct meta_result {
	unsigned	 failed;	/* bit (1 << step) per failed step */
	int		 err[META_NSTEPS];
	bool		 owner_lost;	/* setuid/setgid bits were dropped */
};

/*
 * Apply to the open file dst_fd.  Returns 0 when every requested step
 * worked, else -1 with the failures in res (a failure that the caller did
 * not require, like chown as an ordinary user, is not counted).
 */
int	meta_apply_fd(int, const struct meta_req *, struct meta_result *);

/*
 * Remove from fd the extended attributes and ACLs that a file made anew
 * would not have (not its security label, nor what skipped names keep):
 * for a file written again in place.  Returns 0, or -1 with errno of the
 * first failure.
 */
int	meta_clear_xattrs(int);

/*
 * Copy extended attributes from src_fd to dst_fd: ACLs when acl is set,
 * others when xattr is set.  Best effort: returns 0, or -1 with errno of
 * the first failure.
 */
int	meta_copy_xattrs(int, int, bool, bool);

/*
 * Apply to name in dirfd without opening it (symbolic links, FIFOs,
 * devices, sockets).  Same return.
 */
int	meta_apply_at(int, const char *, bool, const struct meta_req *,
	    struct meta_result *);

/* Whether name in dirfd (not followed) may have extended attributes. */
bool	meta_any_xattrs(int, const char *);

/* What meta_sync_xattrs found different. */
#define META_DIFF_ACL	0x1
#define META_DIFF_XATTR	0x2

/*
 * Compare the extended attributes of dname in ddir with those of sname in
 * sdir (not following symbolic links; a NULL name means the fd itself):
 * the ACLs when acl is set, the others when xattr is.  With apply, make
 * the destination's equal: set what differs, remove what the source
 * lacks.  Returns the META_DIFF_* bits of what differed, or -1 with errno
 * of the first change that failed.
 */
int	meta_sync_xattrs(int, const char *, int, const char *, bool, bool,
	    bool);

#endif
