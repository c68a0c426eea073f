/*
 * The subvolume backend: whole trees as btrfs subvolumes.  A snapshot of
 * a subvolume costs one ioctl whatever the size of the tree, and a
 * subvolume is deleted in the background by the filesystem.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <linux/btrfs.h>
#include <linux/magic.h>

#include "backends/backend.h"

/* The inode number of the root of every btrfs subvolume. */
#define SUBVOL_ROOT_INO	256

static int
vol_name(char *buf, size_t len, const char *name)
{
	if (strlen(name) >= len || strchr(name, '/') != NULL) {
		errno = EINVAL;
		return -1;
	}
	strcpy(buf, name);
	return 0;
}

static int
btrfs_create(int dirfd, const char *name)
{
	struct btrfs_ioctl_vol_args a;

	memset(&a, 0, sizeof(a));
	if (vol_name(a.name, sizeof(a.name), name) == -1)
		return -1;
	return ioctl(dirfd, BTRFS_IOC_SUBVOL_CREATE, &a) == -1 ? -1 : 0;
}

static int
btrfs_snapshot(int srcfd, int dirfd, const char *name)
{
	struct btrfs_ioctl_vol_args_v2 a;

	memset(&a, 0, sizeof(a));
	a.fd = srcfd;
	if (vol_name(a.name, sizeof(a.name), name) == -1)
		return -1;
	return ioctl(dirfd, BTRFS_IOC_SNAP_CREATE_V2, &a) == -1 ? -1 : 0;
}

static int
btrfs_destroy(int dirfd, const char *name)
{
	struct btrfs_ioctl_vol_args a;

	memset(&a, 0, sizeof(a));
	if (vol_name(a.name, sizeof(a.name), name) == -1)
		return -1;
	return ioctl(dirfd, BTRFS_IOC_SNAP_DESTROY, &a) == -1 ? -1 : 0;
}

static bool
btrfs_is_subvolume(int fd)
{
	struct statfs sf;
	struct stat st;

	return fstatfs(fd, &sf) == 0 && sf.f_type == BTRFS_SUPER_MAGIC &&
	    fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_ino == SUBVOL_ROOT_INO;
}

static bool
btrfs_supported(int dirfd)
{
	struct statfs sf;

	return fstatfs(dirfd, &sf) == 0 && sf.f_type == BTRFS_SUPER_MAGIC;
}

const struct subvolume_backend backend_subvolume = {
	.name = "btrfs",
	.supported = btrfs_supported,
	.is_subvolume = btrfs_is_subvolume,
	.create = btrfs_create,
	.snapshot = btrfs_snapshot,
	.destroy = btrfs_destroy,
};
