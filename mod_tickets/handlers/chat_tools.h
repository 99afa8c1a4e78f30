/* chat_tools.h: what the assistant of an agent chat does on the user's
 * behalf (seed document 002's tools), each as the REST call it stands
 * for, made with tk_call: the same role checks, validation, transactions
 * and events as if the user had made it. */
#ifndef CHAT_TOOLS_H
#define CHAT_TOOLS_H

#include "handlers/tk_handlers.h"
#include "ai/tk_ai.h"

typedef struct {
    tk_ctx_t *c;
    const char *session_id;
    apr_array_header_t *refs;       /* tickets named this turn (uuids) */
    tk_chat_tools_t tools;          /* run and progress, for tk_chat */
} tk_chat_run_t;

void tk_chat_run_init(tk_chat_run_t *run, tk_ctx_t *c, const char *session);

/* The attached tickets (a PostgreSQL uuid[] as text) as the user reads
 * them, one line of JSON each, for the model's context. */
const char *tk_chat_attached_context(tk_chat_run_t *run, const char *attached);

/* A chat_progress event for the session's user (committed on its own). */
void tk_chat_step(tk_chat_run_t *run, const char *step, const char *tool,
                  json_t *args, int ok);

#endif
