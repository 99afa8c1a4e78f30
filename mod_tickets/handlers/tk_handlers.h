/* tk_handlers.h: the endpoints, one file per resource.
 *
 * The table of every endpoint (method, path, handler, flags) is at the top
 * of tk_router.c; the handler of /api/<resource>... is in <resource>.c:
 *
 *   health.c    GET /api/health
 *   auth.c      /api/auth/login, /api/auth/logout, /api/auth/me
 *   tokens.c    /api/tokens
 *   users.c     /api/users
 *   tickets.c   /api/tickets, /api/tickets/search, /api/tickets/:id,
 *               /api/tickets/:id/status
 *   messages.c  /api/tickets/:id/messages, /api/tickets/:id/events
 *   jobs.c      /api/jobs/stats
 *
 * A handler returns TK_SENT or TK_FAIL (request/tk_request.h).
 */
#ifndef TK_HANDLERS_H
#define TK_HANDLERS_H

#include "request/tk_request.h"

int tk_handle_health(tk_ctx_t *c);

int tk_handle_login(tk_ctx_t *c);
int tk_handle_logout(tk_ctx_t *c);
int tk_handle_me(tk_ctx_t *c);

int tk_handle_tokens_list(tk_ctx_t *c);
int tk_handle_tokens_create(tk_ctx_t *c);
int tk_handle_tokens_revoke(tk_ctx_t *c);

int tk_handle_users_list(tk_ctx_t *c);
int tk_handle_users_create(tk_ctx_t *c);
int tk_handle_users_get(tk_ctx_t *c);
int tk_handle_users_update(tk_ctx_t *c);

int tk_handle_tickets_list(tk_ctx_t *c);
int tk_handle_tickets_search(tk_ctx_t *c);
int tk_handle_tickets_create(tk_ctx_t *c);
int tk_handle_tickets_get(tk_ctx_t *c);
int tk_handle_tickets_update(tk_ctx_t *c);
int tk_handle_tickets_delete(tk_ctx_t *c);
int tk_handle_tickets_status(tk_ctx_t *c);

int tk_handle_messages_create(tk_ctx_t *c);
int tk_handle_events_list(tk_ctx_t *c);

int tk_handle_jobs_stats(tk_ctx_t *c);

/* A ticket named by :id (params[0]: uuid, number or key) as the two
 * arguments of the ticket statements; TK_FAIL (404) when it names none. */
int tk_ticket_ref_args(tk_ctx_t *c, const char **uuid, const char **number);

/* The router's hooks: the handler, and requests that name no file. */
void tk_handlers_register_hooks(apr_pool_t *p);

#endif
