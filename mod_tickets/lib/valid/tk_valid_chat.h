/* tk_valid_chat.h: what an agent sends to /api/chat (seed document 002):
 * a session's title, the tickets to attach and detach, a message, and a
 * ticket made from chat. */
#ifndef TK_VALID_CHAT_H
#define TK_VALID_CHAT_H

#include <apr_pools.h>
#include <jansson.h>
#include "core/tk_error.h"

#define TK_CHAT_TITLE_MAX    120
#define TK_CHAT_MESSAGE_MAX  4000
#define TK_CHAT_ATTACHED_MAX 20

/* {"title"?}: *title NULL when absent. */
int tk_valid_chat_session(apr_pool_t *p, const json_t *body,
                          const char **title, tk_err_t *err);

/* {"attach": [uuid...], "detach": [uuid...]}, either optional but not
 * both, each at most TK_CHAT_ATTACHED_MAX distinct uuids: as JSON array
 * texts ("[]" when absent). */
int tk_valid_chat_tickets(apr_pool_t *p, const json_t *body,
                          const char **attach, const char **detach,
                          tk_err_t *err);

/* {"content"}: 1 to TK_CHAT_MESSAGE_MAX characters. */
int tk_valid_chat_message(apr_pool_t *p, const json_t *body,
                          const char **content, tk_err_t *err);

/* The title a session gets from its first message: its first line, at
 * most 60 characters, cut at a word where one ends near there, with "…"
 * when cut. */
const char *tk_chat_title_of(apr_pool_t *p, const char *message);

#endif
