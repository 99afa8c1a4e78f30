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
 *   attachments.c  /api/tickets/:id/attachments, /api/attachments/:id
 *   transcripts.c  /api/tickets/:id/transcript, /api/transcripts/rekey
 *   articles.c  /api/tickets/:id/articles, /:id/articles/:articleId
 *   faqs.c      /api/faqs, /api/faqs/search, /api/faqs/:id, and the
 *               public pages /api/public/:org/faqs...
 *   jobs.c      /api/jobs/stats
 *   customers.c      /api/customers, /:id, /:id/merge
 *   channels.c       /api/channels, /:id, /:id/secrets
 *   conversations.c  /api/conversations, /:id, /:id/messages,
 *                    /:id/messages/:mid/retry, /:id/ticket
 *   subscriptions.c  /api/webhooks, /:id, /:id/rotate, /:id/test,
 *                    /:id/deliveries, /deliveries/:id, /deliveries/:id/replay
 *                    (outbound subscriptions)
 *   copilot.c        /api/copilot/v1/{analyze,suggest,draft-reply,chat},
 *                    /api/copilot/v1/status/:id, /api/tickets/:id/suggestions
 *   ai.c             /api/ai/usage, /api/ai/budget
 *   chat.c           /api/chat/sessions, /:id, /:id/tickets, /:id/messages,
 *                    /api/chat/tickets (agent chat; its tools in
 *                    chat_tools.c)
 *   webhooks.c       /webhooks/facebook, /webhooks/zalo, /webhooks/tiktok
 *   discord.c        /webhooks/discord
 *
 * A handler returns TK_SENT or TK_FAIL (request/tk_request.h).
 */
#ifndef TK_HANDLERS_H
#define TK_HANDLERS_H

#include "request/tk_request.h"

/* Call the handler of method and path (a route's pattern matched, as
 * "/api/tickets/TKT-0047"; args the query string for a route that takes
 * one) as c's caller would over REST, from within this request: the same
 * checks of role and input, its own transaction, its events; no header of
 * the outer request is seen, and none of the call's answer is sent (the
 * outer request was rate limited already; the call is not counted
 * again).  *status and *doc (owned by the request; NULL for 204) are what
 * the client would have got, an error document included.  A handler so
 * called must keep c's database connection (never tk_db_release it).
 * TK_OK. */
int tk_call(tk_ctx_t *c, const char *method, const char *path,
            const char *args, json_t *body, int *status, json_t **doc);

int tk_handle_health(tk_ctx_t *c);
int tk_handle_openapi(tk_ctx_t *c);

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

int tk_handle_attachments_create(tk_ctx_t *c);
int tk_handle_attachments_get(tk_ctx_t *c);

int tk_handle_transcripts_get(tk_ctx_t *c);
int tk_handle_transcripts_rekey(tk_ctx_t *c);
/* Inside the change that closes ticket_id: its transcript sealed and
 * stored (nothing without TicketsTranscriptKeyFile).  TK_OK or TK_FAIL. */
int tk_transcript_store(tk_ctx_t *c, const char *ticket_id);

int tk_handle_articles_list(tk_ctx_t *c);
int tk_handle_articles_link(tk_ctx_t *c);
int tk_handle_articles_unlink(tk_ctx_t *c);

int tk_handle_faqs_list(tk_ctx_t *c);
int tk_handle_faqs_create(tk_ctx_t *c);
int tk_handle_faqs_search(tk_ctx_t *c);
int tk_handle_faqs_get(tk_ctx_t *c);
int tk_handle_faqs_update(tk_ctx_t *c);
int tk_handle_faqs_delete(tk_ctx_t *c);
int tk_handle_public_faqs_list(tk_ctx_t *c);
int tk_handle_public_faqs_search(tk_ctx_t *c);
int tk_handle_public_faqs_get(tk_ctx_t *c);

int tk_handle_jobs_stats(tk_ctx_t *c);

int tk_handle_customers_list(tk_ctx_t *c);
int tk_handle_customers_create(tk_ctx_t *c);
int tk_handle_customers_get(tk_ctx_t *c);
int tk_handle_customers_update(tk_ctx_t *c);
int tk_handle_customers_delete(tk_ctx_t *c);
int tk_handle_customers_merge(tk_ctx_t *c);

int tk_handle_channels_list(tk_ctx_t *c);
int tk_handle_channels_create(tk_ctx_t *c);
int tk_handle_channels_get(tk_ctx_t *c);
int tk_handle_channels_update(tk_ctx_t *c);
int tk_handle_channels_secrets(tk_ctx_t *c);
int tk_handle_channels_delete(tk_ctx_t *c);

int tk_handle_webhooks_list(tk_ctx_t *c);
int tk_handle_webhooks_create(tk_ctx_t *c);
int tk_handle_webhooks_get(tk_ctx_t *c);
int tk_handle_webhooks_update(tk_ctx_t *c);
int tk_handle_webhooks_delete(tk_ctx_t *c);
int tk_handle_webhooks_rotate(tk_ctx_t *c);
int tk_handle_webhooks_test(tk_ctx_t *c);
int tk_handle_deliveries_list(tk_ctx_t *c);
int tk_handle_deliveries_get(tk_ctx_t *c);
int tk_handle_deliveries_replay(tk_ctx_t *c);

int tk_handle_conversations_list(tk_ctx_t *c);
int tk_handle_conversations_create(tk_ctx_t *c);
int tk_handle_conversations_get(tk_ctx_t *c);
int tk_handle_conversations_update(tk_ctx_t *c);
int tk_handle_conversation_messages(tk_ctx_t *c);
int tk_handle_conversation_reply(tk_ctx_t *c);
int tk_handle_conversation_retry(tk_ctx_t *c);
int tk_handle_conversation_ticket(tk_ctx_t *c);
int tk_handle_conversation_transfer(tk_ctx_t *c);

int tk_handle_webhook_facebook_verify(tk_ctx_t *c);
int tk_handle_webhook_facebook(tk_ctx_t *c);
int tk_handle_webhook_zalo(tk_ctx_t *c);
int tk_handle_webhook_tiktok(tk_ctx_t *c);
int tk_handle_webhook_discord(tk_ctx_t *c);

/* The channel a webhook's URL names (params[0]) on platform, with its
 * secrets and settings: TK_FAIL (404) when there is none (webhooks.c). */
typedef struct {
    const char *id;
    const char *org_id;
    const char *account_id;
    json_t *secrets;
    json_t *settings;
} tk_webhook_channel_t;

int tk_webhook_channel(tk_ctx_t *c, const char *platform,
                       tk_webhook_channel_t *ch);
/* A secret of the channel; NULL when not set. */
const char *tk_webhook_secret(const tk_webhook_channel_t *ch,
                              const char *name);
/* 401 INVALID_SIGNATURE, logged at info with why (never a secret). */
int tk_webhook_refuse(tk_ctx_t *c, const tk_webhook_channel_t *ch,
                      const char *why);

/* A ticket named by :id (params[0]: uuid, number or key) as the two
 * arguments of the ticket statements; TK_FAIL (404) when it names none. */
int tk_ticket_ref_args(tk_ctx_t *c, const char **uuid, const char **number);
/* The ticket named by :id as the caller may see it (a customer: their
 * own): its uuid, or TK_FAIL (404); with lock, locked (FOR UPDATE, inside
 * a transaction). */
int tk_ticket_visible(tk_ctx_t *c, int lock, const char **ticket_id);

/* The router's hooks: the handler, and requests that name no file. */
void tk_handlers_register_hooks(apr_pool_t *p);

/* copilot.c */
int tk_handle_copilot_start(tk_ctx_t *c);
int tk_handle_copilot_status(tk_ctx_t *c);
int tk_handle_ticket_suggestions(tk_ctx_t *c);

/* chat.c */
int tk_handle_chat_sessions_create(tk_ctx_t *c);
int tk_handle_chat_sessions_list(tk_ctx_t *c);
int tk_handle_chat_sessions_get(tk_ctx_t *c);
int tk_handle_chat_sessions_delete(tk_ctx_t *c);
int tk_handle_chat_sessions_tickets(tk_ctx_t *c);
int tk_handle_chat_messages_create(tk_ctx_t *c);
int tk_handle_chat_tickets_create(tk_ctx_t *c);

/* ai.c; and whether a request may call the AI now: TK_OK, or TK_FAIL with
 * 503 AI_UNAVAILABLE (no provider), 429 AI_BUDGET_EXCEEDED (the month's
 * budget is spent) or 503 DB_UNAVAILABLE. */
int tk_ai_ready(tk_ctx_t *c);
int tk_handle_ai_usage(tk_ctx_t *c);
int tk_handle_ai_budget_get(tk_ctx_t *c);
int tk_handle_ai_budget_set(tk_ctx_t *c);

#endif
