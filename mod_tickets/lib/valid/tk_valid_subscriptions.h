/* tk_valid_subscriptions.h: bodies and query strings of /api/webhooks,
 * the organization's outbound webhook subscriptions.
 *
 *   POST  {"url", "events": [type, ...], "enabled"?}
 *   PATCH the same fields, each optional
 *   GET   ?enabled=&limit=&offset=
 *   GET   /:id/deliveries ?state=&limit=&offset=
 *
 * The URL is only parsed here (http/tk_target.h); where it resolves to is
 * judged by the glue.  Each returns 0, or -1 with *err naming the field.
 */
#ifndef TK_VALID_SUBSCRIPTIONS_H
#define TK_VALID_SUBSCRIPTIONS_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "core/tk_error.h"
#include "valid/tk_valid.h"
#include "http/tk_target.h"

/* The event types a subscription may name: the live event types, the
 * audit types, and "*" for all of them. */
extern const char *const tk_webhook_event_types[];
extern const char *const tk_delivery_states[];

typedef struct {
    const char *url;            /* NULL: unchanged */
    tk_target_t target;         /* url parsed */
    const char *events;         /* "a,b,c"; NULL: unchanged */
    int enabled;                /* -1: unchanged (create: on) */
} tk_webhook_input_t;

int tk_valid_webhook(apr_pool_t *p, const json_t *body, int create,
                     tk_webhook_input_t *in, tk_err_t *err);

#endif
