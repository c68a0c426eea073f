/*
 * Native language support for the library: it never prints, so it never
 * translates, but a fixed English detail it hands to a front end (why a
 * manifest is invalid, why an archive entry was refused) is marked with
 * N_() for xgettext; the front end passes it through gettext where it
 * prints it.
 */
#ifndef NLS_H
#define NLS_H

#define N_(s)	(s)

#endif
