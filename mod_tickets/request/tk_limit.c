/* tk_limit.c: rate limits of the host (docs/ratelimits.md).
 *
 * One table of TK_LIMIT_SLOTS words in the host's shared memory (made in
 * post_config, kept across graceful restarts, inherited by the children)
 * counts for every child at once, with the library's GCRA
 * (lib/core/tk_ratelimit.c): no lock, one compare-and-swap per request.
 *
 *   TicketsRateLimit n/seconds (per <Location>): every request, counted
 *   per API token, per user for a session or Basic, and per client
 *   address for one without an identity (signing in, the platforms'
 *   webhooks, the public pages).  Every answer of such a location has
 *   RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset; one over
 *   the limit is 429 RATE_LIMITED with Retry-After.
 *
 *   TicketsLoginFailureLimit n/seconds: failed passwords (the login form
 *   and Basic), per account, and ten times as many per address (an
 *   office behind one NAT); over it, even the right password is refused
 *   until the bucket drains.
 */
#include "request/tk_request.h"
#include <apr_strings.h>
#include <apr_lib.h>
#include <http_log.h>
#include <http_core.h>
#include "core/tk_ratelimit.h"

#define TK_LIMIT_SLOTS  65536          /* 512 KB */
#define TK_LIMIT_KEY    "tickets-ratelimits"

static void *tk_limit_table;

static apr_int64_t tk_now_ms(void)
{
    return apr_time_as_msec(apr_time_now());
}

static void tk_limit_headers(tk_ctx_t *c, const tk_rl_result_t *res)
{
    apr_table_t *h = c->r->err_headers_out;
    apr_pool_t *p = c->r->pool;

    apr_table_setn(h, "RateLimit-Limit", apr_itoa(p, res->limit));
    apr_table_setn(h, "RateLimit-Remaining", apr_itoa(p, res->remaining));
    apr_table_setn(h, "RateLimit-Reset", apr_itoa(p, res->reset));
}

static int tk_limited(tk_ctx_t *c, const tk_rl_result_t *res,
                      const char *message)
{
    apr_table_setn(c->r->err_headers_out, "Retry-After",
                   apr_itoa(c->r->pool, res->retry_after));
    return tk_fail(c, TK_E_RATE_LIMITED, NULL,
                   apr_psprintf(c->r->pool, "%s Retry in %d seconds.",
                                message, res->retry_after));
}

/* Who a request is counted as: its token, its user, or its address. */
static const char *tk_limit_who(const tk_ctx_t *c)
{
    if (c->who && c->who->via == TK_VIA_BEARER) {
        return apr_pstrcat(c->r->pool, "tok:", c->who->credential, NULL);
    }
    if (c->who) {
        return apr_pstrcat(c->r->pool, "usr:", c->who->user_id, NULL);
    }
    return apr_pstrcat(c->r->pool, "adr:", c->r->useragent_ip, NULL);
}

int tk_limit_request(tk_ctx_t *c)
{
    tk_rl_limit_t limit;
    tk_rl_result_t res;

    if (!tk_limit_table || tk_rl_parse(c->dconf->rate_limit, &limit) != 0) {
        return TK_OK;               /* "off" */
    }
    tk_rl_take(tk_limit_table, TK_LIMIT_SLOTS,
               tk_rl_hash(tk_limit_who(c), &limit), &limit, tk_now_ms(), 1,
               &res);
    tk_limit_headers(c, &res);
    if (!res.allowed) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, c->r, "TK00094: %s%s is over "
                      "its rate limit", c->who ? "user " : "an address",
                      c->who ? c->who->user_id : "");
        return tk_limited(c, &res, "Too many requests.");
    }
    return TK_OK;
}

/* An address may fail ten times what an account may. */
static void tk_address_limit(const tk_rl_limit_t *account, tk_rl_limit_t *out)
{
    out->n = account->n * 10;
    out->period_ms = account->period_ms;
}

/* The two keys of sign-ins: the account (its email in one case) and the
 * address. */
static apr_uint64_t tk_login_hash(tk_ctx_t *c, const char *email,
                                  const tk_rl_limit_t *limit)
{
    return tk_rl_hash(apr_pstrcat(c->r->pool, email ? "acct:" : "ladr:",
                                  email ? email : c->r->useragent_ip, NULL),
                      limit);
}

static const char *tk_fold(apr_pool_t *p, const char *s)
{
    char *out = apr_pstrdup(p, s), *q;

    for (q = out; *q; ++q) {
        *q = (char)apr_tolower(*q);
    }
    return out;
}

/* Both keys of a sign-in: 0 when the limit is off. */
static int tk_login_keys(tk_ctx_t *c, const char *email, tk_rl_limit_t *limit,
                         tk_rl_limit_t *wide, apr_uint64_t *acct,
                         apr_uint64_t *addr)
{
    if (!tk_limit_table
        || tk_rl_parse(c->sconf->login_failure_limit, limit) != 0) {
        return 0;
    }
    tk_address_limit(limit, wide);
    *acct = tk_login_hash(c, tk_fold(c->r->pool, email), limit);
    *addr = tk_login_hash(c, NULL, wide);
    return 1;
}

int tk_limit_login_blocked(tk_ctx_t *c, const char *email, int count)
{
    tk_rl_limit_t limit, wide;
    tk_rl_result_t acct, addr;
    apr_uint64_t hacct, haddr;

    if (!tk_login_keys(c, email, &limit, &wide, &hacct, &haddr)) {
        return 0;
    }
    /* Counted before the password is checked, so that guesses sent at
     * once cannot all pass before the first is counted. */
    tk_rl_take(tk_limit_table, TK_LIMIT_SLOTS, hacct, &limit, tk_now_ms(),
               count, &acct);
    tk_rl_take(tk_limit_table, TK_LIMIT_SLOTS, haddr, &wide, tk_now_ms(),
               count, &addr);
    if (acct.allowed && addr.allowed) {
        return 0;
    }
    /* Refused: the one that let it through does not keep it. */
    if (count && acct.allowed) {
        tk_rl_refund(tk_limit_table, TK_LIMIT_SLOTS, hacct, &limit, tk_now_ms());
    }
    if (count && addr.allowed) {
        tk_rl_refund(tk_limit_table, TK_LIMIT_SLOTS, haddr, &wide, tk_now_ms());
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, c->r, "TK00095: sign-ins %s "
                  "are held back after too many failed passwords",
                  acct.allowed ? "from this address" : "of this account");
    tk_limited(c, acct.allowed ? &addr : &acct,
               "Too many failed sign-ins.");
    return 1;
}

void tk_limit_login_ok(tk_ctx_t *c, const char *email)
{
    tk_rl_limit_t limit, wide;
    apr_uint64_t hacct, haddr;

    if (tk_login_keys(c, email, &limit, &wide, &hacct, &haddr)) {
        tk_rl_refund(tk_limit_table, TK_LIMIT_SLOTS, hacct, &limit, tk_now_ms());
        tk_rl_refund(tk_limit_table, TK_LIMIT_SLOTS, haddr, &wide, tk_now_ms());
    }
}

static int tk_limit_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                apr_pool_t *ptemp, server_rec *s)
{
    int fresh;

    (void)pconf; (void)plog; (void)ptemp;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    tk_limit_table = tk_shm_host(s, TK_LIMIT_KEY, tk_rl_size(TK_LIMIT_SLOTS),
                                 &fresh);
    return tk_limit_table ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

void tk_limit_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(tk_limit_post_config, NULL, NULL, APR_HOOK_MIDDLE);
}
