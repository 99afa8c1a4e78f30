/* tk_stdwebhook.h: outbound webhooks signed as Standard Webhooks says
 * (https://www.standardwebhooks.com/).
 *
 * A secret is "whsec_" and the base64 of 24 to 64 random bytes; the
 * signature of a message is "v1," and the base64 of HMAC-SHA256, keyed
 * with those bytes, of "<webhook-id>.<webhook-timestamp>.<body>".  While
 * a secret is rotated, a message carries one signature per secret,
 * separated by spaces, so a receiver that knows either accepts it.  The
 * retry schedule of a delivery is the standard's too.
 */
#ifndef TK_STDWEBHOOK_H
#define TK_STDWEBHOOK_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>

#define TK_WHSEC_PREFIX     "whsec_"
#define TK_WHSEC_MIN_BYTES  24
#define TK_WHSEC_MAX_BYTES  64
#define TK_WHSEC_BYTES      32      /* what tk_whsec_mint makes */

/* A new secret; NULL when no randomness could be had. */
const char *tk_whsec_mint(apr_pool_t *p);
/* The key bytes of a secret into key (TK_WHSEC_MAX_BYTES): their number,
 * or -1 when it is not "whsec_" and base64 of 24 to 64 bytes. */
int tk_whsec_key(const char *secret, unsigned char *key);

/* The webhook-signature header of a message for the NULL-terminated
 * secrets (the newest first): "v1,<sig>[ v1,<sig>...]"; NULL when a
 * secret is malformed or there is none. */
const char *tk_stdwebhook_sign(apr_pool_t *p, const char *const *secrets,
                               const char *id, int64_t timestamp,
                               const char *body, size_t len);

/* Number of attempts of the schedule: the first and its retries. */
#define TK_STDWEBHOOK_ATTEMPTS 10
/* Seconds before attempt `attempt` + 1 after attempt `attempt` (1 to
 * TK_STDWEBHOOK_ATTEMPTS - 1) failed: 5 s, 5 min, 30 min, 2 h, 5 h,
 * 10 h, 14 h, 20 h, 24 h, each within 20 % either way (random: any 64-bit
 * random number); -1 past the schedule. */
double tk_stdwebhook_delay(int attempt, uint64_t random);

#endif
