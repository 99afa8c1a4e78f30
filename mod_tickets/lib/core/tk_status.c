/* tk_status.c: the ticket lifecycle table and closed vocabularies. */
#include <string.h>
#include "core/tk_status.h"

const char *const tk_statuses[] = {
    "open", "in_progress", "waiting", "resolved", "closed", NULL
};
const char *const tk_priorities[] = {
    "low", "medium", "high", "urgent", NULL
};
const char *const tk_sources[] = {
    "web", "api", "call", "chat", "email", "facebook", "zalo", "tiktok",
    "discord", NULL
};
const char *const tk_roles[] = {
    "admin", "agent", "viewer", "customer", NULL
};
const char *const tk_platforms[] = {
    "web", "facebook", "zalo", "tiktok", "discord", NULL
};
const char *const tk_conversation_statuses[] = {
    "open", "pending", "resolved", "closed", NULL
};
const char *const tk_conversation_modes[] = {
    "human", "ai", NULL
};

typedef struct {
    const char *from;
    const char *to[5];
} tk_moves_t;

static const tk_moves_t tk_moves[] = {
    { "open",        { "in_progress", "waiting", "resolved", "closed", NULL } },
    { "in_progress", { "open", "waiting", "resolved", "closed", NULL } },
    { "waiting",     { "in_progress", "resolved", "closed", NULL } },
    { "resolved",    { "open", "closed", NULL } },
    { "closed",      { "open", NULL } },
};

int tk_enum_valid(const char *const *list, const char *s)
{
    if (!s) {
        return 0;
    }
    for (; *list; ++list) {
        if (strcmp(*list, s) == 0) {
            return 1;
        }
    }
    return 0;
}

int tk_status_can_move(const char *from, const char *to)
{
    size_t i;

    for (i = 0; i < sizeof(tk_moves) / sizeof(tk_moves[0]); ++i) {
        if (from && strcmp(tk_moves[i].from, from) == 0) {
            return tk_enum_valid(tk_moves[i].to, to);
        }
    }
    return 0;
}

int tk_status_customer_may(const char *from, const char *to)
{
    if (!tk_status_can_move(from, to)) {
        return 0;
    }
    return strcmp(to, "closed") == 0 || strcmp(from, "closed") == 0
           || strcmp(from, "resolved") == 0;
}

int tk_role_is_staff(const char *role)
{
    return role && (strcmp(role, "admin") == 0 || strcmp(role, "agent") == 0
                    || strcmp(role, "viewer") == 0);
}

int tk_role_can_write(const char *role)
{
    return role && (strcmp(role, "admin") == 0 || strcmp(role, "agent") == 0);
}
