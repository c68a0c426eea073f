/*
 * One file's data through the backends, best strategy first.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "backends/backend.h"
#include "core/plan.h"
#include "core/probe.h"
#include "core/transfer.h"

int
transfer_data(const struct policy *pol, struct caps *c, struct transfer *t)
{
	enum strategy plan[PLAN_MAX];
	const struct backend *b;
	struct plan_data pd;
	struct xfer x;
	struct hash h;
	int i, cnt, e = 0;

	t->used = STRATEGY_NONE;
	t->bytes = 0;
	t->hashed = t->read_failed = t->clone_refused = false;
	pd.size = t->st->st_size;
	pd.blocks = t->st->st_blocks;
	pd.pseudo = !S_ISREG(t->st->st_mode) || probe_pseudo_fs(c->src_magic);
	cnt = plan_data(pol, c, &pd, plan);
	for (i = 0; i < cnt; i++) {
		if (plan[i] == STRATEGY_ATTRS) {
			t->used = STRATEGY_ATTRS;
			return 0;
		}
		b = backend_for(plan[i]);
		memset(&x, 0, sizeof(x));
		x.src_fd = t->src_fd;
		x.dst_fd = t->dst_fd;
		x.size = pd.size;
		x.sparse = plan_sparse(pd.size, pd.blocks);
		x.pseudo = pd.pseudo;
		x.sparse_mode = pol->sparse;
		x.progress = pol->progress;
		/* A manifest takes the hash of the data read anyway. */
		if (t->want_hash && plan[i] == STRATEGY_BYTECOPY &&
		    hash_init(&h) == 0)
			x.hash = &h;
		if (b->data(&x) == 0) {
			probe_note(c, plan[i], 0);
			t->bytes = x.bytes;
			t->used = plan[i];
			if (x.hash != NULL) {
				hash_final(&h, t->hash);
				t->hashed = true;
			}
			return 0;
		}
		e = errno;
		if (x.hash != NULL)
			hash_free(&h);
		t->read_failed = x.read_failed;
		probe_note(c, plan[i], e);
		if (x.wrote || !backend_unsupported(e) || t->read_failed)
			break;
		/* Nothing written: rewind and let the next backend try. */
		if (lseek(t->src_fd, 0, SEEK_SET) == -1 && errno != ESPIPE)
			break;
	}
	t->clone_refused = pol->reflink == REFLINK_ALWAYS && cnt > 0 &&
	    plan[0] == STRATEGY_REFLINK && !t->read_failed;
	errno = e;
	return -1;
}
