/* openapi.c: GET /api/openapi.json, the OpenAPI 3.1 description of every
 * endpoint (docs/openapi.json, built into the module by
 * scripts/gen-blob.sh, so the description served is always the one of
 * this build).  Public, like the documentation it is; the test suite
 * checks it against the router's table (tests/integration/test_openapi.py). */
#include "handlers/tk_handlers.h"

extern const char tk_openapi_json[];

int tk_handle_openapi(tk_ctx_t *c)
{
    return tk_send_typed(c, HTTP_OK, "application/json", tk_openapi_json);
}
