/* sse_event.h: the text/event-stream wire format (WHATWG HTML, "Server-sent
 * events").
 *
 * A stream is a sequence of blocks, each ended by an empty line:
 *
 *   retry: 3000          once, first: the client's reconnection delay
 *
 *   id: 4711-42          an event: the client remembers 4711-42 and sends
 *   event: ticket_created    it back as Last-Event-ID when it reconnects
 *   data: {"id":"..."}
 *
 *   id: 4711-43          only an id: moves the client's cursor past an
 *                        event this stream filtered out, fires nothing
 *   : ping               a comment: keeps proxies from closing the stream
 *
 * Data is sent one "data:" line per line of the payload; the client joins
 * them with "\n".  A payload line break may be CRLF, CR or LF: all three
 * end a line on the wire, so they arrive as "\n" (compact JSON has none).
 * An event type or comment containing CR or LF cannot be sent and is
 * refused.
 *
 * The functions follow snprintf: they return the length of the whole
 * encoding, and write it NUL-terminated into buf only when bufsize is
 * larger than that (buf may be NULL when bufsize is 0, to measure); -1
 * when the input cannot be encoded.  The pool versions return the text
 * (NULL when refused) and its length.
 */
#ifndef SSE_EVENT_H
#define SSE_EVENT_H

#include <stdint.h>
#include <apr_pools.h>

/* Event ids are two 64-bit numbers, written "X-N": the event's position
 * in the database's event log (the writing transaction and the row), which
 * orders every event of every host.  In the functions below an id is a
 * pointer to the two numbers. */

/* The longest id text, with its NUL. */
#define SSE_EVENT_ID_MAX 42

/* The largest part of an id: the row id is a PostgreSQL bigint, and no
 * transaction id (an xid8: epoch and xid) comes near 2^63 either. */
#define SSE_EVENT_PART_MAX 9223372036854775807ULL

/* Parse "X-N" (decimal, no sign or spaces, each part at most
 * SSE_EVENT_PART_MAX) into id.  0, or -1 when s is anything else. */
int sse_event_parse_id(const char *s, uint64_t id[2]);

/* The keep-alive comment block. */
#define SSE_EVENT_PING ": ping\n\n"

/* An event: "id: X-N\n" (left out when id is NULL), "event: <type>\n" (left
 * out when type is NULL or empty: the client then fires "message"), one
 * "data: <line>\n" per line of data[0..len), then "\n".  data may be NULL
 * when len is 0 (one empty data line). */
apr_ssize_t sse_event_encode(char *buf, apr_size_t bufsize, const uint64_t *id,
                             const char *type, const char *data,
                             apr_size_t len);

/* "retry: <ms>\n\n"; -1 when ms < 0. */
apr_ssize_t sse_event_retry(char *buf, apr_size_t bufsize, long ms);

/* "id: X-N\n\n": sets the client's last event id, fires nothing; -1 when
 * id is NULL. */
apr_ssize_t sse_event_id(char *buf, apr_size_t bufsize, const uint64_t *id);

/* ": <text>\n\n" (":\n\n" for NULL or ""); -1 when text has CR or LF. */
apr_ssize_t sse_event_comment(char *buf, apr_size_t bufsize, const char *text);

/* The same, allocated from p; *len (may be NULL) gets the length. */
const char *sse_event_pencode(apr_pool_t *p, const uint64_t *id, const char *type,
                              const char *data, apr_size_t len,
                              apr_size_t *outlen);
const char *sse_event_pretry(apr_pool_t *p, long ms, apr_size_t *outlen);
const char *sse_event_pid(apr_pool_t *p, const uint64_t *id, apr_size_t *outlen);
const char *sse_event_pcomment(apr_pool_t *p, const char *text,
                               apr_size_t *outlen);

/* The block that tells a client to reload: "event: reset" with data
 * {"reason": reason} and an empty "id:" line, which clears the client's
 * last event id, so its next connection starts afresh. */
const char *sse_event_preset(apr_pool_t *p, const char *reason,
                             apr_size_t *outlen);

/* The first block of a stream: "retry: <ms>" and, when id is given, the
 * "id:" the client starts from (an id without data fires nothing but
 * sets the client's last event id). */
const char *sse_event_pstart(apr_pool_t *p, long ms, const uint64_t *id,
                             apr_size_t *outlen);

#endif
