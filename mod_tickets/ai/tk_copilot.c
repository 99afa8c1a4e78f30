/* tk_copilot.c: the copilot's jobs (TK_COPILOT_JOB, "copilot.run"), seed
 * document 003's asynchronous analysis, next steps, draft reply and chat.
 *
 * A suggestion and its job are made in one statement by
 * handlers/copilot.c.  A worker then:
 *
 *   1. marks the suggestion running (a suggestion already finished is
 *      done with at once), with its copilot_job_updated;
 *   2. reads the ticket as the staff member who asked could read it over
 *      REST (ticket_get for staff: the whole thread, internal notes too),
 *      provided that person is still active staff of the organization;
 *   3. asks the model (ai/tk_ai.c: redacted, budgeted, cached, ledgered)
 *      for one JSON object of the kind's schema; for chat, with the
 *      ticket's copilot conversation so far;
 *   4. checks the answer (valid/tk_valid_ai.c); an invalid one is sent
 *      back once with what is wrong; invalid again, the suggestion ends in
 *      error with that reason;
 *   5. stores success with the content (and, for chat, the question and
 *      answer in the conversation) or error with its sentence, with its
 *      copilot_job_updated.
 *
 * A worker that dies leaves the job to another once its lease runs out;
 * one that dies on the last attempt leaves the suggestion to the sweep
 * (TK_COPILOT_SWEEP), which ends it in error, so every suggestion ends.
 */
#include <stddef.h>
#include <apr_strings.h>
#include "ai/tk_ai.h"
#include "core/tk_json.h"
#include "valid/tk_valid_ai.h"
#include "tk_queries.h"

typedef struct {
    const char *id;
    const char *org_id;
    const char *ticket_id;
    const char *user_id;
    const char *kind;
    json_t *request;            /* tone, message */
    const char *role;           /* the asker's, NULL when gone */
} tk_suggestion_t;

typedef struct {
    const char *state;          /* success, error */
    json_t *content;
    const char *error;
    long prompt_tokens, completion_tokens;
    int retry;                  /* the database failed: run the job again */
} tk_outcome_t;

/* Step 1: 1 when it is to run, 0 when it is finished, -1 on failure. */
static int tk_copilot_start(tickets_job_t *job, tk_db_t *db, const char *id,
                            tk_suggestion_t *s)
{
    tk_rows_t *rows;

    if (TK_SELECT(db, suggestion_start, &rows, id) != 0) {
        job->error = apr_pstrcat(job->pool, "The suggestion could not be "
                                 "read: ", db->error ? db->error : "?", NULL);
        return -1;
    }
    if (rows->nrows != 1) {
        return 0;
    }
    tk_relay_wake(db);
    s->id = id;
    s->org_id = tk_rows_get(rows, 0, 0);
    s->ticket_id = tk_rows_get(rows, 0, 1);
    s->user_id = tk_rows_get(rows, 0, 2);
    s->kind = tk_rows_get(rows, 0, 3);
    s->request = tk_json_load(job->pool, tk_rows_get(rows, 0, 4));
    s->role = tk_rows_get(rows, 0, 5);
    return 1;
}

/* Step 2: the ticket as staff read it, or NULL. */
static json_t *tk_copilot_ticket(tickets_job_t *job, tk_db_t *db,
                                 const tk_suggestion_t *s)
{
    tk_rows_t *rows;
    json_t *doc;

    if (TK_SELECT(db, ticket_get, &rows, s->org_id, NULL, s->ticket_id, NULL,
                  "true") != 0 || rows->nrows != 1) {
        return NULL;
    }
    doc = tk_json_load(job->pool, tk_rows_get(rows, 0, 0));
    return json_object_get(doc, "data");
}

static const char *tk_copilot_task(const char *kind)
{
    if (strcmp(kind, "analysis") == 0) {
        return "Analyze the support ticket: summarize it, judge the "
               "customer's sentiment, name its category and urgency, and "
               "suggest at most five actions.";
    }
    if (strcmp(kind, "next_steps") == 0) {
        return "Suggest the next one to five steps the agent should take on "
               "the support ticket, each a short sentence.";
    }
    if (strcmp(kind, "draft_reply") == 0) {
        return "Draft the agent's next reply to the customer on the support "
               "ticket, in the tone asked for.  Do not promise what the "
               "thread does not support.";
    }
    return "Answer the agent's question about the support ticket, briefly "
           "and from the ticket's contents only.";
}

/* Step 3's messages: the task, the ticket, and the question. */
static json_t *tk_copilot_messages(tickets_job_t *job, tk_db_t *db,
                                   const tk_suggestion_t *s, json_t *ticket,
                                   json_t *schema)
{
    json_t *m = tk_json_own(job->pool, json_array());
    tk_rows_t *rows;
    const char *system;

    system = apr_pstrcat(job->pool, "You are the copilot of a helpdesk's "
                         "support agents. ", tk_copilot_task(s->kind),
                         " Reply with one JSON object and nothing else, "
                         "following this JSON Schema: ",
                         tk_json_dump(job->pool, schema), NULL);
    json_array_append_new(m, tk_llm_message("system", system));
    json_array_append_new(m, tk_llm_message("user", apr_pstrcat(job->pool,
        "The ticket, as JSON:\n", tk_json_dump(job->pool, ticket), NULL)));
    if (strcmp(s->kind, "draft_reply") == 0) {
        json_array_append_new(m, tk_llm_message("user", apr_pstrcat(
            job->pool, "Tone: ", tk_json_str(s->request, "tone"), NULL)));
    }
    if (strcmp(s->kind, "chat") == 0) {
        json_t *history = NULL;

        if (TK_SELECT(db, copilot_history, &rows, s->ticket_id) == 0
            && rows->nrows == 1) {
            history = tk_json_load(job->pool, tk_rows_get(rows, 0, 0));
        }
        if (json_is_array(history)) {
            json_array_extend(m, history);
        }
        json_array_append_new(m, tk_llm_message("user",
                                                tk_json_str(s->request,
                                                            "message")));
    }
    return m;
}

/* One call and its check: 0 with o->content, 1 with *why for an answer
 * that failed its check, -1 with o->error when there was no answer. */
static int tk_copilot_ask(tickets_job_t *job, tk_db_t *db,
                          const tk_suggestion_t *s, json_t *messages,
                          json_t *schema, int again, apr_time_t deadline,
                          tk_outcome_t *o, tk_ai_result_t *res,
                          const char **why)
{
    tk_ai_call_t call;
    json_t *content, *clean;

    memset(&call, 0, sizeof(call));
    call.org_id = s->org_id;
    call.user_id = s->user_id;
    call.ticket_id = s->ticket_id;
    call.purpose = apr_pstrcat(job->pool, "copilot.", s->kind, NULL);
    call.req.messages = messages;
    call.req.schema = again && res->json_object ? NULL : schema;
    call.req.json_object = again && res->json_object;
    call.req.schema_name = s->kind;
    call.req.temperature = 0.2;
    call.no_cache = again;
    call.deadline = deadline;
    call.conns = tk_job_conns(job, "tk_ai.conns");
    if (tk_ai_complete(job->pool, db, &call, res) != 0) {
        o->error = res->error;
        o->retry = res->code == TK_E_DB_UNAVAILABLE;
        return -1;
    }
    o->prompt_tokens += res->cached ? 0 : res->answer.prompt_tokens;
    o->completion_tokens += res->cached ? 0 : res->answer.completion_tokens;
    content = res->answer.content
              ? tk_json_load(job->pool, tk_llm_json_text(job->pool,
                                                         res->answer.content))
              : NULL;
    if (!content) {
        *why = "The answer is not a JSON object.";
        return 1;
    }
    if (tk_copilot_check(job->pool, s->kind, content, &clean, why) != 0) {
        return 1;
    }
    o->content = tk_json_own(job->pool, clean);
    if (strcmp(s->kind, "draft_reply") == 0
        && !json_object_get(o->content, "tone")) {
        json_object_set(o->content, "tone",
                        json_object_get(s->request, "tone"));
    }
    return 0;
}

/* Steps 2 to 4. */
static void tk_copilot_run(tickets_job_t *job, tk_db_t *db,
                           const tk_suggestion_t *s, tk_outcome_t *o,
                           const char **model)
{
    json_t *schema = tk_json_own(job->pool, tk_copilot_schema(s->kind));
    json_t *ticket, *messages;
    tk_ai_result_t res;
    const char *why = NULL;
    /* both calls (the answer and its correction) within the lease */
    apr_time_t deadline = apr_time_now()
                          + apr_time_from_sec(tk_srv_conf(job->s)->llm_timeout);
    int rc;

    o->state = "error";
    if (!s->role || strcmp(s->role, "customer") == 0) {
        o->error = "The person who asked may no longer read this ticket.";
        return;
    }
    if (!(ticket = tk_copilot_ticket(job, db, s))) {
        o->error = "The ticket is gone.";
        return;
    }
    messages = tk_copilot_messages(job, db, s, ticket, schema);
    memset(&res, 0, sizeof(res));
    rc = tk_copilot_ask(job, db, s, messages, schema, 0, deadline, o, &res,
                        &why);
    *model = res.model;
    if (rc == 1) {
        /* the correction round: the answer's text back (no tool call: none
         * was offered), with what is wrong */
        json_array_append_new(messages, tk_llm_message("assistant",
                                                       res.answer.content));
        json_array_append_new(messages, tk_llm_message("user", apr_pstrcat(
            job->pool, "That answer is not valid: ", why, " Reply again with "
            "only the JSON object, following the schema.", NULL)));
        rc = tk_copilot_ask(job, db, s, messages, schema, 1, deadline, o,
                            &res, &why);
        if (rc == 1) {
            o->error = apr_pstrcat(job->pool, "The AI's answer was not valid "
                                   "twice: ", why, NULL);
            return;
        }
    }
    if (rc == 0) {
        o->state = "success";
    }
}

/* Step 5.  0, or -1 with job->error. */
static int tk_copilot_finish(tickets_job_t *job, tk_db_t *db,
                             const tk_suggestion_t *s, const tk_outcome_t *o,
                             const char *model)
{
    tk_rows_t *rows;

    if (TK_SELECT(db, suggestion_finish, &rows, o->state,
                  o->content ? tk_json_dump(job->pool, o->content) : NULL,
                  o->error, model,
                  apr_ltoa(job->pool, o->prompt_tokens),
                  apr_ltoa(job->pool, o->completion_tokens), s->id) != 0) {
        job->error = apr_pstrcat(job->pool, "The outcome could not be "
                                 "recorded: ", db->error ? db->error : "?",
                                 NULL);
        return -1;
    }
    if (rows->nrows == 1 && strcmp(o->state, "success") == 0
        && strcmp(s->kind, "chat") == 0) {
        json_t *turn = tk_json_own(job->pool, json_pack(
            "[{s:s, s:s}, {s:s, s:s}]", "role", "user", "content",
            tk_json_str(s->request, "message"), "role", "assistant",
            "content", tk_json_str(o->content, "answer")));

        (void)TK_SELECT(db, copilot_history_add, &rows, s->ticket_id,
                        s->org_id, tk_json_dump(job->pool, turn));
    }
    tk_relay_wake(db);
    return 0;
}

static tickets_job_rc_t tk_copilot_job(tickets_job_t *job)
{
    json_t *payload = tk_json_own(job->pool, json_loads(job->payload, 0, NULL));
    const char *id = tk_json_str(payload, "suggestionId"), *model = NULL;
    tk_suggestion_t s;
    tk_outcome_t o;
    tk_db_t db;

    tk_job_db(job, &db);
    if (!id) {
        job->error = "The job names no suggestion.";
        return TICKETS_JOB_FAIL;
    }
    memset(&s, 0, sizeof(s));
    switch (tk_copilot_start(job, &db, id, &s)) {
    case 0:
        return TICKETS_JOB_DONE;
    case 1:
        break;
    default:
        return TICKETS_JOB_RETRY;
    }
    memset(&o, 0, sizeof(o));
    tk_copilot_run(job, &db, &s, &o, &model);
    if (o.retry && job->attempt < job->max_attempts) {
        job->error = o.error;
        return TICKETS_JOB_RETRY;
    }
    return tk_copilot_finish(job, &db, &s, &o, model) == 0 ? TICKETS_JOB_DONE
                                                            : TICKETS_JOB_RETRY;
}

/* The sweep: suggestions whose job ended without an outcome end in error. */
static tickets_job_rc_t tk_copilot_sweep(tickets_job_t *job)
{
    tk_rows_t *rows;
    tk_db_t db;

    tk_job_db(job, &db);
    if (TK_SELECT(&db, suggestion_sweep, &rows) != 0 || rows->nrows != 1) {
        job->error = apr_pstrcat(job->pool, "The sweep failed: ",
                                 db.error ? db.error : "?", NULL);
        return TICKETS_JOB_RETRY;
    }
    if (atoi(tk_rows_get(rows, 0, 0)) > 0) {
        tk_relay_wake(&db);
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, job->s, "TK00104: %s copilot "
                     "suggestions whose job stopped ended in error",
                     tk_rows_get(rows, 0, 0));
    }
    return TICKETS_JOB_DONE;
}

static int tk_copilot_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                  apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf; (void)plog; (void)ptemp; (void)s;
    tk_job_register_kind(TK_COPILOT_JOB, tk_copilot_job, 0,
                         TK_JOB_OWN_TRANSACTIONS);
    tk_job_register_kind(TK_COPILOT_SWEEP, tk_copilot_sweep,
                         TK_COPILOT_SWEEP_EVERY, TK_JOB_OWN_TRANSACTIONS);
    return OK;
}

void tk_copilot_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(tk_copilot_post_config, NULL, NULL, APR_HOOK_MIDDLE);
}
