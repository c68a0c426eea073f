/*
 * The progress meter the three front ends share: one line on standard
 * error, redrawn twice a second, when standard error is a terminal, and a
 * status line on SIGUSR1 (SIGINFO too where the system has it) wherever
 * standard error goes.
 */
#ifndef METER_H
#define METER_H

struct progress;
struct progress_scan;

enum meter_mode {
	METER_AUTO,		/* on a terminal, once the job has run 1 s */
	METER_ON,		/* on a terminal, from the start, kept at the end */
	METER_OFF		/* only the status lines asked for by signal */
};

/*
 * Block the status signals in this thread and every thread made after
 * it, so that only the meter's thread takes them.  Call before making any
 * thread.
 */
void	meter_block_signals(void);

/*
 * Watch p, whose totals a scan of what scan describes fills in once a
 * line is first wanted (scan and what it points to must outlive the
 * meter; NULL: the totals stay unknown).  Does nothing when the meter's
 * thread cannot be made: the job runs without it.
 */
void	meter_start(struct progress *, enum meter_mode,
	    const struct progress_scan *);

/*
 * Stop the meter: METER_ON leaves the final line, METER_AUTO erases its
 * line.  Stops the scan as well.
 */
void	meter_stop(void);

/*
 * Around any other output while the meter runs (an error, a -v line): hold
 * takes the line off the terminal and keeps it off until release.
 */
void	meter_hold(void);
void	meter_release(void);

#endif
