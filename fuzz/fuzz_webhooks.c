/* fuzz_webhooks.c: what the chat platforms send us and answer us: the
 * input as a webhook delivery of Facebook, Zalo and TikTok, as Zalo's
 * timestamp field, as a Discord interaction, as the Zalo and TikTok
 * signature headers and signed bodies, as a send API's answer (HTTP 200,
 * 429 and 400, and as a Retry-After value), and as the text of a reply.
 *
 * Beyond "no crash": a refused delivery says why and yields nothing; a
 * read one has every field set and bounded; a body we sign ourselves is
 * verified whatever its bytes; a verdict has an error exactly when it is
 * not SENT, and that error is bounded and free of control characters; a
 * reply's request body reads back as the text given. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <jansson.h>
#include "core/tk_json.h"
#include "platforms/tk_platform.h"
#include "platforms/tk_signature.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TK_FZ_NOW 1700000000

static void tk_fz_check(int ok)
{
    if (!ok) {
        abort();
    }
}

static void tk_fz_hex(const unsigned char *in, unsigned n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    unsigned i;

    for (i = 0; i < n; ++i) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static void tk_fz_inbound(apr_pool_t *p, tk_platform_t platform,
                          const char *s, size_t size)
{
    apr_array_header_t *msgs;
    const char *why;
    int ignored, i;

    if (tk_inbound_parse(p, platform, s, size, &msgs, &ignored, &why) != 0) {
        tk_fz_check(why && *why && msgs->nelts == 0 && ignored == 0);
        return;
    }
    tk_fz_check(ignored >= 0);
    for (i = 0; i < msgs->nelts; ++i) {
        const tk_inbound_t *m = &APR_ARRAY_IDX(msgs, i, tk_inbound_t);

        tk_fz_check(m->account_id && *m->account_id && strlen(m->account_id) <= 128);
        tk_fz_check(m->user_id && *m->user_id && strlen(m->user_id) <= 128);
        tk_fz_check(m->thread_id && *m->thread_id && strlen(m->thread_id) <= 128);
        tk_fz_check(m->message_id && *m->message_id && strlen(m->message_id) <= 128);
        tk_fz_check(m->text && strlen(m->text) <= 64 * 1024);
        tk_fz_check(!m->user_name || strlen(m->user_name) <= 128);
        tk_fz_check(m->sent_at_ms >= 0);
    }
}

static void tk_fz_discord(apr_pool_t *p, const char *s, size_t size)
{
    tk_discord_t d;
    const char *why;

    if (tk_discord_parse(p, s, size, &d, &why) != 0) {
        tk_fz_check(why && *why);
        return;
    }
    tk_fz_check(d.id && d.application_id);
    if (d.type == TK_DISCORD_COMMAND) {
        tk_fz_check(d.channel_id && d.command && d.user_id && d.username);
    }
}

/* The input as headers, and as a body we sign: that one must pass. */
static void tk_fz_signatures(apr_pool_t *p, const char *s, size_t size)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1], *msg;
    const char *ts;
    tk_sig_result_t r;
    EVP_MD_CTX *ctx;

    (void)tk_sig_zalo(s, "1824031587206738122", s, size, "1700000000000", "key");
    r = tk_sig_tiktok(s, s, size, "secret", TK_FZ_NOW, 300);
    tk_fz_check(r == TK_SIG_BAD || r == TK_SIG_OK || r == TK_SIG_STALE);

    msg = apr_palloc(p, sizeof("1700000000.") + size);
    memcpy(msg, "1700000000.", sizeof("1700000000.") - 1);
    memcpy(msg + sizeof("1700000000.") - 1, s, size);
    tk_fz_check(HMAC(EVP_sha256(), "secret", 6, (unsigned char *)msg,
                     sizeof("1700000000.") - 1 + size, md, &md_len) != NULL);
    tk_fz_hex(md, md_len, hex);
    tk_fz_check(tk_sig_tiktok(apr_pstrcat(p, "t=1700000000,s=", hex, NULL), s,
                              size, "secret", TK_FZ_NOW, 300) == TK_SIG_OK);
    tk_fz_check(tk_sig_tiktok(apr_pstrcat(p, "t=1700000000,s=", hex, NULL), s,
                              size, "secret", TK_FZ_NOW + 301, 300) == TK_SIG_STALE);

    ts = tk_inbound_zalo_timestamp(p, s, size);
    tk_fz_check(!ts || (*ts && strlen(ts) <= 32));
    if (!ts) {
        ts = "1700000000000";
    }
    ctx = EVP_MD_CTX_new();
    tk_fz_check(ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1
                && EVP_DigestUpdate(ctx, "app", 3) == 1
                && EVP_DigestUpdate(ctx, s, size) == 1
                && EVP_DigestUpdate(ctx, ts, strlen(ts)) == 1
                && EVP_DigestUpdate(ctx, "key", 3) == 1
                && EVP_DigestFinal_ex(ctx, md, &md_len) == 1);
    EVP_MD_CTX_free(ctx);
    tk_fz_hex(md, md_len, hex);
    tk_fz_check(tk_sig_zalo(apr_pstrcat(p, "mac=", hex, NULL), "app", s, size,
                            ts, "key") == 1);
}

static void tk_fz_judge(apr_pool_t *p, tk_platform_t platform, int status,
                        const char *s, size_t size)
{
    tk_http_resp_t resp;
    tk_send_outcome_t out;
    const char *c;

    memset(&resp, 0, sizeof(resp));
    resp.status = status;
    resp.headers = apr_table_make(p, 1);
    if (status == 429) {
        apr_table_set(resp.headers, "Retry-After", s);
    }
    resp.body = s;
    resp.body_len = size;
    tk_send_judge(p, platform, APR_SUCCESS, &resp,
                  apr_time_from_sec(TK_FZ_NOW), &out);
    tk_fz_check(out.retry_after == -1 || out.retry_after >= 0);
    if (out.verdict == TK_SEND_SENT) {
        tk_fz_check(!out.error && (!out.message_id
                                   || strlen(out.message_id) <= 128));
        return;
    }
    tk_fz_check((out.verdict == TK_SEND_RETRY || out.verdict == TK_SEND_FAILED)
                && out.error && strlen(out.error) < 400);
    for (c = out.error; *c; ++c) {
        tk_fz_check((unsigned char)*c >= 0x20 && *c != 0x7f);
    }
}

/* The input as the text of a reply. */
static void tk_fz_request(apr_pool_t *p, const char *s)
{
    tk_send_t in = { NULL, "b", "tok", NULL, "r", s };
    tk_http_req_t req;
    json_t *j, *text;
    json_error_t jerr;

    memset(&req, 0, sizeof(req));
    if (tk_send_request(p, TK_PLATFORM_TIKTOK, &in, &req) != 0) {
        return;
    }
    j = tk_json_own(p, json_loadb(req.body, req.body_len, 0, &jerr));
    text = json_object_get(json_object_get(j, "text"), "body");
    tk_fz_check(json_is_string(text) && strcmp(json_string_value(text), s) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const tk_platform_t senders[] = {
        TK_PLATFORM_FACEBOOK, TK_PLATFORM_ZALO, TK_PLATFORM_TIKTOK,
        TK_PLATFORM_DISCORD
    };
    static const int statuses[] = { 200, 429, 400 };
    static int initialized;
    apr_pool_t *p;
    const char *s;
    unsigned i, k;

    if (!initialized) {
        apr_initialize();
        initialized = 1;
    }
    apr_pool_create(&p, NULL);
    s = apr_pstrmemdup(p, (const char *)data, size);
    tk_fz_inbound(p, TK_PLATFORM_FACEBOOK, s, size);
    tk_fz_inbound(p, TK_PLATFORM_ZALO, s, size);
    tk_fz_inbound(p, TK_PLATFORM_TIKTOK, s, size);
    tk_fz_discord(p, s, size);
    tk_fz_signatures(p, s, size);
    for (i = 0; i < sizeof(senders) / sizeof(senders[0]); ++i) {
        for (k = 0; k < sizeof(statuses) / sizeof(statuses[0]); ++k) {
            tk_fz_judge(p, senders[i], statuses[k], s, size);
        }
    }
    tk_fz_request(p, s);
    apr_pool_destroy(p);
    return 0;
}
