/*
 * What the files of xsync share: its exit statuses, rsync's where rsync
 * has one, and the entry points of the subcommands kept in their own file.
 */
#ifndef XSYNC_H
#define XSYNC_H

#define XS_OK		0
#define XS_USAGE	1	/* rsync: syntax or usage error */
#define XS_DIFFER	2	/* verify: the tree differs */
#define XS_FILES	3	/* rsync: errors selecting input/output files */
#define XS_PARTIAL	23	/* rsync: partial transfer due to error */
#define XS_VANISHED	24	/* rsync: some source files vanished */
#define XS_DEL_LIMIT	25	/* rsync: --max-delete stopped deletions */

/* xsync [OPTION]... SRC... DST.  Returns the exit status. */
int	xsync_mirror(int, char **);

/* Print the list of subcommands (for --help). */
void	xsync_commands_help(void);

#endif
