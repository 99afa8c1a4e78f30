/* fuzz_llm.c: a provider's answer, whatever it holds, through the readers
 * of tk_llm.c.  A read answer has text or a tool call; every tool call a
 * name, an id and its arguments as text, and either an object of
 * arguments or the reason there is none; the assistant message made of it
 * serializes.  The same bytes as an error answer never fail to be read,
 * and a retry is never advised for a 4xx but 408, 409 and 429. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_pools.h>
#include "llm/tk_llm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void tk_check_answer(const tk_llm_answer_t *a)
{
    json_t *m;
    char *text;
    int i;

    if (!a->content && a->ntool_calls == 0) {
        abort();
    }
    for (i = 0; i < a->ntool_calls; ++i) {
        const tk_llm_tool_call_t *tc = &a->tool_calls[i];

        if (!tc->name || !*tc->name || !tc->id || !*tc->id
            || !tc->arguments_text
            || !(tc->arguments ? json_is_object(tc->arguments)
                               : tc->arguments_error != NULL)) {
            abort();
        }
    }
    if (a->prompt_tokens < 0 || a->completion_tokens < 0) {
        abort();
    }
    m = tk_llm_assistant_message(a);
    if (!m || !(text = json_dumps(m, JSON_COMPACT))) {
        abort();
    }
    free(text);
    json_decref(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int initialized;
    apr_pool_t *p;
    tk_llm_answer_t a;
    tk_llm_error_t e;
    const char *why = NULL;
    int status;

    if (!initialized) {
        apr_initialize();
        initialized = 1;
    }
    apr_pool_create(&p, NULL);
    if (tk_llm_parse_answer(p, (const char *)data, size, size, &a, &why) == 0) {
        tk_check_answer(&a);
    }
    else if (!why) {
        abort();
    }
    status = size ? 400 + data[0] % 200 : 0;
    tk_llm_parse_error(p, status, (const char *)data, size, &e);
    if (e.status != status
        || (tk_llm_retryable(&e) && status >= 400 && status < 500
            && status != 408 && status != 409 && status != 429)) {
        abort();
    }
    apr_pool_destroy(p);
    return 0;
}
