/*
 * An open-addressing hash table keyed by (device, inode).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/inomap.h"

struct inomap_slot {
	dev_t		 dev;
	ino_t		 ino;
	char		*path;		/* NULL: empty slot */
};

void
inomap_init(struct inomap *m)
{
	m->v = NULL;
	m->n = m->alloc = 0;
}

void
inomap_free(struct inomap *m)
{
	size_t i;

	for (i = 0; i < m->alloc; i++)
		free(m->v[i].path);
	free(m->v);
	inomap_init(m);
}

static size_t
hash(dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ULL;

	h ^= (uint64_t)dev + (h >> 29);
	return (size_t)(h ^ (h >> 32));
}

const char *
inomap_get(const struct inomap *m, dev_t dev, ino_t ino)
{
	size_t i;

	if (m->alloc == 0)
		return NULL;
	for (i = hash(dev, ino) & (m->alloc - 1); m->v[i].path != NULL;
	    i = (i + 1) & (m->alloc - 1))
		if (m->v[i].dev == dev && m->v[i].ino == ino)
			return m->v[i].path;
	return NULL;
}

static void
place(struct inomap_slot *v, size_t alloc, struct inomap_slot s)
{
	size_t i;

	for (i = hash(s.dev, s.ino) & (alloc - 1); v[i].path != NULL;
	    i = (i + 1) & (alloc - 1))
		;
	v[i] = s;
}

int
inomap_put(struct inomap *m, dev_t dev, ino_t ino, const char *path)
{
	struct inomap_slot *nv, s;
	size_t i, na;

	if ((m->n + 1) * 2 > m->alloc) {
		na = m->alloc ? m->alloc * 2 : 64;
		if ((nv = calloc(na, sizeof(*nv))) == NULL)
			return -1;
		for (i = 0; i < m->alloc; i++)
			if (m->v[i].path != NULL)
				place(nv, na, m->v[i]);
		free(m->v);
		m->v = nv;
		m->alloc = na;
	}
	s.dev = dev;
	s.ino = ino;
	if ((s.path = strdup(path)) == NULL)
		return -1;
	place(m->v, m->alloc, s);
	m->n++;
	return 0;
}
