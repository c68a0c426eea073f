/*
 * A record is what the core reports for every entry it handled: where it came
 * from, where it went, and the strategy actually used.  Front ends print
 * records (-v, --debug) and the manifest writer stores them.
 */
#ifndef RECORD_H
#define RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "policy.h"

struct record {
	const char	*src;		/* source path as reached from argv */
	const char	*dst;		/* destination path */
	const char	*backup;	/* backup made of the old dst, or NULL */
	const char	*target;	/* symlink text or hardlink first path */
	const struct stat *st;		/* source metadata */
	enum strategy	 strategy;	/* what moved the data */
	uint64_t	 bytes;		/* data bytes written or shared */
	int		 depth;		/* 0 for a command-line operand */
	/* For manifests, when the policy asks for them (policy.manifest): */
	const struct stat *dst_st;	/* the destination as left, or NULL */
	const unsigned char *hash;	/* XXH3-128 of the data read, or NULL */
	int		 data_fd;	/* holds the same data as dst, or -1 */
	const char	*first;		/* dst is a later link of this path */
	const char	*link_text;	/* dst is a symlink with this text */
	bool		 quiet;		/* a directory that was already there */
	bool		 post;		/* a directory's metadata is final */
	bool		 same_data;	/* the data is the reference's or dst's */
};

#endif
