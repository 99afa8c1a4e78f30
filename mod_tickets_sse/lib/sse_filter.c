/* sse_filter.c: visibility and stream filters (see sse_filter.h).
 *
 * Visibility fails closed: a missing viewer field, an unknown role or an
 * empty org or user id sees nothing.
 */
#include <string.h>
#include <apr_strings.h>
#include "sse_filter.h"

const char *const sse_filter_types[SSE_FILTER_NTYPES] = {
    "ticket_created",
    "ticket_updated",
    "ticket_deleted",
    "ticket_message_added",
    "new_message",
    "new_conversation",
    "message_sent",
    "conversation_updated",
    "customer_created",
    "customer_updated",
    "customer_deleted",
    "copilot_job_updated",
    "chat_progress"
};

/* Types whose events only their audience sees, whatever its role. */
static int sse_is_private(const char *type)
{
    return strcmp(type, "chat_progress") == 0;
}

/* Values named in error sentences are cut to this many bytes. */
#define SSE_FILTER_QUOTE_MAX 64

/* value as it may appear in an error sentence: at most
 * SSE_FILTER_QUOTE_MAX bytes ("..." marks a cut), every byte outside
 * printable ASCII shown as '?', so the sentence is always one line of
 * valid UTF-8 whatever the client sent. */
static const char *sse_filter_quote(apr_pool_t *p, const char *value)
{
    apr_size_t n = strnlen(value, SSE_FILTER_QUOTE_MAX + 1), i;
    int cut = n > SSE_FILTER_QUOTE_MAX;
    char *q;

    if (cut) {
        n = SSE_FILTER_QUOTE_MAX;
    }
    q = apr_palloc(p, n + 4);
    for (i = 0; i < n; ++i) {
        unsigned char c = (unsigned char)value[i];

        q[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    memcpy(q + n, cut ? "..." : "", cut ? 4 : 1);
    return q;
}

int sse_filter_type_index(const char *type)
{
    int i;

    if (type == NULL) {
        return -1;
    }
    for (i = 0; i < SSE_FILTER_NTYPES; ++i) {
        if (strcmp(type, sse_filter_types[i]) == 0) {
            return i;
        }
    }
    return -1;
}

/* ---- parse ----------------------------------------------------------------- */

static int sse_filter_fail(apr_pool_t *p, const char **error, const char *fmt,
                           const char *name, const char *value)
{
    if (error) {
        *error = apr_psprintf(p, fmt, name, sse_filter_quote(p, value));
    }
    return -1;
}

static int sse_filter_types_parse(apr_pool_t *p, const char *types,
                                  unsigned *mask, const char **error)
{
    const char *item = types;

    *mask = 0;
    for (;;) {
        const char *end = strchr(item, ',');
        apr_size_t n = end ? (apr_size_t)(end - item) : strlen(item);
        char *name = apr_pstrmemdup(p, item, n);
        int i;

        if (n == 0) {
            return sse_filter_fail(p, error, "Parameter \"%s\" has an empty "
                                   "item in \"%s\".", "types", types);
        }
        i = sse_filter_type_index(name);
        if (i < 0) {
            return sse_filter_fail(p, error, "Parameter \"%s\": unknown event "
                                   "type \"%s\".", "types", name);
        }
        if (*mask & (1u << i)) {
            return sse_filter_fail(p, error, "Parameter \"%s\": event type "
                                   "\"%s\" is listed twice.", "types", name);
        }
        *mask |= 1u << i;
        if (!end) {
            return 0;
        }
        item = end + 1;
    }
}

/* A uuid parameter, lowercased into *out. */
static int sse_filter_uuid_parse(apr_pool_t *p, const char *name,
                                 const char *value, const char **out,
                                 const char **error)
{
    char *lower;
    apr_size_t i, n = strlen(value);

    lower = apr_pstrmemdup(p, value, n);
    for (i = 0; i < n; ++i) {
        if (lower[i] >= 'A' && lower[i] <= 'F') {
            lower[i] = (char)(lower[i] - 'A' + 'a');
        }
    }
    if (!sse_record_uuid_valid(lower, n)) {
        return sse_filter_fail(p, error, "Parameter \"%s\" must be a uuid, "
                               "not \"%s\".", name, value);
    }
    *out = lower;
    return 0;
}

int sse_filter_parse(apr_pool_t *p, const char *types, const char *ticket,
                     const char *conversation, sse_filter_t *out,
                     const char **error)
{
    memset(out, 0, sizeof(*out));
    if (types && sse_filter_types_parse(p, types, &out->types, error) != 0) {
        return -1;
    }
    if (ticket && sse_filter_uuid_parse(p, "ticket", ticket, &out->ticket,
                                        error) != 0) {
        return -1;
    }
    if (conversation && sse_filter_uuid_parse(p, "conversation", conversation,
                                              &out->conversation, error) != 0) {
        return -1;
    }
    return 0;
}

/* ---- match ----------------------------------------------------------------- */

/* a and b equal and not empty (NULL counts as empty). */
static int sse_same_id(const char *a, const char *b)
{
    return a && b && *a && strcmp(a, b) == 0;
}

static int sse_is_staff(const char *role)
{
    return role && (strcmp(role, "admin") == 0 || strcmp(role, "agent") == 0
                    || strcmp(role, "viewer") == 0);
}

int sse_visible(const sse_viewer_t *viewer, const sse_record_t *rec)
{
    int i, staff, customer;

    if (!viewer || !rec || !sse_same_id(viewer->org, rec->org)
        || strcmp(rec->type, SSE_REVOKED_TYPE) == 0) {
        return 0;
    }
    staff = sse_is_staff(viewer->role);
    customer = viewer->role && strcmp(viewer->role, "customer") == 0;
    if (!staff && !customer) {
        return 0;
    }
    if (!sse_is_private(rec->type)) {
        if (staff) {
            return 1;
        }
        if (rec->staff_only) {
            return 0;
        }
    }
    for (i = 0; i < SSE_RECORD_AUDIENCE; ++i) {
        if (sse_same_id(viewer->user, rec->audience[i])) {
            return 1;
        }
    }
    return 0;
}

int sse_wanted(const sse_filter_t *f, const sse_record_t *rec)
{
    if (!f || !rec || !rec->type) {
        return 0;
    }
    if (f->tickets_only && strncmp(rec->type, "ticket_", 7) != 0) {
        return 0;
    }
    if (f->types) {
        int i = sse_filter_type_index(rec->type);

        if (i < 0 || !(f->types & (1u << i))) {
            return 0;
        }
    }
    if (f->ticket && !sse_same_id(f->ticket, rec->ticket)) {
        return 0;
    }
    if (f->conversation && !sse_same_id(f->conversation, rec->conversation)) {
        return 0;
    }
    return 1;
}

/* 1 when data is exactly {"<key>":"<value>"} (compact JSON). */
static int sse_data_is(const char *data, apr_size_t len, const char *key,
                       const char *value)
{
    apr_size_t k = strlen(key), v = strlen(value);

    return len == k + v + 7 && memcmp(data, "{\"", 2) == 0
           && memcmp(data + 2, key, k) == 0
           && memcmp(data + 2 + k, "\":\"", 3) == 0
           && memcmp(data + 5 + k, value, v) == 0
           && memcmp(data + 5 + k + v, "\"}", 2) == 0;
}

int sse_revokes(const sse_viewer_t *viewer, const char *credential,
                const sse_record_t *rec)
{
    if (!viewer->org || strcmp(rec->type, SSE_REVOKED_TYPE) != 0
        || strcmp(rec->org, viewer->org) != 0 || !rec->data) {
        return 0;
    }
    return (credential && *credential
            && sse_data_is(rec->data, rec->data_len, "credential", credential))
           || (viewer->user && *viewer->user
               && sse_data_is(rec->data, rec->data_len, "user", viewer->user));
}
