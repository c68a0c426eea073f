/*
 * The progress meter: a thread that waits for the status signals with a
 * timeout of half a second, and on each wake-up draws the line from the
 * progress counters.  The rate is taken over the last ten seconds, so that
 * the time left follows what the disks do now rather than since the start.
 * Each line goes out in one write(2), so that it is never torn by another
 * thread's message; other output goes through meter_hold, which takes the
 * line off the terminal first.
 */
#include "config.h"

#include <sys/ioctl.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "common.h"
#include "meter.h"
#include "core/progress.h"

#define TICK_NS		500000000L	/* redraw twice a second */
#define AUTO_DELAY	1.0		/* METER_AUTO: seconds before a line */
#define RING		20		/* ticks of history for the rate */
#define LINE_MAX_BYTES	512

struct sample {
	double		 t;
	uint64_t	 bytes;
	uint64_t	 files;
};

static struct {
	pthread_mutex_t	 lock;
	pthread_t	 thread;
	bool		 running;
	atomic_bool	 stop;
	struct progress	*p;
	const struct progress_scan *scan;
	enum meter_mode	 mode;
	bool		 tty;		/* standard error is a terminal */
	bool		 drawn;		/* the line is on the terminal */
	double		 start;
	struct sample	 ring[RING];
	size_t		 nring;
	size_t		 head;
} m = { .lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP };

static void
status_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGUSR1);
#ifdef SIGINFO
	sigaddset(set, SIGINFO);
#endif
}

void
meter_block_signals(void)
{
	sigset_t set;

	status_signals(&set);
	(void)pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static double
now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Write all of buf to standard error; a meter has nobody to tell. */
static void
put(const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(STDERR_FILENO, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* "512 B", "1.4 MiB" in the locale's decimal point. */
static void
size_text(char *buf, size_t len, double n)
{
	double v;
	char unit = common_scale(n, &v);

	if (unit == '\0')
		(void)snprintf(buf, len, "%.0f B", v);
	else
		(void)snprintf(buf, len, v < 100 ? "%.1f %ciB" : "%.0f %ciB", v,
		    unit);
}

/* "0:07", "12:30", "3:02:15". */
static void
time_text(char *buf, size_t len, double secs)
{
	uint64_t s = secs > 0 && secs < 1e9 ? (uint64_t)(secs + 0.5) : 0;

	if (s >= 3600)
		(void)snprintf(buf, len, "%" PRIu64 ":%02u:%02u", s / 3600,
		    (unsigned)(s / 60 % 60), (unsigned)(s % 60));
	else
		(void)snprintf(buf, len, "%u:%02u", (unsigned)(s / 60),
		    (unsigned)(s % 60));
}

/* Keep the columns the terminal has (less one: no wrap), whole chars. */
static size_t
fit(const char *s, size_t len, int cols)
{
	mbstate_t st;
	size_t at = 0, n;
	wchar_t wc;
	int w, used = 0;

	memset(&st, 0, sizeof(st));
	while (at < len) {
		n = mbrtowc(&wc, s + at, len - at, &st);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0)
			break;
		w = wcwidth(wc);
		if (w < 0)
			w = 0;
		if (used + w > cols - 1)
			break;
		used += w;
		at += n;
	}
	return at;
}

/*
 * The meter's text: bytes and files done of the totals, the rate, and the
 * time left (while the totals are final), or the time taken (final).
 */
static size_t
compose(char *buf, size_t len, bool final)
{
	struct progress_view v;
	const struct sample *old;
	char done[32], total[32], rate[32], when[32];
	double t = now(), dt, brate, frate, left;
	size_t n = 0;
	int r, pct;

	progress_read(m.p, &v);
	/* Files that grew while being copied, or a count still behind. */
	if (v.bytes_total < v.bytes_done)
		v.bytes_total = v.bytes_done;
	if (v.files_total < v.files_done)
		v.files_total = v.files_done;
	old = m.nring > 0 ? &m.ring[(m.head + RING - m.nring) % RING] : NULL;
	if (final || old == NULL || t - old->t < 0.2) {
		dt = t - m.start;
		brate = dt > 0 ? (double)v.bytes_done / dt : 0;
		frate = dt > 0 ? (double)v.files_done / dt : 0;
	} else {
		dt = t - old->t;
		brate = (double)(v.bytes_done - old->bytes) / dt;
		frate = (double)(v.files_done - old->files) / dt;
	}
	size_text(done, sizeof(done), (double)v.bytes_done);
	size_text(total, sizeof(total), (double)v.bytes_total);
	size_text(rate, sizeof(rate), brate);
	if (v.scan == PROGRESS_UNCOUNTED) {
		/* TRANSLATORS: the progress line before any counting. */
		r = snprintf(buf, len, ngettext("%s, %ju file", "%s, %ju files",
		    v.files_done), done, (uintmax_t)v.files_done);
	} else if (v.scan == PROGRESS_COUNTING) {
		/*
		 * TRANSLATORS: the progress line while the totals are still
		 * being counted: "1.2 GiB of 3.4+ GiB, 12 of 80+ files".
		 */
		r = snprintf(buf, len, ngettext("%s of %s+, %ju of %ju+ file",
		    "%s of %s+, %ju of %ju+ files", v.files_total), done, total,
		    (uintmax_t)v.files_done, (uintmax_t)v.files_total);
	} else {
		pct = v.bytes_total > 0 ? (int)(100.0 *
		    (double)v.bytes_done / (double)v.bytes_total) :
		    v.files_total > 0 ? (int)(100.0 * (double)v.files_done /
		    (double)v.files_total) : 100;
		/*
		 * TRANSLATORS: the progress line: bytes done of the total,
		 * the percentage, then files done of the total.
		 */
		r = snprintf(buf, len, ngettext("%s of %s (%d%%), %ju of %ju file",
		    "%s of %s (%d%%), %ju of %ju files", v.files_total), done,
		    total, pct, (uintmax_t)v.files_done,
		    (uintmax_t)v.files_total);
	}
	if (r < 0)
		return 0;
	n = (size_t)r < len ? (size_t)r : len - 1;
	if (final) {
		time_text(when, sizeof(when), t - m.start);
		/* TRANSLATORS: the last progress line: the rate, the time. */
		r = snprintf(buf + n, len - n, _(", %s/s, %s elapsed"), rate,
		    when);
	} else if (v.scan == PROGRESS_COUNTED && (brate > 0 || frate > 0)) {
		left = v.bytes_total > 0 && brate > 0 ?
		    (double)(v.bytes_total - v.bytes_done) / brate :
		    (double)(v.files_total - v.files_done) / frate;
		time_text(when, sizeof(when), left);
		/* TRANSLATORS: the progress line: the rate, the time left. */
		r = snprintf(buf + n, len - n, _(", %s/s, %s left"), rate, when);
	} else if (v.scan == PROGRESS_COUNTING) {
		r = snprintf(buf + n, len - n, _(", %s/s, counting"), rate);
	} else {
		r = snprintf(buf + n, len - n, _(", %s/s"), rate);
	}
	if (r > 0)
		n += (size_t)r < len - n ? (size_t)r : len - n - 1;
	return n;
}

static int
columns(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/* Whether a line may go to the terminal now: not from the background. */
static bool
may_draw(void)
{
	return m.tty && tcgetpgrp(STDERR_FILENO) == getpgrp();
}

/* With the lock held. */
static void
erase(void)
{
	if (m.drawn)
		put("\r\033[K", 4);
	m.drawn = false;
}

/* With the lock held: the line in place of the one drawn. */
static void
draw(bool final)
{
	char text[LINE_MAX_BYTES], line[LINE_MAX_BYTES + 8];
	size_t n;

	n = compose(text, sizeof(text), final);
	n = fit(text, n, columns());
	/* "\r", the text, and "clear to the end of the line". */
	line[0] = '\r';
	memcpy(line + 1, text, n);
	line[n + 1] = '\033';
	line[n + 2] = '[';
	line[n + 3] = 'K';
	n += 4;
	if (final)
		line[n++] = '\n';
	put(line, n);
	m.drawn = !final;
}

/* With the lock held: "PROG: TEXT" on a line of its own. */
static void
status_line(void)
{
	char text[LINE_MAX_BYTES], line[LINE_MAX_BYTES + 64];
	size_t n;
	int r;

	n = compose(text, sizeof(text), false);
	r = snprintf(line, sizeof(line), "%s: %.*s\n", common_progname(),
	    (int)n, text);
	if (r <= 0)
		return;
	erase();
	put(line, (size_t)r < sizeof(line) ? (size_t)r : sizeof(line) - 1);
}

static void
sample(void)
{
	struct progress_view v;

	progress_read(m.p, &v);
	m.ring[m.head].t = now();
	m.ring[m.head].bytes = v.bytes_done;
	m.ring[m.head].files = v.files_done;
	m.head = (m.head + 1) % RING;
	if (m.nring < RING)
		m.nring++;
}

/* The totals are counted only once somebody is going to see them. */
static void
want_totals(void)
{
	if (m.scan != NULL)
		(void)progress_count(m.p, m.scan);
}

static void *
tick(void *arg)
{
	struct timespec ts = { 0, TICK_NS };
	sigset_t set;
	int sig;

	(void)arg;
	status_signals(&set);
	for (;;) {
		sig = sigtimedwait(&set, NULL, &ts);
		if (atomic_load(&m.stop))
			break;
		(void)pthread_mutex_lock(&m.lock);
		if (sig > 0) {
			want_totals();
			status_line();
		}
		if (m.mode != METER_OFF && may_draw() &&
		    (m.mode == METER_ON || now() - m.start >= AUTO_DELAY)) {
			want_totals();
			draw(false);
		}
		sample();
		(void)pthread_mutex_unlock(&m.lock);
	}
	return NULL;
}

/*
 * A process forked while the meter runs (jailclone's workers) has no meter
 * thread: it must neither wait for the lock that thread may hold nor touch
 * the line.  The fork waits for the lock, and the child starts unlocked.
 */
static void
fork_prepare(void)
{
	(void)pthread_mutex_lock(&m.lock);
}

static void
fork_parent(void)
{
	(void)pthread_mutex_unlock(&m.lock);
}

static void
fork_child(void)
{
	m.running = false;
	m.drawn = false;
	(void)pthread_mutex_unlock(&m.lock);
}

void
meter_start(struct progress *p, enum meter_mode mode,
    const struct progress_scan *scan)
{
	static bool registered;

	if (!registered)
		registered = pthread_atfork(fork_prepare, fork_parent,
		    fork_child) == 0;
	m.p = p;
	m.scan = scan;
	m.mode = mode;
	m.tty = isatty(STDERR_FILENO) == 1;
	m.start = now();
	m.nring = m.head = 0;
	atomic_store(&m.stop, false);
	meter_block_signals();
	if (mode == METER_ON && may_draw()) {
		want_totals();
		(void)pthread_mutex_lock(&m.lock);
		draw(false);
		(void)pthread_mutex_unlock(&m.lock);
	}
	m.running = pthread_create(&m.thread, NULL, tick, NULL) == 0;
}

void
meter_stop(void)
{
	if (!m.running)
		return;
	atomic_store(&m.stop, true);
	(void)pthread_kill(m.thread, SIGUSR1);
	(void)pthread_join(m.thread, NULL);
	m.running = false;
	progress_free(m.p);
	if (m.mode == METER_ON && may_draw())
		draw(true);
	else
		erase();
}

void
meter_hold(void)
{
	if (!m.running)
		return;
	(void)pthread_mutex_lock(&m.lock);
	erase();
}

void
meter_release(void)
{
	if (!m.running)
		return;
	(void)fflush(stdout);
	(void)pthread_mutex_unlock(&m.lock);
}
