/* tk_status.h: the ticket lifecycle and the closed vocabularies.
 *
 * Status moves follow one table (SPEC §6):
 *   open        -> in_progress | waiting | resolved | closed
 *   in_progress -> open | waiting | resolved | closed
 *   waiting     -> in_progress | resolved | closed
 *   resolved    -> open | closed
 *   closed      -> open                 (reopen)
 * Customers may only close their own tickets or reopen them.
 */
#ifndef TK_STATUS_H
#define TK_STATUS_H

extern const char *const tk_statuses[];     /* NULL-terminated */
extern const char *const tk_priorities[];
extern const char *const tk_sources[];
extern const char *const tk_roles[];
/* Messaging (SPEC section 7). */
extern const char *const tk_platforms[];    /* web and the four platforms */
extern const char *const tk_conversation_statuses[];
extern const char *const tk_conversation_modes[];

/* 1 when s is one of the NULL-terminated list. */
int tk_enum_valid(const char *const *list, const char *s);

/* 1 when the lifecycle allows from -> to. */
int tk_status_can_move(const char *from, const char *to);

/* 1 when a customer may make the (allowed) move from -> to. */
int tk_status_customer_may(const char *from, const char *to);

/* Roles. */
int tk_role_is_staff(const char *role);     /* admin, agent, viewer */
int tk_role_can_write(const char *role);    /* admin, agent */

#endif
