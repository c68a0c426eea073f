/*
 * filterwalk DIR RULE...: the paths below DIR that the --filter rules
 * RULE... let through, one per line, directories with a trailing slash,
 * in no particular order.  An excluded directory is not entered, as rsync
 * does.  For comparing the rules with rsync's own.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/filter.h"

static struct filter f;

static void
walk(int dfd, const char *rel)
{
	DIR *d;
	struct dirent *e;
	struct stat st;
	char path[4096];
	int fd;

	if ((d = fdopendir(dfd)) == NULL)
		exit(2);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s%s%s", rel, *rel ? "/" : "",
		    e->d_name);
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			exit(2);
		if (filter_check(&f, path, S_ISDIR(st.st_mode)) ==
		    FILTER_EXCLUDE)
			continue;
		printf("%s%s\n", path, S_ISDIR(st.st_mode) ? "/" : "");
		if (S_ISDIR(st.st_mode)) {
			if ((fd = openat(dirfd(d), e->d_name, O_RDONLY |
			    O_DIRECTORY)) == -1)
				exit(2);
			walk(fd, path);
		}
	}
	closedir(d);
}

int
main(int argc, char **argv)
{
	int i, fd;

	if (argc < 2) {
		fprintf(stderr, "usage: filterwalk DIR RULE...\n");
		return 2;
	}
	filter_init(&f);
	for (i = 2; i < argc; i++)
		if (filter_rule(&f, argv[i]) == -1) {
			fprintf(stderr, "filterwalk: bad rule: %s\n", argv[i]);
			return 2;
		}
	if ((fd = open(argv[1], O_RDONLY | O_DIRECTORY)) == -1)
		return 2;
	walk(fd, "");
	filter_free(&f);
	return 0;
}
