/* fuzz_body.c: request bodies, through the JSON parser and every body
 * validator (tickets, messages, sign-in, tokens, users, customers,
 * channels and their secrets, conversations and replies, FAQ articles
 * and the articles a ticket links, copilot requests, agent chat
 * sessions, tickets and messages).  Any input must be accepted or
 * refused with an error code and a message; nothing may crash, leak or
 * read out of bounds.  The same object is also a language model's
 * answer to each kind of copilot job: checked, it is refused with a
 * reason or cleaned into an answer that passes the check again. */
#include <stdint.h>
#include <stdlib.h>
#include <apr_general.h>
#include <apr_pools.h>
#include "core/tk_json.h"
#include "valid/tk_valid.h"
#include "valid/tk_query.h"
#include "valid/tk_valid_tickets.h"
#include "valid/tk_valid_auth.h"
#include "valid/tk_valid_users.h"
#include "valid/tk_valid_customers.h"
#include "valid/tk_valid_channels.h"
#include "valid/tk_valid_conversations.h"
#include "valid/tk_valid_faqs.h"
#include "valid/tk_valid_ai.h"
#include "valid/tk_valid_chat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void tk_fuzz_check(int rv, const tk_err_t *err)
{
    if (rv != 0 && (err->code == TK_E_NONE || !err->message)) {
        abort();
    }
}

/* The copilot's requests of every kind, and body as each kind's answer. */
static void tk_fuzz_ai(apr_pool_t *p, json_t *body, tk_err_t *err)
{
    tk_copilot_input_t in;
    const char *why, *why2, *a, *b;
    json_t *clean, *again;
    int i;

    for (i = 0; tk_copilot_kinds[i]; ++i) {
        tk_fuzz_check(tk_valid_copilot(p, tk_copilot_kinds[i], body, &in, err),
                      err);
        why = NULL;
        if (tk_copilot_check(p, tk_copilot_kinds[i], body, &clean, &why) != 0) {
            if (!why || clean) {
                abort();
            }
            continue;
        }
        if (tk_copilot_check(p, tk_copilot_kinds[i], clean, &again, &why2) != 0
            || !json_equal(clean, again)) {
            abort();
        }
        json_decref(again);
        json_decref(clean);
    }
    tk_fuzz_check(tk_valid_chat_session(p, body, &a, err), err);
    tk_fuzz_check(tk_valid_chat_tickets(p, body, &a, &b, err), err);
    tk_fuzz_check(tk_valid_chat_message(p, body, &a, err), err);
    if (a && tk_valid_chat_message(p, body, &a, err) == 0
        && !tk_chat_title_of(p, a)) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int initialized;
    apr_pool_t *p;
    tk_err_t err = { TK_E_NONE, NULL, NULL };
    tk_ticket_input_t in;
    tk_ticket_patch_t patch;
    tk_user_input_t user;
    tk_user_patch_t user_patch;
    tk_customer_input_t customer;
    tk_channel_input_t channel;
    tk_conversation_patch_t conversation;
    tk_faq_input_t faq;
    static const char *const platforms[] = {
        "facebook", "zalo", "tiktok", "discord", "web"
    };
    size_t i;
    const char *a, *b, *c;
    json_t *body;
    int n;

    if (!initialized) {
        apr_initialize();
        initialized = 1;
    }
    apr_pool_create(&p, NULL);
    body = tk_json_parse_object(p, (const char *)data, size, &err);
    if (!body) {
        tk_fuzz_check(-1, &err);
    }
    else {
        tk_fuzz_check(tk_valid_ticket_create(p, body, &in, &err), &err);
        tk_fuzz_check(tk_valid_ticket_patch(p, body, &patch, &err), &err);
        tk_fuzz_check(tk_valid_status(body, &a, &err), &err);
        tk_fuzz_check(tk_valid_message(body, &a, &n, &err), &err);
        tk_fuzz_check(tk_valid_login(body, &a, &b, &err), &err);
        tk_fuzz_check(tk_valid_token_create(body, &a, &c, &n, &err), &err);
        tk_fuzz_check(tk_valid_user_create(p, body, &user, &err), &err);
        tk_fuzz_check(tk_valid_user_patch(p, body, &user_patch, &err), &err);
        tk_fuzz_check(tk_valid_customer(p, body, 1, &customer, &err), &err);
        tk_fuzz_check(tk_valid_customer(p, body, 0, &customer, &err), &err);
        tk_fuzz_check(tk_valid_customer_merge(body, &a, &err), &err);
        tk_fuzz_check(tk_valid_channel_create(p, body, &channel, &err), &err);
        for (i = 0; i < sizeof(platforms) / sizeof(platforms[0]); ++i) {
            tk_fuzz_check(tk_valid_channel_patch(p, body, platforms[i], &channel,
                                                 &err), &err);
            tk_fuzz_check(tk_valid_channel_secrets(p, body, platforms[i], &a,
                                                   &err), &err);
        }
        tk_fuzz_check(tk_valid_conversation_patch(p, body, &conversation, &err),
                      &err);
        tk_fuzz_check(tk_valid_reply(p, body, &a, &err), &err);
        tk_fuzz_check(tk_valid_conversation_ticket(p, body, &a, &err), &err);
        tk_fuzz_check(tk_valid_faq(p, body, 1, &faq, &err), &err);
        tk_fuzz_check(tk_valid_faq(p, body, 0, &faq, &err), &err);
        tk_fuzz_check(tk_valid_article_link(body, &a, &err), &err);
        tk_fuzz_ai(p, body, &err);
    }
    apr_pool_destroy(p);
    return 0;
}
