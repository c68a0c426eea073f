/*
 * The scribe writes the manifest of a copy while it runs (xcp --manifest):
 * it turns the runner's records into manifest records of the destination,
 * hashes on worker threads the data the runner did not hash itself, and
 * keeps records in walk order.  A directory's record is written before its
 * contents but its metadata is final only after them, so records go to a
 * spill file where a directory's line is patched when it is finished; at
 * commit the spill file becomes the manifest (sorted first if several
 * operands were given out of order).
 */
#ifndef SCRIBE_H
#define SCRIBE_H

struct record;
struct scribe;

struct scribe_ops {
	/* An entry whose data could not be read back: no hash recorded. */
	void	(*error)(void *, const char *, int);
	void	*arg;
};

/*
 * Start the manifest that will be named path, hashing with threads workers
 * (0: one per CPU).  Returns the scribe, or NULL with errno.
 */
struct scribe *scribe_open(const char *, unsigned, const struct scribe_ops *);

/*
 * Records whose destination is dst, or below it, are named rel ("." or
 * "./name") and below it in the manifest.  Call before each operand.
 * Returns 0 or -1 with errno ENOMEM.
 */
int	scribe_root(struct scribe *, const char *, const char *);

/* Take one record from the runner.  Returns 0, or -1 with errno. */
int	scribe_add(struct scribe *, const struct record *);

/*
 * Wait for the hashes, write the manifest and commit it (fsync, rename).
 * Frees the scribe.  Returns 0 or -1 with errno.
 */
int	scribe_commit(struct scribe *);

/* Give up: remove the temporary files and free the scribe. */
void	scribe_abort(struct scribe *);

#endif
