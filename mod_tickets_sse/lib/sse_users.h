/* sse_users.h: how many streams each user holds, across every process of a
 * host, so one user cannot take more than a set number of them.
 *
 * A fixed table in shared memory (an APR shared-memory segment in
 * production, malloc or mmap in tests), counted under a robust,
 * process-shared mutex taken only when a stream opens or closes.  Users
 * are keys of up to SSE_USERS_KEY_MAX - 1 bytes (uuids).  Like the ring,
 * the handle is the region itself and nothing here knows httpd or APR.
 *
 * A process that dies holding streams (kill -9) leaves its users' counts
 * too high until the table is made afresh (a full restart); a process
 * that dies holding the mutex leaves it recoverable, and the next caller
 * carries on.
 */
#ifndef SSE_USERS_H
#define SSE_USERS_H

#include <stddef.h>

typedef struct sse_users_t sse_users_t;

typedef enum {
    SSE_USERS_OK = 0,
    SSE_USERS_LIMIT,        /* enter: the user holds limit streams already */
    SSE_USERS_FULL,         /* enter: no room for another user */
    SSE_USERS_EINVAL,       /* bad argument, key too long, region too small */
    SSE_USERS_MISMATCH,     /* attach: not a table of this layout and size */
    SSE_USERS_ELOCK         /* the mutex failed or is unrecoverable */
} sse_users_rc_t;

/* Longest key, with its NUL. */
#define SSE_USERS_KEY_MAX 40

/* Bytes a table of slots users needs (a multiple of 8). */
size_t sse_users_size(unsigned slots);

/* Make a fresh, empty table in mem (size bytes, 8-byte aligned); the
 * number of slots follows from size. */
sse_users_rc_t sse_users_init(sse_users_t **users, void *mem, size_t size);

/* Use the table an earlier sse_users_init made in mem. */
sse_users_rc_t sse_users_attach(sse_users_t **users, void *mem, size_t size);

/* Count one more stream of user (of organization org): OK (counted),
 * LIMIT when the user holds limit already (limit 0: no limit), FULL when
 * every slot holds another user with streams; nothing is counted unless
 * OK. */
sse_users_rc_t sse_users_enter(sse_users_t *users, const char *user,
                               const char *org, unsigned limit);

/* Count one stream of user out (no-op when it holds none). */
void sse_users_leave(sse_users_t *users, const char *user);

/* Streams user holds now. */
unsigned sse_users_count(sse_users_t *users, const char *user);

/* Users holding at least one stream, of organization org (NULL: of
 * every one). */
unsigned sse_users_active(sse_users_t *users, const char *org);

/* Streams those users hold. */
unsigned sse_users_streams(sse_users_t *users, const char *org);

/* For tests only: when set, called by sse_users_enter with the mutex
 * held, before it counts, so a test can kill the process there. */
extern void (*sse_users_test_hook)(void);

#endif
