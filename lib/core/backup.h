/*
 * Backup names for destination files about to be replaced, as GNU cp makes
 * them: simple (name~), numbered (name.~N~), or numbered only when numbered
 * backups already exist.
 */
#ifndef BACKUP_H
#define BACKUP_H

#include "policy.h"

/*
 * The backup name for name in dirfd (a name in the same directory), or NULL
 * with errno set.  The caller frees it.
 */
char	*backup_name(int, const char *, enum backup_kind, const char *);

#endif
