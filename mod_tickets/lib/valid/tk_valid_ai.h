/* tk_valid_ai.h: what may be asked of the AI copilot, and what its
 * answers must be before they are stored.
 *
 * Four kinds of job (seed document 003): analysis, next_steps,
 * draft_reply and chat.  A request names the ticket (and, for a draft,
 * its tone; for chat, the question).  An answer is validated against the
 * kind's schema, the same schema the provider is asked to follow
 * (response_format json_schema): an analysis {summary 1-500, sentiment
 * positive|neutral|negative, category, urgency?, suggestedActions <= 5},
 * next steps {steps: 1-5 items of at most 200 characters}, a draft
 * {reply 1-2000, tone}, a chat answer {answer 1-1000}.  Lengths are
 * characters.
 */
#ifndef TK_VALID_AI_H
#define TK_VALID_AI_H

#include <apr_pools.h>
#include <jansson.h>
#include "core/tk_error.h"

#define TK_COPILOT_QUESTION_MAX 1000

extern const char *const tk_copilot_kinds[];   /* analysis, next_steps, ... */
extern const char *const tk_copilot_tones[];   /* professional, ... */
extern const char *const tk_copilot_states[];  /* queued, running, ... */

/* The kind an endpoint's last segment asks for (analyze, suggest,
 * draft-reply, chat); NULL for any other. */
const char *tk_copilot_kind_of(const char *action);

typedef struct {
    const char *ticket_id;
    const char *tone;           /* draft_reply: professional by default */
    const char *message;        /* chat: the question */
} tk_copilot_input_t;

int tk_valid_copilot(apr_pool_t *p, const char *kind, const json_t *body,
                     tk_copilot_input_t *in, tk_err_t *err);

/* The JSON Schema of a kind's answer: a new reference, NULL for no kind. */
json_t *tk_copilot_schema(const char *kind);

/* Whether content is a valid answer of kind: 0 with *clean the answer as
 * it is stored (a new reference: the schema's fields only, strings
 * trimmed, a null urgency dropped), or -1 with *why a sentence that can
 * be sent back to the model. */
int tk_copilot_check(apr_pool_t *p, const char *kind, const json_t *content,
                     json_t **clean, const char **why);

#endif
