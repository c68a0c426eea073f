/*
 * The census of a tree: its xcpm manifest, written from what is on disk
 * (xsync manifest).  The scan runs in walk order while worker threads hash
 * the regular files; records reach the writer in walk order.
 */
#ifndef CENSUS_H
#define CENSUS_H

#include <stdbool.h>

struct manifest_writer;

struct census_ops {
	/* An entry that could not be read: its record has no hash. */
	void	(*error)(void *, const char *, int);
	void	*arg;
};

/*
 * Write one record per entry of the tree at root to w, hashing with
 * threads workers (0: one per CPU).  Returns 0, or -1 with errno when the
 * root cannot be scanned or the manifest cannot be written.
 */
int	census_tree(const char *, struct manifest_writer *, unsigned,
	    const struct census_ops *);

#endif
