/* tk_valid_ai.c: copilot requests and answers (see tk_valid_ai.h). */
#include <stdio.h>
#include <string.h>
#include <apr_strings.h>
#include "valid/tk_valid_ai.h"
#include "valid/tk_valid.h"
#include "core/tk_utf8.h"

const char *const tk_copilot_kinds[] = {
    "analysis", "next_steps", "draft_reply", "chat", NULL
};
const char *const tk_copilot_tones[] = {
    "professional", "friendly", "empathetic", "concise", "formal", NULL
};
const char *const tk_copilot_states[] = {
    "queued", "running", "success", "error", NULL
};
static const char *const tk_sentiments[] = {
    "positive", "neutral", "negative", NULL
};

#define TK_SUMMARY_MAX  500
#define TK_CATEGORY_MAX 100
#define TK_URGENCY_MAX  50
#define TK_ACTIONS_MAX  5
#define TK_STEP_MAX     200
#define TK_STEPS_MAX    5
#define TK_REPLY_MAX    2000
#define TK_ANSWER_MAX   1000

const char *tk_copilot_kind_of(const char *action)
{
    static const char *const map[][2] = {
        { "analyze", "analysis" }, { "suggest", "next_steps" },
        { "draft-reply", "draft_reply" }, { "chat", "chat" },
    };
    size_t i;

    for (i = 0; action && i < sizeof(map) / sizeof(map[0]); ++i) {
        if (strcmp(action, map[i][0]) == 0) {
            return map[i][1];
        }
    }
    return NULL;
}

int tk_valid_copilot(apr_pool_t *p, const char *kind, const json_t *body,
                     tk_copilot_input_t *in, tk_err_t *err)
{
    static const char *const plain[] = { "ticketId", NULL };
    static const char *const draft[] = { "ticketId", "tone", NULL };
    static const char *const chat[] = { "ticketId", "message", NULL };
    int is_draft = strcmp(kind, "draft_reply") == 0;
    int is_chat = strcmp(kind, "chat") == 0;

    memset(in, 0, sizeof(*in));
    if (tk_only_fields(body, is_draft ? draft : is_chat ? chat : plain, err)
        || tk_read_uuid(body, "ticketId", &in->ticket_id, err)) {
        return -1;
    }
    if (!in->ticket_id) {
        return tk_err(err, TK_E_VALIDATION, "ticketId",
                      "Name the ticket (ticketId).");
    }
    if (is_draft) {
        if (tk_read_enum(p, body, "tone", tk_copilot_tones, 0, &in->tone,
                         err)) {
            return -1;
        }
        in->tone = in->tone ? in->tone : "professional";
    }
    if (is_chat) {
        return tk_read_string(p, body, "message", 1, 0, 1,
                              TK_COPILOT_QUESTION_MAX, &in->message, err);
    }
    return 0;
}

/* ---- schemas ------------------------------------------------------------ */

/* A string of 1 to max characters.  The lengths are said in words, not
 * as minLength/maxLength, which strict structured outputs refuse; the
 * answer's check enforces them. */
static json_t *tk_str_schema(int max)
{
    char d[64];

    snprintf(d, sizeof(d), "1 to %d characters", max);
    return json_pack("{s:s, s:s}", "type", "string", "description", d);
}

static json_t *tk_object_schema(json_t *props, json_t *required)
{
    return json_pack("{s:s, s:o, s:o, s:b}", "type", "object", "properties",
                     props, "required", required, "additionalProperties", 0);
}

static json_t *tk_enum_schema(const char *const *list)
{
    json_t *e = json_array();

    for (; *list; ++list) {
        json_array_append_new(e, json_string(*list));
    }
    return json_pack("{s:s, s:o}", "type", "string", "enum", e);
}

json_t *tk_copilot_schema(const char *kind)
{
    if (!kind) {
        return NULL;
    }
    if (strcmp(kind, "analysis") == 0) {
        return tk_object_schema(
            json_pack("{s:o, s:o, s:o, s:{s:[s,s], s:s}, s:{s:s, s:o, s:i}}",
                      "summary", tk_str_schema(TK_SUMMARY_MAX),
                      "sentiment", tk_enum_schema(tk_sentiments),
                      "category", tk_str_schema(TK_CATEGORY_MAX),
                      "urgency", "type", "string", "null",
                      "description", "low, medium, high or urgent, or null",
                      "suggestedActions", "type", "array",
                      "items", tk_str_schema(TK_STEP_MAX),
                      "maxItems", TK_ACTIONS_MAX),
            json_pack("[s,s,s,s,s]", "summary", "sentiment", "category",
                      "urgency", "suggestedActions"));
    }
    if (strcmp(kind, "next_steps") == 0) {
        return tk_object_schema(
            json_pack("{s:{s:s, s:o, s:i, s:i}}", "steps", "type", "array",
                      "items", tk_str_schema(TK_STEP_MAX), "minItems", 1,
                      "maxItems", TK_STEPS_MAX),
            json_pack("[s]", "steps"));
    }
    if (strcmp(kind, "draft_reply") == 0) {
        return tk_object_schema(
            json_pack("{s:o, s:o}", "reply", tk_str_schema(TK_REPLY_MAX),
                      "tone", tk_enum_schema(tk_copilot_tones)),
            json_pack("[s,s]", "reply", "tone"));
    }
    if (strcmp(kind, "chat") == 0) {
        return tk_object_schema(
            json_pack("{s:o}", "answer", tk_str_schema(TK_ANSWER_MAX)),
            json_pack("[s]", "answer"));
    }
    return NULL;
}

/* ---- answers ------------------------------------------------------------- */

/* A string field of 1..max characters (trimmed) into out; absent is an
 * error unless optional. */
static int tk_answer_str(apr_pool_t *p, const json_t *c, const char *field,
                         int optional, size_t max, json_t *out,
                         const char **why)
{
    json_t *v = json_object_get(c, field);
    const char *s, *e;
    size_t n;

    if (!v || json_is_null(v)) {
        if (optional) {
            return 0;
        }
        *why = apr_psprintf(p, "\"%s\" is missing.", field);
        return -1;
    }
    if (!json_is_string(v)) {
        *why = apr_psprintf(p, "\"%s\" must be a string.", field);
        return -1;
    }
    for (s = json_string_value(v); *s == ' ' || *s == '\n' || *s == '\t';
         ++s) {
    }
    for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\n'
                                      || e[-1] == '\t' || e[-1] == '\r');
         --e) {
    }
    s = apr_pstrmemdup(p, s, (size_t)(e - s));
    n = tk_utf8_len(s);
    if (n == 0 || n > max) {
        *why = apr_psprintf(p, "\"%s\" must have 1 to %lu characters (it has "
                            "%lu).", field, (unsigned long)max,
                            (unsigned long)n);
        return -1;
    }
    json_object_set_new(out, field, json_string(s));
    return 0;
}

static int tk_answer_enum(apr_pool_t *p, const json_t *c, const char *field,
                          const char *const *list, json_t *out,
                          const char **why)
{
    const char *s = json_string_value(json_object_get(c, field));
    const char *const *l;

    for (l = list; s && *l; ++l) {
        if (strcmp(s, *l) == 0) {
            json_object_set_new(out, field, json_string(s));
            return 0;
        }
    }
    *why = apr_psprintf(p, "\"%s\" must be one of %s.", field,
                        tk_enum_list(p, list));
    return -1;
}

/* An array of 1..max strings (min 0 when optional) of 1..item_max. */
static int tk_answer_list(apr_pool_t *p, const json_t *c, const char *field,
                          int optional, size_t max, size_t item_max,
                          json_t *out, const char **why)
{
    json_t *v = json_object_get(c, field), *list, *holder;
    size_t i;

    if (!v || json_is_null(v)) {
        if (optional) {
            return 0;
        }
        *why = apr_psprintf(p, "\"%s\" is missing.", field);
        return -1;
    }
    if (!json_is_array(v) || json_array_size(v) > max
        || (!optional && json_array_size(v) == 0)) {
        *why = apr_psprintf(p, "\"%s\" must be a list of %s to %lu items.",
                            field, optional ? "0" : "1", (unsigned long)max);
        return -1;
    }
    list = json_array();
    holder = json_object();
    for (i = 0; i < json_array_size(v); ++i) {
        json_t *one = json_pack("{s:O}", "item", json_array_get(v, i));

        if (tk_answer_str(p, one, "item", 0, item_max, holder, why) != 0) {
            *why = apr_psprintf(p, "Item %lu of \"%s\": %s",
                                (unsigned long)i + 1, field, *why);
            json_decref(one);
            json_decref(list);
            json_decref(holder);
            return -1;
        }
        json_array_append(list, json_object_get(holder, "item"));
        json_decref(one);
    }
    json_decref(holder);
    json_object_set_new(out, field, list);
    return 0;
}

static int tk_check_fields(apr_pool_t *p, const char *kind, const json_t *c,
                           json_t *out, const char **why)
{
    if (strcmp(kind, "analysis") == 0) {
        return tk_answer_str(p, c, "summary", 0, TK_SUMMARY_MAX, out, why)
               || tk_answer_enum(p, c, "sentiment", tk_sentiments, out, why)
               || tk_answer_str(p, c, "category", 0, TK_CATEGORY_MAX, out,
                                why)
               || tk_answer_str(p, c, "urgency", 1, TK_URGENCY_MAX, out, why)
               || tk_answer_list(p, c, "suggestedActions", 1, TK_ACTIONS_MAX,
                                 TK_STEP_MAX, out, why) ? -1 : 0;
    }
    if (strcmp(kind, "next_steps") == 0) {
        return tk_answer_list(p, c, "steps", 0, TK_STEPS_MAX, TK_STEP_MAX,
                              out, why);
    }
    if (strcmp(kind, "draft_reply") == 0) {
        return tk_answer_str(p, c, "reply", 0, TK_REPLY_MAX, out, why)
               || (json_object_get(c, "tone")
                   && tk_answer_enum(p, c, "tone", tk_copilot_tones, out,
                                     why)) ? -1 : 0;
    }
    if (strcmp(kind, "chat") == 0) {
        return tk_answer_str(p, c, "answer", 0, TK_ANSWER_MAX, out, why);
    }
    *why = "There is no such kind of answer.";
    return -1;
}

int tk_copilot_check(apr_pool_t *p, const char *kind, const json_t *content,
                     json_t **clean, const char **why)
{
    json_t *out;

    *clean = NULL;
    if (!json_is_object(content)) {
        *why = "The answer must be one JSON object.";
        return -1;
    }
    out = json_object();
    if (!out || tk_check_fields(p, kind, content, out, why) != 0) {
        json_decref(out);
        return -1;
    }
    *clean = out;
    return 0;
}
