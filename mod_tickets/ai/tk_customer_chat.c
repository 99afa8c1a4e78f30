/* tk_customer_chat.c: the AI in the web chat, and the handoff to a human
 * (seed document 000; docs/ai.md).
 *
 * A web chat opens in mode ai when a provider is configured and the web
 * channel's settings.ai is not false.  Each customer message of such a
 * conversation makes a job (TK_CUSTOMER_CHAT_JOB) in its transaction; the
 * job answers from the stored thread, never from anything a browser
 * holds, with the organization's published FAQ articles that match the
 * message, and stores the answer as a message of sender ai (a live
 * new_message, as every message is).  A job whose message is no longer
 * the latest leaves the answer to the newer one's job, and one whose
 * message was answered (a job run again after its worker died) does
 * nothing.
 *
 * The model may hand the conversation to a human itself, with the
 * handoff_to_human tool and a reason (as Chatwoot's assistant does).  A
 * provider that fails leaves a system message saying a human will answer,
 * and the conversation goes to mode human.
 *
 * The handoff (tk_handoff, for the tool and POST
 * /api/conversations/:id/transfer): mode human; a note of the stored
 * thread (a short summary by the model when it is available, and the
 * transcript always: its newest 200 KB) as a system message of the
 * conversation (the customer's own thread), and, when a ticket is opened,
 * as the ticket's internal note; one transaction.
 */
#include <apr_strings.h>
#include "ai/tk_ai.h"
#include "core/tk_json.h"
#include "tk_queries.h"

static const char tk_handoff_tool[] =
    "[{\"type\":\"function\",\"function\":{\"name\":\"handoff_to_human\","
    "\"description\":\"Hand the conversation to a human support agent: when "
    "the customer asks for one, or when you cannot help.\",\"parameters\":{"
    "\"type\":\"object\",\"properties\":{\"reason\":{\"type\":\"string\","
    "\"description\":\"Why a human should take over\"}},"
    "\"required\":[\"reason\"]}}}]";

#define TK_AI_UNAVAILABLE_NOTE "Our assistant cannot answer right now; a " \
    "human agent will reply here soon."

/* The thread as the model reads it (customer: user, ai and agents:
 * assistant), or as text for a transcript. */
#define TK_CC_CONTEXT 60          /* messages the model reads */
#define TK_CC_TRANSCRIPT 2000     /* messages a handoff's transcript holds */
#define TK_CC_TRANSCRIPT_BYTES (200 * 1024)   /* and bytes, the newest kept */
#define TK_CC_SUMMARY_BYTES (16 * 1024)       /* the summary reads the end */

/* The thread as the model reads it: customer: user, ai and agents:
 * assistant. */
static int tk_cc_history(apr_pool_t *p, tk_db_t *db, const char *conv,
                         json_t *messages)
{
    tk_rows_t *rows;
    int i;

    if (TK_SELECT(db, ai_conv_history, &rows, conv,
                  apr_itoa(p, TK_CC_CONTEXT)) != 0) {
        return -1;
    }
    for (i = 0; i < rows->nrows; ++i) {
        const char *sender = tk_rows_get(rows, i, 0);
        const char *content = tk_rows_get(rows, i, 1);

        if (strcmp(sender, "system") != 0) {
            json_array_append_new(messages, tk_llm_message(
                strcmp(sender, "customer") == 0 ? "user" : "assistant",
                strcmp(sender, "agent") == 0
                ? apr_pstrcat(p, "(a human agent) ", content, NULL)
                : content));
        }
    }
    return 0;
}

/* The thread as a transcript, "sender: content" a line, the newest
 * TK_CC_TRANSCRIPT_BYTES of it (a line says what was left out). */
static const char *tk_cc_transcript(apr_pool_t *p, tk_db_t *db,
                                    const char *conv)
{
    apr_array_header_t *lines;
    tk_rows_t *rows;
    size_t bytes = 0;
    int i, first;

    if (TK_SELECT(db, ai_conv_history, &rows, conv,
                  apr_itoa(p, TK_CC_TRANSCRIPT)) != 0) {
        return NULL;
    }
    for (first = rows->nrows; first > 0; --first) {
        bytes += strlen(tk_rows_get(rows, first - 1, 0))
                 + strlen(tk_rows_get(rows, first - 1, 1)) + 3;
        if (bytes > TK_CC_TRANSCRIPT_BYTES) {
            break;
        }
    }
    lines = apr_array_make(p, rows->nrows - first + 1, sizeof(const char *));
    if (first > 0) {
        APR_ARRAY_PUSH(lines, const char *) = apr_psprintf(p, "(%d earlier "
                                                           "messages left "
                                                           "out)\n", first);
    }
    for (i = first; i < rows->nrows; ++i) {
        APR_ARRAY_PUSH(lines, const char *) = apr_pstrcat(p,
            tk_rows_get(rows, i, 0), ": ", tk_rows_get(rows, i, 1), "\n",
            NULL);
    }
    return apr_array_pstrcat(p, lines, '\0');
}

/* A short summary of the transcript by the model, or NULL. */
static const char *tk_cc_summary(apr_pool_t *p, tk_db_t *db, const char *org,
                                 const char *conv, const char *transcript,
                                 apr_time_t deadline)
{
    tk_ai_call_t call;
    tk_ai_result_t res;
    json_t *m;

    if (!tk_ai_configured()) {
        return NULL;
    }
    m = tk_json_own(p, json_array());
    json_array_append_new(m, tk_llm_message("system", "Summarize this support "
        "chat for the human agent who takes it over, in two to four "
        "sentences: what the customer needs, and what was tried."));
    if (strlen(transcript) > TK_CC_SUMMARY_BYTES) {
        transcript += strlen(transcript) - TK_CC_SUMMARY_BYTES;
        while (*transcript && (*transcript & 0xc0) == 0x80) {
            ++transcript;               /* not in the middle of a character */
        }
    }
    json_array_append_new(m, tk_llm_message("user", transcript));
    memset(&call, 0, sizeof(call));
    call.org_id = org;
    call.conversation_id = conv;
    call.purpose = "handoff";
    call.req.messages = m;
    call.req.max_tokens = 300;
    call.req.temperature = 0.2;
    call.deadline = deadline;
    if (tk_ai_complete(p, db, &call, &res) != 0 || !res.answer.content) {
        return NULL;
    }
    return res.answer.content;
}

int tk_handoff(apr_pool_t *p, tk_db_t *db, const char *org, const char *conv,
               const char *actor, const char *reason, int open_ticket,
               apr_time_t deadline, tk_rows_t **out)
{
    const char *transcript, *summary, *note;
    tk_rows_t *rows;

    /* with a human already: no summary is paid for */
    if (TK_SELECT(db, ai_conv_load, &rows, conv) != 0) {
        return -1;
    }
    if (rows->nrows != 1 || strcmp(tk_rows_get(rows, 0, 1), "ai") != 0) {
        return 1;
    }
    if (!(transcript = tk_cc_transcript(p, db, conv))) {
        return -1;
    }
    summary = tk_cc_summary(p, db, org, conv, transcript, deadline);
    note = apr_pstrcat(p, "Handed to a human agent.\n",
                       reason ? "Reason: " : "", reason ? reason : "",
                       reason ? "\n" : "",
                       summary ? "Summary: " : "", summary ? summary : "",
                       summary ? "\n" : "", "Transcript:\n", transcript, NULL);
    if (tk_db_begin(db) != 0
        || TK_SELECT(db, ai_handoff, out, conv, actor, note,
                     open_ticket ? "true" : "false") != 0
        || tk_db_commit(db) != 0) {
        tk_db_rollback(db);
        return -1;
    }
    tk_relay_wake(db);
    return (*out)->nrows == 1 ? 0 : 1;
}

/* ---- the job ------------------------------------------------------------ */

/* The model's messages: what it is, the articles that match, the thread. */
static json_t *tk_cc_messages(tickets_job_t *job, tk_db_t *db,
                              const char *org, const char *conv)
{
    json_t *m = tk_json_own(job->pool, json_array()), *thread;
    const char *faq = "", *last = "";
    tk_rows_t *rows;
    size_t n;
    int i;

    thread = tk_json_own(job->pool, json_array());
    if (tk_cc_history(job->pool, db, conv, thread) != 0) {
        return NULL;
    }
    n = json_array_size(thread);
    if (n > 0) {
        last = tk_json_str(json_array_get(thread, n - 1), "content");
    }
    if (TK_SELECT(db, ai_faq_match, &rows, last, org) == 0) {
        for (i = 0; i < rows->nrows; ++i) {
            faq = apr_pstrcat(job->pool, faq, "[FAQ ", tk_rows_get(rows, i, 0),
                              "] ", tk_rows_get(rows, i, 1), "\n",
                              tk_rows_get(rows, i, 2), "\n\n", NULL);
        }
    }
    json_array_append_new(m, tk_llm_message("system", apr_pstrcat(job->pool,
        "You are the support assistant in a company's web chat. Answer the "
        "customer briefly and kindly, from the help articles below when they "
        "apply, citing each one you use as [FAQ <id>]. Do not make up "
        "policies. When the customer asks for a person, or you cannot help, "
        "call handoff_to_human with the reason.\nHelp articles:\n",
        *faq ? faq : "(none match)\n", NULL)));
    json_array_extend(m, thread);
    return m;
}

/* The AI could not answer message: say so, and hand the conversation to a
 * human (unless that happened meanwhile, or a newer message came). */
static int tk_cc_give_up(tickets_job_t *job, tk_db_t *db, const char *conv,
                         const char *message)
{
    tk_rows_t *rows;

    if (tk_db_begin(db) != 0
        || TK_SELECT(db, ai_conv_says, &rows, conv, message, "system",
                     TK_AI_UNAVAILABLE_NOTE) != 0
        || (rows->nrows == 1
            && TK_SELECT(db, ai_conv_to_human, &rows, conv) != 0)
        || tk_db_commit(db) != 0) {
        tk_db_rollback(db);
        job->error = "The conversation could not be handed to a human.";
        return -1;
    }
    tk_relay_wake(db);
    return 0;
}

static tickets_job_rc_t tk_customer_chat_job(tickets_job_t *job)
{
    json_t *payload = tk_json_own(job->pool, json_loads(job->payload, 0, NULL));
    const char *conv = tk_json_str(payload, "conversationId");
    const char *message = tk_json_str(payload, "messageId"), *org, *latest;
    tk_ai_call_t call;
    tk_ai_result_t res;
    tk_rows_t *rows;
    tk_db_t db;
    int i;

    tk_job_db(job, &db);
    if (!conv || !message) {
        job->error = "The job names no conversation.";
        return TICKETS_JOB_FAIL;
    }
    if (TK_SELECT(&db, ai_conv_load, &rows, conv) != 0) {
        return TICKETS_JOB_RETRY;
    }
    if (rows->nrows != 1 || strcmp(tk_rows_get(rows, 0, 1), "ai") != 0
        || strcmp(tk_rows_get(rows, 0, 2), "closed") == 0
        || !(latest = tk_rows_get(rows, 0, 4)) || strcmp(latest, message) != 0) {
        return TICKETS_JOB_DONE;        /* with a human, or a newer message */
    }
    org = tk_rows_get(rows, 0, 0);
    memset(&call, 0, sizeof(call));
    call.org_id = org;
    call.conversation_id = conv;
    call.purpose = "customer_chat";
    call.req.messages = tk_cc_messages(job, &db, org, conv);
    call.req.tools = tk_json_own(job->pool, json_loads(tk_handoff_tool, 0,
                                                       NULL));
    call.req.tool_choice = "auto";
    call.req.temperature = 0.3;
    call.conns = tk_job_conns(job, "tk_ai.conns");
    /* the answer and a handoff's summary share one deadline, within the
     * job's lease */
    call.deadline = apr_time_now()
                    + apr_time_from_sec(tk_srv_conf(job->s)->llm_timeout);
    if (!call.req.messages) {
        return TICKETS_JOB_RETRY;
    }
    if (tk_ai_complete(job->pool, &db, &call, &res) != 0) {
        if (res.code == TK_E_DB_UNAVAILABLE) {
            job->error = res.error;     /* ours, not the provider's */
            return TICKETS_JOB_RETRY;
        }
        return tk_cc_give_up(job, &db, conv, message) == 0
               ? TICKETS_JOB_DONE : TICKETS_JOB_RETRY;
    }
    for (i = 0; i < res.answer.ntool_calls; ++i) {
        const tk_llm_tool_call_t *tc = &res.answer.tool_calls[i];
        const char *reason = tk_json_str(tc->arguments, "reason");

        if (strcmp(tc->name, "handoff_to_human") != 0) {
            continue;
        }
        return tk_handoff(job->pool, &db, org, conv, NULL,
                          reason ? reason : "The assistant asked for a human.",
                          0, call.deadline, &rows) >= 0 ? TICKETS_JOB_DONE
                                                        : TICKETS_JOB_RETRY;
    }
    if (!res.answer.content || !*res.answer.content) {
        return tk_cc_give_up(job, &db, conv, message) == 0
               ? TICKETS_JOB_DONE : TICKETS_JOB_RETRY;
    }
    if (TK_SELECT(&db, ai_conv_says, &rows, conv, message, "ai",
                  res.answer.content) != 0) {
        return TICKETS_JOB_RETRY;
    }
    tk_relay_wake(&db);
    return TICKETS_JOB_DONE;
}

static int tk_customer_chat_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                        apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf; (void)plog; (void)ptemp; (void)s;
    tk_job_register_kind(TK_CUSTOMER_CHAT_JOB, tk_customer_chat_job, 0,
                         TK_JOB_OWN_TRANSACTIONS);
    return OK;
}

void tk_customer_chat_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(tk_customer_chat_post_config, NULL, NULL,
                        APR_HOOK_MIDDLE);
}
