/* test_llm.c: Chat Completions bodies and answers (tk_llm.c), and the
 * copilot's requests and answers (tk_valid_ai.c). */
#include <string.h>
#include <apr_strings.h>
#include <apr_date.h>
#include "tk_suites.h"
#include "llm/tk_llm.h"
#include "valid/tk_valid_ai.h"
#include "valid/tk_valid_chat.h"

static tk_llm_answer_t answer_of(const char *body)
{
    tk_llm_answer_t a;
    const char *why = NULL;

    ck_assert_msg(tk_llm_parse_answer(tk_tp, body, strlen(body), 400, &a, &why) == 0,
                  "%s", why);
    return a;
}

START_TEST(request_bodies)
{
    json_t *msgs = json_pack("[{s:s, s:s}]", "role", "user", "content", "hi");
    json_t *tools = json_pack("[{s:s, s:{s:s}}]", "type", "function", "function",
                              "name", "get_ticket");
    json_t *schema = tk_copilot_schema("chat");
    tk_llm_request_t r;
    json_t *b;

    memset(&r, 0, sizeof(r));
    r.model = "m1";
    r.messages = msgs;
    r.max_tokens = 300;
    r.temperature = -1;
    b = tk_llm_request_body(&r);
    ck_assert_str_eq(json_string_value(json_object_get(b, "model")), "m1");
    ck_assert_int_eq(json_integer_value(json_object_get(b, "max_tokens")), 300);
    ck_assert_ptr_null(json_object_get(b, "temperature"));
    ck_assert_ptr_null(json_object_get(b, "tools"));
    ck_assert_ptr_null(json_object_get(b, "response_format"));
    ck_assert(json_equal(json_object_get(b, "messages"), msgs));
    json_decref(b);

    r.tools = tools;
    r.tool_choice = "auto";
    r.schema = schema;
    r.schema_name = "chat_answer";
    r.temperature = 0.2;
    b = tk_llm_request_body(&r);
    ck_assert(json_equal(json_object_get(b, "tools"), tools));
    ck_assert_str_eq(json_string_value(json_object_get(b, "tool_choice")), "auto");
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(b, "response_format"), "type")), "json_schema");
    ck_assert(json_equal(json_object_get(json_object_get(json_object_get(
                  b, "response_format"), "json_schema"), "schema"), schema));
    ck_assert(json_real_value(json_object_get(b, "temperature")) > 0.19);
    json_decref(b);

    r.schema = NULL;
    r.json_object = 1;
    b = tk_llm_request_body(&r);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(b, "response_format"), "type")), "json_object");
    json_decref(b);

    r.max_tokens = 0;
    ck_assert_ptr_null(tk_llm_request_body(&r));
    r.max_tokens = 1;
    r.model = "";
    ck_assert_ptr_null(tk_llm_request_body(&r));
    json_decref(msgs);
    json_decref(tools);
    json_decref(schema);
}
END_TEST

START_TEST(answers_with_text)
{
    tk_llm_answer_t a = answer_of(
        "{\"id\":\"chatcmpl-1\",\"model\":\"m1\",\"choices\":[{\"index\":0,"
        "\"message\":{\"role\":\"assistant\",\"content\":\"Hello\"},"
        "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,"
        "\"completion_tokens\":3,\"total_tokens\":15}}");

    ck_assert_str_eq(a.id, "chatcmpl-1");
    ck_assert_str_eq(a.content, "Hello");
    ck_assert_str_eq(a.finish_reason, "stop");
    ck_assert_int_eq(a.ntool_calls, 0);
    ck_assert_int_eq(a.prompt_tokens, 12);
    ck_assert_int_eq(a.completion_tokens, 3);
    ck_assert_int_eq(a.usage_estimated, 0);

    /* no id, no usage: estimated from the bytes */
    a = answer_of("{\"choices\":[{\"message\":{\"content\":\"12345678\"}}]}");
    ck_assert_ptr_null(a.id);
    ck_assert_int_eq(a.usage_estimated, 1);
    ck_assert_int_eq(a.prompt_tokens, 101);
    ck_assert_int_eq(a.completion_tokens, 3);
}
END_TEST

START_TEST(answers_with_tool_calls)
{
    tk_llm_answer_t a = answer_of(
        "{\"choices\":[{\"message\":{\"content\":null,\"tool_calls\":["
        "{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"get_ticket\","
        "\"arguments\":\"{\\\"ticket_id\\\": 47}\"}},"
        "{\"type\":\"function\",\"function\":{\"name\":\"search_tickets\","
        "\"arguments\":{\"query\":\"vpn\"}}},"
        "{\"id\":\"c3\",\"function\":{\"name\":\"update_ticket\","
        "\"arguments\":\"{ticket_id: 4\"}},"
        "{\"id\":\"c4\",\"function\":{\"name\":\"create_ticket\",\"arguments\":\"[1]\"}},"
        "{\"id\":\"c5\",\"function\":{\"name\":\"get_ticket\",\"arguments\":\"\"}},"
        "{\"id\":\"c6\",\"function\":{\"arguments\":\"{}\"}}]},"
        "\"finish_reason\":\"tool_calls\"}]}");
    json_t *m;

    ck_assert_ptr_null(a.content);
    ck_assert_int_eq(a.ntool_calls, 5);        /* the nameless one dropped */
    ck_assert_str_eq(a.tool_calls[0].id, "c1");
    ck_assert_int_eq(json_integer_value(json_object_get(a.tool_calls[0].arguments,
                                                        "ticket_id")), 47);
    ck_assert_ptr_null(a.tool_calls[0].arguments_error);
    ck_assert_str_eq(a.tool_calls[1].id, "call_2");
    ck_assert_str_eq(json_string_value(json_object_get(a.tool_calls[1].arguments,
                                                       "query")), "vpn");
    ck_assert_str_eq(a.tool_calls[1].arguments_text, "{\"query\":\"vpn\"}");
    ck_assert_ptr_null(a.tool_calls[2].arguments);
    ck_assert_ptr_nonnull(strstr(a.tool_calls[2].arguments_error, "not valid JSON"));
    ck_assert_str_eq(a.tool_calls[2].arguments_text, "{ticket_id: 4");
    ck_assert_ptr_null(a.tool_calls[3].arguments);
    ck_assert_str_eq(a.tool_calls[3].arguments_error, "The arguments are not a JSON object.");
    ck_assert_int_eq(json_object_size(a.tool_calls[4].arguments), 0);
    ck_assert_int_eq(a.usage_estimated, 1);

    m = tk_llm_assistant_message(&a);
    ck_assert(json_is_null(json_object_get(m, "content")));
    ck_assert_int_eq(json_array_size(json_object_get(m, "tool_calls")), 5);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_array_get(
                         json_object_get(m, "tool_calls"), 1), "function"), "arguments")),
                     "{\"query\":\"vpn\"}");
    json_decref(m);
}
END_TEST

START_TEST(answers_that_are_not)
{
    static const char *const bad[] = {
        "", "not json", "[]", "{}", "{\"choices\":[]}", "{\"choices\":[{}]}",
        "{\"choices\":[{\"message\":{\"content\":null}}]}",
        "{\"choices\":[{\"message\":{\"tool_calls\":[{\"function\":{}}]}}]}",
    };
    tk_llm_answer_t a;
    const char *why;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        why = NULL;
        ck_assert_msg(tk_llm_parse_answer(tk_tp, bad[i], strlen(bad[i]), 0, &a,
                                          &why) == -1, "%s", bad[i]);
        ck_assert_ptr_nonnull(why);
    }
}
END_TEST

START_TEST(error_shapes)
{
    tk_llm_error_t e;

#define ERR(status, body) tk_llm_parse_error(tk_tp, status, body, strlen(body), &e)
    ERR(429, "{\"error\":{\"message\":\"Slow down\",\"type\":\"requests\","
             "\"code\":\"rate_limit_exceeded\"}}");
    ck_assert_str_eq(e.message, "Slow down");
    ck_assert_str_eq(e.code, "rate_limit_exceeded");
    ck_assert(tk_llm_retryable(&e));
    ERR(429, "{\"error\":{\"message\":\"Quota\",\"type\":\"insufficient_quota\","
             "\"code\":\"insufficient_quota\"}}");
    ck_assert(!tk_llm_retryable(&e));
    ERR(429, "{\"error\":{\"message\":\"Quota\",\"type\":\"insufficient_quota\","
             "\"code\":null}}");
    ck_assert_ptr_null(e.code);
    ck_assert(!tk_llm_retryable(&e));
    ERR(500, "{\"error\":{\"message\":\"boom\",\"code\":500}}");
    ck_assert_str_eq(e.code, "500");
    ck_assert(tk_llm_retryable(&e));
    ERR(503, "{\"error\":\"model is loading\"}");
    ck_assert_str_eq(e.message, "model is loading");
    ck_assert_ptr_null(e.code);
    ck_assert(tk_llm_retryable(&e));
    ERR(400, "{\"error\":{\"message\":\"m\",\"code\":\"your key sk-abc is bad\"}}");
    ck_assert_ptr_null(e.code);
    ERR(401, "{\"error\":{\"code\":\"sk_live_abcdefghijklmnopqrstuvwx\"}}");
    ck_assert_ptr_null(e.code);
    ERR(400, "{\"error\":{\"code\":\"context_length_exceeded\"}}");
    ck_assert_str_eq(e.code, "context_length_exceeded");
    ERR(502, "<html>bad gateway</html>");
    ck_assert_ptr_null(e.message);
    ck_assert(tk_llm_retryable(&e));
    ERR(400, "{\"error\":{\"message\":\"bad\",\"code\":\"invalid_request\"}}");
    ck_assert(!tk_llm_retryable(&e));
    ERR(401, "{\"message\":\"no key\"}");
    ck_assert_str_eq(e.message, "no key");
    ck_assert(!tk_llm_retryable(&e));
    ERR(403, "");
    ck_assert(!tk_llm_retryable(&e));
    ERR(408, "");
    ck_assert(tk_llm_retryable(&e));
    ERR(409, "");
    ck_assert(tk_llm_retryable(&e));
    ERR(0, "");
    ck_assert(tk_llm_retryable(&e));
    ERR(404, "");
    ck_assert(!tk_llm_retryable(&e));
#undef ERR
}
END_TEST

START_TEST(retry_delays)
{
    apr_time_t now = apr_date_parse_http("Fri, 04 Dec 2026 10:00:00 GMT");
    double d;
    int i;

    ck_assert(tk_llm_retry_delay("1500", "9", 1, now, 0, 60) == 1.5);
    ck_assert(tk_llm_retry_delay(NULL, "9", 1, now, 0, 60) == 9);
    ck_assert(tk_llm_retry_delay("x", "9", 1, now, 0, 60) == 9);
    ck_assert(tk_llm_retry_delay(NULL, "Fri, 04 Dec 2026 10:00:30 GMT", 1, now, 0, 60)
              == 30);
    ck_assert(tk_llm_retry_delay(NULL, "3600", 1, now, 0, 20) == 20);
    ck_assert(tk_llm_retry_delay("999999", NULL, 1, now, 0, 20) == 20);
    for (i = 1; i <= 8; ++i) {
        d = tk_llm_retry_delay(NULL, NULL, i, now, UINT64_MAX, 10);
        ck_assert(d > 0 && d <= 10);
    }
    ck_assert(tk_llm_retry_delay(NULL, NULL, 1, now, 0, 10) == 0.25);
    ck_assert(tk_llm_retry_delay(NULL, NULL, 3, now, 0, 10) == 1);
}
END_TEST

START_TEST(json_in_text)
{
    ck_assert_str_eq(tk_llm_json_text(tk_tp, "  {\"a\":1}\n"), "{\"a\":1}");
    ck_assert_str_eq(tk_llm_json_text(tk_tp, "```json\n{\"a\":1}\n```"), "{\"a\":1}\n");
    ck_assert_str_eq(tk_llm_json_text(tk_tp, "```\n[]\n```  "), "[]\n");
    ck_assert_str_eq(tk_llm_json_text(tk_tp, "```{}```"), "```{}```");
    ck_assert_ptr_null(tk_llm_json_text(tk_tp, NULL));
}
END_TEST

START_TEST(cache_keys)
{
    json_t *a = json_pack("{s:s, s:i}", "x", "1", "y", 2);
    json_t *b = json_pack("{s:i, s:s}", "y", 2, "x", "1");
    const char *ka = tk_llm_cache_key(tk_tp, "m1", a);

    ck_assert_uint_eq(strlen(ka), 64);
    ck_assert_str_eq(ka, tk_llm_cache_key(tk_tp, "m1", b));
    ck_assert_str_ne(ka, tk_llm_cache_key(tk_tp, "m2", b));
    json_object_set_new(b, "y", json_integer(3));
    ck_assert_str_ne(ka, tk_llm_cache_key(tk_tp, "m1", b));
    ck_assert_int_eq(tk_llm_estimate_tokens(0), 1);
    ck_assert_int_eq(tk_llm_estimate_tokens(400), 101);
    json_decref(a);
    json_decref(b);
}
END_TEST

static const char *check_of(const char *kind, const char *text, json_t **clean)
{
    json_t *j = json_loads(text, 0, NULL);
    const char *why = NULL;
    int rc;

    ck_assert_ptr_nonnull(j);
    rc = tk_copilot_check(tk_tp, kind, j, clean, &why);
    json_decref(j);
    return rc == 0 ? NULL : why;
}

START_TEST(copilot_answers)
{
    json_t *c = NULL;
    char big[2100];

    ck_assert_ptr_null(check_of("analysis", "{\"summary\":\"  VPN drops \","
                                "\"sentiment\":\"negative\",\"category\":\"network\","
                                "\"urgency\":null,\"suggestedActions\":[\"Reset\"],"
                                "\"extra\":1}", &c));
    ck_assert_str_eq(json_string_value(json_object_get(c, "summary")), "VPN drops");
    ck_assert_ptr_null(json_object_get(c, "urgency"));
    ck_assert_ptr_null(json_object_get(c, "extra"));
    json_decref(c);
    ck_assert_ptr_nonnull(strstr(check_of("analysis", "{\"summary\":\"x\","
                                          "\"sentiment\":\"angry\",\"category\":\"c\"}",
                                          &c), "sentiment"));
    ck_assert_ptr_nonnull(strstr(check_of("analysis", "{\"summary\":\"\","
                                          "\"sentiment\":\"neutral\",\"category\":\"c\"}",
                                          &c), "1 to 500"));
    ck_assert_ptr_nonnull(strstr(check_of("analysis", "{\"summary\":\"s\","
                                          "\"sentiment\":\"neutral\",\"category\":\"c\","
                                          "\"suggestedActions\":[\"1\",\"2\",\"3\",\"4\","
                                          "\"5\",\"6\"]}", &c), "suggestedActions"));
    ck_assert_ptr_null(check_of("next_steps", "{\"steps\":[\"a\",\"b\"]}", &c));
    json_decref(c);
    ck_assert_ptr_nonnull(check_of("next_steps", "{\"steps\":[]}", &c));
    ck_assert_ptr_nonnull(strstr(check_of("next_steps", "{\"steps\":[\"a\", 3]}", &c),
                                 "Item 2"));
    memset(big, 'a', 201);
    big[201] = '\0';
    ck_assert_ptr_nonnull(check_of("next_steps",
                                   apr_psprintf(tk_tp, "{\"steps\":[\"%s\"]}", big), &c));
    memset(big, 'b', 2001);
    big[2001] = '\0';
    ck_assert_ptr_nonnull(check_of("draft_reply",
                                   apr_psprintf(tk_tp, "{\"reply\":\"%s\"}", big), &c));
    big[2000] = '\0';
    ck_assert_ptr_null(check_of("draft_reply",
                                apr_psprintf(tk_tp, "{\"reply\":\"%s\",\"tone\":\"friendly\"}",
                                             big), &c));
    json_decref(c);
    ck_assert_ptr_nonnull(check_of("draft_reply", "{\"reply\":\"r\",\"tone\":\"rude\"}", &c));
    ck_assert_ptr_null(check_of("chat", "{\"answer\":\"Yes.\"}", &c));
    json_decref(c);
    ck_assert_ptr_nonnull(check_of("chat", "{\"answer\":42}", &c));
    ck_assert_ptr_nonnull(check_of("chat", "[]", &c));
    ck_assert_ptr_nonnull(check_of("other", "{}", &c));
}
END_TEST

START_TEST(copilot_requests)
{
    tk_copilot_input_t in;
    tk_err_t err;
    json_t *b;
    int i;

    ck_assert_str_eq(tk_copilot_kind_of("draft-reply"), "draft_reply");
    ck_assert_ptr_null(tk_copilot_kind_of("status"));
    for (i = 0; tk_copilot_kinds[i]; ++i) {
        json_t *s = tk_copilot_schema(tk_copilot_kinds[i]);

        ck_assert_ptr_nonnull(s);
        ck_assert(json_is_false(json_object_get(s, "additionalProperties")));
        json_decref(s);
    }
    b = json_pack("{s:s}", "ticketId", "0b6f6c39-9c1c-4a5e-9b8e-0f5b7a7e6a10");
    ck_assert_int_eq(tk_valid_copilot(tk_tp, "draft_reply", b, &in, &err), 0);
    ck_assert_str_eq(in.tone, "professional");
    ck_assert_int_eq(tk_valid_copilot(tk_tp, "chat", b, &in, &err), -1);
    ck_assert_str_eq(err.field, "message");
    json_object_set_new(b, "message", json_string("What now?"));
    ck_assert_int_eq(tk_valid_copilot(tk_tp, "chat", b, &in, &err), 0);
    ck_assert_str_eq(in.message, "What now?");
    ck_assert_int_eq(tk_valid_copilot(tk_tp, "analysis", b, &in, &err), -1);
    json_decref(b);
    b = json_pack("{s:s}", "ticketId", "nope");
    ck_assert_int_eq(tk_valid_copilot(tk_tp, "analysis", b, &in, &err), -1);
    ck_assert_str_eq(err.field, "ticketId");
    json_decref(b);
    b = json_object();
    ck_assert_int_eq(tk_valid_copilot(tk_tp, "analysis", b, &in, &err), -1);
    json_decref(b);
}
END_TEST

START_TEST(chat_bodies)
{
    const char *a, *b;
    tk_err_t err;
    json_t *j;

    ck_assert_str_eq(tk_chat_title_of(tk_tp, "  Short one\nsecond line"), "Short one");
    ck_assert_str_eq(tk_chat_title_of(tk_tp, "Please open a ticket: the VPN drops every "
                                             "hour and nothing we tried helps"),
                     "Please open a ticket: the VPN drops every hour and nothing\xe2\x80\xa6");
    ck_assert_str_eq(tk_chat_title_of(tk_tp, "Tiếng Việt có dấu"), "Tiếng Việt có dấu");
    ck_assert_str_eq(tk_chat_title_of(tk_tp, ""), "");
    j = json_pack("{s:[s], s:[]}", "attach", "0b6f6c39-9c1c-4a5e-9b8e-0f5b7a7e6a10",
                  "detach");
    ck_assert_int_eq(tk_valid_chat_tickets(tk_tp, j, &a, &b, &err), 0);
    ck_assert_str_eq(a, "[\"0b6f6c39-9c1c-4a5e-9b8e-0f5b7a7e6a10\"]");
    ck_assert_str_eq(b, "[]");
    json_decref(j);
    j = json_pack("{s:[s]}", "attach", "TKT-0001");
    ck_assert_int_eq(tk_valid_chat_tickets(tk_tp, j, &a, &b, &err), -1);
    ck_assert_str_eq(err.field, "attach");
    json_decref(j);
    j = json_object();
    ck_assert_int_eq(tk_valid_chat_tickets(tk_tp, j, &a, &b, &err), -1);
    ck_assert_int_eq(tk_valid_chat_message(tk_tp, j, &a, &err), -1);
    ck_assert_int_eq(tk_valid_chat_session(tk_tp, j, &a, &err), 0);
    ck_assert_ptr_null(a);
    json_decref(j);
}
END_TEST

Suite *tk_suite_llm(void)
{
    Suite *s = suite_create("tk_llm");
    TCase *tc = tk_tcase("llm");

    tcase_add_test(tc, request_bodies);
    tcase_add_test(tc, answers_with_text);
    tcase_add_test(tc, answers_with_tool_calls);
    tcase_add_test(tc, answers_that_are_not);
    tcase_add_test(tc, error_shapes);
    tcase_add_test(tc, retry_delays);
    tcase_add_test(tc, json_in_text);
    tcase_add_test(tc, cache_keys);
    tcase_add_test(tc, copilot_answers);
    tcase_add_test(tc, copilot_requests);
    tcase_add_test(tc, chat_bodies);
    suite_add_tcase(s, tc);
    return s;
}
