/*
 * Applying metadata to copies.  Extended attributes are copied as raw
 * values: the kernel's format of system.posix_acl_* is the same on every
 * filesystem, so ACLs travel without libacl.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/xattr.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/meta.h"

#define SETID_BITS	(S_ISUID | S_ISGID | S_ISVTX)

static void
fail(struct meta_result *res, enum meta_step s, int err)
{
	if (!(res->failed & (1u << s)))
		res->err[s] = err;
	res->failed |= 1u << s;
}

static bool
is_acl(const char *name)
{
	return strcmp(name, "system.posix_acl_access") == 0 ||
	    strcmp(name, "system.posix_acl_default") == 0;
}

/*
 * Attributes that are views of something else (XFS's own ACL storage), that
 * only the kernel may write, or that describe the old place: never copied.
 * The same list as libattr's /etc/xattr.conf, which cp follows.
 */
static bool
skipped(const char *name)
{
	static const char *const exact[] = {
		"trusted.SGI_ACL_DEFAULT", "trusted.SGI_ACL_FILE",
		"trusted.SGI_CAP_FILE", "trusted.SGI_MAC_FILE",
		"security.evm", "system.nfs4_acl", "system.nfs4acl", NULL
	};
	static const char *const prefix[] = {
		"trusted.SGI_DMI_", "xfsroot.", "user.Beagle.", "afs.", NULL
	};
	int i;

	for (i = 0; exact[i] != NULL; i++)
		if (strcmp(name, exact[i]) == 0)
			return true;
	for (i = 0; prefix[i] != NULL; i++)
		if (strncmp(name, prefix[i], strlen(prefix[i])) == 0)
			return true;
	return false;
}

static bool
wanted(const struct meta_req *r, const char *name)
{
	if (skipped(name))
		return false;
	if (is_acl(name))
		return r->acl;
	if (strcmp(name, "security.selinux") == 0)
		return r->context;
	return r->xattr;
}

/*
 * The names of fd's extended attributes, a malloc'd list of *len bytes:
 * NULL with *len 0 when it has none, NULL with -1 and errno on failure.
 */
static char *
fd_names(int fd, ssize_t *len)
{
	char *names;

	if ((*len = flistxattr(fd, NULL, 0)) <= 0)
		return NULL;
	if ((names = malloc((size_t)*len)) == NULL) {
		*len = -1;
		return NULL;
	}
	if ((*len = flistxattr(fd, names, (size_t)*len)) <= 0) {
		free(names);
		return NULL;
	}
	return names;
}

/* Copy the wanted extended attributes from src_fd to dst_fd. */
/* Returns whether an ACL, which may change the mode bits, was set. */
static bool
copy_xattrs(int dst_fd, const struct meta_req *r, struct meta_result *res)
{
	bool acl = false;
	char *names = NULL, *val = NULL, *p, *nv;
	ssize_t nl, vl;
	size_t valloc = 0;

	if ((names = fd_names(r->src_fd, &nl)) == NULL) {
		if (nl == -1 && errno == ENOMEM)
			fail(res, META_XATTR, ENOMEM);
		return false;
	}
	for (p = names; p < names + nl; p += strlen(p) + 1) {
		if (!wanted(r, p))
			continue;
		vl = fgetxattr(r->src_fd, p, NULL, 0);
		if (vl < 0)
			continue;
		if ((size_t)vl + 1 > valloc) {
			if ((nv = realloc(val, (size_t)vl + 1)) == NULL) {
				fail(res, META_XATTR, ENOMEM);
				break;
			}
			val = nv;
			valloc = (size_t)vl + 1;
		}
		vl = fgetxattr(r->src_fd, p, val, valloc);
		if (vl < 0)
			continue;
		if (fsetxattr(dst_fd, p, val, (size_t)vl, 0) == -1)
			fail(res, is_acl(p) ? META_ACL : META_XATTR, errno);
		else if (is_acl(p))
			acl = true;
	}
	free(val);
	free(names);
	return acl;
}

static bool
chown_failure_ok(const struct meta_req *r, int err)
{
	/* An ordinary user cannot give files away: not an error, as in cp. */
	return !r->privileged && (err == EPERM || err == EINVAL);
}

int
meta_clear_xattrs(int fd)
{
	char *names, *p;
	ssize_t nl;
	int err = 0;

	if ((names = fd_names(fd, &nl)) == NULL)
		return nl == 0 || errno == ENOTSUP ? 0 : -1;
	for (p = names; p < names + nl; p += strlen(p) + 1)
		if (!skipped(p) && strcmp(p, "security.selinux") != 0 &&
		    fremovexattr(fd, p) == -1 && errno != ENODATA && err == 0)
			err = errno;
	free(names);
	errno = err;
	return err == 0 ? 0 : -1;
}

int
meta_copy_xattrs(int src_fd, int dst_fd, bool acl, bool xattr)
{
	struct meta_req r;
	struct meta_result res;
	struct stat st;

	memset(&r, 0, sizeof(r));
	memset(&res, 0, sizeof(res));
	memset(&st, 0, sizeof(st));
	r.st = &st;
	r.src_fd = src_fd;
	r.acl = acl;
	r.xattr = xattr;
	copy_xattrs(dst_fd, &r, &res);
	if (res.failed) {
		errno = res.err[META_XATTR] ? res.err[META_XATTR] :
		    res.err[META_ACL];
		return -1;
	}
	return 0;
}

int
meta_apply_fd(int fd, const struct meta_req *r, struct meta_result *res)
{
	const struct stat *cur = r->cur;
	struct timespec ts[2];
	mode_t mode = r->mode;
	bool acl = false;

	memset(res, 0, sizeof(*res));
	if (r->times) {
		ts[0] = r->st->st_atim;
		ts[1] = r->st->st_mtim;
		if (futimens(fd, ts) == -1)
			fail(res, META_TIMES, errno);
	}
	if (r->owner && cur != NULL && cur->st_uid == r->st->st_uid &&
	    cur->st_gid == r->st->st_gid)
		;	/* already its owner */
	else if (r->owner && fchown(fd, r->st->st_uid, r->st->st_gid) == -1) {
		int e = errno;

		/* Keep at least the group if we may. */
		(void)fchown(fd, (uid_t)-1, r->st->st_gid);
		mode &= ~SETID_BITS;
		res->owner_lost = true;
		if (!chown_failure_ok(r, e))
			fail(res, META_OWNER, e);
	}
	if (r->src_fd >= 0 && (r->xattr || r->acl || r->context))
		acl = copy_xattrs(fd, r, res);
	if (r->set_mode && !acl && cur != NULL && (cur->st_mode & 07777) ==
	    mode)
		;	/* already its mode */
	else if (r->set_mode && fchmod(fd, mode) == -1)
		fail(res, META_MODE, errno);
	return res->failed ? -1 : 0;
}

int
meta_apply_at(int dirfd, const char *name, bool is_link,
    const struct meta_req *r, struct meta_result *res)
{
	struct timespec ts[2];
	mode_t mode = r->mode;

	memset(res, 0, sizeof(*res));
	if (r->times) {
		ts[0] = r->st->st_atim;
		ts[1] = r->st->st_mtim;
		if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) == -1)
			fail(res, META_TIMES, errno);
	}
	if (r->owner && fchownat(dirfd, name, r->st->st_uid, r->st->st_gid,
	    AT_SYMLINK_NOFOLLOW) == -1) {
		int e = errno;

		(void)fchownat(dirfd, name, (uid_t)-1, r->st->st_gid,
		    AT_SYMLINK_NOFOLLOW);
		mode &= ~SETID_BITS;
		res->owner_lost = true;
		if (!chown_failure_ok(r, e))
			fail(res, META_OWNER, e);
	}
	/* Symbolic links have no mode of their own on Linux. */
	if (r->set_mode && !is_link && fchmodat(dirfd, name, mode, 0) == -1)
		fail(res, META_MODE, errno);
	return res->failed ? -1 : 0;
}

/* The l*xattr path of name in dirfd, or of the fd itself (name NULL). */
static void
fd_path(char *buf, size_t len, int dirfd, const char *name)
{
	if (name == NULL)
		snprintf(buf, len, "/proc/self/fd/%d", dirfd);
	else
		snprintf(buf, len, "/proc/self/fd/%d/%s", dirfd, name);
}

/* The wanted names of path's attributes, a malloc'd list; NULL: none. */
static char *
list_wanted(const char *path, const struct meta_req *r, ssize_t *len)
{
	char *names, *p, *q;
	ssize_t n;

	*len = 0;
	if ((n = llistxattr(path, NULL, 0)) <= 0)
		return NULL;
	if ((names = malloc((size_t)n)) == NULL)
		return NULL;
	if ((n = llistxattr(path, names, (size_t)n)) <= 0) {
		free(names);
		return NULL;
	}
	/* Keep only the wanted names, packed. */
	for (p = q = names; p < names + n; p += strlen(p) + 1)
		if (wanted(r, p)) {
			memmove(q, p, strlen(p) + 1);
			q += strlen(q) + 1;
		}
	*len = q - names;
	return names;
}

static bool
has_name(const char *list, ssize_t len, const char *name)
{
	const char *p;

	for (p = list; p < list + len; p += strlen(p) + 1)
		if (strcmp(p, name) == 0)
			return true;
	return false;
}

/* The value of name at path, malloc'd, its length in *len; NULL if none. */
static char *
get_value(const char *path, const char *name, ssize_t *len)
{
	char *v;
	ssize_t n;

	if ((n = lgetxattr(path, name, NULL, 0)) < 0)
		return NULL;
	if ((v = malloc((size_t)n + 1)) == NULL)
		return NULL;
	if ((n = lgetxattr(path, name, v, (size_t)n + 1)) < 0) {
		free(v);
		return NULL;
	}
	*len = n;
	return v;
}

int
meta_sync_xattrs(int sdir, const char *sname, int ddir, const char *dname,
    bool acl, bool xattr, bool apply)
{
	char sp[PATH_MAX], dp[PATH_MAX], *sl, *dl, *p, *sv, *dv;
	ssize_t sn, dn, svl, dvl;
	struct meta_req r;
	int diff = 0, err = 0;

	memset(&r, 0, sizeof(r));
	r.acl = acl;
	r.xattr = xattr;
	fd_path(sp, sizeof(sp), sdir, sname);
	fd_path(dp, sizeof(dp), ddir, dname);
	sl = list_wanted(sp, &r, &sn);
	dl = list_wanted(dp, &r, &dn);
	for (p = sl; p != NULL && p < sl + sn; p += strlen(p) + 1) {
		svl = dvl = 0;
		if ((sv = get_value(sp, p, &svl)) == NULL)
			continue;
		dv = get_value(dp, p, &dvl);
		if (dv == NULL || dvl != svl || memcmp(sv, dv, (size_t)svl) != 0) {
			diff |= is_acl(p) ? META_DIFF_ACL : META_DIFF_XATTR;
			if (apply && lsetxattr(dp, p, sv, (size_t)svl, 0) == -1 &&
			    err == 0)
				err = errno;
		}
		free(sv);
		free(dv);
	}
	for (p = dl; p != NULL && p < dl + dn; p += strlen(p) + 1) {
		if (sl != NULL && has_name(sl, sn, p))
			continue;
		diff |= is_acl(p) ? META_DIFF_ACL : META_DIFF_XATTR;
		if (apply && lremovexattr(dp, p) == -1 && err == 0)
			err = errno;
	}
	free(sl);
	free(dl);
	if (err != 0) {
		errno = err;
		return -1;
	}
	return diff;
}

bool
meta_any_xattrs(int dirfd, const char *name)
{
	char p[PATH_MAX];

	fd_path(p, sizeof(p), dirfd, name);
	/* An error says nothing: look closer. */
	return llistxattr(p, NULL, 0) != 0;
}
