/* tk_valid_chat.c: agent chat bodies (see tk_valid_chat.h). */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "valid/tk_valid_chat.h"
#include "valid/tk_valid.h"
#include "core/tk_id.h"

#define TK_CHAT_TITLE_CUT 60

int tk_valid_chat_session(apr_pool_t *p, const json_t *body,
                          const char **title, tk_err_t *err)
{
    static const char *const fields[] = { "title", NULL };

    return tk_only_fields(body, fields, err)
           || tk_read_string(p, body, "title", 0, 1, 0, TK_CHAT_TITLE_MAX,
                             title, err) ? -1 : 0;
}

/* One list of uuids into JSON text. */
static int tk_uuid_list(apr_pool_t *p, const json_t *body, const char *field,
                        const char **out, tk_err_t *err)
{
    json_t *v = json_object_get(body, field), *item;
    size_t i, j;
    char *text;

    *out = "[]";
    if (!v || json_is_null(v)) {
        return 0;
    }
    if (!json_is_array(v) || json_array_size(v) > TK_CHAT_ATTACHED_MAX) {
        return tk_err(err, TK_E_VALIDATION, field, apr_psprintf(p,
                      "%s is a list of at most %d ticket ids.", field,
                      TK_CHAT_ATTACHED_MAX));
    }
    json_array_foreach(v, i, item) {
        const char *s = json_string_value(item);

        if (!s || !tk_uuid_valid(s)) {
            return tk_err(err, TK_E_VALIDATION, field, apr_psprintf(p,
                          "Item %lu of %s is not a ticket id (a uuid).",
                          (unsigned long)i + 1, field));
        }
        for (j = 0; j < i; ++j) {
            if (strcmp(s, json_string_value(json_array_get(v, j))) == 0) {
                return tk_err(err, TK_E_VALIDATION, field, apr_psprintf(p,
                              "%s names %s twice.", field, s));
            }
        }
    }
    text = json_dumps(v, JSON_COMPACT);
    *out = text ? apr_pstrdup(p, text) : "[]";
    free(text);
    return 0;
}

int tk_valid_chat_tickets(apr_pool_t *p, const json_t *body,
                          const char **attach, const char **detach,
                          tk_err_t *err)
{
    static const char *const fields[] = { "attach", "detach", NULL };

    if (tk_only_fields(body, fields, err)) {
        return -1;
    }
    if (!json_object_get(body, "attach") && !json_object_get(body, "detach")) {
        return tk_err(err, TK_E_VALIDATION, NULL, "Give the tickets to attach "
                      "or detach (attach, detach).");
    }
    return tk_uuid_list(p, body, "attach", attach, err)
           || tk_uuid_list(p, body, "detach", detach, err) ? -1 : 0;
}

int tk_valid_chat_message(apr_pool_t *p, const json_t *body,
                          const char **content, tk_err_t *err)
{
    static const char *const fields[] = { "content", NULL };

    return tk_only_fields(body, fields, err)
           || tk_read_string(p, body, "content", 1, 0, 1, TK_CHAT_MESSAGE_MAX,
                             content, err) ? -1 : 0;
}

/* Bytes of the character at s (valid UTF-8, as every body is). */
static size_t tk_char_len(const char *s)
{
    unsigned char c = (unsigned char)*s;

    return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

const char *tk_chat_title_of(apr_pool_t *p, const char *message)
{
    const char *s = message, *end, *space = NULL;
    size_t chars = 0;

    while (*s == ' ' || *s == '\n' || *s == '\t') {
        ++s;
    }
    for (end = s; *end && *end != '\n' && *end != '\r'; ) {
        size_t n = tk_char_len(end);

        if (chars == TK_CHAT_TITLE_CUT) {
            break;
        }
        if (*end == ' ') {
            space = end;
        }
        end += n;
        ++chars;
    }
    if (*end && *end != '\n' && *end != '\r') {
        if (space && space - s > TK_CHAT_TITLE_CUT / 2) {
            end = space;
        }
        return apr_pstrcat(p, apr_pstrmemdup(p, s, (size_t)(end - s)),
                           "\xe2\x80\xa6", NULL);
    }
    while (end > s && (end[-1] == ' ' || end[-1] == '\t')) {
        --end;
    }
    return apr_pstrmemdup(p, s, (size_t)(end - s));
}
