/* tk_redact.h: what must not leave the host, taken out of text before it
 * is sent to a language model.
 *
 * Everything sent to a provider (ticket snapshots, conversation history,
 * chat, tool results) passes through here first, and the redacted text is
 * also what the answer cache's key, the usage ledger and the logs see.
 * Replaced, from left to right, until nothing is left to replace:
 *
 *   e-mail addresses                            [EMAIL_REDACTED]
 *   sk_ sk- pk_ api_ secret_ token_ and 20 or more key characters,
 *   "Bearer <token>", GitHub's ghp_ gho_ ghu_ ghs_ ghr_ github_pat_,
 *   GitLab's glpat-                              [TOKEN_REDACTED]
 *   13 to 19 digits, grouped by single spaces or dashes or not, that
 *   pass the Luhn check                          [CARD_REDACTED]
 *   IBANs (two letters, two check digits, 11 to 30 letters and digits,
 *   grouped by four or not) that pass mod-97     [IBAN_REDACTED]
 *   phone numbers, conservatively: "+" and 7 to 15 digits, or 7 to 15
 *   digits in two or more groups joined by one kind of separator
 *   (space, '-', '.'), or after "(ddd) "         [PHONE_REDACTED]
 *
 * A number that fails its check stays (an order number is not a card), a
 * bare run of digits is no phone number, and an IPv4 address or a date
 * is neither.  Tokens are found after a dot or a plus too ("env.secret_...",
 * "x+ghp_..."); the rest where a word starts.  Matching is on ASCII;
 * other bytes pass through as they are.
 */
#ifndef TK_REDACT_H
#define TK_REDACT_H

#include <stddef.h>
#include <apr_pools.h>
#include <jansson.h>

typedef struct {
    int emails;
    int tokens;
    int cards;
    int ibans;
    int phones;
} tk_redact_counts_t;

/* len bytes of text, redacted, NUL-terminated in p, its length in
 * *out_len (may be NULL).  counts (may be NULL) is added to. */
const char *tk_redact(apr_pool_t *p, const char *text, size_t len,
                      size_t *out_len, tk_redact_counts_t *counts);

/* Every string value in j (of objects and arrays, at any depth) redacted
 * in place; keys are left as they are.  0, or -1 when a string could not
 * be replaced. */
int tk_redact_json(apr_pool_t *p, json_t *j, tk_redact_counts_t *counts);

/* The checks themselves, over n ASCII digits (cards) or characters. */
int tk_luhn_ok(const char *digits, size_t n);
int tk_iban_ok(const char *iban, size_t n);

#endif
