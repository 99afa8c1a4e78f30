/* sse_status.c: the module's figures, for people and monitors.
 *
 * One function gathers them (sse_figures): open streams on each path,
 * streams started, resumes from the ring and from the database, resets,
 * refusals, revocations, the event loop's blocked writes and dropped slow
 * clients, what the relay appended and how late, and the ring's size,
 * use and ids.  Two places show them:
 *
 *   mod_status (/server-status)    a section of the page, or with ?auto
 *                                  "TicketsSSE<Name>: <value>" lines: the
 *                                  host's figures, for its operators
 *   GET /api/events/stats          (an organization's admins) as JSON,
 *                                  in handlers/sse_handler.c: only that
 *                                  organization's streams and users, never
 *                                  a figure or an event id that another
 *                                  organization's activity moves
 *
 * Counters live in the shared segment (shm/sse_segment.c), so every
 * figure is the host's, across children and generations, except the
 * ones ending in "Here" (the child that answered).
 */
#include <apr_strings.h>
#include <apr_lib.h>
#include <http_protocol.h>
#include <mod_status.h>
#include "status/sse_status.h"

static json_int_t sse_load64(const apr_uint64_t *v)
{
    return (json_int_t)__atomic_load_n(v, __ATOMIC_RELAXED);
}

static json_int_t sse_load32(const apr_uint32_t *v)
{
    return (json_int_t)__atomic_load_n(v, __ATOMIC_RELAXED);
}

json_t *sse_figures(apr_pool_t *p)
{
    sse_counters_t *k = sse_counters();
    sse_ring_stats_t rs;
    uint64_t newest[2] = { 0, 0 };
    json_int_t open, loop;

    if (!sse_ring() || !k) {
        return NULL;
    }
    sse_ring_stats(sse_ring(), &rs);
    sse_ring_last_tag(sse_ring(), newest);
    open = sse_load32(&k->streams_open);
    loop = sse_load32(&k->streams_loop);
    return json_pack(
        "{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
        "s:I,s:I,s:I,s:I,s:s,s:{s:I,s:I,s:I,s:I,s:I,s:I}}",
        "streamsOpen", open,
        "streamsOnLoop", loop,
        "streamsOnThreads", open > loop ? open - loop : 0,
        "streamsOpenHere", (json_int_t)sse_child_streams(),
        "streamsOnLoopHere", (json_int_t)sse_loop_streams(),
        "streamsStarted", sse_load64(&k->streams_total),
        "usersStreaming", (json_int_t)(sse_users() ? sse_users_active(sse_users(), NULL) : 0),
        "resumes", sse_load64(&k->resumes),
        "resumesFromDatabase", sse_load64(&k->resumes_log),
        "resets", sse_load64(&k->resets),
        "refused", sse_load64(&k->refused),
        "refusedPerUser", sse_load64(&k->refused_user),
        "refusedCatchingUp", sse_load64(&k->refused_replay),
        "revoked", sse_load64(&k->revoked),
        "writesBlocked", sse_load64(&k->writes_blocked),
        "slowClientsDropped", sse_load64(&k->slow_dropped),
        "appended", (json_int_t)rs.appended,
        "relayLagMs", sse_load64(&k->relay_lag_us) / 1000,
        "relayLagMaxMs", sse_load64(&k->relay_lag_max_us) / 1000,
        "newestEventId", apr_psprintf(p, "%" APR_UINT64_T_FMT "-%"
                                      APR_UINT64_T_FMT,
                                      (apr_uint64_t)newest[0],
                                      (apr_uint64_t)newest[1]),
        "ring",
        "size", (json_int_t)rs.size,
        "dataSize", (json_int_t)rs.data_size,
        "used", (json_int_t)rs.used,
        "oldestId", (json_int_t)rs.oldest_seq,
        "newestId", (json_int_t)rs.newest_seq,
        "wraps", (json_int_t)rs.wraps);
}

json_t *sse_org_figures(const char *org)
{
    sse_users_t *u = sse_users();

    if (!sse_ring() || !u) {
        return NULL;
    }
    return json_pack("{s:I,s:I}",
                     "streamsOpen", (json_int_t)sse_users_streams(u, org),
                     "usersStreaming", (json_int_t)sse_users_active(u, org));
}

/* "streamsOpen" -> "StreamsOpen", with a prefix ("Ring" for the ring's). */
static const char *sse_status_name(apr_pool_t *p, const char *prefix,
                                   const char *key)
{
    char *name = apr_pstrcat(p, "TicketsSSE", prefix, key, NULL);
    char *first = name + strlen("TicketsSSE") + strlen(prefix);

    *first = (char)apr_toupper(*first);
    return name;
}

static void sse_status_value(request_rec *r, const char *name, json_t *v,
                             int text_only)
{
    const char *value = json_is_string(v)
        ? json_string_value(v)
        : apr_psprintf(r->pool, "%" APR_INT64_T_FMT,
                       (apr_int64_t)json_integer_value(v));

    if (text_only) {
        ap_rprintf(r, "%s: %s\n", name, value);
    }
    else {
        ap_rprintf(r, "<tr><td>%s</td><td>%s</td></tr>\n", name,
                   ap_escape_html(r->pool, value));
    }
}

static int sse_status_hook(request_rec *r, int flags)
{
    int text_only = (flags & AP_STATUS_SHORT) != 0;
    json_t *figures = sse_figures(r->pool), *v, *ring;
    const char *key;

    if (!figures) {
        return OK;
    }
    if (!text_only) {
        ap_rputs("<hr />\n<h2>mod_tickets_sse: live event streams</h2>\n"
                 "<table border=\"0\">\n", r);
    }
    json_object_foreach(figures, key, v) {
        if (json_is_object(v)) {
            continue;
        }
        sse_status_value(r, sse_status_name(r->pool, "", key), v, text_only);
    }
    ring = json_object_get(figures, "ring");
    json_object_foreach(ring, key, v) {
        sse_status_value(r, sse_status_name(r->pool, "Ring", key), v,
                         text_only);
    }
    if (!text_only) {
        ap_rputs("</table>\n", r);
    }
    json_decref(figures);
    return OK;
}

void sse_status_register_hooks(apr_pool_t *p)
{
    (void)p;
    APR_OPTIONAL_HOOK(ap, status_hook, sse_status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);
}
