/* fuzz_keyfile.c: TicketsTranscriptKeyFile's text through the key ring
 * parser (tk_seal.c), and, when it parses, a seal and an open with every
 * key of it.  A refused file always says why; a parsed one has a current
 * key, and what it seals opens again to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "crypto/tk_seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int initialized;
    apr_pool_t *p;
    tk_err_t err = { TK_E_NONE, NULL, NULL };
    tk_keyring_t *ring;
    const char *sealed, *plain;
    size_t len = 0;

    if (!initialized) {
        apr_initialize();
        initialized = 1;
    }
    apr_pool_create(&p, NULL);
    ring = tk_keyring_parse(p, apr_pstrmemdup(p, (const char *)data, size),
                            &err);
    if (!ring) {
        if (err.code == TK_E_NONE || !err.message) {
            abort();
        }
    }
    else {
        sealed = tk_seal(p, ring, "aad", "transcript", 10);
        plain = sealed ? tk_unseal(p, ring, tk_keyring_current(ring), "aad",
                                   sealed, &len) : NULL;
        if (!plain || len != 10 || memcmp(plain, "transcript", 10) != 0
            || tk_keyring_count(ring) < 1) {
            abort();
        }
    }
    apr_pool_destroy(p);
    return 0;
}
