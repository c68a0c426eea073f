/*
 * An ordered hashing queue: the caller pushes items in walk order, worker
 * threads hash the open files among them (XXH3-128, one whole file per
 * worker), and the caller pops the items back in the order it pushed them.
 * Memory and open files are bounded by the queue's depth; output order
 * never depends on which worker finished first.
 */
#ifndef HASHQ_H
#define HASHQ_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/hash.h"
#include "core/pool.h"

/* What an item's file is hashed with: XXH3-128, or an enum digest_type. */
#define HASHQ_XXH128	(-1)
/* Room for any result: the largest digest (SHA-512). */
#define HASHQ_MAX	64

struct hashq_item;
struct hashq_dir;

struct hashq {
	struct pool	 pool;
	struct hashq_item *items;	/* one per slot of the pool */
	void		**bufs;		/* each thread's read buffer */
	size_t		 max_fds;
	struct hashq_dir *dir;		/* the directory of hashq_push_at */
	unsigned long	 dir_id;
};

/*
 * Start threads workers (0: one per online CPU but the caller's) and a
 * queue of depth items.  Returns 0, or -1 with errno (ENOMEM, EAGAIN).
 */
int	hashq_init(struct hashq *, unsigned, size_t);

/* Stop the workers and close the files still queued. */
void	hashq_free(struct hashq *);

/*
 * Whether an item (with a file to hash when has_fd) would not fit: the
 * caller must pop first.
 */
bool	hashq_full(struct hashq *, bool);

/* Whether nothing is queued. */
bool	hashq_empty(const struct hashq *);

/* Whether the oldest item is ready to pop without waiting. */
bool	hashq_ready(struct hashq *);

/*
 * Queue data, with fd to hash from offset 0 with algo (HASHQ_XXH128 or a
 * digest type; the queue closes fd) and its size as stat said (-1 when
 * unknown), or fd -1 for an item that only keeps its place in the order.  Returns 0, or -1 with errno EAGAIN when full.
 */
int	hashq_push(struct hashq *, void *, int, int, off_t);

/*
 * Queue data whose hash the caller computed itself (err 0, or the errno of
 * a failed read): it comes back in its place like any other item.
 * Returns 0, or -1 with errno EAGAIN when full.
 */
int	hashq_push_done(struct hashq *, void *, const unsigned char *, int);

/*
 * Open name in dirfd to read it for a hash: not following a final symlink
 * unless follow, without blocking on what is not a regular file, and
 * without updating its access time where that is allowed.  Returns the fd,
 * or -1 with errno.
 */
int	hashq_open(int, const char *, bool);

/* Files up to this size are cheap enough to hash on the caller's thread. */
#define HASHQ_INLINE	(64 * 1024)

/*
 * Queue the file name in the directory dirfd, which a worker opens
 * (hashq_open) and hashes with algo; size is what stat said (-1: unknown).
 * dir_id tells directories apart: the queue keeps its own descriptor of a
 * directory until its last file is popped, so dirfd may be closed as soon
 * as this returns.  name must stay valid until the item is popped.  When
 * the workers have fallen behind, a small file is hashed on the caller's
 * thread instead.  A file that cannot be opened for lack of descriptors is
 * tried again when popped.  Returns 0, or -1 with errno EAGAIN when full.
 */
int	hashq_push_at(struct hashq *, void *, int, unsigned long, const char *,
	    bool, int, off_t);

/*
 * Pop the oldest item, waiting for its hash.  Returns its data (NULL when
 * the queue is empty); *err is 0 with the hash in out (HASHQ_MAX bytes)
 * when a file was hashed, the errno of a failed read, or -1 when the item
 * had no file.
 */
void	*hashq_pop(struct hashq *, unsigned char *, int *);


#endif
