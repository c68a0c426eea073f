/*
 * errfs - a read-only FUSE filesystem that shows a directory as it is, except
 * that some names fail with EIO, so the tests see real I/O errors come out
 * of the kernel (read, copy_file_range, getdents) where device-mapper's
 * error target is not available.
 *
 * Usage: errfs DIR MOUNTPOINT [FUSE OPTIONS]   (runs in the foreground)
 *
 *   a regular file whose name contains "EIO-read" reads its first 64 KiB,
 *   then fails with EIO;
 *   a directory whose name contains "EIO-dir" fails with EIO when listed;
 *   a file whose name contains "EIO-open" fails with EIO when opened.
 *
 * Attributes come from lstat of the file under DIR; nothing is cached by
 * the kernel, so a change under DIR shows at once.
 */
#define FUSE_USE_VERSION 31

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GOOD_BYTES	65536

static int base = -1;

/* "/a/b" -> "a/b", "/" -> "." for the *at calls on base. */
static const char *
rel(const char *path)
{
	while (*path == '/')
		path++;
	return *path == '\0' ? "." : path;
}

static const char *
last(const char *path)
{
	const char *s = strrchr(path, '/');

	return s == NULL ? path : s + 1;
}

static int
errfs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	if (fstatat(base, rel(path), st, AT_SYMLINK_NOFOLLOW) == -1)
		return -errno;
	return 0;
}

static int
errfs_readlink(const char *path, char *buf, size_t size)
{
	ssize_t n;

	if (size == 0)
		return -EINVAL;
	if ((n = readlinkat(base, rel(path), buf, size - 1)) == -1)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int
errfs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
    struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct dirent *de;
	DIR *d;
	int fd;

	(void)off;
	(void)fi;
	(void)flags;
	if (strstr(last(path), "EIO-dir") != NULL)
		return -EIO;
	if ((fd = openat(base, rel(path), O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW)) == -1)
		return -errno;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d)) != NULL)
		if (fill(buf, de->d_name, NULL, 0, 0) != 0)
			break;
	closedir(d);
	return 0;
}

static int
errfs_open(const char *path, struct fuse_file_info *fi)
{
	int fd;

	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		return -EROFS;
	if (strstr(last(path), "EIO-open") != NULL)
		return -EIO;
	if ((fd = openat(base, rel(path), O_RDONLY | O_NOFOLLOW)) == -1)
		return -errno;
	fi->fh = (uint64_t)fd;
	fi->direct_io = 1;
	return 0;
}

static int
errfs_read(const char *path, char *buf, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	ssize_t n;

	if (strstr(last(path), "EIO-read") != NULL) {
		if (off >= GOOD_BYTES)
			return -EIO;
		if ((off_t)size > GOOD_BYTES - off)
			size = (size_t)(GOOD_BYTES - off);
	}
	if ((n = pread((int)fi->fh, buf, size, off)) == -1)
		return -errno;
	return (int)n;
}

static int
errfs_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	close((int)fi->fh);
	return 0;
}

static int
errfs_statfs(const char *path, struct statvfs *sv)
{
	(void)path;
	if (fstatvfs(base, sv) == -1)
		return -errno;
	return 0;
}

static void *
errfs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	cfg->attr_timeout = 0;
	cfg->entry_timeout = 0;
	cfg->negative_timeout = 0;
	cfg->use_ino = 1;
	return NULL;
}

static const struct fuse_operations errfs_ops = {
	.init = errfs_init,
	.getattr = errfs_getattr,
	.readlink = errfs_readlink,
	.readdir = errfs_readdir,
	.open = errfs_open,
	.read = errfs_read,
	.release = errfs_release,
	.statfs = errfs_statfs,
};

int
main(int argc, char **argv)
{
	char *args[16];
	int i, n = 0;

	if (argc < 3 || argc > 12) {
		fprintf(stderr, "usage: errfs DIR MOUNTPOINT [FUSE OPTIONS]\n");
		return 2;
	}
	if ((base = open(argv[1], O_RDONLY | O_DIRECTORY)) == -1) {
		perror(argv[1]);
		return 1;
	}
	args[n++] = argv[0];
	args[n++] = "-f";
	args[n++] = "-s";
	args[n++] = "-o";
	args[n++] = "ro,default_permissions,allow_other";
	for (i = 3; i < argc; i++)
		args[n++] = argv[i];
	args[n++] = argv[2];
	args[n] = NULL;
	return fuse_main(n, args, &errfs_ops, NULL);
}
