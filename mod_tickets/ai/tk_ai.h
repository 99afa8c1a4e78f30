/* tk_ai.h: the AI layer's glue (docs/ai.md).
 *
 *   tk_ai.c       one call to the provider: configured or not, the
 *                 organization's budget, the redaction of every message,
 *                 the answer cache, the attempts with their backoff within
 *                 TicketsLLMTimeout, the json_schema fallback, and a row
 *                 of the ledger for every call; the key file read at
 *                 start-up
 *   tk_copilot.c  the copilot's jobs (copilot.run) and their sweep
 *   tk_chat.c     the assistant's turn in an agent chat: the model with
 *                 seed document 002's tools, until it answers
 *   tk_customer_chat.c  the AI in the web chat (conversation.ai jobs), and
 *                 the handoff to a human
 *
 * The provider's settings are read from the main server, for requests
 * and jobs alike.
 */
#ifndef TK_AI_H
#define TK_AI_H

#include "work/tk_work.h"
#include "llm/tk_llm.h"

/* Whether a provider is configured (an endpoint and a model). */
int tk_ai_configured(void);

typedef struct {
    /* Who and what the ledger row names (NULL: none). */
    const char *org_id;
    const char *user_id;
    const char *ticket_id;
    const char *conversation_id;
    const char *chat_session_id;
    const char *purpose;            /* "copilot.analysis", "chat", ... */
    /* The request; its model is the configured one, its max_tokens the
     * configured one when 0.  Its messages are redacted before they
     * are sent (the caller's are left as they are). */
    tk_llm_request_t req;
    int no_cache;                   /* an answer that must be new */
    /* When the call must be over, retries included: 0, TicketsLLMTimeout
     * from its start; a job's calls share one, within its lease. */
    apr_time_t deadline;
    struct tk_http_conns_t *conns;  /* a worker's connections, or NULL */
} tk_ai_call_t;

typedef struct {
    tk_llm_answer_t answer;
    int cached;
    int json_object;                /* json_schema was refused: the call
                                     * fell back to json_object */
    const char *model;
    /* On failure: AI_UNAVAILABLE, AI_BUDGET_EXCEEDED, DB_UNAVAILABLE (the
     * budget could not be read) or INTERNAL, and a
     * sentence that may be shown (never the provider's own text, which
     * can echo a key). */
    tk_ecode_t code;
    const char *error;
} tk_ai_result_t;

/* One completion: 0, or -1 with res->code and res->error.  Runs outside
 * any transaction of db's (the ledger row commits on its own). */
int tk_ai_complete(apr_pool_t *p, tk_db_t *db, tk_ai_call_t *call,
                   tk_ai_result_t *res);

/* The organization's budget is not spent: 0; -1 with *why when it is;
 * -2 with *why when it cannot be read.  Calls running at once may each
 * pass and together go past it by what they cost: the budget is checked,
 * not reserved. */
int tk_ai_budget_ok(apr_pool_t *p, tk_db_t *db, const char *org_id,
                    const char **why);

/* ---- agent chat (tk_chat.c) -------------------------------------------- */

/* What runs the tools, and hears of each step. */
typedef struct {
    void *baton;
    /* Run tool name with args (an object); the result the model is given
     * (JSON text), *ok 1 when it succeeded; uuids of the tickets it
     * named appended to refs (const char *). */
    const char *(*run)(void *baton, const char *name, json_t *args,
                       apr_array_header_t *refs, int *ok);
    /* A step: "tool_started" (with the arguments) or "tool_finished"
     * (ok 0 or 1; -1 before it ran). */
    void (*progress)(void *baton, const char *step, const char *tool,
                     json_t *args, int ok);
} tk_chat_tools_t;

typedef struct {
    const char *content;            /* the answer */
    json_t *tool_calls;             /* [{id, name, arguments, ok, result}] */
    apr_array_header_t *ticket_refs; /* set by the caller; appended to */
    long prompt_tokens, completion_tokens;
} tk_chat_turn_t;

/* Seed document 002's tools (owned by p). */
json_t *tk_chat_tools(apr_pool_t *p);

/* The assistant's answer to call->req.messages (appended to as tools
 * run): 0 with turn->content, or -1 with res->code and res->error. */
int tk_chat_answer(apr_pool_t *p, tk_db_t *db, tk_ai_call_t *call,
                   const tk_chat_tools_t *tools, tk_chat_turn_t *turn,
                   tk_ai_result_t *res);

/* ---- the web chat (tk_customer_chat.c) ------------------------------------ */

#define TK_CUSTOMER_CHAT_JOB "conversation.ai"

/* Hand conversation conv (of organization org) to a human: mode human, a
 * note of its stored thread (the model's summary when it is available,
 * and the transcript) as its system message and, with open_ticket, as
 * the first internal note of a ticket opened by actor; the summary is
 * asked for within deadline (0: TicketsLLMTimeout from now).  0 with
 * *out one row (conversation, note, ticket as JSON text), 1 when the
 * conversation was not with the AI (nothing was done or paid for), or
 * -1; commits on its own. */
int tk_handoff(apr_pool_t *p, tk_db_t *db, const char *org, const char *conv,
               const char *actor, const char *reason, int open_ticket,
               apr_time_t deadline, tk_rows_t **out);
void tk_customer_chat_register_hooks(apr_pool_t *p);

/* The copilot's job kind, and the sweep of suggestions whose job ended. */
#define TK_COPILOT_JOB "copilot.run"
#define TK_COPILOT_SWEEP "copilot.sweep"
#define TK_COPILOT_SWEEP_EVERY 60
#define TK_COPILOT_ATTEMPTS 3

void tk_ai_register_hooks(apr_pool_t *p);
void tk_copilot_register_hooks(apr_pool_t *p);

#endif
