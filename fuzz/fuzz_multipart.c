/* fuzz_multipart.c: an upload body through the streaming multipart parser
 * and the upload's checks (tk_multipart.c, tk_upload.c), fed in two
 * pieces split where the first byte says, with the boundary "XyZ".  Any
 * input must be accepted or refused with an error code and a message;
 * nothing may crash, leak or read out of bounds, and an accepted upload
 * must have a name, a type and no more bytes than the limit. */
#include <stdint.h>
#include <stdlib.h>
#include <apr_general.h>
#include <apr_pools.h>
#include "files/tk_multipart.h"
#include "files/tk_upload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TK_FUZZ_MAX 4096

static int tk_discard(void *baton, const char *d, size_t len)
{
    (void)d;
    *(size_t *)baton += len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int initialized;
    apr_pool_t *p;
    tk_err_t err = { TK_E_NONE, NULL, NULL };
    tk_upload_t *u;
    tk_multipart_t *m;
    size_t split, written = 0;
    const char *body = (const char *)data + 1;

    if (size < 1) {
        return 0;
    }
    if (!initialized) {
        apr_initialize();
        initialized = 1;
    }
    apr_pool_create(&p, NULL);
    split = data[0] % size;
    u = tk_upload_create(p, TK_FUZZ_MAX, "txt,log,png,jpg,jpeg,json",
                         tk_discard, &written);
    m = tk_multipart_create(p, "XyZ", &tk_upload_parts, u);
    if (tk_multipart_feed(m, body, split, &err)
        || tk_multipart_feed(m, body + split, size - 1 - split, &err)
        || tk_multipart_finish(m, &err) || tk_upload_finish(u, &err)) {
        if (err.code == TK_E_NONE || !err.message) {
            abort();
        }
    }
    else {
        const tk_upload_result_t *res = tk_upload_result(u);

        if (!res->filename || !res->type || res->size > TK_FUZZ_MAX
            || (size_t)res->size != written) {
            abort();
        }
    }
    apr_pool_destroy(p);
    return 0;
}
