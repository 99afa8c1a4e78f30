/* tk_platform.h: what the chat platforms send us and what we send them.
 *
 * Inbound (tk_inbound.c): a webhook delivery's body, already checked
 * against its signature (tk_signature.h), becomes a list of customer
 * messages in one shape whatever the platform; what is not a customer's
 * text message (Facebook's echoes of the page's own sends, Zalo's other
 * events, TikTok's other events) is counted and skipped.  Discord's
 * interactions are read into their own shape (tk_discord_t).
 *
 * Outbound (tk_outbound.c): a reply becomes the platform's send request
 * (URL, headers, JSON body) for tk_http_perform, and the platform's
 * answer becomes a verdict: sent (with the platform's message id), try
 * again (and when), or failed for good (with the platform's message).
 *
 * Nothing here touches the network or the database.
 */
#ifndef TK_PLATFORM_H
#define TK_PLATFORM_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "http/tk_http.h"

typedef enum {
    TK_PLATFORM_WEB = 0,
    TK_PLATFORM_FACEBOOK,
    TK_PLATFORM_ZALO,
    TK_PLATFORM_TIKTOK,
    TK_PLATFORM_DISCORD
} tk_platform_t;

/* "web", "facebook", "zalo", "tiktok", "discord". */
const char *tk_platform_name(tk_platform_t platform);
/* 0 and *platform for one of those names, else -1. */
int tk_platform_parse(const char *name, tk_platform_t *platform);

/* ---------------------------------------------------------------------
 * Inbound (tk_inbound.c)
 * ------------------------------------------------------------------- */

/* One customer message of a delivery.  Strings point into p. */
typedef struct {
    const char *account_id;     /* the page, OA, or business it was sent to */
    const char *user_id;        /* the customer's id on the platform */
    const char *user_name;      /* NULL when the delivery has none */
    const char *thread_id;      /* where a reply goes: Facebook and Zalo
                                 * the user's id, TikTok the
                                 * conversation_id */
    const char *message_id;     /* the platform's message id (never NULL) */
    const char *text;           /* UTF-8 (never NULL; may be "") */
    apr_int64_t sent_at_ms;     /* the platform's time; 0 when none */
} tk_inbound_t;

/* Read a delivery of platform (Facebook, Zalo or TikTok) into *msgs
 * (tk_inbound_t elements) and *ignored (items skipped).  0, or -1 with
 * *why (a sentence) when the body is not such a delivery; then *msgs is
 * empty and *ignored 0.  docs/platforms.md says what each reads. */
int tk_inbound_parse(apr_pool_t *p, tk_platform_t platform,
                     const char *body, apr_size_t len,
                     apr_array_header_t **msgs, int *ignored,
                     const char **why);

/* Zalo signs app_id + body + the body's "timestamp" field; that field,
 * read from the raw body before anything else of it is used.  NULL when
 * the body has no such string (or number). */
const char *tk_inbound_zalo_timestamp(apr_pool_t *p, const char *body,
                                      apr_size_t len);

/* A Discord interaction. */
typedef enum {
    TK_DISCORD_PING = 1,
    TK_DISCORD_COMMAND = 2,
    TK_DISCORD_OTHER = 0
} tk_discord_type_t;

typedef struct {
    tk_discord_type_t type;
    const char *id;             /* the interaction's id */
    const char *application_id;
    const char *guild_id;       /* NULL in a direct message */
    const char *channel_id;
    const char *command;        /* data.name, e.g. "ticket" */
    const char *subcommand;     /* the first option of type 1: "open";
                                 * NULL when there is none */
    const char *subject;        /* the subcommand's option "subject" */
    const char *description;    /* ... "description"; each NULL when
                                 * absent */
    const char *user_id;        /* member.user or user */
    const char *username;
    const char *global_name;    /* NULL when absent */
} tk_discord_t;

/* 0, or -1 with *why.  Ids and username are required for a command
 * (type 2); a PING or another type needs only id and application_id. */
int tk_discord_parse(apr_pool_t *p, const char *body, apr_size_t len,
                     tk_discord_t *out, const char **why);

/* ---------------------------------------------------------------------
 * Outbound (tk_outbound.c)
 * ------------------------------------------------------------------- */

typedef struct {
    const char *base;           /* the API base URL, no trailing '/';
                                 * NULL: the platform's own */
    const char *account_id;     /* page, OA, business or application id */
    const char *token;          /* accessToken, or Discord's botToken */
    const char *version;        /* Facebook's Graph API version; NULL:
                                 * TK_FACEBOOK_GRAPH_VERSION */
    const char *recipient;      /* Facebook PSID, Zalo user_id, TikTok
                                 * conversation_id, Discord channel id */
    const char *text;
} tk_send_t;

#define TK_FACEBOOK_GRAPH_VERSION "v19.0"

/* The platform's default API base URL. */
const char *tk_send_default_base(tk_platform_t platform);

/* Fill req's method, url, headers and body for sending in (the timeouts
 * and size cap are the caller's).  0, or -1 for the web platform, which
 * has no send API, and for an in without token, recipient or text (or,
 * for TikTok, account_id), with a CR or LF in the token or recipient, or
 * with text that is not UTF-8. */
int tk_send_request(apr_pool_t *p, tk_platform_t platform,
                    const tk_send_t *in, tk_http_req_t *req);

typedef enum {
    TK_SEND_SENT = 0,           /* the platform took it */
    TK_SEND_RETRY,              /* try again (after retry_after if >= 0) */
    TK_SEND_FAILED              /* for good: error says why */
} tk_send_verdict_t;

typedef struct {
    tk_send_verdict_t verdict;
    const char *message_id;     /* TK_SEND_SENT: the platform's id */
    const char *error;          /* otherwise: a sentence, the platform's
                                 * message when it gave one */
    double retry_after;         /* seconds; -1: none asked */
} tk_send_outcome_t;

/* The verdict on one attempt: rv and resp as tk_http_perform left them,
 * now for Retry-After dates. */
void tk_send_judge(apr_pool_t *p, tk_platform_t platform, apr_status_t rv,
                   const tk_http_resp_t *resp, apr_time_t now,
                   tk_send_outcome_t *out);

#endif
