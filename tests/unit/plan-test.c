/*
 * Unit tests of the planner: every strategy rule, without a filesystem.
 */
#include "config.h"

#include <sys/stat.h>

#include <stdio.h>
#include <string.h>

#include "core/plan.h"
#include "core/probe.h"

#define MAGIC_XFS	0x58465342L
#define MAGIC_EXT4	0xef53L

#include "check.h"

static struct caps
caps(long src, long dst, enum cap reflink, enum cap range)
{
	struct caps c;

	memset(&c, 0, sizeof(c));
	c.src_magic = src;
	c.dst_magic = dst;
	c.reflink = reflink;
	c.copy_range = range;
	return c;
}

static int
plan(const struct policy *p, struct caps c, off_t size, blkcnt_t blocks,
    bool pseudo, enum strategy *out)
{
	struct plan_data d = { size, blocks, pseudo };

	return plan_data(p, &c, &d, out);
}

static void
test_data(void)
{
	struct policy p;
	enum strategy s[PLAN_MAX];
	int n;

	policy_init(&p);
	/* auto on XFS: clone, then kernel copy, then bytes. */
	n = plan(&p, caps(MAGIC_XFS, MAGIC_XFS, CAP_UNKNOWN, CAP_UNKNOWN),
	    4096, 8, false, s);
	CHECK(n == 3 && s[0] == STRATEGY_REFLINK &&
	    s[1] == STRATEGY_COPY_RANGE && s[2] == STRATEGY_BYTECOPY);
	/* a pair known unable to clone asks no FICLONE. */
	n = plan(&p, caps(MAGIC_XFS, MAGIC_EXT4, CAP_NO, CAP_UNKNOWN),
	    4096, 8, false, s);
	CHECK(n == 2 && s[0] == STRATEGY_COPY_RANGE);
	/* never within XFS: copy_file_range could clone, so bytes only. */
	p.reflink = REFLINK_NEVER;
	n = plan(&p, caps(MAGIC_XFS, MAGIC_XFS, CAP_UNKNOWN, CAP_UNKNOWN),
	    4096, 8, false, s);
	CHECK(n == 1 && s[0] == STRATEGY_BYTECOPY);
	/* never from XFS to ext4: the kernel copy is independent. */
	n = plan(&p, caps(MAGIC_XFS, MAGIC_EXT4, CAP_NO, CAP_UNKNOWN),
	    4096, 8, false, s);
	CHECK(n == 2 && s[0] == STRATEGY_COPY_RANGE);
	/* always: clone or nothing. */
	p.reflink = REFLINK_ALWAYS;
	n = plan(&p, caps(MAGIC_XFS, MAGIC_EXT4, CAP_NO, CAP_UNKNOWN),
	    4096, 8, false, s);
	CHECK(n == 1 && s[0] == STRATEGY_REFLINK);
	/* pseudo-files are read, whatever the policy. */
	n = plan(&p, caps(0x9fa0L, MAGIC_EXT4, CAP_NO, CAP_UNKNOWN), 0, 0,
	    true, s);
	CHECK(n == 1 && s[0] == STRATEGY_BYTECOPY);
	/* --sparse=always needs to see the zeros: no kernel copy. */
	p.reflink = REFLINK_AUTO;
	p.sparse = SPARSE_ALWAYS;
	n = plan(&p, caps(MAGIC_EXT4, MAGIC_EXT4, CAP_NO, CAP_UNKNOWN),
	    1 << 20, 2048, false, s);
	CHECK(n == 1 && s[0] == STRATEGY_BYTECOPY);
	/* a failed copy_file_range pair is not asked again. */
	p.sparse = SPARSE_AUTO;
	n = plan(&p, caps(MAGIC_EXT4, MAGIC_EXT4, CAP_NO, CAP_NO),
	    1 << 20, 2048, false, s);
	CHECK(n == 1 && s[0] == STRATEGY_BYTECOPY);
	/* --attributes-only moves no data. */
	p.attributes_only = true;
	n = plan(&p, caps(MAGIC_XFS, MAGIC_XFS, CAP_YES, CAP_YES), 10, 8,
	    false, s);
	CHECK(n == 1 && s[0] == STRATEGY_ATTRS);
}

static void
test_entry(void)
{
	struct policy p;
	struct plan_entry e = { S_IFDIR | 0755, false, false, false };

	policy_init(&p);
	CHECK(plan_entry(&p, &e) == ACTION_OMIT_DIR);
	p.recursive = true;
	CHECK(plan_entry(&p, &e) == ACTION_MKDIR);
	e.mode = S_IFIFO | 0644;
	CHECK(plan_entry(&p, &e) == ACTION_MKNOD);
	p.copy_contents = true;
	CHECK(plan_entry(&p, &e) == ACTION_FILE);
	e.mode = S_IFREG | 0644;
	e.multi_link = e.seen_link = true;
	CHECK(plan_entry(&p, &e) == ACTION_FILE);
	p.preserve = PRESERVE_LINKS;
	CHECK(plan_entry(&p, &e) == ACTION_HARDLINK);
	e.mode = S_IFLNK | 0777;
	e.multi_link = e.seen_link = false;
	CHECK(plan_entry(&p, &e) == ACTION_SYMLINK);
	p.link = LINK_HARD;
	CHECK(plan_entry(&p, &e) == ACTION_LINK);
	p.link = LINK_SYMBOLIC;
	CHECK(plan_entry(&p, &e) == ACTION_SYMLINK_TO);
}

static void
test_sparse(void)
{
	CHECK(!plan_sparse(0, 0));
	CHECK(plan_sparse(1 << 20, 8));
	CHECK(!plan_sparse(4096, 8));
	CHECK(!plan_sparse(100, 8));
}

int
main(void)
{
	test_data();
	test_entry();
	test_sparse();
	return check_end();
}
