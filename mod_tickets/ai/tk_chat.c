/* tk_chat.c: the assistant's turn in an agent chat (seed document 002):
 * the model is asked with the tools, the tools it calls are run, their
 * results given back, until it answers or TicketsLLMMaxToolRounds have
 * passed (see tk_ai.h).
 *
 * The tools are seed 002's four, as it defines them (create_ticket,
 * get_ticket, update_ticket, search_tickets); what they do is the
 * caller's (handlers/chat.c runs each as the REST call it stands for,
 * with the user's identity).  A call whose arguments are not a JSON
 * object is not run: the model is told why, and may call again.  In the
 * last round the model may call no tool (tool_choice "none"), so it
 * answers.  Every step is reported to the caller's progress function.
 */
#include <apr_strings.h>
#include <http_main.h>
#include "ai/tk_ai.h"
#include "core/tk_json.h"

/* Seed document 002's tools, word for word. */
static const char tk_chat_tool_defs[] =
    "[{\"type\":\"function\",\"function\":{\"name\":\"create_ticket\","
    "\"description\":\"Create a new support ticket\",\"parameters\":{"
    "\"type\":\"object\",\"properties\":{"
    "\"title\":{\"type\":\"string\",\"description\":\"Short descriptive "
    "title for the ticket\"},"
    "\"description\":{\"type\":\"string\",\"description\":\"Detailed "
    "description of the issue\"},"
    "\"priority\":{\"type\":\"string\",\"enum\":[\"low\",\"medium\","
    "\"high\",\"urgent\"],\"description\":\"Ticket priority level\"},"
    "\"category\":{\"type\":\"string\",\"description\":\"Category/type of "
    "the ticket\"}},\"required\":[\"title\",\"description\"]}}},"
    "{\"type\":\"function\",\"function\":{\"name\":\"get_ticket\","
    "\"description\":\"Get details of a ticket by ID or ticket number\","
    "\"parameters\":{\"type\":\"object\",\"properties\":{"
    "\"ticket_id\":{\"type\":\"integer\",\"description\":\"The ticket "
    "number (e.g., 47)\"}},\"required\":[\"ticket_id\"]}}},"
    "{\"type\":\"function\",\"function\":{\"name\":\"update_ticket\","
    "\"description\":\"Update a ticket's status or add notes\","
    "\"parameters\":{\"type\":\"object\",\"properties\":{"
    "\"ticket_id\":{\"type\":\"integer\",\"description\":\"The ticket "
    "number to update\"},"
    "\"status\":{\"type\":\"string\",\"enum\":[\"open\",\"in_progress\","
    "\"resolved\",\"closed\"],\"description\":\"New status for the "
    "ticket\"},"
    "\"notes\":{\"type\":\"string\",\"description\":\"Notes to add to the "
    "ticket\"}},\"required\":[\"ticket_id\"]}}},"
    "{\"type\":\"function\",\"function\":{\"name\":\"search_tickets\","
    "\"description\":\"Search for tickets by keyword or filter\","
    "\"parameters\":{\"type\":\"object\",\"properties\":{"
    "\"query\":{\"type\":\"string\",\"description\":\"Search query\"},"
    "\"status\":{\"type\":\"string\",\"enum\":[\"open\",\"in_progress\","
    "\"resolved\",\"closed\",\"all\"],\"description\":\"Filter by "
    "status\"},"
    "\"limit\":{\"type\":\"integer\",\"description\":\"Max results to "
    "return\",\"default\":10}},\"required\":[\"query\"]}}}]";

json_t *tk_chat_tools(apr_pool_t *p)
{
    return tk_json_own(p, json_loads(tk_chat_tool_defs, 0, NULL));
}

/* One tool call: run it (or say why not), give its result back, and
 * record it in the turn's log. */
static void tk_chat_tool(apr_pool_t *p, const tk_chat_tools_t *tools,
                         const tk_llm_tool_call_t *tc, json_t *messages,
                         tk_chat_turn_t *turn)
{
    const char *result;
    int ok = 0;

    tools->progress(tools->baton, "tool_started", tc->name,
                    tc->arguments ? tc->arguments : json_null(), -1);
    if (tc->arguments_error) {
        result = tk_json_dump(p, tk_json_own(p, json_pack(
            "{s:{s:s, s:s}}", "error", "code", "INVALID_ARGUMENTS", "message",
            apr_pstrcat(p, tc->arguments_error, " Call the tool again with "
                        "its arguments as one JSON object.", NULL))));
    }
    else {
        result = tools->run(tools->baton, tc->name, tc->arguments,
                            turn->ticket_refs, &ok);
    }
    json_array_append_new(messages, tk_llm_tool_result(tc->id, result));
    json_array_append_new(turn->tool_calls, json_pack(
        "{s:s, s:s, s:s, s:b, s:s}", "id", tc->id, "name", tc->name,
        "arguments", tc->arguments_text, "ok", ok, "result", result));
    tools->progress(tools->baton, "tool_finished", tc->name, json_null(), ok);
}

int tk_chat_answer(apr_pool_t *p, tk_db_t *db, tk_ai_call_t *call,
                   const tk_chat_tools_t *tools, tk_chat_turn_t *turn,
                   tk_ai_result_t *res)
{
    const tk_srv_conf_t *conf = tk_srv_conf(ap_server_conf);
    json_t *messages = call->req.messages;
    int round, i;

    turn->tool_calls = tk_json_own(p, json_array());
    call->req.tools = tk_chat_tools(p);
    for (round = 0; round <= conf->llm_tool_rounds; ++round) {
        call->req.tool_choice = round == conf->llm_tool_rounds ? "none"
                                                               : "auto";
        if (tk_ai_complete(p, db, call, res) != 0) {
            return -1;
        }
        turn->prompt_tokens += res->cached ? 0 : res->answer.prompt_tokens;
        turn->completion_tokens += res->cached ? 0
                                   : res->answer.completion_tokens;
        if (res->answer.ntool_calls == 0) {
            turn->content = res->answer.content;
            return 0;
        }
        if (round == conf->llm_tool_rounds) {
            break;
        }
        json_array_append_new(messages, tk_llm_assistant_message(&res->answer));
        for (i = 0; i < res->answer.ntool_calls; ++i) {
            tk_chat_tool(p, tools, &res->answer.tool_calls[i], messages,
                         turn);
        }
    }
    res->code = TK_E_AI_UNAVAILABLE;
    res->error = apr_psprintf(p, "The assistant did not answer within %d "
                              "rounds of tool calls.", conf->llm_tool_rounds);
    return -1;
}
