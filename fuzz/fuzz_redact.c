/* fuzz_redact.c: any bytes through redaction (tk_redact.c).  The answer
 * is as long as it says, holds no NUL the input did not, and is a fixed
 * point: redacting it again changes nothing (no replacement makes a new
 * match, and nothing redactable is left behind).  The same bytes as a
 * JSON string value come out as the text does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_pools.h>
#include "llm/tk_redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int initialized;
    apr_pool_t *p;
    const char *once, *twice;
    size_t n1, n2;
    json_t *j;

    if (!initialized) {
        apr_initialize();
        initialized = 1;
    }
    apr_pool_create(&p, NULL);
    once = tk_redact(p, (const char *)data, size, &n1, NULL);
    if (once[n1] != '\0'
        || (memchr(data, 0, size) == NULL && strlen(once) != n1)) {
        abort();
    }
    twice = tk_redact(p, once, n1, &n2, NULL);
    if (n2 != n1 || memcmp(once, twice, n1) != 0) {
        abort();
    }
    j = json_stringn((const char *)data, size);    /* NULL unless UTF-8 */
    if (j) {
        if (tk_redact_json(p, j, NULL) != 0
            || json_string_length(j) != n1
            || memcmp(json_string_value(j), once, n1) != 0) {
            abort();
        }
        json_decref(j);
    }
    apr_pool_destroy(p);
    return 0;
}
