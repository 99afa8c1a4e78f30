/* fuzz_query.c: query strings, through the decoder and the list filter
 * parsers (tickets, users, customers, conversations). */
#include <stdint.h>
#include <stdlib.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "valid/tk_valid.h"
#include "valid/tk_query.h"
#include "valid/tk_valid_tickets.h"
#include "valid/tk_valid_users.h"
#include "valid/tk_valid_customers.h"
#include "valid/tk_valid_conversations.h"
#include "valid/tk_valid_faqs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int initialized;
    apr_pool_t *p;
    tk_err_t err = { TK_E_NONE, NULL, NULL };
    tk_ticket_filter_t f;
    tk_user_filter_t uf;
    tk_customer_filter_t cf;
    tk_conversation_filter_t vf;
    tk_faq_filter_t ff;
    const char *sq;
    int sl, so;
    apr_table_t *q;

    if (!initialized) {
        apr_initialize();
        initialized = 1;
    }
    apr_pool_create(&p, NULL);
    q = tk_query_parse(p, apr_pstrmemdup(p, (const char *)data, size), &err);
    if (!q) {
        if (err.code != TK_E_INVALID_QUERY) {
            abort();
        }
    }
    else if (tk_ticket_filter_parse(p, q, 20, 100, &f, &err) != 0) {
        if (err.code != TK_E_INVALID_QUERY || !err.message) {
            abort();
        }
    }
    else if (f.limit < 1 || f.limit > 100 || f.offset < 0 || !f.sort) {
        abort();
    }
    if (q && tk_user_filter_parse(p, q, 20, 100, &uf, &err) != 0
        && (err.code != TK_E_INVALID_QUERY || !err.message)) {
        abort();
    }
    if (q && tk_customer_filter_parse(p, q, 20, 100, &cf, &err) != 0
        && (err.code != TK_E_INVALID_QUERY || !err.message)) {
        abort();
    }
    if (q && tk_conversation_filter_parse(p, q, 20, 100, &vf, &err) != 0
        && (err.code != TK_E_INVALID_QUERY || !err.message)) {
        abort();
    }
    if (q && (tk_faq_filter_parse(p, q, 1, 20, 100, &ff, &err) != 0
              || tk_faq_filter_parse(p, q, 0, 20, 100, &ff, &err) != 0)
        && (err.code != TK_E_INVALID_QUERY || !err.message)) {
        abort();
    }
    if (q && tk_query_search(q, 20, 100, &sq, &sl, &so, &err) != 0
        && (err.code != TK_E_INVALID_QUERY || !err.message)) {
        abort();
    }
    apr_pool_destroy(p);
    return 0;
}
