/* tk_valid_conversations.h: bodies and query strings of
 * /api/conversations.
 *
 *   POST  /api/conversations                {"content"}  (a customer's web
 *                                            chat)
 *   PATCH /api/conversations/:id            {"status"?, "assigneeId"?,
 *                                            "mode"?, "read"?: true}
 *   POST  /api/conversations/:id/messages   {"content"}
 *   POST  /api/conversations/:id/ticket     {"title"?}
 *   GET   /api/conversations                ?status=&channelId=&platform=
 *         &assigneeId=&customerId=&mode=&q=&limit=&offset=
 *
 * A message is at most TK_REPLY_MAX characters: the shortest limit of the
 * platforms a reply may go to (Messenger's and Discord's 2000).
 */
#ifndef TK_VALID_CONVERSATIONS_H
#define TK_VALID_CONVERSATIONS_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "core/tk_error.h"
#include "valid/tk_valid.h"

#define TK_REPLY_MAX    2000

typedef struct {
    const char *status;         /* NULL: unchanged */
    tk_opt_t assignee_id;
    const char *mode;
    int read;                   /* 1: mark read */
} tk_conversation_patch_t;

typedef struct {
    const char *statuses, *channel_id, *platform, *assignee_id;
    int unassigned;
    const char *customer_id, *mode, *q;
    int limit, offset;
} tk_conversation_filter_t;

int tk_valid_conversation_patch(apr_pool_t *p, const json_t *body,
                                tk_conversation_patch_t *in, tk_err_t *err);
/* {"content"}: 1..TK_REPLY_MAX characters, multi-line. */
int tk_valid_reply(apr_pool_t *p, const json_t *body, const char **content,
                   tk_err_t *err);
int tk_valid_conversation_ticket(apr_pool_t *p, const json_t *body,
                                 const char **title, tk_err_t *err);
int tk_conversation_filter_parse(apr_pool_t *p, const apr_table_t *q,
                                 int def_limit, int max_limit,
                                 tk_conversation_filter_t *f, tk_err_t *err);

#endif
