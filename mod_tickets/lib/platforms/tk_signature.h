/* tk_signature.h: checking that an inbound webhook came from its platform.
 *
 * Each platform signs what it sends: Facebook with an HMAC-SHA256 of the
 * raw body under the app secret (X-Hub-Signature-256: sha256=<hex>),
 * Discord with Ed25519 over the timestamp header followed by the raw body
 * (X-Signature-Ed25519: <hex>, X-Signature-Timestamp), under the
 * application's public key.  Each check is over the bytes as received,
 * compares in constant time, and says only yes or no: what failed is never
 * told to the sender.
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

#endif
