/* tk_signature.h: checking that an inbound webhook came from its platform.
 *
 * Each platform signs what it sends: Facebook with an HMAC-SHA256 of the
 * raw body under the app secret (X-Hub-Signature-256: sha256=<hex>),
 * Discord with Ed25519 over the timestamp header followed by the raw body
 * (X-Signature-Ed25519: <hex>, X-Signature-Timestamp), under the
 * application's public key; Zalo with a plain SHA-256 of app id, body,
 * timestamp and the OA secret key (X-ZEvent-Signature: mac=<hex>); TikTok
 * with an HMAC-SHA256 of "<t>.<body>" under the client secret
 * (Tiktok-Signature: t=<seconds>,s=<hex>).  Each check is over the bytes
 * as received, compares in constant time, and says only yes or no (TikTok
 * also says "stale", for the log): what failed is never told to the
 * sender.  docs/platforms.md gives each form and where it comes from.
 */
#ifndef TK_SIGNATURE_H
#define TK_SIGNATURE_H

#include <apr.h>

/* 1 when header is "sha256=" and the hex HMAC-SHA256 of body under
 * secret (either case of hex), else 0. */
int tk_sig_facebook(const char *header, const void *body, apr_size_t len,
                    const char *secret);

/* 1 when sig_hex (128 hex digits) is the Ed25519 signature of timestamp
 * followed by body under public_key_hex (64 hex digits), else 0. */
int tk_sig_discord(const char *sig_hex, const char *timestamp,
                   const void *body, apr_size_t len,
                   const char *public_key_hex);

/* 1 when header is "mac=<hex>" (or the bare 64 hex digits, either case)
 * and the hex is the SHA-256 of app_id, then body, then timestamp (the
 * body's own "timestamp" field: tk_inbound_zalo_timestamp), then
 * oa_secret_key, concatenated; else 0.  A plain digest, not an HMAC: that
 * is Zalo's form.  app_id, timestamp and the key must not be empty. */
int tk_sig_zalo(const char *header, const char *app_id, const void *body,
                apr_size_t len, const char *timestamp,
                const char *oa_secret_key);

/* What tk_sig_tiktok found.  Only TK_SIG_OK is a yes: compare with it,
 * never test the value for truth. */
typedef enum {
    TK_SIG_BAD = 0,     /* no signature, a malformed one, or a wrong one */
    TK_SIG_OK = 1,      /* signed by the secret, t within the tolerance */
    TK_SIG_STALE = 2    /* signed by the secret, but t is further than the
                         * tolerance from now (a replay, or a clock off) */
} tk_sig_result_t;

/* header is "t=<unix seconds>,s=<64 hex>" (other elements ignored, each
 * of t and s once); s must be the HMAC-SHA256 of "<t>.<body>" under
 * client_secret, t as written in the header.  The MAC is checked first,
 * so TK_SIG_STALE is only said of a delivery TikTok did sign.  A negative
 * tolerance counts as 0. */
tk_sig_result_t tk_sig_tiktok(const char *header, const void *body,
                              apr_size_t len, const char *client_secret,
                              apr_int64_t now_seconds,
                              apr_int64_t tolerance_seconds);

#endif
