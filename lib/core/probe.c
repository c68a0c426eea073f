/*
 * The capability probe: a small cache of what each (source filesystem,
 * destination filesystem) pair supports, learnt from the first attempt and
 * from statfs(2) magic numbers.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/vfs.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/probe.h"

#define MAGIC_XFS	0x58465342L
#define MAGIC_EXT4	0xef53L
#define MAGIC_TMPFS	0x01021994L
#define MAGIC_F2FS	0xf2f52010L
#define MAGIC_BTRFS	0x9123683eL
#define MAGIC_OCFS2	0x7461636fL
#define MAGIC_BCACHEFS	0xca451a4eL
#define MAGIC_NFS	0x6969L
#define MAGIC_SMB2	0xfe534d42L
#define MAGIC_CIFS	0xff534d42L
#define MAGIC_PROC	0x9fa0L
#define MAGIC_SYSFS	0x62656572L
#define MAGIC_DEBUGFS	0x64626720L
#define MAGIC_TRACEFS	0x74726163L
#define MAGIC_SECURITYFS 0x73636673L
#define MAGIC_CGROUP	0x27e0ebL
#define MAGIC_CGROUP2	0x63677270L
#define MAGIC_CONFIGFS	0x62656570L
#define MAGIC_EFIVARFS	0xde5e81e4L
#define MAGIC_PSTORE	0x6165676cL
#define MAGIC_BPF	0xcafe4aL
#define MAGIC_ZFS	0x2fc12fc2L

void
probe_init(struct probe *p)
{
	p->v = NULL;
	p->n = p->alloc = 0;
}

void
probe_free(struct probe *p)
{
	free(p->v);
	probe_init(p);
}

static long
fs_magic(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf) == -1)
		return 0;
	return (long)(unsigned long)(unsigned)sf.f_type;
}

struct caps *
probe_get(struct probe *p, int src_fd, dev_t src_dev, int dst_fd,
    dev_t dst_dev)
{
	struct caps *c, *v;
	size_t i, na;

	for (i = 0; i < p->n; i++)
		if (p->v[i].src_dev == src_dev && p->v[i].dst_dev == dst_dev)
			return &p->v[i];
	if (p->n == p->alloc) {
		na = p->alloc ? p->alloc * 2 : 4;
		v = reallocarray(p->v, na, sizeof(*v));
		if (v == NULL)
			return NULL;
		p->v = v;
		p->alloc = na;
	}
	c = &p->v[p->n++];
	c->src_dev = src_dev;
	c->dst_dev = dst_dev;
	c->src_magic = fs_magic(src_fd);
	c->dst_magic = fs_magic(dst_fd);
	c->reflink = CAP_UNKNOWN;
	c->copy_range = CAP_UNKNOWN;
	/* Clones never cross filesystem types. */
	if (c->src_magic != c->dst_magic || !probe_may_clone(c->src_magic))
		c->reflink = CAP_NO;
	return c;
}

void
probe_note(struct caps *c, enum strategy s, int err)
{
	enum cap *cap;

	if (s == STRATEGY_REFLINK)
		cap = &c->reflink;
	else if (s == STRATEGY_COPY_RANGE)
		cap = &c->copy_range;
	else
		return;
	if (err == 0)
		*cap = CAP_YES;
	else if (*cap == CAP_UNKNOWN && (err == EXDEV || err == EOPNOTSUPP ||
	    err == ENOTTY || err == ENOSYS))
		*cap = CAP_NO;
}

bool
probe_exact_names(long magic, bool *casefold)
{
	/* ext4, f2fs and tmpfs can fold case in a directory (chattr +F). */
	*casefold = magic == MAGIC_EXT4 || magic == MAGIC_F2FS ||
	    magic == MAGIC_TMPFS;
	return magic == MAGIC_XFS || magic == MAGIC_BTRFS || *casefold;
}

/*
 * XFS_IOC_FSGEOMETRY_V1 and its answer, as the kernel's xfs_fs.h has them
 * (the layout has been fixed since 1997): only the first fields are read.
 */
struct xfs_geom_v1 {
	uint32_t	 blocksize;
	uint32_t	 rtextsize;
	uint32_t	 agblocks;
	uint32_t	 agcount;
	uint32_t	 logblocks;
	uint32_t	 sectsize;
	uint32_t	 inodesize;
	uint32_t	 imaxpct;
	uint64_t	 datablocks;
	uint64_t	 rtblocks;
	uint64_t	 rtextents;
	uint64_t	 logstart;
	unsigned char	 uuid[16];
	uint32_t	 sunit;
	uint32_t	 swidth;
	int32_t		 version;
	uint32_t	 flags;
	uint32_t	 logsectsize;
	uint32_t	 rtsectsize;
	uint32_t	 dirblocksize;
};
#define XFS_GEOMETRY_V1	_IOR('X', 100, struct xfs_geom_v1)

int
probe_group_shift(long magic, int fd)
{
	struct xfs_geom_v1 g;
	int inop = 0, ag = 0;

	if (magic != MAGIC_XFS || ioctl(fd, XFS_GEOMETRY_V1, &g) == -1 ||
	    g.inodesize == 0 || g.blocksize < g.inodesize || g.agblocks == 0)
		return -1;
	/*
	 * An inode number is its group's number, then its block in the
	 * group (agblocks rounded up to a power of two), then its slot in
	 * the block.
	 */
	while ((g.blocksize >> inop) > g.inodesize)
		inop++;
	while (ag < 32 && (1ULL << ag) < g.agblocks)
		ag++;
	return inop + ag;
}

bool
probe_serial_fs(long magic)
{
	return magic == MAGIC_BTRFS;
}

bool
probe_pseudo_fs(long magic)
{
	switch (magic) {
	case MAGIC_PROC:
	case MAGIC_SYSFS:
	case MAGIC_DEBUGFS:
	case MAGIC_TRACEFS:
	case MAGIC_SECURITYFS:
	case MAGIC_CGROUP:
	case MAGIC_CGROUP2:
	case MAGIC_CONFIGFS:
	case MAGIC_EFIVARFS:
	case MAGIC_PSTORE:
	case MAGIC_BPF:
		return true;
	default:
		return false;
	}
}

bool
probe_ordered_metadata(long magic)
{
	return magic == MAGIC_XFS || magic == MAGIC_BTRFS ||
	    magic == MAGIC_TMPFS;
}

bool
probe_local_times(long magic)
{
	switch (magic) {
	case MAGIC_XFS:
	case MAGIC_EXT4:
	case MAGIC_BTRFS:
	case MAGIC_TMPFS:
	case MAGIC_F2FS:
	case MAGIC_BCACHEFS:
	case MAGIC_ZFS:
		return true;
	default:
		return false;
	}
}

bool
probe_may_clone(long magic)
{
	switch (magic) {
	case MAGIC_XFS:
	case MAGIC_BTRFS:
	case MAGIC_OCFS2:
	case MAGIC_BCACHEFS:
	case MAGIC_NFS:
	case MAGIC_SMB2:
	case MAGIC_CIFS:
		return true;
	default:
		return false;
	}
}
