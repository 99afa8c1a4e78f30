/* tk_redact.c: secrets and personal data taken out of text bound for a
 * language model (see tk_redact.h).
 *
 * A pass: at each place where a word may start, the matchers are tried in
 * order (tokens, e-mail, IBAN, card, phone); the first that matches
 * replaces what it matched, else the byte is copied.  Passes run until
 * one finds nothing (tk_redact), so the answer redacted again is the
 * same.  Each matcher looks
 * only forward from its start and says how many bytes it takes (0: none),
 * so the whole costs a few passes over each word at most.
 */
#include <string.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include "llm/tk_redact.h"

#define TK_KEY_MIN 20           /* key characters after a token prefix */
#define TK_BEARER_MIN 8         /* characters of a bearer token */

/* ---- the output -------------------------------------------------------- */

typedef struct {
    apr_pool_t *p;
    char *buf;
    size_t len, cap;
} tk_out_t;

static void tk_out_put(tk_out_t *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        size_t cap = (o->len + n + 1) * 2;
        char *buf = apr_palloc(o->p, cap);

        memcpy(buf, o->buf, o->len);
        o->buf = buf;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

/* ---- character classes -------------------------------------------------- */

static int tk_is_alnum(char c)
{
    return apr_isalnum((unsigned char)c) && !((unsigned char)c & 0x80);
}

static int tk_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* c is one of set (never the NUL that ends it). */
static int tk_in(char c, const char *set)
{
    return c != '\0' && strchr(set, c) != NULL;
}

static int tk_is_key_char(char c)
{
    return tk_is_alnum(c) || c == '_' || c == '-';
}

static int tk_is_bearer_char(char c)
{
    return tk_is_alnum(c) || tk_in(c, "-._~+/=");
}

static int tk_is_local_char(char c)
{
    return tk_is_alnum(c) || tk_in(c, "._%+-");
}

/* Whether a match may end before t[i]: the word does not go on. */
static int tk_ends_word(const char *t, size_t n, size_t i)
{
    return i >= n || !(tk_is_alnum(t[i]) || t[i] == '_');
}

/* ---- the checks ------------------------------------------------------- */

int tk_luhn_ok(const char *digits, size_t n)
{
    int sum = 0, dbl = 0;
    size_t i;

    if (n == 0) {
        return 0;
    }
    for (i = n; i-- > 0;) {
        int d = digits[i] - '0';

        if (d < 0 || d > 9) {
            return 0;
        }
        if (dbl && (d *= 2) > 9) {
            d -= 9;
        }
        sum += d;
        dbl = !dbl;
    }
    return sum % 10 == 0;
}

/* The value of an IBAN character in the mod-97 check; -1 for none. */
static int tk_iban_value(char c)
{
    if (tk_is_digit(c)) {
        return c - '0';
    }
    if (c >= 'A' && c <= 'Z') {
        return c - 'A' + 10;
    }
    return -1;
}

int tk_iban_ok(const char *iban, size_t n)
{
    unsigned rem = 0;
    size_t i;

    if (n < 15 || n > 34 || !(iban[0] >= 'A' && iban[0] <= 'Z')
        || !(iban[1] >= 'A' && iban[1] <= 'Z') || !tk_is_digit(iban[2])
        || !tk_is_digit(iban[3])) {
        return 0;
    }
    /* the first four characters moved to the end */
    for (i = 0; i < n; ++i) {
        int v = tk_iban_value(iban[(i + 4) % n]);

        if (v < 0) {
            return 0;
        }
        rem = (rem * (v >= 10 ? 100u : 10u) + (unsigned)v) % 97u;
    }
    return rem == 1;
}

/* ---- the matchers ------------------------------------------------------- */

/* Key characters from t[i]: how many. */
static size_t tk_key_run(const char *t, size_t n, size_t i)
{
    size_t j = i;

    while (j < n && tk_is_key_char(t[j])) {
        ++j;
    }
    return j - i;
}

static int tk_has_digit(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; ++i) {
        if (tk_is_digit(s[i])) {
            return 1;
        }
    }
    return 0;
}

/* A known key prefix and 20 or more key characters; "sk-" (which begins
 * ordinary hyphenated words too) only with a digit among them. */
static size_t tk_match_key(const char *t, size_t n, size_t i)
{
    static const char *const prefixes[] = {
        "github_pat_", "secret_", "token_", "glpat-", "api_", "ghp_", "gho_",
        "ghu_", "ghs_", "ghr_", "sk_", "pk_", "sk-", NULL
    };
    size_t k, plen, run;

    for (k = 0; prefixes[k]; ++k) {
        plen = strlen(prefixes[k]);
        if (n - i > plen && strncasecmp(t + i, prefixes[k], plen) == 0) {
            run = tk_key_run(t, n, i + plen);
            if (run >= TK_KEY_MIN
                && (strcmp(prefixes[k], "sk-") != 0
                    || tk_has_digit(t + i + plen, run))) {
                return plen + run;
            }
        }
    }
    return 0;
}

/* "Bearer", blanks, then a token of 8 or more characters with a digit, or
 * of 16 or more ("Bearer of bad news" is no credential). */
static size_t tk_match_bearer(const char *t, size_t n, size_t i)
{
    size_t j = i + 6, k;

    if (n - i < 8 || strncasecmp(t + i, "bearer", 6) != 0
        || (t[j] != ' ' && t[j] != '\t')) {
        return 0;
    }
    while (j < n && (t[j] == ' ' || t[j] == '\t')) {
        ++j;
    }
    for (k = j; k < n && tk_is_bearer_char(t[k]); ++k) {
    }
    if (k - j >= 16 || (k - j >= TK_BEARER_MIN && tk_has_digit(t + j, k - j))) {
        return k - i;
    }
    return 0;
}

/* local@domain.tld: a local part that starts with a letter or digit, a
 * domain of two or more labels, the last of two or more letters. */
static size_t tk_match_email(const char *t, size_t n, size_t i)
{
    size_t j = i, dom, end, dot = 0, k;

    if (!tk_is_alnum(t[i])) {
        return 0;
    }
    while (j < n && tk_is_local_char(t[j])) {
        ++j;
    }
    if (j >= n || t[j] != '@') {
        return 0;
    }
    dom = ++j;
    while (j < n && (tk_is_alnum(t[j]) || t[j] == '.' || t[j] == '-')) {
        ++j;
    }
    end = j;
    while (end > dom && (t[end - 1] == '.' || t[end - 1] == '-')) {
        --end;                      /* "mail a@b.com." ends at "com" */
    }
    for (k = dom; k < end; ++k) {
        if (t[k] == '.') {
            dot = k;
        }
    }
    if (!dot || dot == dom || end - dot - 1 < 2) {
        return 0;
    }
    for (k = dot + 1; k < end; ++k) {
        if (!apr_isalpha((unsigned char)t[k])) {
            return 0;
        }
    }
    return tk_ends_word(t, n, end) ? end - i : 0;
}

/* An IBAN, written whole or in groups split by single spaces: the longest
 * prefix of the run that passes mod-97. */
static size_t tk_match_iban(const char *t, size_t n, size_t i)
{
    char chars[35];
    size_t ends[35];            /* ends[c]: the byte after c characters */
    size_t c = 0, j = i;

    if (n - i < 15 || !(t[i] >= 'A' && t[i] <= 'Z')) {
        return 0;
    }
    while (j < n && c < 34) {
        if (tk_iban_value(t[j]) >= 0) {
            chars[c++] = t[j++];
            ends[c] = j;
        }
        else if (t[j] == ' ' && c >= 4 && j + 1 < n
                 && tk_iban_value(t[j + 1]) >= 0) {
            ++j;
        }
        else {
            break;
        }
    }
    for (; c >= 15; --c) {
        if (tk_ends_word(t, n, ends[c]) && tk_iban_ok(chars, c)) {
            return ends[c] - i;
        }
    }
    return 0;
}

/* 13 to 19 digits, single spaces or dashes between them, passing Luhn. */
static size_t tk_match_card(const char *t, size_t n, size_t i)
{
    char digits[20];
    size_t nd = 0, j = i, end = i;

    while (j < n) {
        if (tk_is_digit(t[j])) {
            if (nd == 19) {
                return 0;           /* longer than any card */
            }
            digits[nd++] = t[j++];
            end = j;
        }
        else if ((t[j] == ' ' || t[j] == '-') && nd > 0 && j + 1 < n
                 && tk_is_digit(t[j + 1])) {
            ++j;
        }
        else {
            break;
        }
    }
    if (nd < 13 || !tk_ends_word(t, n, end) || !tk_luhn_ok(digits, nd)) {
        return 0;
    }
    return end - i;
}

/* "+" then 7 to 15 digits among spaces, dashes, dots and parentheses. */
static size_t tk_match_intl_phone(const char *t, size_t n, size_t i)
{
    size_t j = i + 1, end = 0, nd = 0;

    if (t[i] != '+' || j >= n || !tk_is_digit(t[j])) {
        return 0;
    }
    while (j < n && nd <= 15) {
        if (tk_is_digit(t[j])) {
            ++nd;
            end = ++j;
        }
        else if (tk_in(t[j], " -.()") && j + 1 < n
                 && (tk_is_digit(t[j + 1]) || t[j + 1] == '(')) {
            ++j;
        }
        else if (t[j] == ')' && j + 2 < n && t[j + 1] == ' '
                 && tk_is_digit(t[j + 2])) {
            j += 2;
        }
        else {
            break;
        }
    }
    if (nd < 7 || nd > 15 || !tk_ends_word(t, n, end)) {
        return 0;
    }
    return end - i;
}

#define TK_GROUPS_KEPT 8

/* Whether groups of digits of these lengths, joined by sep, are rather a
 * date (2026-12-04, 4.12.2026), a span of years (1999-2005) or a number
 * with its thousands grouped (1 000 000, 12.345.678) than a phone. */
static int tk_not_a_phone(size_t groups, const size_t *len, char sep)
{
    size_t i;
    int thousands = groups <= TK_GROUPS_KEPT && len[0] <= 3
                    && (sep == ' ' || sep == '.');

    for (i = 1; thousands && i < groups; ++i) {
        thousands = len[i] == 3;
    }
    if (thousands) {
        return 1;
    }
    if (sep == ' ') {
        return 0;
    }
    return (groups == 3 && ((len[0] == 4 && len[1] <= 2 && len[2] <= 2)
                            || (len[0] <= 2 && len[1] <= 2 && len[2] == 4)))
           || (groups == 2 && sep == '-' && len[0] == 4 && len[1] == 4);
}

/* A national number: "(ddd) " or a group of digits, then groups joined by
 * one kind of separator; 7 to 15 digits in two groups or more.  Dotted
 * groups of three digits or fewer are an IPv4 address, and dates, spans of
 * years and grouped thousands are not phones either (tk_not_a_phone). */
static size_t tk_match_national_phone(const char *t, size_t n, size_t i)
{
    size_t j = i, nd = 0, groups = 0, longest = 0, g, end;
    size_t len[TK_GROUPS_KEPT] = { 0 };
    char sep = 0;

    if (t[j] == '(') {
        if (n - j < 6 || !tk_is_digit(t[j + 1]) || !tk_is_digit(t[j + 2])
            || !tk_is_digit(t[j + 3]) || t[j + 4] != ')') {
            return 0;
        }
        nd = 3;
        groups = 1;
        longest = 3;
        j += 5;
        if (j < n && t[j] == ' ') {
            ++j;
        }
        if (j >= n || !tk_is_digit(t[j])) {
            return 0;
        }
    }
    for (end = j;;) {
        for (g = 0; j < n && tk_is_digit(t[j]); ++j, ++g) {
        }
        if (g == 0) {
            break;
        }
        nd += g;
        if (groups < TK_GROUPS_KEPT) {
            len[groups] = g;
        }
        ++groups;
        longest = g > longest ? g : longest;
        end = j;
        if (j + 1 < n && (t[j] == ' ' || t[j] == '-' || t[j] == '.')
            && (!sep || sep == t[j]) && tk_is_digit(t[j + 1])) {
            sep = t[j++];
            continue;
        }
        break;
    }
    if (nd < 7 || nd > 15 || groups < 2 || !tk_ends_word(t, n, end)
        || (sep == '.' && longest <= 3) || tk_not_a_phone(groups, len, sep)) {
        return 0;
    }
    return end - i;
}

/* ---- the pass ------------------------------------------------------------- */

typedef enum { TK_R_TOKEN, TK_R_EMAIL, TK_R_IBAN, TK_R_CARD, TK_R_PHONE } tk_kind_t;

typedef struct {
    size_t (*match)(const char *t, size_t n, size_t i);
    tk_kind_t kind;
} tk_matcher_t;

static const tk_matcher_t tk_matchers[] = {
    { tk_match_bearer, TK_R_TOKEN },
    { tk_match_key, TK_R_TOKEN },
    { tk_match_email, TK_R_EMAIL },
    { tk_match_iban, TK_R_IBAN },
    { tk_match_card, TK_R_CARD },
    { tk_match_intl_phone, TK_R_PHONE },
    { tk_match_national_phone, TK_R_PHONE },
};

static const char *const tk_replacements[] = {
    "[TOKEN_REDACTED]", "[EMAIL_REDACTED]", "[IBAN_REDACTED]",
    "[CARD_REDACTED]", "[PHONE_REDACTED]"
};

static void tk_count(tk_redact_counts_t *c, tk_kind_t kind)
{
    if (!c) {
        return;
    }
    switch (kind) {
    case TK_R_TOKEN:    ++c->tokens; break;
    case TK_R_EMAIL:    ++c->emails; break;
    case TK_R_IBAN:     ++c->ibans; break;
    case TK_R_CARD:     ++c->cards; break;
    default:            ++c->phones; break;
    }
}

/* Whether a word may start at c, after what has been written so far
 * (the output, not the input: so that what follows a replacement is
 * judged as it will be when the answer is redacted again, which then
 * changes nothing): what comes before does not go on, and a digit is not
 * the next group of a number that matched nothing ("4111 1111 1111 1112"
 * is not a card, and "1111 1111 1112" in it no phone). */
static int tk_starts_word(const tk_out_t *o, char c)
{
    const char *b = o->buf;
    size_t n = o->len;

    if (n == 0) {
        return 1;
    }
    if (tk_is_alnum(b[n - 1]) || tk_in(b[n - 1], "_.%+-@")) {
        return 0;
    }
    return !(tk_is_digit(c) && n >= 2 && tk_in(b[n - 1], " -")
             && tk_is_digit(b[n - 2]));
}

/* Whether what was written so far ends in a dot or a plus, after which a
 * token may start though no word does ("env.secret_...", "x+ghp_..."). */
static int tk_after_word(const tk_out_t *o)
{
    return o->len > 0 && tk_in(o->buf[o->len - 1], ".+");
}

/* One pass over text into *o: the number of replacements made. */
static int tk_redact_pass(apr_pool_t *p, const char *text, size_t len,
                          tk_out_t *o, tk_redact_counts_t *counts)
{
    size_t i = 0, k, m;
    int made = 0;

    o->p = p;
    o->cap = len + 64;
    o->buf = apr_palloc(p, o->cap);
    o->len = 0;
    while (i < len) {
        int word = tk_starts_word(o, text[i]), loose = tk_after_word(o);

        m = 0;
        if (word || loose) {
            for (k = 0; k < sizeof(tk_matchers) / sizeof(tk_matchers[0]); ++k) {
                /* a token may follow punctuation ("env.secret_..."); the
                 * rest start where a word does */
                if (!word && tk_matchers[k].kind != TK_R_TOKEN) {
                    continue;
                }
                if ((m = tk_matchers[k].match(text, len, i)) > 0) {
                    tk_out_put(o, tk_replacements[tk_matchers[k].kind],
                               strlen(tk_replacements[tk_matchers[k].kind]));
                    tk_count(counts, tk_matchers[k].kind);
                    ++made;
                    break;
                }
            }
        }
        if (m == 0) {
            tk_out_put(o, text + i, 1);
            m = 1;
        }
        i += m;
    }
    o->buf[o->len] = '\0';
    return made;
}

/* Passes until one replaces nothing: a match that failed only because
 * its run went on into what a later match replaced ("+1 (555) 1 (555)
 * 19873-45656" is too long for one phone number, "+1 (555) 1 (555)"
 * before the replaced "19873-45656" is not) is found by the next pass.
 * A replacement is never matched again and each pass that changes
 * something replaces input, so the passes end; TK_REDACT_PASSES bounds
 * them for input made to need more. */
#define TK_REDACT_PASSES 8

const char *tk_redact(apr_pool_t *p, const char *text, size_t len,
                      size_t *out_len, tk_redact_counts_t *counts)
{
    tk_out_t o;
    int pass = 0;

    while (tk_redact_pass(p, text, len, &o, counts) > 0
           && ++pass < TK_REDACT_PASSES) {
        text = o.buf;
        len = o.len;
    }
    if (out_len) {
        *out_len = o.len;
    }
    return o.buf;
}

int tk_redact_json(apr_pool_t *p, json_t *j, tk_redact_counts_t *counts)
{
    const char *key;
    json_t *v;
    size_t i;

    if (json_is_string(j)) {
        size_t n;
        const char *s = tk_redact(p, json_string_value(j),
                                  json_string_length(j), &n, counts);

        return json_string_setn(j, s, n);
    }
    if (json_is_object(j)) {
        json_object_foreach(j, key, v) {
            if (tk_redact_json(p, v, counts) != 0) {
                return -1;
            }
        }
    }
    else if (json_is_array(j)) {
        json_array_foreach(j, i, v) {
            if (tk_redact_json(p, v, counts) != 0) {
                return -1;
            }
        }
    }
    return 0;
}
