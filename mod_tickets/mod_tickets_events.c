/* mod_tickets_events.c: mod_tickets' side of the live event streams.
 *
 * mod_tickets_sse (a separate module, possibly absent) serves the streams;
 * this file is everything mod_tickets does for it, through the optional
 * functions declared in mod_tickets_sse/mod_tickets_sse.h:
 *
 *   tickets_identify   exported here: the stream handler asks who is
 *                      calling, answered by the same authentication as
 *                      the REST API (session cookie, token, Basic, SSO).
 */
#include <apr_strings.h>
#include <http_protocol.h>
#include "mod_tickets.h"
#include "mod_tickets_sse.h"

/* ---------------------------------------------------------------------
 * tickets_identify
 * ------------------------------------------------------------------- */

static int tk_identify_refuse(request_rec *r, tk_ecode_t code,
                              const char *message)
{
    int status = tk_ecode_status(code);

    apr_table_setn(r->notes, "tickets-error-code", tk_ecode_name(code));
    apr_table_setn(r->notes, "tickets-error-message",
                   message ? message : "An internal error occurred.");
    if (status == HTTP_UNAUTHORIZED) {
        apr_table_setn(r->err_headers_out, "WWW-Authenticate",
                       "Bearer realm=\"tickets\"");
    }
    if (status == HTTP_SERVICE_UNAVAILABLE) {
        apr_table_setn(r->err_headers_out, "Retry-After", "5");
    }
    return status;
}

int tickets_identify(request_rec *r, tickets_identity_t *out)
{
    tk_ctx_t *c = tk_ctx_get(r);

    if (tk_resolve_identity(c) != TK_DONE) {
        return tk_identify_refuse(r, c->err.code != TK_E_NONE ? c->err.code
                                                              : TK_E_INTERNAL,
                                  c->err.message);
    }
    if (!c->who) {
        return tk_identify_refuse(r, TK_E_UNAUTHENTICATED,
                                  "Sign in, or send an API token or Basic "
                                  "credentials.");
    }
    apr_cpystrn(out->org, c->who->org_id, sizeof(out->org));
    apr_cpystrn(out->user, c->who->user_id, sizeof(out->user));
    apr_cpystrn(out->role, c->who->role, sizeof(out->role));
    return OK;
}
