/* tk_revlog.h: what every child of a host must stop trusting.
 *
 * Each child keeps verified credentials in a cache of its own (tk_cache.h)
 * for a short time.  When a token or session is revoked, or a user's
 * account changes (disabled, role, password), every child must forget
 * what it verified for that credential or user at once.  The revocation
 * log is a small array in shared memory: whoever learns of a revocation
 * (the request that made it, or the relay that read it from another host)
 * adds an entry; each child, before it trusts its cache, reads the entries
 * added since it last looked and forgets what they name.
 *
 *   +----------+---------------------------------------------+
 *   | reserved | slot 0 | slot 1 | ...  | slot TK_REVLOG_SLOTS-1 |
 *   +----------+---------------------------------------------+
 *   slot: seq (the entry's number, 0 while it is written) | kind | value
 *
 * Entries are numbered 1, 2, ... and entry n lives in slot n % SLOTS.  A
 * writer takes its number with one atomic add and publishes the slot by
 * storing the number last; a reader copies a slot and checks the number
 * before and after.  A reader that finds a slot overwritten (it fell more
 * than SLOTS behind) or not yet published (a writer is between the two
 * steps) cannot know what it missed: it is told so, and forgets
 * everything, which is always safe.  No locks, so a child that dies
 * anywhere leaves nothing held.
 */
#ifndef TK_REVLOG_H
#define TK_REVLOG_H

#include <stddef.h>
#include <stdint.h>

#define TK_REVLOG_SLOTS     256
#define TK_REVLOG_VALUE_MAX 47          /* a uuid or a credential name */

typedef struct tk_revlog_t tk_revlog_t;

/* What an entry names. */
#define TK_REVLOG_CREDENTIAL 'c'        /* a credential name, "t:..." */
#define TK_REVLOG_USER       'u'        /* a user uuid */

/* Bytes of shared memory a log takes. */
size_t tk_revlog_size(void);

/* A fresh, empty log in mem (tk_revlog_size() bytes, 8-aligned). */
tk_revlog_t *tk_revlog_init(void *mem);

/* Add an entry; value longer than TK_REVLOG_VALUE_MAX is refused (-1). */
int tk_revlog_add(tk_revlog_t *log, char kind, const char *value);

/* The number of the newest entry (0: none yet). */
uint64_t tk_revlog_newest(const tk_revlog_t *log);

/* Call fn for each entry after `after`, up to `upto` (a tk_revlog_newest
 * value), in order.  0 when every one was read; -1 when one could not be
 * (overwritten or still being written): the caller must forget
 * everything. */
typedef void tk_revlog_fn(char kind, const char *value, void *data);
int tk_revlog_read(const tk_revlog_t *log, uint64_t after, uint64_t upto,
                   tk_revlog_fn *fn, void *data);

#endif
